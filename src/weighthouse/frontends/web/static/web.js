// Weighthouse web UI behaviour. Served as a file: the page policy allows no inline script.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // A revision picked from the list opens at once; the Go button stays for keyboards.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  // Forms that destroy something ask first.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});

// The job page follows its job: it asks the page's status URL for the job's state until the
// job ends, and redraws the status, progress bars, log, error and result link from it. Text
// goes in as text, never as markup.
"use strict";

(() => {
  const root = document.getElementById("job");
  if (!root) return;
  const every = 750;

  function progressLine(p, index) {
    const line = document.createElement("p");
    line.className = "progress-line";
    const label = document.createElement("label");
    label.htmlFor = `progress-${index + 1}`;
    label.textContent = p.context || "progress";
    const bar = document.createElement("progress");
    bar.id = label.htmlFor;
    bar.max = p.total || 1;
    bar.value = p.current;
    const count = document.createElement("span");
    count.className = "muted";
    count.textContent = `${p.current} / ${p.total}`;
    line.append(label, " ", bar, " ", count);
    return line;
  }

  function draw(state) {
    const status = document.getElementById("job-status");
    status.textContent = state.status;
    status.className = `status status-${state.status}`;
    if (state.progress.length) {
      document.getElementById("job-progress").replaceChildren(...state.progress.map(progressLine));
    }
    const log = document.getElementById("job-log");
    log.replaceChildren(...state.log.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    const error = document.getElementById("job-error");
    error.textContent = state.error || "";
    error.hidden = !state.error;
    if (state.result_url) {
      document.getElementById("job-result-link").href = state.result_url;
      document.getElementById("job-result").hidden = false;
    }
    if (state.final) {
      const cancel = document.getElementById("job-cancel");
      if (cancel) cancel.remove();
      root.dataset.final = "yes";
    }
  }

  async function follow() {
    while (root.dataset.final !== "yes") {
      await new Promise((resolve) => setTimeout(resolve, every));
      let answer;
      try {
        answer = await fetch(root.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" });
      } catch (_) {
        continue; // the server may be restarting: try again at the next tick
      }
      if (!answer.ok) {
        if (answer.status === 401 || answer.status === 404) return; // signed out or gone
        continue;
      }
      draw(await answer.json());
    }
  }

  follow();
})();

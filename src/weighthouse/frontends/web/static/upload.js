// Browser uploads: every file streams from disk to the API (XMLHttpRequest sends a File
// without reading it into the page), then one commit adds them all, then the optional tag.
"use strict";

(() => {
  const form = document.getElementById("upload");
  if (!form) return;
  const api = form.dataset.api;
  const branch = form.dataset.branch;
  const mode = form.dataset.mode;
  const csrf = form.dataset.csrf;
  const progress = document.getElementById("progress");
  const status = document.getElementById("status");
  const chosen = document.getElementById("chosen");
  const drop = document.getElementById("drop");
  let dropped = [];

  const say = (text) => { status.textContent = text; };

  function picked() {
    const files = [];
    for (const input of [document.getElementById("files"), document.getElementById("folder")]) {
      for (const file of input.files) files.push({ file, path: file.webkitRelativePath || file.name });
    }
    return files.concat(dropped);
  }

  function showChosen() {
    const files = picked();
    const bytes = files.reduce((sum, f) => sum + f.file.size, 0);
    chosen.textContent = files.length
      ? `${files.length} file(s), ${bytes} bytes: ${files.slice(0, 5).map((f) => f.path).join(", ")}${files.length > 5 ? ", ..." : ""}`
      : "No files chosen.";
  }

  // Folders dropped on the page are walked entry by entry; only File handles are kept.
  function walk(entry, prefix) {
    return new Promise((resolve, reject) => {
      if (entry.isFile) {
        entry.file((file) => resolve([{ file, path: prefix + file.name }]), reject);
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        const all = [];
        const more = () => reader.readEntries(async (entries) => {
          if (!entries.length) {
            const nested = await Promise.all(all.map((e) => walk(e, `${prefix}${entry.name}/`)));
            resolve(nested.flat());
            return;
          }
          all.push(...entries);
          more();
        }, reject);
        more();
      } else {
        resolve([]);
      }
    });
  }

  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    const entries = [...event.dataTransfer.items]
      .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
    if (entries.every((e) => e)) {
      dropped = dropped.concat((await Promise.all(entries.map((e) => walk(e, "")))).flat());
    } else {
      dropped = dropped.concat([...event.dataTransfer.files].map((file) => ({ file, path: file.name })));
    }
    showChosen();
  });
  for (const input of form.querySelectorAll("input[type=file]")) input.addEventListener("change", showChosen);

  function problem(xhrOrText) {
    try {
      const body = JSON.parse(xhrOrText);
      return body.error.message;
    } catch (e) {
      return String(xhrOrText).slice(0, 300);
    }
  }

  // Each segment of a key is escaped on its own: the slashes between them stay slashes.
  const keyUrl = (key) => `${api}/objects/${key.split("/").map(encodeURIComponent).join("/")}`;

  function sendBlob(file, onProgress, key) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      if (key === undefined) xhr.open("POST", `${api}/blobs`);
      else xhr.open("PUT", keyUrl(key));
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.addEventListener("progress", (event) => onProgress(event.loaded));
      xhr.addEventListener("load", () => {
        if (xhr.status === 201 || xhr.status === 200) resolve(JSON.parse(xhr.responseText || "{}"));
        else reject(new Error(problem(xhr.responseText)));
      });
      xhr.addEventListener("error", () => reject(new Error("the connection failed")));
      xhr.send(file);
    });
  }

  async function json(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(problem(text));
    return JSON.parse(text);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const files = picked();
    if (!files.length) { say("Choose files or a folder first."); return; }
    let prefix = document.getElementById("prefix").value.trim().replace(/^\/+/, "");
    if (prefix && !prefix.endsWith("/")) prefix += "/";
    const total = files.reduce((sum, f) => sum + f.file.size, 0) || 1;
    progress.max = total;
    progress.value = 0;
    const button = document.getElementById("start");
    button.disabled = true;
    try {
      const operations = [];
      let done = 0;
      for (const [index, item] of files.entries()) {
        say(`Uploading ${item.path} (${index + 1} of ${files.length})`);
        const onProgress = (loaded) => { progress.value = done + loaded; };
        const key = mode === "commit" ? undefined : prefix + item.path;
        const blob = await sendBlob(item.file, onProgress, key);
        done += item.file.size;
        progress.value = done;
        operations.push({ op: "add", path: prefix + item.path, sha256: blob.sha256, size: blob.size });
      }
      if (mode !== "commit") {
        progress.value = total;
        say(`Uploaded ${files.length} object(s).`);
        const back = document.createElement("a");
        back.href = form.dataset.done;
        back.textContent = "Show the listing";
        back.id = "done";
        status.append(" ", back);
        return;
      }
      say("Committing");
      const message = document.getElementById("message").value || "Upload files";
      const commit = await json("POST", `${api}/commit/${encodeURIComponent(branch)}`, { message, operations });
      const tag = document.getElementById("tag").value.trim();
      if (tag) await json("POST", `${api}/tags`, { name: tag, revision: commit.id });
      progress.value = total;
      say(`Committed ${commit.id.slice(0, 10)}${tag ? ` and tagged it ${tag}` : ""}.`);
      const link = document.createElement("a");
      link.href = form.dataset.done;
      link.textContent = "Open the repository";
      link.id = "done";
      status.append(" ", link);
    } catch (error) {
      say(`Upload failed: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  });
})();

// The new-capture page's uploader: seed 004's multi-part protocol from the browser.
//
// 1. POST the form (name, method, parameters, and the file's name and size, not its bytes) to the page's own
//    URL with Accept: application/json: the server validates it and answers the plan {eid, chunk_size,
//    num_parts, parts, api_url, detail_url}, or {errors: {control: [messages]}} shown next to the controls.
// 2. For each missing part (3 at a time): POST {api_url}/create-upload-url/{n} for a signed URL, PUT the
//    part's bytes to it and keep the ETag it answers. A failed part is tried again with a growing pause.
// 3. POST {api_url}/uploaded with every ETag, then open the capture's page.
//
// Photos picked together (or dropped, or a folder of them) go up the same way, as one stream of their bytes one
// after another; the plan request lists them (photo_files: name and size each, in that order) and the worker
// packs them into a zip once every part is there.
//
// {eid, what was chosen, size} is kept in localStorage until the upload completes: when the same file (or the
// same photos) is chosen again (after a reload or a dropped connection), parts.json says which parts arrived
// and only the others are sent.

const STORE_KEY = "atlas.uploads";
const PARALLEL_PARTS = 3;
const MAX_ATTEMPTS = 8; // per part; pauses of about 1, 2, 4, 8, 16, 30, 30 s between them
const STALL_MS = 60_000; // a part that makes no progress this long is dropped and sent again
const SPEED_WINDOW_MS = 5_000;
const ZERO_EID = "00000000-0000-0000-0000-000000000000";
const CHOOSE = "Choose a video (.mp4 or .mov), photos (JPEG or PNG, several at once), or a .zip of photos.";

class UploadError extends Error {
  constructor(message, { status = 0, retryable = false } = {}) {
    super(message);
    this.status = status;
    this.retryable = retryable;
  }
}

// --- what was chosen ------------------------------------------------------------------------------------

const PHOTO_SUFFIXES = [".jpg", ".jpeg", ".png"];

function isPhotoName(name) {
  const lower = name.toLowerCase();
  return PHOTO_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

// A short, stable digest of a long string (53-bit FNV-style mix): the key of a set of photos in the store.
function digest(text) {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

// What the person chose: one file (a video or a .zip), or photos (several files, or one from a folder) sent as
// one stream of their bytes in this order. entries: [{file, name}], name being the path inside a folder.
class Selection {
  constructor(entries, { folder = "", leftOut = [] } = {}) {
    this.entries = entries;
    this.folder = folder;
    this.leftOut = leftOut; // names in a folder that are not photos, not sent
    this.isPhotos = entries.length > 1 || Boolean(folder) || (entries.length === 1 && isPhotoName(entries[0].name));
    this.size = entries.reduce((sum, entry) => sum + entry.file.size, 0);
    this.blob = this.isPhotos ? new Blob(entries.map((entry) => entry.file)) : entries[0].file;
    const files = entries.map(({ file, name }) => [name, file.size, file.lastModified].join("|"));
    this.key = this.isPhotos ? `photos|${entries.length}|${this.size}|${digest(files.join("\n"))}` : files[0];
  }

  get label() {
    if (!this.isPhotos) return this.entries[0].file.name;
    const photos = `${this.entries.length.toLocaleString()} photo${this.entries.length === 1 ? "" : "s"}`;
    return this.folder ? `${photos} from ${this.folder}` : photos;
  }

  get photoFiles() {
    return this.entries.map(({ file, name }) => ({ name, size: file.size }));
  }

  // The capture's name to suggest: the file's or the folder's, cleaned; photos picked loose suggest none.
  get suggestedName() {
    if (!this.isPhotos) return stem(this.entries[0].file.name);
    return this.folder ? stem(`${this.folder}.`) : "";
  }
}

function naturalOrder(a, b) {
  return a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: "base" });
}

// Files of a folder (dropped, or chosen with the folder picker), its photos kept in name order: hidden files and
// macOS's __MACOSX copies are skipped, other files are left out and named.
function folderSelection(entries, folder) {
  const visible = entries.filter(({ name }) => !name.split("/").some((part) => part.startsWith(".") || part === "__MACOSX"));
  const photos = visible.filter(({ name }) => isPhotoName(name)).sort(naturalOrder);
  const leftOut = visible.filter(({ name }) => !isPhotoName(name)).map(({ name }) => name);
  return new Selection(photos, { folder, leftOut }); // no photos at all: choose() says so
}

function readEntries(reader) {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function fileOf(entry) {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

// Every file under a dropped folder, with its path inside the folder.
async function walk(directory, prefix, into) {
  const reader = directory.createReader();
  for (let batch = await readEntries(reader); batch.length; batch = await readEntries(reader)) {
    for (const entry of batch) {
      if (entry.isDirectory) await walk(entry, `${prefix}${entry.name}/`, into);
      else into.push({ file: await fileOf(entry), name: `${prefix}${entry.name}` });
    }
  }
}

// What a drop holds: files as they are, or a folder's photos. Entries must be taken from the event at once
// (the browser empties its DataTransfer after the handler), their files read afterwards.
async function dropSelection(entries, files) {
  if (!entries.length) return files.length ? new Selection(files.map((file) => ({ file, name: file.name }))) : null;
  const folders = entries.filter((entry) => entry.isDirectory);
  if (!folders.length) return new Selection(await Promise.all(entries.map(async (entry) => ({ file: await fileOf(entry), name: entry.name }))));
  const found = [];
  for (const entry of entries) {
    if (entry.isDirectory) await walk(entry, folders.length > 1 ? `${entry.name}/` : "", found);
    else found.push({ file: await fileOf(entry), name: entry.name });
  }
  return folderSelection(found, folders.length === 1 ? folders[0].name : "the dropped folders");
}

// --- remembered uploads ---------------------------------------------------------------------------------

function loadStore() {
  try {
    return JSON.parse(localStorage.getItem(STORE_KEY)) || {};
  } catch {
    return {};
  }
}

function saveStore(store) {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(store));
  } catch {
    // Private browsing or a full store: the upload works, it only cannot resume after a reload.
  }
}

function remember(selection, eid) {
  const store = loadStore();
  store[selection.key] = { eid, name: selection.label, size: selection.size, savedAt: Date.now() };
  // Keep the 20 newest; the server forgets unfinished uploads after a few days anyway.
  const newest = Object.entries(store).sort((a, b) => b[1].savedAt - a[1].savedAt).slice(0, 20);
  saveStore(Object.fromEntries(newest));
}

function remembered(selection) {
  const entry = loadStore()[selection.key];
  return entry && entry.size === selection.size ? entry : null;
}

function forget(selection) {
  const store = loadStore();
  delete store[selection.key];
  saveStore(store);
}

// --- words -------------------------------------------------------------------------------------------------

function humanBytes(bytes) {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function humanDuration(seconds) {
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  const hours = Math.floor(seconds / 3600);
  return `${hours} h ${Math.round((seconds - hours * 3600) / 60)} min`;
}

function stem(fileName) {
  const dot = fileName.lastIndexOf(".");
  return (dot > 0 ? fileName.slice(0, dot) : fileName).replace(/[_-]+/g, " ").trim().slice(0, 200);
}

// --- requests ------------------------------------------------------------------------------------------

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function pauseUntilOnline(ms) {
  await pause(ms);
  if (!navigator.onLine) {
    await new Promise((resolve) => window.addEventListener("online", resolve, { once: true }));
  }
}

// JSON from our own server; network failures and 5xx are worth another try, other refusals are not.
// With formErrors, a 400 is answered (the form's {errors}) instead of thrown.
async function requestJSON(url, { method = "GET", body, csrf, formErrors = false } = {}) {
  const headers = { Accept: "application/json" };
  if (csrf) headers["X-CSRFToken"] = csrf;
  if (body !== undefined && !(body instanceof FormData)) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method, headers, credentials: "same-origin",
      body: body === undefined || body instanceof FormData ? body : JSON.stringify(body),
    });
  } catch {
    throw new UploadError("The connection to Atlas was lost.", { retryable: true });
  }
  const isJSON = (response.headers.get("Content-Type") || "").includes("application/json");
  if (!isJSON) {
    if (response.redirected || response.status === 403) {
      throw new UploadError("You are signed out: sign in again, then choose the same file to resume.",
        { status: response.status });
    }
    throw new UploadError(`Atlas answered ${response.status}.`,
      { status: response.status, retryable: response.status >= 500 || response.status === 429 });
  }
  const data = await response.json();
  if (!response.ok && !(formErrors && response.status === 400)) {
    const detail = typeof data.detail === "string" ? data.detail
      : Array.isArray(data.detail) ? data.detail.map((entry) => entry.msg).join(" ")
        : `Atlas answered ${response.status}.`;
    throw new UploadError(detail, { status: response.status, retryable: response.status >= 500 || response.status === 429 });
  }
  return { status: response.status, data };
}

// PUTs one part; answers its ETag. onProgress(bytes sent of this part).
function putPart(url, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    let lastProgress = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - lastProgress > STALL_MS) xhr.abort();
    }, 5_000);
    const fail = (error) => {
      clearInterval(watchdog);
      reject(error);
    };
    xhr.open("PUT", url);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (event) => {
      lastProgress = Date.now();
      onProgress(event.loaded);
    };
    xhr.onload = () => {
      clearInterval(watchdog);
      if (xhr.status === 200 && xhr.getResponseHeader("ETag")) {
        resolve(xhr.getResponseHeader("ETag"));
        return;
      }
      let detail = `Atlas answered ${xhr.status}.`;
      try {
        detail = JSON.parse(xhr.responseText).detail || detail;
      } catch {
        // not JSON: keep the status
      }
      // 403: the signed URL expired; a new one is asked for on the next try.
      const retryable = xhr.status >= 500 || xhr.status === 403 || xhr.status === 408 || xhr.status === 429;
      reject(new UploadError(detail, { status: xhr.status, retryable }));
    };
    xhr.onerror = () => fail(new UploadError("The connection dropped.", { retryable: true }));
    xhr.onabort = () => fail(new UploadError("The connection stalled.", { retryable: true }));
    xhr.send(blob);
  });
}

// --- progress ------------------------------------------------------------------------------------------

class Progress {
  constructor(total, alreadyThere, render) {
    this.total = total;
    this.finished = alreadyThere; // bytes of parts that arrived (before or now)
    this.inFlight = new Map(); // part number -> bytes sent so far
    this.transferred = 0; // bytes sent in this session, never decreasing (for the speed)
    this.samples = [[performance.now(), 0]];
    this.render = render;
  }

  update(number, loaded) {
    const before = this.inFlight.get(number) || 0;
    if (loaded > before) this.transferred += loaded - before;
    this.inFlight.set(number, loaded);
    this.changed();
  }

  done(number, size) {
    this.inFlight.delete(number);
    this.finished += size;
    this.changed();
  }

  dropped(number) {
    this.inFlight.delete(number);
    this.changed();
  }

  get sent() {
    let inFlight = 0;
    for (const loaded of this.inFlight.values()) inFlight += loaded;
    return Math.min(this.total, this.finished + inFlight);
  }

  // Bytes a second over the last few seconds, or null before there is enough to tell.
  get speed() {
    const now = performance.now();
    this.samples.push([now, this.transferred]);
    while (this.samples.length > 2 && now - this.samples[1][0] > SPEED_WINDOW_MS) this.samples.shift();
    const [since, bytes] = this.samples[0];
    const seconds = (now - since) / 1000;
    return seconds >= 1 ? (this.transferred - bytes) / seconds : null;
  }

  changed() {
    this.render(this);
  }
}

// --- the page ------------------------------------------------------------------------------------------

function setUp(form) {
  const fileInput = form.querySelector("#id_file");
  const nameInput = form.querySelector("#id_name");
  const button = form.querySelector("#upload-button");
  const resumeNote = document.getElementById("upload-resume");
  const panel = document.getElementById("upload-panel");
  const bar = document.getElementById("upload-progress");
  const statusText = document.getElementById("upload-status");
  const fileNameText = document.getElementById("upload-file-name");
  const summary = document.getElementById("file-summary");
  const dropZone = document.getElementById("drop-zone");
  const folderInput = document.getElementById("id_folder");
  const folderButton = document.getElementById("choose-folder");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const partsUrl = (eid) => form.dataset.partsUrl.replace(ZERO_EID, eid);
  let busy = false;
  let lastText = 0;

  function setStatus(state, text) {
    statusText.dataset.state = state;
    statusText.textContent = text;
  }

  // --- errors next to the controls, as the server-rendered page shows them ---
  function clearErrors() {
    form.querySelectorAll(".errorlist").forEach((list) => list.remove());
    form.querySelectorAll("[aria-invalid]").forEach((control) => control.removeAttribute("aria-invalid"));
    const general = form.querySelector('[data-errors-for="__all__"]');
    general.replaceChildren();
    general.hidden = true;
  }

  function showErrors(errors) {
    clearErrors();
    for (const [name, messages] of Object.entries(errors)) {
      const control = form.querySelector(`#id_${name}`);
      if (name === "__all__" || !control) {
        const general = form.querySelector('[data-errors-for="__all__"]');
        for (const message of messages) general.append(Object.assign(document.createElement("p"), { textContent: message }));
        general.hidden = false;
        continue;
      }
      const list = document.createElement("ul");
      list.className = "errorlist";
      list.id = `id_${name}_error`;
      for (const message of messages) list.append(Object.assign(document.createElement("li"), { textContent: message }));
      const help = document.getElementById(`${control.id}_helptext`) || control;
      help.after(list);
      control.setAttribute("aria-invalid", "true");
    }
    const first = form.querySelector("[aria-invalid=true]");
    if (first) first.focus();
  }

  function lockForm(locked) {
    for (const control of form.elements) {
      if (control.type !== "hidden") control.disabled = locked;
    }
  }

  function render(progress) {
    bar.value = progress.total ? (100 * progress.sent) / progress.total : 0;
    const now = performance.now();
    if (now - lastText < 400 && progress.sent < progress.total) return;
    lastText = now;
    const speed = progress.speed;
    let text = `${humanBytes(progress.sent)} of ${humanBytes(progress.total)}`;
    if (speed) {
      text += ` · ${humanBytes(speed)}/s`;
      const left = (progress.total - progress.sent) / speed;
      if (progress.sent < progress.total) text += ` · about ${humanDuration(left)} left`;
    }
    setStatus("uploading", text);
  }

  // The plan of an earlier, unfinished upload of this very file (or these photos), or null.
  async function resumablePlan(selection) {
    const entry = remembered(selection);
    if (!entry) return null;
    try {
      const { data } = await requestJSON(partsUrl(entry.eid));
      const samePhotos = (data.photo_files || []).length === (selection.isPhotos ? selection.entries.length : 0);
      if (!data.uploaded && data.bytesize === selection.size && samePhotos) return data;
    } catch (error) {
      if (error.retryable) throw error; // keep the entry: the server may answer later
    }
    forget(selection); // deleted, finished, or for another file
    return null;
  }

  async function sendPart(selection, plan, number, progress) {
    const start = (number - 1) * plan.chunk_size;
    const blob = selection.blob.slice(start, Math.min(start + plan.chunk_size, selection.size));
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { data } = await requestJSON(`${plan.api_url}/create-upload-url/${number}`,
          { method: "POST", body: { eid: plan.eid, bytesize: selection.size }, csrf });
        const etag = await putPart(data.upload_url, blob, (loaded) => progress.update(number, loaded));
        progress.done(number, blob.size);
        return etag;
      } catch (error) {
        progress.dropped(number);
        if (!error.retryable || attempt >= MAX_ATTEMPTS) throw error;
        const wait = Math.min(30_000, 1000 * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2);
        setStatus("retrying", `${error.message} Sending part ${number} again in ${humanDuration(wait / 1000)} `
          + `(try ${attempt + 1} of ${MAX_ATTEMPTS}); parts already sent are kept.`);
        await pauseUntilOnline(wait);
      }
    }
  }

  async function sendParts(selection, plan) {
    const etags = new Map(plan.parts.map((part) => [part.number, part.etag]));
    const already = plan.parts.reduce((sum, part) => sum + part.size, 0);
    const missing = [];
    for (let number = 1; number <= plan.num_parts; number += 1) if (!etags.has(number)) missing.push(number);
    const progress = new Progress(selection.size, already, render);
    render(progress);
    let failure = null;
    const worker = async () => {
      while (missing.length && !failure) {
        const number = missing.shift();
        try {
          etags.set(number, await sendPart(selection, plan, number, progress));
        } catch (error) {
          failure = failure || error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, missing.length) }, worker));
    if (failure) throw failure;
    return [...etags].map(([number, etag]) => ({ number, etag })).sort((a, b) => a.number - b.number);
  }

  async function complete(plan, parts) {
    setStatus("completing", "All parts arrived. Checking them and starting the reconstruction…");
    for (let attempt = 1; ; attempt += 1) {
      try {
        await requestJSON(`${plan.api_url}/uploaded`, { method: "POST", body: { eid: plan.eid, parts }, csrf });
        return;
      } catch (error) {
        if (error.status === 409) return; // an earlier try got through; the answer was lost
        if (!error.retryable || attempt >= MAX_ATTEMPTS) throw error;
        await pauseUntilOnline(Math.min(30_000, 1000 * 2 ** (attempt - 1)));
      }
    }
  }

  // --- choosing: the file input (one file, or several photos), a folder, or a drop ---
  let selection = null;

  function fillHiddenFields() {
    const single = selection && !selection.isPhotos ? selection.entries[0].file : null;
    form.elements.file_name.value = single ? single.name : "";
    form.elements.file_size.value = single ? single.size : "";
    form.elements.photo_files.value = selection?.isPhotos ? JSON.stringify(selection.photoFiles) : "";
  }

  async function choose(chosen) {
    resumeNote.hidden = true;
    clearErrors();
    if (chosen && !chosen.entries.length) {
      showErrors({ file: [`${chosen.folder === "the dropped folders" ? "The dropped folders hold" : `The folder ${chosen.folder} holds`} `
        + `no JPEG or PNG photos. ${CHOOSE}`] });
      chosen = null;
    }
    selection = chosen;
    fillHiddenFields();
    summary.hidden = !selection;
    if (!selection) return;
    let words = `${selection.label} · ${humanBytes(selection.size)}`;
    if (selection.leftOut.length) {
      const shown = selection.leftOut.slice(0, 3).join(", ");
      const more = selection.leftOut.length > 3 ? ` and ${selection.leftOut.length - 3} more` : "";
      words += `. Left out, not JPEG or PNG photos: ${shown}${more}.`;
    }
    summary.textContent = words;
    if (!nameInput.value.trim()) nameInput.value = selection.suggestedName;
    form.dispatchEvent(new CustomEvent("atlas:chosen", {
      detail: { kind: selection.isPhotos || selection.label.toLowerCase().endsWith(".zip") ? "photos" : "video",
        file: selection.isPhotos ? null : selection.entries[0].file, photos: selection.isPhotos ? selection.entries.length : null },
    }));
    try {
      const plan = await resumablePlan(selection);
      if (plan && selection === chosen) {
        resumeNote.textContent = `${selection.isPhotos ? "These photos were" : "This file was"} partly uploaded before as `
          + `“${plan.name}”: ${plan.parts.length} of ${plan.num_parts} parts arrived. Uploading sends only the rest; `
          + "that capture's name and settings are kept.";
        resumeNote.hidden = false;
      }
    } catch {
      // The server did not answer; submitting asks again.
    }
  }

  // The picker's files as they were chosen: several are photos; one is a video, a .zip, or a single photo.
  function pickedSelection(input) {
    const files = [...input.files];
    if (!files.length) return null;
    if (input.webkitdirectory) {
      const entries = files.map((file) => ({ file, name: file.webkitRelativePath.split("/").slice(1).join("/") || file.name }));
      return folderSelection(entries, files[0].webkitRelativePath.split("/")[0] || "the folder");
    }
    return new Selection(files.map((file) => ({ file, name: file.name })));
  }

  fileInput.addEventListener("change", () => choose(pickedSelection(fileInput)));
  folderInput?.addEventListener("change", () => {
    fileInput.value = "";
    choose(pickedSelection(folderInput));
  });
  folderButton?.addEventListener("click", () => folderInput.click());

  dropZone.addEventListener("dragover", (event) => {
    if (busy || !event.dataTransfer.types.includes("Files")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    dropZone.dataset.dragging = "true";
  });
  dropZone.addEventListener("dragleave", (event) => {
    if (!dropZone.contains(event.relatedTarget)) delete dropZone.dataset.dragging;
  });
  dropZone.addEventListener("drop", async (event) => {
    event.preventDefault();
    delete dropZone.dataset.dragging;
    if (busy) return;
    const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
    const files = [...event.dataTransfer.files];
    fileInput.value = "";
    if (folderInput) folderInput.value = "";
    try {
      await choose(await dropSelection(entries, files));
    } catch {
      showErrors({ file: ["The dropped files could not be read. Choose them with the button instead."] });
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    // Without a file the form still goes to the server, which names every problem at once.
    const chosen = selection;
    busy = true;
    clearErrors();
    panel.hidden = !chosen;
    fileNameText.textContent = chosen ? chosen.label : "";
    setStatus("starting", "Preparing the upload…");
    fillHiddenFields();
    const body = new FormData(form); // read before the controls are disabled
    lockForm(true);
    try {
      let plan = chosen ? await resumablePlan(chosen) : null;
      if (plan) {
        setStatus("resuming", `Resuming: ${plan.parts.length} of ${plan.num_parts} parts arrived before.`);
      } else {
        const { status, data } = await requestJSON(form.action, { method: "POST", body, csrf, formErrors: true });
        if (status === 400 || !chosen) {
          panel.hidden = true;
          showErrors(data.errors || {});
          return;
        }
        plan = data;
        remember(chosen, plan.eid);
      }
      const parts = await sendParts(chosen, plan);
      bar.value = 100;
      await complete(plan, parts);
      forget(chosen);
      setStatus("done", "Upload complete. Opening the capture…");
      window.location.assign(plan.detail_url);
    } catch (error) {
      if (!chosen) {
        showErrors({ __all__: [error.message] });
        return;
      }
      const again = chosen.isPhotos ? "choose the same photos" : "choose the same file";
      setStatus("error", `The upload stopped: ${error.message} Press “Upload and reconstruct” again (or come back `
        + `later and ${again}) to send the parts that are missing.`);
    } finally {
      busy = false;
      lockForm(false);
    }
  });

  form.dataset.uploaderReady = "true";
}

const captureForm = document.getElementById("capture-form");
if (captureForm) setUp(captureForm);

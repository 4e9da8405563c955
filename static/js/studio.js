// The avatar studio (templates/dashboard/studio/studio.html): each slider shows its value, "Reset" puts a group's
// sliders back to average, and every change of the avatar (not of the video options) posts the form to
// data-preview-url ~300 ms after the last one; the .glb it answers replaces the avatar in the 3D viewer
// (viewer.js showMesh), the camera staying where the person left it. One preview is made at a time: changes made
// meanwhile are sent together once it is back. A refused setting shows the server's message. The background colour
// needs no new mesh: the preview's backdrop takes it at once.

const DEBOUNCE_MS = 300;

const form = document.getElementById("studio-form");
const status = document.getElementById("studio-preview-status");
const problem = document.getElementById("studio-preview-error");
const viewer = window.atlasViewer; // viewer.js runs first: its module script comes earlier in the page

let timer = null;
let inFlight = false;
let dirty = false;
let shownUrl = null;

function signed(value) {
  const number = Number(value);
  if (!Number.isFinite(number) || Math.abs(number) < 1e-9) return "0";
  return `${number > 0 ? "+" : "−"}${Math.abs(number).toFixed(1)}`;
}

function showValue(slider) {
  const output = form.querySelector(`output[for="${slider.id}"]`);
  if (output) output.textContent = signed(slider.value);
  slider.closest(".studio-slider")?.toggleAttribute("data-changed", Math.abs(Number(slider.value)) > 1e-9);
}

function paintBackground() {
  const input = form.elements.background_color;
  if (viewer && viewer.scene && input && /^#[0-9a-f]{6}$/i.test(input.value)) viewer.scene.background.set(input.value);
}

function say(text, state) {
  status.textContent = text;
  status.dataset.state = state;
}

function refuse(text) {
  problem.querySelector("[data-message]").textContent = text;
  problem.hidden = false;
}

async function preview() {
  if (inFlight) {
    dirty = true;
    return;
  }
  inFlight = true;
  dirty = false;
  say("Updating the preview…", "busy");
  try {
    const response = await fetch(form.dataset.previewUrl, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "X-CSRFToken": form.elements.csrfmiddlewaretoken.value, Accept: "model/gltf-binary" },
    });
    if (response.ok) {
      const url = URL.createObjectURL(await response.blob());
      problem.hidden = true;
      const shown = viewer ? await viewer.showMesh(url) : false;
      if (shown) {
        paintBackground();
        if (shownUrl) URL.revokeObjectURL(shownUrl);
        shownUrl = url;
        say("Preview up to date.", "ready");
      } else {
        URL.revokeObjectURL(url);
        if (!dirty) say("The preview could not be shown.", "error");
      }
    } else {
      let message = `The preview could not be made (the server answered ${response.status}).`;
      try {
        message = (await response.json()).message || message;
      } catch {
        // not JSON: keep the status line
      }
      refuse(message);
      say("The preview shows the last settings that worked.", "error");
    }
  } catch {
    say("The preview could not be reached: check the connection, then change a setting to try again.", "error");
  } finally {
    inFlight = false;
    if (dirty) preview();
  }
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(preview, DEBOUNCE_MS);
}

function changed(event) {
  const control = event.target;
  if (control.type === "range") showValue(control);
  if (control.closest("[data-preview-background]")) paintBackground();
  if (control.closest("[data-no-preview]")) return;
  schedule();
}

if (form) {
  for (const slider of form.querySelectorAll("input[type=range]")) showValue(slider);
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  for (const button of form.querySelectorAll("[data-reset-group]")) {
    button.addEventListener("click", () => {
      const group = button.closest("[data-slider-group]");
      for (const slider of group.querySelectorAll("input[type=range]")) {
        slider.value = "0";
        showValue(slider);
      }
      schedule();
    });
  }
  // A generate button shows that its request is on its way; a second click does not ask twice.
  form.addEventListener("submit", (event) => {
    if (form.dataset.sending === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "true";
    event.submitter?.setAttribute("aria-busy", "true");
  });
  window.addEventListener("pageshow", () => { // back from the result page (the page may come from the cache)
    form.dataset.sending = "false";
    for (const button of form.querySelectorAll("button[aria-busy]")) button.removeAttribute("aria-busy");
  });
  preview();
}

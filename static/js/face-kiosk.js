// The Face ID kiosk (templates/dashboard/faces/kiosk.html): opens the camera, sends a frame every few seconds
// (or on the button) to the project's check-in endpoint and shows who was recognised in the banner.
//
// A scene that has not changed since the last frame sent is not sent again while its answer still holds:
// a person who was just checked in is not checked in again for standing still, and an empty hallway is
// asked about only every REASK_MS, so the log is not flooded with "no face" lines.
import { cameraError, openCamera, snapshot } from "./face-camera-util.js";

const root = document.getElementById("kiosk");
const video = document.getElementById("kiosk-video");
const banner = document.getElementById("kiosk-banner");
const eyebrow = document.getElementById("kiosk-eyebrow");
const title = document.getElementById("kiosk-title");
const detail = document.getElementById("kiosk-detail");
const checkButton = document.getElementById("kiosk-check");
const autoBox = document.getElementById("kiosk-auto");
const fullscreenButton = document.getElementById("kiosk-fullscreen");

const INTERVAL_MS = Number(root.dataset.interval) || 1500;
const RESULT_MS = 6000; // how long a result stays up before the banner asks for the next person
const REASK_MS = 10000; // an unchanged scene that gave no check-in is sent again after this long
const CHANGE = 10; // mean grey-level difference (0-255) of the small signature that counts as a change

let busy = false;
let last = { signature: null, state: null, at: 0 };
let resetTimer = null;

function show(state, heading, text = "", kicker = "") {
  banner.dataset.state = state;
  eyebrow.textContent = kicker;
  eyebrow.hidden = !kicker;
  title.textContent = heading;
  detail.textContent = text;
  clearTimeout(resetTimer);
  if (state !== "idle" && state !== "error") resetTimer = setTimeout(ready, RESULT_MS);
}

function ready() {
  show("idle", "Look at the camera", autoBox.checked ? "You are checked in as soon as you are recognised."
    : "Press “Check in now” while looking at the camera.", "Check-in");
}

// A 32×24 grey picture of the current frame: enough to tell that someone arrived or left.
const tiny = Object.assign(document.createElement("canvas"), { width: 32, height: 24 });
function signature() {
  const context = tiny.getContext("2d", { willReadFrequently: true });
  context.drawImage(video, 0, 0, tiny.width, tiny.height);
  const { data } = context.getImageData(0, 0, tiny.width, tiny.height);
  const grey = new Uint8Array(tiny.width * tiny.height);
  for (let i = 0; i < grey.length; i += 1) grey[i] = (data[4 * i] + data[4 * i + 1] + data[4 * i + 2]) / 3;
  return grey;
}

function difference(a, b) {
  let total = 0;
  for (let i = 0; i < a.length; i += 1) total += Math.abs(a[i] - b[i]);
  return total / a.length;
}

function worthSending(current) {
  if (!last.signature || difference(current, last.signature) > CHANGE) return true;
  if (last.state === "matched") return false;
  return performance.now() - last.at > REASK_MS;
}

// "No face was found in the image. Take the photo…" → a heading and the advice under it.
function split(message) {
  const cut = message.indexOf(". ");
  return cut < 0 ? [message, ""] : [message.slice(0, cut + 1), message.slice(cut + 2)];
}

async function checkIn({ manual = false } = {}) {
  if (busy || !video.videoWidth) return;
  const current = signature();
  if (!manual && !worthSending(current)) return;
  busy = true;
  checkButton.setAttribute("aria-busy", "true");
  let state = "error";
  try {
    const body = new FormData();
    body.append("image", await snapshot(video, 960), "frame.jpg");
    const response = await fetch(root.dataset.checkInUrl, {
      method: "POST", body, credentials: "same-origin",
      headers: { "X-CSRFToken": root.dataset.csrf, Accept: "application/json" },
    });
    const data = await response.json().catch(() => ({}));
    if (response.ok && data.matched) {
      state = "matched";
      const status = data.status ? `${data.status} · ` : "";
      show(state, data.name, `${status}${data.similarity}% similar (${data.threshold}% needed)`, "Welcome");
    } else if (response.ok) {
      state = "unknown";
      show(state, "Not recognised", data.reason || "Nobody enrolled looks enough like this face.", "Sorry");
    } else if (response.status === 409 || response.status === 400) {
      state = "refused";
      const [heading, advice] = split(data.message || "The photo could not be used.");
      show(state, heading, advice, "Not checked in");
    } else {
      show("error", "Check-in is not working", data.message || `Atlas answered ${response.status}.`, "Problem");
    }
  } catch {
    show("error", "No connection to Atlas", "Trying again in a moment.", "Problem");
  } finally {
    last = { signature: current, state, at: performance.now() };
    busy = false;
    checkButton.removeAttribute("aria-busy");
  }
}

async function start() {
  try {
    await openCamera(video, { width: { ideal: 1280 }, height: { ideal: 720 } });
  } catch (error) {
    const [heading, text] = cameraError(error);
    show("error", heading, text, "Camera");
    return;
  }
  checkButton.disabled = false;
  if (!detail.textContent.trim()) ready();
  else show("error", "Nobody is enrolled yet", detail.textContent, "Check-in");
  setInterval(() => {
    if (autoBox.checked && !document.hidden) checkIn();
  }, INTERVAL_MS);
}

checkButton.addEventListener("click", () => checkIn({ manual: true }));
autoBox.addEventListener("change", () => { if (banner.dataset.state === "idle") ready(); });
if (document.fullscreenEnabled) {
  fullscreenButton.hidden = false;
  fullscreenButton.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  });
}
start();

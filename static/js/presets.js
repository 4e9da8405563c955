// The new-capture page's quality presets: the iterations field only for Custom, and each preset's expected
// time for what was chosen. The server estimates (captures/estimates.py) from what the browser can read
// before sending a byte: a video's frame size from its metadata, or that they are photos (and how many).
// The uploader (uploader.js) says what was chosen with an "atlas:chosen" event on the form.

const fieldset = document.getElementById("presets");
const form = document.getElementById("capture-form");
const custom = document.getElementById("custom-iterations");
const basis = document.getElementById("preset-basis");

function showCustom() {
  const chosen = fieldset.querySelector("input[name=preset]:checked");
  custom.hidden = !chosen || chosen.value !== "custom";
}

// A video's displayed size from its metadata, or null when this browser cannot read it (e.g. HEVC).
function videoSize(file) {
  return new Promise((resolve) => {
    const video = document.createElement("video");
    const url = URL.createObjectURL(file);
    const done = (size) => {
      URL.revokeObjectURL(url);
      resolve(size);
    };
    video.preload = "metadata";
    video.muted = true;
    video.addEventListener("loadedmetadata", () => done(video.videoWidth ? [video.videoWidth, video.videoHeight] : null));
    video.addEventListener("error", () => done(null));
    setTimeout(() => done(null), 5000);
    video.src = url;
  });
}

async function updateTimes({ detail: { kind, file, photos } }) {
  const query = new URLSearchParams({ kind });
  if (photos) query.set("photos", photos);
  if (kind === "video") {
    const size = await videoSize(file);
    if (size) {
      query.set("width", size[0]);
      query.set("height", size[1]);
    }
  }
  try {
    const response = await fetch(`${fieldset.dataset.estimatesUrl}?${query}`, { credentials: "same-origin" });
    if (!response.ok) return;
    const { presets } = await response.json();
    for (const preset of presets) {
      const time = fieldset.querySelector(`[data-preset-time="${preset.name}"]`);
      if (time) time.textContent = preset.words;
    }
    const what = photos ? `these ${photos.toLocaleString()} photos` : kind === "photos" ? "these photos" : query.has("width")
      ? `this ${query.get("width")}×${query.get("height")} video` : "this video";
    basis.textContent = `Times for ${what} on this server's workers${presets[0]?.measured ? "" : " (not measured yet: "
      + "the reference machine's figures)"}, including finding the camera positions and writing the model files.`;
    fieldset.dataset.estimated = "true";
  } catch {
    // The times stay those of a typical video.
  }
}

if (fieldset) {
  fieldset.addEventListener("change", showCustom);
  form?.addEventListener("atlas:chosen", updateTimes);
  showCustom();
}

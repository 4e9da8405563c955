// The camera, as the Face ID pages use it: open it into a <video>, take a JPEG of the current frame, and say in
// words why it could not open.

export async function openCamera(video, size = {}) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw Object.assign(new Error("no getUserMedia"), { name: "NoMediaDevices" });
  }
  const stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: "user", ...size } });
  video.srcObject = stream;
  if (video.readyState < 1) await new Promise((resolve) => video.addEventListener("loadedmetadata", resolve, { once: true }));
  await video.play().catch(() => {});
  return stream;
}

export function closeCamera(video) {
  for (const track of video.srcObject?.getTracks() ?? []) track.stop();
  video.srcObject = null;
}

// The frame as a JPEG Blob, its longer side at most `maxSide` pixels.
export function snapshot(video, maxSide = 1280) {
  const scale = Math.min(1, maxSide / Math.max(video.videoWidth, video.videoHeight));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => canvas.toBlob(
    (blob) => (blob ? resolve(blob) : reject(new Error("The frame could not be encoded."))), "image/jpeg", 0.9));
}

// [heading, advice] for a camera that did not open.
export function cameraError(error) {
  switch (error?.name) {
    case "NoMediaDevices":
      return ["No camera here", "This browser cannot use a camera on this page. Open it over HTTPS in a current "
        + "browser (Chrome, Edge, Firefox or Safari)."];
    case "NotAllowedError":
    case "SecurityError":
      return ["Camera access was refused", "Allow this site to use the camera (the camera icon in the address "
        + "bar, or the browser's site settings), then reload the page."];
    case "NotFoundError":
    case "OverconstrainedError":
      return ["No camera found", "Connect a camera, then reload the page."];
    case "NotReadableError":
    case "AbortError":
      return ["The camera is busy", "Another app or tab is using it. Close it, then reload the page."];
    default:
      return ["The camera could not start", error?.message || "Reload the page to try again."];
  }
}

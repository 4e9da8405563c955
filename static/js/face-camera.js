// A person's page (templates/dashboard/faces/person.html): enrol a face from the webcam. The snapshot is posted
// as one of the enrol form's photos; the page then reloads to list what it gave.
import { cameraError, closeCamera, openCamera, snapshot } from "./face-camera-util.js";

const section = document.getElementById("webcam");
const form = document.getElementById("enrol-form");

if (section && form && navigator.mediaDevices?.getUserMedia) {
  const frame = section.querySelector(".webcam-frame");
  const video = document.getElementById("webcam-video");
  const status = document.getElementById("webcam-status");
  const startButton = document.getElementById("webcam-start");
  const snapButton = document.getElementById("webcam-snap");
  const stopButton = document.getElementById("webcam-stop");
  section.hidden = false;

  const running = (on) => {
    frame.hidden = !on;
    snapButton.hidden = !on;
    stopButton.hidden = !on;
    startButton.hidden = on;
  };

  startButton.addEventListener("click", async () => {
    status.textContent = "Starting the camera…";
    try {
      await openCamera(video, { width: { ideal: 1280 }, height: { ideal: 720 } });
    } catch (error) {
      const [heading, advice] = cameraError(error);
      status.textContent = `${heading}. ${advice}`;
      return;
    }
    running(true);
    status.textContent = "Face the camera in good light, then take the photo.";
  });

  stopButton.addEventListener("click", () => {
    closeCamera(video);
    running(false);
    status.textContent = "";
  });

  snapButton.addEventListener("click", async () => {
    snapButton.disabled = true;
    snapButton.setAttribute("aria-busy", "true");
    status.textContent = "Enrolling…";
    try {
      const body = new FormData();
      body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      if (form.querySelector("[name=save_image]")?.checked) body.append("save_image", "on");
      body.append("photos", await snapshot(video), `camera-${new Date().toISOString().slice(0, 19)}.jpg`);
      const response = await fetch(section.dataset.enrolUrl, {
        method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" },
      });
      const data = await response.json().catch(() => ({}));
      if (data.url) {
        closeCamera(video);
        window.location.assign(data.url);
        return;
      }
      status.textContent = data.message || `The photo was not enrolled (Atlas answered ${response.status}).`;
    } catch {
      status.textContent = "No connection to Atlas: try again.";
    }
    snapButton.disabled = false;
    snapButton.removeAttribute("aria-busy");
  });
}

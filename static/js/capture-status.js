// The capture page's live part: polls status.json every 2 s until the capture is ready or failed, then
// reloads the page once so the outputs, the preview and the 3D viewer appear (the polling: job-poll.js).
// "Notify me when it's ready" and the browser notification: job-notify.js. The "Copy link" button is copy.js.

import "./copy.js";
import { jobNotifier } from "./job-notify.js";
import { followJob, setHidden } from "./job-poll.js";

const section = document.getElementById("capture-status");
const notifier = jobNotifier({
  key: `atlas-capture-finished:${section.dataset.eid}`,
  button: document.getElementById("capture-notify"),
  note: document.getElementById("capture-notify-note"),
});

function news(status) {
  const name = document.getElementById("capture-name").textContent.trim();
  return status.state === "READY"
    ? { title: `Your 3D model of ${name} is ready`, body: "Open the tab to see it." }
    : { title: `${name} could not be made into a 3D model`, body: status.failure_reason || "Open the tab to see why." };
}

// The estimate behind the bar is corrected as the run measures its own speed: the bar never moves back meanwhile.
let shownOverall = 0;

function render(status) {
  const section = document.getElementById("capture-status");
  section.dataset.state = status.state;
  section.dataset.finished = status.finished ? "true" : "false";
  const badge = document.getElementById("capture-state");
  badge.textContent = status.state_label;
  badge.className = `badge badge-${status.badge}`;
  document.getElementById("capture-step").textContent = status.step || "";

  const stage = document.getElementById("capture-stage");
  stage.textContent = status.stage_label || "";
  setHidden(stage, !status.stage || status.finished);

  const processing = status.state === "PROCESSING";
  shownOverall = processing ? Math.max(shownOverall, status.progress.overall) : status.progress.overall;
  document.getElementById("capture-progress").value = shownOverall;
  setHidden(document.getElementById("capture-overall"), status.finished);  // no bar once ready or failed
  document.getElementById("capture-current-progress").value = status.progress.current;
  // "42%", "iteration 1,200 of 3,000" while the stage counts something, "about 3 min left" once it is known.
  setHidden(document.getElementById("capture-progress-text"), status.state !== "PROCESSING");
  const percent = processing ? Math.max(status.progress.percent, Math.floor(shownOverall * 100)) : status.progress.percent;
  document.getElementById("capture-percent").textContent = `${percent}%`;
  for (const [id, text] of [["capture-counter", status.progress.counter], ["capture-time-left", status.progress.time_left]]) {
    const element = document.getElementById(id);
    element.textContent = text || "";
    setHidden(element, !text);
  }
  setHidden(document.getElementById("capture-current"), status.state !== "PROCESSING");
  setHidden(document.getElementById("capture-upload-note"), !["CREATED", "UPLOADING"].includes(status.state));

  const queue = document.getElementById("capture-queue");
  const waiting = status.state === "UPLOADED" && status.queue_position >= 0;
  if (waiting) {
    const ahead = status.queue_position;
    queue.textContent = ahead === 0 ? "Next in the queue." : `${ahead} job${ahead === 1 ? "" : "s"} ahead in the queue.`;
  }
  setHidden(queue, !waiting);

  document.getElementById("capture-failure-reason").textContent = status.failure_reason || "";
  setHidden(document.getElementById("capture-failure"), !status.failure_reason);

  if (status.finished && !status.cancelled) notifier.finished(news(status));  // a cancel is the person's own doing
  setHidden(document.getElementById("capture-notify-box"), status.finished);

  const gif = document.getElementById("capture-gif");
  if (status.gif_url && !gif.getAttribute("src")) {
    gif.src = status.gif_url;
    gif.hidden = false;
    setHidden(document.getElementById("capture-gif-empty"), true);
  }
}

notifier.showPending();
followJob(section, render, {
  pollHidden: () => "Notification" in window && Notification.permission === "granted",
});

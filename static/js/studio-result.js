// An avatar picture's or video's page (templates/dashboard/studio/result.html): follows its job through
// status.json (job-poll.js) — waiting in the queue, the stage, the percent and the time left — and reloads once it
// has finished, so the picture or video, the 3D avatar and the downloads appear (or the reason it failed).

import { followJob, setHidden } from "./job-poll.js";

function render(status) {
  const section = document.getElementById("studio-status");
  section.dataset.state = status.state;
  section.dataset.finished = status.finished ? "true" : "false";
  const badge = document.getElementById("result-state");
  badge.textContent = status.state_label;
  badge.className = `badge badge-${status.badge}`;
  document.getElementById("result-stage").textContent = status.stage_label || "";

  const bar = document.getElementById("result-progress");
  if (bar) {
    bar.value = status.fraction;
    bar.textContent = `${status.percent}%`;
  }
  const position = document.getElementById("result-position");
  if (position) position.textContent = status.position_text || "";
  const percent = document.getElementById("result-percent");
  if (percent) {
    percent.textContent = `${status.percent}%`;
    setHidden(percent, status.state !== "processing");
  }
  const timeLeft = document.getElementById("result-time-left");
  if (timeLeft) {
    timeLeft.textContent = status.time_left || "";
    setHidden(timeLeft, !status.time_left);
  }
  document.getElementById("result-failure-reason").textContent = status.failure_reason || "";
  setHidden(document.getElementById("result-failure"), !status.failure_reason);
}

followJob(document.getElementById("studio-status"), render);

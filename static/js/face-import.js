// A people import's page (templates/dashboard/faces/import.html): follows its job through status.json
// (job-poll.js) — the state, the stage, "12 of 40 photos", the percent and the time left — and reloads once it
// has finished, so the report's rows appear.

import { followJob, setHidden } from "./job-poll.js";

function render(status) {
  const section = document.getElementById("import-status");
  section.dataset.state = status.state;
  section.dataset.finished = status.finished ? "true" : "false";
  const badge = document.getElementById("import-state");
  badge.textContent = status.state_label;
  badge.className = `badge badge-${status.badge}`;
  document.getElementById("import-stage").textContent = status.finished ? "" : status.stage_label || "";

  const bar = document.getElementById("import-progress");
  bar.value = status.fraction;
  bar.textContent = `${status.percent}%`;
  document.getElementById("import-position").textContent = status.position_text || "";
  const percent = document.getElementById("import-percent");
  percent.textContent = `${status.percent}%`;
  setHidden(percent, status.state === "queued" || Boolean(status.failure_reason));
  const timeLeft = document.getElementById("import-time-left");
  timeLeft.textContent = status.time_left || "";
  setHidden(timeLeft, !status.time_left);

  document.getElementById("import-failure-reason").textContent = status.failure_reason || "";
  setHidden(document.getElementById("import-failure"), !status.failure_reason);
}

followJob(document.getElementById("import-status"), render);

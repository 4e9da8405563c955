// A job's live part, shared by the pages that follow a worker's job (a capture: capture-status.js; a people
// import: face-import.js): polls the section's data-status-url every 2 s while the tab is visible (every 10 s
// while it is hidden, when the page asks to: someone waits for a browser notification), hands each answer to the
// page's `render`, and reloads the page once the job has finished, so what it made appears.

const POLL_MS = 2_000;
const HIDDEN_POLL_MS = 10_000;

export function setHidden(element, hidden) {
  if (element) element.hidden = hidden;
}

async function poll(section, render, pollHidden) {
  const visible = document.visibilityState === "visible";
  if (visible || pollHidden()) {
    try {
      const response = await fetch(section.dataset.statusUrl, {
        headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
      });
      if (response.ok) {
        const status = await response.json();
        render(status);
        if (status.finished) {
          window.location.reload();
          return;
        }
      }
    } catch {
      // Offline for a moment: the next poll tries again.
    }
  }
  setTimeout(() => poll(section, render, pollHidden), visible ? POLL_MS : HIDDEN_POLL_MS);
}

// Follows the job of `section` (an element with data-status-url and data-finished) until it finishes;
// `pollHidden()` true: keep polling while the tab is hidden.
export function followJob(section, render, { pollHidden = () => false } = {}) {
  if (section && section.dataset.finished !== "true") {
    setTimeout(() => poll(section, render, pollHidden), POLL_MS);
  }
}

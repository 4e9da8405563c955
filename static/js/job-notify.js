// Browser notifications for a job the page follows (a capture: capture-status.js). A "Notify me when it's ready"
// button asks the browser's permission, only when clicked, never on load. When the page's polling sees the job
// finish, job-poll.js reloads the page: the news is kept in sessionStorage across that reload and the reloaded
// page shows it as a Notification (a click on it brings this tab back), so the click still has a page to return
// to. Where the Notification API is missing, the button stays hidden and nothing else changes.

import { setHidden } from "./job-poll.js";

const supported = () => typeof window.Notification === "function";

function show({ title, body, tag }) {
  try {
    const notification = new Notification(title, { body, tag });
    notification.onclick = () => {
      window.focus();
      notification.close();
    };
  } catch {
    // Some browsers (Android Chrome) only allow notifications from a service worker: the page says it anyway.
  }
}

// `key`: this job's name in sessionStorage; `button`: the "Notify me" button; `note`: where the permission's state
// is said. Returns { finished(news), showPending() } where news is { title, body }.
export function jobNotifier({ key, button, note }) {
  function describe() {
    if (!supported()) return;
    const permission = Notification.permission;
    setHidden(button, permission !== "default");
    if (note) {
      note.textContent = permission === "granted"
        ? "This tab will show a notification when it is done."
        : permission === "denied" ? "Notifications are blocked for this site in your browser's settings." : "";
      setHidden(note, permission === "default");
    }
  }

  if (button) {
    button.addEventListener("click", () => {
      if (!supported()) return;
      // Older Safari answers through a callback instead of a promise.
      const asked = Notification.requestPermission(describe);
      if (asked && typeof asked.then === "function") asked.then(describe, describe);
    });
  }
  describe();

  return {
    finished(news) {
      if (!supported() || Notification.permission !== "granted") return;
      const message = { ...news, tag: key };
      try {
        sessionStorage.setItem(key, JSON.stringify(message));
      } catch {
        show(message);
      }
    },
    showPending() {
      let stored = null;
      try {
        stored = sessionStorage.getItem(key);
        sessionStorage.removeItem(key);
      } catch {
        return;
      }
      if (stored && supported() && Notification.permission === "granted") show(JSON.parse(stored));
    },
  };
}

// The captures list's controls apply as soon as a select changes (the search applies on Enter); the Apply button
// stays only for pages without JavaScript.

const form = document.getElementById("capture-filter");
if (form) {
  for (const button of form.querySelectorAll("[data-without-js]")) button.hidden = true;
  form.addEventListener("change", (event) => {
    if (event.target.matches("select")) form.requestSubmit();
  });
}

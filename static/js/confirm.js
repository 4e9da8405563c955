// Forms with data-confirm="question" ask it before they are sent (a removal, say); "Cancel" keeps the page as it is.
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

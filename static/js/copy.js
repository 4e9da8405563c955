// Copy buttons: <button data-copy="#field" hidden> copies the field's value. Hidden where the browser cannot copy
// (no clipboard API, or not a secure context), so the person selects the text themselves.
for (const button of document.querySelectorAll("[data-copy]")) {
  const source = document.querySelector(button.dataset.copy);
  if (!source || !navigator.clipboard) continue;
  const label = button.textContent;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.value ?? source.textContent);
      button.textContent = "Copied";
    } catch {
      if (source.select) source.select(); // the person can copy it with the keyboard
      button.textContent = "Press Ctrl+C";
    }
    setTimeout(() => { button.textContent = label; }, 2_000);
  });
}

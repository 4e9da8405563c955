// <time datetime="…" data-local> shows its moment in the reader's own time zone (the page is written in the
// server's); the zone is named in the tooltip.
const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
for (const element of document.querySelectorAll("time[data-local]")) {
  const moment = new Date(element.getAttribute("datetime"));
  if (Number.isNaN(moment.getTime())) continue;
  element.textContent = format.format(moment);
  element.title = zone;
}

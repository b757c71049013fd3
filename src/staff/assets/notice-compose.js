// Notices in the staff console: applies the message's own colours to the LINE preview (the
// console's CSP forbids inline styles, not styles set from a script), and keeps the recipient count
// of the compose form live as staff tick the audience conditions.
for (const element of document.querySelectorAll("[data-fg]")) element.style.color = element.dataset.fg;
for (const element of document.querySelectorAll("[data-bg]")) element.style.backgroundColor = element.dataset.bg;

const form = document.querySelector("form[data-count-url]");
const output = document.getElementById("recipient-count");
if (form && output) {
  let latest = 0;
  const refresh = async () => {
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (name === "audience" || name.startsWith("seg_")) query.append(name, String(value));
    }
    const asked = ++latest;
    output.textContent = "数えています…";
    try {
      const response = await fetch(`${form.dataset.countUrl}?${query}`, { headers: { accept: "application/json" } });
      const body = await response.json();
      if (asked !== latest) return;
      output.textContent = response.ok ? body.label : body.error;
    } catch {
      if (asked === latest) output.textContent = "人数を数えられませんでした。通信を確かめてください。";
    }
  };
  form.addEventListener("change", (event) => {
    const name = event.target && event.target.name;
    if (name === "audience" || (name && name.startsWith("seg_"))) void refresh();
  });
}

// Evidence form: drag-and-drop onto the file input, a list of chosen files with sizes and a
// warning for files over the limit, and link rows added from a <template>.

const form = document.getElementById("evidence-form");
const input = document.getElementById("file-input");
const zone = form.querySelector("[data-dropzone]");
const list = form.querySelector("[data-file-list]");
const maxBytes = Number(form.dataset.maxBytes) * 1024 * 1024;

function human(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function renderFiles() {
  list.replaceChildren();
  for (const file of input.files) {
    const li = document.createElement("li");
    li.textContent = `${file.name}（${human(file.size)}）`;
    if (file.size > maxBytes) {
      li.classList.add("too-big");
      li.textContent += " — 超过大小限制，将被拒绝";
    }
    list.append(li);
  }
}

function addFiles(files) {
  const merged = new DataTransfer();
  for (const f of input.files) merged.items.add(f);
  for (const f of files) merged.items.add(f);
  input.files = merged.files;
  renderFiles();
}

input.addEventListener("change", renderFiles);
["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
  event.preventDefault();
  zone.classList.add("dragging");
}));
["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("dragging")));
zone.addEventListener("drop", (event) => {
  event.preventDefault();
  addFiles(event.dataTransfer.files);
});

const rows = form.querySelector("[data-link-rows]");
const template = form.querySelector("[data-link-template]");

function addLink(values = {}) {
  const row = template.content.firstElementChild.cloneNode(true);
  row.querySelector("[name=link_url]").value = values.url || "";
  row.querySelector("[name=link_site]").value = values.site || "";
  row.querySelector("[name=link_published_on]").value = values.published_on || "";
  row.querySelector("[data-remove-link]").addEventListener("click", () => row.remove());
  rows.append(row);
  return row;
}

form.querySelector("[data-add-link]").addEventListener("click", () => addLink().querySelector("input").focus());
JSON.parse(document.getElementById("initial-links").textContent || "[]").forEach((link) => addLink(link));

// Behaviour shared by every page: auto-submitting selects, the phone menu, confirmations,
// and the drop-in tree controls. Data comes from data-* attributes, never inline scripts.

function onReady(fn) {
  if (document.readyState !== "loading") fn();
  else document.addEventListener("DOMContentLoaded", fn);
}

onReady(() => {
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });

  const toggle = document.querySelector("[data-nav-toggle]");
  const nav = document.getElementById("sidenav");
  if (toggle && nav) {
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }

  // Irreversible actions say what will happen before they happen (DESIGN.md §4.1).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const message = form.dataset.confirm || event.submitter?.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Double clicks submit once.
  document.addEventListener("submit", (event) => {
    if (event.defaultPrevented) return;
    const form = event.target;
    if (form.dataset.submitted) { event.preventDefault(); return; }
    if (form.method.toLowerCase() === "post") {
      form.dataset.submitted = "1";
      const buttons = form.querySelectorAll("button[type=submit], button:not([type])");
      buttons.forEach((b) => b.setAttribute("aria-busy", "true"));
      // A form that answers with a file download stays on the page: let it be used again shortly.
      if ("download" in form.dataset) {
        setTimeout(() => {
          delete form.dataset.submitted;
          buttons.forEach((b) => b.removeAttribute("aria-busy"));
        }, 3000);
      }
    }
  });

  // Coming back through the browser's history restores the page as it was: allow submitting again.
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[data-submitted]").forEach((f) => { delete f.dataset.submitted; });
  });

  document.querySelectorAll("[data-check-all]").forEach((box) => {
    box.addEventListener("change", () => {
      box.closest("table").querySelectorAll("tbody input[type=checkbox]").forEach((c) => { c.checked = box.checked; });
    });
  });

  document.querySelectorAll("[data-tree-toggle]").forEach((button) => {
    button.addEventListener("click", () => {
      const open = button.dataset.treeToggle === "open";
      document.querySelectorAll(".tree details").forEach((d) => { d.open = open; });
    });
  });
});

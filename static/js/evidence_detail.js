// Review panel: picking a common return reason fills the reason box (still editable).
document.querySelectorAll("[data-reason-templates]").forEach((select) => {
  select.addEventListener("change", () => {
    const box = select.form.querySelector("textarea");
    if (select.value) box.value = select.value;
    box.focus();
  });
});

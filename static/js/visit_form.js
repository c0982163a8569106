// Visit form: add another row for a person interviewed (专班人员必谈).
const list = document.querySelector("[data-people]");
document.querySelector("[data-add-person]").addEventListener("click", () => {
  const row = list.firstElementChild.cloneNode(true);
  row.querySelectorAll("input").forEach((input) => { input.value = ""; });
  list.append(row);
  row.querySelector("input").focus();
});

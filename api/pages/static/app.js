// Progressive enhancement only: every page works without it.
// "添加信访人" copies the last petitioner row with the next index.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-add-petitioner]");
  if (!button) { return; }
  event.preventDefault();
  var rows = document.querySelectorAll("fieldset.person");
  var last = rows[rows.length - 1];
  var next = rows.length;
  var copy = last.cloneNode(true);
  copy.querySelector("legend").textContent = "信访人 " + (next + 1);
  copy.querySelectorAll("input").forEach(function (input) {
    input.name = input.name.replace(/petitioners-\d+-/, "petitioners-" + next + "-");
    input.id = input.id.replace(/petitioners-\d+-/, "petitioners-" + next + "-");
    input.value = "";
  });
  copy.querySelectorAll("label").forEach(function (label) {
    label.htmlFor = label.htmlFor.replace(/petitioners-\d+-/, "petitioners-" + next + "-");
  });
  copy.querySelectorAll(".error").forEach(function (e) { e.remove(); });
  last.after(copy);
});

// "打印" prints the page (the print style leaves out the navigation and the forms).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});

// Action item form: a "use this offering" button fills the offering select (a file, not inline: CSP).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-use-offering]");
  if (!button) return;
  var select = document.getElementById("id_offering");
  if (select) { select.value = button.getAttribute("data-use-offering"); select.dispatchEvent(new Event("change")); select.focus(); }
});

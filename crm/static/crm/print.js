// Printable visit record: the print button (a file, not an onclick attribute: CSP).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});

// Policy page: "select all" and the count of enterprises selected for a push (a file, not inline: CSP).
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  var counter = document.getElementById("push-selected-count");
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll('#push-form input[name="enterprises"]')); }
  function update() {
    if (!counter) return;
    var n = boxes().filter(function (b) { return b.checked; }).length;
    counter.textContent = n ? counter.getAttribute("data-label") + " " + n : "";
  }
  if (all) all.addEventListener("change", function () { boxes().forEach(function (b) { b.checked = all.checked; }); update(); });
  document.addEventListener("change", function (e) { if (e.target.name === "enterprises") update(); });
})();

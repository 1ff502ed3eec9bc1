// Navbar search type-ahead: htmx (hx-get on the input, debounced) fills #nav-search-results with grouped
// hits; this file shows and hides the list and makes it a keyboard combobox (a file, not inline: CSP).
// ArrowDown/ArrowUp move through the hits (aria-activedescendant), Enter opens the active one (or submits
// the form to /search/ when none is active), Escape closes the list.
(function () {
  "use strict";
  var input = document.getElementById("nav-search-input");
  var list = document.getElementById("nav-search-results");
  if (!input || !list) return;
  var active = -1;

  function options() { return Array.prototype.slice.call(list.querySelectorAll(".nav-search-option")); }
  function setActive(index) {
    var all = options();
    all.forEach(function (o) { o.classList.remove("active"); o.removeAttribute("aria-selected"); });
    active = index;
    if (index < 0 || index >= all.length) { active = -1; input.removeAttribute("aria-activedescendant"); return; }
    all[index].classList.add("active");
    all[index].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", all[index].id);
    all[index].scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  function open() {
    if (!list.innerHTML.trim()) return close();
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }
  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(-1);
  }

  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.target !== list) return;
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (input.value.trim()) open(); else close();
  });
  input.addEventListener("input", function () { if (!input.value.trim()) { list.innerHTML = ""; close(); } });
  input.addEventListener("focus", function () { if (input.value.trim() && list.innerHTML.trim()) open(); });
  input.addEventListener("keydown", function (e) {
    var all = options();
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!all.length) return;
      e.preventDefault();
      open();
      var step = e.key === "ArrowDown" ? 1 : -1;
      var next = active < 0 ? (step > 0 ? 0 : all.length - 1) : (active + step + all.length) % all.length;
      setActive(next);
    } else if (e.key === "Enter" && !list.hidden && active >= 0 && all[active]) {
      e.preventDefault();
      window.location.assign(all[active].href);
    } else if (e.key === "Escape" && !list.hidden) {
      e.preventDefault();
      close();
    }
  });
  document.addEventListener("click", function (e) {
    if (!list.hidden && !list.contains(e.target) && e.target !== input) close();
  });
})();

/* Dashboard charts (templates/crm/dashboard.html). Each <canvas data-chart> reads its data from the
   json_script element named by data-source: {"labels": [...], "data": [...], <data-keys>: [...]}.
   data-chart is "bar" (vertical) or "hbar" (horizontal); data-link + data-keys make bars clickable. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") return;

  var style = getComputedStyle(document.documentElement);
  var primary = style.getPropertyValue("--bs-primary").trim() || "#0d6efd";
  var font = style.getPropertyValue("--crm-font").trim();
  if (font) window.Chart.defaults.font.family = font;
  window.Chart.defaults.color = style.getPropertyValue("--bs-secondary-color").trim() || "#6c757d";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = readJson(canvas.getAttribute("data-source"));
    if (!source || !source.labels) return;
    var horizontal = canvas.getAttribute("data-chart") === "hbar";
    var box = canvas.parentElement;
    if (horizontal && box && box.hasAttribute("data-rows")) {
      // One bar row about 26 px high, so long category lists stay readable on a phone.
      box.style.height = Math.max(160, source.labels.length * 26 + 40) + "px";
    }
    var link = canvas.getAttribute("data-link");
    var keys = source[canvas.getAttribute("data-keys")] || null;
    var options = {
      indexAxis: horizontal ? "y" : "x",
      maintainAspectRatio: false,
      responsive: true,
      animation: false,
      plugins: { legend: { display: false } },
      scales: {
        x: { beginAtZero: true, ticks: { precision: 0 } },
        y: { beginAtZero: true, ticks: { precision: 0, autoSkip: false } },
      },
    };
    if (horizontal) {
      // Long (English) category names would be clipped on a phone: shorten them; the tooltip keeps the full name.
      var maxChars = window.innerWidth < 576 ? 12 : 28;
      options.scales.y.ticks.callback = function (value) {
        var label = String(this.getLabelForValue(value));
        return label.length > maxChars ? label.slice(0, maxChars - 1) + "…" : label;
      };
    }
    else options.scales.x.ticks = { maxRotation: 0, autoSkip: true };
    if (link && keys) {
      options.onClick = function (event, elements) {
        if (elements.length) window.location.href = link + encodeURIComponent(keys[elements[0].index]);
      };
      options.onHover = function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      };
    }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: source.labels,
        datasets: [{
          label: canvas.getAttribute("data-label") || "",
          data: source.data,
          backgroundColor: primary,
          borderRadius: 3,
          maxBarThickness: 28,
        }],
      },
      options: options,
    });
  });
})();

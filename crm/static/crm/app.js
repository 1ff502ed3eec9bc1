/* Small progressive enhancements; every page works without JavaScript. */
(function () {
  "use strict";

  // <select class="js-autosubmit"> submits its form on change (language switch, page size).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.classList && el.classList.contains("js-autosubmit") && el.form) {
      el.form.submit();
    }
  });

  // Inline formsets: a button[data-formset-add="<prefix>"] clones the <template id="<prefix>-empty">
  // into the element #<prefix>-rows and bumps <prefix>-TOTAL_FORMS.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (!button) return;
    event.preventDefault();
    var prefix = button.getAttribute("data-formset-add");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var rows = document.getElementById(prefix + "-rows");
    if (!total || !template || !rows) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
  });

  // Deleting a formset row greys it out.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.name && /-DELETE$/.test(el.name)) {
      var row = el.closest(".formset-row");
      if (row) row.classList.toggle("to-delete", el.checked);
    }
  });
})();

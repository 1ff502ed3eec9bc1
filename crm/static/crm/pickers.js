/* Type-ahead pickers (crm/forms/widgets.py): every <select data-picker> becomes a Tom Select (vendored in
   vendor/tom-select/). The options the server rendered (the current value, the user's own enterprises under
   我挂钩的企业, the first ones by name) are searched at once; with data-picker-url, typing also asks the
   scoped endpoint /pickers/<kind>/?q= (crm/views/pickers.py) for more. A multi-select shows its entries as
   chips with a remove button: no Ctrl-click list box on a phone. Without JavaScript (or if Tom Select failed
   to load) the plain <select> stays and works. */
(function () {
  "use strict";

  if (typeof window.TomSelect === "undefined") return;

  function endpoint(url, query) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query);
  }

  function init(select) {
    if (select.tomselect || select.disabled || select.dataset.pickerReady) return;
    select.dataset.pickerReady = "1";
    var url = select.dataset.pickerUrl;
    var multiple = select.multiple;
    var settings = {
      plugins: multiple ? { remove_button: { title: select.dataset.removeLabel || "×" } } : {},
      placeholder: select.dataset.placeholder || "",
      hidePlaceholder: true, // once something is picked, the placeholder goes
      allowEmptyOption: false,
      maxOptions: 200,
      lockOptgroupOrder: true,
      closeAfterSelect: true,
      selectOnTab: true,
      render: {
        no_results: function (data, escape) {
          return '<div class="no-results">' + escape(select.dataset.noResults || "—") + "</div>";
        }
      }
    };
    if (url) {
      settings.shouldLoad = function (query) { return query.length >= 1; };
      settings.load = function (query, callback) {
        var self = this;
        fetch(endpoint(url, query), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [], groups: [] }; })
          .then(function (body) {
            var labels = {};
            (body.groups || []).forEach(function (group) {
              labels[group.value] = group.label;
              if (!self.optgroups[group.label]) self.addOptionGroup(group.label, { value: group.label, label: group.label });
            });
            callback((body.results || []).map(function (row) {
              var option = { value: String(row.value), text: row.text };
              if (labels[row.group]) option.optgroup = labels[row.group];
              return option;
            }));
          })
          .catch(function () { callback(); });
      };
    }
    // Tom Select moves the <label for> onto its own text box; the original <select> (kept for the form and
    // screen readers' form mode) would be left without a name, so it keeps the label's text as aria-label.
    var label = select.labels && select.labels.length ? select.labels[0].textContent.trim() : "";
    try {
      new window.TomSelect(select, settings);
      if (label && !select.hasAttribute("aria-label")) select.setAttribute("aria-label", label);
    } catch (error) {
      delete select.dataset.pickerReady; // leave the plain <select>
    }
  }

  function scan(root) {
    (root || document).querySelectorAll("select[data-picker]").forEach(init);
  }

  scan(document);
  document.body.addEventListener("htmx:load", function (event) { scan(event.detail.elt); });
})();

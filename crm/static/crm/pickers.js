/* Type-ahead pickers (crm/forms/widgets.py): every <select data-picker> becomes a Tom Select (vendored in
   vendor/tom-select/). The options the server rendered (the current value, the user's own enterprises under
   我挂钩的企业, the first ones by name) are searched at once; with data-picker-url, typing also asks the
   scoped endpoint /pickers/<kind>/?q= (crm/views/pickers.py) for more. A multi-select shows its entries as
   chips with a remove button: no Ctrl-click list box on a phone. A picker narrowed by another field of its
   form (data-picker-narrow="enterprise": a visit's or need's project picker offers the chosen enterprise's
   projects) sends that field's value with every search and reloads its options when that field changes,
   dropping a picked entry that no longer fits. Without JavaScript (or if Tom Select failed to load) the plain
   <select> stays and works, and the server still refuses a project of another enterprise. */
(function () {
  "use strict";

  if (typeof window.TomSelect === "undefined") return;

  function withParam(url, name, value) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + encodeURIComponent(name) + "=" + encodeURIComponent(value);
  }

  function endpoint(url, query) {
    return withParam(url, "q", query);
  }

  // The answer of /pickers/<kind>/ as Tom Select options, its groups registered on ``ts``.
  function fetchOptions(ts, url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [], groups: [] }; })
      .then(function (body) {
        var labels = {};
        (body.groups || []).forEach(function (group) {
          labels[group.value] = group.label;
          if (!ts.optgroups[group.label]) ts.addOptionGroup(group.label, { value: group.label, label: group.label });
        });
        return (body.results || []).map(function (row) {
          var option = { value: String(row.value), text: row.text };
          if (labels[row.group]) option.optgroup = labels[row.group];
          return option;
        });
      });
  }

  // The field of the same form that narrows ``select`` (data-picker-narrow names it), or null.
  function narrowingField(select) {
    var name = select.dataset.pickerNarrow;
    var field = name && select.form ? select.form.elements.namedItem(name) : null;
    return field && field.tagName ? field : null;
  }

  function narrowedUrl(url, select) {
    var field = narrowingField(select);
    return field && field.value ? withParam(url, field.name, field.value) : url;
  }

  // When the narrowing field changes: the options become those of its new value. A picked entry that is not
  // among them is dropped (not when the field was emptied: a need may name a project without an enterprise).
  // The <select>'s own unpicked <option>s go too, so that nothing stale is posted or read back.
  function followNarrowing(select, url) {
    var field = narrowingField(select);
    if (!field || !url) return;
    var shown = field.value;
    field.addEventListener("change", function () {
      var ts = select.tomselect;
      var wanted = field.value;
      if (!ts || wanted === shown) return; // Tom Select repeats its own change: one reload per new value
      shown = wanted;
      fetchOptions(ts, endpoint(narrowedUrl(url, select), ""))
        .then(function (options) {
          if (field.value !== wanted) return; // another value was chosen meanwhile
          var picked = ts.getValue();
          var fits = options.some(function (option) { return option.value === picked; });
          if (picked && !fits && wanted) ts.clear(); // a change event: the draft notes it
          Array.prototype.slice.call(select.options).forEach(function (option) {
            if (option.value && !option.selected) option.remove();
          });
          ts.clearOptions(); // keeps the picked entry, if any
          ts.addOptions(options);
          ts.refreshOptions(false);
        })
        .catch(function () { /* the options stay as they were; the server checks the pair anyway */ });
    });
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
        fetchOptions(this, endpoint(narrowedUrl(url, select), query))
          .then(callback)
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
      return;
    }
    followNarrowing(select, url);
  }

  function scan(root) {
    (root || document).querySelectorAll("select[data-picker]").forEach(init);
  }

  scan(document);
  document.body.addEventListener("htmx:load", function (event) { scan(event.detail.elt); });
})();

// Field-safe forms (issue 17 item 4). A <form> opts in by holding an element with [data-fieldsafe] — the shared
// include crm/partials/_form_errors.html renders one, so every data-entry form gets:
//  - a draft in localStorage (keyed by user, path and form), saved as the user types, restored on return with a
//    notice and a 丢弃草稿 button, cleared once a submit succeeded (the next page is not this form with errors);
//    chosen photos and files cannot be kept (a draft is text), so it keeps their names and the form, restored or
//    back with errors, says which ones to choose again;
//  - a warning before leaving a form with unsaved edits (beforeunload);
//  - on a page with errors: scroll to and focus the first field in error; the error summary's links focus fields.
// The session-expired (CSRF) page and the 500 page mark <body data-fieldsafe-keep>: a submit that ended there
// keeps its draft. An explicit log-out removes the user's drafts (a shared phone keeps no enterprise data); an
// expired session keeps them. No inline script: the texts come from the marker's data- attributes (translated by
// Django).
(function () {
  "use strict";

  var PREFIX = "crm:draft:v1:";
  var PENDING = "crm:draft:pending";
  var MAX_AGE_MS = 14 * 24 * 3600 * 1000; // older drafts are dropped
  var PENDING_MS = 5 * 60 * 1000; // a submit's outcome must arrive within this
  var SKIP_TYPES = { file: 1, password: 1, hidden: 1, submit: 1, button: 1, reset: 1, image: 1 };
  var CLEAR_COOKIE = "crm_drafts_clear"; // crm/views/accounts.py DRAFTS_CLEAR_COOKIE

  function storage(kind) {
    try {
      var s = window[kind];
      var probe = PREFIX + "probe";
      s.setItem(probe, "1");
      s.removeItem(probe);
      return s;
    } catch (e) {
      return null; // private mode or storage disabled: the forms still work, without drafts
    }
  }
  var local = storage("localStorage");
  var session = storage("sessionStorage");

  function readJSON(store, key) {
    if (!store) return null;
    try {
      return JSON.parse(store.getItem(key) || "null");
    } catch (e) {
      return null;
    }
  }
  function writeJSON(store, key, value) {
    if (!store) return;
    try {
      store.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* quota exceeded: keep working without a draft */
    }
  }

  // The log-out answer named the user in a cookie (set only once the server logged the user out, so a log-out
  // cancelled at the unsaved-changes prompt keeps everything): that user's drafts go, then the cookie.
  function clearLoggedOutDrafts() {
    var match = new RegExp("(?:^|;\\s*)" + CLEAR_COOKIE + "=([^;]*)").exec(document.cookie);
    if (!match) return;
    document.cookie =
      CLEAR_COOKIE + "=; Max-Age=0; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
    if (session) session.removeItem(PENDING);
    if (!local || !match[1]) return;
    var prefix = PREFIX + decodeURIComponent(match[1]) + ":";
    for (var i = local.length - 1; i >= 0; i--) {
      var key = local.key(i);
      if (key && key.indexOf(prefix) === 0) local.removeItem(key);
    }
  }

  function userId() {
    return document.body.getAttribute("data-user") || "anon";
  }

  function fieldsafeForms() {
    var forms = [];
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-fieldsafe]")) forms.push(form);
    });
    return forms;
  }

  function draftKey(form, index) {
    return PREFIX + userId() + ":" + location.pathname + location.search + ":" + (form.id || "form" + index);
  }

  function savable(el) {
    if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken") return false;
    if (el.closest("[data-fieldsafe-skip]")) return false;
    var type = (el.type || "").toLowerCase();
    return !SKIP_TYPES[type];
  }

  function isFile(el) {
    return (el.type || "").toLowerCase() === "file" && !el.disabled && !el.closest("[data-fieldsafe-skip]");
  }

  // The names of the files chosen in the form's file inputs (their contents cannot go into a draft).
  function chosenFiles(form) {
    var names = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!isFile(el)) return;
      Array.prototype.forEach.call(el.files || [], function (file) {
        names.push(file.name);
      });
    });
    return names;
  }

  // name → list of values (checkboxes, radios and multi-selects keep every chosen value).
  function serialize(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!savable(el)) return;
      var type = (el.type || "").toLowerCase();
      var list = values[el.name] || (values[el.name] = []);
      if (type === "checkbox" || type === "radio") {
        if (el.checked) list.push(el.value);
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) {
          list.push(o.value);
        });
      } else {
        list.push(el.value);
      }
    });
    return values;
  }

  function fire(el) {
    if (el.tomselect) el.tomselect.sync(); // a type-ahead picker (pickers.js) shows the value put in its <select>
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // Rows added to an inline formset (prefix-N-field) before the draft was saved are added again first.
  function ensureFormsetRows(form, names) {
    names.forEach(function (name) {
      var match = /^(.+)-(\d+)-[^-]+$/.exec(name);
      if (!match || form.elements.namedItem(name)) return;
      var button = form.querySelector('[data-formset-add="' + match[1] + '"]');
      for (var guard = 0; button && guard < 50 && !form.elements.namedItem(name); guard++) button.click();
    });
  }

  function apply(form, values) {
    ensureFormsetRows(form, Object.keys(values));
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!savable(el) || !Object.prototype.hasOwnProperty.call(values, el.name)) return;
      var wanted = values[el.name];
      var type = (el.type || "").toLowerCase();
      var changed = false;
      if (type === "checkbox" || type === "radio") {
        var on = wanted.indexOf(el.value) !== -1;
        changed = el.checked !== on;
        el.checked = on;
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) {
          var sel = wanted.indexOf(o.value) !== -1;
          changed = changed || o.selected !== sel;
          o.selected = sel;
        });
      } else {
        var i = seen[el.name] || 0;
        seen[el.name] = i + 1;
        if (i < wanted.length && el.value !== wanted[i]) {
          if (el.tagName === "SELECT" && !el.querySelector('option[value="' + CSS.escape(wanted[i]) + '"]')) return;
          el.value = wanted[i];
          changed = true;
        }
      }
      if (changed) fire(el);
    });
  }

  function sameValues(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function hasErrors(root) {
    return !!root.querySelector(".invalid-feedback, .is-invalid, [aria-invalid='true'], .alert-danger, .errorlist");
  }

  function firstErrorTarget(root) {
    var control = root.querySelector(".is-invalid, [aria-invalid='true']");
    if (control) return control;
    var feedback = root.querySelector(".invalid-feedback, .errorlist");
    if (feedback) {
      var box = feedback.closest("[class*='field-'], .mb-2, .mb-3, .col-12, td, tr") || feedback.parentElement;
      var input = box && box.querySelector("input:not([type=hidden]), select, textarea");
      if (input) return input;
      return feedback;
    }
    return root.querySelector(".alert-danger");
  }

  function focusElement(el) {
    if (!el) return;
    if (el.tabIndex < 0 && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(el.tagName)) el.setAttribute("tabindex", "-1");
    el.scrollIntoView({ block: "center" });
    try {
      el.focus({ preventScroll: true });
    } catch (e) {
      el.focus();
    }
  }

  function notice(form, marker, savedAt, onDiscard) {
    var box = document.createElement("div");
    box.className = "alert alert-info draft-notice";
    box.setAttribute("role", "status");
    box.setAttribute("data-draft-notice", "");
    var text = document.createElement("span");
    var when = new Date(savedAt);
    var options = { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" };
    var stamp = "";
    try {
      stamp = isNaN(when) ? "" : when.toLocaleString(document.documentElement.lang || undefined, options);
    } catch (e) {
      stamp = when.toLocaleString();
    }
    text.textContent = (marker.getAttribute("data-draft-restored") || "A draft was restored.").replace("{time}", stamp);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-secondary ms-auto";
    button.setAttribute("data-draft-discard", "");
    button.textContent = marker.getAttribute("data-draft-discard") || "Discard draft";
    button.addEventListener("click", function () {
      onDiscard();
      box.remove();
    });
    box.appendChild(text);
    box.appendChild(button);
    form.insertBefore(box, form.firstChild);
    return box;
  }

  // "Choose these photos and files again: …", above the form (after the restored-draft notice, if any).
  function filesNotice(form, marker, names, after) {
    if (!names || !names.length) return null;
    var box = document.createElement("div");
    box.className = "alert alert-warning draft-files";
    box.setAttribute("role", "status");
    box.setAttribute("data-draft-files", "");
    box.textContent = (marker.getAttribute("data-draft-files") || "Choose these files again: {files}").replace(
      "{files}",
      names.join("、")
    );
    form.insertBefore(box, after ? after.nextSibling : form.firstChild);
    return box;
  }

  function navigationType() {
    var entries = performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
    return entries.length ? entries[0].type : "navigate";
  }

  var dirty = false;
  var submitting = false;

  function setUp() {
    clearLoggedOutDrafts();
    var keep = document.body.hasAttribute("data-fieldsafe-keep");
    var pending = readJSON(session, PENDING);
    if (pending && (Date.now() - pending.at > PENDING_MS || navigationType() !== "navigate")) pending = null;
    if (session) session.removeItem(PENDING);

    // The session-expired page: say whether the input was kept; never clear a draft there.
    var info = document.querySelector("[data-draft-info]");
    if (info && pending && local && local.getItem(pending.key)) info.hidden = false;
    if (keep) return;

    var pendingMatched = false;
    var focused = false;
    fieldsafeForms().forEach(function (form, index) {
      var key = draftKey(form, index);
      var marker = form.querySelector("[data-fieldsafe]");
      var errors = hasErrors(form);
      var isPending = pending && pending.key === key;
      var draft = readJSON(local, key);
      if (draft && Date.now() - draft.savedAt > MAX_AGE_MS) {
        local.removeItem(key);
        draft = null;
      }

      if (isPending && errors) {
        pendingMatched = true; // refused with errors: the page shows what was typed; the draft stays
        dirty = true;
        filesNotice(form, marker, draft && draft.files); // … but not the files that were chosen
      } else if (isPending) {
        local && local.removeItem(key); // saved, and back on the same page (e.g. an action on a detail page)
        draft = null;
        pendingMatched = true;
      } else if (draft && !errors && (!sameValues(draft.values, serialize(form)) || (draft.files || []).length)) {
        var original = serialize(form);
        apply(form, draft.values);
        dirty = true;
        var files = null;
        var restored = notice(form, marker, draft.savedAt, function () {
          local && local.removeItem(key);
          apply(form, original);
          if (files) files.remove();
          dirty = false;
        });
        files = filesNotice(form, marker, draft.files, restored);
      }

      var timer = null;
      function save() {
        timer = null;
        writeJSON(local, key, { savedAt: Date.now(), values: serialize(form), files: chosenFiles(form) });
      }
      function edited(event) {
        var el = event.target;
        if (!el || !el.name || !(savable(el) || isFile(el))) return;
        dirty = true;
        if (timer) clearTimeout(timer);
        timer = setTimeout(save, 400);
      }
      form.addEventListener("input", edited);
      form.addEventListener("change", edited);
      form.addEventListener("submit", function () {
        if (timer) {
          clearTimeout(timer);
          save();
        } else if (dirty) {
          save();
        }
        submitting = true;
        writeJSON(session, PENDING, { key: key, at: Date.now() });
      });

      if (errors && !focused) {
        focused = true;
        focusElement(firstErrorTarget(form));
      }
    });

    // A submit that led elsewhere succeeded: its draft is done with.
    if (pending && !pendingMatched && local) local.removeItem(pending.key);

    // The error summary's links move the focus to the field, not only the scroll position.
    document.addEventListener("click", function (event) {
      var link = event.target.closest(".error-summary a[href^='#']");
      if (!link) return;
      var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!target) return;
      event.preventDefault();
      focusElement(target);
    });
  }

  window.addEventListener("beforeunload", function (event) {
    if (!dirty || submitting) return undefined;
    event.preventDefault();
    event.returnValue = "";
    return "";
  });
  // Back to this page from the browser's cache: whatever was pending did not land here.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      submitting = false;
      if (session) session.removeItem(PENDING);
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();

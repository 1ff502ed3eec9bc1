"""Template helpers of the shared form includes (crm/partials/_form_errors.html, _form_fields.html,
_filter_panel.html)."""

import html

from django import template
from django.utils.safestring import SafeData, mark_safe

from crm.templatetags.crm_tags import shown

register = template.Library()


@register.filter
def fields_in_error(form) -> list:
    """The visible bound fields of ``form`` that carry errors, in form order (for the error summary)."""
    if form is None or not hasattr(form, "visible_fields"):
        return []
    return [field for field in form.visible_fields() if field.errors]


def _safe_text(value) -> str:
    """``{{ value }}`` of a value that is already text or renders to text (a bound field's ``str``)."""
    text = str(value)
    return text if isinstance(text, SafeData) else html.escape(text)


def _label(label) -> str:
    """``{{ label|capfirst }}``: the label's text (a lazy one translated) with its first letter upper-cased, escaped
    unless the label was safe (``capfirst`` keeps safety)."""
    text = str(label)
    first = text[:1].upper() + text[1:]
    return first if isinstance(text, SafeData) else html.escape(first)


@register.simple_tag
def form_field(field, col: str = "") -> str:
    """One Bootstrap form field with its label, errors and help text: byte for byte what
    ``{% include "crm/partials/_field.html" with field=field col=col %}`` writes (tests/test_templatetags_form_tags.py
    compares both on every branch), without the include's ~20 template nodes per field (a list's filter panel draws
    4–12 fields on every page). The widget itself is still ``str(field)``, i.e. the form renderer."""
    widget = _safe_text(field)
    if field.is_hidden:
        return mark_safe(f"\n{widget}\n")  # noqa: S308 (the widget is the renderer's safe HTML)
    id_for_label = shown(field.id_for_label)
    label = _label(field.label)
    parts = [f'\n\n<div class="{shown(col or "col-12")} mb-2 field-{shown(field.html_name)}">\n  ']
    if field.widget_type == "checkbox":
        parts.append(
            f'\n  <div class="form-check mt-md-4">\n    {widget}\n'
            f'    <label class="form-check-label" for="{id_for_label}">{label}</label>\n  </div>\n  '
        )
    else:
        star = ' <span class="text-danger" aria-hidden="true">*</span>' if field.field.required else ""
        parts.append(f'\n  <label class="form-label" for="{id_for_label}">{label}{star}</label>\n  {widget}\n  ')
    parts.append("\n  ")
    errors = field.errors
    if errors:
        shown_errors = "".join(f"<div>{shown(error)}</div>" for error in errors)
        parts.append(
            f'\n  <div class="invalid-feedback d-block" id="{shown(field.auto_id)}_error"'
            f' data-field="{shown(field.name)}" role="alert">\n    {shown_errors}\n  </div>\n  '
        )
    elif field.help_text:
        parts.append(f'\n  <div class="form-text">{shown(field.help_text)}</div>\n  ')
    parts.append("\n</div>\n\n")
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by shown/_label; the widget is safe HTML)

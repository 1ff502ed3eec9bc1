"""Template helpers of the shared form includes (crm/partials/_form_errors.html, _field.html, _filter_panel.html)."""

from django import template
from django.template.defaultfilters import capfirst
from django.utils.safestring import mark_safe

from crm.templatetags.crm_tags import shown

register = template.Library()

# A date range takes a wider column of the filter panel than the other filters.
RANGE_WIDGETS = frozenset({"daterange", "datefromtorange"})


@register.filter
def fields_in_error(form) -> list:
    """The visible bound fields of ``form`` that carry errors, in form order (for the error summary)."""
    if form is None or not hasattr(form, "visible_fields"):
        return []
    return [field for field in form.visible_fields() if field.errors]


def field_html(field, col: str = "") -> str:
    """What ``{% include "crm/partials/_field.html" with field=field col=col %}`` writes: the include cost some
    twenty node renders and a context push per field of a list's filter panel (~12 % of a list's rendering).
    tests/test_templatetags_form_tags.py renders both."""
    if field.is_hidden:
        return f"\n{field}\n"
    label = shown(capfirst(field.label))
    widget_type = field.widget_type
    if widget_type == "checkbox":
        body = (
            '\n  <div class="form-check mt-md-4">\n'
            f"    {field}\n"
            f'    <label class="form-check-label" for="{shown(field.id_for_label)}">{label}</label>\n'
            "  </div>\n  "
        )
    else:
        required = ' <span class="text-danger" aria-hidden="true">*</span>' if field.field.required else ""
        label_for = shown(field.id_for_label)
        body = f'\n  <label class="form-label" for="{label_for}">{label}{required}</label>\n  {field}\n  '
    errors = field.errors
    if errors:
        items = "".join(f"<div>{shown(error)}</div>" for error in errors)
        note = (
            f'\n  <div class="invalid-feedback d-block" id="{shown(field.auto_id)}_error"'
            f' data-field="{shown(field.name)}" role="alert">\n    {items}\n  </div>\n  '
        )
    else:
        help_text = field.help_text
        note = f'\n  <div class="form-text">{shown(help_text)}</div>\n  ' if help_text else ""
    div = f'<div class="{shown(col or "col-12")} mb-2 field-{shown(field.html_name)}">'
    return f"\n\n{div}\n  {body}\n  {note}\n</div>\n\n"


@register.simple_tag
def panel_fields(fields) -> str:
    """The fields of a list's filter panel (templates/crm/partials/_filter_panel.html), each as _field.html writes
    it: what the panel's ``{% for %}`` loop of includes wrote."""
    parts = []
    for field in fields or ():
        col = "col-12 col-md-8 col-xl-4" if field.widget_type in RANGE_WIDGETS else "col-6 col-md-4 col-xl-2"
        parts.append(f"\n          \n            {field_html(field, col)}\n          \n        ")
    return mark_safe("".join(parts))  # noqa: S308 (field_html escapes every value; bound fields render safe HTML)

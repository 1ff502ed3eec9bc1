"""Template helpers of the shared form includes (crm/partials/_form_errors.html)."""

from django import template

register = template.Library()


@register.filter
def fields_in_error(form) -> list:
    """The visible bound fields of ``form`` that carry errors, in form order (for the error summary)."""
    if form is None or not hasattr(form, "visible_fields"):
        return []
    return [field for field in form.visible_fields() if field.errors]

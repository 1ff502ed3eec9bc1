"""Template helpers of policy matching and the action list: category labels, ✓/✗ reason marks."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from crm.choices import NeedCategory, OfferingKind

register = template.Library()


@register.filter
def need_category_label(value) -> str:
    """The label of a need-category value (``funding`` → 资金支持)."""
    try:
        return str(NeedCategory(value).label)
    except ValueError:
        return str(value)


@register.filter
def offering_kind_label(value) -> str:
    try:
        return str(OfferingKind(value).label)
    except ValueError:
        return str(value)


@register.simple_tag
def reason_mark(reason: dict):
    """✓ or ✗ for one reason of a suggestion or match (with a text alternative for screen readers)."""
    if reason.get("passed"):
        return format_html(
            '<span class="reason-mark text-success" title="{0}"><i class="bi bi-check-lg" aria-hidden="true"></i>'
            '<span class="visually-hidden">{0}</span></span>',
            _("passed"),
        )
    return format_html(
        '<span class="reason-mark text-danger" title="{0}"><i class="bi bi-x-lg" aria-hidden="true"></i>'
        '<span class="visually-hidden">{0}</span></span>',
        _("failed"),
    )

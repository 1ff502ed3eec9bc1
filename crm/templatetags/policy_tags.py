"""Template helpers of policy matching and the action list: category labels, ✓/✗ reason marks."""

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


# The marks of a policy's application window: (test, CSS classes, data-mark, label, newline after the badge).
_WINDOW_MARKS = (
    (lambda p: not p.is_active, "badge text-bg-secondary", "inactive", gettext_lazy("Inactive"), "\n"),
    (lambda p: p.is_expired, "badge text-bg-light text-dark border", "expired", gettext_lazy("Expired"), "\n"),
    (lambda p: p.closes_soon, "badge text-bg-warning text-dark", "closing-soon", gettext_lazy("Closing soon"), "\n"),
    (lambda p: not p.window_open, "badge text-bg-info text-dark", "not-open", gettext_lazy("Not open yet"), ""),
)


def _day(value) -> str:
    return date_format(value, "Y-m-d") if value else "…"


@register.simple_tag
def policy_window(policy) -> str:
    """``{% policy_window policy %}``: the application window of ``policy`` with its inactive / expired / closing-soon /
    not-yet-open mark (the policy list prints one per row: a tag, not an ``{% include %}`` per row)."""
    if policy.apply_from or policy.apply_until:
        window = f"{_day(policy.apply_from)} ~ {_day(policy.apply_until)}"
    else:
        window = _("Open all year")
    html = format_html('\n<span class="text-nowrap policy-window">{}</span>\n', window)
    for test, css, mark, label, tail in _WINDOW_MARKS:
        if test(policy):
            html += format_html('<span class="{}" data-mark="{}">{}</span>{}', css, mark, label, tail)
            break
    return mark_safe(html + "\n")  # noqa: S308 (built by format_html)

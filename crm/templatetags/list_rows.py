"""The rows of the busiest list pages, written in Python (``{% visit_row v %}``, ``need_row``, ``action_item_row``).

A list row drawn by the template language costs some thirty node renders (variables, filters, ``{% if %}``,
``{% url_pk %}``, ``{% badge %}``): a fifth of a list page's time on the seed_scale data. These tags write the same
bytes as the templates they replaced (the helpers below do what ``{{ value }}``, ``|date:"Y-m-d"``, ``|default`` and
``|truncatechars`` do; the badge and the links come from crm_tags), so the page is unchanged.
"""

from django import template
from django.template.defaultfilters import truncatechars
from django.utils import dateformat
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from crm.templatetags.crm_tags import badge, escalation_badge, url_pk

register = template.Library()


def _shown(value) -> str:
    """``{{ value }}``: ``None`` and the rest localized, then escaped unless already safe."""
    return conditional_escape(localize(template_localtime(value)))


def _day(value) -> str:
    """``{{ value|date:"Y-m-d" }}`` (an empty string for no date)."""
    return dateformat.format(value, "Y-m-d") if value else ""


@register.simple_tag
def visit_row(v) -> str:
    """One row of the visits list (templates/crm/visits/list.html)."""
    lead = v.lead if v.lead_id else None
    people = [_shown(lead)] if lead else []
    for index, officer in enumerate(v.officers.all()):
        if officer != lead:
            people.append(("、" if lead or index else "") + _shown(officer))
    summary = truncatechars(v.q_needs or v.q_difficulties or v.q_suggestions, 60)
    enterprise = v.enterprise.name if v.enterprise_id else ""
    return format_html(
        '<tr data-id="{}">\n'
        '          <td class="text-nowrap"><a href="{}" class="fw-semibold">{}</a>\n'
        '            <div class="small text-body-secondary">{}</div></td>\n'
        "          <td>{}\n"
        '            <div class="small text-body-secondary text-truncate visit-summary">{}</div></td>\n'
        '          <td class="d-none d-md-table-cell text-nowrap">{}</td>\n'
        '          <td class="d-none d-lg-table-cell small">{}</td>\n'
        '          <td class="d-none d-sm-table-cell text-end">{}</td>\n'
        "          <td>{}</td>\n"
        "        </tr>",
        _shown(v.pk),
        url_pk("crm:visit-detail", v.pk),
        _day(v.visited_on),
        _shown(v.code),
        _shown(enterprise),
        _shown(summary),
        _shown(v.get_kind_display()),
        mark_safe("".join(people)),  # noqa: S308 (each name escaped by _shown)
        _shown(v.needs_count),
        badge(v.flag, v.get_flag_display()),
    )


@register.simple_tag
def need_row(need) -> str:
    """One row of the needs list (templates/crm/needs/list.html)."""
    escalation = getattr(need, "escalation", None)
    source = (need.enterprise.name if need.enterprise_id else "") or (need.project.name if need.project_id else "")
    return format_html(
        '<tr data-id="{}"{}>\n'
        "          <td>\n"
        '            <a href="{}" class="fw-semibold">{}</a>\n'
        "            {}\n"
        '            <div class="small text-body-secondary">{} · {}</div>\n'
        "          </td>\n"
        '          <td class="d-none d-md-table-cell text-nowrap">{}</td>\n'
        '          <td class="d-none d-lg-table-cell">{}</td>\n'
        '          <td class="d-none d-lg-table-cell">{}</td>\n'
        '          <td class="text-nowrap">{}\n'
        "            <div>{}</div></td>\n"
        '          <td class="text-nowrap">{}</td>\n'
        "        </tr>",
        _shown(need.pk),
        format_html(' data-escalation="{}"', _shown(escalation)) if escalation else "",
        url_pk("crm:need-detail", need.pk),
        _shown(need.title),
        badge(need.urgency, need.get_urgency_display()) if need.urgency != "normal" else "",
        _shown(need.code),
        _shown(source),
        _shown(need.get_category_display()),
        _shown((need.lead_department.name if need.lead_department_id else "") or "—"),
        _shown(need.handler if need.handler_id else "—"),
        _shown(_day(need.due_on) or "—"),
        escalation_badge(escalation),
        badge(need.status, need.get_status_display()),
    )


def _link(opens: bool, url: str, text, css: str = "") -> str:
    """``{% if opens %}<a href="…">text</a>{% else %}text{% endif %}``."""
    if not opens:
        return _shown(text)
    return format_html('<a{} href="{}">{}</a>', format_html(' class="{}"', css) if css else "", url, _shown(text))


@register.simple_tag
def action_item_row(item) -> str:
    """One row of the action list (templates/crm/action_items/list.html); links only to the pages ``item.opens``
    (crm.selectors.scope.links_mark) and the edit link only where ``item.user_can_edit``."""
    overdue = item.is_overdue
    opens = getattr(item, "opens", ())
    code = _link(getattr(item, "user_can_edit", False), url_pk("crm:actionitem-update", item.pk), item.code)
    offering = (
        format_html(
            '<div class="small text-body-secondary"><i class="bi bi-box-seam" aria-hidden="true"></i> {}</div>',
            _shown(item.offering.name),
        )
        if item.offering_id
        else ""
    )
    result = (
        format_html('<div class="small text-body-secondary text-truncate cell-clip-24">{}</div>', _shown(item.result))
        if item.result
        else ""
    )
    if item.need_id:
        need = item.need
        target = format_html(
            "{} {}\n            ",
            _link("need" in opens, url_pk("crm:need-detail", item.need_id), need.code),
            _shown(truncatechars(need.title, 24)),
        )
    elif item.project_id:
        target = _link("project" in opens, url_pk("crm:project-detail", item.project_id), item.project.name)
    else:
        target = ""
    if item.enterprise_id:
        name = item.enterprise.name
        if "enterprise" in opens:
            shown = _link(True, url_pk("crm:enterprise-detail", item.enterprise_id), name, "text-body-secondary")
        else:
            shown = format_html('<span class="text-body-secondary">{}</span>', _shown(name))
        enterprise = format_html("<div>{}</div>", shown)
    else:
        enterprise = ""
    department = (
        format_html('<div class="text-body-secondary">{}</div>', _shown(item.department.name))
        if item.department_id
        else ""
    )
    overdue_mark = (
        format_html(' <span class="badge text-bg-danger" data-mark="overdue">{}</span>', gettext("Overdue"))
        if overdue
        else ""
    )
    completed = (
        format_html('<div class="small text-body-secondary">{}</div>', _day(item.completed_on))
        if item.completed_on
        else ""
    )
    return format_html(
        '<tr data-id="{}"{}>\n'
        '          <td class="text-nowrap small">{}</td>\n'
        "          <td>{}{}\n"
        "            {}</td>\n"
        '          <td class="d-none d-md-table-cell small">\n'
        "            {}\n"
        "            {}\n"
        "          </td>\n"
        '          <td class="d-none d-lg-table-cell small">{}{}</td>\n'
        '          <td class="text-nowrap small{}">{}{}</td>\n'
        '          <td class="text-nowrap">{}{}</td>\n'
        "        </tr>",
        _shown(item.pk),
        mark_safe(' class="table-danger"') if overdue else "",
        code,
        _shown(item.title),
        offering,
        result,
        target,
        enterprise,
        _shown(item.owner) if item.owner_id else "",
        department,
        mark_safe(" text-danger fw-semibold") if overdue else "",
        _day(item.due_on),
        overdue_mark,
        badge(item.status, item.get_status_display()),
        completed,
    )

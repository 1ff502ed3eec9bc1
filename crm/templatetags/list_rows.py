"""The rows of the busiest list pages, written in Python (``{% visit_row v %}``, ``need_row``, ``action_item_row``,
``enterprise_row``).

A list row drawn by the template language costs some thirty node renders (variables, filters, ``{% if %}``,
``{% url_pk %}``, ``{% badge %}``) and as many trips through Django's lazy-aware escaping: a good part of a list
page's time on the seed_scale data. These tags write the same bytes as the templates they replaced (the helpers
below do what ``{{ value }}``, ``|date:"Y-m-d"``, ``|default`` and ``|truncatechars`` do; the badges and the links
come from crm_tags; tests/test_templatetags_list_rows.py renders both), so the page is unchanged.
"""

import datetime as dt
import html

from django import template
from django.template.defaultfilters import truncatechars
from django.utils import dateformat
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from crm.templatetags.crm_tags import badge, escalation_badge, url_pk
from crm.templatetags.number_tags import wan

register = template.Library()


def _shown(value) -> str:
    """``{{ value }}``: localized, then escaped unless already safe (a plain string straight to ``html.escape``,
    which is what Django's ``escape`` calls)."""
    if type(value) is str:
        return html.escape(value)
    return conditional_escape(localize(template_localtime(value)))


def _day(value) -> str:
    """``{{ value|date:"Y-m-d" }}`` (an empty string for no date); a date's ISO form is exactly that."""
    if not value:
        return ""
    return value.isoformat() if type(value) is dt.date else dateformat.format(value, "Y-m-d")


def _link(opens: bool, url: str, text, css: str = "") -> str:
    """``{% if opens %}<a href="…">text</a>{% else %}text{% endif %}``."""
    if not opens:
        return _shown(text)
    attribute = f' class="{css}"' if css else ""
    return f'<a{attribute} href="{_shown(url)}">{_shown(text)}</a>'


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
    return mark_safe(  # noqa: S308 (every value escaped by _shown; badge and url_pk escape theirs)
        f'<tr data-id="{_shown(v.pk)}">\n'
        f'          <td class="text-nowrap"><a href="{_shown(url_pk("crm:visit-detail", v.pk))}" class="fw-semibold">'
        f"{_day(v.visited_on)}</a>\n"
        f'            <div class="small text-body-secondary">{_shown(v.code)}</div></td>\n'
        f"          <td>{_shown(enterprise)}\n"
        f'            <div class="small text-body-secondary text-truncate visit-summary">{_shown(summary)}</div></td>\n'
        f'          <td class="d-none d-md-table-cell text-nowrap">{_shown(v.get_kind_display())}</td>\n'
        f'          <td class="d-none d-lg-table-cell small">{"".join(people)}</td>\n'
        f'          <td class="d-none d-sm-table-cell text-end">{_shown(v.needs_count)}</td>\n'
        f"          <td>{badge(v.flag, v.get_flag_display())}</td>\n"
        "        </tr>"
    )


@register.simple_tag
def need_row(need) -> str:
    """One row of the needs list (templates/crm/needs/list.html)."""
    escalation = getattr(need, "escalation", None)
    source = (need.enterprise.name if need.enterprise_id else "") or (need.project.name if need.project_id else "")
    escalation_attribute = f' data-escalation="{_shown(escalation)}"' if escalation else ""
    urgency = badge(need.urgency, need.get_urgency_display()) if need.urgency != "normal" else ""
    department = (need.lead_department.name if need.lead_department_id else "") or "—"
    return mark_safe(  # noqa: S308 (every value escaped by _shown; the badges and url_pk escape theirs)
        f'<tr data-id="{_shown(need.pk)}"{escalation_attribute}>\n'
        "          <td>\n"
        f'            <a href="{_shown(url_pk("crm:need-detail", need.pk))}" class="fw-semibold">'
        f"{_shown(need.title)}</a>\n"
        f"            {urgency}\n"
        f'            <div class="small text-body-secondary">{_shown(need.code)} · {_shown(source)}</div>\n'
        "          </td>\n"
        f'          <td class="d-none d-md-table-cell text-nowrap">{_shown(need.get_category_display())}</td>\n'
        f'          <td class="d-none d-lg-table-cell">{_shown(department)}</td>\n'
        f'          <td class="d-none d-lg-table-cell">{_shown(need.handler if need.handler_id else "—")}</td>\n'
        f'          <td class="text-nowrap">{_shown(_day(need.due_on) or "—")}\n'
        f"            <div>{escalation_badge(escalation)}</div></td>\n"
        f'          <td class="text-nowrap">{badge(need.status, need.get_status_display())}</td>\n'
        "        </tr>"
    )


@register.simple_tag
def action_item_row(item) -> str:
    """One row of the action list (templates/crm/action_items/list.html); links only to the pages ``item.opens``
    (crm.selectors.scope.links_mark) and the edit link only where ``item.user_can_edit``."""
    overdue = item.is_overdue
    opens = getattr(item, "opens", ())
    code = _link(getattr(item, "user_can_edit", False), url_pk("crm:actionitem-update", item.pk), item.code)
    offering = (
        '<div class="small text-body-secondary"><i class="bi bi-box-seam" aria-hidden="true"></i> '
        f"{_shown(item.offering.name)}</div>"
        if item.offering_id
        else ""
    )
    result = (
        f'<div class="small text-body-secondary text-truncate cell-clip-24">{_shown(item.result)}</div>'
        if item.result
        else ""
    )
    if item.need_id:
        need_link = _link("need" in opens, url_pk("crm:need-detail", item.need_id), item.need.code)
        target = f"{need_link} {_shown(truncatechars(item.need.title, 24))}\n            "
    elif item.project_id:
        target = _link("project" in opens, url_pk("crm:project-detail", item.project_id), item.project.name)
    else:
        target = ""
    enterprise = ""
    if item.enterprise_id:
        name = item.enterprise.name
        if "enterprise" in opens:
            shown = _link(True, url_pk("crm:enterprise-detail", item.enterprise_id), name, "text-body-secondary")
        else:
            shown = f'<span class="text-body-secondary">{_shown(name)}</span>'
        enterprise = f"<div>{shown}</div>"
    department = f'<div class="text-body-secondary">{_shown(item.department.name)}</div>' if item.department_id else ""
    overdue_mark = (
        f' <span class="badge text-bg-danger" data-mark="overdue">{_shown(gettext("Overdue"))}</span>'
        if overdue
        else ""
    )
    completed = f'<div class="small text-body-secondary">{_day(item.completed_on)}</div>' if item.completed_on else ""
    row_class = ' class="table-danger"' if overdue else ""
    owner = _shown(item.owner) if item.owner_id else ""
    return mark_safe(  # noqa: S308 (every value escaped by _shown; badge and url_pk escape theirs)
        f'<tr data-id="{_shown(item.pk)}"{row_class}>\n'
        f'          <td class="text-nowrap small">{code}</td>\n'
        f"          <td>{_shown(item.title)}{offering}\n"
        f"            {result}</td>\n"
        '          <td class="d-none d-md-table-cell small">\n'
        f"            {target}\n"
        f"            {enterprise}\n"
        "          </td>\n"
        f'          <td class="d-none d-lg-table-cell small">{owner}{department}</td>\n'
        f'          <td class="text-nowrap small{" text-danger fw-semibold" if overdue else ""}">'
        f"{_day(item.due_on)}{overdue_mark}</td>\n"
        f'          <td class="text-nowrap">{badge(item.status, item.get_status_display())}{completed}</td>\n'
        "        </tr>"
    )


@register.simple_tag
def enterprise_row(e) -> str:
    """One row of the enterprises list (templates/crm/enterprises/list.html)."""
    status = f" {badge(e.status, e.get_status_display())}" if e.status != "operating" else ""
    officers = "、".join(_shown(officer) for officer in e.liaison_officers.all()) or "—"
    linked = f'<span class="badge text-bg-primary">{_shown(gettext("Linked"))}</span>' if e.is_linked else ""
    assisted = f'<span class="badge text-bg-success">{_shown(gettext("Assisted"))}</span>' if e.is_assisted else ""
    chain = e.industry_chain if e.industry_chain_id else ""
    employees = _shown("—" if e.employees is None else e.employees)
    return mark_safe(  # noqa: S308 (every value escaped by _shown; badge and url_pk escape theirs)
        f'<tr data-id="{_shown(e.pk)}">\n'
        "          <td>\n"
        f'            <a href="{_shown(url_pk("crm:enterprise-detail", e.pk))}" class="fw-semibold">'
        f"{_shown(e.name)}</a>\n"
        f"            {status}\n"
        f'            <div class="d-md-none small text-body-secondary">{_shown(e.credit_code)}</div>\n'
        "          </td>\n"
        f'          <td class="d-none d-md-table-cell font-monospace small">{_shown(e.credit_code)}</td>\n'
        f'          <td class="d-none d-sm-table-cell text-nowrap">{_shown(e.region if e.region_id else "")}</td>\n'
        f'          <td class="d-none d-lg-table-cell">{_shown(chain or "—")}</td>\n'
        '          <td class="d-none d-xl-table-cell small">\n'
        f"            {officers}\n"
        "          </td>\n"
        f'          <td class="d-none d-lg-table-cell text-end">{employees}</td>\n'
        f'          <td class="d-none d-lg-table-cell text-end">{_shown(wan(e.revenue))}</td>\n'
        '          <td class="text-nowrap">\n'
        f"            {linked}\n"
        f"            {assisted}\n"
        "          </td>\n"
        "        </tr>"
    )

"""The rows of the busiest list pages, written in Python (``{% visit_row v %}``, ``need_row``, ``action_item_row``,
``enterprise_row``, ``project_row``, ``policy_row``).

A list row drawn by the template language costs some thirty node renders (variables, filters, ``{% if %}``,
``{% url_pk %}``, ``{% badge %}``) and as many trips through Django's lazy-aware escaping: a good part of a list
page's time on the seed_scale data. These tags write the same bytes as the templates they replaced (the helpers
below do what ``{{ value }}``, ``|date:"Y-m-d"``, ``|default`` and ``|truncatechars`` do; the badges and the links
come from crm_tags; tests/test_templatetags_list_rows.py renders both), so the page is unchanged.
"""

from django import template
from django.template.defaultfilters import truncatechars
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from crm.templatetags.crm_tags import badge, escalation_badge, related_rows, shown, url_pk, url_pk_parts, ymd
from crm.templatetags.number_tags import wan
from crm.templatetags.policy_tags import policy_window

register = template.Library()


def _link(opens: bool, url: str, text, css: str = "") -> str:
    """``{% if opens %}<a href="…">text</a>{% else %}text{% endif %}``."""
    if not opens:
        return shown(text)
    attribute = f' class="{css}"' if css else ""
    return f'<a{attribute} href="{shown(url)}">{shown(text)}</a>'


@register.simple_tag
def visit_row(v) -> str:
    """One row of the visits list (templates/crm/visits/list.html)."""
    lead = v.lead if v.lead_id else None
    people = [shown(lead)] if lead else []
    for index, officer in enumerate(related_rows(v, "officers")):
        if officer != lead:
            people.append(("、" if lead or index else "") + shown(officer))
    summary = truncatechars(v.q_needs or v.q_difficulties or v.q_suggestions, 60)
    enterprise = v.enterprise.name if v.enterprise_id else ""
    return mark_safe(  # noqa: S308 (every value escaped by _shown; badge and url_pk escape theirs)
        f'<tr data-id="{shown(v.pk)}">\n'
        f'          <td class="text-nowrap"><a href="{shown(url_pk("crm:visit-detail", v.pk))}" class="fw-semibold">'
        f"{ymd(v.visited_on)}</a>\n"
        f'            <div class="small text-body-secondary">{shown(v.code)}</div></td>\n'
        f"          <td>{shown(enterprise)}\n"
        f'            <div class="small text-body-secondary text-truncate visit-summary">{shown(summary)}</div></td>\n'
        f'          <td class="d-none d-md-table-cell text-nowrap">{shown(v.get_kind_display())}</td>\n'
        f'          <td class="d-none d-lg-table-cell small">{"".join(people)}</td>\n'
        f'          <td class="d-none d-sm-table-cell text-end">{shown(v.needs_count)}</td>\n'
        f"          <td>{badge(v.flag, v.get_flag_display())}</td>\n"
        "        </tr>"
    )


@register.simple_tag
def need_row(need) -> str:
    """One row of the needs list (templates/crm/needs/list.html)."""
    escalation = getattr(need, "escalation", None)
    source = (need.enterprise.name if need.enterprise_id else "") or (need.project.name if need.project_id else "")
    escalation_attribute = f' data-escalation="{shown(escalation)}"' if escalation else ""
    urgency = badge(need.urgency, need.get_urgency_display()) if need.urgency != "normal" else ""
    department = (need.lead_department.name if need.lead_department_id else "") or "—"
    return mark_safe(  # noqa: S308 (every value escaped by _shown; the badges and url_pk escape theirs)
        f'<tr data-id="{shown(need.pk)}"{escalation_attribute}>\n'
        "          <td>\n"
        f'            <a href="{shown(url_pk("crm:need-detail", need.pk))}" class="fw-semibold">'
        f"{shown(need.title)}</a>\n"
        f"            {urgency}\n"
        f'            <div class="small text-body-secondary">{shown(need.code)} · {shown(source)}</div>\n'
        "          </td>\n"
        f'          <td class="d-none d-md-table-cell text-nowrap">{shown(need.get_category_display())}</td>\n'
        f'          <td class="d-none d-lg-table-cell">{shown(department)}</td>\n'
        f'          <td class="d-none d-lg-table-cell">{shown(need.handler if need.handler_id else "—")}</td>\n'
        f'          <td class="text-nowrap">{shown(ymd(need.due_on) or "—")}\n'
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
        f"{shown(item.offering.name)}</div>"
        if item.offering_id
        else ""
    )
    result = (
        f'<div class="small text-body-secondary text-truncate cell-clip-24">{shown(item.result)}</div>'
        if item.result
        else ""
    )
    if item.need_id:
        need_link = _link("need" in opens, url_pk("crm:need-detail", item.need_id), item.need.code)
        target = f"{need_link} {shown(truncatechars(item.need.title, 24))}\n            "
    elif item.project_id:
        target = _link("project" in opens, url_pk("crm:project-detail", item.project_id), item.project.name)
    else:
        target = ""
    enterprise = ""
    if item.enterprise_id:
        name = item.enterprise.name
        if "enterprise" in opens:
            place = _link(True, url_pk("crm:enterprise-detail", item.enterprise_id), name, "text-body-secondary")
        else:
            place = f'<span class="text-body-secondary">{shown(name)}</span>'
        enterprise = f"<div>{place}</div>"
    department = f'<div class="text-body-secondary">{shown(item.department.name)}</div>' if item.department_id else ""
    overdue_mark = (
        f' <span class="badge text-bg-danger" data-mark="overdue">{shown(gettext("Overdue"))}</span>' if overdue else ""
    )
    completed = f'<div class="small text-body-secondary">{ymd(item.completed_on)}</div>' if item.completed_on else ""
    row_class = ' class="table-danger"' if overdue else ""
    owner = shown(item.owner) if item.owner_id else ""
    return mark_safe(  # noqa: S308 (every value escaped by _shown; badge and url_pk escape theirs)
        f'<tr data-id="{shown(item.pk)}"{row_class}>\n'
        f'          <td class="text-nowrap small">{code}</td>\n'
        f"          <td>{shown(item.title)}{offering}\n"
        f"            {result}</td>\n"
        '          <td class="d-none d-md-table-cell small">\n'
        f"            {target}\n"
        f"            {enterprise}\n"
        "          </td>\n"
        f'          <td class="d-none d-lg-table-cell small">{owner}{department}</td>\n'
        f'          <td class="text-nowrap small{" text-danger fw-semibold" if overdue else ""}">'
        f"{ymd(item.due_on)}{overdue_mark}</td>\n"
        f'          <td class="text-nowrap">{badge(item.status, item.get_status_display())}{completed}</td>\n'
        "        </tr>"
    )


@register.simple_tag
def enterprise_row(e) -> str:
    """One row of the enterprises list (templates/crm/enterprises/list.html)."""
    status = f" {badge(e.status, e.get_status_display())}" if e.status != "operating" else ""
    officers = "、".join(shown(officer) for officer in related_rows(e, "liaison_officers")) or "—"
    linked = f'<span class="badge text-bg-primary">{shown(gettext("Linked"))}</span>' if e.is_linked else ""
    assisted = f'<span class="badge text-bg-success">{shown(gettext("Assisted"))}</span>' if e.is_assisted else ""
    chain = e.industry_chain if e.industry_chain_id else ""
    employees = shown("—" if e.employees is None else e.employees)
    return mark_safe(  # noqa: S308 (every value escaped by _shown; badge and url_pk escape theirs)
        f'<tr data-id="{shown(e.pk)}">\n'
        "          <td>\n"
        f'            <a href="{shown(url_pk("crm:enterprise-detail", e.pk))}" class="fw-semibold">'
        f"{shown(e.name)}</a>\n"
        f"            {status}\n"
        f'            <div class="d-md-none small text-body-secondary">{shown(e.credit_code)}</div>\n'
        "          </td>\n"
        f'          <td class="d-none d-md-table-cell font-monospace small">{shown(e.credit_code)}</td>\n'
        f'          <td class="d-none d-sm-table-cell text-nowrap">{shown(e.region if e.region_id else "")}</td>\n'
        f'          <td class="d-none d-lg-table-cell">{shown(chain or "—")}</td>\n'
        '          <td class="d-none d-xl-table-cell small">\n'
        f"            {officers}\n"
        "          </td>\n"
        f'          <td class="d-none d-lg-table-cell text-end">{employees}</td>\n'
        f'          <td class="d-none d-lg-table-cell text-end">{shown(wan(e.revenue))}</td>\n'
        '          <td class="text-nowrap">\n'
        f"            {linked}\n"
        f"            {assisted}\n"
        "          </td>\n"
        "        </tr>"
    )


@register.simple_tag
def project_row(p) -> str:
    """One row of the projects list (templates/crm/projects/list.html)."""
    assisted = f' <span class="badge text-bg-success">{shown(gettext("Assisted"))}</span>' if p.is_assisted else ""
    status = f" {badge(p.status, p.get_status_display())}" if p.status != "active" else ""
    enterprise = p.enterprise
    if enterprise:
        enterprise = f'<a href="{shown(url_pk("crm:enterprise-detail", p.enterprise_id))}">{shown(enterprise)}</a>'
    else:
        enterprise = "—"
    officers = "、".join(shown(officer) for officer in related_rows(p, "liaison_officers")) or "—"
    return mark_safe(  # noqa: S308 (every value escaped by shown; badge and url_pk escape theirs)
        f'<tr data-id="{shown(p.pk)}">\n'
        f'          <td><a href="{shown(url_pk("crm:project-detail", p.pk))}" class="fw-semibold">{shown(p.name)}</a>\n'
        f"            {assisted}\n"
        f"            {status}</td>\n"
        f'          <td class="d-none d-md-table-cell">{enterprise}</td>\n'
        f'          <td class="d-none d-sm-table-cell text-nowrap">{shown(p.region)}</td>\n'
        f'          <td class="d-none d-lg-table-cell">{shown(p.get_kind_display())}</td>\n'
        f'          <td class="text-nowrap">{shown(p.get_stage_display())}</td>\n'
        f'          <td class="d-none d-lg-table-cell text-end">{shown(wan(p.planned_investment))}</td>\n'
        f'          <td class="d-none d-xl-table-cell small">{officers}</td>\n'
        "        </tr>"
    )


@register.simple_tag
def policy_row(policy) -> str:
    """One row of the policy library (templates/crm/policies/list.html)."""
    doc_number = f" · {shown(policy.doc_number)}" if policy.doc_number else ""
    return mark_safe(  # noqa: S308 (every value escaped by shown; policy_window and url_pk escape theirs)
        f'<tr data-id="{shown(policy.pk)}">\n'
        "          <td>\n"
        f'            <a href="{shown(url_pk("crm:policy-detail", policy.pk))}" class="fw-semibold">'
        f"{shown(policy.title)}</a>\n"
        f'            <div class="small text-body-secondary">{shown(policy.issuer)}{doc_number}</div>\n'
        "          </td>\n"
        f'          <td class="d-none d-md-table-cell text-nowrap">{shown(policy.get_level_display())}</td>\n'
        f'          <td class="d-none d-lg-table-cell text-nowrap">{shown(policy.get_kind_display())}</td>\n'
        f'          <td class="d-none d-lg-table-cell text-nowrap">{shown(policy.get_delivery_display())}</td>\n'
        f'          <td class="small">{policy_window(policy)}</td>\n'
        f'          <td class="d-none d-md-table-cell text-end">{shown(wan(policy.max_amount))}</td>\n'
        "        </tr>"
    )


class ValueLabels:
    """The badges and labels of one table's enumeration values, each made once per value: a table of twenty needs
    shows a handful of statuses and categories, and a badge (a translated label and ``format_html``) cost more than
    the rest of its row. For one rendering (one language)."""

    def __init__(self):
        self._made: dict[tuple, str] = {}

    def badge(self, row, field: str) -> str:
        """``badge(row.<field>, row.get_<field>_display())``."""
        key = ("badge", field, getattr(row, field))
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = badge(key[2], getattr(row, f"get_{field}_display")())
        return made

    def label(self, row, field: str) -> str:
        """``{{ row.get_<field>_display }}``."""
        key = ("label", field, getattr(row, field))
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = shown(getattr(row, f"get_{field}_display")())
        return made


@register.simple_tag
def needs_table_rows(needs) -> str:
    """The rows of the compact needs table (templates/crm/partials/_needs_table.html: the 360° page, the project
    and visit pages): the bytes its ``{% for need in needs %}`` loop wrote."""
    overdue_title = shown(gettext("overdue"))
    head, tail = url_pk_parts("crm:need-detail")
    labels = ValueLabels()
    parts = []
    for need in needs:
        url = shown(f"{head}{need.pk}{tail}")
        code, title = shown(need.code), shown(need.title)
        urgency = f" {labels.badge(need, 'urgency')}" if need.urgency != "normal" else ""
        department = shown(need.lead_department.name if need.lead_department_id else "") or "—"
        overdue = bool(getattr(need, "is_overdue", False))
        due = (ymd(need.due_on) or "—") + (f' <i class="bi bi-alarm" title="{overdue_title}"></i>' if overdue else "")
        parts.append(
            "\n    \n    <tr>\n"
            f'      <td class="text-nowrap d-none d-sm-table-cell"><a href="{url}">{code}</a></td>\n'
            f'      <td><a class="d-sm-none" href="{url}">{title}</a><span class="d-none d-sm-inline">{title}</span>'
            f"{urgency}</td>\n"
            f'      <td class="d-none d-md-table-cell text-nowrap">{labels.label(need, "category")}</td>\n'
            f'      <td class="d-none d-md-table-cell">{department}</td>\n'
            f'      <td class="text-nowrap{" text-danger fw-semibold" if overdue else ""}">{due}</td>\n'
            f'      <td class="text-nowrap">{labels.badge(need, "status")}</td>\n'
            "    </tr>\n  "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by shown; badge and url_pk escape theirs)


@register.simple_tag
def action_items_table_rows(items) -> str:
    """The rows of the compact table of action items (templates/crm/partials/_action_items_table.html: the 360°
    page): the bytes its ``{% for item in items %}`` loop wrote."""
    labels = ValueLabels()
    parts = []
    for item in items:
        overdue = " text-danger fw-semibold" if item.is_overdue else ""
        parts.append(
            "\n    <tr>\n"
            f'      <td class="text-nowrap d-none d-sm-table-cell">{shown(item.code)}</td>\n'
            f"      <td>{shown(item.title)}</td>\n"
            f'      <td class="d-none d-md-table-cell">{shown(item.owner)}</td>\n'
            f'      <td class="text-nowrap{overdue}">{ymd(item.due_on)}</td>\n'
            f'      <td class="text-nowrap">{labels.badge(item, "status")}</td>\n'
            "    </tr>\n  "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by shown; badge escapes its own)

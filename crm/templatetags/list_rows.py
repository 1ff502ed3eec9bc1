"""The rows of the busiest list pages, written in Python (``{% visit_row v %}``, ``need_row``, ``action_item_row``,
``enterprise_row``, ``project_row``, ``policy_row``; the notifications' items, ``notification_rows``; the milestone
lag lists' rows, ``milestone_rows``; the 360° page's side sections, ``enterprise_profile``, ``qualification_rows``,
``contact_items``, ``project_items``, ``liaison_officers``).

A list row drawn by the template language costs some thirty node renders (variables, filters, ``{% if %}``,
``{% url_pk %}``, ``{% badge %}``) and as many trips through Django's lazy-aware escaping: a good part of a list
page's time on the seed_scale data. These tags write the same bytes as the templates they replaced (the helpers
below do what ``{{ value }}``, ``|date:"Y-m-d"``, ``|default`` and ``|truncatechars`` do; the badges and the links
come from crm_tags; tests/test_templatetags_list_rows.py renders both), so the page is unchanged.
"""

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils import dateformat
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext, ngettext

from crm.templatetags.crm_tags import badge, clipped, escalation_badge, related_rows, shown, url_pk, url_pk_parts, ymd
from crm.templatetags.number_tags import percent, wan
from crm.templatetags.policy_tags import policy_window

register = template.Library()


def _link(opens: bool, url: str, text, css: str = "") -> str:
    """``{% if opens %}<a href="…">text</a>{% else %}text{% endif %}``."""
    if not opens:
        return shown(text)
    attribute = f' class="{css}"' if css else ""
    return f'<a{attribute} href="{shown(url)}">{shown(text)}</a>'


class ValueLabels:
    """The badges and labels of one table's enumeration values, each made once per value: a table of twenty needs
    shows a handful of statuses and categories, and a badge (a translated label and ``format_html``) cost more than
    the rest of its row. Also the table's link paths (``url_pk_parts``) and escalation badges. For one rendering
    (one language)."""

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

    def url(self, viewname: str, pk) -> str:
        """``url_pk(viewname, pk)``, the path around the key looked up once per table (three context-local reads
        per link otherwise)."""
        if type(pk) is not int:
            return url_pk(viewname, pk)
        key = ("url", viewname)
        parts = self._made.get(key)
        if parts is None:
            parts = self._made[key] = url_pk_parts(viewname)
        return f"{parts[0]}{pk}{parts[1]}"

    def escalation(self, level) -> str:
        """``escalation_badge(level)``."""
        key = ("escalation", level)
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = escalation_badge(level)
        return made


def visit_row(v, labels: ValueLabels | None = None) -> str:
    """One row of the visits list (templates/crm/visits/list.html)."""
    labels = ValueLabels() if labels is None else labels
    lead = v.lead if v.lead_id else None
    people = [shown(lead)] if lead else []
    for index, officer in enumerate(related_rows(v, "officers")):
        if officer != lead:
            people.append(("、" if lead or index else "") + shown(officer))
    summary = clipped(v.q_needs or v.q_difficulties or v.q_suggestions, 60)
    enterprise = v.enterprise.name if v.enterprise_id else ""
    return mark_safe(  # noqa: S308 (every value escaped by _shown; badge and url_pk escape theirs)
        f'<tr data-id="{shown(v.pk)}">\n'
        f'          <td class="text-nowrap"><a href="{shown(labels.url("crm:visit-detail", v.pk))}"'
        ' class="fw-semibold">'
        f"{ymd(v.visited_on)}</a>\n"
        f'            <div class="small text-body-secondary">{shown(v.code)}</div></td>\n'
        f"          <td>{shown(enterprise)}\n"
        f'            <div class="small text-body-secondary text-truncate visit-summary">{shown(summary)}</div></td>\n'
        f'          <td class="d-none d-md-table-cell text-nowrap">{labels.label(v, "kind")}</td>\n'
        f'          <td class="d-none d-lg-table-cell small">{"".join(people)}</td>\n'
        f'          <td class="d-none d-sm-table-cell text-end">{shown(v.needs_count)}</td>\n'
        f"          <td>{labels.badge(v, 'flag')}</td>\n"
        "        </tr>"
    )


def need_row(need, labels: ValueLabels | None = None) -> str:
    """One row of the needs list (templates/crm/needs/list.html)."""
    labels = ValueLabels() if labels is None else labels
    escalation = getattr(need, "escalation", None)
    source = (need.enterprise.name if need.enterprise_id else "") or (need.project.name if need.project_id else "")
    escalation_attribute = f' data-escalation="{shown(escalation)}"' if escalation else ""
    urgency = labels.badge(need, "urgency") if need.urgency != "normal" else ""
    department = (need.lead_department.name if need.lead_department_id else "") or "—"
    return mark_safe(  # noqa: S308 (every value escaped by _shown; the badges and url_pk escape theirs)
        f'<tr data-id="{shown(need.pk)}"{escalation_attribute}>\n'
        "          <td>\n"
        f'            <a href="{shown(labels.url("crm:need-detail", need.pk))}" class="fw-semibold">'
        f"{shown(need.title)}</a>\n"
        f"            {urgency}\n"
        f'            <div class="small text-body-secondary">{shown(need.code)} · {shown(source)}</div>\n'
        "          </td>\n"
        f'          <td class="d-none d-md-table-cell text-nowrap">{labels.label(need, "category")}</td>\n'
        f'          <td class="d-none d-lg-table-cell">{shown(department)}</td>\n'
        f'          <td class="d-none d-lg-table-cell">{shown(need.handler if need.handler_id else "—")}</td>\n'
        f'          <td class="text-nowrap">{shown(ymd(need.due_on) or "—")}\n'
        f"            <div>{labels.escalation(escalation)}</div></td>\n"
        f'          <td class="text-nowrap">{labels.badge(need, "status")}</td>\n'
        "        </tr>"
    )


def action_item_row(item, labels: ValueLabels | None = None) -> str:
    """One row of the action list (templates/crm/action_items/list.html); links only to the pages ``item.opens``
    (crm.selectors.scope.links_mark) and the edit link only where ``item.user_can_edit``."""
    labels = ValueLabels() if labels is None else labels
    overdue = item.is_overdue
    opens = getattr(item, "opens", ())
    code = _link(getattr(item, "user_can_edit", False), labels.url("crm:actionitem-update", item.pk), item.code)
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
        need_link = _link("need" in opens, labels.url("crm:need-detail", item.need_id), item.need.code)
        target = f"{need_link} {shown(clipped(item.need.title, 24))}\n            "
    elif item.project_id:
        target = _link("project" in opens, labels.url("crm:project-detail", item.project_id), item.project.name)
    else:
        target = ""
    enterprise = ""
    if item.enterprise_id:
        name = item.enterprise.name
        if "enterprise" in opens:
            place = _link(True, labels.url("crm:enterprise-detail", item.enterprise_id), name, "text-body-secondary")
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
        f'          <td class="text-nowrap">{labels.badge(item, "status")}{completed}</td>\n'
        "        </tr>"
    )


def enterprise_row(e, labels: ValueLabels | None = None) -> str:
    """One row of the enterprises list (templates/crm/enterprises/list.html)."""
    labels = ValueLabels() if labels is None else labels
    status = f" {labels.badge(e, 'status')}" if e.status != "operating" else ""
    officers = "、".join(shown(officer) for officer in related_rows(e, "liaison_officers")) or "—"
    linked = f'<span class="badge text-bg-primary">{shown(gettext("Linked"))}</span>' if e.is_linked else ""
    assisted = f'<span class="badge text-bg-success">{shown(gettext("Assisted"))}</span>' if e.is_assisted else ""
    chain = e.industry_chain if e.industry_chain_id else ""
    employees = shown("—" if e.employees is None else e.employees)
    return mark_safe(  # noqa: S308 (every value escaped by _shown; badge and url_pk escape theirs)
        f'<tr data-id="{shown(e.pk)}">\n'
        "          <td>\n"
        f'            <a href="{shown(labels.url("crm:enterprise-detail", e.pk))}" class="fw-semibold">'
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


def project_row(p, labels: ValueLabels | None = None) -> str:
    """One row of the projects list (templates/crm/projects/list.html)."""
    labels = ValueLabels() if labels is None else labels
    assisted = f' <span class="badge text-bg-success">{shown(gettext("Assisted"))}</span>' if p.is_assisted else ""
    status = f" {labels.badge(p, 'status')}" if p.status != "active" else ""
    enterprise = p.enterprise
    if enterprise:
        enterprise = f'<a href="{shown(labels.url("crm:enterprise-detail", p.enterprise_id))}">{shown(enterprise)}</a>'
    else:
        enterprise = "—"
    officers = "、".join(shown(officer) for officer in related_rows(p, "liaison_officers")) or "—"
    return mark_safe(  # noqa: S308 (every value escaped by shown; badge and url_pk escape theirs)
        f'<tr data-id="{shown(p.pk)}">\n'
        f'          <td><a href="{shown(labels.url("crm:project-detail", p.pk))}" class="fw-semibold">'
        f"{shown(p.name)}</a>\n"
        f"            {assisted}\n"
        f"            {status}</td>\n"
        f'          <td class="d-none d-md-table-cell">{enterprise}</td>\n'
        f'          <td class="d-none d-sm-table-cell text-nowrap">{shown(p.region)}</td>\n'
        f'          <td class="d-none d-lg-table-cell">{labels.label(p, "kind")}</td>\n'
        f'          <td class="text-nowrap">{labels.label(p, "stage")}</td>\n'
        f'          <td class="d-none d-lg-table-cell text-end">{shown(wan(p.planned_investment))}</td>\n'
        f'          <td class="d-none d-xl-table-cell small">{officers}</td>\n'
        "        </tr>"
    )


def policy_row(policy, labels: ValueLabels | None = None) -> str:
    """One row of the policy library (templates/crm/policies/list.html)."""
    labels = ValueLabels() if labels is None else labels
    doc_number = f" · {shown(policy.doc_number)}" if policy.doc_number else ""
    return mark_safe(  # noqa: S308 (every value escaped by shown; policy_window and url_pk escape theirs)
        f'<tr data-id="{shown(policy.pk)}">\n'
        "          <td>\n"
        f'            <a href="{shown(labels.url("crm:policy-detail", policy.pk))}" class="fw-semibold">'
        f"{shown(policy.title)}</a>\n"
        f'            <div class="small text-body-secondary">{shown(policy.issuer)}{doc_number}</div>\n'
        "          </td>\n"
        f'          <td class="d-none d-md-table-cell text-nowrap">{labels.label(policy, "level")}</td>\n'
        f'          <td class="d-none d-lg-table-cell text-nowrap">{labels.label(policy, "kind")}</td>\n'
        f'          <td class="d-none d-lg-table-cell text-nowrap">{labels.label(policy, "delivery")}</td>\n'
        f'          <td class="small">{policy_window(policy)}</td>\n'
        f'          <td class="d-none d-md-table-cell text-end">{shown(wan(policy.max_amount))}</td>\n'
        "        </tr>"
    )


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


_CSRF = CsrfTokenNode()


@register.simple_tag(takes_context=True)
def notification_rows(context, notifications) -> str:
    """The items of the notifications list (templates/crm/notifications/list.html): the bytes its ``{% for n in
    notifications %}`` loop wrote (thirty a page, each with its kind's badge, its date and its read form), the CSRF
    field, the words and the page's path made once for the page, each kind's badge once per kind."""
    labels = ValueLabels()
    csrf = _CSRF.render(context)
    read = shown(gettext("read"))
    path = shown(context["request"].get_full_path())
    # The form's two bodies as the {% if %} wrote them: Open, or Mark read coming back to this page.
    opens = (
        '\n          <button class="btn btn-sm btn-outline-primary" type="submit">'
        f"{shown(gettext('Open'))}</button>\n          "
    )
    marks = (
        f'\n          <input type="hidden" name="next" value="{path}">\n'
        '          <button class="btn btn-sm btn-outline-secondary" type="submit">'
        f"{shown(gettext('Mark read'))}</button>\n          "
    )
    parts = []
    for n in notifications:
        read_at = n.read_at
        if "need" in n.opens or n.export_job_id or n.report_id:
            action = opens
        elif not read_at:
            action = marks
        else:
            action = ""
        created = dateformat.format(template_localtime(n.created_at), "Y-m-d H:i") if n.created_at else ""
        parts.append(
            f'\n    <li class="list-group-item{"" if read_at else " notification-unread"}" data-id="{shown(n.pk)}" '
            f'data-read="{"1" if read_at else "0"}">\n'
            '      <div class="d-flex justify-content-between gap-2 align-items-start">\n'
            "        <div>\n"
            f"          <div>{labels.badge(n, 'kind')} {shown(n.text)}</div>\n"
            f'          <div class="small text-body-secondary">{created}{f" · {read}" if read_at else ""}</div>\n'
            "        </div>\n"
            f'        <form method="post" action="{shown(labels.url("crm:notification-read", n.pk))}" '
            f'class="flex-shrink-0">{csrf}\n'
            f"          {action}\n"
            "        </form>\n"
            "      </div>\n"
            "    </li>\n    "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by shown; badge and the CSRF node escape theirs)


@register.simple_tag
def milestone_rows(milestones) -> str:
    """The rows of a milestone lag list (templates/crm/programmes/milestones.html): the bytes its ``{% for m in
    object_list %}`` loop wrote, each milestone's kind label and the project link's path made once per page."""
    labels = ValueLabels()
    parts = []
    for m in milestones:
        project = m.project
        enterprise = project.enterprise if project.enterprise_id else None
        under = f'<div class="small text-body-secondary">{shown(enterprise.name)}</div>' if enterprise else ""
        parts.append(
            f'\n    <tr data-project="{shown(m.project_id)}">\n'
            f'      <td><a href="{shown(labels.url("crm:project-detail", m.project_id))}#schedule">'
            f"{shown(project.name)}</a>{under}</td>\n"
            f"      <td>{shown(project.region.name)}</td>\n"
            f"      <td>{labels.label(m, 'kind')}</td>\n"
            f'      <td class="text-nowrap">{ymd(m.planned_on)}</td>\n'
            f'      <td class="text-end text-danger fw-semibold">{shown(m.days_late)}</td>\n'
            "    </tr>\n    "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by shown)


# The row of each list page's table, by the name its template gives ``table_rows``.
ROWS = {
    "visit": visit_row,
    "need": need_row,
    "action_item": action_item_row,
    "enterprise": enterprise_row,
    "project": project_row,
    "policy": policy_row,
}


@register.simple_tag
def table_rows(kind: str, rows, indent: int = 8) -> str:
    """``{% for row in rows %}`` / ``{% <kind>_row row %}`` / ``{% endfor %}`` of a list page, the loop's text around
    each row as the template wrote it (the ``{% endfor %}`` ``indent`` spaces in): one ``ValueLabels`` for the whole
    table (each status badge, label and link path made once, not per row) and no loop node (a context push per row)."""
    row, labels, after = ROWS[kind], ValueLabels(), "\n" + " " * indent
    return mark_safe("".join(f"\n        {row(item, labels)}{after}" for item in rows))  # noqa: S308 (rows escape theirs)


# --- the 360° page's side sections (templates/crm/enterprises/_section_*.html): each tag writes the bytes of the
# template text it replaced, the loops' line breaks included (tests/test_templatetags_list_rows.py renders both).
# A ``{% translate "…" %}`` of a literal is not escaped (the template's literal is safe, and so its translation):
# the words below are written as the catalogue has them ("R&D staff"). ---


@register.simple_tag
def enterprise_profile(enterprise) -> str:
    """The ``<dt>``/``<dd>`` pairs of the profile section: eleven lines of ``{% translate %}``, a value and its
    filter (``|default:"—"``, ``|date``, ``|wan``, ``|percent``, ``{% blocktranslate count %}``)."""
    e = enterprise
    party = shown(e.get_party_organization_display())
    if e.party_members:
        members = ngettext("%(counter)s member", "%(counter)s members", e.party_members)
        party += f" · {members % {'counter': shown(e.party_members)}}"
    lines = (
        (gettext("Legal representative"), shown(e.legal_representative or "—")),
        (gettext("Established on"), shown(ymd(e.established_on) or "—")),
        (gettext("Address"), shown(e.address or "—")),
        (gettext("Main products"), shown(e.main_products or "—")),
        (gettext("Employees"), shown("—" if e.employees is None else e.employees)),
        (gettext("R&D staff"), shown("—" if e.rd_staff is None else e.rd_staff)),
        (gettext("Revenue (10k CNY)"), shown(wan(e.revenue))),
        (gettext("R&D expense (10k CNY)"), shown(wan(e.rd_expense))),
        (gettext("R&D ratio"), shown(percent(e.rd_ratio))),
        (gettext("Party organisation"), party),
        (gettext("Bureau"), shown((e.bureau if e.bureau_id else None) or "—")),
    )
    return mark_safe(  # noqa: S308 (every value escaped by shown; the member count's text is the catalogue's own)
        "\n      ".join(f'<dt class="col-5">{term}</dt><dd class="col-7">{value}</dd>' for term, value in lines)
    )


@register.simple_tag
def qualification_rows(qualifications) -> str:
    """The rows of the qualifications section (``{% for q in section.qualifications %}``), expired and expiring
    ones marked."""
    expired = f'<span class="badge text-bg-danger qual-badge">{gettext("Expired")}</span>\n          '
    soon = f'<span class="badge text-bg-warning qual-badge">{gettext("Expires soon")}</span>'
    parts = []
    for q in qualifications:
        if q.is_expired:
            css, mark = "qual-expired", expired
        elif q.expires_soon:
            css, mark = "qual-expiring", soon
        else:
            css, mark = "", ""
        certificate = f'<div class="text-body-secondary">{shown(q.certificate_no)}</div>' if q.certificate_no else ""
        parts.append(
            f'\n      <tr class="{css}" data-qualification="{shown(q.qualification_id)}">\n'
            f"        <td>{shown(q.qualification)}{certificate}</td>\n"
            '        <td class="text-nowrap">\n'
            f"          {shown(ymd(q.expires_on) or '—')}\n"
            f"          {mark}\n"
            "        </td>\n"
            "      </tr>\n      "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by shown)


@register.simple_tag
def contact_items(contacts) -> str:
    """The items of the contacts section (``{% for c in section.contacts %}``): a contact's phone and e-mail, its
    service links and, where ``c.user_can_edit``, its edit link."""
    primary = f'<span class="badge text-bg-info text-dark">{gettext("Primary")}</span>'
    links, edit = gettext("Service links"), gettext("Edit")
    links_url, edit_url = url_pk_parts("crm:contact-access-links"), url_pk_parts("crm:contact-update")
    parts = []
    for c in contacts:
        title = f" · {shown(c.title)}" if c.title else ""
        mobile = (
            f'<a href="tel:{shown(c.mobile)}"><i class="bi bi-telephone" aria-hidden="true"></i> {shown(c.mobile)}</a>'
            if c.mobile
            else ""
        )
        email = (
            f' <a href="mailto:{shown(c.email)}"><i class="bi bi-envelope" aria-hidden="true"></i> {shown(c.email)}</a>'
            if c.email
            else ""
        )
        editing = (
            f'<a class="text-body-secondary" href="{shown(f"{edit_url[0]}{c.pk}{edit_url[1]}")}" aria-label="{edit}">'
            '<i class="bi bi-pencil" aria-hidden="true"></i></a>'
            if getattr(c, "user_can_edit", False)
            else ""
        )
        parts.append(
            '\n    <li class="list-group-item d-flex justify-content-between gap-2">\n'
            "      <div>\n"
            f'        <span class="fw-semibold">{shown(c.name)}</span>{title}\n'
            f"        {primary if c.is_primary else ''}\n"
            '        <div class="text-body-secondary">\n'
            f"          {mobile}\n"
            f"          {email}\n"
            "        </div>\n"
            "      </div>\n"
            '      <div class="d-flex gap-2 align-items-start">\n'
            f'      <a class="text-body-secondary" href="{shown(f"{links_url[0]}{c.pk}{links_url[1]}")}" '
            f'title="{links}" aria-label="{links}" data-testid="contact-access-links">'
            '<i class="bi bi-qr-code" aria-hidden="true"></i></a>\n'
            f"      {editing}\n"
            "      </div>\n"
            "    </li>\n    "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by shown)


@register.simple_tag
def project_items(projects) -> str:
    """The items of the projects section (``{% for p in section.projects %}``)."""
    labels = ValueLabels()
    assisted = f' <span class="badge text-bg-success">{gettext("Assisted")}</span>'
    return mark_safe(  # noqa: S308 (every value escaped by shown)
        "".join(
            '\n    <li class="list-group-item d-flex justify-content-between gap-2">\n'
            f'      <a href="{shown(labels.url("crm:project-detail", p.pk))}">{shown(p.name)}</a>\n'
            f'      <span class="text-nowrap">{labels.label(p, "stage")}{assisted if p.is_assisted else ""}</span>\n'
            "    </li>\n    "
            for p in projects
        )
    )


@register.simple_tag
def liaison_officers(officers) -> str:
    """``{% for u in officers %}{{ u }}{% if u.department %}（{{ u.department.name }}）{% endif %}{% if not
    forloop.last %}、{% endif %}{% empty %}—{% endfor %}``: the liaison section's officers."""
    return mark_safe(  # noqa: S308 (every value escaped by shown)
        "、".join(shown(u) + (f"（{shown(u.department.name)}）" if u.department_id else "") for u in officers) or "—"
    )

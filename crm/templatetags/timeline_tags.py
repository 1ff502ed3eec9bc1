"""The entries of the visits-and-needs timeline (templates/crm/visits/_timeline_section.html), written in Python.

The timeline shows 30 entries of some twenty template nodes each: rendered node by node they were the largest part
of the 360° page's rendering (DESIGN §9.2). ``{% timeline_entries section.entries %}`` writes the same bytes the
loop of the section's template wrote; the badges come from their one home (crm_tags.badge, escalation_badge).
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from crm.templatetags.crm_tags import clipped, escalation_badge, shown, url_pk_parts, ymd
from crm.templatetags.list_rows import ValueLabels

register = template.Library()

# The questions of a visit (问需 / 问难 / 问计) as the timeline shows them, cut at TRUNCATE characters.
QUESTIONS = (("q_needs", "问需"), ("q_difficulties", "问难"), ("q_suggestions", "问计"))
TRUNCATE = 120


def _visit(visit, url: tuple[str, str], labels: ValueLabels) -> str:
    lead = visit.lead
    person = shown(lead) if lead else ""
    if visit.interviewee:
        person += f" → {shown(visit.interviewee)}"
        if visit.interviewee_title:
            person += f"（{shown(visit.interviewee_title)}）"
    flag = labels.badge(visit, "flag") if visit.flag != "green" else ""
    questions = "".join(
        f'\n        <div class="small"><span class="badge text-bg-light border">{label}</span> '
        f"{shown(clipped(getattr(visit, name), TRUNCATE))}</div>"
        if getattr(visit, name)
        else "\n        "
        for name, label in QUESTIONS
    )
    return (
        '\n      <li class="timeline-visit" data-kind="visit">\n'
        '        <div class="d-flex flex-wrap justify-content-between gap-1">\n'
        f'          <span><span class="fw-semibold">{ymd(visit.visited_on)}</span> '
        f'<i class="bi bi-door-open" aria-hidden="true"></i> {labels.label(visit, "kind")}\n'
        f'            <a href="{url[0]}{visit.pk}{url[1]}" class="small text-nowrap">'
        f"{shown(visit.code)}</a></span>\n"
        f"          {flag}\n"
        "        </div>\n"
        f'        <div class="small text-body-secondary">{person}</div>'
        f"{questions}\n"
        "      </li>\n      "
    )


def _need(need, day, url: tuple[str, str], labels: ValueLabels) -> str:
    department = f" · {shown(need.lead_department.name)}" if need.lead_department else ""
    due = f" · {conditional_escape(gettext('due'))} {ymd(need.due_on)}" if need.due_on else ""
    return (
        '\n      <li class="timeline-need" data-kind="need">\n'
        '        <div class="d-flex flex-wrap justify-content-between gap-1">\n'
        f'          <span><span class="fw-semibold">{ymd(day)}</span> '
        '<i class="bi bi-chat-square-text" aria-hidden="true"></i>\n'
        f'            <a href="{url[0]}{need.pk}{url[1]}">{shown(need.title)}</a> '
        f'<span class="small text-body-secondary text-nowrap">{shown(need.code)}</span></span>\n'
        f'          <span class="text-nowrap">{escalation_badge(need.escalation)} '
        f"{labels.badge(need, 'status')}</span>\n"
        "        </div>\n"
        f'        <div class="small text-body-secondary">{labels.label(need, "category")}{department}{due}</div>\n'
        "      </li>\n      "
    )


@register.simple_tag
def timeline_entries(entries) -> str:
    """The ``<li>`` of each entry (``{"date", "kind", "object"}`` of crm.selectors.needs.timeline_entries)."""
    # Per call, not per entry: the two link paths, and the badges and labels of the values that repeat.
    visit_url, need_url = url_pk_parts("crm:visit-detail"), url_pk_parts("crm:need-detail")
    labels = ValueLabels()
    parts = []
    for entry in entries:
        obj = entry["object"]
        if entry["kind"] == "visit":
            body = _visit(obj, visit_url, labels)
        else:
            body = _need(obj, entry["date"], need_url, labels)
        parts.append(f"\n      {body}\n      ")
    return mark_safe("".join(parts))  # noqa: S308 (every value is escaped above, the badges by format_html)

"""The rows of the 工作台's cards as tags, one per card: ``{% load home_rows %}``, then ``{% need_rows
section.my_needs %}`` where the card's ``{% for %}`` loop was. One tag per card rather than a loop of a dozen
template nodes per row (variables, filters, ``{% if %}``, ``{% translate %}``) and a ``format_html`` per value: the
busiest officer's 工作台 shows ~50 rows. Each writes the exact bytes its card's loop wrote
(tests/test_templatetags_home_rows.py renders both), its values escaped by ``shown``, each card's words, badges and
link paths made once (``ValueLabels``), not per row."""

from django import template
from django.utils import dateformat
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext, ngettext

from crm.templatetags.crm_tags import clipped, shown, ymd
from crm.templatetags.list_rows import ValueLabels

register = template.Library()


def _loop(rows, row, before: str, after: str) -> str:
    """What ``{% for %}<before>{% <row> %}<after>{% endfor %}`` wrote, marked safe: each ``row`` escapes its values."""
    return mark_safe("".join(f"{before}{row(item)}{after}" for item in rows))  # noqa: S308 (rows escape theirs)


@register.simple_tag
def need_rows(needs) -> str:
    """The rows of 我的在办诉求: code, title, status badge, enterprise (or project), deadline and overdue."""
    labels, due_word, overdue_word = ValueLabels(), shown(gettext("due")), shown(gettext("overdue"))

    def row(need) -> str:
        due = ""
        if need.due_on:
            overdue = need.is_overdue
            due = (
                f' · <span class="{"text-danger fw-semibold" if overdue else ""}">{due_word} {ymd(need.due_on)}'
                f"{f' · {overdue_word}' if overdue else ''}</span>"
            )
        return (
            '\n    <a class="list-group-item list-group-item-action" '
            f'href="{shown(labels.url("crm:need-detail", need.pk) or "#")}">\n'
            '      <div class="d-flex justify-content-between gap-2">\n'
            f'        <span class="text-truncate"><span class="text-body-secondary small">{shown(need.code)}</span> '
            f"{shown(need.title)}</span>\n"
            f"        {labels.badge(need, 'status')}\n"
            "      </div>\n"
            '      <div class="small text-body-secondary">\n'
            f"        {shown(need.enterprise or need.project)}{due}\n"
            "      </div>\n"
            "    </a>"
        )

    return _loop(needs, row, "\n    ", "\n    ")


@register.simple_tag
def deadline_rows(overdue, due_soon) -> str:
    """The rows of 办理时限提醒: the overdue needs, then those due soon (a need due soon without a level shows the
    warning badge)."""
    labels, due_word = ValueLabels(), shown(gettext("due"))

    def rows(needs, deadline: str):
        def row(need) -> str:
            level = need.escalation if deadline == "overdue" else (need.escalation or "warning")
            source = (need.enterprise.name if need.enterprise else None) or (
                need.project.name if need.project else None
            )
            return (
                '<a class="list-group-item list-group-item-action" '
                f'href="{shown(labels.url("crm:need-detail", need.pk))}" data-deadline="{deadline}">\n'
                '      <div class="d-flex justify-content-between gap-2"><span class="text-truncate">'
                f"{shown(need.title)}</span>{labels.escalation(level)}</div>\n"
                f'      <div class="small text-body-secondary">{shown(need.code)} · {shown(source or "")} · '
                f"{due_word} {ymd(need.due_on)}</div>\n"
                "    </a>"
            )

        return _loop(needs, row, "\n    ", "\n    ")

    return mark_safe(f"{rows(overdue, 'overdue')}\n    {rows(due_soon, 'due-soon')}")  # noqa: S308 (idem)


@register.simple_tag
def action_rows(items) -> str:
    """The rows of 我的待办事项: code, title, status badge, due date, overdue, enterprise."""
    labels, due_word, overdue_word = ValueLabels(), shown(gettext("due")), shown(gettext("overdue"))

    def row(item) -> str:
        overdue = item.is_overdue
        enterprise = item.enterprise
        return (
            '<li class="list-group-item">\n'
            '      <div class="d-flex justify-content-between gap-2">\n'
            f'        <span class="text-truncate"><span class="text-body-secondary small">{shown(item.code)}</span> '
            f"{shown(item.title)}</span>\n"
            f"        {labels.badge(item, 'status')}\n"
            "      </div>\n"
            f'      <div class="small {"text-danger" if overdue else "text-body-secondary"}">\n'
            f"        {due_word} {ymd(item.due_on)}{f' · {overdue_word}' if overdue else ''}\n"
            f"        {f' · {shown(enterprise)}' if enterprise else ''}\n"
            "      </div>\n"
            "    </li>"
        )

    return _loop(items, row, "\n    ", "\n    ")


@register.simple_tag
def cadence_rows(rows) -> str:
    """The rows of 待走访 (``cadence_todo`` rows): enterprise, status badge, role, visits done, due date."""
    labels = ValueLabels()
    words = {
        "missed": shown(gettext("Missed")),
        "due": shown(gettext("Due")),
        "leader": shown(gettext("as liaison leader")),
        "officer": shown(gettext("as liaison officer")),
    }
    visits_message, by_message = (
        gettext("%(done)s of %(required)s visits in %(period)s"),
        gettext("by %(date)s (%(days)s days left)"),
    )

    def row(row: dict) -> str:
        missed, urgent = row["status"] == "missed", row["urgent"]
        if missed:
            badge_class = "text-bg-danger"
        elif urgent:
            badge_class = "text-bg-warning"
        else:
            badge_class = "text-bg-light border"
        # The messages are ours, their values escaped (what {% blocktranslate %} writes).
        visits = visits_message % {
            "done": shown(row["done"]),
            "required": shown(row["required"]),
            "period": shown(row["period_label"]),
        }
        by = by_message % {"date": ymd(row["due_by"]), "days": shown(row["days_left"])}
        return (
            '<a class="list-group-item list-group-item-action cadence-row'
            f'{" list-group-item-danger" if urgent else ""}"'
            f' href="{shown(labels.url("crm:enterprise-detail", row["enterprise_id"]))}"'
            f' data-status="{shown(row["status"])}">\n'
            '      <div class="d-flex justify-content-between gap-2">\n'
            f'        <span class="text-truncate fw-semibold">{shown(row["enterprise_name"])}</span>\n'
            f'        <span class="badge {badge_class} text-nowrap">{words["missed" if missed else "due"]}</span>\n'
            "      </div>\n"
            f'      <div class="small {"text-danger-emphasis" if urgent else "text-body-secondary"}">\n'
            f"        {words['leader' if row['role'] == 'leader' else 'officer']} ·\n"
            f"        {visits} ·\n"
            f"        {by}\n"
            "      </div>\n"
            "    </a>"
        )

    return _loop(rows, row, "\n    ", "\n    ")


@register.simple_tag
def inbox_rows(needs, key: str, today) -> str:
    """The rows of one list of the manager's inbox (``key``: "accept", "assign", "overdue" or "supervised"): code,
    title, urgency badge unless normal, enterprise (or project), then the date that list is about (received and the
    sign-by date, received, or the deadline)."""
    labels, sign_by, due_word = ValueLabels(), shown(gettext("sign by")), shown(gettext("due"))

    def row(need) -> str:
        if key == "accept":
            when = ymd(need.created_at)
            if need.accept_due_on:
                late = ' class="text-danger"' if need.accept_due_on < today else ""
                when = f"{when} · <span{late}>{sign_by} {ymd(need.accept_due_on)}</span>"
        elif key == "assign":
            when = ymd(need.created_at)
        else:
            when = f'<span class="text-danger">{due_word} {ymd(need.due_on)}</span>'
        return (
            '<a class="list-group-item list-group-item-action py-1" '
            f'href="{shown(labels.url("crm:need-detail", need.pk))}">\n'
            '        <div class="d-flex justify-content-between gap-2"><span class="text-truncate">'
            f'<span class="small text-body-secondary">{shown(need.code)}</span> {shown(need.title)}</span>\n'
            f"          {labels.badge(need, 'urgency') if need.urgency != 'normal' else ''}</div>\n"
            f'        <div class="small text-body-secondary">{shown(need.enterprise or need.project)} · {when}</div>\n'
            "      </a>"
        )

    return _loop(needs, row, "\n      ", "\n      ")


@register.simple_tag
def red_flag_rows(visits) -> str:
    """The rows of 预警企业 (``red_flag_visits``): the enterprise and the flag, the visit and its first answer, then
    what answers it (the enterprise's open needs and action items), or nothing yet."""
    labels, answers = ValueLabels(), shown(gettext("What answers it"))
    item_labels = ValueLabels()  # an action's status is not a need's of the same value (进行中, 办理中)
    nothing = f'<span class="text-danger">{shown(gettext("nothing yet"))}</span>'

    def row(visit) -> str:
        enterprise = visit.enterprise
        needs = "".join(
            f'<a href="{shown(labels.url("crm:need-detail", need.pk))}" class="me-1">{shown(need.code)} '
            f"{shown(clipped(need.title, 20))} ({labels.label(need, 'status')})</a>"
            for need in enterprise.open_needs
        )
        actions = "".join(
            f'<span class="me-1">{shown(item.code)} {shown(clipped(item.title, 20))} '
            f"({item_labels.label(item, 'status')})</span>"
            for item in enterprise.open_actions
        )
        answer = clipped(visit.q_difficulties or visit.q_needs or visit.q_suggestions, 80)
        return (
            f'<div class="list-group-item red-flag-row" data-flag="{shown(visit.flag)}">\n'
            '      <div class="d-flex justify-content-between gap-2">\n'
            '        <a class="fw-semibold text-truncate" '
            f'href="{shown(labels.url("crm:enterprise-detail", visit.enterprise_id))}">{shown(enterprise.name)}</a>\n'
            f"        {labels.badge(visit, 'flag')}\n"
            "      </div>\n"
            f'      <div class="small"><a href="{shown(labels.url("crm:visit-detail", visit.pk))}">'
            f"{ymd(visit.visited_on)} {shown(visit.code)}</a>: {shown(answer)}</div>\n"
            f'      <div class="small text-body-secondary mt-1">{answers}:\n'
            f"        {needs}\n"
            f"        {actions}\n"
            f"        {'' if needs or actions else nothing}\n"
            "      </div>\n"
            "    </div>"
        )

    return _loop(visits, row, "\n    ", "\n    ")


@register.simple_tag
def radar_rows(entries) -> str:
    """The rows of the policy radar (``policy_radar`` entries): the policy, its untold enterprises (or all told),
    and whether it is newly published or closing soon."""
    labels = ValueLabels()
    untold_title = shown(gettext("Eligible linked or assisted enterprises not told yet"))
    all_told = (
        '<span class="badge rounded-pill text-bg-light text-dark border text-nowrap">'
        f"{shown(gettext('All told'))}</span>"
    )
    new = f'<span class="badge text-bg-info text-dark">{shown(gettext("Newly published"))}</span>'
    closing_badge = f'<span class="badge text-bg-warning text-dark">{shown(gettext("Closing soon"))}</span>'
    closes, published_message = gettext("closes %(date)s"), gettext("published %(date)s")

    def row(entry) -> str:
        policy, untold = entry.policy, entry.untold
        url = shown(labels.url("crm:policy-detail", policy.pk))
        if untold:
            # The message is ours, its value escaped (what {% blocktranslate %} writes).
            count = ngettext("%(counter)s not told", "%(counter)s not told", untold) % {"counter": shown(untold)}
            told = (
                '\n        <a class="badge rounded-pill text-bg-danger text-decoration-none text-nowrap" '
                f'href="{url}?untold=1&amp;targets=1#eligible"\n           title="{untold_title}">{count}</a>\n        '
            )
        else:
            told = all_told
        closing = f"{closing_badge} {closes % {'date': ymd(policy.apply_until)}}" if entry.closes_soon else ""
        published = ""
        if entry.is_new and not entry.closes_soon and policy.published_on:
            published = published_message % {"date": ymd(policy.published_on)}
        return (
            f'<li class="list-group-item radar-entry" data-policy="{shown(policy.pk)}" data-untold="{shown(untold)}">\n'
            '      <div class="d-flex justify-content-between gap-2">\n'
            f'        <a class="text-truncate" href="{url}">{shown(policy.title)}</a>\n'
            f"        {told}\n"
            "      </div>\n"
            '      <div class="small text-body-secondary">\n'
            f"        {new if entry.is_new else ''}\n"
            f"        {closing}\n"
            f"        {published}\n"
            "      </div>\n"
            "    </li>"
        )

    return _loop(entries, row, "\n    ", "\n    ")


def _link_rows(rows, viewname: str, aside) -> str:
    """The rows of 我的企业 and 我的项目: the record's name linking to ``viewname``, ``aside(row, labels)`` (escaped)
    on the right."""
    labels = ValueLabels()
    return _loop(
        rows,
        lambda row: (
            '<li class="list-group-item d-flex justify-content-between align-items-center gap-2">\n'
            f'      <a href="{shown(labels.url(viewname, row.pk))}" class="text-truncate">{shown(row.name)}</a>\n'
            f'      <span class="small text-body-secondary text-nowrap">{aside(row, labels)}</span>\n'
            "    </li>"
        ),
        "\n    ",
        "\n    ",
    )


@register.simple_tag
def enterprise_rows(enterprises) -> str:
    """The rows of 我的企业: the enterprise's link and its region."""
    return _link_rows(enterprises, "crm:enterprise-detail", lambda e, _labels: shown(e.region))


@register.simple_tag
def project_rows(projects) -> str:
    """The rows of 我的项目: the project's link and its stage."""
    return _link_rows(projects, "crm:project-detail", lambda p, labels: labels.label(p, "stage"))


@register.simple_tag
def plan_rows(plans) -> str:
    """The rows of the planned visits: day, enterprise, overdue, purpose."""
    labels = ValueLabels()
    overdue = f'<span class="badge text-bg-danger">{shown(gettext("overdue"))}</span>'

    def row(plan) -> str:
        late = plan.is_overdue
        purpose = (
            f'<div class="small text-body-secondary text-truncate">{shown(plan.purpose)}</div>' if plan.purpose else ""
        )
        day = dateformat.format(template_localtime(plan.planned_on), "m-d") if plan.planned_on else ""
        return (
            f'<li class="list-group-item plan-row{" list-group-item-danger" if late else ""}">\n'
            f'      <span class="fw-semibold">{day}</span> '
            f'<a href="{shown(labels.url("crm:enterprise-detail", plan.enterprise_id))}">'
            f"{shown(plan.enterprise.name)}</a>\n"
            f"      {overdue if late else ''}\n"
            f"      {purpose}\n"
            "    </li>"
        )

    return _loop(plans, row, "\n    ", "\n    ")


@register.simple_tag
def notification_card_rows(notifications) -> str:
    """The rows of the unread notifications card: the text, its kind and when."""
    labels = ValueLabels()

    def row(n) -> str:
        created = dateformat.format(template_localtime(n.created_at), "Y-m-d H:i") if n.created_at else ""
        return (
            '<li class="list-group-item small">\n'
            f"      <div>{shown(n.text)}</div>\n"
            f'      <div class="text-body-secondary">{labels.label(n, "kind")} · {created}</div>\n'
            "    </li>"
        )

    return _loop(notifications, row, "\n    ", "\n    ")

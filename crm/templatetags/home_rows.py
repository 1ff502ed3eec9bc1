"""The rows of the 工作台's cards as tags: ``{% load home_rows %}``, then ``{% need_row need %}`` and its kin inside
the card's ``{% for %}``. One tag per row rather than a dozen template nodes (variables, filters, ``{% if %}``,
``{% translate %}``): the busiest officer's 工作台 shows ~50 rows and rendered them in ~10 ms. Each returns the
exact markup its card's template had (tests/test_views_home.py), with its values escaped by ``format_html``."""

from django import template
from django.template.defaultfilters import truncatechars
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from crm.templatetags.crm_tags import badge, escalation_badge, shown, url_pk, ymd

register = template.Library()


@register.simple_tag
def need_row(need) -> str:
    """A row of 我的在办诉求: code, title, status badge, enterprise (or project), deadline and overdue."""
    url = url_pk("crm:need-detail", need.pk) or "#"
    due = ""
    if need.due_on:
        overdue = need.is_overdue
        due = format_html(
            ' · <span class="{}">{} {}{}</span>',
            "text-danger fw-semibold" if overdue else "",
            gettext("due"),
            ymd(need.due_on),
            format_html(" · {}", gettext("overdue")) if overdue else "",
        )
    return format_html(
        '\n    <a class="list-group-item list-group-item-action" href="{}">\n'
        '      <div class="d-flex justify-content-between gap-2">\n'
        '        <span class="text-truncate"><span class="text-body-secondary small">{}</span> {}</span>\n'
        "        {}\n"
        "      </div>\n"
        '      <div class="small text-body-secondary">\n'
        "        {}{}\n"
        "      </div>\n"
        "    </a>",
        url,
        need.code,
        need.title,
        badge(need.status, need.get_status_display()),
        need.enterprise or need.project,
        due,
    )


@register.simple_tag
def deadline_row(need, deadline: str) -> str:
    """A row of 办理时限提醒 (``deadline``: "overdue" or "due-soon"; a need due soon without a level shows the
    warning badge)."""
    level = need.escalation if deadline == "overdue" else (need.escalation or "warning")
    return format_html(
        '<a class="list-group-item list-group-item-action" href="{}" data-deadline="{}">\n'
        '      <div class="d-flex justify-content-between gap-2"><span class="text-truncate">{}</span>{}</div>\n'
        '      <div class="small text-body-secondary">{} · {} · {} {}</div>\n'
        "    </a>",
        url_pk("crm:need-detail", need.pk),
        deadline,
        need.title,
        escalation_badge(level),
        need.code,
        (need.enterprise.name if need.enterprise else None) or (need.project.name if need.project else None) or "",
        gettext("due"),
        ymd(need.due_on),
    )


@register.simple_tag
def action_row(item) -> str:
    """A row of 我的待办事项: code, title, status badge, due date, overdue, enterprise."""
    overdue = item.is_overdue
    return format_html(
        '<li class="list-group-item">\n'
        '      <div class="d-flex justify-content-between gap-2">\n'
        '        <span class="text-truncate"><span class="text-body-secondary small">{}</span> {}</span>\n'
        "        {}\n"
        "      </div>\n"
        '      <div class="small {}">\n'
        "        {} {}{}\n"
        "        {}\n"
        "      </div>\n"
        "    </li>",
        item.code,
        item.title,
        badge(item.status, item.get_status_display()),
        "text-danger" if overdue else "text-body-secondary",
        gettext("due"),
        ymd(item.due_on),
        format_html(" · {}", gettext("overdue")) if overdue else "",
        format_html(" · {}", item.enterprise) if item.enterprise else "",
    )


@register.simple_tag
def cadence_row(row: dict) -> str:
    """A row of 待走访 (a ``cadence_todo`` row): enterprise, status badge, role, visits done, due date."""
    missed = row["status"] == "missed"
    urgent = row["urgent"]
    if missed:
        badge_class = "text-bg-danger"
    elif urgent:
        badge_class = "text-bg-warning"
    else:
        badge_class = "text-bg-light border"
    visits = gettext("%(done)s of %(required)s visits in %(period)s") % {
        "done": conditional_escape(row["done"]),
        "required": conditional_escape(row["required"]),
        "period": conditional_escape(row["period_label"]),
    }
    by = gettext("by %(date)s (%(days)s days left)") % {
        "date": conditional_escape(ymd(row["due_by"])),
        "days": conditional_escape(row["days_left"]),
    }
    return format_html(
        '<a class="list-group-item list-group-item-action cadence-row{}" href="{}" data-status="{}">\n'
        '      <div class="d-flex justify-content-between gap-2">\n'
        '        <span class="text-truncate fw-semibold">{}</span>\n'
        '        <span class="badge {} text-nowrap">{}</span>\n'
        "      </div>\n"
        '      <div class="small {}">\n'
        "        {} ·\n"
        "        {} ·\n"
        "        {}\n"
        "      </div>\n"
        "    </a>",
        " list-group-item-danger" if urgent else "",
        url_pk("crm:enterprise-detail", row["enterprise_id"]),
        row["status"],
        row["enterprise_name"],
        badge_class,
        gettext("Missed") if missed else gettext("Due"),
        "text-danger-emphasis" if urgent else "text-body-secondary",
        gettext("as liaison leader") if row["role"] == "leader" else gettext("as liaison officer"),
        mark_safe(visits),  # noqa: S308 (the values are escaped above, the message is ours)
        mark_safe(by),  # noqa: S308 (idem)
    )


@register.simple_tag
def inbox_row(need, key: str, today) -> str:
    """A row of the manager's inbox (``key``: its list, "accept", "assign", "overdue" or "supervised"): code, title,
    urgency badge unless normal, enterprise (or project), then the date that list is about (received and the sign-by
    date, received, or the deadline)."""
    if key == "accept":
        when = ymd(need.created_at)
        if need.accept_due_on:
            when = format_html(
                "{} · <span{}>{} {}</span>",
                when,
                mark_safe(' class="text-danger"') if need.accept_due_on < today else "",
                gettext("sign by"),
                ymd(need.accept_due_on),
            )
    elif key == "assign":
        when = ymd(need.created_at)
    else:
        when = format_html('<span class="text-danger">{} {}</span>', gettext("due"), ymd(need.due_on))
    return format_html(
        '<a class="list-group-item list-group-item-action py-1" href="{}">\n'
        '        <div class="d-flex justify-content-between gap-2"><span class="text-truncate">'
        '<span class="small text-body-secondary">{}</span> {}</span>\n'
        "          {}</div>\n"
        '        <div class="small text-body-secondary">{} · {}</div>\n'
        "      </a>",
        url_pk("crm:need-detail", need.pk),
        need.code,
        need.title,
        badge(need.urgency, need.get_urgency_display()) if need.urgency != "normal" else "",
        need.enterprise or need.project,
        when,
    )


@register.simple_tag
def red_flag_row(visit) -> str:
    """A row of 预警企业 (a ``red_flag_visits`` visit): the enterprise and the flag, the visit and its first answer,
    then what answers it (the enterprise's open needs and action items), or nothing yet."""
    enterprise = visit.enterprise
    needs = "".join(
        format_html(
            '<a href="{}" class="me-1">{} {} ({})</a>',
            url_pk("crm:need-detail", need.pk),
            need.code,
            truncatechars(need.title, 20),
            need.get_status_display(),
        )
        for need in enterprise.open_needs
    )
    actions = "".join(
        format_html(
            '<span class="me-1">{} {} ({})</span>',
            item.code,
            truncatechars(item.title, 20),
            item.get_status_display(),
        )
        for item in enterprise.open_actions
    )
    nothing = "" if needs or actions else format_html('<span class="text-danger">{}</span>', gettext("nothing yet"))
    return format_html(
        '<div class="list-group-item red-flag-row" data-flag="{}">\n'
        '      <div class="d-flex justify-content-between gap-2">\n'
        '        <a class="fw-semibold text-truncate" href="{}">{}</a>\n'
        "        {}\n"
        "      </div>\n"
        '      <div class="small"><a href="{}">{} {}</a>: {}</div>\n'
        '      <div class="small text-body-secondary mt-1">{}:\n'
        "        {}\n"
        "        {}\n"
        "        {}\n"
        "      </div>\n"
        "    </div>",
        visit.flag,
        url_pk("crm:enterprise-detail", visit.enterprise_id),
        enterprise.name,
        badge(visit.flag, visit.get_flag_display()),
        url_pk("crm:visit-detail", visit.pk),
        ymd(visit.visited_on),
        visit.code,
        truncatechars(visit.q_difficulties or visit.q_needs or visit.q_suggestions, 80),
        gettext("What answers it"),
        mark_safe(needs),  # noqa: S308 (each row built by format_html above)
        mark_safe(actions),  # noqa: S308 (idem)
        nothing,
    )


@register.simple_tag
def radar_row(entry) -> str:
    """A row of the policy radar (a ``policy_radar`` entry): the policy, its untold enterprises (or all told), and
    whether it is newly published or closing soon."""
    policy = entry.policy
    url = url_pk("crm:policy-detail", policy.pk)
    untold = entry.untold
    if untold:
        told = format_html(
            '\n        <a class="badge rounded-pill text-bg-danger text-decoration-none text-nowrap" '
            'href="{}?untold=1&amp;targets=1#eligible"\n           title="{}">{}</a>\n        ',
            url,
            gettext("Eligible linked or assisted enterprises not told yet"),
            # The message is ours, its value escaped (what {% blocktranslate %} writes).
            mark_safe(ngettext("%(counter)s not told", "%(counter)s not told", untold) % {"counter": shown(untold)}),  # noqa: S308
        )
    else:
        told = format_html(
            '<span class="badge rounded-pill text-bg-light text-dark border text-nowrap">{}</span>', gettext("All told")
        )
    new = format_html('<span class="badge text-bg-info text-dark">{}</span>', gettext("Newly published"))
    closing = format_html(
        '<span class="badge text-bg-warning text-dark">{}</span> {}',
        gettext("Closing soon"),
        mark_safe(gettext("closes %(date)s") % {"date": conditional_escape(ymd(policy.apply_until))}),  # noqa: S308
    )
    published = ""
    if entry.is_new and not entry.closes_soon and policy.published_on:
        published = mark_safe(gettext("published %(date)s") % {"date": conditional_escape(ymd(policy.published_on))})  # noqa: S308
    return format_html(
        '<li class="list-group-item radar-entry" data-policy="{}" data-untold="{}">\n'
        '      <div class="d-flex justify-content-between gap-2">\n'
        '        <a class="text-truncate" href="{}">{}</a>\n'
        "        {}\n"
        "      </div>\n"
        '      <div class="small text-body-secondary">\n'
        "        {}\n"
        "        {}\n"
        "        {}\n"
        "      </div>\n"
        "    </li>",
        policy.pk,
        shown(untold),
        url,
        policy.title,
        told,
        new if entry.is_new else "",
        closing if entry.closes_soon else "",
        published,
    )

"""The long tables of the dashboard (templates/crm/dashboard.html), written in Python: ``{% liaison_rows … %}``,
``{% officer_rows … %}``, ``{% county_rows … %}``.

At seed_scale a manager's dashboard lists ~210 liaison people, ~70 officers and the counties: drawn by the template
language that was ~4,000 node renders and ~2,000 trips through Django's number formatting per request, most of a
cached dashboard's time. Each tag writes the bytes its ``{% for %}`` loop wrote (the whitespace between rows
included; tests/test_templatetags_dashboard_rows.py renders both); values go through crm_tags.shown, which writes
what ``{{ value }}`` writes, and number_tags.percent.
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from crm.templatetags.crm_tags import shown, ymd
from crm.templatetags.number_tags import percent

register = template.Library()

# What the template wrote around each row: the newline and indent before ``<tr>`` and after ``</tr>``.
_ROW = "\n          {}\n          "


def _rows(rows) -> str:
    return mark_safe("".join(_ROW.format(row) for row in rows))  # noqa: S308 (every value escaped by shown)


@register.simple_tag
def liaison_rows(people) -> str:
    """The rows of "Visit cadence per liaison person" (``kpis.liaison_coverage``): person, role,
    done / required (percent), met, due, missed."""
    leader, officer = shown(gettext("Liaison leader")), shown(gettext("Liaison officer"))  # once, not per row
    rows = []
    for p in people:
        missed = " text-danger fw-semibold" if p["missed"] else ""
        share = ""
        if p["percent"] is not None:
            share = f' <span class="text-body-secondary small">({shown(percent(p["percent"]))})</span>'
        rows.append(
            f'<tr data-person="{shown(p["person_id"])}" data-role="{shown(p["role"])}">\n'
            f'            <td class="name-cell">{shown(p["name"])}</td>\n'
            f"            <td>{leader if p['role'] == 'leader' else officer}</td>\n"
            f'            <td class="text-end">{shown(p["done"])} / {shown(p["required"])}'
            f"{share}</td>\n"
            f'            <td class="text-end">{shown(p["met"])}</td><td class="text-end">{shown(p["due"])}</td>\n'
            f'            <td class="text-end{missed}">{shown(p["missed"])}</td>\n'
            "          </tr>"
        )
    return _rows(rows)


@register.simple_tag
def officer_rows(officers, since, visit_list_url, need_list_url, action_list_url) -> str:
    """The rows of "Liaison officers" (``kpis.officers``): visits and needs raised since ``since`` (links to
    the lists filtered by officer and date), open and overdue actions."""
    since = shown(ymd(since))
    visits, needs, actions = shown(visit_list_url), shown(need_list_url), shown(action_list_url)
    rows = []
    for o in officers:
        pk = shown(o["id"])
        rows.append(
            f'<tr data-officer="{pk}">\n'
            f'            <td class="name-cell">{shown(o["name"])}</td>\n'
            f'            <td class="text-end"><a href="{visits}?officer={pk}&amp;visited_on_after={since}">'
            f"{shown(o['visits'])}</a></td>\n"
            f'            <td class="text-end"><a href="{needs}?created_by={pk}&amp;created_at_after={since}">'
            f"{shown(o['needs_raised'])}</a></td>\n"
            f'            <td class="text-end"><a href="{actions}?owner={pk}">{shown(o["actions_open"])}</a></td>\n'
            f'            <td class="text-end{" text-danger fw-semibold" if o["actions_overdue"] else ""}">'
            f"{shown(o['actions_overdue'])}</td>\n"
            "          </tr>"
        )
    return _rows(rows)


@register.simple_tag
def county_rows(counties, enterprise_list_url, need_list_url) -> str:
    """The rows of "Counties and districts" (``kpis.counties``): enterprises, visits, open and overdue needs
    (links to the lists filtered by region)."""
    enterprises, needs = shown(enterprise_list_url), shown(need_list_url)
    rows = []
    for c in counties:
        region = shown(c["region"])
        overdue = (
            f'<a class="text-danger fw-semibold" href="{needs}?region={region}&amp;overdue=true">'
            f"{shown(c['overdue_needs'])}</a>"
            if c["overdue_needs"]
            else "0"
        )
        rows.append(
            f'<tr data-region="{region}">\n'
            f'            <td class="name-cell">{shown(c["name"])}</td>\n'
            f'            <td class="text-end d-none d-sm-table-cell"><a href="{enterprises}?region={region}">'
            f"{shown(c['enterprises'])}</a></td>\n"
            f'            <td class="text-end">{shown(c["visits"])}</td>\n'
            f'            <td class="text-end"><a href="{needs}?region={region}&amp;open=true">'
            f"{shown(c['open_needs'])}</a></td>\n"
            f'            <td class="text-end">{overdue}</td>\n'
            "          </tr>"
        )
    return _rows(rows)

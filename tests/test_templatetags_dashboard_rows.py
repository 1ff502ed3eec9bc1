"""dashboard_rows' tags write exactly what the dashboard's template loops they replaced wrote (kept here as the
reference), in English and in Chinese: zero and non-zero missed/overdue counts, no percentage, large numbers,
names that need escaping."""

import datetime as dt

import pytest

from tests.template_helpers import rendered_alike as _same

# templates/crm/dashboard.html's loops before the tags (the indent before the loop is the template's).
OLD_LIAISON = """{% load i18n number_tags %}
          {% for p in people %}
          <tr data-person="{{ p.person_id }}" data-role="{{ p.role }}">
            <td class="name-cell">{{ p.name }}</td>
            <td>{% if p.role == "leader" %}{% translate "Liaison leader" %}{% else %}{% translate "Liaison officer" %}{% endif %}</td>
            <td class="text-end">{{ p.done }} / {{ p.required }}{% if p.percent is not None %} <span class="text-body-secondary small">({{ p.percent|percent }})</span>{% endif %}</td>
            <td class="text-end">{{ p.met }}</td><td class="text-end">{{ p.due }}</td>
            <td class="text-end{% if p.missed %} text-danger fw-semibold{% endif %}">{{ p.missed }}</td>
          </tr>
          {% endfor %}
          </tbody>"""  # noqa: E501
NEW_LIAISON = """{% load dashboard_rows %}
          {% liaison_rows people %}
          </tbody>"""
OLD_OFFICERS = """{% with period=kpis.period %}
          {% for o in officers %}
          <tr data-officer="{{ o.id }}">
            <td class="name-cell">{{ o.name }}</td>
            <td class="text-end"><a href="{{ visit_list_url }}?officer={{ o.id }}&amp;visited_on_after={{ period.quarter_start|date:'Y-m-d' }}">{{ o.visits }}</a></td>
            <td class="text-end"><a href="{{ need_list_url }}?created_by={{ o.id }}&amp;created_at_after={{ period.quarter_start|date:'Y-m-d' }}">{{ o.needs_raised }}</a></td>
            <td class="text-end"><a href="{{ action_list_url }}?owner={{ o.id }}">{{ o.actions_open }}</a></td>
            <td class="text-end{% if o.actions_overdue %} text-danger fw-semibold{% endif %}">{{ o.actions_overdue }}</td>
          </tr>
          {% endfor %}
          </tbody>{% endwith %}"""  # noqa: E501
NEW_OFFICERS = """{% load dashboard_rows %}{% with period=kpis.period %}
          {% officer_rows officers period.quarter_start visit_list_url need_list_url action_list_url %}
          </tbody>{% endwith %}"""
OLD_COUNTIES = """
          {% for c in counties %}
          <tr data-region="{{ c.region }}">
            <td class="name-cell">{{ c.name }}</td>
            <td class="text-end d-none d-sm-table-cell"><a href="{{ enterprise_list_url }}?region={{ c.region }}">{{ c.enterprises }}</a></td>
            <td class="text-end">{{ c.visits }}</td>
            <td class="text-end"><a href="{{ need_list_url }}?region={{ c.region }}&amp;open=true">{{ c.open_needs }}</a></td>
            <td class="text-end">{% if c.overdue_needs %}<a class="text-danger fw-semibold" href="{{ need_list_url }}?region={{ c.region }}&amp;overdue=true">{{ c.overdue_needs }}</a>{% else %}0{% endif %}</td>
          </tr>
          {% endfor %}
          </tbody>"""  # noqa: E501
NEW_COUNTIES = """{% load dashboard_rows %}
          {% county_rows counties enterprise_list_url need_list_url %}
          </tbody>"""
URLS = {
    "enterprise_list_url": "/enterprises/",
    "need_list_url": "/needs/",
    "visit_list_url": "/visits/",
    "action_list_url": "/action-items/",
}


def _person(**fields) -> dict:
    person = {"person_id": 9, "role": "leader", "enterprises": 1921, "required": 1921, "done": 3, "met": 3}
    return person | {"due": 0, "missed": 1918, "name": "周国庆 <&>", "percent": 0.2} | fields


@pytest.mark.parametrize(
    "people",
    [
        [],
        [_person()],
        [
            _person(role="officer", missed=0, percent=None, required=0, done=0, met=0),
            _person(person_id=12345678, done=1234567, required=12345678, percent=100.0, missed=7, name="A \"B\" 'C'"),
            _person(percent=33.33, due=4),
        ],
    ],
)
def test_liaison_rows_are_the_old_loop(people):
    _same(OLD_LIAISON, NEW_LIAISON, people=people)


@pytest.mark.parametrize("overdue", [0, 1, 123456789])
def test_officer_rows_are_the_old_loop(overdue):
    officers = [
        {"id": 168, "name": "何娜霞 <i>", "visits": 217, "needs_raised": 0, "actions_open": 153, "actions_overdue": 0},
        {
            "id": 9,
            "name": "Li & Wang",
            "visits": 1000000,
            "needs_raised": 5,
            "actions_open": 0,
            "actions_overdue": overdue,
        },
    ]
    kpis = {"period": {"quarter_start": dt.date(2026, 10, 1)}}
    assert "visited_on_after=2026-10-01" in _same(OLD_OFFICERS, NEW_OFFICERS, officers=officers, kpis=kpis, **URLS)


@pytest.mark.parametrize("overdue", [0, 1393, 98765432])
def test_county_rows_are_the_old_loop(overdue):
    counties = [
        {
            "region": "320800",
            "name": "淮安市",
            "enterprises": 7008,
            "visits": 0,
            "open_needs": 1585,
            "overdue_needs": overdue,
        },
        {"region": "32<08>", "name": "A & B", "enterprises": 0, "visits": 1193, "open_needs": 0, "overdue_needs": 0},
    ]
    _same(OLD_COUNTIES, NEW_COUNTIES, counties=counties, **URLS)

"""Number formats of the web UI (crm/templatetags/number_tags.py): 万元 amounts and percentages."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from crm.templatetags.number_tags import percent, wan
from tests.factories import EnterpriseYearFactory
from tests.policy_helpers import make_policy


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("86500.00"), "86,500"),
        (Decimal("12.50"), "12.5"),
        (Decimal("0.05"), "0.05"),
        (Decimal("0.00"), "0"),
        (Decimal("-0.00"), "0"),
        (Decimal("-1234.50"), "-1,234.5"),
        (Decimal("1E+3"), "1,000"),
        (1234567, "1,234,567"),
        (12.5, "12.5"),
        ("30000.00", "30,000"),
        (None, "—"),
        ("", "—"),
        ("n/a", "n/a"),
    ],
)
def test_wan(value, expected):
    assert wan(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(4.27, "4.27%"), (Decimal("50.0"), "50%"), (100, "100%"), ("4.27", "4.27%"), (Decimal("0.00"), "0%"), (None, "—")],
)
def test_percent(value, expected):
    assert percent(value) == expected


def test_filters_in_a_template_take_an_empty_marker():
    html = Template("{% load number_tags %}{{ a|wan }} {{ b|wan:'–' }} {{ c|percent }}").render(
        Context({"a": Decimal("86500.00"), "b": None, "c": Decimal("4.27")})
    )
    assert html == "86,500 – 4.27%"


def test_enterprise_page_shows_amounts_and_ratio_formatted(client, officer, enterprise):
    enterprise.revenue, enterprise.rd_expense = Decimal("86500.00"), Decimal("3692.50")
    enterprise.save()
    enterprise.liaison_officers.add(officer)
    client.force_login(officer)
    html = client.get(reverse("crm:enterprise-detail", args=[enterprise.pk])).content.decode()
    assert "86,500<" in html and "3,692.5<" in html
    assert "86500.00" not in html and "86,500.00" not in html
    assert "4.27%" in html and "4.27 %" not in html  # rd_ratio = 3692.5 / 86500


def test_the_yearly_chart_names_its_points_in_wan(client, manager, enterprise):
    EnterpriseYearFactory(enterprise=enterprise, year=2024, revenue=Decimal("77850.00"), rd_expense=Decimal("3100"))
    EnterpriseYearFactory(enterprise=enterprise, year=2025, revenue=Decimal("86500.00"), rd_expense=Decimal("3692.50"))
    client.force_login(manager)
    html = client.get(reverse("crm:enterprise-detail", args=[enterprise.pk])).content.decode()
    chart = html[html.index('id="trend-chart"') : html.index("</svg>")]
    assert "<title>86,500</title>" in chart and "<title>3,692.5</title>" in chart and ".00<" not in chart


def test_the_policy_criteria_write_a_percentage_without_a_space(client, manager):
    policy = make_policy(min_rd_ratio="3")
    client.force_login(manager)
    html = client.get(reverse("crm:policy-detail", args=[policy.pk])).content.decode()
    assert ">≥ 3%<" in html and "3 %" not in html

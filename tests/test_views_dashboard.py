"""The dashboard page /dashboard/ and GET /api/v1/dashboard/ (DESIGN §8.5)."""

import datetime as dt
import json
import re
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.api.dashboard import DashboardSerializer
from crm.choices import NeedStatus
from crm.models import Need, Visit
from crm.selectors import dashboard

pytestmark = pytest.mark.django_db

ROLE_FIXTURES = ["officer", "manager", "leader", "admin_user", "county_officer", "county_manager"]
TOP_KEYS = {
    "today",
    "period",
    "coverage",
    "not_visited",
    "needs",
    "on_time",
    "answer_days",
    "clock",
    "satisfaction",
    "policies",
    "officers",
    "counties",
    "liaison_coverage",
    "red_flags",
    "charts",
    "programmes",
}


@pytest.fixture
def some_data(enterprise, county_enterprise, officer, city_bureau, county_bureau):
    today = timezone.localdate()
    v = Visit.objects.create(enterprise=enterprise, visited_on=today, q_needs="问需")
    v.officers.set([officer])
    Visit.objects.create(enterprise=county_enterprise, visited_on=today, q_needs="问需")
    Need.objects.create(
        enterprise=enterprise,
        bureau=city_bureau,
        category="funding",
        title="资金",
        status=NeedStatus.ASSIGNED,
        due_on=today - dt.timedelta(days=3),
        created_by=officer,
    )
    Need.objects.create(enterprise=county_enterprise, bureau=county_bureau, category="rd", title="技术", status="new")


def test_page_requires_login(client):
    response = client.get(reverse("crm:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_page_renders_for_each_role(client, request, role, some_data):
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse("crm:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    for element in ("dashboard-kpis", "chart-visits-per-month", "chart-need-funnel", "dashboard-counties"):
        assert f'id="{element}"' in html
    # Chart data travels in json_script blocks, Chart.js is the vendored copy, nothing from a CDN.
    assert '<script id="data-visits-per-month" type="application/json">' in html
    assert "vendor/chart.js/chart.umd.js" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # (a random CSRF token may spell "cdn")
    assert f'href="{reverse("crm:dashboard")}"' in html  # the navigation link appears


def test_page_shows_the_numbers_and_links(client, leader, some_data, enterprise):
    client.force_login(leader)
    html = client.get(reverse("crm:dashboard")).content.decode()
    assert re.search(r'data-kpi="overdue">.*?<div class="stat-value text-danger">1</div>', html, re.S)
    assert f"{reverse('crm:need-list')}?overdue=true" in html
    assert 'data-region="320831"' in html and 'data-region="320812"' in html
    funnel = json.loads(html.split('<script id="data-need-funnel" type="application/json">')[1].split("</script>")[0])
    assert funnel["data"][0] == 2  # every need


def test_page_of_a_county_user_shows_only_its_county(client, county_officer, some_data):
    client.force_login(county_officer)
    html = client.get(reverse("crm:dashboard")).content.decode()
    assert 'data-region="320831"' in html
    assert 'data-region="320812"' not in html


def test_not_visited_list_links_to_the_enterprise(client, leader, regions, city_bureau, enterprise):
    Visit.objects.create(enterprise=enterprise, visited_on=timezone.localdate() - dt.timedelta(days=200), q_needs="x")
    client.force_login(leader)
    html = client.get(reverse("crm:dashboard")).content.decode()
    assert reverse("crm:enterprise-detail", args=[enterprise.pk]) in html
    assert enterprise.name in html


@pytest.mark.parametrize("rows", [5, 50])
def test_page_query_count_is_bounded(client, leader, enterprise, city_bureau, rows, django_assert_max_num_queries):
    today = timezone.localdate()
    Visit.objects.bulk_create(
        Visit(enterprise=enterprise, visited_on=today - dt.timedelta(days=i), q_needs="x", code=f"ZF-P-{i}")
        for i in range(rows)
    )
    Need.objects.bulk_create(
        Need(enterprise=enterprise, bureau=city_bureau, category="rd", title="x", code=f"SQ-P-{i}") for i in range(rows)
    )
    client.force_login(leader)
    # Fixed: + liaison coverage (rules of 2 roles, rows, names), 预警企业 (3), the answer days (1 + holidays) and the
    # growth programmes (targets 2, project rates 2, milestone lag 1).
    with django_assert_max_num_queries(32):
        assert client.get(reverse("crm:dashboard")).status_code == 200


def test_api_requires_authentication(api_client):
    assert api_client.get("/api/v1/dashboard/").status_code == 401


@pytest.mark.parametrize("role", ["officer", "leader", "county_officer"])
def test_api_returns_the_kpis(api_as, request, role, some_data):
    response = api_as(request.getfixturevalue(role)).get("/api/v1/dashboard/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == TOP_KEYS
    assert body["today"] == timezone.localdate().isoformat()
    assert isinstance(body["policies"]["granted_amount"], str)
    assert set(body["charts"]) == {"needs_by_category", "visits_per_month", "need_funnel"}
    assert len(body["charts"]["visits_per_month"]["data"]) == 12


def test_api_is_scoped(api_as, leader, county_officer, some_data):
    assert api_as(leader).get("/api/v1/dashboard/").json()["needs"]["total"] == 2
    county = api_as(county_officer).get("/api/v1/dashboard/").json()
    assert county["needs"]["total"] == 1
    assert [row["region"] for row in county["counties"]] == ["320831"]


def test_api_is_in_the_openapi_schema(client, leader):
    client.force_login(leader)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    operation = schema["paths"]["/api/v1/dashboard/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Dashboard")
    assert "coverage" in schema["components"]["schemas"]["Dashboard"]["properties"]


def test_a_cached_dashboard_is_not_rendered_or_serialized_again(client, api_as, leader, some_data, monkeypatch):
    """The page's body and the API's data are kept with the KPIs: a second request renders and serializes nothing
    (the same bytes)."""
    client.force_login(leader)
    api = api_as(leader)
    first = client.get(reverse("crm:dashboard"))
    assert "crm/dashboard/_body.html" in [t.name for t in first.templates]
    first_api = api.get("/api/v1/dashboard/").content
    serialized = []
    to_representation = DashboardSerializer.to_representation
    monkeypatch.setattr(
        DashboardSerializer,
        "to_representation",
        lambda self, data: serialized.append(1) or to_representation(self, data),
    )
    second = client.get(reverse("crm:dashboard"))
    assert "crm/dashboard/_body.html" not in [t.name for t in second.templates]
    assert _masked(second.content) == _masked(first.content)
    assert api.get("/api/v1/dashboard/").content == first_api
    assert serialized == []


def test_what_is_shown_expires_with_the_kpis_it_was_made_from(client, api_as, leader, some_data, monkeypatch):
    """The page made late in the KPIs' life is not kept beyond them: both are made anew when the KPIs expire."""
    clock = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])  # the cache's clock too
    computed = []
    compute = dashboard._dashboard_kpis
    monkeypatch.setattr(dashboard, "_dashboard_kpis", lambda **kw: computed.append(1) or compute(**kw))
    client.force_login(leader)
    assert api_as(leader).get("/api/v1/dashboard/").status_code == 200
    assert computed == [1]
    clock[0] += dashboard.CACHE_SECONDS - 60  # the page is made from the KPIs kept a minute more
    client.get(reverse("crm:dashboard"))
    clock[0] += 30
    assert "crm/dashboard/_body.html" not in [t.name for t in client.get(reverse("crm:dashboard")).templates]
    assert computed == [1]
    clock[0] += 31
    assert "crm/dashboard/_body.html" in [t.name for t in client.get(reverse("crm:dashboard")).templates]
    assert computed == [1, 1]


def _masked(content: bytes) -> str:
    """The page without its CSP nonces and CSRF tokens."""
    return re.sub(r'nonce="[^"]*"|[A-Za-z0-9]{32,}', "", content.decode())

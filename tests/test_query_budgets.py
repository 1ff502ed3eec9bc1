"""Every list endpoint and list page runs as many queries for 50 rows as for one (DESIGN §9.2)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import (
    ActionItem,
    Contact,
    Enterprise,
    EnterpriseQualification,
    Need,
    Notification,
    Offering,
    Policy,
    PolicyMatch,
    Project,
    Visit,
)
from tests.factories import credit_code

pytestmark = pytest.mark.django_db

ROWS = 55


@pytest.fixture
def many(regions, chains, qualifications, city_bureau, city_department, manager, officer):
    """ROWS rows of every listed kind, each with the relations its list shows."""
    today = timezone.localdate()
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(
            name=f"批量企业{i:03d}",
            credit_code=credit_code(1000 + i),
            region=regions["320812"],
            industry_chain=chains["nev"],
            is_linked=bool(i % 2),
            bureau=city_bureau,
        )
        for i in range(ROWS)
    )
    EnterpriseQualification.objects.bulk_create(
        EnterpriseQualification(enterprise=e, qualification=qualifications["hnte"], expires_on=today)
        for e in enterprises
    )
    Enterprise.liaison_officers.through.objects.bulk_create(
        Enterprise.liaison_officers.through(enterprise=e, user=officer) for e in enterprises
    )
    Contact.objects.bulk_create(Contact(enterprise=e, name=f"联系人{e.pk}") for e in enterprises)
    projects = Project.objects.bulk_create(
        Project(name=f"项目{i}", enterprise=enterprises[i], region=regions["320812"], is_assisted=True)
        for i in range(ROWS)
    )
    visits = Visit.objects.bulk_create(
        Visit(code=f"ZF-T-{i:04d}", enterprise=enterprises[i], lead=officer, visited_on=today, q_needs="问需")
        for i in range(ROWS)
    )
    Visit.officers.through.objects.bulk_create(Visit.officers.through(visit=v, user=officer) for v in visits)
    needs = Need.objects.bulk_create(
        Need(
            code=f"SQ-T-{i:04d}",
            enterprise=enterprises[i],
            project=projects[i],
            visit=visits[i],
            category="funding",
            title=f"诉求{i}",
            bureau=city_bureau,
            lead_department=city_department,
            handler=officer,
            status="assigned",
            due_on=today - dt.timedelta(days=i % 3),
        )
        for i in range(ROWS)
    )
    Need.assisting_departments.through.objects.bulk_create(
        Need.assisting_departments.through(need=n, department=city_department) for n in needs
    )
    policies = Policy.objects.bulk_create(
        Policy(title=f"政策{i}", issuer="市科技局", level="city", kind="funding", department=city_department)
        for i in range(ROWS)
    )
    for through, field, value in (
        (Policy.regions.through, "region", regions["320812"]),
        (Policy.industry_chains.through, "industrychain", chains["nev"]),
        (Policy.required_qualifications.through, "qualification", qualifications["hnte"]),
    ):
        through.objects.bulk_create(through(policy=p, **{field: value}) for p in policies)
    PolicyMatch.objects.bulk_create(
        PolicyMatch(policy=policies[i], enterprise=enterprises[i], need=needs[i], status="pushed", pushed_by=manager)
        for i in range(ROWS)
    )
    offerings = Offering.objects.bulk_create(
        Offering(department=city_department, name=f"资源{i}", kind="platform", need_categories=["funding"])
        for i in range(ROWS)
    )
    items = ActionItem.objects.bulk_create(
        ActionItem(
            code=f"XD-T-{i:04d}",
            title=f"行动{i}",
            need=needs[i],
            project=projects[i],
            enterprise=enterprises[i],
            offering=offerings[i],
            owner=officer,
            department=city_department,
            due_on=today,
        )
        for i in range(ROWS)
    )
    Notification.objects.bulk_create(
        Notification(recipient=manager, kind="overdue", text=f"提醒{i}", need=needs[i], action_item=items[i])
        for i in range(ROWS)
    )
    return manager


def count_queries(client, url: str, page_size: int, **params) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": page_size, **params})
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response


API_LISTS = [
    "enterprises",
    "contacts",
    "projects",
    "visits",
    "needs",
    "policies",
    "policy-matches",
    "offerings",
    "action-items",
    "notifications",
    "bureaus",
    "departments",
    "regions",
    "industry-chains",
    "qualifications",
]


@pytest.mark.parametrize("collection", API_LISTS)
def test_api_list_queries_do_not_grow_with_page_size(api_as, many, collection):
    client = api_as(many)
    url = f"/api/v1/{collection}/"
    client.get(url, {"page_size": 1})  # warm per-process caches (content types, roles)
    one, _ = count_queries(client, url, 1)
    fifty, response = count_queries(client, url, 50)
    body = response.json()
    assert len(body["results"]) == min(50, body["count"])
    assert fifty <= one, f"{collection}: {one} queries for 1 row, {fifty} for 50"


@pytest.mark.parametrize("collection", ["visits", "needs", "policy-matches", "action-items", "notifications"])
def test_api_list_queries_do_not_grow_with_page_size_for_a_county_user(api_as, many, county_manager, collection):
    """A county user's lists check which related records it may open once per page, not once per row."""
    Enterprise.objects.update(region_id="320831")
    Project.objects.update(region_id="320831")
    Notification.objects.update(recipient=county_manager)
    client = api_as(county_manager)
    url = f"/api/v1/{collection}/"
    client.get(url, {"page_size": 1})
    one, _ = count_queries(client, url, 1)
    fifty, response = count_queries(client, url, 50)
    assert response.json()["count"] > 1, collection
    assert fifty <= one, f"{collection}: {one} queries for 1 row, {fifty} for 50"


WEB_LISTS = [
    "/enterprises/",
    "/projects/",
    "/visits/",
    "/needs/",
    "/policies/",
    "/offerings/",
    "/action-items/",
    "/notifications/",
]


@pytest.mark.parametrize("url", WEB_LISTS)
def test_web_list_queries_do_not_grow_with_page_size(client, many, url):
    client.force_login(many)
    client.get(url, {"page_size": 1})
    one, _ = count_queries(client, url, 1)
    fifty, response = count_queries(client, url, 50)
    assert fifty <= one, f"{url}: {one} queries for 1 row, {fifty} for 50"
    assert response.content.decode().count("批量企业") >= 50 or url != "/enterprises/"


def test_search_queries_do_not_grow_with_the_hits(client, many):
    client.force_login(many)
    client.get("/search/", {"q": "批量企业001"})
    one, _ = count_queries(client, "/search/", 20, q="批量企业001")
    all_hits, response = count_queries(client, "/search/", 20, q="批量")
    assert "批量企业054" in response.content.decode() or "批量企业000" in response.content.decode()
    short_word = 1 if connection.vendor == "postgresql" else 0  # which kinds hold a 1–2 character word rarely
    assert all_hits <= one + short_word


# The framework floor (issue 18): what every signed-in request pays before its view. A query that comes back on
# every request (a second user or groups read, the navbar count on a fragment) fails here.
FLOOR_BUDGETS = [
    # session, user with bureau, department and groups, the throttle counter's upsert
    ("/api/v1/me/", 3),
    # session, user with bureau, department and groups, the page's calendar key, the navbar's unread count
    ("/me/", 4),
    # an htmx fragment with nothing to search: session, user with bureau, department and groups (no navbar: no
    # unread count)
    ("/search/suggest/?q=", 2),
]


@pytest.mark.parametrize(("url", "budget"), FLOOR_BUDGETS)
def test_the_framework_floor_queries(client, manager, url, budget, django_assert_num_queries):
    client.force_login(manager)
    client.get(url)  # the first request may renew the session (a write once a minute)
    with django_assert_num_queries(budget):
        assert client.get(url).status_code == 200

"""API of the growth programmes: writes through the services, scoping of every new collection for county users
(out-of-scope rows absent from lists and 404 on detail), and list query counts that do not grow with the page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import CultivationTarget, EnterpriseQualification, ProjectMilestone, ServiceLog
from crm.services.programmes import enterprise_year_save, project_milestone_save, project_progress_save
from tests.factories import (
    CommissionerAssignmentFactory,
    CommissionerFactory,
    CultivationFactory,
    EnterpriseFactory,
    ProjectFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_default")]


@pytest.fixture
def both(manager, enterprise, county_enterprise, qualifications, regions, city_bureau, county_bureau):
    """One row of every new collection in the city (320812) and one in 金湖县 (320831)."""
    rows = {}
    for where, ent in (("city", enterprise), ("county", county_enterprise)):
        project = ProjectFactory(region=ent.region, enterprise=ent)
        assignment = CommissionerAssignmentFactory(
            commissioner=CommissionerFactory(bureau=city_bureau if where == "city" else county_bureau), enterprise=ent
        )
        rows[where] = {
            "enterprise-years": enterprise_year_save(user=manager, enterprise=ent, year=2025, data={"revenue": 100}),
            "cultivations": CultivationFactory(enterprise=ent, programme=qualifications["hnte"]),
            "cultivation-targets": CultivationTarget.objects.create(
                bureau=city_bureau if where == "city" else county_bureau,
                year=timezone.localdate().year,
                programme=qualifications["hnte"],
                target=3,
            ),
            "project-milestones": project_milestone_save(
                user=manager, project=project, kind="signed", planned_on=dt.date(2026, 1, 1)
            ),
            "project-progress": project_progress_save(
                user=manager, project=project, data={"month": dt.date(2026, 10, 1), "investment_total": 10}
            ),
            "commissioners": assignment.commissioner,
            "commissioner-assignments": assignment,
            "service-logs": ServiceLog.objects.create(
                assignment=assignment, served_on=dt.date(2026, 3, 1), days=1, content="x"
            ),
        }
    return rows


COLLECTIONS = [
    "enterprise-years",
    "cultivations",
    "cultivation-targets",
    "project-milestones",
    "project-progress",
    "commissioners",
    "commissioner-assignments",
    "service-logs",
]


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_a_county_user_sees_its_county_only(api_as, county_officer, manager, both, collection):
    city, county = both["city"][collection], both["county"][collection]
    client = api_as(county_officer)
    ids = {row["id"] for row in client.get(f"/api/v1/{collection}/").json()["results"]}
    assert ids == {county.pk}
    assert client.get(f"/api/v1/{collection}/{city.pk}/").status_code == 404
    assert client.get(f"/api/v1/{collection}/{county.pk}/").status_code == 200
    ids = {row["id"] for row in api_as(manager).get(f"/api/v1/{collection}/").json()["results"]}
    assert ids == {city.pk, county.pk}


def test_posting_a_year_twice_updates_it_and_the_enterprise_follows(api_as, manager, enterprise):
    client = api_as(manager)
    body = {"enterprise": enterprise.pk, "year": 2026, "revenue": "12000.00"}
    assert client.post("/api/v1/enterprise-years/", body, format="json").status_code == 201
    response = client.post("/api/v1/enterprise-years/", {**body, "revenue": "13000.00"}, format="json")
    assert response.status_code == 201, response.json()
    enterprise.refresh_from_db()
    assert enterprise.revenue == Decimal("13000.00")
    assert enterprise.years.count() == 1


def test_a_bad_year_is_a_400_with_the_field(api_as, manager, enterprise):
    response = api_as(manager).post(
        "/api/v1/enterprise-years/", {"enterprise": enterprise.pk, "year": 1800}, format="json"
    )
    assert response.status_code == 400
    assert "year" in response.json()


def test_move_to_certified_through_the_api(api_as, manager, enterprise, qualifications):
    card = CultivationFactory(enterprise=enterprise, programme=qualifications["tsme"], stage="applied")
    response = api_as(manager).post(
        f"/api/v1/cultivations/{card.pk}/move/", {"stage": "certified", "certified_on": "2026-07-01"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == "certified"
    held = EnterpriseQualification.objects.get(enterprise=enterprise, qualification_id="tsme")
    assert held.expires_on == dt.date(2027, 6, 30)
    response = api_as(manager).post(f"/api/v1/cultivations/{card.pk}/move/", {"stage": "x"}, format="json")
    assert response.status_code == 400 and "stage" in response.json()


def test_officers_read_but_do_not_create(api_as, officer, enterprise, qualifications):
    response = api_as(officer).post(
        "/api/v1/cultivations/",
        {"enterprise": enterprise.pk, "year": 2026, "programme": "hnte"},
        format="json",
    )
    assert response.status_code == 403


def test_milestone_out_of_order_is_a_400(api_as, manager, regions):
    project = ProjectFactory(region=regions["320812"])
    client = api_as(manager)
    body = {"project": project.pk, "kind": "started", "planned_on": "2026-05-01"}
    assert client.post("/api/v1/project-milestones/", body, format="json").status_code == 201
    body = {"project": project.pk, "kind": "signed", "planned_on": "2026-06-01"}
    response = client.post("/api/v1/project-milestones/", body, format="json")
    assert response.status_code == 400 and "planned_on" in response.json()
    assert not ProjectMilestone.objects.filter(kind="signed").exists()


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("collection", ["cultivations", "project-milestones", "commissioners", "enterprise-years"])
def test_list_query_counts_do_not_grow(
    api_as, manager, regions, qualifications, rows, collection, django_assert_max_num_queries
):
    for i in range(rows):
        ent = EnterpriseFactory(region=regions["320812"])
        CultivationFactory(enterprise=ent, programme=qualifications["hnte"])
        project_milestone_save(user=manager, project=ProjectFactory(region=ent.region), kind="signed")
        CommissionerAssignmentFactory(enterprise=ent)
        enterprise_year_save(user=manager, enterprise=ent, year=2020 + i % 5, data={"revenue": i})
    client = api_as(manager)
    with django_assert_max_num_queries(3):
        response = client.get(f"/api/v1/{collection}/?page_size=50")
    assert response.status_code == 200
    assert response.json()["count"] == rows


def test_the_dashboard_api_carries_the_programmes(api_as, leader, both):
    body = api_as(leader).get("/api/v1/dashboard/").json()["programmes"]
    assert {row["programme_code"] for row in body["targets"]} == {"hnte"}
    assert set(body["lag"]) == {"signed_not_started", "started_not_completed", "completed_not_producing"}
    assert body["projects"]["signed"] == 0


def test_an_empty_patch_of_a_cultivation_target_keeps_it(api_as, manager, both):
    """Schemathesis (issue 11, item 7): ``PATCH {}`` was a 500 (the service was called without ``target``)."""
    target = both["city"]["cultivation-targets"]
    response = api_as(manager).patch(f"/api/v1/cultivation-targets/{target.pk}/", {}, format="json")
    assert response.status_code == 200 and response.json()["target"] == 3

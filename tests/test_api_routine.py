"""API of the routine (DESIGN §11.1, §11.2): cadence, visit-plans, activities."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.choices import NeedSource, PlanStatus, Urgency
from crm.models import Activity, Need, Notification, VisitPlan
from crm.services.visits import visit_create
from tests.factories import (
    ActivityParticipantFactory,
    EnterpriseFactory,
    NeedFactory,
    VisitFactory,
    VisitPlanFactory,
    today,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


class TestCadence:
    def test_an_unknown_region_is_a_400_and_an_empty_one_no_filter(self, api_as, manager, regions):
        client = api_as(manager)
        response = client.get("/api/v1/cadence/", {"region": "999999"})
        assert response.status_code == 400 and "region" in response.json()
        assert client.get("/api/v1/cadence/", {"region": "320812"}).status_code == 200
        assert client.get("/api/v1/cadence/", {"region": ""}).status_code == 200

    def test_the_schema_says_empty_cadence_and_dashboard_params_mean_no_filter(self, api_as, manager):
        paths = api_as(manager).get("/api/schema/?format=json").json()["paths"]
        for path in ("/api/v1/cadence/", "/api/v1/dashboard/"):
            region = {p["name"]: p for p in paths[path]["get"]["parameters"]}["region"]
            assert region["allowEmptyValue"] is True and region["schema"]["pattern"].startswith("^[0-9A-Za-z]")

    def test_lists_rows_of_a_person_filtered_by_status(self, api_as, manager, officer, enterprise, county_enterprise):
        enterprise.liaison_officers.add(officer)
        county_enterprise.liaison_officers.add(officer)
        visit = VisitFactory(enterprise=enterprise)
        visit.officers.add(officer)
        body = api_as(manager).get(f"/api/v1/cadence/?person={officer.pk}").json()
        assert body["count"] == 2
        row = next(r for r in body["results"] if r["enterprise"] == enterprise.pk)
        assert (row["role"], row["required"], row["done"], row["status"]) == ("officer", 1, 1, "met")
        met = api_as(manager).get(f"/api/v1/cadence/?person={officer.pk}&status=met").json()
        assert [r["enterprise"] for r in met["results"]] == [enterprise.pk]

    def test_county_scope_and_bad_parameters(self, api_as, county_officer, officer, enterprise, county_enterprise):
        enterprise.liaison_officers.add(officer)
        county_enterprise.liaison_officers.add(county_officer)
        body = api_as(county_officer).get("/api/v1/cadence/").json()
        assert [r["enterprise"] for r in body["results"]] == [county_enterprise.pk]
        response = api_as(county_officer).get("/api/v1/cadence/?status=late&person=x")
        assert response.status_code == 400 and {"status", "person"} <= set(response.json())

    def test_query_count_does_not_grow_with_rows(self, api_as, manager, officer, django_assert_max_num_queries):
        for _ in range(25):
            EnterpriseFactory(is_linked=True).liaison_officers.add(officer)
        with django_assert_max_num_queries(5):
            response = api_as(manager).get("/api/v1/cadence/?page_size=50")
        assert response.json()["count"] == 25

    def test_query_count_does_not_grow_with_page_size(self, api_as, manager, officer):
        for _ in range(12):
            EnterpriseFactory(is_linked=True, liaison_leader=officer).liaison_officers.add(officer)
        client = api_as(manager)
        client.get("/api/v1/cadence/?page_size=1")  # session, throttle and caches warmed
        counts, pages = {}, {}
        for size in (2, 24):
            with CaptureQueriesContext(connection) as queries:
                body = client.get(f"/api/v1/cadence/?page_size={size}").json()
            counts[size], pages[size] = len(queries), [(r["enterprise"], r["role"]) for r in body["results"]]
        assert counts[2] == counts[24] and body["count"] == 24 and len(pages[24]) == 24
        assert pages[24][:2] == pages[2]  # the SQL page is the start of the same order


class TestVisitPlans:
    def test_create_filter_and_cancel_with_reason(self, api_as, officer, enterprise):
        client = api_as(officer)
        day = (today() + dt.timedelta(days=5)).isoformat()
        created = client.post("/api/v1/visit-plans/", {"enterprise": enterprise.pk, "planned_on": day}, format="json")
        assert created.status_code == 201, created.json()
        plan = created.json()
        assert plan["officers"] == [officer.pk] and plan["status"] == "planned"
        listed = client.get(f"/api/v1/visit-plans/?planned_on_after={day}&status=planned").json()
        assert [p["id"] for p in listed["results"]] == [plan["id"]]
        refused = client.post(f"/api/v1/visit-plans/{plan['id']}/cancel/", {}, format="json")
        assert refused.status_code == 400 and "cancel_reason" in refused.json()
        done = client.post(f"/api/v1/visit-plans/{plan['id']}/cancel/", {"reason": "企业停产检修"}, format="json")
        assert done.status_code == 200 and done.json()["status"] == "cancelled"

    def test_out_of_scope_plan_is_404(self, api_as, county_officer, enterprise):
        plan = VisitPlanFactory(enterprise=enterprise)
        assert api_as(county_officer).get(f"/api/v1/visit-plans/{plan.pk}/").status_code == 404


class TestPlanFulfilment:
    def test_visit_with_next_visit_on_plans_and_a_later_visit_fulfils_the_oldest(self, officer, enterprise):
        first = visit_create(
            user=officer,
            enterprise=enterprise,
            visited_on=today() - dt.timedelta(days=20),
            q_needs="扩产",
            next_visit_on=today() - dt.timedelta(days=3),
        )
        plan = VisitPlan.objects.get(source_visit=first)
        assert plan.status == PlanStatus.PLANNED and list(plan.officers.all()) == [officer]
        newer = VisitPlanFactory(enterprise=enterprise, planned_on=today())
        newer.officers.add(officer)
        second = visit_create(user=officer, enterprise=enterprise, visited_on=today(), q_needs="回访")
        plan.refresh_from_db()
        newer.refresh_from_db()
        assert (plan.status, plan.visit) == (PlanStatus.DONE, second)
        assert newer.status == PlanStatus.PLANNED

    def test_outside_the_7_day_window_or_by_someone_else_nothing_is_fulfilled(self, officer, handler, enterprise):
        far = VisitPlanFactory(enterprise=enterprise, planned_on=today() - dt.timedelta(days=8))
        far.officers.add(officer)
        near = VisitPlanFactory(enterprise=enterprise, planned_on=today() + dt.timedelta(days=7))
        near.officers.add(handler)
        visit_create(user=officer, enterprise=enterprise, visited_on=today(), q_needs="走访")
        assert set(VisitPlan.objects.values_list("status", flat=True)) == {PlanStatus.PLANNED}
        visit_create(user=officer, enterprise=enterprise, visited_on=today(), q_needs="走访", officers=[handler])
        near.refresh_from_db()
        assert near.status == PlanStatus.DONE


class TestActivities:
    def _body(self, enterprises, needs):
        return {
            "kind": "joint_research",
            "title": "金湖县产业链联合调研",
            "held_on": today().isoformat(),
            "participants": [{"enterprise": e.pk, "attendees": "张总、李工"} for e in enterprises],
            "needs": needs,
        }

    def test_one_call_records_participants_and_needs(self, api_as, leader, manager, enterprise, county_enterprise):
        body = self._body(
            [enterprise, county_enterprise],
            [
                {"enterprise": enterprise.pk, "category": "funding", "title": "研发补助", "urgency": "urgent"},
                {"enterprise": county_enterprise.pk, "category": "talent", "title": "引进博士"},
            ],
        )
        response = api_as(leader).post("/api/v1/activities/", body, format="json")
        assert response.status_code == 201, response.json()
        data = response.json()
        assert data["counts_as_visit"] is True and data["code"].startswith("HD-")
        assert [p["enterprise"] for p in data["participants"]] == [enterprise.pk, county_enterprise.pk]
        activity = Activity.objects.get(pk=data["id"])
        needs = Need.objects.filter(activity=activity)
        assert needs.count() == 2 and set(needs.values_list("source", flat=True)) == {NeedSource.MEETING}
        urgent = needs.get(urgency=Urgency.URGENT)
        assert Notification.objects.filter(recipient=manager, need=urgent, kind="new_need").exists()

    def test_need_of_a_non_participant_is_refused_and_nothing_written(self, api_as, officer, enterprise):
        other = EnterpriseFactory()
        body = self._body([enterprise], [{"enterprise": other.pk, "category": "funding", "title": "补助"}])
        response = api_as(officer).post("/api/v1/activities/", body, format="json")
        assert response.status_code == 400 and "needs" in response.json()
        assert not Activity.objects.exists() and not Need.objects.exists()

    def test_county_sees_activities_with_its_enterprises_only(self, api_as, officer, county_officer, enterprise):
        response = api_as(officer).post("/api/v1/activities/", self._body([enterprise], []), format="json")
        assert response.status_code == 201
        assert api_as(county_officer).get("/api/v1/activities/").json()["count"] == 0
        assert api_as(county_officer).get(f"/api/v1/activities/{response.json()['id']}/").status_code == 404

    def test_list_reads_the_relations_of_a_page_in_one_query_each_whatever_its_size(
        self, api_as, manager, officer, handler, city_bureau, enterprise
    ):
        # The list fills bureaus, officers, participants and needs itself (crm.api.base, light prefetch); an
        # activity's detail reads them through Django's prefetch: both answer the same.
        other = EnterpriseFactory()
        for n in range(6):
            participant = ActivityParticipantFactory(enterprise=enterprise, attendees=f"张总{n}")
            activity = participant.activity
            ActivityParticipantFactory(activity=activity, enterprise=other)
            activity.bureaus.set([city_bureau])
            activity.officers.set([officer, handler][: n % 2 + 1])
            for k in range(n % 3 + 1):
                NeedFactory(enterprise=enterprise, activity=activity, title=f"活动诉求{n}-{k}")
        client = api_as(manager)
        client.get("/api/v1/activities/?page_size=1")  # session, throttle and caches warmed
        counts, bodies = {}, {}
        for size in (1, 6):
            with CaptureQueriesContext(connection) as queries:
                bodies[size] = client.get(f"/api/v1/activities/?page_size={size}").json()
            counts[size] = len(queries)
        assert counts[1] == counts[6]
        rows = bodies[6]["results"]
        assert sorted(len(a["needs"]) for a in rows) == [1, 1, 2, 2, 3, 3]
        assert all(len(a["participants"]) == 2 and a["bureaus"] == [city_bureau.pk] for a in rows)
        for row in rows:
            assert row["needs"] == sorted(row["needs"], key=lambda need: need["id"])
            assert all(need["title"].startswith("活动诉求") for need in row["needs"])
            assert row == client.get(f"/api/v1/activities/{row['id']}/").json()


class TestAcceptAndAssign:
    def test_one_call_two_events(self, api_as, manager, need, lead_department, handler):
        body = {"version": need.version, "lead_department": lead_department.pk, "handler": handler.pk}
        response = api_as(manager).post(f"/api/v1/needs/{need.pk}/accept/", body, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "assigned"
        kinds = [(e.kind, e.to_status) for e in need.events.order_by("id")][1:]
        assert kinds == [("status", "accepted"), ("assignment", "assigned")]

    def test_invalid_assign_fields_write_nothing(self, api_as, manager, officer, need, lead_department):
        body = {"version": need.version, "lead_department": lead_department.pk, "handler": officer.pk}
        response = api_as(manager).post(f"/api/v1/needs/{need.pk}/accept/", body, format="json")
        assert response.status_code == 400 and "handler" in response.json()
        need.refresh_from_db()
        assert need.status == "new" and need.version == 1 and need.events.count() == 1

    def test_plain_accept_still_works(self, api_as, manager, need):
        response = api_as(manager).post(f"/api/v1/needs/{need.pk}/accept/", {"version": 1}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "accepted"


class TestDashboardPeriodRegion:
    def test_period_and_region(self, api_as, leader, officer, enterprise, county_enterprise):
        enterprise.liaison_officers.add(officer)
        VisitFactory(enterprise=enterprise, visited_on=dt.date(2026, 11, 5))
        client = api_as(leader)
        body = client.get("/api/v1/dashboard/?period=2026-11").json()
        assert (body["period"]["start"], body["period"]["end"]) == ("2026-11-01", "2026-11-30")
        assert body["liaison_coverage"][0]["person_id"] == officer.pk
        county = client.get(f"/api/v1/dashboard/?period=2026&region={county_enterprise.region_id}").json()
        assert county["coverage"]["total"] == 1 and county["period"]["region"] == county_enterprise.region_id
        bad = client.get("/api/v1/dashboard/?period=2026Q5")
        assert bad.status_code == 400 and "period" in bad.json()

    @pytest.mark.parametrize("value", ["0.5", "999999", "-"])
    def test_an_unknown_region_is_a_400(self, api_as, manager, regions, value):
        response = api_as(manager).get("/api/v1/dashboard/", {"region": value})
        assert response.status_code == 400 and "region" in response.json()
        assert api_as(manager).get("/api/v1/dashboard/", {"region": ""}).status_code == 200

    def test_county_user_cannot_ask_another_region(self, api_as, county_officer, enterprise):
        response = api_as(county_officer).get(f"/api/v1/dashboard/?region={enterprise.region_id}")
        assert response.status_code == 400 and "region" in response.json()

    def test_red_flags_on_the_dashboard(self, api_as, leader, enterprise):
        VisitFactory(enterprise=enterprise, flag="red", q_difficulties="外省某开发区邀请整体迁移")
        flags = api_as(leader).get("/api/v1/dashboard/").json()["red_flags"]
        assert [f["enterprise"] for f in flags] == [enterprise.pk] and flags[0]["flag"] == "red"

"""API of policies, matches, suggestions, offerings and action items: contract, roles, scoping, query budgets."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.choices import ActionStatus, EnterpriseStatus, MatchStatus, NeedCategory
from crm.models import ActionItem, PolicyMatch
from tests.policy_helpers import make_enterprise, make_need, make_offering, make_policy, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture(autouse=True)
def _english_requests(api_client):
    """Messages are asserted in their English source text: ask for English."""
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


# --------------------------------------------------------------------------------------------- policies


def test_manager_creates_a_policy_by_codes(api_as, manager, regions, qualifications):
    response = api_as(manager).post(
        "/api/v1/policies/",
        {
            "title": "高企认定奖励",
            "issuer": "淮安市科技局",
            "level": "city",
            "kind": "funding",
            "regions": ["320812"],
            "required_qualifications": ["hnte"],
            "need_categories": ["qualification"],
            "min_rd_ratio": "3.00",
            "apply_until": str(today() + dt.timedelta(days=5)),
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["regions"] == ["320812"] and body["required_qualifications"] == ["hnte"]
    assert body["closes_soon"] is True and body["is_expired"] is False and body["window_open"] is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"min_employees": 100, "max_employees": 10}, "max_employees"),
        ({"min_revenue": "9", "max_revenue": "1"}, "max_revenue"),
        ({"apply_from": "2026-05-01", "apply_until": "2026-04-01"}, "apply_until"),
        ({"need_categories": ["money"]}, "need_categories"),
        ({"regions": ["999999"]}, "regions"),
    ],
)
def test_contradictory_policy_is_400_with_the_field(api_as, manager, regions, payload, field):
    base = {"title": "x", "issuer": "y", "level": "city", "kind": "funding"}
    response = api_as(manager).post("/api/v1/policies/", {**base, **payload})
    assert response.status_code == 400
    assert field in response.json()


def test_patch_cannot_make_the_window_contradictory(api_as, manager):
    policy = make_policy(apply_from=dt.date(2026, 3, 1))
    response = api_as(manager).patch(f"/api/v1/policies/{policy.pk}/", {"apply_until": "2026-02-01"})
    assert response.status_code == 400
    assert "ends before it starts" in response.json()["apply_until"][0]


def test_officer_reads_but_cannot_write_policies(api_as, officer):
    policy = make_policy()
    client = api_as(officer)
    assert client.get(f"/api/v1/policies/{policy.pk}/").status_code == 200
    assert (
        client.post("/api/v1/policies/", {"title": "x", "issuer": "y", "level": "city", "kind": "funding"}).status_code
        == 403
    )
    assert client.patch(f"/api/v1/policies/{policy.pk}/", {"title": "z"}).status_code == 403


def test_policy_filters(api_as, officer):
    make_policy(title="A", need_categories=[NeedCategory.FUNDING])
    make_policy(title="B", need_categories=[NeedCategory.RD], apply_until=today() - dt.timedelta(days=1))
    client = api_as(officer)
    assert [p["title"] for p in client.get("/api/v1/policies/", {"need_category": "funding"}).json()["results"]] == [
        "A"
    ]
    assert [p["title"] for p in client.get("/api/v1/policies/", {"open": "true"}).json()["results"]] == ["A"]


# --------------------------------------------------------------------------------------------- eligible / push


@pytest.fixture
def eligible_three(regions):
    return [make_enterprise(region=regions["320812"], employees=100, is_linked=i == 2) for i in range(3)]


def test_eligible_enterprises_paginated_linked_first(api_as, manager, eligible_three, regions):
    make_enterprise(region=regions["320812"], employees=5)  # too small
    policy = make_policy(min_employees=100)
    client = api_as(manager)
    body = client.get(f"/api/v1/policies/{policy.pk}/eligible-enterprises/", {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert body["results"][0]["id"] == eligible_three[2].pk  # linked first
    assert {"credit_code", "region", "qualifications", "rd_ratio"} <= set(body["results"][0])
    filtered = client.get(f"/api/v1/policies/{policy.pk}/eligible-enterprises/", {"is_linked": "true"}).json()
    assert [e["id"] for e in filtered["results"]] == [eligible_three[2].pk]


def test_eligible_enterprises_are_scoped_and_bounded(
    api_as, county_manager, eligible_three, county_enterprise, django_assert_max_num_queries
):
    policy = make_policy()
    client = api_as(county_manager)
    url = f"/api/v1/policies/{policy.pk}/eligible-enterprises/"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        body = client.get(url, {"page_size": 1}).json()
    assert [e["id"] for e in body["results"]] == [county_enterprise.pk]
    with django_assert_max_num_queries(len(small)):
        client.get(url, {"page_size": 50})


def test_eligible_enterprises_query_count_does_not_grow(api_as, manager, regions, django_assert_max_num_queries):
    for _ in range(55):
        make_enterprise(region=regions["320812"], employees=10)
    policy = make_policy(min_employees=5, regions=[regions["320812"]])
    client = api_as(manager)
    url = f"/api/v1/policies/{policy.pk}/eligible-enterprises/"
    client.get(url, {"page_size": 1})
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url, {"page_size": 1}).json()["results"]) == 1
    with django_assert_max_num_queries(len(small)):
        assert len(client.get(url, {"page_size": 50}).json()["results"]) == 50


def test_eligible_enterprises_of_a_policy_without_criteria_counted_without_testing_each_status(
    api_as, manager, eligible_three, regions
):
    """All enterprises less those gone (matching.eligible_count): the count as every row's status would give it;
    a filter (or a narrower scope) counts the list itself."""
    make_enterprise(region=regions["320812"], status=EnterpriseStatus.CLOSED)
    make_enterprise(region=regions["320812"], status=EnterpriseStatus.RELOCATED)
    policy = make_policy()
    url = f"/api/v1/policies/{policy.pk}/eligible-enterprises/"
    with CaptureQueriesContext(connection) as queries:
        body = api_as(manager).get(url).json()
    assert body["count"] == 3 and len(body["results"]) == 3
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    assert len(counts) == 1 and counts[0].startswith("SELECT (SELECT COUNT(*) FROM")
    filtered = api_as(manager).get(url, {"is_linked": "true"}).json()
    assert filtered["count"] == 1 == len(filtered["results"])


def test_eligible_enterprises_read_the_policy_criteria_in_one_statement(
    api_as, manager, eligible_three, regions, qualifications
):
    policy = make_policy(regions=[regions["320812"]], qualifications=[qualifications["hnte"]])
    url = f"/api/v1/policies/{policy.pk}/eligible-enterprises/"
    with CaptureQueriesContext(connection) as queries:
        assert api_as(manager).get(url).json()["count"] == 0  # none holds hnte
    links = ("crm_policy_regions", "crm_policy_industry_chains", "crm_policy_required_qualifications")
    reading = [q["sql"] for q in queries if any(f'"{link}"' in q["sql"] for link in links)]
    assert len(reading) == 1


def test_push_is_idempotent_and_officer_gets_403(api_as, manager, officer, eligible_three):
    policy = make_policy()
    ids = [e.pk for e in eligible_three]
    url = f"/api/v1/policies/{policy.pk}/push/"
    assert api_as(officer).post(url, {"enterprises": ids}).status_code == 403
    assert not PolicyMatch.objects.exists()
    client = api_as(manager)
    first = client.post(url, {"enterprises": ids})
    assert first.status_code == 201
    assert first.json()["created"] == 3
    assert {m["status"] for m in first.json()["matches"]} == {"pushed"}
    second = client.post(url, {"enterprises": ids})
    assert second.status_code == 200
    assert second.json()["unchanged"] == 3 and second.json()["created"] == 0
    assert PolicyMatch.objects.count() == 3


def test_push_errors_are_400_with_messages(api_as, manager, eligible_three, county_enterprise, enterprise, city_bureau):
    client = api_as(manager)
    small = make_policy(max_employees=50)
    response = client.post(f"/api/v1/policies/{small.pk}/push/", {"enterprises": [eligible_three[0].pk]})
    assert response.status_code == 400 and "not eligible" in response.json()["enterprises"][0]
    open_policy = make_policy()
    assert client.post(f"/api/v1/policies/{open_policy.pk}/push/", {"enterprises": []}).status_code == 400
    assert client.post(f"/api/v1/policies/{open_policy.pk}/push/", {"enterprises": ["x"]}).status_code == 400
    assert client.post(f"/api/v1/policies/{open_policy.pk}/push/", {"enterprises": [999999]}).status_code == 400
    need = make_need(enterprise=enterprise, bureau=city_bureau)
    response = client.post(
        f"/api/v1/policies/{open_policy.pk}/push/", {"enterprises": [eligible_three[0].pk], "need": need.pk}
    )
    assert response.status_code == 400 and "need" in response.json()
    assert client.post("/api/v1/policies/999999/push/", {"enterprises": [enterprise.pk]}).status_code == 404
    assert not PolicyMatch.objects.exists()


def test_push_out_of_scope_enterprise_is_refused(api_as, county_manager, enterprise):
    policy = make_policy()
    response = api_as(county_manager).post(f"/api/v1/policies/{policy.pk}/push/", {"enterprises": [enterprise.pk]})
    assert response.status_code == 400
    assert not PolicyMatch.objects.exists()


# --------------------------------------------------------------------------------------------- matches


def test_match_status_path_over_the_api(api_as, manager, officer, enterprise):
    policy = make_policy(max_amount="100")
    client = api_as(manager)
    created = client.post("/api/v1/policy-matches/", {"policy": policy.pk, "enterprise": enterprise.pk})
    assert created.status_code == 201, created.json()
    match = created.json()
    assert match["status"] == "pushed" and match["next_statuses"] == ["applying", "declined"]
    assert client.post("/api/v1/policy-matches/", {"policy": policy.pk, "enterprise": enterprise.pk}).status_code == 200
    url = f"/api/v1/policy-matches/{match['id']}/"
    assert api_as(officer).patch(url, {"status": "applying"}).status_code == 403
    client = api_as(manager)
    assert client.patch(url, {"status": "granted", "granted_amount": "10"}).status_code == 409
    assert client.patch(url, {"status": "applying"}).json()["status"] == "applying"
    response = client.patch(url, {"status": "granted"})
    assert response.status_code == 400 and "granted_amount" in response.json()
    response = client.patch(url, {"status": "granted", "granted_amount": "80.5"})
    assert response.status_code == 200 and response.json()["granted_amount"] == "80.50"
    assert client.patch(url, {"status": "declined"}).status_code == 409
    listed = client.get("/api/v1/policy-matches/", {"policy": policy.pk, "status": "granted"}).json()
    assert listed["count"] == 1


def test_matches_are_scoped(api_as, county_manager, manager, enterprise):
    match = PolicyMatch.objects.create(policy=make_policy(), enterprise=enterprise, status=MatchStatus.PUSHED)
    client = api_as(county_manager)
    assert client.get(f"/api/v1/policy-matches/{match.pk}/").status_code == 404
    assert client.patch(f"/api/v1/policy-matches/{match.pk}/", {"status": "applying"}).status_code == 404
    assert client.get("/api/v1/policy-matches/").json()["count"] == 0


# --------------------------------------------------------------------------------------------- suggestions


def test_need_suggestions_rank_and_explain(api_as, officer, enterprise, city_bureau, regions):
    need = make_need(enterprise=enterprise, bureau=city_bureau, category=NeedCategory.RD, title="研发费用加计扣除")
    own = make_policy(title="研发项目资助", need_categories=[NeedCategory.RD])
    other = make_policy(title="人才政策", need_categories=[NeedCategory.TALENT])
    closed = make_policy(need_categories=[NeedCategory.RD], apply_until=today() - dt.timedelta(days=1))
    ineligible = make_policy(need_categories=[NeedCategory.RD], regions=[regions["320831"]])
    body = api_as(officer).get(f"/api/v1/needs/{need.pk}/policy-suggestions/").json()
    ids = [s["policy"] for s in body["results"]]
    assert ids == [own.pk, other.pk]
    assert closed.pk not in ids and ineligible.pk not in ids
    first = body["results"][0]
    assert first["category_match"] is True and first["score"] >= 50
    assert sum(r["points"] or 0 for r in first["reasons"]) == first["score"]
    assert all(r["passed"] for r in first["reasons"] if r["points"] is None)
    assert {"criterion", "name", "passed", "detail", "points"} == set(first["reasons"][0])


def test_suggestions_are_scoped(api_as, county_officer, enterprise, city_bureau):
    need = make_need(enterprise=enterprise, bureau=city_bureau)
    client = api_as(county_officer)
    assert client.get(f"/api/v1/needs/{need.pk}/policy-suggestions/").status_code == 404
    assert client.get(f"/api/v1/enterprises/{enterprise.pk}/policy-suggestions/").status_code == 404


def test_enterprise_suggestions_use_open_needs(api_as, officer, enterprise, city_bureau):
    make_need(enterprise=enterprise, bureau=city_bureau, category=NeedCategory.TALENT, title="引进高层次人才")
    talent = make_policy(title="高层次人才引进计划", need_categories=[NeedCategory.TALENT])
    other = make_policy(title="设备补贴", need_categories=[NeedCategory.FUNDING])
    body = api_as(officer).get(f"/api/v1/enterprises/{enterprise.pk}/policy-suggestions/").json()
    assert [s["policy"] for s in body["results"]] == [talent.pk, other.pk]


def test_need_suggestions_query_budget(api_as, officer, enterprise, city_bureau, regions, qualifications):
    need = make_need(enterprise=enterprise, bureau=city_bureau)
    client = api_as(officer)
    url = f"/api/v1/needs/{need.pk}/policy-suggestions/"
    for _ in range(2):
        make_policy(regions=[regions["320812"]], qualifications=[], need_categories=[NeedCategory.FUNDING])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).json()["count"] == 2
    for _ in range(40):
        make_policy(regions=[regions["320812"]], need_categories=[NeedCategory.FUNDING], min_employees=10)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url, {"page_size": 50}).json()["count"] == 42
    # One more: the texts of the 40 new policies, read in one query (cut once per process, crm/selectors/matching).
    assert len(many) <= len(few) + 1, [q["sql"][:120] for q in many.captured_queries]
    with CaptureQueriesContext(connection) as again:
        client.get(url, {"page_size": 50})
    assert len(again) <= len(few)
    assert len(few) <= 12


# --------------------------------------------------------------------------------------------- lists


def test_offerings_api(api_as, manager, officer, city_department):
    client = api_as(manager)
    response = client.post(
        "/api/v1/offerings/",
        {
            "department": city_department.pk,
            "name": "科技特派员工作站",
            "kind": "commissioner",
            "need_categories": ["rd"],
        },
    )
    assert response.status_code == 201, response.json()
    make_offering(department=city_department, name="苏科贷", kind="finance_product", need_categories=["finance"])
    assert [o["name"] for o in client.get("/api/v1/offerings/", {"kind": "commissioner"}).json()["results"]] == [
        "科技特派员工作站"
    ]
    assert [o["name"] for o in client.get("/api/v1/offerings/", {"need_category": "finance"}).json()["results"]] == [
        "苏科贷"
    ]
    assert (
        api_as(officer)
        .post("/api/v1/offerings/", {"department": city_department.pk, "name": "x", "kind": "platform"})
        .status_code
        == 403
    )


def test_action_items_api(api_as, manager, officer, enterprise, city_bureau, city_department):
    need = make_need(enterprise=enterprise, bureau=city_bureau, category=NeedCategory.FINANCE)
    offering = make_offering(department=city_department, name="苏科贷", need_categories=["finance"])
    client = api_as(manager)
    response = client.post(
        "/api/v1/action-items/",
        {"need": need.pk, "offering": offering.pk, "owner": officer.pk, "due_on": str(today() + dt.timedelta(days=3))},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["enterprise"] == enterprise.pk and body["title"] == "苏科贷" and body["code"].startswith("XD-")
    url = f"/api/v1/action-items/{body['id']}/"
    officer_client = api_as(officer)
    assert officer_client.patch(url, {"due_on": str(today() + dt.timedelta(days=9))}).status_code == 403
    assert officer_client.patch(url, {"status": "done"}).status_code == 400  # a result is needed
    done = officer_client.patch(url, {"status": "done", "result": "已放款200万元"})
    assert done.status_code == 200 and done.json()["completed_on"] == str(today())
    assert officer_client.patch(url, {"status": "cancelled"}).status_code == 409
    assert officer_client.delete(url).status_code == 403
    ActionItem.objects.filter(pk=body["id"]).update(status=ActionStatus.PLANNED, due_on=today() - dt.timedelta(days=1))
    overdue = api_as(officer).get("/api/v1/action-items/", {"overdue": "true", "owner": officer.pk}).json()
    assert overdue["count"] == 1 and overdue["results"][0]["is_overdue"] is True
    response = api_as(manager).post(
        "/api/v1/action-items/", {"title": "x", "owner": officer.pk, "due_on": str(today())}
    )
    assert response.status_code == 400 and "need" in response.json()


def test_action_item_list_query_budget(
    api_as, manager, officer, enterprise, city_bureau, django_assert_max_num_queries
):
    need = make_need(enterprise=enterprise, bureau=city_bureau)
    ActionItem.objects.bulk_create(
        [
            ActionItem(
                code=f"XD-2026-{i:04d}",
                title=f"行动{i}",
                need=need,
                enterprise=enterprise,
                owner=officer,
                due_on=today(),
            )
            for i in range(55)
        ]
    )
    client = api_as(manager)
    client.get("/api/v1/action-items/", {"page_size": 1})
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/action-items/", {"page_size": 1})
    with django_assert_max_num_queries(len(small)):
        assert len(client.get("/api/v1/action-items/", {"page_size": 50}).json()["results"]) == 50


# ------------------------------------------------------------------ what schemathesis found (issue 11, item 7)


@pytest.mark.parametrize("value", [0, 1, "true", "yes", None])
def test_a_policy_boolean_is_json_true_or_false(api_as, manager, regions, value):
    body = {"title": "x", "issuer": "y", "level": "city", "kind": "funding", "linked_only": value}
    response = api_as(manager).post("/api/v1/policies/", body, format="json")
    assert response.status_code == 400 and "linked_only" in response.json()
    assert api_as(manager).post("/api/v1/policies/", {**body, "linked_only": True}, format="json").status_code == 201


@pytest.mark.parametrize("value", ["null", "maybe", "2"])
def test_include_expired_that_is_no_boolean_is_a_400(api_as, manager, regions, value):
    url = f"/api/v1/policies/{make_policy().pk}/eligible-enterprises/"
    response = api_as(manager).get(url, {"include_expired": value})
    assert response.status_code == 400 and "include_expired" in response.json()
    assert api_as(manager).get(url, {"include_expired": "true"}).status_code == 200
    assert api_as(manager).get(url, {"include_expired": ""}).status_code == 200

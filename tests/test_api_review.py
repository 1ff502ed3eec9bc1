"""Regressions found by the whole-schema schemathesis run and the API review (bad input → never a 500;
answers conform to the OpenAPI schema)."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from crm.choices import MatchStatus
from crm.models import PolicyMatch
from crm.services.lists import action_item_create
from crm.services.needs import need_create
from crm.services.visits import visit_create
from crm.sheets.imports import sheet_import
from tests.policy_helpers import make_policy
from tests.sheets_helpers import make_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

TODAY = timezone.localdate()


@pytest.mark.parametrize(
    "path", ["visits", "needs", "projects", "contacts", "enterprises", "policies", "policy-matches", "action-items"]
)
@pytest.mark.parametrize("bound", ["0001-01-01", "9999-12-31"])
def test_date_ranges_at_the_calendar_limits_are_not_a_500(api_as, manager, enterprise, path, bound):
    client = api_as(manager)
    for name in ("created_at_after", "created_at_before", "updated_at_after", "updated_at_before"):
        response = client.get(f"/api/v1/{path}/", {name: bound})
        assert response.status_code in (200, 400), (name, response.status_code)


def test_created_at_after_the_first_day_still_finds_everything(api_as, manager, officer, enterprise):
    visit_create(user=officer, enterprise=enterprise, visited_on=TODAY, q_needs="x")
    response = api_as(manager).get("/api/v1/visits/", {"created_at_after": "0001-01-01"})
    assert response.status_code == 200 and response.json()["count"] == 1
    response = api_as(manager).get("/api/v1/visits/", {"created_at_before": "9999-12-31"})
    assert response.json()["count"] == 1


@pytest.fixture
def schema(api_client, manager):
    api_client.force_authenticate(manager)
    return api_client.get("/api/schema/?format=json").json()["components"]["schemas"]


def _nullable(prop: dict) -> bool:
    return prop.get("nullable") is True or any(
        part.get("type") == "null" or part.get("$ref", "").endswith("NullEnum") for part in prop.get("oneOf", [])
    )


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("ActionItem", "offering_name"),
        ("ActionItem", "project_name"),
        ("ActionItem", "need_code"),
        ("ActionItem", "department_name"),
        ("ActionItem", "enterprise_name"),
        ("Need", "enterprise_name"),
        ("Need", "project_name"),
        ("Need", "lead_department_name"),
        ("Need", "handler_name"),
        ("Visit", "project_name"),
        ("Visit", "lead_name"),
        ("Policy", "department_name"),
        ("PolicyMatch", "pushed_by"),
        ("PolicyMatch", "need_code"),
    ],
)
def test_fields_that_can_be_null_are_nullable_in_the_schema(schema, component, field):
    assert _nullable(schema[component]["properties"][field]), schema[component]["properties"][field]


def test_an_unrated_need_conforms_to_the_satisfaction_enum(schema, api_as, manager, officer, enterprise):
    need_create(user=officer, enterprise=enterprise, category="funding", title="x")
    row = api_as(manager).get("/api/v1/needs/").json()["results"][0]
    assert row["satisfaction"] == ""
    prop = schema["Need"]["properties"]["satisfaction"]
    refs = [part.get("$ref", "") for part in prop.get("oneOf", [])]
    assert any(ref.endswith("BlankEnum") for ref in refs), prop


def test_rows_with_empty_relations_answer_null(api_as, manager, officer, enterprise):
    """The rows that made the schema checks fail: a need without project, handler or department, etc."""
    visit = visit_create(user=officer, enterprise=enterprise, visited_on=TODAY, q_needs="x")
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="x", visit=visit)
    PolicyMatch.objects.create(policy=make_policy(), enterprise=enterprise, status=MatchStatus.PUSHED)
    action_item_create(user=manager, data={"need": need, "title": "t", "owner": manager, "due_on": TODAY})
    client = APIClient()
    client.force_authenticate(manager)
    visit_row = client.get("/api/v1/visits/").json()["results"][0]
    assert visit_row["lead_name"] is None and visit_row["project_name"] is None
    need_row = client.get("/api/v1/needs/").json()["results"][0]
    assert need_row["handler_name"] is None and need_row["lead_department_name"] is None
    match_row = client.get("/api/v1/policy-matches/").json()["results"][0]
    assert match_row["pushed_by"] is None and match_row["need_code"] is None
    item_row = client.get("/api/v1/action-items/").json()["results"][0]
    assert item_row["offering_name"] is None and item_row["project_name"] is None


# ---------------------------------------------------------------------------------------------------------
# Integrity: what PATCH/POST cannot write, who cannot delete
# ---------------------------------------------------------------------------------------------------------


def test_need_patch_cannot_touch_the_workflow_fields(api_as, manager, officer, county_bureau, enterprise):
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="x")
    before = (need.code, need.status, need.version, need.bureau_id, need.created_by_id)
    due = need.due_on  # the clock's deadline, set at creation (§11.4)
    body = {
        "code": "SQ-1999-9999",
        "status": "closed",
        "version": 99,
        "bureau": county_bureau.pk,
        "created_by": manager.pk,
        "satisfaction": "satisfied",
        "due_on": "2030-01-01",
        "title": "新标题",
    }
    response = api_as(manager).patch(f"/api/v1/needs/{need.pk}/", body, format="json")
    assert response.status_code in (200, 409)
    need.refresh_from_db()
    assert (need.code, need.status, need.bureau_id, need.created_by_id) == (before[0], before[1], before[3], before[4])
    assert need.satisfaction == "" and need.due_on == due


def test_codes_and_authors_cannot_be_forged(api_as, officer, manager, enterprise):
    client = api_as(officer)
    response = client.post(
        "/api/v1/visits/",
        {
            "enterprise": enterprise.pk,
            "visited_on": str(TODAY),
            "q_needs": "x",
            "code": "ZF-1999-0001",
            "created_by": manager.pk,
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["code"] != "ZF-1999-0001" and response.json()["created_by"] == officer.pk
    response = client.post(
        "/api/v1/needs/",
        {
            "enterprise": enterprise.pk,
            "category": "funding",
            "title": "x",
            "code": "SQ-1999-1",
            "created_by": manager.pk,
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["code"] != "SQ-1999-1" and response.json()["created_by"] == officer.pk
    need_id = response.json()["id"]
    response = api_as(manager).post(
        "/api/v1/action-items/",
        {
            "need": need_id,
            "title": "x",
            "owner": officer.pk,
            "due_on": str(TODAY),
            "code": "XD-1999-1",
            "created_by": 1,
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["code"] != "XD-1999-1" and response.json()["created_by"] == manager.pk
    item = response.json()["id"]
    response = api_as(manager).patch(f"/api/v1/action-items/{item}/", {"code": "XD-1999-2"}, format="json")
    assert response.status_code == 200 and response.json()["code"] != "XD-1999-2"


def test_policy_match_status_cannot_jump(api_as, manager, enterprise):
    match = PolicyMatch.objects.create(policy=make_policy(), enterprise=enterprise, status=MatchStatus.PUSHED)
    client = api_as(manager)
    response = client.patch(
        f"/api/v1/policy-matches/{match.pk}/", {"status": "granted", "granted_amount": "10"}, format="json"
    )
    assert response.status_code == 409
    response = client.patch(f"/api/v1/policy-matches/{match.pk}/", {"status": "suggested"}, format="json")
    assert response.status_code == 409
    match.refresh_from_db()
    assert match.status == MatchStatus.PUSHED and match.granted_amount is None


def test_leaders_only_read_and_instruct(api_as, leader, officer, enterprise):
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="x")
    client = api_as(leader)
    assert client.patch(f"/api/v1/needs/{need.pk}/", {"title": "y"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/enterprises/{enterprise.pk}/", {"address": "y"}, format="json").status_code == 403
    body = {"enterprise": enterprise.pk, "category": "funding", "title": "x"}
    assert client.post("/api/v1/needs/", body, format="json").status_code == 403
    body = {"enterprise": enterprise.pk, "visited_on": str(TODAY), "q_needs": "x"}
    assert client.post("/api/v1/visits/", body, format="json").status_code == 403
    for verb in ("accept", "reject", "transfer"):
        assert (
            client.post(f"/api/v1/needs/{need.pk}/{verb}/", {"version": need.version}, format="json").status_code == 403
        )
    response = client.post(
        f"/api/v1/needs/{need.pk}/events/", {"kind": "instruction", "text": "抓紧办理"}, format="json"
    )
    assert response.status_code == 201


def test_officers_delete_nothing(api_as, officer, manager, enterprise):
    visit = visit_create(user=officer, enterprise=enterprise, visited_on=TODAY, q_needs="x")
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="x")
    item = action_item_create(user=manager, data={"need": need, "title": "t", "owner": officer, "due_on": TODAY})
    match = PolicyMatch.objects.create(policy=make_policy(), enterprise=enterprise, status=MatchStatus.PUSHED)
    client = api_as(officer)
    for url in (
        f"/api/v1/visits/{visit.pk}/",
        f"/api/v1/needs/{need.pk}/",
        f"/api/v1/action-items/{item.pk}/",
        f"/api/v1/enterprises/{enterprise.pk}/",
        f"/api/v1/policies/{match.policy_id}/",
    ):
        assert client.delete(url).status_code == 403, url
    assert client.delete(f"/api/v1/policy-matches/{match.pk}/").status_code == 405


def test_transferring_a_need_out_of_ones_own_scope_answers_200(
    api_as, manager, county_manager, officer, enterprise, city_bureau, county_bureau
):
    """A county takes a city need transferred to it, then hands it back: it no longer sees it, but gets no 500."""
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="x")
    body = {"version": need.version, "bureau": county_bureau.pk}
    response = api_as(manager).post(f"/api/v1/needs/{need.pk}/transfer/", body, format="json")
    assert response.status_code == 200
    body = {"version": response.json()["version"], "bureau": city_bureau.pk}
    response = api_as(county_manager).post(f"/api/v1/needs/{need.pk}/transfer/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["bureau"] == city_bureau.pk
    assert api_as(county_manager).get(f"/api/v1/needs/{need.pk}/").status_code == 404


def test_an_import_does_not_assign_extend_or_answer_an_existing_need(manager, officer, enterprise):

    need = need_create(user=officer, enterprise=enterprise, category="funding", title="x")
    due = need.due_on  # the clock's deadline, set at creation (§11.4)
    headers = ["诉求编号", "办理时限", "办理结果", "满意度", "经办人"]
    data = make_xlsx(headers, [[need.code, "2030-01-01", "已解决", "满意", manager.username]])
    outcome = sheet_import(kind="needs", data=data, user=manager)
    assert not outcome.ok
    columns = {problem.column for problem in outcome.problems}
    assert {"办理时限", "办理结果", "满意度", "经办人"} <= columns, [p.as_line() for p in outcome.problems]
    need.refresh_from_db()
    assert (need.due_on, need.resolution, need.satisfaction, need.handler_id) == (due, "", "", None)
    # Descriptive fields still update.
    assert sheet_import(kind="needs", data=make_xlsx(["诉求编号", "诉求标题"], [[need.code, "新"]]), user=manager).ok


@pytest.mark.parametrize("bad", [2**63, 2**70, 0, -5])
def test_out_of_range_department_ids_on_assign_are_400(api_as, manager, officer, enterprise, city_department, bad):
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="x")
    client = api_as(manager)
    assert client.post(f"/api/v1/needs/{need.pk}/accept/", {"version": need.version}).status_code == 200
    response = client.post(
        f"/api/v1/needs/{need.pk}/assign/",
        {"version": need.version + 1, "lead_department": city_department.pk, "assisting_departments": [bad]},
        format="json",
    )
    assert response.status_code == 400
    assert "assisting_departments" in response.json()

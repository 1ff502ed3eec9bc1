"""Issue 11, item 7: the OpenAPI schema says what the API does. Schemathesis runs EVERY operation of
``/api/schema/`` with every check it has (``--checks all``: server errors, status codes, content types, response
headers and bodies, negative data rejected, positive data accepted, missing headers, unsupported methods, Allow
headers, ignored auth …) as a city manager and as a county officer, over the demo programme.

Bounded for the suite: a few derandomized examples per operation and mode, no shrinking. A longer run is
documented in README.md ("API schema conformance"); raise ``API_FUZZ_EXAMPLES`` for a deeper local run and name
more roles in ``API_FUZZ_USERS``.
What the schema cannot state is configured in ``schemathesis.toml``, read by this test and the command line.
"""

import datetime as dt
import json
import os
from decimal import Decimal

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.http import QueryDict
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework import serializers
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup

from crm.api.base import CrmSerializer
from crm.choices import ExtensionStatus, NeedStatus
from crm.devdata.demo import demo_seed
from crm.models import ExtensionRequest, Need, Region, User
from crm.services.accounts import token_issue
from crm.services.needs import need_transition
from tests.factories import ActionItemFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "3"))
# The suite's bounded run: a city manager and a county officer (~1 minute each). A deeper run adds roles, e.g.
# API_FUZZ_USERS=manager,county_officer,officer,leader (any username of the demo programme).
USERS = os.environ.get("API_FUZZ_USERS", "manager,county_officer").split(",")


def all_checks():
    load_all_checks()
    return list(CHECKS.get_all())


def run_cases(operation, *, mode, examples, user, checks, failures):
    """Run ``examples`` generated cases of one operation; record (check, operation, message) failures."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        # A fresh token for every case: the revoke operation ends it.
        headers = {"Authorization": f"Token {token_issue(user=user).key}"}
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (FailureGroup, Failure) as error:
            found = error.exceptions if isinstance(error, FailureGroup) else [error]
            sent = f"query={case.query} body={str(case.body)[:200]} -> {response.status_code} {response.text[:200]}"
            failures.extend(f"{mode.value} {operation.label}: {f.title}: {f.message[:300]} [{sent}]" for f in found)

    try:
        check()
    except Unsatisfiable:
        pass  # nothing to negate in this operation
    cache.clear()  # keep the user throttle out of the way


@pytest.mark.parametrize("username", USERS)
def test_every_operation_conforms_to_the_schema(username, wsgi_app):
    demo_seed()
    user = User.objects.get(username=username)
    headers = {"Authorization": f"Token {token_issue(user=user).key}"}
    config = SchemathesisConfig.from_path(django_settings.BASE_DIR / "schemathesis.toml")
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, headers=headers, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 120
    checks = all_checks()
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run_cases(operation, mode=mode, examples=EXAMPLES, user=user, checks=checks, failures=failures)
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------ what the run found, one test per finding


@pytest.mark.parametrize("value", ["null", "0", "-3", "1.5", "٣"])
def test_a_page_size_that_is_no_whole_number_from_1_is_a_400(api_as, manager, value):
    response = api_as(manager).get("/api/v1/regions/", {"page_size": value})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_an_empty_or_large_page_size_still_pages(api_as, manager, regions):
    client = api_as(manager)
    assert client.get("/api/v1/regions/", {"page_size": ""}).status_code == 200
    assert client.get("/api/v1/regions/", {"page_size": "9" * 5000}).status_code == 200


def test_an_empty_page_is_the_first_and_the_schema_says_so(api_as, manager, regions):
    client = api_as(manager)
    response = client.get("/api/v1/regions/", {"page": "", "page_size": "5"})
    assert response.status_code == 200 and response.json()["previous"] is None
    parameters = {
        p["name"]: p
        for p in client.get("/api/schema/?format=json").json()["paths"]["/api/v1/regions/"]["get"]["parameters"]
    }
    assert parameters["page"]["allowEmptyValue"] is True and parameters["page_size"]["allowEmptyValue"] is True


@pytest.mark.parametrize("name", ["page", "page_size"])
def test_a_page_or_page_size_given_twice_is_a_400(api_as, manager, regions, name):
    # What schemathesis sends for an object where the schema says integer: each key a value, the last one empty.
    response = api_as(manager).get(f"/api/v1/regions/?{name}=x&{name}=")
    assert response.status_code == 400
    assert list(response.json()) == [name]


def test_page_last_is_no_page_number(api_as, manager, regions):
    assert api_as(manager).get("/api/v1/regions/", {"page": "last", "page_size": "5"}).status_code == 404


def test_a_filter_given_twice_is_a_400_unless_it_takes_several_values(
    api_as, manager, enterprise, county_enterprise, qualifications
):
    client = api_as(manager)
    for query in ("region=320812&region=", "q=a&q=b", "established_on_after=2001-01-01&established_on_after="):
        response = client.get(f"/api/v1/enterprises/?{query}")
        assert response.status_code == 400, query
        assert list(response.json()) == [query.split("=")[0]]
    response = client.get("/api/v1/enterprises/?qualifications=hnte&qualifications=tsme")
    assert response.status_code == 200
    assert client.get("/api/v1/enterprises/?region=320812").json()["count"] == 1


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/api/v1/extension-requests/", "status", "pending"),
        ("/api/v1/notifications/", "unread", "true"),
        ("/api/v1/access-links/", "contact", "1"),
        ("/api/v1/dashboard/", "period", "2026"),
    ],
)
def test_a_views_own_parameter_is_empty_for_no_filter_and_given_once(api_as, manager, path, name, value):
    client = api_as(manager)
    assert client.get(path, {name: ""}).status_code == 200
    assert client.get(path, {name: value}).status_code == 200
    response = client.get(f"{path}?{name}={value}&{name}=")
    assert response.status_code == 400
    assert list(response.json()) == [name]
    parameters = {
        p["name"]: p for p in client.get("/api/schema/?format=json").json()["paths"][path]["get"]["parameters"]
    }
    assert parameters[name]["allowEmptyValue"] is True


@pytest.mark.parametrize("value", [",", "name,", ",name", "name,,code"])
def test_an_ordering_with_an_empty_name_is_a_400(api_as, manager, regions, english_default, value):
    response = api_as(manager).get("/api/v1/regions/", {"ordering": value})
    assert response.status_code == 400
    assert response.json() == {"ordering": ["Leave no empty item before, between or after the commas."]}


def test_an_empty_ordering_or_a_list_of_names_still_orders(api_as, manager, regions):
    client = api_as(manager)
    assert client.get("/api/v1/regions/", {"ordering": ""}).status_code == 200
    names = [r["name"] for r in client.get("/api/v1/regions/", {"ordering": "-sort_order,name"}).json()["results"]]
    assert names == [r.name for r in Region.objects.order_by("-sort_order", "name")][: len(names)]


def test_a_patch_answers_the_whole_record(api_as, manager, need):
    item = ActionItemFactory(need=need, owner=manager)
    body = api_as(manager).patch(f"/api/v1/action-items/{item.pk}/", {"title": "新标题"}, format="json").json()
    assert body["title"] == "新标题"
    assert body["offering_name"] is None and body["project_name"] is None


def test_the_schema_says_json_ids_pages_and_nulls(api_as, manager):
    schema = api_as(manager).get("/api/schema/?format=json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]
    assert list(paths["/api/v1/needs/"]["post"]["requestBody"]["content"]) == ["application/json"]
    assert "multipart/form-data" in paths["/api/v1/visits/"]["post"]["requestBody"]["content"]  # photos
    parameters = {p["name"]: p for p in paths["/api/v1/visits/"]["get"]["parameters"]}
    assert parameters["enterprise"]["schema"]["minimum"] == 1 and parameters["officer"]["schema"]["type"] == "integer"
    assert parameters["visited_on_after"]["allowEmptyValue"] is True
    assert parameters["page_size"]["schema"]["minimum"] == 1
    cadence = paths["/api/v1/cadence/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert cadence["$ref"].endswith("PaginatedCadenceRowList")
    assert components["VisitPlan"]["properties"]["visit"]["nullable"] is True
    assert components["ExtensionRequest"]["properties"]["decided_by_name"]["nullable"] is True


def test_an_unread_filter_that_is_no_boolean_is_a_400(api_as, manager):
    client = api_as(manager)
    assert client.get("/api/v1/notifications/", {"unread": "maybe"}).status_code == 400
    assert client.get("/api/v1/notifications/", {"unread": ""}).status_code == 200


def test_the_schema_reads_every_event_kind_and_scoped_links_as_nullable(api_as, manager):
    components = api_as(manager).get("/api/schema/?format=json").json()["components"]["schemas"]
    assert "status" in components["NeedEventKindEnum"]["enum"]
    assert components["Participant"]["properties"]["enterprise"]["nullable"] is True
    assert "nullable" not in components["ParticipantRequest"]["properties"]["enterprise"]


# ------------------------------------------------------------------ JSON types the schema names, and nothing else


def test_a_decimal_is_a_json_string_as_the_schema_says(api_as, manager, enterprise, english_default):
    client = api_as(manager)
    url = f"/api/v1/enterprises/{enterprise.pk}/"
    schema = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert schema["PatchedEnterpriseRequest"]["properties"]["revenue"]["type"] == "string"
    response = client.patch(url, {"revenue": 12.5}, format="json")
    assert response.status_code == 400
    assert response.json()["revenue"] == ["A valid number is required."]
    enterprise.refresh_from_db()
    assert enterprise.revenue != Decimal("12.5")
    response = client.patch(url, {"revenue": "12.5"}, format="json")
    assert response.status_code == 200 and response.json()["revenue"] == "12.50"


def test_a_decimal_in_form_data_is_still_read():
    class Body(CrmSerializer):
        amount = serializers.DecimalField(max_digits=6, decimal_places=2)

    body = Body(data=QueryDict("amount=1.5"))
    assert body.is_valid(), body.errors
    assert body.validated_data["amount"] == Decimal("1.5")


def test_an_empty_string_is_no_relation(api_as, manager, enterprise, chains, english_default):
    client = api_as(manager)
    url = f"/api/v1/enterprises/{enterprise.pk}/"
    chain = enterprise.industry_chain_id
    assert chain is not None
    response = client.patch(url, {"industry_chain": ""}, format="json")
    assert response.status_code == 400
    assert response.json()["industry_chain"] == ["This field may not be blank."]
    enterprise.refresh_from_db()
    assert enterprise.industry_chain_id == chain
    assert client.patch(url, {"industry_chain": None}, format="json").status_code == 200


def test_an_object_is_no_list_of_relations(api_as, manager, enterprise, officer, english_default):
    enterprise.liaison_officers.set([officer])
    response = api_as(manager).patch(f"/api/v1/enterprises/{enterprise.pk}/", {"liaison_officers": {}}, format="json")
    assert response.status_code == 400
    assert response.json()["liaison_officers"] == ['Expected a list of items but got type "dict".']
    assert list(enterprise.liaison_officers.all()) == [officer]


@pytest.mark.parametrize("text", [{}, [], 12])
def test_a_transition_text_that_is_no_string_is_a_400(api_as, need_in_progress, handler, text):
    Need.objects.filter(pk=need_in_progress.pk).update(status=NeedStatus.ASSIGNED)
    body = {"version": need_in_progress.version, "text": text}
    response = api_as(handler).post(f"/api/v1/needs/{need_in_progress.pk}/start/", body, format="json")
    assert response.status_code == 400
    assert "text" in response.json()
    assert Need.objects.get(pk=need_in_progress.pk).status == NeedStatus.ASSIGNED


def test_a_transition_without_a_comment_still_starts(api_as, need_in_progress, handler):
    Need.objects.filter(pk=need_in_progress.pk).update(status=NeedStatus.ASSIGNED)
    for text in ("", None):
        need = Need.objects.get(pk=need_in_progress.pk)
        Need.objects.filter(pk=need.pk).update(status=NeedStatus.ASSIGNED)
        body = {"version": need.version, "text": text}
        response = api_as(handler).post(f"/api/v1/needs/{need.pk}/start/", body, format="json")
        assert response.status_code == 200, response.json()


@pytest.mark.parametrize("body", [[None, None], None, "x", 1])
def test_an_action_body_that_is_no_object_is_a_400(api_as, manager, handler, need_in_progress, portal_contact, body):
    due = (need_in_progress.due_on + dt.timedelta(3)).isoformat()
    extension = need_transition(
        need=need_in_progress, user=handler, verb="extend", version=need_in_progress.version, due_on=due, reason="等"
    )
    client = api_as(manager)
    for url in (
        f"/api/v1/extension-requests/{extension.pk}/approve/",
        f"/api/v1/extension-requests/{extension.pk}/refuse/",
        f"/api/v1/contacts/{portal_contact.pk}/access-links/",
        "/api/v1/reports/",
    ):
        response = client.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 400, (url, response.content)
    assert ExtensionRequest.objects.get(pk=extension.pk).status == ExtensionStatus.PENDING
    assert not portal_contact.access_links.exists()

"""Issue 11, item 7: the OpenAPI schema says what the API does. Schemathesis runs EVERY operation of
``/api/schema/`` with every check it has (``--checks all``: server errors, status codes, content types, response
headers and bodies, negative data rejected, positive data accepted, missing headers, unsupported methods, Allow
headers, ignored auth …) as a city manager and as a county officer, over the demo programme.

Bounded for the suite: a few derandomized examples per operation and mode, no shrinking. A longer run is
documented in docs/operations.md ("API schema conformance"); raise ``API_FUZZ_EXAMPLES`` for a deeper local run.
What the schema cannot state is configured in ``schemathesis.toml``, read by this test and the command line.
"""

import os

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.cache import cache
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup

from crm.devdata.demo import demo_seed
from crm.models import User
from crm.services.accounts import token_issue
from tests.factories import ActionItemFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "3"))


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


@pytest.mark.parametrize("username", ["manager", "county_officer"])
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

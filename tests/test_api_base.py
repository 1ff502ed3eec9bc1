"""API base (DESIGN §8.3): token auth, /me, JSON errors, pagination, OpenAPI schema and the Swagger UI."""

import datetime
import json
import re
import zoneinfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils.functional import SimpleLazyObject
from rest_framework import authentication, serializers
from rest_framework.authtoken.models import Token
from rest_framework.relations import PKOnlyObject
from rest_framework.request import Request
from rest_framework.test import APIClient

import crm.api.urls  # noqa: F401  (loads every API module for the serializer walk)
from crm import prepared as prepared_module
from crm.api import base as base_module
from crm.api.authentication import SessionUserAuthentication
from crm.api.base import FastDateTimeField, StrictStringsMixin, light_plan
from crm.api.engagement import NeedSerializer, VisitSerializer, VisitViewSet
from crm.api.enterprises import EnterpriseSerializer, EnterpriseViewSet
from crm.api.policies import PolicySerializer, PolicyViewSet
from crm.api.routine import ActivitySerializer, ActivityViewSet
from crm.models import Activity, Enterprise, Need, Policy, Region, User, Visit, VisitAttachment
from tests.factories import (
    EnterpriseQualificationFactory,
    NeedFactory,
    PolicyFactory,
    ProjectFactory,
    UserFactory,
    VisitFactory,
    credit_code,
)

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def test_token_for_right_credentials_and_use(manager):
    client = APIClient()
    response = client.post(TOKEN_URL, {"username": "manager", "password": "pw-123456"}, format="json")
    assert response.status_code == 200
    key = response.json()["token"]
    assert key == Token.objects.get(user=manager).key
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "manager"


@pytest.mark.parametrize(
    "body",
    [
        {"username": "manager", "password": "wrong"},
        {"username": "nobody", "password": "pw-123456"},
        {"username": "manager"},
        {},
    ],
)
def test_token_wrong_credentials_is_400_json(manager, body):
    response = APIClient().post(TOKEN_URL, body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "token" not in response.json()


def test_token_refused_for_inactive_user(manager):
    manager.is_active = False
    manager.save()
    response = APIClient().post(TOKEN_URL, {"username": "manager", "password": "pw-123456"}, format="json")
    assert response.status_code == 400


def test_login_attempts_are_throttled(manager):
    client = APIClient()
    statuses = [
        # A different username each time: the per-address throttle, not the per-user lockout (test_api_accounts).
        client.post(TOKEN_URL, {"username": f"user{i}", "password": "wrong"}, format="json").status_code
        for i in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    assert "detail" in client.post(TOKEN_URL, {"username": "manager", "password": "pw-123456"}).json()


def test_anonymous_is_401_json(enterprise):
    response = APIClient().get("/api/v1/enterprises/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert "detail" in response.json()


def test_me(api_as, county_officer):
    data = api_as(county_officer).get("/api/v1/me/").json()
    assert data == {
        "id": county_officer.pk,
        "username": "county_officer",
        "name": "county_officer",
        "bureau": county_officer.bureau_id,
        "department": county_officer.department_id,
        "roles": ["officer"],
    }


def test_session_auth_works_for_the_web_ui(client, manager):
    client.force_login(manager)
    assert client.get("/api/v1/me/").json()["id"] == manager.pk


def test_unknown_api_url_is_json_404(api_as, manager):
    for url in ("/api/v1/no-such-thing/", "/api/nothing", "/api/v1/enterprises/abc/", "/api/v1/enterprises/999999/"):
        response = api_as(manager).get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("application/json"), url
        assert "detail" in response.json()


def test_huge_ids_are_404_not_500(api_as, manager):
    response = api_as(manager).get(f"/api/v1/enterprises/{2**80}/")
    assert response.status_code == 404


def test_web_404_stays_html(client, manager):
    client.force_login(manager)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_server_error_under_api_is_json(manager, settings):
    """An unhandled error (a bug) still answers JSON under /api/."""
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    client = APIClient(raise_request_exception=False)
    client.force_authenticate(manager)
    original = EnterpriseViewSet.list
    EnterpriseViewSet.list = broken
    try:
        response = client.get("/api/v1/enterprises/")
    finally:
        EnterpriseViewSet.list = original
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in json.loads(response.content)


def test_malformed_json_is_400(api_as, manager, regions):
    response = api_as(manager).post("/api/v1/enterprises/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_model_validation_error_from_a_service_is_400_json(api_as, manager, regions, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError("A rule of the model refused this.")

    monkeypatch.setattr(EnterpriseViewSet, "create_service", staticmethod(refuse))
    response = api_as(manager).post(
        "/api/v1/enterprises/", {"name": "x", "credit_code": credit_code(3), "region": "320812"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": ["A rule of the model refused this."]}


def test_delete_of_a_referenced_row_is_409(api_as, manager, enterprise, admin_user):
    Visit.objects.create(enterprise=enterprise, visited_on="2026-01-05", q_needs="x")
    response = api_as(manager).delete(f"/api/v1/enterprises/{enterprise.pk}/")
    assert response.status_code == 409
    assert Enterprise.objects.filter(pk=enterprise.pk).exists()
    response = api_as(admin_user).delete("/api/v1/regions/320812/")
    assert response.status_code == 409


def test_pagination_and_page_size_cap(api_as, manager, regions):
    Enterprise.objects.bulk_create(
        [Enterprise(name=f"企业{i:03d}", credit_code=credit_code(200 + i), region=regions["320812"]) for i in range(25)]
    )
    client = api_as(manager)
    page = client.get("/api/v1/enterprises/").json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 25 and len(page["results"]) == 20
    assert len(client.get("/api/v1/enterprises/?page_size=5").json()["results"]) == 5
    assert len(client.get("/api/v1/enterprises/?page_size=1000").json()["results"]) == 25
    assert client.get("/api/v1/enterprises/?page=99").status_code == 404


def _followed(client, page: dict) -> list[dict]:
    """``page`` and every page its ``next`` links lead to."""
    pages = [page]
    while pages[-1]["next"] is not None:
        pages.append(client.get(pages[-1]["next"]).json())
    return pages


def test_a_capped_count_says_so_and_the_pages_go_on(api_as, manager, regions, monkeypatch):
    """Past ``COUNT_CAP`` rows the API's count stops there with ``"count_capped": true`` (issue 18), and ``next``
    leads on to the last row; under the cap the page is as before, without the key. The schema says so."""
    monkeypatch.setattr("crm.paginator.COUNT_CAP", 20)
    Enterprise.objects.bulk_create(
        [Enterprise(name=f"企业{i:03d}", credit_code=credit_code(300 + i), region=regions["320812"]) for i in range(45)]
    )
    client = api_as(manager)
    pages = _followed(client, client.get("/api/v1/enterprises/?page_size=10").json())
    assert {(page["count"], page["count_capped"]) for page in pages} == {(20, True)}
    assert [row["name"] for page in pages for row in page["results"]] == [f"企业{i:03d}" for i in range(45)]
    assert client.get("/api/v1/enterprises/?page_size=10&page=6").status_code == 404
    html = client.get("/api/v1/enterprises/?page_size=10&page=4", HTTP_ACCEPT="text/html")
    assert html.status_code == 200 and "page=5" in html.content.decode()
    under = client.get("/api/v1/enterprises/?q=企业00").json()
    assert set(under) == {"count", "next", "previous", "results"} and under["count"] == 10
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    listed = schema["components"]["schemas"]["PaginatedEnterpriseList"]["properties"]
    assert listed["count_capped"]["type"] == "boolean" and "count_capped" not in schema["components"]["schemas"][
        "PaginatedEnterpriseList"
    ].get("required", [])


def test_a_text_search_counts_to_the_search_cap_and_pages_to_its_last_match(api_as, manager, regions, monkeypatch):
    monkeypatch.setattr("crm.paginator.SEARCH_COUNT_CAP", 5)
    Enterprise.objects.bulk_create(
        [Enterprise(name=f"企业{i:02d}", credit_code=credit_code(300 + i), region=regions["320812"]) for i in range(12)]
    )
    client = api_as(manager)
    pages = _followed(client, client.get("/api/v1/enterprises/", {"q": "企业", "page_size": 4}).json())
    assert {(page["count"], page["count_capped"]) for page in pages} == {(5, True)}
    assert [row["name"] for page in pages for row in page["results"]] == [f"企业{i:02d}" for i in range(12)]
    page = client.get("/api/v1/enterprises/", {"q": "企业1"}).json()
    assert page["count"] == 2 and "count_capped" not in page and len(page["results"]) == 2
    assert client.get("/api/v1/enterprises/").json()["count"] == 12  # no text: the list's own cap


def test_filters_and_ordering_through_the_api(api_as, manager, enterprise, county_enterprise):
    client = api_as(manager)
    ids = [r["id"] for r in client.get("/api/v1/enterprises/?region=320831").json()["results"]]
    assert ids == [county_enterprise.pk]
    ids = [r["id"] for r in client.get("/api/v1/enterprises/?ordering=-employees").json()["results"]]
    assert ids == [enterprise.pk, county_enterprise.pk]
    response = client.get("/api/v1/enterprises/?region=999999")
    assert response.status_code == 400 and "region" in response.json()
    response = client.get("/api/v1/enterprises/?established_on_after=2026-02-30")
    assert response.status_code == 400 and "established_on" in response.json()


def test_reference_data_by_code(api_as, officer, regions, chains):
    client = api_as(officer)
    assert client.get("/api/v1/regions/320831/").json() == {"code": "320831", "name": "金湖县", "sort_order": 0}
    assert client.get("/api/v1/industry-chains/green-food/").json()["name"] == "绿色食品"
    codes = [r["code"] for r in client.get("/api/v1/regions/?q=金湖").json()["results"]]
    assert codes == ["320831"]


def test_schema_is_valid_openapi(api_as, manager):
    from drf_spectacular.validation import validate_schema

    response = api_as(manager).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/enterprises/",
        "/api/v1/enterprises/{id}/",
        "/api/v1/regions/{code}/",
        "/api/v1/industry-chains/",
        "/api/v1/qualifications/",
        "/api/v1/bureaus/",
        "/api/v1/departments/",
        "/api/v1/contacts/",
        "/api/v1/projects/",
    ):
        assert path in schema["paths"], path
    params = {p["name"] for p in schema["paths"]["/api/v1/enterprises/"]["get"]["parameters"]}
    assert {"q", "region", "is_linked", "ordering", "page_size", "established_on_after"} <= params


def test_swagger_ui_uses_only_local_assets(client, officer):
    client.force_login(officer)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), re.findall(r"https?://[^\s\"']+", html)
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets
    for url in assets:
        assert url.startswith("/"), url
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url


# ------------------------------------------------------------------ strict strings (issue 11: the schema says string)


def test_a_number_where_the_schema_says_string_is_a_400(api_as, manager, enterprise, english_default):
    response = api_as(manager).post(
        "/api/v1/contacts/", {"enterprise": enterprise.pk, "name": 12, "mobile": 13800000000}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["name"] == ["Not a valid string."]
    assert response.json()["mobile"] == ["Not a valid string."]
    assert not enterprise.contacts.exists()


@pytest.mark.parametrize("value", [12, 1.5, True, ["a"], {"a": 1}])
def test_a_plain_serializer_takes_strings_only(value):
    response = APIClient().post(TOKEN_URL, {"username": value, "password": "pw-123456"}, format="json")
    assert response.status_code == 400
    assert "username" in response.json()


def test_a_declared_text_field_with_its_own_parsing_takes_strings_only(api_as, manager, enterprise, english_default):
    # CreditCodeField (a CharField subclass that normalises) is made strict too.
    response = api_as(manager).patch(
        f"/api/v1/enterprises/{enterprise.pk}/", {"credit_code": 913208001234567890}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["credit_code"] == ["Not a valid string."]


def test_form_data_text_is_still_read():
    response = APIClient().post(TOKEN_URL, {"username": "12", "password": "x"})  # multipart: every value is text
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_api_serializer_is_strict_about_strings():
    loose = sorted(
        f"{cls.__module__}.{cls.__name__}"
        for cls in _subclasses(serializers.Serializer)
        if cls.__module__.startswith("crm.api") and not issubclass(cls, StrictStringsMixin)
    )
    assert loose == []


# --- lists fill their relations per page (crm.api.base.light_prefetch) and copy their fields (field_copy) --------


def _list_rows_as_detail(client, url: str, ids: list[int]) -> None:
    """Each row of the list (its relations filled by ``light_prefetch``) is the record as its detail answers it
    (the detail reads the relations through Django's ``prefetch_related``), in the same order."""
    response = client.get(url, {"page_size": 50})
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    assert set(ids) <= set(rows)
    for pk in ids:
        detail = client.get(f"{url}{pk}/").json()
        assert json.dumps(rows[pk], sort_keys=False) == json.dumps(detail, sort_keys=False), pk


def _visits_with_relations(officer, enterprise, count: int) -> list[Visit]:
    """Visits with several officers (created in reverse name order), attachments and needs; the first has none."""
    officers = [
        UserFactory(username=f"z{n}-officer", bureau=officer.bureau, department=officer.department)
        for n in range(3, 0, -1)
    ]
    visits = []
    for n in range(count):
        visit = VisitFactory(enterprise=enterprise, created_by=officer)
        if n:
            visit.officers.set([officer, *officers[: n % 4]])
            for k in range(n % 3 + 1):
                VisitAttachment.objects.create(
                    visit=visit, file=f"visits/{n}-{k}.jpg", name=f"{k}.jpg", content_type="image/jpeg", size=10
                )
            NeedFactory.create_batch(n % 3 + 1, visit=visit, enterprise=enterprise, created_by=officer)
        visits.append(visit)
    return visits


def test_light_prefetch_plans_the_relations_read_as_lists():
    plan = light_plan(VisitViewSet, Visit, VisitViewSet.prefetch_related, VisitSerializer)
    assert set(plan.light) == {"officers", "attachments", "needs"} and plan.keep == []
    assert plan.light["officers"][0] == "keys" and plan.light["attachments"][0] == "rows"
    plan = light_plan(PolicyViewSet, Policy, PolicyViewSet.prefetch_related, PolicySerializer)
    assert set(plan.light) == {"regions", "industry_chains", "required_qualifications"}
    plan = light_plan(EnterpriseViewSet, Enterprise, EnterpriseViewSet.prefetch_related, EnterpriseSerializer)
    assert set(plan.light) == {"enterprise_qualifications", "liaison_officers"}
    plan = light_plan(ActivityViewSet, Activity, ActivityViewSet.prefetch_related, ActivitySerializer)
    assert {name: how[0] for name, how in plan.light.items()} == {
        "bureaus": "keys",
        "officers": "keys",
        "participants": "rows",
        "needs": "rows",
    }
    assert plan.keep == []

    # A serializer that writes (part of) its answer itself may read a relation through its manager: it keeps every
    # prefetch, or each row would query that relation.
    class OwnAnswer(ActivitySerializer):
        def to_representation(self, instance):
            data = super().to_representation(instance)
            data["needs"] = [need.pk for need in instance.needs.all()]
            return data

    plan = light_plan(ActivityViewSet, Activity, ActivityViewSet.prefetch_related, OwnAnswer)
    assert plan.light == {} and plan.keep == list(ActivityViewSet.prefetch_related)


def test_light_prefetch_answers_as_the_prefetch_visits(api_as, manager, officer, enterprise, media_root):
    visits = _visits_with_relations(officer, enterprise, 6)
    client = api_as(manager)
    body = client.get("/api/v1/visits/", {"page_size": 50}).json()["results"]
    full = next(row for row in body if row["id"] == visits[2].pk)
    assert len(full["officers"]) == 3 and len(full["attachments"]) == 3 and len(full["needs"]) == 3
    assert full["officers"] == list(User.objects.filter(pk__in=full["officers"]).values_list("pk", flat=True))
    assert next(row for row in body if row["id"] == visits[0].pk)["officers"] == []
    _list_rows_as_detail(client, "/api/v1/visits/", [visit.pk for visit in visits])


def test_light_prefetch_answers_as_the_prefetch_policies_enterprises(
    api_as, manager, officer, enterprise, regions, chains, qualifications
):
    region_codes = sorted(regions)[:3]
    policies = [
        PolicyFactory(),
        PolicyFactory(
            regions=[regions[code] for code in reversed(region_codes)],
            industry_chains=list(chains.values())[:2],
            required_qualifications=list(qualifications.values())[:2],
        ),
    ]
    enterprise.liaison_officers.set([officer, manager])
    for qualification in list(qualifications.values())[:2]:
        EnterpriseQualificationFactory(enterprise=enterprise, qualification=qualification)
    client = api_as(manager)
    _list_rows_as_detail(client, "/api/v1/policies/", [policy.pk for policy in policies])
    row = next(row for row in client.get("/api/v1/policies/").json()["results"] if row["id"] == policies[1].pk)
    assert row["regions"] == list(Region.objects.filter(code__in=region_codes).values_list("code", flat=True))
    assert len(row["regions"]) == 3 and len(row["required_qualifications"]) == 2
    _list_rows_as_detail(client, "/api/v1/enterprises/", [enterprise.pk])
    row = next(row for row in client.get("/api/v1/enterprises/").json()["results"] if row["id"] == enterprise.pk)
    assert len(row["liaison_officers"]) == 2 and len(row["qualification_details"]) == 2


def test_light_prefetch_queries_do_not_grow_with_the_page(api_as, manager, officer, enterprise, media_root):
    _visits_with_relations(officer, enterprise, 8)
    client = api_as(manager)
    counts = []
    for size in (2, 8):
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get("/api/v1/visits/", {"page_size": size}).json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_field_copy_gives_each_serializer_its_own_bound_fields(rf, manager):
    first, second = (VisitSerializer(context={"request": rf.get("/")}) for _ in range(2))
    for name in ("officers", "needs", "files", "attachments"):
        mine, theirs = first.fields[name], second.fields[name]
        assert mine is not theirs and mine.root is first and theirs.root is second
        inner = getattr(mine, "child_relation", None) or mine.child
        assert inner is not (getattr(theirs, "child_relation", None) or theirs.child)
        assert inner.parent is mine and inner.root is first
    assert type(first.fields["officers"]) is type(second.fields["officers"])
    assert first.fields["officers"].child_relation.context["request"] is first.context["request"]


def test_session_authentication_answers_the_user_not_its_lazy_proxy(rf, manager):
    django_request = rf.get("/api/v1/me/")
    django_request.user = SimpleLazyObject(lambda: manager)
    django_request._dont_enforce_csrf_checks = True
    user, auth = SessionUserAuthentication().authenticate(Request(django_request))
    assert type(user) is User and user is manager and auth is None
    django_request.user = SimpleLazyObject(AnonymousUser)
    assert SessionUserAuthentication().authenticate(Request(django_request)) is None


def test_session_writes_still_need_the_csrf_token(manager, enterprise):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.get("/api/v1/me/").json()["id"] == manager.pk
    response = client.patch(f"/api/v1/enterprises/{enterprise.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_session_reads_skip_drf_s_csrf_check_which_accepts_them_unread(manager, enterprise, monkeypatch):
    checks = []

    class CSRFCheck(authentication.CSRFCheck):
        def process_view(self, request, *args):
            checks.append(request.method)
            return super().process_view(request, *args)

    monkeypatch.setattr(authentication, "CSRFCheck", CSRFCheck)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.get("/api/v1/me/").status_code == 200
    assert client.head("/api/v1/me/").status_code == 200
    assert client.options("/api/v1/me/").status_code == 200
    assert checks == []
    response = client.patch(f"/api/v1/enterprises/{enterprise.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert checks == ["PATCH"]


def test_scoped_links_are_decided_for_each_request_user(api_as, manager, county_officer, enterprise, county_bureau):
    need = NeedFactory(enterprise=enterprise, bureau=county_bureau)  # a city enterprise's need, transferred
    for user, expected in ((manager, enterprise.pk), (county_officer, None), (manager, enterprise.pk)):
        client = api_as(user)
        row = next(row for row in client.get("/api/v1/needs/").json()["results"] if row["id"] == need.pk)
        assert row["enterprise"] == expected and row["enterprise_name"] == enterprise.name
        assert client.get(f"/api/v1/needs/{need.pk}/").json()["enterprise"] == expected


def test_fast_reads_answer_as_getattr_through_related_rows(rf, manager, enterprise, need_in_progress):
    request = Request(rf.get("/"))
    request.user = manager
    without_enterprise = NeedFactory(enterprise=None, project=ProjectFactory(enterprise=enterprise))
    for need in (need_in_progress, without_enterprise):
        joined = Need.objects.select_related("enterprise", "project", "lead_department", "handler", "bureau")
        loaded = NeedSerializer(joined.get(pk=need.pk), context={"request": request}).data
        lazy = NeedSerializer(Need.objects.get(pk=need.pk), context={"request": request}).data
        assert loaded == lazy
    assert loaded["enterprise_name"] is None and loaded["project_name"] == without_enterprise.project.name
    assert lazy["handler_name"] is None and loaded["lead_department_name"] is None


@pytest.mark.parametrize(
    "value",
    [
        None,
        datetime.datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 1, 8, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
        datetime.datetime(2026, 3, 1, 8, 30),
        "2026-03-01T08:30:00Z",
    ],
)
@pytest.mark.parametrize("zone", [None, "Asia/Shanghai", "UTC"])
@pytest.mark.parametrize("output_format", [serializers.empty, "%Y-%m-%d %H:%M", None])
def test_fast_datetime_field_answers_as_drf(settings, value, zone, output_format):
    options = {} if output_format is serializers.empty else {"format": output_format}
    if zone is not None:
        options["default_timezone"] = zoneinfo.ZoneInfo(zone)
    fast, drf = FastDateTimeField(**options), serializers.DateTimeField(**options)
    for _ in range(2):  # the second read uses what the first worked out
        assert fast.to_representation(value) == drf.to_representation(value)


def test_light_prefetch_statements_answer_every_page_length(api_as, manager, officer, enterprise, media_root):
    visits = _visits_with_relations(officer, enterprise, 7)
    client = api_as(manager)
    detail = {visit.pk: client.get(f"/api/v1/visits/{visit.pk}/").json() for visit in visits}
    for size, page in ((2, 1), (5, 1), (2, 2), (5, 2), (2, 4), (50, 1)):  # statements of 2, 5, 1 and 7 keys, reused
        with CaptureQueriesContext(connection) as queries:
            rows = client.get("/api/v1/visits/", {"page_size": size, "page": page}).json()["results"]
        assert rows and all(row == detail[row["id"]] for row in rows), (size, page)
        keys = [query["sql"] for query in queries if "crm_visit_officers" in query["sql"]]
        assert len(keys) == 1 and keys[0].count("IN (") == 1 and str(rows[-1]["id"]) in keys[0]


def test_light_prefetch_statements_are_planned_once(manager, officer, enterprise, monkeypatch):
    """A page's related rows by its keys take one plan whatever the keys: run through ``plan_once_cursor`` (on
    PostgreSQL prepared on the server, planned once per connection; fails when run through Django's cursor)."""
    visits = _visits_with_relations(officer, enterprise, 3)
    planned = []
    plan_once_cursor = prepared_module.plan_once_cursor

    def recording(conn):
        planned.append(conn.alias)
        return plan_once_cursor(conn)

    monkeypatch.setattr(prepared_module, "plan_once_cursor", recording)
    officers = Visit.officers.through.objects.values_list("visit_id", "user_id")
    rows = base_module._related_rows(officers, "visit_id__in", [visit.pk for visit in visits])
    assert sorted(rows) == sorted(officers.filter(visit__in=visits))
    assert planned == ["default"]


def test_light_prefetch_runs_an_annotated_queryset_as_it_is(manager, officer, enterprise):
    visits = _visits_with_relations(officer, enterprise, 3)
    needs = Need.objects.annotate(twice=F("id") * 2).order_by("id")
    rows = base_module._related_rows(needs, "visit_id__in", [visit.pk for visit in visits])
    assert rows and all(row.twice == row.pk * 2 for row in rows)
    assert (id(needs), len(visits)) not in base_module._LIGHT_STATEMENTS


def test_fast_reads_of_null_paths_and_methods_answer_as_drf(rf, manager, enterprise):
    class Probe(NeedSerializer):
        lead_name_or_skip = serializers.CharField(source="lead_department.name", read_only=True)  # not null: skipped
        lead_name_null = serializers.CharField(source="lead_department.name", read_only=True, allow_null=True)
        called = serializers.SerializerMethodField()

        class Meta(NeedSerializer.Meta):
            fields = [*NeedSerializer.Meta.fields, "lead_name_or_skip", "lead_name_null", "called"]

        def get_called(self, obj):
            return f"{obj.pk}:{obj.title}"

    request = Request(rf.get("/"))
    request.user = manager
    need = NeedFactory(enterprise=enterprise, lead_department=None)
    loaded = Need.objects.select_related("enterprise", "project", "lead_department", "handler", "bureau")
    for serializer in (
        Probe(loaded.get(pk=need.pk), context={"request": request}),
        Probe(context={"request": request}),
    ):
        row = serializer.to_representation(loaded.get(pk=need.pk))
        assert "lead_name_or_skip" not in row and row["lead_name_null"] is None and row["lead_department_name"] is None
        assert row["called"] == f"{need.pk}:{need.title}" and row["project_name"] is None
        plain = serializers.ModelSerializer.to_representation(serializer, loaded.get(pk=need.pk))
        assert row == plain


@pytest.mark.parametrize(
    ("field", "values"),
    [
        (serializers.CharField(), ["", "文本", "x" * 300]),
        (serializers.EmailField(), ["a@example.org"]),
        (serializers.IntegerField(), [0, -3, 2**40]),
        (serializers.BooleanField(), [True, False]),
        (serializers.PrimaryKeyRelatedField(read_only=True), [1, 9]),
    ],
)
def test_values_that_are_their_own_representation(field, values):
    same = base_module._identity_type(field)
    for value in values:
        assert type(value) is same
        shown = field.to_representation(
            PKOnlyObject(pk=value) if same is int and "Related" in type(field).__name__ else value
        )
        assert shown == value and type(shown) is type(value)
    assert (
        base_module._identity_type(serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.CharField()))
        is None
    )
    assert base_module._identity_type(serializers.ChoiceField(choices=["a"])) is None

"""``GET /api/v1/search/`` (DESIGN §8.3): the grouped shape, scope, limits and bad input as JSON."""

import pytest

from crm.selectors.search import KIND_KEYS
from tests.factories import EnterpriseFactory, NeedFactory, PolicyFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/search/"


def test_grouped_answer_with_id_code_title_url(api_as, manager, enterprise, city_bureau):
    need = NeedFactory(enterprise=enterprise, title="清源冷库扩建用电增容协调", bureau=city_bureau)
    response = api_as(manager).get(URL, {"q": "清源"})
    assert response.status_code == 200
    data = response.json()
    assert list(data) == list(KIND_KEYS)
    assert data["enterprises"] == [
        {"id": enterprise.pk, "code": None, "title": enterprise.name, "url": f"/enterprises/{enterprise.pk}/"}
    ]
    assert data["needs"] == [{"id": need.pk, "code": need.code, "title": need.title, "url": f"/needs/{need.pk}/"}]
    assert data["policies"] == []


def test_words_are_anded_and_a_code_is_found(api_as, manager, enterprise, city_bureau):
    need = NeedFactory(enterprise=enterprise, title="申请苏科贷融资", bureau=city_bureau)
    client = api_as(manager)
    assert client.get(URL, {"q": "苏科贷 融资"}).json()["needs"][0]["id"] == need.pk
    assert client.get(URL, {"q": "苏科贷 授信"}).json()["needs"] == []
    assert client.get(URL, {"q": need.code.lower()}).json()["needs"][0]["id"] == need.pk


def test_scoped_to_the_caller(api_as, county_officer, enterprise, county_enterprise):
    PolicyFactory(title="清源专项政策")
    data = api_as(county_officer).get(URL, {"q": "有限公司"}).json()
    assert [e["id"] for e in data["enterprises"]] == [county_enterprise.pk]
    data = api_as(county_officer).get(URL, {"q": "清源"}).json()
    assert data["enterprises"] == [] and [p["title"] for p in data["policies"]] == ["清源专项政策"]
    assert api_as(county_officer).get(URL, {"q": enterprise.credit_code}).json()["enterprises"] == []


def test_limit_per_kind(api_as, manager, regions):
    for n in range(7):
        EnterpriseFactory(name=f"淮安批量{n}有限公司", region=regions["320812"])
    client = api_as(manager)
    assert len(client.get(URL, {"q": "批量", "limit": 3}).json()["enterprises"]) == 3
    assert len(client.get(URL, {"q": "批量"}).json()["enterprises"]) == 7


def test_empty_query_answers_empty_groups(api_as, manager, enterprise):
    for params in ({}, {"q": ""}, {"q": "   "}):
        data = api_as(manager).get(URL, params).json()
        assert data == {key: [] for key in KIND_KEYS}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"q": "x" * 101}, "q"), ({"q": "a\x00b"}, "q"), ({"q": "a", "limit": "0"}, "limit"), ({"limit": "x"}, "limit")],
)
def test_bad_input_is_a_json_400(api_as, manager, params, field):
    response = api_as(manager).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_signed_out_is_refused(api_client):
    assert api_client.get(URL, {"q": "清源"}).status_code in (401, 403)


def test_the_schema_documents_the_groups(api_as, manager):
    schema = api_as(manager).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/search/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"q", "limit"}

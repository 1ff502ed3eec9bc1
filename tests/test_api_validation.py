"""Bad input answers 400 naming the field, with a specific message — never a 500, and nothing is written."""

import pytest

from crm.models import Contact, Enterprise, Project
from crm.validators import credit_code_check_char
from tests.factories import credit_code

pytestmark = pytest.mark.django_db

GOOD = credit_code(42)
WRONG_CHECK = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")


@pytest.fixture
def client(api_as, manager, regions, chains, qualifications):
    return api_as(manager)


def enterprise(**changes):
    data = {"name": "淮安测试企业", "credit_code": GOOD, "region": "320812"}
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"credit_code": WRONG_CHECK}, "credit_code"),
        ({"credit_code": "91320812MA1XXXXXIO"}, "credit_code"),
        ({"credit_code": "123"}, "credit_code"),
        ({"credit_code": ""}, "credit_code"),
        ({"region": "999999"}, "region"),
        ({"region": ""}, "region"),
        ({"region": ["320812"]}, "region"),
        ({"industry_chain": "no-such-chain"}, "industry_chain"),
        ({"qualifications": ["hnte", "no-such-qualification"]}, "qualifications"),
        ({"qualifications": "hnte"}, "qualifications"),
        ({"employees": -1}, "employees"),
        ({"employees": 2**40}, "employees"),
        ({"employees": "many"}, "employees"),
        ({"rd_staff": 1.5}, "rd_staff"),
        ({"revenue": "-0.01"}, "revenue"),
        ({"revenue": "1e400"}, "revenue"),
        ({"revenue": "NaN"}, "revenue"),
        ({"rd_expense": "12.345"}, "rd_expense"),
        ({"name": "企" * 201}, "name"),
        ({"name": "淮安\x00企业"}, "name"),
        ({"name": ""}, "name"),
        ({"address": "路\x07口"}, "address"),
        ({"main_products": "x" * 501}, "main_products"),
        ({"established_on": "2026-02-30"}, "established_on"),
        ({"established_on": "yesterday"}, "established_on"),
        ({"status": "bankrupt"}, "status"),
        ({"party_organization": "club"}, "party_organization"),
        ({"is_linked": "perhaps"}, "is_linked"),
        ({"liaison_officers": [999999]}, "liaison_officers"),
        ({"liaison_officers": [2**70]}, "liaison_officers"),
        ({"liaison_officers": ["abc"]}, "liaison_officers"),
        ({"liaison_leader": -3}, "liaison_leader"),
    ],
)
def test_bad_enterprise_field_is_400_naming_it(client, changes, field):
    response = client.post("/api/v1/enterprises/", enterprise(**changes), format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert all(isinstance(m, str) and m for m in body[field] if not isinstance(m, dict))
    assert not Enterprise.objects.exists()


def test_credit_code_message_names_the_expected_check_character(client):
    body = client.post("/api/v1/enterprises/", enterprise(credit_code=WRONG_CHECK), format="json").json()
    expected = credit_code_check_char(GOOD[:17])
    assert any(expected in m and WRONG_CHECK[17] in m for m in body["credit_code"]), body


def test_credit_code_message_names_the_bad_characters(client):
    body = client.post("/api/v1/enterprises/", enterprise(credit_code="91320812MA1XXXXXIO"), format="json").json()
    message = " ".join(body["credit_code"])
    assert "I" in message and "O" in message


def test_credit_code_is_normalised_and_unique(client):
    response = client.post("/api/v1/enterprises/", enterprise(credit_code=f"  {GOOD.lower()} "), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["credit_code"] == GOOD
    response = client.post("/api/v1/enterprises/", enterprise(credit_code=GOOD.lower()), format="json")
    assert response.status_code == 400 and "credit_code" in response.json()
    assert Enterprise.objects.count() == 1


def test_update_with_bad_field_changes_nothing(client, regions):
    created = client.post("/api/v1/enterprises/", enterprise(qualifications=["hnte"]), format="json").json()
    response = client.patch(
        f"/api/v1/enterprises/{created['id']}/",
        {"name": "新名", "qualifications": ["tsme"], "revenue": "-5"},
        format="json",
    )
    assert response.status_code == 400 and "revenue" in response.json()
    row = Enterprise.objects.get()
    assert row.name == "淮安测试企业"
    assert list(row.enterprise_qualifications.values_list("qualification_id", flat=True)) == ["hnte"]


def test_qualifications_written_as_codes_read_with_details(client):
    created = client.post("/api/v1/enterprises/", enterprise(qualifications=["hnte", "tsme"]), format="json").json()
    assert sorted(created["qualifications"]) == ["hnte", "tsme"]
    details = {d["code"]: d for d in created["qualification_details"]}
    assert details["hnte"]["expires_on"] is None and details["hnte"]["is_expired"] is False
    assert details["hnte"]["name"] == "高新技术企业"
    updated = client.patch(f"/api/v1/enterprises/{created['id']}/", {"qualifications": ["tsme"]}, format="json")
    assert updated.json()["qualifications"] == ["tsme"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mobile": "12345"}, "mobile"),
        ({"email": "not-an-email"}, "email"),
        ({"name": "x" * 51}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"enterprise": 999999}, "enterprise"),
        ({"enterprise": None}, "enterprise"),
        ({"is_primary": "sometimes"}, "is_primary"),
    ],
)
def test_bad_contact_field(client, changes, field, regions):
    company = Enterprise.objects.create(name="e", credit_code=credit_code(43), region=regions["320812"])
    data = {"enterprise": company.pk, "name": "张三"}
    data.update(changes)
    response = client.post("/api/v1/contacts/", data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"planned_investment": "-1"}, "planned_investment"),
        ({"region": "000000"}, "region"),
        ({"kind": "other"}, "kind"),
        ({"stage": "dreaming"}, "stage"),
        ({"description": "x\x1by"}, "description"),
        ({"description": "x" * 20001}, "description"),
        ({"enterprise": "abc"}, "enterprise"),
    ],
)
def test_bad_project_field(client, changes, field):
    data = {"name": "项目", "region": "320812"}
    data.update(changes)
    response = client.post("/api/v1/projects/", data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Project.objects.exists()


def test_multiline_text_is_allowed(client):
    data = {"name": "项目", "region": "320812", "description": "第一行\n第二行\t缩进\r\n"}
    assert client.post("/api/v1/projects/", data, format="json").status_code == 201


def test_duplicate_department_is_400(api_as, admin_user, city_department):
    response = api_as(admin_user).post(
        "/api/v1/departments/", {"bureau": city_department.bureau_id, "name": city_department.name}, format="json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "is_linked=maybe",
        "status=unknown",
        "qualifications=nope",
        "liaison_officers=-1",
        "created_at_after=2026-13-01",
        "ordering=secret",
        "q=%00",
        "page_size=abc",
    ],
)
def test_bad_filters_are_400_or_ignored_never_500(client, query):
    response = client.get(f"/api/v1/enterprises/?{query}")
    assert response.status_code in (200, 400), response.content
    if not query.startswith("page_size"):
        assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/enterprises/?region=32%00",
        "/api/v1/enterprises/?qualifications=hn%00te",
        "/api/v1/enterprises/?industry_chain=%00",
        "/api/v1/projects/?region=%01",
        "/api/v1/regions/32%00/",
        "/api/v1/bureaus/?region=%00",
        "/api/v1/departments/?bureau=1%00",
    ],
)
def test_nul_bytes_in_codes_never_reach_the_database(client, url):
    """A NUL byte in a query is an error on PostgreSQL: it must be refused (400/404) before."""
    assert client.get(url).status_code in (400, 404)


@pytest.mark.parametrize("field", ["region", "industry_chain"])
def test_nul_byte_in_a_code_field_is_400(client, field):
    response = client.post("/api/v1/enterprises/", enterprise(**{field: "3208\x0012"}), format="json")
    assert response.status_code == 400 and field in response.json()

"""Permission matrix of the API (DESIGN §5): role × endpoint × method × in/out of scope.

City users (officer, manager, leader, admin) see the whole city; county users (county_officer,
county_manager of 金湖县, 320831) see only their county: a city record answers 404 to them, before any 403.
Officers create contacts (not enterprises or projects), edit what they liaise with, and never delete;
managers write everything in scope; leaders only read; reference data is the administrator's.
"""

import itertools

import pytest

from crm.models import Contact, Enterprise, Project
from tests.factories import credit_code

pytestmark = pytest.mark.django_db

ROLES = ["officer", "manager", "leader", "admin_user", "county_officer", "county_manager"]
COUNTY_ROLES = {"county_officer", "county_manager"}
MANAGERS = {"manager", "admin_user", "county_manager"}
OFFICERS = {"officer", "county_officer"}
BUSINESS = ["enterprises", "contacts", "projects"]
_seq = itertools.count(500)


@pytest.fixture
def world(enterprise, county_enterprise, regions):
    """One record per endpoint in the city (清江浦区) and one in the county (金湖县)."""
    return {
        "enterprises": {"city": enterprise, "county": county_enterprise},
        "contacts": {
            "city": Contact.objects.create(enterprise=enterprise, name="张三"),
            "county": Contact.objects.create(enterprise=county_enterprise, name="李四"),
        },
        "projects": {
            "city": Project.objects.create(name="城区项目", region=regions["320812"]),
            "county": Project.objects.create(name="金湖项目", region=regions["320831"]),
        },
    }


def user_region(role: str) -> str:
    return "320831" if role in COUNTY_ROLES else "320812"


def create_payload(endpoint: str, role: str, world) -> dict:
    where = "county" if role in COUNTY_ROLES else "city"
    region = user_region(role)
    if endpoint == "enterprises":
        return {"name": f"新企业{next(_seq)}", "credit_code": credit_code(next(_seq), region), "region": region}
    if endpoint == "contacts":
        return {"enterprise": world["enterprises"][where].pk, "name": "王五", "mobile": "13800138000"}
    return {"name": f"新项目{next(_seq)}", "region": region}


def change_payload(endpoint: str) -> dict:
    return {"enterprises": {"address": "新地址"}, "contacts": {"title": "总经理"}, "projects": {"stage": "signed"}}[
        endpoint
    ]


def visible(role: str, where: str) -> bool:
    return where == "county" or role not in COUNTY_ROLES


@pytest.mark.parametrize("endpoint", BUSINESS)
@pytest.mark.parametrize("role", ROLES)
def test_list_shows_only_rows_in_scope(request, api_as, world, role, endpoint):
    user = request.getfixturevalue(role)
    response = api_as(user).get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    expected = {obj.pk for where, obj in world[endpoint].items() if visible(role, where)}
    assert ids == expected


@pytest.mark.parametrize("where", ["city", "county"])
@pytest.mark.parametrize("endpoint", BUSINESS)
@pytest.mark.parametrize("role", ROLES)
def test_detail_in_scope_200_out_of_scope_404(request, api_as, world, role, endpoint, where):
    user = request.getfixturevalue(role)
    obj = world[endpoint][where]
    response = api_as(user).get(f"/api/v1/{endpoint}/{obj.pk}/")
    assert response.status_code == (200 if visible(role, where) else 404)


CREATE_ALLOWED = {
    "enterprises": MANAGERS,
    "projects": MANAGERS,
    "contacts": MANAGERS | OFFICERS,
}


@pytest.mark.parametrize("endpoint", BUSINESS)
@pytest.mark.parametrize("role", ROLES)
def test_create(request, api_as, world, role, endpoint):
    user = request.getfixturevalue(role)
    model = {"enterprises": Enterprise, "contacts": Contact, "projects": Project}[endpoint]
    before = model.objects.count()
    response = api_as(user).post(f"/api/v1/{endpoint}/", create_payload(endpoint, role, world), format="json")
    if role in CREATE_ALLOWED[endpoint]:
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["created_by"] == user.pk
        if endpoint != "contacts":
            assert body["bureau"] == user.bureau_id
    else:
        assert response.status_code == 403
        assert model.objects.count() == before


@pytest.mark.parametrize("where", ["city", "county"])
@pytest.mark.parametrize("endpoint", BUSINESS)
@pytest.mark.parametrize("role", ROLES)
def test_update(request, api_as, world, role, endpoint, where):
    user = request.getfixturevalue(role)
    obj = world[endpoint][where]
    response = api_as(user).patch(f"/api/v1/{endpoint}/{obj.pk}/", change_payload(endpoint), format="json")
    if not visible(role, where):
        assert response.status_code == 404
    elif role in MANAGERS:
        assert response.status_code == 200, response.json()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("where", ["city", "county"])
@pytest.mark.parametrize("endpoint", BUSINESS)
@pytest.mark.parametrize("role", ROLES)
def test_delete(request, api_as, world, role, endpoint, where):
    user = request.getfixturevalue(role)
    obj = world[endpoint][where]
    response = api_as(user).delete(f"/api/v1/{endpoint}/{obj.pk}/")
    exists = type(obj).objects.filter(pk=obj.pk).exists()
    if not visible(role, where):
        assert response.status_code == 404 and exists
    elif role in MANAGERS:
        assert response.status_code == 204 and not exists
    else:
        assert response.status_code == 403 and exists


def test_officer_edits_the_enterprises_and_projects_it_liaises_with(api_as, officer, world):
    enterprise = world["enterprises"]["city"]
    project = world["projects"]["city"]
    client = api_as(officer)
    assert client.patch(f"/api/v1/enterprises/{enterprise.pk}/", {"address": "x"}, format="json").status_code == 403
    enterprise.liaison_officers.add(officer)
    project.liaison_officers.add(officer)
    assert client.patch(f"/api/v1/enterprises/{enterprise.pk}/", {"address": "x"}, format="json").status_code == 200
    assert client.patch(f"/api/v1/projects/{project.pk}/", {"stage": "signed"}, format="json").status_code == 200
    # ... and edits the contacts of that enterprise, but never deletes.
    contact = world["contacts"]["city"]
    assert client.patch(f"/api/v1/contacts/{contact.pk}/", {"title": "x"}, format="json").status_code == 200
    assert client.delete(f"/api/v1/enterprises/{enterprise.pk}/").status_code == 403
    assert client.delete(f"/api/v1/contacts/{contact.pk}/").status_code == 403


def test_county_user_cannot_create_outside_its_region(api_as, county_manager, world, regions):
    client = api_as(county_manager)
    response = client.post(
        "/api/v1/enterprises/",
        {"name": "越界企业", "credit_code": credit_code(900), "region": "320812"},
        format="json",
    )
    assert response.status_code == 400
    assert "region" in response.json()
    response = client.post("/api/v1/projects/", {"name": "越界项目", "region": "320803"}, format="json")
    assert response.status_code == 400 and "region" in response.json()
    county = world["enterprises"]["county"]
    response = client.patch(f"/api/v1/enterprises/{county.pk}/", {"region": "320812"}, format="json")
    assert response.status_code == 400 and "region" in response.json()


def test_county_user_cannot_attach_a_contact_to_a_city_enterprise(api_as, county_officer, world):
    city = world["enterprises"]["city"]
    response = api_as(county_officer).post("/api/v1/contacts/", {"enterprise": city.pk, "name": "x"}, format="json")
    assert response.status_code == 400
    assert "enterprise" in response.json()


REFERENCE = {
    "regions": ("320812", {"code": "320899", "name": "测试区"}, {"name": "改名区"}),
    "industry-chains": ("green-food", {"code": "test-chain", "name": "测试链"}, {"name": "改名链"}),
    "qualifications": ("hnte", {"code": "test-q", "name": "测试资质"}, {"name": "改名资质"}),
}


@pytest.mark.parametrize("endpoint", list(REFERENCE))
@pytest.mark.parametrize("role", ROLES)
def test_reference_data_read_by_all_written_by_admin(request, api_as, regions, chains, qualifications, role, endpoint):
    user = request.getfixturevalue(role)
    client = api_as(user)
    code, new, change = REFERENCE[endpoint]
    assert client.get(f"/api/v1/{endpoint}/").status_code == 200
    assert client.get(f"/api/v1/{endpoint}/{code}/").status_code == 200
    is_admin = role == "admin_user"
    assert client.post(f"/api/v1/{endpoint}/", new, format="json").status_code == (201 if is_admin else 403)
    assert client.patch(f"/api/v1/{endpoint}/{code}/", change, format="json").status_code == (200 if is_admin else 403)
    target = new["code"] if is_admin else code
    assert client.delete(f"/api/v1/{endpoint}/{target}/").status_code == (204 if is_admin else 403)


def test_reference_code_cannot_change(api_as, admin_user, regions):
    response = api_as(admin_user).patch("/api/v1/regions/320812/", {"code": "320899"}, format="json")
    assert response.status_code == 400 and "code" in response.json()


@pytest.mark.parametrize("role", ROLES)
def test_bureaus_and_departments_read_by_all_written_by_admin(
    request, api_as, role, city_bureau, county_bureau, city_department
):
    user = request.getfixturevalue(role)
    client = api_as(user)
    assert client.get("/api/v1/bureaus/").status_code == 200
    assert client.get(f"/api/v1/departments/{city_department.pk}/").status_code == 200
    is_admin = role == "admin_user"
    response = client.post("/api/v1/departments/", {"bureau": city_bureau.pk, "name": "新科室"}, format="json")
    assert response.status_code == (201 if is_admin else 403)
    response = client.patch(f"/api/v1/bureaus/{county_bureau.pk}/", {"name": "金湖县科学技术局"}, format="json")
    assert response.status_code == (200 if is_admin else 403)

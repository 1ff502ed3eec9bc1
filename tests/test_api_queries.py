"""List endpoints do a fixed number of queries, whatever the page size (DESIGN §9.2)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crm.models import (
    Bureau,
    Contact,
    Department,
    Enterprise,
    EnterpriseQualification,
    IndustryChain,
    Project,
    Qualification,
    Region,
)
from tests.factories import credit_code, make_user

pytestmark = pytest.mark.django_db
ROWS = 55


@pytest.fixture
def many(regions, chains, qualifications, city_bureau, officer, leader):
    """ROWS rows for every list endpoint, created in bulk, with every relation the serializers read filled."""
    region = regions["320812"]
    Region.objects.bulk_create([Region(code=f"9{i:05d}", name=f"区{i}") for i in range(ROWS)])
    IndustryChain.objects.bulk_create([IndustryChain(code=f"chain-{i}", name=f"链{i}") for i in range(ROWS)])
    Qualification.objects.bulk_create([Qualification(code=f"q-{i}", name=f"资质{i}") for i in range(ROWS)])
    Bureau.objects.bulk_create([Bureau(name=f"局{i}", level="county", region=region) for i in range(ROWS)])
    Department.objects.bulk_create([Department(bureau=city_bureau, name=f"处{i}") for i in range(ROWS)])
    enterprises = Enterprise.objects.bulk_create(
        [
            Enterprise(
                name=f"企业{i:03d}",
                credit_code=credit_code(1000 + i),
                region=region,
                industry_chain=chains["green-food"],
                liaison_leader=leader,
                bureau=city_bureau,
                created_by=officer,
            )
            for i in range(ROWS)
        ]
    )
    EnterpriseQualification.objects.bulk_create(
        [
            EnterpriseQualification(enterprise=e, qualification=qualifications[code])
            for e in enterprises
            for code in ("hnte", "tsme")
        ]
    )
    Through = Enterprise.liaison_officers.through
    Through.objects.bulk_create([Through(enterprise=e, user=officer) for e in enterprises])
    Contact.objects.bulk_create([Contact(enterprise=e, name=f"联系人{e.pk}") for e in enterprises])
    projects = Project.objects.bulk_create(
        [
            Project(name=f"项目{i}", region=region, enterprise=enterprises[i], industry_chain=chains["nev"])
            for i in range(ROWS)
        ]
    )
    ProjectThrough = Project.liaison_officers.through
    ProjectThrough.objects.bulk_create([ProjectThrough(project=p, user=officer) for p in projects])


@pytest.fixture
def token_client(manager):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    return client


ENDPOINTS = [
    "enterprises",
    "contacts",
    "projects",
    "bureaus",
    "departments",
    "regions",
    "industry-chains",
    "qualifications",
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_list_queries_do_not_grow_with_page_size(many, token_client, endpoint, django_assert_max_num_queries):
    url = f"/api/v1/{endpoint}/"
    token_client.get(url, {"page_size": 1})  # warm-up: content types, translations
    with CaptureQueriesContext(connection) as small:
        response = token_client.get(url, {"page_size": 1})
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    assert len(small) <= 7, [q["sql"] for q in small.captured_queries]
    with django_assert_max_num_queries(len(small)):
        response = token_client.get(url, {"page_size": 50})
    assert len(response.json()["results"]) == 50


def test_county_user_list_queries_are_bounded(many, county_enterprise, regions, django_assert_max_num_queries):
    county_manager = make_user("cm2", "manager", Bureau.objects.get(name="金湖县科技局"))
    Enterprise.objects.bulk_create(
        [
            Enterprise(name=f"金湖{i}", credit_code=credit_code(3000 + i, "320831"), region=regions["320831"])
            for i in range(ROWS)
        ]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=county_manager).key}")
    searched = {"is_linked": "false", "q": "金湖"}
    # A text search asks first how common the text is (crm.selectors.search: SQLite's index, PostgreSQL's
    # statistics, read once in a while): as many statements whatever the page's size.
    client.get("/api/v1/enterprises/", {"page_size": 1, **searched})
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/enterprises/", {"page_size": 1, **searched})
    with django_assert_max_num_queries(len(small)):
        response = client.get("/api/v1/enterprises/", {"page_size": 50, **searched})
    body = response.json()
    assert body["count"] == ROWS and len(body["results"]) == 50
    assert {row["region"] for row in body["results"]} == {"320831"}

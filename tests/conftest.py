"""Shared fixtures: reference data, a city and a county bureau, and one user per role at each level."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from crm.choices import BureauLevel, Role
from crm.models import Bureau, Department, Enterprise, IndustryChain, Qualification, Region, User


def credit_code(seed: int, region: str = "320812") -> str:
    """A valid credit code, different for each seed."""
    from crm.validators import credit_code_check_char

    body = f"91{region}{seed:09d}"
    return body + credit_code_check_char(body)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2 costs ~100 ms per user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters live in the cache; a test must not inherit another test's request count.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def regions(db):
    codes = {
        "320800": "淮安市",
        "320812": "清江浦区",
        "320831": "金湖县",
        "320803": "淮安区",
    }
    return {code: Region.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in codes.items()}


@pytest.fixture
def chains(db):
    return {
        code: IndustryChain.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in {"green-food": "绿色食品", "nev": "新能源汽车及零部件", "pcb": "PCB电子元器件"}.items()
    }


@pytest.fixture
def qualifications(db):
    return {
        code: Qualification.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in {"hnte": "高新技术企业", "tsme": "科技型中小企业", "srdi": "专精特新中小企业"}.items()
    }


@pytest.fixture
def city_bureau(regions):
    return Bureau.objects.create(name="淮安市科技局", level=BureauLevel.CITY, region=regions["320800"])


@pytest.fixture
def county_bureau(regions):
    return Bureau.objects.create(name="金湖县科技局", level=BureauLevel.COUNTY, region=regions["320831"])


@pytest.fixture
def city_department(city_bureau):
    return Department.objects.create(bureau=city_bureau, name="高新技术处")


@pytest.fixture
def county_department(county_bureau):
    return Department.objects.create(bureau=county_bureau, name="综合科")


def make_user(username: str, role: str | None, bureau, department=None, **extra) -> User:
    user = User.objects.create_user(
        username=username, password="pw-123456", name=username, bureau=bureau, department=department, **extra
    )
    if role:
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    return user


@pytest.fixture
def officer(city_bureau, city_department):
    return make_user("officer", Role.OFFICER, city_bureau, city_department)


@pytest.fixture
def manager(city_bureau, city_department):
    return make_user("manager", Role.MANAGER, city_bureau, city_department)


@pytest.fixture
def leader(city_bureau, city_department):
    return make_user("leader", Role.LEADER, city_bureau, city_department)


@pytest.fixture
def admin_user(city_bureau, city_department):
    return make_user("sysadmin", Role.ADMIN, city_bureau, city_department, is_staff=True, is_superuser=True)


@pytest.fixture
def county_officer(county_bureau, county_department):
    return make_user("county_officer", Role.OFFICER, county_bureau, county_department)


@pytest.fixture
def county_manager(county_bureau, county_department):
    return make_user("county_manager", Role.MANAGER, county_bureau, county_department)


@pytest.fixture
def enterprise(regions, chains, city_bureau):
    return Enterprise.objects.create(
        name="淮安清源食品科技有限公司",
        credit_code=credit_code(1, "320812"),
        region=regions["320812"],
        industry_chain=chains["green-food"],
        employees=120,
        rd_staff=18,
        revenue=8000,
        rd_expense=320,
        established_on=dt.date(2015, 5, 1),
        is_linked=True,
        bureau=city_bureau,
    )


@pytest.fixture
def county_enterprise(regions, chains, county_bureau):
    return Enterprise.objects.create(
        name="金湖县示例电子有限公司",
        credit_code=credit_code(2, "320831"),
        region=regions["320831"],
        industry_chain=chains["pcb"],
        employees=60,
        revenue=3000,
        rd_expense=150,
        is_linked=True,
        bureau=county_bureau,
    )


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    """Return an API client logged in as the given user."""

    def login(user):
        api_client.force_authenticate(user=user)
        return api_client

    return login

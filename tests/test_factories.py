"""The factories of tests/factories.py: valid defaults, shared reference rows, roles and passwords."""

import pytest
from django.db import IntegrityError, transaction

from crm.choices import BureauLevel, Role
from crm.models import Bureau, Department, Region
from crm.validators import validate_credit_code
from tests import factories

pytestmark = pytest.mark.django_db

FACTORIES = [
    factories.IndustryChainFactory,
    factories.QualificationFactory,
    factories.RegionFactory,
    factories.SharedBureauFactory,
    factories.SharedDepartmentFactory,
    factories.UserFactory,
    factories.EnterpriseFactory,
    factories.EnterpriseQualificationFactory,
    factories.ContactFactory,
    factories.ProjectFactory,
    factories.VisitFactory,
    factories.NeedFactory,
    factories.NeedEventFactory,
    factories.HolidayFactory,
    factories.PolicyFactory,
    factories.PolicyMatchFactory,
    factories.OfferingFactory,
    factories.ActionItemFactory,
    factories.NotificationFactory,
]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_defaults_are_valid_and_a_second_row_is_too(factory):
    first, second = factory(), factory()
    first.full_clean()
    second.full_clean()


def test_relations_share_the_reference_rows(city_bureau, city_department, regions):
    need = factories.NeedFactory()
    item = factories.ActionItemFactory(need=need)
    assert need.bureau == city_bureau and need.enterprise.region == regions["320812"]
    assert item.owner.bureau == city_bureau and item.owner.department == city_department
    assert Bureau.objects.count() == 1 and Department.objects.count() == 1
    assert Region.objects.count() == len(regions)


def test_a_bureau_or_department_is_new_unless_shared(county_bureau, city_department):
    county = factories.BureauFactory.build(county=True)
    assert (county.name, county.level, county.region.code) == ("金湖县科技局", BureauLevel.COUNTY, "320831")
    assert factories.SharedBureauFactory(county=True) == county_bureau
    assert factories.SharedDepartmentFactory() == city_department
    other = factories.BureauFactory(name="淮安区科技局", county=True, region__code="320803")
    assert other != county_bureau and factories.DepartmentFactory(bureau=other).bureau == other
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.BureauFactory(county=True)


def test_reference_rows_creates_only_the_missing_rows():
    existing = factories.RegionFactory(code="320812", name="清江浦区")
    rows = factories.reference_rows(factories.RegionFactory, {"320812": "改名", "320831": "金湖县"})
    assert rows["320812"] == existing and rows["320812"].name == "清江浦区"
    assert rows["320831"].name == "金湖县" and Region.objects.count() == 2


def test_enterprises_get_distinct_valid_credit_codes_in_their_region():
    county = factories.RegionFactory(code="320831")
    codes = [factories.EnterpriseFactory().credit_code, factories.EnterpriseFactory(region=county).credit_code]
    for code in codes:
        validate_credit_code(code)
    assert len(set(codes)) == 2 and codes[1][2:8] == "320831"


def test_roles_add_the_groups_and_the_password_logs_in(client):
    user = factories.UserFactory(roles=[Role.MANAGER, Role.LEADER])
    assert user.roles == [Role.MANAGER, Role.LEADER]
    assert factories.UserFactory(roles=Role.OFFICER).roles == [Role.OFFICER]
    assert factories.UserFactory().roles == []
    assert user.check_password(factories.PASSWORD)
    assert user.password.startswith("md5$")  # the fast hasher of conftest.py
    assert client.login(username=user.username, password=factories.PASSWORD)


def test_a_user_without_a_bureau_has_no_department():
    user = factories.UserFactory(bureau=None)
    assert user.bureau is None and user.department is None


def test_make_user_keeps_its_signature(city_bureau):
    user = factories.make_user("someone", Role.OFFICER, city_bureau, email="someone@example.org")
    assert (user.username, user.name, user.email) == ("someone", "someone", "someone@example.org")
    assert user.department is None and user.roles == [Role.OFFICER]
    assert factories.make_user("nobody", None, city_bureau).roles == []


def test_policy_sets_its_many_to_many_criteria(regions, chains, qualifications):
    policy = factories.PolicyFactory(
        regions=[regions["320812"]], industry_chains=[chains["nev"]], required_qualifications=[qualifications["hnte"]]
    )
    assert list(policy.regions.all()) == [regions["320812"]]
    assert list(policy.industry_chains.all()) == [chains["nev"]]
    assert list(policy.required_qualifications.all()) == [qualifications["hnte"]]

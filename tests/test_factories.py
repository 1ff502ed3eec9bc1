"""The factories of tests/factories.py: valid defaults, shared reference rows, roles and passwords."""

import pytest

from crm.choices import BureauLevel, Role
from crm.models import Bureau, Department, Region
from crm.validators import validate_credit_code
from tests import factories

pytestmark = pytest.mark.django_db

FACTORIES = [
    factories.RegionFactory,
    factories.IndustryChainFactory,
    factories.QualificationFactory,
    factories.BureauFactory,
    factories.DepartmentFactory,
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


def test_county_trait_is_the_county_bureau(county_bureau):
    bureau = factories.BureauFactory(county=True)
    assert bureau == county_bureau
    assert bureau.level == BureauLevel.COUNTY and bureau.region.code == "320831"


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

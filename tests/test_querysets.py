"""Scoping of DESIGN §5 for every role and both bureau levels."""

import pytest

from crm.models import (
    ActionItem,
    Contact,
    Enterprise,
    Need,
    NeedEvent,
    Policy,
    PolicyMatch,
    Project,
    Visit,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(enterprise, county_enterprise, regions, city_bureau, county_bureau, manager):
    city_project = Project.objects.create(name="城区项目", region=regions["320812"])
    county_project = Project.objects.create(name="金湖项目", region=regions["320831"])
    objs = {
        "enterprise": (enterprise, county_enterprise),
        "project": (city_project, county_project),
        "contact": (
            Contact.objects.create(enterprise=enterprise, name="张三"),
            Contact.objects.create(enterprise=county_enterprise, name="李四"),
        ),
        "visit": (
            Visit.objects.create(enterprise=enterprise, visited_on="2026-01-05", q_needs="x"),
            Visit.objects.create(enterprise=county_enterprise, visited_on="2026-01-05", q_needs="y"),
        ),
        "need": (
            Need.objects.create(enterprise=enterprise, category="rd", title="市", bureau=city_bureau),
            Need.objects.create(enterprise=county_enterprise, category="rd", title="县", bureau=county_bureau),
        ),
    }
    policy = Policy.objects.create(title="p", issuer="i", level="city", kind="funding")
    objs["policymatch"] = (
        PolicyMatch.objects.create(policy=policy, enterprise=enterprise),
        PolicyMatch.objects.create(policy=policy, enterprise=county_enterprise),
    )
    objs["actionitem"] = (
        ActionItem.objects.create(title="a", need=objs["need"][0], owner=manager, due_on="2026-12-01"),
        ActionItem.objects.create(title="b", project=county_project, owner=manager, due_on="2026-12-01"),
    )
    objs["needevent"] = (
        NeedEvent.objects.create(need=objs["need"][0], kind="note", text="a"),
        NeedEvent.objects.create(need=objs["need"][1], kind="note", text="b"),
    )
    return objs


MODELS = {
    "enterprise": Enterprise,
    "project": Project,
    "contact": Contact,
    "visit": Visit,
    "need": Need,
    "policymatch": PolicyMatch,
    "actionitem": ActionItem,
    "needevent": NeedEvent,
}


@pytest.mark.parametrize("role_fixture", ["officer", "manager", "leader", "admin_user"])
@pytest.mark.parametrize("name", list(MODELS))
def test_city_users_see_the_whole_city(request, world, role_fixture, name):
    user = request.getfixturevalue(role_fixture)
    visible = set(MODELS[name].objects.visible_to(user))
    assert set(world[name]) <= visible


@pytest.mark.parametrize("role_fixture", ["county_officer", "county_manager"])
@pytest.mark.parametrize("name", list(MODELS))
def test_county_users_see_only_their_county(request, world, role_fixture, name):
    user = request.getfixturevalue(role_fixture)
    if name == "actionitem":
        # Owned by the city manager: the county user sees it through the project's region only.
        pass
    visible = set(MODELS[name].objects.visible_to(user))
    city_obj, county_obj = world[name]
    assert county_obj in visible
    assert city_obj not in visible


def test_needs_transferred_to_a_county_are_visible_there(world, county_officer, county_bureau, officer):
    city_need = world["need"][0]
    assert city_need not in Need.objects.visible_to(county_officer)
    city_need.bureau = county_bureau
    city_need.save()
    assert city_need in Need.objects.visible_to(county_officer)
    assert city_need in Need.objects.visible_to(officer)  # the city still sees it
    assert world["needevent"][0] in NeedEvent.objects.visible_to(county_officer)


def test_users_without_a_bureau_or_anonymous_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    loner = make_user("loner", "officer", None)
    for model in MODELS.values():
        assert not model.objects.visible_to(loner).exists()
        assert not model.objects.visible_to(AnonymousUser()).exists()


def test_policies_are_shared_by_every_bureau(world, county_officer):
    assert Policy.objects.visible_to(county_officer).count() == 1


def test_scoping_is_a_single_query(world, county_officer, django_assert_num_queries):
    county_officer = type(county_officer).objects.select_related("bureau").get(pk=county_officer.pk)
    county_officer.roles  # noqa: B018 - warm the role cache
    with django_assert_num_queries(1):
        list(Need.objects.visible_to(county_officer))

"""``manage.py seed_demo``: the reference data of DESIGN §7 and the demo programme of §8.1."""

import datetime as dt
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from crm.choices import MatchStatus, NeedStatus, OfferingKind, Role
from crm.devdata.demo import MODELS_COUNTED
from crm.models import (
    ActionItem,
    Bureau,
    Enterprise,
    Holiday,
    IndustryChain,
    Need,
    NeedEvent,
    Offering,
    Policy,
    PolicyMatch,
    Project,
    Qualification,
    Region,
    User,
    Visit,
)
from crm.selectors.needs import answer_workdays_mismatches
from crm.validators import validate_credit_code

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def all_counts() -> dict[str, int]:
    """Row counts of every installed model, history tables and code sequences included."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def seeded():
    return seed()


def test_reference_data_of_huaian(seeded):
    regions = dict(Region.objects.values_list("code", "name"))
    assert regions["320800"] == "淮安市"
    assert regions["320831"] == "金湖县"
    assert regions["320871"] == "淮安经济技术开发区"
    assert {"320803", "320804", "320812", "320813", "320826", "320830"} <= set(regions)
    assert {"320800-htz", "320800-iz", "320800-eco"} <= set(regions)
    assert len(regions) == 12
    chains = dict(IndustryChain.objects.values_list("code", "name"))
    assert len(chains) == 10
    assert chains["nev"] == "新能源汽车及零部件"
    assert chains["ai-robotics"] == "人工智能和机器人"
    quals = dict(Qualification.objects.values_list("code", "name"))
    assert len(quals) == 13
    assert quals["little-giant"] == '专精特新"小巨人"企业'
    assert quals["prov-etc"] == "省级企业技术中心"
    # 2026: 春节 15–23 Feb off, Saturdays 14 and 28 Feb worked (调休); 国庆 1–7 Oct.
    assert Holiday.objects.get(date="2026-02-14").is_workday
    assert Holiday.objects.get(date="2026-02-28").is_workday
    assert not Holiday.objects.get(date="2026-02-17").is_workday
    assert not Holiday.objects.get(date="2026-10-07").is_workday
    assert Holiday.objects.filter(is_workday=True, date__year=2026).count() == 6
    for holiday in Holiday.objects.filter(is_workday=True):
        assert holiday.date.weekday() >= 5, holiday


def test_reference_programme(seeded):
    assert Enterprise.objects.filter(is_linked=True).count() == 13
    assert Enterprise.objects.filter(is_assisted=True).count() == 1
    assert not Enterprise.objects.filter(is_assisted=True, is_linked=True).exists()
    assert Project.objects.filter(is_assisted=True).count() == 4
    assert Enterprise.objects.filter(region="320831").count() >= 3
    assert Enterprise.objects.values("region").distinct().count() >= 5
    for code in Enterprise.objects.values_list("credit_code", flat=True):
        validate_credit_code(code)

    assert set(Need.objects.values_list("status", flat=True)) == set(NeedStatus.values)
    assert Need.objects.overdue().exists()
    assert Need.objects.filter(project__is_assisted=True).exists()
    assert Need.objects.filter(source="visit", visit__isnull=False).exists()
    closed = Need.objects.filter(status=NeedStatus.CLOSED)
    assert not closed.filter(satisfaction="").exists()
    assert not closed.filter(resolution="").exists()
    assert Need.objects.filter(bureau__name="金湖县科技局").exists()

    assert Visit.objects.filter(flag="red").count() == 1
    assert Visit.objects.filter(flag="yellow").exists()
    assert all(v.code.startswith("ZF-") for v in Visit.objects.all())
    assert not Visit.objects.filter(visited_on__gt=timezone.localdate()).exists()

    assert Policy.objects.count() >= 15
    today = timezone.localdate()
    assert Policy.objects.filter(apply_until__lt=today).count() == 1
    assert Policy.objects.filter(apply_until__gte=today, apply_until__lte=today + dt.timedelta(days=14)).exists()
    assert Policy.objects.filter(linked_only=True).exists()
    assert {MatchStatus.PUSHED, MatchStatus.APPLYING, MatchStatus.GRANTED, MatchStatus.NOT_GRANTED} <= set(
        PolicyMatch.objects.values_list("status", flat=True)
    )
    assert PolicyMatch.objects.filter(status=MatchStatus.GRANTED, granted_amount__gt=0).exists()
    for match in PolicyMatch.objects.all():
        assert match.reasons and all({"name", "passed", "detail"} <= set(r) for r in match.reasons)

    assert Offering.objects.count() >= 20
    assert set(Offering.objects.values_list("kind", flat=True)) == set(OfferingKind.values)
    assert ActionItem.objects.overdue().exists()
    assert ActionItem.objects.filter(project__isnull=False, need__isnull=True).exists()
    assert ActionItem.objects.filter(need__isnull=False, offering__isnull=False).exists()

    assert set(Bureau.objects.values_list("name", flat=True)) >= {"淮安市科技局", "金湖县科技局"}
    city = Bureau.objects.get(name="淮安市科技局")
    assert city.level == "city" and city.region_id == "320800"
    assert {"办公室", "高新技术处", "科技合作与成果转化处", "农村科技处", "政策法规处", "科技资源统筹服务中心"} <= set(
        city.departments.values_list("name", flat=True)
    )


def test_need_timelines_follow_the_lifecycle(seeded):
    for need in Need.objects.all():
        events = list(need.events.exclude(to_status="").order_by("created_at", "id"))
        assert events[0].from_status == "" and events[0].to_status == NeedStatus.NEW, need.title
        previous = ""
        for event in events:
            assert event.from_status == previous, (need.title, event.kind)
            previous = event.to_status
        assert previous == need.status, need.title
        stamps = [e.created_at for e in need.events.order_by("id")]
        assert stamps == sorted(stamps) and stamps[0] >= need.created_at - dt.timedelta(minutes=1)
        if need.status in (NeedStatus.ASSIGNED, NeedStatus.IN_PROGRESS, NeedStatus.ANSWERED, NeedStatus.CLOSED):
            assert need.lead_department_id and need.due_on and need.assigned_at, need.title
    # The stored working days to answer equal the holiday calendar's, as the transitions would have stored them.
    assert Need.objects.filter(answer_workdays__gt=0).exists()
    assert answer_workdays_mismatches() == []


def test_demo_users(seeded):
    expected = {
        "officer": (Role.OFFICER, "淮安市科技局", "高新技术处"),
        "manager": (Role.MANAGER, "淮安市科技局", "高新技术处"),
        "leader": (Role.LEADER, "淮安市科技局", "办公室"),
        "admin": (Role.ADMIN, "淮安市科技局", None),
        "county_officer": (Role.OFFICER, "金湖县科技局", None),
    }
    for username, (role, bureau, department) in expected.items():
        user = User.objects.get(username=username)
        assert user.roles == [role.value], username
        assert user.bureau.name == bureau
        assert user.name
        if department:
            assert user.department.name == department
        assert authenticate(username=username, password="demo12345") == user
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert User.objects.get(username="county_officer").bureau.region_id == "320831"
    assert User.objects.get(username="officer").sees_everything
    assert not User.objects.get(username="county_officer").sees_everything


def test_every_row_validates(seeded):
    for model in MODELS_COUNTED:
        for obj in model._default_manager.all():
            obj.full_clean()


def test_second_run_changes_nothing_and_if_empty_skips():
    first = seed()
    assert "Enterprise" in first
    before = all_counts()
    codes = sorted(Need.objects.values_list("code", flat=True))
    events = NeedEvent.objects.count()
    second = seed()
    assert "(0 rows created)" in second
    assert all_counts() == before
    assert sorted(Need.objects.values_list("code", flat=True)) == codes
    assert NeedEvent.objects.count() == events
    out = seed("--if-empty")
    assert "not loaded" in out
    assert all_counts() == before


def test_if_empty_seeds_an_empty_database():
    assert not Enterprise.objects.exists()
    seed("--if-empty")
    assert Enterprise.objects.filter(is_linked=True).count() == 13


def test_demo_matches_explain_themselves_like_a_push_and_list_in_the_api(seeded, client):
    """Demo matches carry the matching selector's reasons, so the API and pages read them like real pushes."""

    for match in PolicyMatch.objects.all():
        assert match.reasons and all({"criterion", "name", "passed", "detail"} <= set(r) for r in match.reasons)
        assert 0 <= match.score <= 100
    client.force_login(User.objects.get(username="manager"))
    response = client.get("/api/v1/policy-matches/", {"page_size": 200})
    assert response.status_code == 200
    assert response.json()["count"] == PolicyMatch.objects.count()

"""The policy library and matches: contradictory criteria refused, idempotent push, the outcome path, roles."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm.choices import MatchStatus, NeedCategory, NeedStatus, PolicyDelivery, PolicyKind, PolicyLevel
from crm.models import Policy, PolicyMatch
from crm.services.policies import (
    MatchStatusConflict,
    match_next_statuses,
    need_push_refusal,
    policy_create,
    policy_delete,
    policy_match_update_status,
    policy_push,
    policy_update,
)
from tests.policy_helpers import make_enterprise, make_need, make_policy, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def base_data(**extra):
    data = {
        "title": "高新技术企业认定奖励",
        "issuer": "淮安市科技局",
        "level": PolicyLevel.CITY,
        "kind": PolicyKind.FUNDING,
    }
    data.update(extra)
    return data


# --------------------------------------------------------------------------------------------- library


def test_policy_create_with_criteria(manager, regions, qualifications):
    policy = policy_create(
        user=manager,
        data=base_data(
            regions=[regions["320812"]],
            required_qualifications=[qualifications["hnte"]],
            min_rd_ratio=Decimal("3"),
            need_categories=[NeedCategory.QUALIFICATION, NeedCategory.FUNDING, NeedCategory.FUNDING],
            keywords="高企,  认定  奖励",
        ),
    )
    assert policy.created_by == manager
    assert list(policy.regions.values_list("pk", flat=True)) == ["320812"]
    assert list(policy.required_qualifications.values_list("pk", flat=True)) == ["hnte"]
    assert policy.need_categories == ["qualification", "funding"]
    assert policy.keywords == "高企, 认定 奖励"
    assert policy.keyword_list == ["高企", "认定", "奖励"]
    assert policy.history.count() == 1


@pytest.mark.parametrize(
    ("criteria", "field", "message"),
    [
        ({"min_employees": 100, "max_employees": 50}, "max_employees", "minimum number of employees is above"),
        ({"min_revenue": Decimal("10"), "max_revenue": Decimal("5")}, "max_revenue", "minimum revenue is above"),
        (
            {"apply_from": dt.date(2026, 5, 1), "apply_until": dt.date(2026, 4, 30)},
            "apply_until",
            "window ends before it starts",
        ),
        ({"need_categories": ["funding", "money"]}, "need_categories", "Unknown need category: money"),
        ({"min_rd_ratio": Decimal("120")}, "min_rd_ratio", "less than or equal to 100"),
    ],
)
def test_contradictory_criteria_are_refused(manager, criteria, field, message):
    with pytest.raises(ValidationError) as error:
        policy_create(user=manager, data=base_data(**criteria))
    assert field in error.value.message_dict
    assert message in " ".join(error.value.message_dict[field])
    assert not Policy.objects.exists()


def test_equal_minimum_and_maximum_are_fine(manager):
    policy = policy_create(user=manager, data=base_data(min_employees=50, max_employees=50))
    assert policy.pk


def test_update_refuses_contradiction_and_keeps_the_row(manager):
    policy = policy_create(user=manager, data=base_data(apply_from=dt.date(2026, 1, 1)))
    with pytest.raises(ValidationError):
        policy_update(user=manager, policy=policy, data={"apply_until": dt.date(2025, 12, 31)})
    policy.refresh_from_db()
    assert policy.apply_until is None


@pytest.mark.parametrize("role", ["officer", "leader"])
def test_only_managers_write_the_library(request, role):
    user = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        policy_create(user=user, data=base_data())


def test_a_matched_policy_cannot_be_deleted(manager, enterprise):
    policy = make_policy()
    PolicyMatch.objects.create(policy=policy, enterprise=enterprise)
    with pytest.raises(ValidationError):
        policy_delete(user=manager, policy=policy)
    unmatched = make_policy()
    policy_delete(user=manager, policy=unmatched)
    assert not Policy.objects.filter(pk=unmatched.pk).exists()


# --------------------------------------------------------------------------------------------- push


@pytest.fixture
def three_eligible(regions):
    return [
        make_enterprise(region=regions["320812"], employees=50 + i, is_linked=True, revenue=1000, rd_expense=50)
        for i in range(3)
    ]


def test_push_creates_pushed_matches_with_reasons(manager, three_eligible):
    policy = make_policy(min_employees=50, min_rd_ratio="5")
    result = policy_push(user=manager, policy=policy, enterprises=three_eligible)
    assert len(result.created) == 3 and not result.pushed and not result.unchanged
    for match in PolicyMatch.objects.filter(policy=policy):
        assert match.status == MatchStatus.PUSHED
        assert match.pushed_by == manager and match.pushed_at is not None
        criteria = {r["criterion"]: r for r in match.reasons}
        assert criteria["min_rd_ratio"]["passed"] and criteria["min_rd_ratio"]["detail"] == "5%，达到要求（不少于 5%）"
        assert 0 <= match.score <= 100
        assert match.history.count() == 1


def test_push_is_idempotent(manager, three_eligible):
    policy = make_policy()
    policy_push(user=manager, policy=policy, enterprises=three_eligible[:2])
    first = {m.pk: (m.status, m.pushed_at) for m in PolicyMatch.objects.all()}
    result = policy_push(user=manager, policy=policy, enterprises=[e.pk for e in three_eligible])
    assert len(result.unchanged) == 2 and len(result.created) == 1
    assert {m.pk: (m.status, m.pushed_at) for m in PolicyMatch.objects.filter(pk__in=first)} == first
    assert PolicyMatch.objects.count() == 3
    again = policy_push(user=manager, policy=policy, enterprises=three_eligible)
    assert len(again.unchanged) == 3 and not again.created
    assert PolicyMatch.objects.count() == 3


def test_push_turns_a_suggestion_into_a_push(manager, enterprise):
    policy = make_policy()
    suggested = PolicyMatch.objects.create(policy=policy, enterprise=enterprise)
    result = policy_push(user=manager, policy=policy, enterprises=[enterprise])
    assert result.pushed == [suggested]
    suggested.refresh_from_db()
    assert suggested.status == MatchStatus.PUSHED and suggested.pushed_by == manager


def test_push_without_need_leaves_a_pair_told_for_a_need_unchanged(manager, enterprise, city_bureau):
    policy = make_policy()
    need = make_need(enterprise=enterprise, bureau=city_bureau)
    policy_push(user=manager, policy=policy, enterprises=[enterprise], need=need)
    result = policy_push(user=manager, policy=policy, enterprises=[enterprise])
    assert len(result.unchanged) == 1
    assert PolicyMatch.objects.get().need == need


def test_push_for_a_need_must_target_its_enterprise(manager, enterprise, county_enterprise, city_bureau):
    policy = make_policy()
    need = make_need(enterprise=enterprise, bureau=city_bureau)
    with pytest.raises(ValidationError) as error:
        policy_push(user=manager, policy=policy, enterprises=[county_enterprise], need=need)
    assert "need" in error.value.message_dict


def test_officer_cannot_push(officer, enterprise):
    with pytest.raises(PermissionDenied):
        policy_push(user=officer, policy=make_policy(), enterprises=[enterprise])
    assert not PolicyMatch.objects.exists()


def test_push_refuses_ineligible_enterprises_and_writes_nothing(manager, three_eligible, regions):
    policy = make_policy(min_employees=51)
    with pytest.raises(ValidationError) as error:
        policy_push(user=manager, policy=policy, enterprises=three_eligible)
    messages = error.value.message_dict["enterprises"]
    assert len(messages) == 1
    assert three_eligible[0].name in messages[0] and "50 人，未达到要求（不少于 51 人）" in messages[0]
    assert not PolicyMatch.objects.exists()


def test_push_refuses_closed_windows_and_out_of_scope_enterprises(manager, county_manager, enterprise):
    closed = make_policy(apply_until=today() - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="closed on"):
        policy_push(user=manager, policy=closed, enterprises=[enterprise])
    with pytest.raises(ValidationError) as error:
        policy_push(user=county_manager, policy=make_policy(), enterprises=[enterprise])
    assert str(enterprise.pk) in error.value.message_dict["enterprises"][0]
    with pytest.raises(ValidationError):
        policy_push(user=manager, policy=make_policy(), enterprises=[])
    with pytest.raises(ValidationError):
        policy_push(user=manager, policy=make_policy(), enterprises=["x"])
    assert not PolicyMatch.objects.exists()


# --------------------------------------------------------------------------------------------- outcome


@pytest.fixture
def pushed(manager, enterprise):
    policy = make_policy(max_amount="50")
    return policy_push(user=manager, policy=policy, enterprises=[enterprise]).created[0]


def test_outcome_path_to_granted_with_amount(manager, pushed):
    assert match_next_statuses(pushed) == [MatchStatus.APPLYING, MatchStatus.DECLINED]
    match = policy_match_update_status(user=manager, match=pushed, status=MatchStatus.APPLYING)
    assert match.status == MatchStatus.APPLYING
    with pytest.raises(ValidationError) as error:
        policy_match_update_status(user=manager, match=match, status=MatchStatus.GRANTED)
    assert "granted_amount" in error.value.message_dict
    with pytest.raises(ValidationError, match="maximum of 50"):
        policy_match_update_status(user=manager, match=match, status=MatchStatus.GRANTED, granted_amount="60")
    match = policy_match_update_status(user=manager, match=match, status=MatchStatus.GRANTED, granted_amount="30.5")
    match.refresh_from_db()
    assert match.status == MatchStatus.GRANTED and match.granted_amount == Decimal("30.50")
    with pytest.raises(MatchStatusConflict):
        policy_match_update_status(user=manager, match=match, status=MatchStatus.DECLINED)
    # The note and the amount of a granted match can still be corrected.
    match = policy_match_update_status(user=manager, match=match, granted_amount="31", note="复核后")
    assert match.granted_amount == Decimal("31") and match.note == "复核后"


@pytest.mark.parametrize("target", [MatchStatus.NOT_GRANTED, MatchStatus.DECLINED])
def test_outcome_path_to_other_ends(manager, pushed, target):
    match = policy_match_update_status(user=manager, match=pushed, status=MatchStatus.APPLYING)
    match = policy_match_update_status(user=manager, match=match, status=target)
    assert match.status == target
    with pytest.raises(ValidationError, match="Only a granted match"):
        policy_match_update_status(user=manager, match=match, granted_amount="1")


def test_granted_straight_from_pushed_only_without_application(manager, pushed, enterprise):
    with pytest.raises(MatchStatusConflict):
        policy_match_update_status(user=manager, match=pushed, status=MatchStatus.GRANTED, granted_amount="1")
    no_application = make_policy(delivery=PolicyDelivery.NO_APPLICATION)
    match = policy_push(user=manager, policy=no_application, enterprises=[enterprise]).created[0]
    match = policy_match_update_status(user=manager, match=match, status=MatchStatus.GRANTED, granted_amount="2")
    assert match.status == MatchStatus.GRANTED


def test_officer_cannot_change_a_match(officer, pushed):
    with pytest.raises(PermissionDenied):
        policy_match_update_status(user=officer, match=pushed, status=MatchStatus.APPLYING)


def test_unknown_status_is_a_validation_error(manager, pushed):
    with pytest.raises(ValidationError):
        policy_match_update_status(user=manager, match=pushed, status="won")
    with pytest.raises(ValidationError):
        policy_match_update_status(user=manager, match=pushed, status=MatchStatus.APPLYING, granted_amount="abc")


@pytest.mark.parametrize("status", [NeedStatus.CLOSED, NeedStatus.REJECTED])
def test_push_refuses_a_settled_need_with_a_clear_message(manager, enterprise, city_bureau, status):
    need = make_need(enterprise=enterprise, bureau=city_bureau, status=status)
    assert need_push_refusal(need=need)
    with pytest.raises(ValidationError) as error:
        policy_push(user=manager, policy=make_policy(), enterprises=[enterprise], need=need)
    assert "no longer pushed" in error.value.message_dict["need"][0]
    assert not PolicyMatch.objects.exists()


@pytest.mark.parametrize("status", [NeedStatus.NEW, NeedStatus.IN_PROGRESS, NeedStatus.ANSWERED])
def test_push_for_a_need_still_being_worked_on_is_allowed(manager, enterprise, city_bureau, status):
    need = make_need(enterprise=enterprise, bureau=city_bureau, status=status)
    assert need_push_refusal(need=need) is None
    result = policy_push(user=manager, policy=make_policy(), enterprises=[enterprise], need=need)
    assert len(result.created) == 1

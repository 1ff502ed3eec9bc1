"""Policy matching: eligibility per criterion at its boundaries, both directions agreeing with the explanation,
ranking, explanations, the radar, and query budgets."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import override

from crm.choices import EnterpriseStatus, MatchStatus, NeedCategory
from crm.models import Enterprise, EnterpriseQualification, Policy, PolicyMatch, Project
from crm.prepared import Statements
from crm.selectors import matching
from crm.selectors.matching import (
    enterprise_eligible_policies,
    enterprise_near_misses,
    enterprise_policy_suggestions,
    explain_pair,
    need_policy_suggestions,
    policy_eligible_enterprises,
    policy_radar,
    relevance,
    suggestions,
    text_similarity,
    years_ago,
)
from tests.policy_helpers import make_enterprise, make_need, make_policy, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def eligible_ids(policy, user):
    policy = matching.load_policy(policy.pk)
    return set(policy_eligible_enterprises(policy=policy, user=user).values_list("pk", flat=True))


def policies_for(enterprise):
    enterprise = Enterprise.objects.get(pk=enterprise.pk)
    return set(enterprise_eligible_policies(enterprise=enterprise, open_only=False).values_list("pk", flat=True))


def reasons_by_criterion(policy, enterprise):
    s = explain_pair(policy=matching.load_policy(policy.pk), enterprise=Enterprise.objects.get(pk=enterprise.pk))
    return s, {r["criterion"]: r for r in s.reasons}


def assert_both_ways(policy, enterprise, user, expected: bool):
    """The policy→enterprises query, the enterprise→policies query and the explanation all agree."""
    assert (enterprise.pk in eligible_ids(policy, user)) is expected
    assert (policy.pk in policies_for(enterprise)) is expected
    suggestion, _ = reasons_by_criterion(policy, enterprise)
    assert suggestion.eligible is expected


# --------------------------------------------------------------------------------------------- criteria


def test_empty_criteria_mean_every_operating_enterprise(enterprise, county_enterprise, manager):
    policy = make_policy()
    assert eligible_ids(policy, manager) == {enterprise.pk, county_enterprise.pk}
    suggestion, reasons = reasons_by_criterion(policy, enterprise)
    assert suggestion.eligible
    assert reasons["open_to_all"]["passed"]
    Enterprise.objects.filter(pk=county_enterprise.pk).update(status=EnterpriseStatus.CLOSED)
    assert eligible_ids(policy, manager) == {enterprise.pk}
    assert policy.pk not in policies_for(county_enterprise)


def test_rd_ratio_exactly_the_minimum_is_eligible(enterprise, manager):
    # 320 / 8000 = 4 %
    at_minimum = make_policy(min_rd_ratio="4.00")
    just_above = make_policy(min_rd_ratio="4.01")
    assert_both_ways(at_minimum, enterprise, manager, True)
    assert_both_ways(just_above, enterprise, manager, False)
    _, reasons = reasons_by_criterion(at_minimum, enterprise)
    assert reasons["min_rd_ratio"] == {
        "criterion": "min_rd_ratio",
        "name": reasons["min_rd_ratio"]["name"],
        "passed": True,
        "detail": "4%, meets the minimum of 4%",
        "points": None,
    }
    assert reasons_by_criterion(just_above, enterprise)[1]["min_rd_ratio"]["detail"] == "4%, below the minimum of 4.01%"


def test_rd_ratio_with_fractions_that_floats_get_wrong(regions, manager):
    # 0.29 * 100 is 28.999… in binary floating point; 0.29 / 10 is exactly 2.9 %.
    ent = make_enterprise(region=regions["320812"], revenue="10", rd_expense="0.29")
    assert_both_ways(make_policy(min_rd_ratio="2.9"), ent, manager, True)
    assert_both_ways(make_policy(min_rd_ratio="2.91"), ent, manager, False)


def test_rd_ratio_needs_revenue(regions, manager):
    no_revenue = make_enterprise(region=regions["320812"], revenue="0", rd_expense="10")
    policy = make_policy(min_rd_ratio="1")
    assert_both_ways(policy, no_revenue, manager, False)
    assert "required" in reasons_by_criterion(policy, no_revenue)[1]["min_rd_ratio"]["detail"]
    # No ratio criterion: revenue 0 does not matter.
    assert_both_ways(make_policy(), no_revenue, manager, True)


def test_window_closed_yesterday_is_never_suggested(enterprise, manager, city_bureau):
    closed = make_policy(apply_until=today() - dt.timedelta(days=1), need_categories=[NeedCategory.FUNDING])
    closing_today = make_policy(apply_until=today(), need_categories=[NeedCategory.FUNDING])
    need = make_need(enterprise=enterprise, bureau=city_bureau)
    ids = [s.policy.pk for s in need_policy_suggestions(need=need)]
    assert closing_today.pk in ids
    assert closed.pk not in ids
    assert closed.pk not in [s.policy.pk for s in enterprise_policy_suggestions(enterprise=enterprise)]
    # An expired policy has no eligible enterprises (unless explicitly included).
    assert eligible_ids(closed, manager) == set()
    assert enterprise.pk in set(
        policy_eligible_enterprises(
            policy=matching.load_policy(closed.pk), user=manager, include_expired=True
        ).values_list("pk", flat=True)
    )
    _, reasons = reasons_by_criterion(closed, enterprise)
    assert reasons["window"]["passed"] is False
    assert str(closed.apply_until) in reasons["window"]["detail"]


def test_window_not_yet_open_is_eligible_but_not_suggested(enterprise, manager):
    upcoming = make_policy(apply_from=today() + dt.timedelta(days=3))
    assert enterprise.pk in eligible_ids(upcoming, manager)
    assert upcoming.pk not in [s.policy.pk for s in enterprise_policy_suggestions(enterprise=enterprise)]


def test_inactive_policy_is_not_eligible(enterprise, manager):
    inactive = make_policy(is_active=False)
    assert eligible_ids(inactive, manager) == set()
    assert inactive.pk not in policies_for(enterprise)


def test_expired_qualification_fails(regions, qualifications, manager):
    hnte = qualifications["hnte"]
    expired = make_enterprise(region=regions["320812"], qualifications={hnte: today() - dt.timedelta(days=1)})
    expires_today = make_enterprise(region=regions["320812"], qualifications={hnte: today()})
    no_expiry = make_enterprise(region=regions["320812"], qualifications={hnte: None})
    without = make_enterprise(region=regions["320812"])
    policy = make_policy(qualifications=[hnte])
    assert_both_ways(policy, expired, manager, False)
    assert_both_ways(policy, expires_today, manager, True)
    assert_both_ways(policy, no_expiry, manager, True)
    assert_both_ways(policy, without, manager, False)
    assert "Expired" in reasons_by_criterion(policy, expired)[1]["qualification:hnte"]["detail"]
    assert str(today()) in reasons_by_criterion(policy, expires_today)[1]["qualification:hnte"]["detail"]
    assert reasons_by_criterion(policy, without)[1]["qualification:hnte"]["detail"] == "Not held"


def test_all_required_qualifications_are_needed(regions, qualifications, manager):
    hnte, tsme = qualifications["hnte"], qualifications["tsme"]
    one = make_enterprise(region=regions["320812"], qualifications={hnte: None})
    both = make_enterprise(region=regions["320812"], qualifications={hnte: None, tsme: None})
    policy = make_policy(qualifications=[hnte, tsme])
    assert_both_ways(policy, one, manager, False)
    assert_both_ways(policy, both, manager, True)


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"min_employees": 120}, True),
        ({"min_employees": 121}, False),
        ({"max_employees": 120}, True),
        ({"max_employees": 119}, False),
        ({"min_revenue": "8000"}, True),
        ({"min_revenue": "8000.01"}, False),
        ({"max_revenue": "8000"}, True),
        ({"max_revenue": "7999.99"}, False),
        ({"min_rd_expense": "320"}, True),
        ({"min_rd_expense": "320.01"}, False),
        ({"linked_only": True}, True),
    ],
)
def test_numeric_boundaries(enterprise, manager, criteria, expected):
    assert_both_ways(make_policy(**criteria), enterprise, manager, expected)


def test_missing_values_fail_the_criteria_that_need_them(regions, manager):
    bare = make_enterprise(region=regions["320812"])
    for criteria in ({"min_employees": 1}, {"max_employees": 10}, {"min_revenue": "1"}, {"min_years_established": 1}):
        policy = make_policy(**criteria)
        assert_both_ways(policy, bare, manager, False)
        assert "Not recorded" in [r for r in reasons_by_criterion(policy, bare)[0].failed][0]["detail"]


def test_years_established_boundary(regions, manager):
    exactly_three = make_enterprise(region=regions["320812"], established_on=years_ago(today(), 3))
    a_day_short = make_enterprise(region=regions["320812"], established_on=years_ago(today(), 3) + dt.timedelta(days=1))
    policy = make_policy(min_years_established=3)
    assert_both_ways(policy, exactly_three, manager, True)
    assert_both_ways(policy, a_day_short, manager, False)
    assert reasons_by_criterion(policy, a_day_short)[1]["min_years_established"]["detail"].startswith(
        "2 years, below the minimum of 3 years"
    )


def test_regions_chains_and_linked_only(enterprise, county_enterprise, regions, chains, manager):
    assert_both_ways(make_policy(regions=[regions["320831"]]), enterprise, manager, False)
    assert_both_ways(make_policy(regions=[regions["320831"], regions["320812"]]), enterprise, manager, True)
    assert_both_ways(make_policy(chains=[chains["pcb"]]), enterprise, manager, False)
    assert_both_ways(make_policy(chains=[chains["green-food"]]), enterprise, manager, True)
    no_chain = make_enterprise(region=regions["320812"])
    assert_both_ways(make_policy(chains=[chains["green-food"]]), no_chain, manager, False)
    not_linked = make_enterprise(region=regions["320812"], is_linked=False)
    assert_both_ways(make_policy(linked_only=True), not_linked, manager, False)
    _, reasons = reasons_by_criterion(make_policy(regions=[regions["320831"]]), enterprise)
    assert reasons["region"]["detail"] == "清江浦区, not among 金湖县"


def test_eligible_enterprises_are_scoped(enterprise, county_enterprise, county_manager):
    assert eligible_ids(make_policy(), county_manager) == {county_enterprise.pk}


def test_both_directions_agree_with_the_explanation_on_random_data(regions, chains, qualifications, manager):
    """A property check: for many random pairs the two queries and the Python explanation agree."""
    rng = random.Random(20260501)
    region_list = [regions["320812"], regions["320831"], regions["320803"]]
    chain_list = list(chains.values())
    qual_list = list(qualifications.values())
    enterprises = []
    for _ in range(25):
        quals = {
            q: rng.choice([None, today(), today() - dt.timedelta(days=1), today() + dt.timedelta(days=30)])
            for q in rng.sample(qual_list, rng.randint(0, 2))
        }
        enterprises.append(
            make_enterprise(
                region=rng.choice(region_list),
                industry_chain=rng.choice([*chain_list, None]),
                employees=rng.choice([None, 10, 50, 100, 300]),
                revenue=rng.choice([None, "0", "1000", "3000", "8000.50"]),
                rd_expense=rng.choice([None, "0", "30", "90", "240.02"]),
                established_on=rng.choice([None, years_ago(today(), 2), years_ago(today(), 5), dt.date(2020, 2, 29)]),
                is_linked=rng.random() < 0.5,
                status=rng.choice([EnterpriseStatus.OPERATING] * 5 + [EnterpriseStatus.CLOSED]),
                qualifications=quals,
            )
        )
    policies = []
    for _ in range(20):
        lo_emp = rng.choice([None, 10, 50])
        policies.append(
            make_policy(
                regions=rng.sample(region_list, rng.choice([0, 0, 1, 2])),
                chains=rng.sample(chain_list, rng.choice([0, 0, 1])),
                qualifications=rng.sample(qual_list, rng.choice([0, 0, 1, 2])),
                min_employees=lo_emp,
                max_employees=rng.choice([None, 100, 300]) if lo_emp is None or lo_emp <= 100 else None,
                min_revenue=rng.choice([None, "1000", "3000"]),
                min_rd_expense=rng.choice([None, "30", "90"]),
                min_rd_ratio=rng.choice([None, "1", "3", "3.00", "2.99"]),
                min_years_established=rng.choice([None, 2, 3, 6]),
                linked_only=rng.random() < 0.2,
            )
        )
    python_pairs = set()
    for p in policies:
        loaded = matching.load_policy(p.pk)
        for e in enterprises:
            if explain_pair(policy=loaded, enterprise=Enterprise.objects.get(pk=e.pk)).eligible:
                python_pairs.add((p.pk, e.pk))
    by_policy = {(p.pk, e) for p in policies for e in eligible_ids(p, manager)}
    by_enterprise = {(p, e.pk) for e in enterprises for p in policies_for(e)}
    assert by_policy == python_pairs
    assert by_enterprise == python_pairs
    assert 0 < len(python_pairs) < len(policies) * len(enterprises)


# --------------------------------------------------------------------------------------------- ranking


def test_need_category_ranks_first_and_score_adds_up(enterprise, city_bureau):
    need = make_need(
        enterprise=enterprise,
        bureau=city_bureau,
        category=NeedCategory.RD,
        title="研发费用加计扣除怎么申报",
        description="企业今年研发投入较大，希望了解研发费用加计扣除政策",
    )
    other_but_similar = make_policy(
        title="研发费用加计扣除政策",
        summary="研发费用加计扣除比例提高到100%",
        keywords="研发费用 加计扣除",
        need_categories=[NeedCategory.FINANCE],
        apply_until=today(),
    )
    own_category = make_policy(title="科技成果转化项目", need_categories=[NeedCategory.RD, NeedCategory.FUNDING])
    suggestions = need_policy_suggestions(need=need)
    ids = [s.policy.pk for s in suggestions]
    assert ids.index(own_category.pk) < ids.index(other_but_similar.pk)
    first = suggestions[0]
    assert first.category_match
    for s in suggestions:
        scored = [r for r in s.reasons if r["points"] is not None]
        assert [r["criterion"] for r in scored] == ["category", "text", "closing"]
        assert sum(r["points"] for r in scored) == s.score
        assert 0 <= s.score <= 100
    similar = next(s for s in suggestions if s.policy.pk == other_but_similar.pk)
    text = next(r for r in similar.reasons if r["criterion"] == "text")
    assert text["points"] > 0
    assert "研发费用加计扣除" in text["detail"]
    closing = next(r for r in similar.reasons if r["criterion"] == "closing")
    assert closing["points"] == 15


def test_within_a_category_text_then_closing_date_order(enterprise, city_bureau):
    need = make_need(
        enterprise=enterprise, bureau=city_bureau, category=NeedCategory.FINANCE, title="申请科技贷款 苏科贷"
    )
    unrelated = make_policy(title="人才公寓补贴", need_categories=[NeedCategory.FINANCE])
    related = make_policy(title="苏科贷贴息", keywords="苏科贷 科技贷款", need_categories=[NeedCategory.FINANCE])
    later = make_policy(
        title="人才安居", need_categories=[NeedCategory.FINANCE], apply_until=today() + dt.timedelta(days=60)
    )
    sooner = make_policy(
        title="人才安居二", need_categories=[NeedCategory.FINANCE], apply_until=today() + dt.timedelta(days=5)
    )
    ids = [s.policy.pk for s in need_policy_suggestions(need=need)]
    assert ids[0] == related.pk
    assert ids.index(sooner.pk) < ids.index(later.pk) < ids.index(unrelated.pk)


def test_ineligible_policies_never_appear_in_suggestions(enterprise, city_bureau, regions):
    need = make_need(enterprise=enterprise, bureau=city_bureau)
    elsewhere = make_policy(regions=[regions["320831"]], need_categories=[NeedCategory.FUNDING])
    assert elsewhere.pk not in [s.policy.pk for s in need_policy_suggestions(need=need)]
    misses = enterprise_near_misses(enterprise=enterprise)
    assert [m.policy.pk for m in misses] == [elsewhere.pk]
    assert [r["criterion"] for r in misses[0].failed] == ["region"]


def test_text_similarity_is_deterministic_and_ignores_generic_words():
    policy = Policy(title="高新技术企业认定奖励", summary="对首次认定的高新技术企业给予奖励", keywords="高企 认定奖励")
    a = text_similarity("我们希望申请高新技术企业认定", policy)
    assert a == text_similarity("我们希望申请高新技术企业认定", policy)
    assert a[0] > 0.5
    assert "高新技术企业认定" in a[1]
    assert text_similarity("我们企业希望公司有限", policy) == (0.0, [])


def test_suggestions_carry_the_existing_match(enterprise, city_bureau, manager):
    need = make_need(enterprise=enterprise, bureau=city_bureau)
    policy = make_policy(need_categories=[NeedCategory.FUNDING])
    PolicyMatch.objects.create(policy=policy, enterprise=enterprise, status=MatchStatus.PUSHED)
    s = next(s for s in need_policy_suggestions(need=need) if s.policy.pk == policy.pk)
    assert s.match_status == MatchStatus.PUSHED and s.told


def test_need_without_an_enterprise_has_no_suggestions(regions, city_bureau):
    project = Project.objects.create(name="示例项目", region=regions["320812"])
    make_policy()
    assert need_policy_suggestions(need=make_need(project=project, bureau=city_bureau)) == []


# --------------------------------------------------------------------------------------------- radar


def test_radar_counts_untold_eligible_linked_enterprises(enterprise, regions, manager, county_manager):
    make_enterprise(region=regions["320812"], is_linked=False, is_assisted=True)
    make_enterprise(region=regions["320812"], is_linked=False)  # neither linked nor assisted: not counted
    make_enterprise(region=regions["320812"], is_linked=True, status=EnterpriseStatus.CLOSED)  # not eligible
    make_enterprise(region=regions["320812"], is_assisted=True, status=EnterpriseStatus.RELOCATED)  # idem
    new = make_policy(published_on=today() - dt.timedelta(days=3))
    closing = make_policy(published_on=today() - dt.timedelta(days=100), apply_until=today() + dt.timedelta(days=10))
    make_policy(published_on=today() - dt.timedelta(days=100))  # old, no deadline: not on the radar
    make_policy(published_on=today(), is_active=False)
    radar = {entry.policy.pk: entry for entry in policy_radar(user=manager)}
    assert set(radar) == {new.pk, closing.pk}
    assert radar[new.pk].is_new and not radar[new.pk].closes_soon
    assert radar[closing.pk].closes_soon
    assert radar[new.pk].untold == 2
    PolicyMatch.objects.create(policy=new, enterprise=enterprise, status=MatchStatus.PUSHED)
    PolicyMatch.objects.create(policy=closing, enterprise=enterprise, status=MatchStatus.SUGGESTED)
    radar = {entry.policy.pk: entry for entry in policy_radar(user=manager)}
    assert radar[new.pk].untold == 1
    assert radar[closing.pk].untold == 2  # a suggestion is not telling
    assert {e.policy.pk: e.untold for e in policy_radar(user=county_manager)}[new.pk] == 0


# --------------------------------------------------------------------------------------------- budgets


def _many_policies(n, regions, qualifications):
    for i in range(n):
        make_policy(
            regions=[regions["320812"]],
            qualifications=[qualifications["tsme"]] if i % 3 == 0 else [],
            need_categories=[NeedCategory.FUNDING] if i % 2 else [NeedCategory.RD],
            min_employees=10,
            conditions_text="申报条件：研发投入占比不低于3%，拥有有效知识产权。",
        )


def test_need_suggestions_do_not_run_a_query_per_policy(
    enterprise, city_bureau, regions, qualifications, django_assert_max_num_queries
):
    EnterpriseQualification.objects.create(enterprise=enterprise, qualification=qualifications["tsme"])
    need = make_need(enterprise=enterprise, bureau=city_bureau, title="研发投入补助")

    def fresh_need():
        return type(need).objects.select_related("enterprise__region", "enterprise__industry_chain").get(pk=need.pk)

    _many_policies(2, regions, qualifications)
    need_ = fresh_need()
    # qualifications, open needs? (no: a need is given), policies (ranking fields), the texts of those not cut yet in
    # this process (one query, here the new ones), the whole policies of the suggestions returned, their criteria
    # (one query), existing matches
    with django_assert_max_num_queries(6) as small:
        assert len(need_policy_suggestions(need=need_)) == 2
    _many_policies(40, regions, qualifications)
    need_ = fresh_need()
    with django_assert_max_num_queries(6) as large:
        assert len(need_policy_suggestions(need=need_)) == 42
    assert len(large.captured_queries) == len(small.captured_queries), [q["sql"][:150] for q in small.captured_queries]


def test_eligible_enterprises_of_a_policy_is_one_query(regions, qualifications, manager, django_assert_num_queries):
    for i in range(30):
        make_enterprise(
            region=regions["320812"],
            employees=20 + i,
            revenue=1000 + i,
            rd_expense=50,
            qualifications={qualifications["hnte"]: None} if i % 2 else {},
        )
    policy = matching.load_policy(
        make_policy(
            regions=[regions["320812"]], qualifications=[qualifications["hnte"]], min_employees=25, min_rd_ratio=3
        ).pk
    )
    manager = type(manager).objects.select_related("bureau").get(pk=manager.pk)
    manager.roles  # noqa: B018 - load the role cache outside the budget
    with django_assert_num_queries(1):
        rows = list(policy_eligible_enterprises(policy=policy, user=manager))
    assert rows and all(r.employees >= 25 for r in rows)


def test_the_criteria_of_many_policies_are_one_query(regions, chains, qualifications, django_assert_num_queries):
    """``load_criteria``: the regions, chains and required qualifications of every policy in one statement, each list
    by code, as each policy's own many-to-many rows say."""
    region_rows, chain_rows, qualification_rows = (
        list(regions.values()),
        list(chains.values()),
        list(qualifications.values()),
    )
    made = [
        make_policy(regions=region_rows[:2], chains=chain_rows[::-1][:2], qualifications=qualification_rows[:2]),
        make_policy(chains=chain_rows[:1]),
        make_policy(qualifications=qualification_rows[-1:]),
        make_policy(),
    ]
    policies = list(Policy.objects.filter(pk__in=[p.pk for p in made]).order_by("pk"))
    with django_assert_num_queries(1):
        matching.load_criteria(policies)
    for policy in policies:
        assert policy._criteria == matching.Criteria(
            *[
                sorted((row.pk, row.name) for row in rows.all())
                for rows in (policy.regions, policy.industry_chains, policy.required_qualifications)
            ]
        )
    assert [len(lists) for lists in policies[0]._criteria] == [2, 2, 2]


def test_the_criteria_statement_is_compiled_once_per_number_of_policies(regions, chains, qualifications, monkeypatch):
    """``load_criteria`` runs the ORM's union (``_criteria_rows``) compiled once per number of policies (~1.5 ms of
    the radar): the same statement and rows as the ORM's, nothing built again; more than a page: through the ORM."""
    from crm.selectors.matching import eligibility

    region_rows, chain_rows = list(regions.values()), list(chains.values())
    made = [
        make_policy(regions=region_rows[:2], chains=chain_rows[::-1][:2], qualifications=list(qualifications.values())),
        make_policy(chains=chain_rows[:1]),
        make_policy(),
    ]
    monkeypatch.setattr(eligibility, "_CRITERIA_STATEMENTS", Statements())
    for count in (1, 3):
        pks = [policy.pk for policy in made[:count]]
        with CaptureQueriesContext(connection) as orm:
            expected = list(eligibility._criteria_rows(*pks))
        policies = list(Policy.objects.filter(pk__in=pks).order_by("pk"))
        with CaptureQueriesContext(connection) as prepared:
            matching.load_criteria(policies)
        assert [q["sql"] for q in prepared.captured_queries] == [q["sql"] for q in orm.captured_queries]
        assert [policy._criteria for policy in policies] == [
            matching.Criteria(
                *[[(code, name) for i, pk, code, name in expected if (i, pk) == (n, policy.pk)] for n in range(3)]
            )
            for policy in policies
        ]
    rows = eligibility._criteria_rows
    monkeypatch.setattr(eligibility, "_criteria_rows", None)  # compiled for 1 and 3 policies: nothing built again
    again = list(Policy.objects.filter(pk__in=[policy.pk for policy in made]).order_by("pk"))
    matching.load_criteria(again)
    assert [policy._criteria for policy in again] == [policy._criteria for policy in policies]
    monkeypatch.setattr(eligibility, "_criteria_rows", rows)
    monkeypatch.setattr(eligibility, "_CRITERIA_PREPARED_MAX", 2)
    monkeypatch.setattr(eligibility, "_CRITERIA_STATEMENTS", Statements())
    beyond = list(Policy.objects.filter(pk__in=[policy.pk for policy in made]).order_by("pk"))
    matching.load_criteria(beyond)
    assert [policy._criteria for policy in beyond] == [policy._criteria for policy in policies]
    assert eligibility._CRITERIA_STATEMENTS == {}


def test_radar_counting_is_one_query_for_all_policies(enterprise, manager, django_assert_max_num_queries):
    for i in range(8):
        make_policy(published_on=today() - dt.timedelta(days=i), min_employees=i)
    manager = type(manager).objects.select_related("bureau").get(pk=manager.pk)
    with django_assert_max_num_queries(3):  # policies, their criteria (one UNION ALL), the aggregate
        radar = policy_radar(user=manager)
    assert len(radar) == 8


def test_radar_compiles_each_policys_condition_once(enterprise, manager, monkeypatch):
    """The second 工作台 reuses each policy's compiled condition (issue 18: compiling them was ~5 ms of the page)."""
    for i in range(3):
        make_policy(published_on=today() - dt.timedelta(days=i), min_employees=i)
    built = []
    criteria_q = suggestions.enterprise_criteria_q
    monkeypatch.setattr(
        suggestions, "enterprise_criteria_q", lambda policy, **kw: built.append(policy.pk) or criteria_q(policy, **kw)
    )
    first = [(e.policy.pk, e.untold) for e in policy_radar(user=manager)]
    assert sorted(built) == sorted(pk for pk, _untold in first)
    assert [(e.policy.pk, e.untold) for e in policy_radar(user=manager)] == first
    assert len(built) == 3


def test_radar_builds_its_count_statement_once_per_scope_and_policies(
    enterprise, regions, manager, county_manager, monkeypatch, django_assert_num_queries
):
    """Later radars of a scope run the count statement the ORM ran on the first (resolving and compiling the
    aggregates was ~4 ms of a manager's 工作台): the same statement, the counts of the moment, per scope."""
    for i in range(3):
        make_policy(published_on=today() - dt.timedelta(days=i), min_employees=i)
    make_enterprise(region=regions["320831"], is_linked=True)
    built = []
    queryset_class = type(Enterprise.objects.none())
    aggregate = queryset_class.aggregate
    monkeypatch.setattr(
        queryset_class, "aggregate", lambda queryset, **kw: built.append(1) or aggregate(queryset, **kw)
    )
    monkeypatch.setattr(suggestions, "_RADAR_COUNTS_SQL", Statements())
    with django_assert_num_queries(3) as first:
        city = [(e.policy.pk, e.untold) for e in policy_radar(user=manager)]
    with django_assert_num_queries(3) as again:
        assert [(e.policy.pk, e.untold) for e in policy_radar(user=manager)] == city
    assert len(built) == 1
    assert first.captured_queries[-1]["sql"] == again.captured_queries[-1]["sql"]
    county = [(e.policy.pk, e.untold) for e in policy_radar(user=county_manager)]  # its own scope, its own statement
    assert len(built) == 2
    assert sum(untold for _pk, untold in county) < sum(untold for _pk, untold in city)
    PolicyMatch.objects.create(policy_id=city[0][0], enterprise=enterprise, status=MatchStatus.PUSHED)
    told = [(e.policy.pk, e.untold) for e in policy_radar(user=manager)]
    assert told == [(city[0][0], city[0][1] - 1), *city[1:]]
    assert len(built) == 2


def test_radar_counts_again_after_a_policy_or_its_criteria_change(enterprise, regions, manager):
    """The compiled condition is keyed by the policy's columns and list criteria: an edit is counted at once."""
    policy = make_policy(published_on=today())
    assert [e.untold for e in policy_radar(user=manager)] == [1]
    Policy.objects.filter(pk=policy.pk).update(min_employees=(enterprise.employees or 0) + 1)  # no updated_at bump
    assert [e.untold for e in policy_radar(user=manager)] == [0]
    Policy.objects.filter(pk=policy.pk).update(min_employees=None)
    assert [e.untold for e in policy_radar(user=manager)] == [1]
    other = "320812" if enterprise.region_id != "320812" else "320831"
    policy.regions.set([regions[other]])
    assert [e.untold for e in policy_radar(user=manager)] == [0]


def test_rd_ratio_floor():
    e = Enterprise(revenue=Decimal("3"), rd_expense=Decimal("0.1"))
    assert matching.rd_ratio_floor(e) == Decimal("3.33")
    assert matching.rd_ratio_floor(Enterprise(revenue=Decimal("0"), rd_expense=Decimal("1"))) is None


def test_near_misses_take_a_constant_number_of_queries(enterprise, regions, django_assert_max_num_queries):
    enterprise = Enterprise.objects.select_related("region", "industry_chain").get(pk=enterprise.pk)
    for i in range(3):
        make_policy(regions=[regions["320831"]], min_employees=i)
    with django_assert_max_num_queries(4) as few:
        assert len(enterprise_near_misses(enterprise=enterprise)) == 3
    for i in range(30):
        make_policy(regions=[regions["320831"]], min_employees=i, max_employees=1000)
    with django_assert_max_num_queries(len(few)):
        misses = enterprise_near_misses(enterprise=enterprise, limit=10)
    assert len(misses) == 10
    assert all([r["criterion"] for r in m.failed] == ["region"] for m in misses)


# --------------------------------------------------------------------------------------------- plain wording


def test_reasons_read_as_plain_chinese(enterprise, city_bureau, regions, qualifications):
    """Every reason the need page shows is a sentence a bureau officer reads aloud: no ≥/<, no 相似度 or 共同词."""
    need = make_need(enterprise=enterprise, bureau=city_bureau, category=NeedCategory.FUNDING, title="厂房漏水维修")
    policy = make_policy(
        title="人才公寓补贴",
        need_categories=[NeedCategory.TALENT],
        min_employees=50,
        min_rd_ratio="3",
        regions=[regions["320812"]],
        apply_until=today(),
    )
    with override("zh-hans"):
        s = explain_pair(policy=matching.load_policy(policy.pk), enterprise=enterprise, need=need)
        reasons = {r["criterion"]: r for r in s.reasons}
    assert reasons["text"]["name"] == "共同关键词"
    assert reasons["text"]["detail"] == "标题和内容与诉求没有共同的关键词"
    assert reasons["category"]["detail"] == "政策未列明支持“资金支持”类诉求"
    assert reasons["min_employees"]["detail"] == "120 人，达到要求（不少于 50 人）"
    assert reasons["min_rd_ratio"]["detail"] == "4%，达到要求（不少于 3%）"
    assert reasons["region"]["detail"] == "清江浦区，在政策限定的范围内（清江浦区）"
    assert reasons["closing"]["detail"].startswith("今天")
    for r in s.reasons:
        assert not any(mark in r["detail"] for mark in ("≥", "≤", " < ", " > ", "相似度", "共同词")), r


def test_shared_words_are_named_in_words(enterprise, city_bureau):
    need = make_need(enterprise=enterprise, bureau=city_bureau, title="研发费用加计扣除怎么申报")
    policy = make_policy(title="研发费用加计扣除政策")
    with override("zh-hans"):
        s = explain_pair(policy=matching.load_policy(policy.pk), enterprise=enterprise, need=need)
    text = next(r for r in s.reasons if r["criterion"] == "text")
    assert text["detail"] == "政策标题和内容提到了诉求中的：研发费用加计扣除"


def test_enterprises_reasons_say_which_criteria_each_meets(regions, qualifications, manager, django_assert_num_queries):
    policy = make_policy(regions=[regions["320812"]], qualifications=[qualifications["hnte"]], min_employees=10)
    rows = [
        make_enterprise(region=regions["320812"], employees=20 + i, qualifications={qualifications["hnte"]: None})
        for i in range(3)
    ]
    policy = matching.load_policy(policy.pk)
    enterprises = list(
        Enterprise.objects.filter(pk__in=[e.pk for e in rows]).select_related("region", "industry_chain").order_by("id")
    )
    with django_assert_num_queries(1):
        reasons = matching.enterprises_reasons(policy=policy, enterprises=enterprises)
    first = reasons[rows[0].pk]
    assert [r["criterion"] for r in first] == ["region", "qualification:hnte", "min_employees"]
    assert all(r["passed"] for r in first)
    assert first[2]["detail"] == "20 people, meets the minimum of 10 people"
    assert matching.enterprises_reasons(policy=policy, enterprises=[]) == {}


def test_shared_key_words_leave_out_numbers_amounts_and_function_characters():
    policy = Policy(title="科技计划项目", summary="对开展的科技项目最高给予300万元资金补助")
    similarity, terms = text_similarity("申请300万元的科技资金", policy)
    assert similarity > 0
    assert "300" not in terms and "万元" not in terms and not any("的" in t for t in terms)
    assert "科技" in terms and "资金" in terms


def test_ranking_score_is_the_score_of_the_reasons_written_out_later(enterprise, city_bureau):
    """Ranking scores hundreds of policies without writing their reasons out (``relevance_score``); the reasons
    written when read (unexplained suggestions too) add up to the same score and agree on the category."""
    rng = random.Random(18)
    categories = [c.value for c in NeedCategory]
    words = ["研发费用", "加计扣除", "苏科贷", "科技贷款", "人才公寓", "高新技术企业", "知识产权", "设备更新"]
    need = make_need(
        enterprise=enterprise, bureau=city_bureau, category=categories[0], title="研发费用加计扣除 苏科贷 设备更新"
    )
    for i in range(30):
        make_policy(
            title=f"政策{i}{rng.choice(words)}",
            summary=" ".join(rng.sample(words, 3)),
            keywords=" ".join(rng.sample(words, rng.randint(0, 2))),
            need_categories=rng.sample(categories, rng.randint(0, 2)),
            apply_until=rng.choice([None, today(), today() + dt.timedelta(days=rng.randint(1, 120))]),
        )
    ranked = need_policy_suggestions(need=need, explain=False)
    assert len(ranked) == 30
    assert len({s.score for s in ranked}) > 3  # the data spreads the scores: the check below means something
    for s in ranked:
        assert s.score == matching.score_of(s.relevance)
        assert s.category_match is s.relevance[0]["passed"]
        assert s.relevance == matching.relevance_reasons(s.policy, s.profile, today=today(), with_terms=False)


def test_ranking_reads_the_policies_texts_once_per_process_and_change(enterprise, city_bureau, monkeypatch):
    """Ranking reads the policies on ``RANKING_FIELDS``; their long texts are read (one query) and cut only for
    those not cut yet, then come from the process's bigrams: the same suggestions, without the texts."""
    monkeypatch.setattr(relevance, "_POLICY_GRAMS", {})
    need = make_need(enterprise=enterprise, bureau=city_bureau, title="研发费用加计扣除")
    policies = [make_policy(title=f"研发费用加计扣除政策{i}", summary="研发费用") for i in range(3)]
    with CaptureQueriesContext(connection) as first:
        ranked = need_policy_suggestions(need=need, explain=False)
    assert sorted(s.policy.pk for s in ranked) == sorted(p.pk for p in policies)
    assert sum("conditions_text" in q["sql"] for q in first) == 1  # the texts, once
    with CaptureQueriesContext(connection) as again:
        assert [(s.policy.pk, s.score) for s in need_policy_suggestions(need=need, explain=False)] == [
            (s.policy.pk, s.score) for s in ranked
        ]
    assert not any("conditions_text" in q["sql"] for q in again)
    assert len(again) == len(first) - 1


def test_a_need_profile_lowers_its_text_once():
    profile = matching.NeedProfile(text="AI Robot 研发")
    assert profile.lowered == "ai robot 研发"
    assert profile.lowered is profile.lowered


def test_radar_count_statement_is_planned_once_per_connection_on_postgresql(
    enterprise, manager, monkeypatch, prepared_on_server
):
    """The kept count statement runs prepared on the server (parsed and planned once per connection: ~0.6 ms of
    planning per manager's 工作台 at province scale), with the counts the ORM's statement gave."""
    for i in range(3):
        make_policy(published_on=today() - dt.timedelta(days=i), min_employees=i)
    monkeypatch.setattr(suggestions, "_RADAR_COUNTS_SQL", Statements())

    def counts_prepared() -> bool:
        return any('COUNT("crm_enterprise"."id") FILTER' in statement for statement in prepared_on_server())

    first = [(e.policy.pk, e.untold) for e in policy_radar(user=manager)]  # the ORM's statement, kept
    assert not counts_prepared()
    assert [(e.policy.pk, e.untold) for e in policy_radar(user=manager)] == first
    assert counts_prepared()


def test_radar_policies_are_read_from_a_statement_compiled_once(enterprise, manager, monkeypatch):
    """The radar's policies (new, or without a date created within the days, or closing soon) come from one statement
    compiled once per limit, its days and the time ``days`` ago its values (a datetime among them)."""
    new = make_policy(published_on=today() - dt.timedelta(days=3))
    undated = make_policy(published_on=None)  # created now: new by its creation time
    stale_undated = make_policy(published_on=None)
    Policy.objects.filter(pk=stale_undated.pk).update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    closing = make_policy(published_on=today() - dt.timedelta(days=300), apply_until=today() + dt.timedelta(days=5))
    make_policy(published_on=today() - dt.timedelta(days=300))  # neither
    monkeypatch.setattr(suggestions, "_RADAR_POLICIES", Statements())
    first = [(e.policy.pk, e.is_new, e.closes_soon) for e in policy_radar(user=manager)]
    assert first[0] == (closing.pk, False, True)  # the soonest closing first; then by date (NULLs: per database)
    assert sorted(first[1:]) == sorted([(new.pk, True, False), (undated.pk, True, False)])
    monkeypatch.setattr(suggestions, "_radar_policies", None)  # compiled: nothing built again
    assert [(e.policy.pk, e.is_new, e.closes_soon) for e in policy_radar(user=manager)] == first
    later = today() + dt.timedelta(days=20)  # the same statement for another day: the dated one no longer new
    assert [e.policy.pk for e in policy_radar(user=manager, today=later)] == [undated.pk]

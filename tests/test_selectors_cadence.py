"""Visit cadence (DESIGN §11.1): periods at month and quarter boundaries, who counts, which kinds count, missed."""

import datetime as dt
import random
import re

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from crm.choices import CadencePeriod, CadenceRole, CadenceStatus, CadenceTier, EnterpriseStatus, VisitKind
from crm.models import CadenceRule, Enterprise, Visit
from crm.models.routine import CADENCE_DEFAULT_KINDS, CADENCE_DEFAULTS
from crm.selectors.cadence import (
    LINK_INDEX,
    CadenceRows,
    _counts_sql,
    cadence_coverage,
    cadence_query,
    cadence_rows,
    cadence_todo,
    period_of,
)
from crm.services.visits import visit_officers_flag_refresh
from tests.factories import (
    ActivityFactory,
    ActivityParticipantFactory,
    BureauFactory,
    CadenceRuleFactory,
    EnterpriseFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

END_OF_Q3 = dt.date(2026, 9, 30)


def _visit(enterprise, day, *, lead=None, officers=(), kind=VisitKind.ON_SITE):
    visit = VisitFactory(enterprise=enterprise, visited_on=day, lead=lead, kind=kind)
    visit.officers.set(officers)
    return visit


def _row(rows, person, role=CadenceRole.OFFICER):
    found = [r for r in rows if r["person_id"] == person.pk and r["role"] == role]
    assert len(found) == 1, rows
    return found[0]


def test_periods_at_month_and_quarter_boundaries():
    assert period_of(CadencePeriod.MONTH, dt.date(2026, 12, 31)).start == dt.date(2026, 12, 1)
    assert period_of(CadencePeriod.MONTH, dt.date(2026, 2, 1)).end == dt.date(2026, 2, 28)
    q4 = period_of(CadencePeriod.QUARTER, dt.date(2026, 10, 1))
    assert (q4.start, q4.end, q4.label) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026Q4")
    assert period_of(CadencePeriod.QUARTER, END_OF_Q3).start == dt.date(2026, 7, 1)


def test_visit_on_the_last_day_of_a_quarter_counts_for_that_quarter_only(enterprise, leader, manager):
    enterprise.liaison_leader = leader
    enterprise.save()
    _visit(enterprise, END_OF_Q3, lead=leader)
    row = _row(cadence_rows(user=manager, today=END_OF_Q3), leader, CadenceRole.LEADER)
    assert (row["period"], row["required"], row["done"], row["status"]) == ("quarter", 1, 1, CadenceStatus.MET)
    assert row["due_by"] == END_OF_Q3 and row["period_label"] == "2026Q3"
    # The next day is a new quarter: the Q3 visit no longer counts, but Q3 was met, so it is due, not missed.
    row = _row(cadence_rows(user=manager, today=dt.date(2026, 10, 1)), leader, CadenceRole.LEADER)
    assert (row["done"], row["status"], row["due_by"]) == (0, CadenceStatus.DUE, dt.date(2026, 12, 31))


def test_previous_month_unmet_is_missed_until_this_month_is_met(enterprise, officer, manager):
    enterprise.liaison_officers.add(officer)
    day = dt.date(2026, 11, 10)
    row = _row(cadence_rows(user=manager, today=day), officer)
    assert row["status"] == CadenceStatus.MISSED and row["urgent"] and row["remaining"] == 1
    _visit(enterprise, dt.date(2026, 11, 1), officers=[officer])
    assert _row(cadence_rows(user=manager, today=day), officer)["status"] == CadenceStatus.MET


def test_the_counts_take_one_round_trip_unless_the_server_plans_in_parallel(enterprise, officer, manager, monkeypatch):
    enterprise.liaison_officers.add(officer)
    _visit(enterprise, dt.date(2026, 11, 1), officers=[officer])
    day = dt.date(2026, 11, 10)
    with CaptureQueriesContext(connection) as plain:
        assert _row(cadence_rows(user=manager, today=day), officer)["status"] == CadenceStatus.MET
    assert not [q for q in plain if q["sql"].lstrip().upper().startswith("DECLARE")]
    if connection.vendor != "postgresql":
        return
    # A server that may plan in parallel gets the counts through a server-side cursor (never planned in parallel).
    monkeypatch.setattr(connection, "plans_in_parallel", True)
    with CaptureQueriesContext(connection) as cursor_side:
        assert _row(cadence_rows(user=manager, today=day), officer)["status"] == CadenceStatus.MET
    assert [q for q in cursor_side if q["sql"].lstrip().upper().startswith("DECLARE")]


def test_only_the_lead_or_an_officer_of_the_visit_counts(enterprise, officer, manager, handler):
    enterprise.liaison_officers.add(officer)
    day = dt.date(2026, 10, 31)
    _visit(enterprise, dt.date(2026, 9, 5), officers=[officer])  # September met: not missed
    _visit(enterprise, dt.date(2026, 10, 5), officers=[handler])
    assert _row(cadence_rows(user=manager, today=day), officer)["done"] == 0
    _visit(enterprise, dt.date(2026, 10, 6), lead=officer, officers=[handler])
    assert _row(cadence_rows(user=manager, today=day), officer)["done"] == 1


def test_phone_visits_do_not_count_by_default_but_a_rule_may_count_them(enterprise, officer, manager, city_bureau):
    enterprise.liaison_officers.add(officer)
    day = dt.date(2026, 10, 20)
    _visit(enterprise, dt.date(2026, 10, 2), officers=[officer], kind=VisitKind.PHONE)
    assert _row(cadence_rows(user=manager, today=day), officer)["done"] == 0
    CadenceRuleFactory(bureau=city_bureau, kinds=["on_site", "phone"], min_visits=1)
    assert _row(cadence_rows(user=manager, today=day), officer)["done"] == 1


def test_assisted_enterprise_rule_and_bureau_rule_override(enterprise, officer, manager, city_bureau):
    enterprise.is_assisted = True
    enterprise.save()
    enterprise.liaison_officers.add(officer)
    day = dt.date(2026, 10, 20)
    _visit(enterprise, dt.date(2026, 10, 2), officers=[officer])
    row = _row(cadence_rows(user=manager, today=day), officer)
    assert (row["tier"], row["required"], row["remaining"], row["status"]) == ("assisted", 2, 1, CadenceStatus.MISSED)
    CadenceRuleFactory(bureau=city_bureau, tier=CadenceTier.ASSISTED, period=CadencePeriod.QUARTER, min_visits=1)
    row = _row(cadence_rows(user=manager, today=day), officer)
    assert (row["period"], row["status"]) == ("quarter", CadenceStatus.MET)


def test_activity_counting_as_visit_feeds_cadence(enterprise, officer, manager):
    enterprise.liaison_officers.add(officer)
    day = dt.date(2026, 10, 20)
    _visit(enterprise, dt.date(2026, 9, 2), officers=[officer])
    activity = ActivityFactory(held_on=dt.date(2026, 10, 9), counts_as_visit=False)
    activity.officers.add(officer)
    ActivityParticipantFactory(activity=activity, enterprise=enterprise)
    assert _row(cadence_rows(user=manager, today=day), officer)["done"] == 0
    activity.counts_as_visit = True
    activity.save()
    assert _row(cadence_rows(user=manager, today=day), officer)["status"] == CadenceStatus.MET


def test_scope_status_filter_and_todo(enterprise, county_enterprise, officer, county_officer, manager):
    enterprise.liaison_officers.add(officer)
    county_enterprise.liaison_officers.add(county_officer, officer)
    day = dt.date(2026, 10, 20)
    assert {r["enterprise_id"] for r in cadence_rows(user=county_officer, today=day)} == {county_enterprise.pk}
    assert len(cadence_rows(user=manager, today=day)) == 3
    _visit(enterprise, dt.date(2026, 10, 2), officers=[officer])
    assert [r["enterprise_id"] for r in cadence_rows(user=manager, status="met", today=day)] == [enterprise.pk]
    todo = cadence_todo(user=officer, today=day)
    assert [r["enterprise_id"] for r in todo] == [county_enterprise.pk]


def _todo_of_rows(person, day):
    """待走访 from ``cadence_rows``: the person's own rows not met, missed first, then by due_by and name."""
    own = [r for r in cadence_rows(user=person, person=person, today=day) if r["status"] != "met"]
    return sorted(own, key=lambda r: (r["status"] != "missed", r["due_by"], r["enterprise_name"]))


def test_todo_statements_kept_per_shape_run_with_each_users_scope_and_the_current_rules(
    enterprise, county_enterprise, officer, county_officer, county_bureau, monkeypatch
):
    """The 待走访's statements are compiled once per shape of user, rules and number of enterprises and run for each
    user: another county user of the same shape gets their own links in their own region, a rule changed since
    is applied (its period and minimum), and beyond ``LIST_LIMIT`` the same rows come from the person's visits."""
    day = dt.date(2026, 10, 20)
    other = UserFactory(bureau=county_bureau)
    county_enterprise.liaison_officers.add(county_officer, officer, other)
    enterprise.liaison_officers.add(officer, other)  # a city enterprise: outside the county users' scope
    _visit(county_enterprise, dt.date(2026, 10, 2), officers=[county_officer])
    assert cadence_todo(user=county_officer, today=day) == []  # the month's one visit made
    assert [r["enterprise_id"] for r in cadence_todo(user=other, today=day)] == [county_enterprise.pk]
    assert {r["enterprise_id"] for r in cadence_todo(user=officer, today=day)} == {enterprise.pk, county_enterprise.pk}
    _visit(county_enterprise, dt.date(2026, 10, 5), officers=[county_officer], kind=VisitKind.PHONE)  # not counted
    CadenceRuleFactory(bureau=county_bureau, period=CadencePeriod.QUARTER, min_visits=3, kinds=["on_site", "phone"])
    (row,) = cadence_todo(user=county_officer, today=day)  # the phone call counts now: a count column of its own
    assert (row["done"], row["required"], row["due_by"]) == (2, 3, dt.date(2026, 12, 31))
    for person in (county_officer, other, officer):
        assert cadence_todo(user=person, today=day) == _todo_of_rows(person, day) != []
        with monkeypatch.context() as patch:
            patch.setattr(CadenceRows, "LIST_LIMIT", 1)
            assert cadence_todo(user=person, today=day) == _todo_of_rows(person, day)


def _linked_enterprises(n, *, officer, city_bureau):
    for _ in range(n):
        linked = EnterpriseFactory(is_linked=True, bureau=city_bureau, liaison_leader=officer)
        linked.liaison_officers.add(officer)
        _visit(linked, dt.date(2026, 10, 2), lead=officer, officers=[officer])
        ActivityParticipantFactory(enterprise=linked, activity__held_on=dt.date(2026, 10, 3)).activity.officers.add(
            officer
        )


@pytest.mark.parametrize("enterprises", [2, 6])
def test_three_queries_for_any_number_of_enterprises(
    enterprises, officer, manager, city_bureau, django_assert_num_queries
):
    _linked_enterprises(enterprises, officer=officer, city_bureau=city_bureau)
    with django_assert_num_queries(3):  # the rules, the links, the visits counted (one aggregate)
        rows = cadence_rows(user=manager, person=officer, today=dt.date(2026, 10, 20))
    assert len(rows) == 2 * enterprises and {r["done"] for r in rows} == {2}
    with django_assert_num_queries(4):  # a page: the rules, the links' count, the page's links, their visits
        page = cadence_query(user=manager, today=dt.date(2026, 10, 20))
        assert page.count() == 2 * enterprises and len(page[:2]) == 2


def test_one_person_with_many_links_is_counted_from_their_own_visits(
    officer, manager, city_bureau, handler, monkeypatch, django_assert_num_queries
):
    """Beyond ``LIST_LIMIT`` links (a leader leads ~2,000 enterprises) one person's visits are read from the person
    indexes: the same rows as the enterprise list gives, visits elsewhere or by others ignored."""
    _linked_enterprises(3, officer=officer, city_bureau=city_bureau)
    elsewhere = EnterpriseFactory(is_linked=True, bureau=city_bureau)  # not one of the officer's
    _visit(elsewhere, dt.date(2026, 10, 4), lead=officer)
    mine = Enterprise.objects.filter(liaison_officers=officer).first()
    _visit(mine, dt.date(2026, 10, 5), lead=handler, officers=[handler])
    day = dt.date(2026, 10, 20)
    listed = cadence_rows(user=manager, person=officer, today=day)
    monkeypatch.setattr("crm.selectors.cadence.CadenceRows.LIST_LIMIT", 1)
    with django_assert_num_queries(3):
        many = cadence_rows(user=manager, person=officer, today=day)
    assert many == listed and len(many) == 6 and {r["done"] for r in many} == {2}
    assert elsewhere.pk not in {r["enterprise_id"] for r in many}


def test_lead_who_is_also_an_officer_counts_once(enterprise, officer, manager):
    enterprise.liaison_officers.add(officer)
    day = dt.date(2026, 10, 20)
    _visit(enterprise, dt.date(2026, 10, 2), lead=officer, officers=[officer])
    activity = ActivityFactory(held_on=dt.date(2026, 10, 9), lead=officer)
    activity.officers.add(officer)
    ActivityParticipantFactory(activity=activity, enterprise=enterprise)
    assert _row(cadence_rows(user=manager, today=day), officer)["done"] == 2


def test_the_whole_scope_counts_visits_as_lead_for_the_links_pairs_only(
    enterprise, officer, leader, manager, handler, monkeypatch
):
    """A scope's counts (beyond ``LIST_LIMIT`` enterprises, as at province scale) read the visits as lead of the
    links' (enterprise, person) pairs only, not of every lead (a province: ~270 of ~11,000 groups). A person who is
    both an officer and the leader of the enterprise is one pair: the visit counts once, for each of the links."""
    enterprise.liaison_officers.add(officer, leader)
    enterprise.liaison_leader = leader
    enterprise.save()
    _visit(enterprise, dt.date(2026, 10, 2), lead=leader)
    _visit(enterprise, dt.date(2026, 10, 3), lead=handler)  # not a liaison of the enterprise: not counted
    day = dt.date(2026, 10, 20)
    listed = cadence_rows(user=manager, today=day)
    monkeypatch.setattr(CadenceRows, "LIST_LIMIT", 0)
    query = cadence_query(user=manager, today=day)
    assert set(query.counts_of_every([enterprise.pk])) == {(enterprise.pk, leader.pk)}
    assert cadence_rows(user=manager, today=day) == listed
    assert [r["done"] for r in listed if r["person_id"] == leader.pk] == [1, 1]  # as officer and as leader
    assert cadence_coverage(user=manager, today=day) == _coverage_of(listed)


@pytest.mark.parametrize(
    ("who", "role"),
    [("manager", None), ("manager", CadenceRole.OFFICER), ("manager", CadenceRole.LEADER), ("county", None)],
)
def test_the_whole_scope_counts_each_enterprises_visits_for_its_liaisons_only(
    who,
    role,
    enterprise,
    county_enterprise,
    officer,
    leader,
    county_officer,
    manager,
    handler,
    city_bureau,
    monkeypatch,
):
    """The whole scope's visits as lead start from its enterprises (``LinkScope``) and keep a visit when its lead is
    one of that enterprise's liaisons of the asked role: exact counts for a lead who is officer and leader (once per
    link), an officer besides a lead who is none (the officer part), a lead who liaises elsewhere, enterprises outside
    the scope or without links, a county's scope, one role."""
    enterprise.liaison_officers.add(officer, leader)
    enterprise.liaison_leader = leader
    enterprise.save()
    county_enterprise.liaison_officers.add(county_officer)
    county_enterprise.liaison_leader = officer
    county_enterprise.save()
    unlinked = EnterpriseFactory(is_linked=False, is_assisted=False, bureau=city_bureau)  # outside every scope
    without_links = EnterpriseFactory(is_linked=True, bureau=city_bureau)
    _visit(enterprise, dt.date(2026, 10, 2), lead=leader)  # officer and leader: one visit for each of both links
    _visit(enterprise, dt.date(2026, 10, 3), lead=officer, officers=[handler])
    _visit(enterprise, dt.date(2026, 10, 4), lead=handler, officers=[officer])
    _visit(enterprise, dt.date(2026, 10, 5), lead=county_officer)  # a liaison of another enterprise only
    _visit(county_enterprise, dt.date(2026, 10, 6), lead=officer)
    _visit(county_enterprise, dt.date(2026, 10, 7), lead=county_officer)
    _visit(unlinked, dt.date(2026, 10, 8), lead=officer)
    _visit(without_links, dt.date(2026, 10, 9), lead=officer)
    e, c = enterprise.pk, county_enterprise.pk
    done = {  # (enterprise, person, role): visits this period
        (e, officer.pk, CadenceRole.OFFICER): 2,
        (e, leader.pk, CadenceRole.OFFICER): 1,
        (e, leader.pk, CadenceRole.LEADER): 1,
        (c, county_officer.pk, CadenceRole.OFFICER): 1,
        (c, officer.pk, CadenceRole.LEADER): 1,
    }
    user, scope = (manager, {e, c}) if who == "manager" else (county_officer, {c})
    expected = {key: n for key, n in done.items() if key[0] in scope and role in (None, key[2])}
    as_officer = {(e, officer.pk), (e, handler.pk)} if e in scope else set()  # officers besides the lead
    day = dt.date(2026, 10, 20)
    listed = cadence_rows(user=user, role=role, today=day)
    assert {(r["enterprise_id"], r["person_id"], r["role"]): r["done"] for r in listed} == expected
    monkeypatch.setattr(CadenceRows, "LIST_LIMIT", 0)
    query = cadence_query(user=user, role=role, today=day)
    assert set(query.counts_of_every([e])) == {key[:2] for key in expected} | as_officer
    assert cadence_rows(user=user, role=role, today=day) == listed


def test_rows_are_ordered_by_due_by_then_name_and_pages_agree(enterprise, county_enterprise, officer, leader, manager):
    enterprise.liaison_officers.add(officer)
    enterprise.liaison_leader = leader
    enterprise.save()
    county_enterprise.liaison_officers.add(officer)
    county_enterprise.liaison_leader = leader
    county_enterprise.save()
    rows = cadence_rows(user=manager, today=dt.date(2026, 10, 20))
    first, second = Enterprise.objects.order_by("name").values_list("pk", flat=True)  # the database's collation
    # Months (officers) end before the quarter (leaders of linked enterprises); then by name.
    assert [(r["role"], r["enterprise_id"]) for r in rows] == [
        ("officer", first),
        ("officer", second),
        ("leader", first),
        ("leader", second),
    ]
    query = cadence_query(user=manager, today=dt.date(2026, 10, 20))
    assert [*query[0:3], *query[3:6]] == rows and query.count() == 4
    # In the quarter's last month every row is due by the same day: by name only.
    december = cadence_rows(user=manager, today=dt.date(2026, 12, 2))
    assert [r["enterprise_id"] for r in december] == [first] * 2 + [second] * 2


def _reference(*, today: dt.date) -> list[tuple]:
    """The cadence computed the slow obvious way, one enterprise and person at a time: the oracle."""
    own = {(r.bureau_id, r.tier, r.role): r for r in CadenceRule.objects.all()}
    rows = []
    targets = Enterprise.objects.filter(Q(is_linked=True) | Q(is_assisted=True), status=EnterpriseStatus.OPERATING)
    for ent in targets:
        tier = CadenceTier.ASSISTED if ent.is_assisted else CadenceTier.LINKED
        people = [(u.pk, CadenceRole.OFFICER) for u in ent.liaison_officers.all()]
        people += [(ent.liaison_leader_id, CadenceRole.LEADER)] if ent.liaison_leader_id else []
        for pk, role in people:
            rule = own.get((ent.bureau_id, tier, role))
            period, required = (rule.period, rule.min_visits) if rule else CADENCE_DEFAULTS[(tier, role)]
            kinds = rule.kinds if rule else CADENCE_DEFAULT_KINDS

            def done(start, end, pk=pk, kinds=kinds, ent=ent):
                by = [v for v in ent.visits.all() if v.lead_id == pk or pk in {o.pk for o in v.officers.all()}]
                n = sum(1 for v in by if start <= v.visited_on <= end and v.kind in kinds)
                if VisitKind.MEETING in kinds:
                    for p in ent.activity_participations.all():
                        a = p.activity
                        mine = a.lead_id == pk or pk in {o.pk for o in a.officers.all()}
                        n += mine and a.counts_as_visit and start <= a.held_on <= end
                return n

            current = period_of(period, today)
            previous = period_of(period, current.start - dt.timedelta(days=1))
            rows.append(
                (ent.pk, pk, role, required, done(current.start, today), done(previous.start, previous.end))
                + (current.end,)
            )
    return sorted(rows)


def _coverage_of(rows: list[dict]) -> list[dict]:
    """Per (person, role): the rows' totals, summed the obvious way."""
    people = {}
    for r in rows:
        entry = people.setdefault(
            (r["role"], r["person_id"]),
            {"person_id": r["person_id"], "role": r["role"], "enterprises": 0, "required": 0, "done": 0}
            | dict.fromkeys(CadenceStatus.values, 0),
        )
        entry["enterprises"] += 1
        entry["required"] += r["required"]
        entry["done"] += min(r["done"], r["required"])
        entry[r["status"]] += 1
    return [people[key] for key in sorted(people)]


def test_same_rows_as_the_obvious_computation_on_random_data(regions, city_bureau, county_bureau, monkeypatch):
    rng = random.Random(12)
    bureaus = [city_bureau, county_bureau, BureauFactory(name="清江浦区科技局")]
    people = [UserFactory(bureau=city_bureau) for _ in range(4)]
    CadenceRuleFactory(bureau=county_bureau, period=CadencePeriod.QUARTER, min_visits=2, kinds=["on_site", "phone"])
    CadenceRuleFactory(bureau=city_bureau, tier=CadenceTier.ASSISTED, role=CadenceRole.LEADER, kinds=["meeting"])
    CadenceRuleFactory(bureau=bureaus[2], role=CadenceRole.LEADER, period=CadencePeriod.MONTH, min_visits=2)
    enterprises = []
    for i in range(14):
        ent = EnterpriseFactory(
            bureau=bureaus[i % 3],
            is_linked=rng.random() < 0.7,
            is_assisted=rng.random() < 0.4,
            status=EnterpriseStatus.CLOSED if i == 13 else EnterpriseStatus.OPERATING,
            liaison_leader=rng.choice([None, *people]),
        )
        ent.liaison_officers.set(rng.sample(people, k=rng.randint(0, 2)))
        enterprises.append(ent)
    kinds = [VisitKind.ON_SITE, VisitKind.MEETING, VisitKind.PHONE, VisitKind.ONLINE]
    for _ in range(90):
        day = dt.date(2026, 6, 1) + dt.timedelta(days=rng.randint(0, 213))
        lead = rng.choice([None, *people])
        _visit(
            rng.choice(enterprises),
            day,
            lead=lead,
            officers=rng.sample(people, k=rng.randint(0, 2)),
            kind=rng.choice(kinds),
        )
    # Half the visits with their flag set as the services set it, half unknown (None, as a factory leaves it).
    visit_officers_flag_refresh(visit_ids=rng.sample(list(Visit.objects.values_list("pk", flat=True)), k=45))
    assert {v for v in Visit.objects.values_list("officers_besides_lead", flat=True)} == {True, False, None}
    for _ in range(8):
        activity = ActivityFactory(
            held_on=dt.date(2026, 6, 1) + dt.timedelta(days=rng.randint(0, 213)),
            counts_as_visit=rng.random() < 0.7,
            lead=rng.choice([None, *people]),
        )
        activity.officers.set(rng.sample(people, k=rng.randint(0, 3)))
        for ent in rng.sample(enterprises, k=rng.randint(1, 4)):
            ActivityParticipantFactory(activity=activity, enterprise=ent)
    seen, todo_seen = [], []
    for day in (dt.date(2026, 7, 1), dt.date(2026, 9, 30), dt.date(2026, 10, 20), dt.date(2026, 12, 31)):
        rows = cadence_rows(user=None, today=day)
        got = sorted(
            (r["enterprise_id"], r["person_id"], r["role"], r["required"], r["done"], r["previous_done"], r["due_by"])
            for r in rows
        )
        assert got == _reference(today=day), day
        seen += got
        order = [(r["due_by"], r["enterprise_name"], r["enterprise_id"], r["person_id"], r["role"]) for r in rows]
        assert order == sorted(order)
        query = cadence_query(user=None, today=day)
        assert [row for start in range(0, len(rows), 4) for row in query[start : start + 4]] == rows
        for status in CadenceStatus.values:
            assert list(cadence_query(user=None, status=status, today=day)) == [
                r for r in rows if r["status"] == status
            ]
        person = people[0]
        assert cadence_rows(user=None, person=person, today=day) == [r for r in rows if r["person_id"] == person.pk]
        assert cadence_coverage(user=None, today=day) == _coverage_of(rows) != []
        for person in people:  # 待走访: the person's own rows not met, missed first, then by due_by and name
            own = _todo_of_rows(person, day)
            for limit in (2, 10):
                assert cadence_todo(user=person, limit=limit, today=day) == own[:limit]
            todo_seen.append(len(own))
        with monkeypatch.context() as patch:  # counted by the scope's subquery, as at province scale
            patch.setattr(CadenceRows, "LIST_LIMIT", 1)
            assert cadence_coverage(user=None, today=day) == _coverage_of(rows)
    assert {r[4] > 0 for r in seen} == {True, False} and {r[5] > 0 for r in seen} == {True, False}  # both exercised
    assert {r[3] for r in seen} == {1, 2}
    assert max(todo_seen) > 2  # the limit cut some


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan")
def test_whole_scope_links_walk_the_liaison_index_not_every_enterprise(officer, manager, city_bureau):
    _linked_enterprises(2, officer=officer, city_bureau=city_bureau)
    sql, params = cadence_query(user=manager, today=dt.date(2026, 10, 20)).links.sql()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert LINK_INDEX in plan and "crm_ent_status" not in plan


def test_one_persons_leader_links_read_the_leader_liaison_index_alone(officer, manager, city_bureau):
    """One person's links as liaison leader (the 工作台's 待走访, ``?person=``) come from crm_ent_leader_liaison_idx
    (migration 0041): every enterprise column the part reads is in it, and SQLite searches it by the person rather
    than walking every linked or assisted enterprise of crm_ent_liaison_idx (~4,000 entries per person)."""
    _linked_enterprises(2, officer=officer, city_bureau=city_bureau)
    index = next(i for i in Enterprise._meta.indexes if i.name == "crm_ent_leader_liaison_idx")
    columns = {Enterprise._meta.get_field(name).column for name in index.fields}
    sql, params = cadence_query(user=officer, person=officer, today=dt.date(2026, 10, 20)).links.sql()
    leader = sql.split(" UNION ALL ")[1]
    assert set(re.findall(r'"crm_enterprise"\."(\w+)"', leader)) <= columns, leader
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = [row[3] for row in cursor.fetchall()]
        assert any(
            line.startswith("SEARCH crm_enterprise USING COVERING INDEX crm_ent_leader_liaison_idx") for line in plan
        ), plan


def test_the_counts_read_the_visits_from_their_index_alone(officer, manager, city_bureau):
    """The visits done as a visit's lead come from ``crm_visit_ent_date_idx`` alone (migration 0031 added ``id``, the
    key of the officer link table); as one of its officers, from ``crm_visit_others_idx`` alone (0032: the visits
    with an officer besides the lead), not a probe of the officer links of every visit of the two periods
    (~11,000 at province scale). SQLite's indexes carry the row id anyway: there the index must name it."""
    for enterprise in Enterprise.objects.filter(liaison_officers=officer):
        _visit(enterprise, dt.date(2026, 10, 5), lead=manager, officers=[officer])
    _linked_enterprises(2, officer=officer, city_bureau=city_bureau)
    query = cadence_query(user=manager, today=dt.date(2026, 10, 20))
    sql, params = _counts_sql(rules=query.rules, enterprises=query.enterprises, persons=None)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'crm_visit_ent_date_idx'")
            [[index]] = cursor.fetchall()
            assert index.endswith('"lead_id", "id")'), index
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = [row[3] for row in cursor.fetchall()]
            visits = [line for line in plan if re.search(r"^(SEARCH|SCAN) crm_visit ", line)]
            assert len(visits) == 2, plan  # as lead, as officer
            assert "crm_visit_ent_date_idx" in visits[0] and "crm_visit_others_idx" in visits[1], plan
            return
        # Which index the planner takes on the test's few, never vacuumed rows is a matter of cost (enable_indexscan
        # also prices index-only scans as disabled, so a newer index of the table could win that tie): what holds
        # is that the lead part reads no column outside crm_visit_ent_date_idx, so that at scale PostgreSQL can
        # answer it from that index alone. EXPLAIN VERBOSE names every column the part reads (alias crm_visit), less
        # the Output of a plain scan of the table, which lists the whole row (PostgreSQL's "physical tlist").
        cursor.execute(f"EXPLAIN (VERBOSE) {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
        plan = "\n".join(lines)
        used = [
            line
            for before, line in zip(["", *lines[:-1]], lines, strict=True)
            if not (line.strip().startswith("Output:") and re.search(r"Scan .* on (public\.)?crm_visit( |$)", before))
        ]
        read = set(re.findall(r"\bcrm_visit\.(\w+)", "\n".join(used)))
        assert (
            {"enterprise_id", "visited_on", "lead_id"}
            <= read
            <= {"enterprise_id", "visited_on", "kind", "lead_id", "id"}
        ), plan
        # The officer part, here where every visit has an officer besides its lead, may take any index on the test's
        # few rows; at province scale EXPLAIN ANALYZE shows it on crm_visit_others_idx, index
        # only: it repeats the index's condition, which PostgreSQL needs to use a partial index.
    condition = '("crm_visit"."officers_besides_lead" IS NULL OR "crm_visit"."officers_besides_lead")'
    assert condition in sql.split(" UNION ALL ")[1], sql


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan")
def test_the_whole_scope_counts_start_from_its_linked_enterprises(officer, manager, city_bureau):
    """The whole scope's visits as lead (``LinkScope``): its linked enterprises from ``LINK_INDEX`` alone, then each
    one's visits of the periods from ``crm_visit_ent_date_idx`` alone, the officer links probed by their unique
    (enterprise, user) index; no list of pairs built and sorted first."""
    _linked_enterprises(2, officer=officer, city_bureau=city_bureau)
    query = cadence_query(user=manager, today=dt.date(2026, 10, 20))
    sql, params = _counts_sql(rules=query.rules, enterprises=query.enterprises, persons=None, scope=query.links.scope)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = [row[3] for row in cursor.fetchall()]
    lead = [line for line in plan[: plan.index("UNION ALL")] if line.startswith(("SCAN", "SEARCH", "MATERIALIZE"))]
    visits = "crm_visit_ent_date_idx (enterprise_id=? AND visited_on>? AND visited_on<?)"
    assert lead == [
        f"SCAN crm_enterprise USING COVERING INDEX {LINK_INDEX}",
        f"SEARCH crm_visit USING COVERING INDEX {visits}",
        lead[2],
    ], plan
    assert re.match(
        r"SEARCH crm_enterprise_liaison_officers USING COVERING INDEX \w+ \(enterprise_id=\? AND user_id=\?\)$", lead[2]
    ), plan


def test_every_path_reads_the_officer_flag_alike(enterprise, officer, leader, manager, monkeypatch):
    """The counts as a visit's officer read the visits whose ``officers_besides_lead`` is true or NULL (not known),
    and not one whose flag says false, even if its links were written behind the services' back: the same counts
    for a page, a scope's few enterprises (lists), a scope's subquery and one person's visits."""
    enterprise.liaison_officers.add(officer)
    day = dt.date(2026, 10, 20)
    for flag, visits in ((True, 1), (None, 2), (False, 4)):
        for i in range(visits):
            visit = _visit(enterprise, dt.date(2026, 10, 1 + i), lead=leader, officers=[leader, officer])
            Visit.objects.filter(pk=visit.pk).update(officers_besides_lead=flag)
    _visit(enterprise, dt.date(2026, 10, 9), lead=officer, officers=[officer])  # NULL flag: counted once, as lead
    assert Visit.objects.filter(officers_besides_lead__isnull=True).count() == 3
    page = cadence_query(user=manager, today=day)[:5]  # lists of enterprises and persons
    listed = cadence_rows(user=manager, today=day)  # the scope's few enterprises, as a list
    assert _row(page, officer)["done"] == _row(listed, officer)["done"] == 4
    monkeypatch.setattr(CadenceRows, "LIST_LIMIT", 0)
    assert cadence_rows(user=manager, today=day) == listed  # the scope's subquery
    assert cadence_rows(user=manager, person=officer, today=day) == listed  # one person's visits

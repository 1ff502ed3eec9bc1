"""Visit cadence (DESIGN §11.1): periods at month and quarter boundaries, who counts, which kinds count, missed."""

import datetime as dt

import pytest

from crm.choices import CadencePeriod, CadenceRole, CadenceStatus, CadenceTier, VisitKind
from crm.selectors.cadence import cadence_query, cadence_rows, cadence_todo, period_of
from tests.factories import ActivityFactory, ActivityParticipantFactory, CadenceRuleFactory, VisitFactory

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


def test_one_query_for_any_number_of_enterprises(enterprise, officer, manager, django_assert_num_queries):
    for _ in range(5):
        VisitFactory(enterprise=enterprise)
    with django_assert_num_queries(3):  # the rules of each role (a handful of rows), then the rows
        list(cadence_query(user=manager, person=officer)[:20])

"""预警企业 (crm/selectors/watch.py): the latest visit of each enterprise when flagged, red first then newest first,
read one flag at a time in index order (issue 18's pass on the 工作台)."""

import contextlib
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.choices import OPEN_NEED_STATUSES, NeedStatus, VisitFlag
from crm.models import Need
from crm.prepared import Statements
from crm.selectors import watch
from crm.selectors.needs import needs_first_each
from crm.selectors.watch import (
    inbox_counts,
    inbox_overdue,
    inbox_to_accept,
    inbox_to_assign,
    needs_supervised,
    red_flag_visits,
)
from crm.workdays import workdays_add
from tests.factories import EnterpriseFactory, NeedFactory, RegionFactory, VisitFactory, today

pytestmark = pytest.mark.django_db


def _visit(flag, days_ago, enterprise=None):
    enterprise = enterprise or EnterpriseFactory(is_linked=True)
    return VisitFactory(enterprise=enterprise, flag=flag, visited_on=today() - dt.timedelta(days=days_ago))


def test_red_first_then_yellow_newest_first_latest_visit_only(manager):
    old_red = _visit(VisitFlag.RED, 30)
    new_yellow = _visit(VisitFlag.YELLOW, 1)
    new_red = _visit(VisitFlag.RED, 2)
    old_yellow = _visit(VisitFlag.YELLOW, 20)
    superseded = _visit(VisitFlag.RED, 3)
    _visit(VisitFlag.GREEN, 0, enterprise=superseded.enterprise)  # a later green visit: no longer at risk
    same_day = _visit(VisitFlag.RED, 2, enterprise=new_red.enterprise)  # same day, higher id: the latest
    assert red_flag_visits(user=manager) == [same_day, old_red, new_yellow, old_yellow]
    assert red_flag_visits(user=manager, limit=1) == [same_day]
    assert red_flag_visits(user=manager, limit=3) == [same_day, old_red, new_yellow]


def test_scoped_and_by_region(county_officer, manager, county_enterprise, enterprise):
    county = _visit(VisitFlag.YELLOW, 1, enterprise=county_enterprise)
    city = _visit(VisitFlag.RED, 1, enterprise=enterprise)
    assert red_flag_visits(user=county_officer) == [county]
    assert red_flag_visits(user=manager, region=county_enterprise.region_id) == [county]
    assert red_flag_visits(user=manager) == [city, county]


# ANALYZE's rows at province scale (seed_scale: 100,000 enterprises in a dozen regions, 300,000 visits) for the
# indexes a county's 预警企业 may be planned with: a test's few rows cannot give a region ~8,000 enterprises.
PROVINCE_STAT1 = {
    ("crm_region", "sqlite_autoindex_crm_region_1"): "12 1",
    ("crm_enterprise", "crm_ent_region_name_id_idx"): "100017 8335 2 1",
    ("crm_enterprise", "crm_enterprise_region_id_4e20293f"): "100017 8335",
    ("crm_enterprise", "sqlite_autoindex_crm_enterprise_1"): "100017 1",
    ("crm_visit", "crm_visit_ent_flag_idx"): "300019 4 3 1 1",
    ("crm_visit", "crm_visit_ent_date_idx"): "300019 4 1 1 1 1",
    ("crm_visit", "crm_visit_enterprise_id_2000191c"): "300019 4",
    ("crm_visit", "crm_visit_flag_date_idx"): "300019 100007 92 1",
    ("crm_visit", "crm_visit_region_idx"): "300486 25041 23 1",
}


@contextlib.contextmanager
def _province_statistics():
    """``PROVINCE_STAT1`` for the planner while the block runs, then the statistics of before read again: the
    planner keeps what ``ANALYZE sqlite_schema`` loaded after the test's transaction is rolled back, and a later
    test's plan (the cadence's counts) would be made with a province's statistics."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tbl, idx, stat FROM sqlite_stat1" if _has_stat1(cursor) else "SELECT 1 WHERE 0")
        before = cursor.fetchall()
        cursor.execute("ANALYZE")
        for (table, index), stat in PROVINCE_STAT1.items():
            cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = %s AND idx = %s", [table, index])
            cursor.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)", [table, index, stat])
        cursor.execute("ANALYZE sqlite_schema")  # the planner reads sqlite_stat1 again
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM sqlite_stat1")
            cursor.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)", before)
            cursor.execute("ANALYZE sqlite_schema")


def _has_stat1(cursor) -> bool:
    cursor.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'")
    return cursor.fetchone() is not None


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan")
def test_a_countys_red_flags_walk_its_visits_newest_first(county_officer, county_enterprise):
    """A county's 预警企业 walk the county's visits newest first in ``crm_visit_region_idx`` (the region stored on each
    visit) and stop after the first rows: not a probe of each of its enterprises' visits of one flag (~7,000 at
    province scale, 10-35 ms), nor the province's flagged visits (the flag index: a county with none walked all of
    them). Planned with the statistics of a province (``PROVINCE_STAT1``)."""
    for region in [county_enterprise.region, RegionFactory(code="320860")]:
        for days_ago, flag in enumerate(VisitFlag.values):
            _visit(flag, days_ago, enterprise=EnterpriseFactory(region=region))
    with _province_statistics():
        with CaptureQueriesContext(connection) as queries:
            red_flag_visits(user=county_officer)
        sql = next(q["sql"] for q in queries if q["sql"].startswith('SELECT "crm_visit"."id"'))
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = [str(row[-1]) for row in cursor.fetchall()]
    visits = next(step for step in plan if step.startswith("SEARCH crm_visit "))
    assert "crm_visit_region_idx (region_id=?)" in visits, plan
    assert not any("TEMP B-TREE" in step for step in plan), plan  # read in the index's order, stopped at the limit


def test_red_flags_hold_what_their_readers_show(manager, django_assert_num_queries):
    """The 工作台 card, the dashboard and the monthly report read these of each visit: all loaded with it (the visit
    and enterprise columns they show, the region, the open needs and actions), no query per row."""
    for days_ago in (1, 2, 3):
        visit = _visit(VisitFlag.RED, days_ago)
        NeedFactory(enterprise=visit.enterprise, bureau=manager.bureau, status=NeedStatus.ASSIGNED)
    visits = red_flag_visits(user=manager)
    assert len(visits) == 3
    with django_assert_num_queries(0):
        shown = [
            (
                *(v.pk, v.code, v.flag, v.get_flag_display(), v.visited_on),
                v.q_difficulties or v.q_needs or v.q_suggestions,
                *(v.enterprise_id, v.enterprise.name, v.enterprise.region_id, v.enterprise.region.name),
                [(n.pk, n.code, n.title, n.status) for n in v.enterprise.open_needs],
                [(a.pk, a.code, a.title, a.status) for a in v.enterprise.open_actions],
            )
            for v in visits
        ]
    assert all(row[9] for row in shown)  # each enterprise's open need


def _shown(visits):
    return [
        (
            visit.pk,
            visit.enterprise.name,
            visit.enterprise.region.name,
            [(need.pk, need.status, need.enterprise is visit.enterprise) for need in visit.enterprise.open_needs],
            [(item.pk, item.status, item.enterprise is visit.enterprise) for item in visit.enterprise.open_actions],
        )
        for visit in visits
    ]


def test_red_flags_are_compiled_once_per_shape(manager, county_officer, county_enterprise, monkeypatch):
    """The statements of 预警企业 and of what answers them are compiled once per shape of scope (crm.prepared; ~8 ms
    of CPU of a manager's and a leader's 工作台): the same statements and rows as built by the ORM on every call."""
    for days_ago, enterprise in enumerate([county_enterprise, None, None, county_enterprise, None]):
        visit = _visit([VisitFlag.RED, VisitFlag.YELLOW][days_ago % 2], days_ago, enterprise=enterprise)
        NeedFactory(enterprise=visit.enterprise, bureau=manager.bureau, status=NeedStatus.ASSIGNED)
    monkeypatch.setattr(watch, "_RED_FLAG_STATEMENTS", Statements())
    monkeypatch.setattr(watch, "_ANSWERING", Statements())
    built = []
    latest = watch._latest_flagged
    monkeypatch.setattr(watch, "_latest_flagged", lambda **kw: built.append(kw["user"]) or latest(**kw))
    cases = [
        (manager, {}),
        (manager, {"limit": 3}),
        (manager, {"region": county_enterprise.region_id}),
        (county_officer, {}),
    ]
    for user, kwargs in cases:
        with CaptureQueriesContext(connection) as prepared:
            visits = red_flag_visits(user=user, **kwargs)
        with CaptureQueriesContext(connection) as orm:
            stored = connection.vendor == "sqlite"
            expected = watch._red_flag_visits_built(user=user, stored=stored, **{"limit": 10, "region": None, **kwargs})
        assert _shown(visits) == _shown(expected) and visits
        assert [q["sql"] for q in prepared] == [q["sql"] for q in orm]
    first = len(built)
    for user, kwargs in cases:
        red_flag_visits(user=user, **kwargs)
    assert len(built) == first  # only the ORM's calls above: no statement built again


def _inbox_reference(user, day):
    """The inbox counts by hand, from every need's row: the needs in the user's scope that the user's bureau owns
    (each list's rule written out plainly)."""
    cutoff = workdays_add(start=day, days=-5)
    counts = dict.fromkeys(("accept", "assign", "overdue", "supervised"), 0)
    for need in Need.objects.select_related("enterprise"):
        visible = user.sees_everything or need.bureau_id == user.bureau_id  # transferred needs: seen where owned
        visible = visible or need.enterprise.region_id == user.bureau.region_id  # a county's: its county's
        if need.bureau_id != user.bureau_id or not visible:
            continue
        counts["accept"] += need.status == NeedStatus.NEW
        counts["assign"] += need.status == NeedStatus.ACCEPTED
        late = need.status in OPEN_NEED_STATUSES and need.due_on is not None
        counts["overdue"] += late and cutoff < need.due_on < day
        counts["supervised"] += late and need.due_on <= cutoff
    return counts


def _inbox_needs(enterprise, county_enterprise, city_bureau, county_bureau, day):
    """Needs of every status and deadline, owned by either bureau, of a city and a county enterprise."""
    statuses = [NeedStatus.NEW, NeedStatus.ACCEPTED, NeedStatus.ASSIGNED, NeedStatus.IN_PROGRESS, NeedStatus.CLOSED]
    for status in statuses:
        owners = [(enterprise, city_bureau), (county_enterprise, county_bureau), (county_enterprise, city_bureau)]
        owners.append((enterprise, county_bureau))  # a city enterprise's need transferred to the county bureau
        for ent, bureau in owners:
            for due in (None, 30, 10, 4, 1, -2):  # days ago: supervised, supervised, overdue, overdue, not yet
                NeedFactory(
                    enterprise=ent,
                    bureau=bureau,
                    status=status,
                    due_on=None if due is None else day - dt.timedelta(days=due),
                )


def test_a_county_inbox_reads_its_bureaus_needs_alone(county_manager, county_enterprise, county_bureau):
    """Every need a bureau owns is visible to it: the inbox is scoped by the bureau, without ``visible_to``'s region
    joins (each owned need's enterprise and project looked up: ~15 ms of a county manager's counts, issue 18)."""
    NeedFactory(enterprise=county_enterprise, bureau=county_bureau, status=NeedStatus.NEW)
    with CaptureQueriesContext(connection) as captured:
        assert inbox_counts(user=county_manager)["accept"] == 1
    sql = captured.captured_queries[-1]["sql"]
    assert "crm_enterprise" not in sql and "crm_project" not in sql


def test_inbox_counts_one_query_equal_the_lists_and_the_scope(
    manager, county_manager, enterprise, county_enterprise, city_bureau, county_bureau, django_assert_num_queries
):
    day = today()
    _inbox_needs(enterprise, county_enterprise, city_bureau, county_bureau, day)
    for user in (manager, county_manager):
        expected = _inbox_reference(user, day)
        assert expected["accept"] and expected["overdue"] and expected["supervised"]
        with django_assert_num_queries(2):  # the holidays (the supervision cutoff), the one aggregate
            counts = inbox_counts(user=user, today=day)
        assert counts == expected
        lists = {
            "accept": inbox_to_accept(user=user),
            "assign": inbox_to_assign(user=user),
            "overdue": inbox_overdue(user=user, today=day),
            "supervised": needs_supervised(user=user, today=day),
        }
        assert counts == {key: needs.count() for key, needs in lists.items()}
    # The county manager's lists hold its bureau's needs only, not the city bureau's needs of the county's enterprises.
    assert set(inbox_to_accept(user=county_manager).values_list("bureau_id", flat=True)) == {county_bureau.pk}


def test_inbox_counts_of_a_user_without_a_bureau_are_zero(manager, need):
    manager.bureau_id = None  # owns nothing: every list is empty (``none()``), and so is every count
    assert inbox_counts(user=manager) == {"accept": 0, "assign": 0, "overdue": 0, "supervised": 0}


@pytest.mark.parametrize("limit", [1, 3, 50])
def test_the_inbox_first_rows_in_two_queries_equal_each_list_and_the_scope(
    manager, county_manager, enterprise, county_enterprise, city_bureau, county_bureau, limit, django_assert_num_queries
):
    """``needs_first_each`` (one UNION ALL of the four lists' first ids, one row query) against each list cut plainly;
    a need new and overdue is on two lists."""
    day = today()
    _inbox_needs(enterprise, county_enterprise, city_bureau, county_bureau, day)
    for user in (manager, county_manager):
        lists = {
            "accept": inbox_to_accept(user=user),
            "assign": inbox_to_assign(user=user),
            "overdue": inbox_overdue(user=user, today=day),
            "supervised": needs_supervised(user=user, today=day),
        }
        expected = {key: list(needs[:limit]) for key, needs in lists.items()}
        assert all(expected.values())
        if limit == 50:  # every row: a new need past its deadline is on two lists
            assert set(expected["accept"]) & set(expected["overdue"] + expected["supervised"])
        with django_assert_num_queries(2):
            first = needs_first_each(lists, limit, related=("enterprise", "project"))
        assert first == expected
        assert all(need.enterprise.name for needs in first.values() for need in needs)  # joined in, no query
    manager.bureau_id = None  # owns nothing: every list is ``none()``, nothing to read
    lists = {"accept": inbox_to_accept(user=manager), "supervised": needs_supervised(user=manager, today=day)}
    with django_assert_num_queries(0):
        assert needs_first_each(lists, 5) == {"accept": [], "supervised": []}


def test_needs_first_each_refuses_an_ordering_it_cannot_sort(manager, need):
    with pytest.raises(ValueError, match="ascending"):
        needs_first_each({"late": inbox_to_accept(user=manager).order_by("-created_at", "-id")}, 5)

"""The dashboard's aggregates (crm/selectors/dashboard.py) against a straightforward Python computation over the
same rows, on a seeded mix of enterprises, visits, needs, extensions and matches: every period and region
variant, the county manager's scope, and the query budget. Times sit on both sides of local midnight so that a
wrong time zone or a wrong text comparison shows."""

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from crm.choices import (
    OPEN_NEED_STATUSES,
    EnterpriseStatus,
    ExtensionStatus,
    MatchStatus,
    NeedCategory,
    NeedStatus,
    Satisfaction,
    VisitFlag,
)
from crm.models import Enterprise, ExtensionRequest, Holiday, Need, PolicyMatch, Region, Visit
from crm.selectors.dashboard import dashboard_kpis, period_parse
from crm.selectors.needs import answer_workdays_mismatches
from crm.services.needs import (
    need_accept,
    need_answer,
    need_assign,
    need_create,
    need_reopen,
    need_return_visit,
    need_start,
    need_transfer,
    needs_answer_workdays_fill,
)
from crm.workdays import workdays_between
from tests.factories import credit_code
from tests.policy_helpers import make_policy

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")
CITY, COUNTY = "320812", "320831"
TIMES = ("00:30", "09:00", "15:59", "16:00", "23:30")  # 16:00 local is 08:00 UTC; 00:30 local is the day before in UTC


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(rng.choice(TIMES)), tzinfo=SHANGHAI)


def _day(rng: random.Random, back: int = 400, ahead: int = 0) -> dt.date:
    return TODAY + dt.timedelta(days=rng.randint(-back, ahead))


@pytest.fixture
def mix(regions, city_bureau, county_bureau, officer, manager, county_officer):
    """12 enterprises (8 city, 4 county), 45 visits, 60 needs with every status and clock field, extensions,
    matches and two holidays, drawn from a fixed seed."""
    rng = random.Random(18)
    Holiday.objects.create(date=dt.date(2026, 5, 1), is_workday=False, name="劳动节")
    Holiday.objects.create(date=dt.date(2026, 4, 26), is_workday=True, name="调休")
    enterprises = []
    for i in range(12):
        county = i >= 8
        enterprises.append(
            Enterprise.objects.create(
                name=f"参照企业{i}",
                credit_code=credit_code(500 + i, COUNTY if county else CITY),
                region=regions[COUNTY if county else CITY],
                bureau=county_bureau if county else city_bureau,
                is_linked=i % 3 == 0,
                is_assisted=i % 4 == 1,
                status=EnterpriseStatus.CLOSED if i == 6 else EnterpriseStatus.OPERATING,
            )
        )
    staff = [officer, manager, county_officer]
    for i in range(45):
        day = _day(rng, back=420) if i % 5 else TODAY - dt.timedelta(days=i % 3)  # some on the same day
        visit = Visit.objects.create(
            enterprise=enterprises[i % 11],  # the last enterprise is never visited
            visited_on=day,
            q_needs="问需",
            flag=rng.choice([VisitFlag.GREEN, VisitFlag.YELLOW, VisitFlag.RED]),
            lead=rng.choice([*staff, None]),
        )
        visit.officers.set(rng.sample(staff, rng.randint(0, 2)))
    statuses, categories = list(NeedStatus.values), list(NeedCategory.values)
    satisfactions = ["", *Satisfaction.values]
    for i in range(60):
        status = statuses[i % len(statuses)]
        created = _day(rng, back=500, ahead=-1)
        answered = _at(created + dt.timedelta(days=rng.randint(-2, 40)), rng) if i % 4 else None
        due_on = created + dt.timedelta(days=rng.randint(0, 40)) if i % 6 else None
        need = Need.objects.create(
            enterprise=enterprises[rng.randrange(12)],
            category=rng.choice(categories),
            title=f"参照诉求{i}",
            status=status,
            bureau=city_bureau if i % 5 else county_bureau,
            created_by=rng.choice(staff),
            due_on=due_on,
            original_due_on=due_on - dt.timedelta(days=rng.randint(0, 5)) if due_on and i % 3 else due_on,
            accept_due_on=created + dt.timedelta(days=rng.randint(0, 3)) if i % 7 else None,
            accepted_at=_at(created + dt.timedelta(days=rng.randint(0, 5)), rng) if status != NeedStatus.NEW else None,
            assigned_at=_at(created + dt.timedelta(days=rng.randint(0, 6)), rng) if i % 3 else None,
            answered_at=answered,
            closed_at=_at(due_on + dt.timedelta(days=rng.randint(-2, 2)), rng)
            if status == NeedStatus.CLOSED and due_on
            else (_at(created + dt.timedelta(days=9), rng) if status == NeedStatus.CLOSED else None),
            satisfaction=rng.choice(satisfactions),
            rated_by_enterprise=rng.random() < 0.4,
        )
        Need.objects.filter(pk=need.pk).update(created_at=_at(created, rng))
        if i % 4 == 0:
            ExtensionRequest.objects.create(
                need=need,
                requested_due_on=TODAY,
                reason="延期",
                status=rng.choice(ExtensionStatus.values),
            )
    policy = make_policy()
    for i, enterprise in enumerate(enterprises):
        status = MatchStatus.values[i % len(MatchStatus.values)]
        amount = Decimal(f"{10 + i}.25") if status == MatchStatus.GRANTED else None
        PolicyMatch.objects.create(policy=policy, enterprise=enterprise, status=status, granted_amount=amount)
    needs_answer_workdays_fill()  # the dates were written directly, not by the transitions that keep the count
    return enterprises


def _local(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(moment, SHANGHAI).date() if moment else None


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _average_days(pairs):
    pairs = list(pairs)
    if not pairs:
        return {"answered": 0, "average": None}
    total = sum(max(workdays_between(start=start, end=end), 0) for start, end in pairs)
    return {"answered": len(pairs), "average": round(total / len(pairs), 1)}


def reference(*, user, period: str | None, region: str | None) -> dict:
    """The figures computed one row at a time in Python, over what ``visible_to`` lets ``user`` read."""
    _label, start, end = period_parse(period, today=TODAY)
    until = min(end, TODAY)

    def scoped(model, region_of):
        rows = list(model.objects.visible_to(user))
        return [row for row in rows if region is None or region_of(row) == region]

    needs = scoped(Need, lambda n: n.enterprise.region_id)
    visits = scoped(Visit, lambda v: v.enterprise.region_id)
    enterprises = scoped(Enterprise, lambda e: e.region_id)
    matches = scoped(PolicyMatch, lambda m: m.enterprise.region_id)
    approved = set(ExtensionRequest.objects.filter(status=ExtensionStatus.APPROVED).values_list("need_id", flat=True))
    opened = [n for n in needs if n.status in OPEN_NEED_STATUSES]
    overdue = [n for n in opened if n.due_on and n.due_on < TODAY]
    closed_dated = [n for n in needs if n.status == NeedStatus.CLOSED and n.due_on and n.closed_at]
    settled = [
        n
        for n in needs
        if n.accept_due_on and (n.accepted_at or (n.status == NeedStatus.NEW and n.accept_due_on < TODAY))
    ]
    closed = [n for n in needs if n.status == NeedStatus.CLOSED and n.closed_at]
    closed_original = [n for n in closed if n.original_due_on]
    closed_extended = [n for n in closed if n.due_on]
    with_deadline = [n for n in needs if n.original_due_on]
    rated = Counter(n.satisfaction for n in needs if n.satisfaction)
    own = [n for n in needs if n.satisfaction and n.rated_by_enterprise]
    good = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)
    year_start = dt.date(TODAY.year, 1, 1)
    answered_this_year = [
        n for n in needs if n.answered_at and n.assigned_at and year_start <= _local(n.answered_at) <= TODAY
    ]
    month_starts = [dt.date(2025 + (5 + m) // 12, (5 + m) % 12 + 1, 1) for m in range(12)]  # 2025-06 … 2026-05
    latest = {}
    for v in sorted(visits, key=lambda v: (v.visited_on, v.pk)):
        latest[v.enterprise_id] = v
    flagged = [v for v in latest.values() if v.flag in (VisitFlag.RED, VisitFlag.YELLOW)]
    flagged.sort(key=lambda v: (v.flag != VisitFlag.RED, -v.visited_on.toordinal(), -v.pk))
    targets = [e for e in enterprises if (e.is_linked or e.is_assisted) and e.status == EnterpriseStatus.OPERATING]
    visited_in_period = {v.enterprise_id for v in visits if start <= v.visited_on <= until}
    recent = {v.enterprise_id for v in visits if v.visited_on > TODAY - dt.timedelta(days=90)}
    counties = []
    for code in Region.objects.order_by("sort_order", "code").values_list("code", flat=True):
        row = {
            "region": code,
            "enterprises": sum(e.region_id == code for e in enterprises),
            "visits": sum(v.enterprise.region_id == code and start <= v.visited_on <= until for v in visits),
            "open_needs": sum(n.enterprise.region_id == code for n in opened),
            # As the selector has it: overdue at the end of the period (today for the current one).
            "overdue_needs": sum(
                n.enterprise.region_id == code and bool(n.due_on and n.due_on < until) for n in opened
            ),
        }
        if row["enterprises"] or row["visits"] or row["open_needs"]:
            counties.append(row)
    granted = [m for m in matches if m.status == MatchStatus.GRANTED]
    return {
        "needs": {
            "total": len(needs),
            "open": len(opened),
            "overdue": len(overdue),
            "by_status": dict(Counter(n.status for n in needs)),
            "by_category": dict(Counter(n.category for n in needs)),
        },
        "on_time": {
            "closed": len(closed_dated),
            "on_time": sum(_local(n.closed_at) <= (n.original_due_on or n.due_on) for n in closed_dated),
        },
        "satisfaction": {
            "rated": sum(rated.values()),
            **{value: rated[value] for value in Satisfaction.values},
            "enterprise": {
                "rated": len(own),
                "percent": _percent(sum(n.satisfaction in good for n in own), len(own)),
            },
        },
        "clock": {
            "accepted_on_time": [
                sum(bool(n.accepted_at) and _local(n.accepted_at) <= n.accept_due_on for n in settled),
                len(settled),
            ],
            "closed_on_time_original": [
                sum(_local(n.closed_at) <= n.original_due_on for n in closed_original),
                len(closed_original),
            ],
            "closed_on_time_extended": [
                sum(_local(n.closed_at) <= n.due_on for n in closed_extended),
                len(closed_extended),
            ],
            "extended": [sum(n.pk in approved for n in with_deadline), len(with_deadline)],
            "answer_days": _average_days((_local(n.created_at), _local(n.answered_at)) for n in needs if n.answered_at),
        },
        "answer_days": _average_days((_local(n.assigned_at), _local(n.answered_at)) for n in answered_this_year),
        "policies": {
            "pushed": sum(m.status != MatchStatus.SUGGESTED for m in matches),
            "applying": sum(m.status == MatchStatus.APPLYING for m in matches),
            "granted": len(granted),
            "granted_amount": str(sum((m.granted_amount for m in granted), Decimal(0)).quantize(Decimal("0.01"))),
        },
        "visits_per_month": [
            sum(
                s <= v.visited_on <= TODAY and (v.visited_on.year, v.visited_on.month) == (s.year, s.month)
                for v in visits
            )
            for s in month_starts
        ],
        "counties": counties,
        "red_flags": [v.pk for v in flagged[:10]],
        "coverage": {
            "total": len(targets),
            "visited": sum(e.pk in visited_in_period for e in targets),
            "stale": sum(e.pk not in recent for e in targets),
        },
    }


def computed(kpis: dict) -> dict:
    """The same keys out of ``dashboard_kpis``."""
    clock = kpis["clock"]
    return {
        "needs": {
            **{key: kpis["needs"][key] for key in ("total", "open", "overdue")},
            "by_status": {r["status"]: r["count"] for r in kpis["needs"]["by_status"] if r["count"]},
            "by_category": {r["category"]: r["count"] for r in kpis["needs"]["by_category"] if r["count"]},
        },
        "on_time": {key: kpis["on_time"][key] for key in ("closed", "on_time")},
        "satisfaction": {key: kpis["satisfaction"][key] for key in ("rated", "enterprise", *Satisfaction.values)},
        "clock": {
            **{
                key: [clock[key]["count"], clock[key]["total"]]
                for key in ("accepted_on_time", "closed_on_time_original", "closed_on_time_extended", "extended")
            },
            "answer_days": clock["answer_days"],
        },
        "answer_days": kpis["answer_days"],
        "policies": kpis["policies"],
        "visits_per_month": kpis["charts"]["visits_per_month"]["data"],
        "counties": [{k: v for k, v in row.items() if k != "name"} for row in kpis["counties"]],
        "red_flags": [row["visit"] for row in kpis["red_flags"]],
        "coverage": {
            "total": kpis["coverage"]["total"],
            "visited": kpis["coverage"]["visited"],
            "stale": kpis["not_visited"]["count"],
        },
    }


@pytest.mark.parametrize(
    ("who", "period", "region"),
    [
        ("leader", None, None),
        ("leader", "2026-04", None),
        ("leader", "2025", None),
        ("leader", "2025Q4", COUNTY),
        ("leader", None, CITY),
        ("county_manager", None, None),
        ("county_manager", "2026", COUNTY),
    ],
)
def test_the_figures_equal_a_row_by_row_computation(mix, who, period, region, request):
    user = request.getfixturevalue(who)
    expected = reference(user=user, period=period, region=region)
    assert computed(dashboard_kpis(user=user, today=TODAY, fresh=True, period=period, region=region)) == expected
    # The fixture exercises what it means to: these figures are not all zero.
    assert expected["needs"]["total"] and expected["on_time"]["closed"] and expected["clock"]["answer_days"]["answered"]
    if region is None and who == "leader":
        assert expected["clock"]["extended"][0] and expected["red_flags"] and expected["answer_days"]["answered"]


def test_the_county_manager_counts_its_county_only(mix, county_manager):
    kpis = dashboard_kpis(user=county_manager, today=TODAY, fresh=True)
    visible = Need.objects.visible_to(county_manager)
    assert kpis["needs"]["total"] == visible.count() < Need.objects.count()
    # Needs transferred to the county bureau count under their own region; nothing else outside the county does.
    assert all(row["enterprises"] == row["visits"] == 0 for row in kpis["counties"] if row["region"] != COUNTY)
    assert (
        Visit.objects.filter(pk__in=[row["visit"] for row in kpis["red_flags"]])
        .exclude(enterprise__region_id=COUNTY)
        .count()
        == 0
    )


def test_the_reference_sees_a_wrong_local_date(mix, leader):
    """A need closed at 00:30 local time the day after its deadline is late, though its UTC date is the deadline:
    the reference and the dashboard agree on it, and the UTC date would not."""
    need = Need.objects.filter(status=NeedStatus.CLOSED, due_on__isnull=False).order_by("pk").first()
    late = dt.datetime.combine(need.due_on + dt.timedelta(days=1), dt.time(0, 30), tzinfo=SHANGHAI)
    Need.objects.filter(pk=need.pk).update(closed_at=late, original_due_on=need.due_on)
    assert late.astimezone(dt.UTC).date() == need.due_on
    expected = reference(user=leader, period=None, region=None)
    kpis = dashboard_kpis(user=leader, today=TODAY, fresh=True)
    assert kpis["on_time"]["on_time"] == expected["on_time"]["on_time"]
    Need.objects.filter(pk=need.pk).update(closed_at=late - dt.timedelta(hours=1))  # 23:30 on the deadline
    assert dashboard_kpis(user=leader, today=TODAY, fresh=True)["on_time"]["on_time"] == kpis["on_time"]["on_time"] + 1


def test_the_query_budget_holds_for_every_variant(mix, leader, django_assert_max_num_queries):
    # 28: 预警企业 reads red, then yellow while fewer than the limit are red (crm.selectors.watch).
    for period, region in ((None, None), ("2025", COUNTY)):
        with django_assert_max_num_queries(28):
            dashboard_kpis(user=leader, today=TODAY, fresh=True, period=period, region=region)


def test_on_time_closure_without_a_first_deadline_or_without_a_due_date(mix, leader):
    """On-time closure is computed from the clock's counts plus the closed needs that lack a first deadline
    (``original_due_on``) or a due date: needs of both kinds, on time and late, still equal the row-by-row figure."""
    enterprise = mix[0]
    day = TODAY - dt.timedelta(days=30)
    for index, (due_on, original_due_on, late) in enumerate(
        [(day, None, False), (day, None, True), (None, day, False), (None, day, True)]
    ):
        closed_at = dt.datetime.combine(day + dt.timedelta(days=late), dt.time(0, 30), tzinfo=SHANGHAI)
        Need.objects.create(
            enterprise=enterprise,
            category=NeedCategory.values[0],
            title=f"边界诉求{index}",
            bureau=enterprise.bureau,
            status=NeedStatus.CLOSED,
            due_on=due_on,
            original_due_on=original_due_on,
            closed_at=closed_at,
        )
    expected = reference(user=leader, period=None, region=None)
    kpis = dashboard_kpis(user=leader, today=TODAY, fresh=True)
    assert computed(kpis)["on_time"] == expected["on_time"]
    assert computed(kpis)["clock"] == expected["clock"]
    undated = Need.objects.filter(title__startswith="边界诉求", due_on__isnull=True)
    assert undated.count() == 2  # closed without a due date: not in on-time closure, in the clock's original rate


def test_holiday_changes_keep_the_stored_working_days(mix, leader):
    """Days off and make-up days added inside the needs' intervals, moved, switched and removed: every stored count
    still equals the calendar's (the oracle), and the dashboard's averages still equal the row-by-row ones."""
    assert answer_workdays_mismatches() == []

    def stored():
        return list(Need.objects.order_by("pk").values_list("answer_workdays", "answer_workdays_assigned"))

    before = stored()
    added = [Holiday.objects.create(date=dt.date(2026, 3, 4), is_workday=False, name="假日")]  # a Wednesday off
    assert stored() != before  # the fixture has needs across it
    added += [
        Holiday.objects.create(date=dt.date(2026, 3, 7), is_workday=True, name="调休"),  # a Saturday worked
        Holiday.objects.create(date=dt.date(2026, 3, 8), is_workday=False, name="周日"),  # a Sunday off: no change
    ]
    assert answer_workdays_mismatches() == []
    added[0].date = dt.date(2026, 3, 11)  # moved to the next Wednesday
    added[0].save()
    added[1].is_workday = False  # the Saturday is a day off after all
    added[1].save()
    Holiday.objects.filter(date=dt.date(2026, 5, 1)).delete()  # the fixture's 劳动节, through the queryset
    assert answer_workdays_mismatches() == []
    expected = reference(user=leader, period=None, region=None)
    kpis = computed(dashboard_kpis(user=leader, today=TODAY, fresh=True))
    assert (kpis["answer_days"], kpis["clock"]["answer_days"]) == (
        expected["answer_days"],
        expected["clock"]["answer_days"],
    )
    for holiday in Holiday.objects.all():
        holiday.delete()
    assert answer_workdays_mismatches() == []


def test_transferred_and_reopened_needs_through_the_services(
    mix, leader, county_manager, officer, manager, handler, lead_department, county_bureau
):
    """Needs moved by the real transitions: answered then reopened (answered, no assignment any more), reopened
    and assigned again after the answer, transferred after acceptance (new again, accepted before). The figures
    still equal the row-by-row ones, for the city and for the county that received the transfer."""
    enterprise = mix[0]

    def fresh(title):
        return need_create(user=officer, enterprise=enterprise, category=NeedCategory.values[0], title=title)

    def answered(need):
        need = need_accept(need=need, user=manager, version=need.version)
        need = need_assign(need=need, user=manager, version=need.version, lead_department=lead_department)
        need = need_start(need=need, user=handler, version=need.version)
        need = need_answer(need=need, user=handler, version=need.version, resolution="已办理")
        return need_return_visit(need=need, user=officer, version=need.version, satisfaction=Satisfaction.SATISFIED)

    reopened = answered(fresh("重开诉求"))
    need_reopen(need=reopened, user=manager, version=reopened.version, reason="企业再次反映")
    again = answered(fresh("再次交办诉求"))
    again = need_reopen(need=again, user=manager, version=again.version, reason="企业再次反映")
    need_assign(need=again, user=manager, version=again.version, lead_department=lead_department)
    moved = fresh("转办诉求")
    moved = need_accept(need=moved, user=manager, version=moved.version)
    need_transfer(need=moved, user=manager, version=moved.version, bureau=county_bureau.pk)
    assert answer_workdays_mismatches() == []
    for user, region in ((leader, None), (county_manager, None), (leader, COUNTY)):
        expected = reference(user=user, period=None, region=region)
        assert computed(dashboard_kpis(user=user, today=TODAY, fresh=True, region=region)) == expected

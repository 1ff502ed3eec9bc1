"""Leaders' dashboard (DESIGN §8.5): KPIs of the user's scope, computed with a fixed number of aggregate queries.

``dashboard_kpis(user=…)`` returns one JSON-ready dict used by the page and by ``GET /api/v1/dashboard/``.
Every read goes through ``visible_to(user)``; nothing loops over rows in Python. The working days to answer are
the needs' stored ``answer_workdays`` (kept on the holiday calendar by the need services), summed.

Definitions:

- periods: "this quarter" is the calendar quarter of ``today`` up to ``today``; "this year" likewise;
- coverage: linked or assisted enterprises that are operating, visited at least once this quarter / all;
- not visited: those same enterprises with no visit in the last ``STALE_DAYS`` days (never visited first);
- overdue needs: open needs (new … in progress) whose ``due_on`` is before today;
- on-time closure rate: closed needs with a due date whose ``closed_at`` (local date) ≤ ``original_due_on``
  (else ``due_on``) / closed needs with a due date; ``clock`` adds the rates of §11.4 (``need_clock_kpis``);
- average working days to answer: ``assigned_at`` → ``answered_at`` of the needs answered this year;
- satisfaction rate: (satisfied + basically satisfied) / rated needs;
- policies: matches pushed (any status after "suggested"), applying, granted, and the amount granted (万元);
- per officer (active users with the officer role in the user's bureau): visits this quarter as lead or
  member, needs they recorded this quarter, their open and overdue action items;
- per county (region of the enterprise, else of the project): enterprises, visits this quarter, open and
  overdue needs; regions with nothing to count are left out;
- funnel: needs that reached each stage of new → accepted → assigned → in progress → answered → closed
  (a need counts at its current stage and every stage before; rejected needs count as received only).

Rates are percentages (float, one decimal) or None when there is nothing to divide by; money is a string
with two decimals (as every money field of the API); dates are ``datetime.date``.
"""

import datetime as dt
import re
import time
from collections import defaultdict
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import get_language

from crm.choices import (
    OPEN_NEED_STATUSES,
    TOLD_STATUSES,
    EnterpriseStatus,
    ExtensionStatus,
    MatchStatus,
    NeedCategory,
    NeedStatus,
    Role,
    Satisfaction,
)
from crm.models import (
    ActionItem,
    ActivityParticipant,
    Enterprise,
    ExtensionRequest,
    Need,
    PolicyMatch,
    Region,
    User,
    Visit,
)
from crm.models.engagement import OTHERS_Q
from crm.querysets import overdue_q
from crm.selectors.cadence import cadence_coverage
from crm.selectors.programmes import programme_kpis
from crm.selectors.watch import red_flag_visits
from crm.workdays import fixed_offset, local_date

STALE_DAYS = 90
STALE_LIST_LIMIT = 10
MONTHS = 12
FUNNEL = (
    NeedStatus.NEW,
    NeedStatus.ACCEPTED,
    NeedStatus.ASSIGNED,
    NeedStatus.IN_PROGRESS,
    NeedStatus.ANSWERED,
    NeedStatus.CLOSED,
)

CACHE_SECONDS = 300


def _rows(*, filter: Q) -> Count:
    """``COUNT(1) FILTER (WHERE filter)``: the rows meeting a condition. Like ``COUNT(*)`` (Django refuses a filter
    on it) it names no column, so PostgreSQL may answer from an index that lacks the primary key (``COUNT(id)``
    made it read the table)."""
    return Count(Value(1), filter=filter)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _month_start(day: dt.date, back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _day_start(day: dt.date) -> dt.datetime:
    """The aware datetime at local midnight of ``day``."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _local_date_lte(field: str, day, *, today: dt.date):
    """``local date of the datetime column field <= day`` (a date expression), as a condition.

    On SQLite with a fixed offset east of UTC (Asia/Shanghai) the stored UTC text is compared with the moment the
    next local day starts, ``day || ' 16:00:00'`` (text order is time order): no date parsing per row, which
    was a third of the needs' aggregate. Elsewhere, the local date itself (``local_date``).
    """
    day = F(day) if isinstance(day, str) else day
    seconds = fixed_offset(today) if connection.vendor == "sqlite" else None
    if seconds is None or not 0 <= seconds < 86400:
        return Q(LessThanOrEqual(local_date(field, today=today), day))
    # Local midnight after ``day`` is ``day`` + (24 h - offset) in UTC; 24:00:00 sorts after every time of ``day``.
    hours, rest = divmod(86400 - seconds, 3600)
    threshold = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return Q(
        Func(
            F(field),
            day,
            arg_joiner=" < ",
            template=f"(%(expressions)s || ' {threshold}')",
            output_field=BooleanField(),
        )
    )


def _count_subquery(queryset) -> Subquery:
    """``(SELECT COUNT(*) …)`` of a correlated queryset, as an integer annotation."""
    counted = queryset.order_by().annotate(_n=Func(F("pk"), function="COUNT")).values("_n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _targets(user):
    """Linked or assisted operating enterprises in scope: the ones the programme must visit."""
    return Enterprise.objects.visible_to(user).filter(
        Q(is_linked=True) | Q(is_assisted=True), status=EnterpriseStatus.OPERATING
    )


def _coverage(
    user, *, quarter_start: dt.date, today: dt.date, stale_cutoff: dt.date, until: dt.date | None = None
) -> tuple[dict, dict]:
    """Coverage in the period (``quarter_start`` … ``until``, by default this quarter) and the enterprises not
    visited for ``STALE_DAYS`` days (2 queries). An activity that counts as a visit counts for its participants."""
    until = until or today
    in_quarter = Visit.objects.filter(enterprise=OuterRef("pk"), visited_on__gte=quarter_start, visited_on__lte=until)
    at_activity = ActivityParticipant.objects.filter(
        enterprise=OuterRef("pk"),
        activity__counts_as_visit=True,
        activity__held_on__gte=quarter_start,
        activity__held_on__lte=until,
    )
    recent = Visit.objects.filter(enterprise=OuterRef("pk"), visited_on__gt=stale_cutoff)
    totals = _targets(user).aggregate(
        total=Count("*"), visited=_rows(filter=Q(Exists(in_quarter)) | Q(Exists(at_activity)))
    )
    # The latest visit as a subquery (one step down the enterprise's visit index), not MAX over a join: that
    # grouped by every enterprise column, so SQLite read every operating enterprise's row (~40 ms -> ~5 ms).
    latest = Visit.objects.filter(enterprise=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
    # The stale enterprises' count as a window over the list's rows (computed before the LIMIT): each target is
    # tested for a recent visit once, here, not a second time in the totals above.
    stale_rows = list(
        _targets(user)
        .filter(~Q(Exists(recent)))
        .annotate(last_visit=Subquery(latest), stale=Window(Count("*")))
        .order_by(F("last_visit").asc(nulls_first=True), "name", "pk")
        .values("id", "name", "region_id", "region__name", "is_linked", "is_assisted", "last_visit", "stale")[
            :STALE_LIST_LIMIT
        ]
    )
    enterprises = [
        {
            "id": row["id"],
            "name": row["name"],
            "region": row["region_id"],
            "region_name": row["region__name"],
            "is_linked": row["is_linked"],
            "is_assisted": row["is_assisted"],
            "last_visit": row["last_visit"],
            "days_since": (today - row["last_visit"]).days if row["last_visit"] else None,
        }
        for row in stale_rows
    ]
    coverage = {
        "total": totals["total"],
        "visited": totals["visited"],
        "percent": _percent(totals["visited"], totals["total"]),
    }
    stale = stale_rows[0]["stale"] if stale_rows else 0
    return coverage, {"days": STALE_DAYS, "count": stale, "enterprises": enterprises}


SATISFIED_VALUES = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)


def _needs(user, *, today: dt.date, year_start: dt.date, overdue: int) -> dict:
    """Counts by status and by category, on-time closure, satisfaction, the rates of the need clock with its answer
    days (since creation, of every answered need) and ``answer_days`` (since assignment, of this year's):
    ``_need_counts``, one grouped pass over the needs and a few small indexed queries. ``overdue``: the overdue
    needs of today, counted with the open needs per county (``_open_needs``)."""
    row = _need_counts(Need.objects.visible_to(user, region_subqueries=True), today=today, year_start=year_start)
    by_status, by_category = row["by_status"], row["by_category"]
    rated = sum(row[f"satisfaction_{value}"] for value in Satisfaction.values)
    satisfied = row[f"satisfaction_{Satisfaction.SATISFIED}"] + row[f"satisfaction_{Satisfaction.BASICALLY_SATISFIED}"]
    return {
        "total": sum(by_status.values()),
        "open": sum(by_status.get(value, 0) for value in OPEN_NEED_STATUSES),
        "overdue": overdue,
        "by_status": [
            {"status": value, "label": str(label), "count": by_status.get(value, 0)}
            for value, label in NeedStatus.choices
        ],
        "by_category": [
            {"category": value, "label": str(label), "count": by_category.get(value, 0)}
            for value, label in NeedCategory.choices
        ],
        "on_time": {
            "closed": row["closed_extended"],
            "on_time": row["on_time"],
            "percent": _percent(row["on_time"], row["closed_extended"]),
        },
        "satisfaction": {
            "rated": rated,
            **{value: row[f"satisfaction_{value}"] for value in Satisfaction.values},
            "percent": _percent(satisfied, rated),
            "enterprise": {"rated": row["own_rated"], "percent": _percent(row["own_satisfied"], row["own_rated"])},
            "staff": {
                "rated": rated - row["own_rated"],
                "percent": _percent(satisfied - row["own_satisfied"], rated - row["own_rated"]),
            },
        },
        "clock": _clock_rates(row),
        "answer_days": _answer_days(row, "year"),
    }


def _boolean(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


NEED_FLAGS = (
    "no_first_due",
    "no_due",
    "not_closed",
    "no_accept_due",
    "not_accepted",
    "not_answered",
    "closed_by_first_due",
    "closed_by_due",
    "accepted_by_due",
)


def need_group_keys(*, today: dt.date) -> dict:
    """The expression the needs are grouped by in ``_need_counts``, besides status, satisfaction,
    rated_by_enterprise and category: ``need_flags``, bit ``i`` set when ``NEED_FLAGS[i]`` holds (which dates are
    set, and the three deadline comparisons; a comparison with a missing date does not hold). One integer rather
    than nine keys: SQLite compares one value per need to find the groups' edges, PostgreSQL hashes one.

    The bits are written in SQL with their values inline (``CASE WHEN … THEN 4 ELSE 0 END``, no parameters): on
    SQLite the index ``crm_need_kpi_idx`` (migration 0030) holds the same expression, which SQLite matches term by
    term, so that the GROUP BY streams from it instead of sorting every need. On PostgreSQL the index of that name
    holds the same expression after the four grouped columns (0032), and the columns it is computed from (an
    index-only scan needs them): the needs are aggregated in the index's order instead of hashed. Both hold the
    summed working days."""
    conditions = {
        "no_first_due": Q(original_due_on__isnull=True),
        "no_due": Q(due_on__isnull=True),
        "not_closed": Q(closed_at__isnull=True),
        "no_accept_due": Q(accept_due_on__isnull=True),
        "not_accepted": Q(accepted_at__isnull=True),
        "not_answered": Q(answered_at__isnull=True),
        "closed_by_first_due": _local_date_lte("closed_at", "original_due_on", today=today),
        "closed_by_due": _local_date_lte("closed_at", "due_on", today=today),
        "accepted_by_due": _local_date_lte("accepted_at", "accept_due_on", today=today),
    }
    bits = [
        Func(
            _boolean(conditions[name]),
            template=f"CASE WHEN %(expressions)s THEN {1 << index} ELSE 0 END",
            output_field=IntegerField(),
        )
        for index, name in enumerate(NEED_FLAGS)
    ]
    return {"need_flags": Func(*bits, template="(%(expressions)s)", arg_joiner=" + ", output_field=IntegerField())}


def _need_flags(flags: int) -> dict[str, bool]:
    """``need_flags`` unpacked: ``{name: holds}`` for each of ``NEED_FLAGS``."""
    return {name: bool(flags >> index & 1) for index, name in enumerate(NEED_FLAGS)}


NEED_GROUP_FIELDS = ("status", "satisfaction", "rated_by_enterprise", "category")
NEED_COUNTS = (
    *(f"satisfaction_{value}" for value in Satisfaction.values),
    "own_rated",
    "own_satisfied",
    "closed_original",
    "on_time_original",
    "closed_extended",
    "on_time_extended",
    "on_time",
    "accept_settled",
    "accept_on_time",
    "with_deadline",
    "clock_answered",
)


def _need_counts(needs, *, today: dt.date, year_start: dt.date | None = None) -> dict:
    """Every count of the needs' KPIs (``_needs``, ``need_clock_kpis``) over ``needs`` (a scoped queryset).

    The needs are grouped ONCE by the few values the counts depend on (``need_group_keys``: a few hundred groups)
    and the counts are sums over the groups, here: each need is read and compared once, where ~20 conditional
    counts tested it ~20 times; the answered needs' stored working days are summed in the same pass (and this
    year's, with ``year_start``). What depends on ``today`` or another table is read apart, each from an index: the
    new needs not accepted by a past deadline, the needs with an approved extension (few), and with ``year_start``
    (the dashboard, for the whole city on SQLite) the answered needs of this year.

    - on-time closure (``on_time`` of ``closed_extended``): closed needs with a due date, compared with their first
      deadline (DESIGN §11.4: an approved extension does not make a late need on time), else with their due date;
    - the clock's rates (``need_clock_kpis``) and its answer days: the stored ``answer_workdays`` summed.
    """
    needs = needs.order_by()
    keys = need_group_keys(today=today)
    # The answered needs' stored working days are summed in the same pass (per group; the groups split answered
    # from unanswered needs), this year's with ``year_start``: the index holds those columns too.
    sums = {"days": Sum("answer_workdays")}
    this_year = _answered_this_year(year_start=year_start, today=today) if year_start is not None else None
    # SQLite tests a FILTER's condition on every need of the pass (this year's two sums were ~40 ms of its ~130 for
    # the whole city at province scale): there the whole city's answered needs of this year are counted apart, a
    # range of crm_need_answered_scope_idx (~8 ms). A scope's needs (a county) are mostly left out before the
    # FILTER is tested, and that range would test the scope on each (~30 ms): kept in the pass, as on PostgreSQL,
    # whose parallel pass takes them for less than the statement apart would cost.
    year_apart = this_year is not None and connection.vendor == "sqlite" and not needs.query.has_filters()
    if this_year is not None and not year_apart:
        sums.update(year_n=_rows(filter=this_year), year_days=Sum("answer_workdays_assigned", filter=this_year))
    groups = needs.annotate(**keys).values(*NEED_GROUP_FIELDS, *keys).annotate(n=Count("*"), **sums)
    counts = dict.fromkeys(NEED_COUNTS, 0)
    counts.update(clock_days=0, year_answered=0, year_days=0)
    by_status, by_category = defaultdict(int), defaultdict(int)
    for group in groups:
        group.update(_need_flags(group["need_flags"]))
        n = group["n"]
        by_status[group["status"]] += n
        by_category[group["category"]] += n
        if group["satisfaction"]:
            counts[f"satisfaction_{group['satisfaction']}"] += n
            # The enterprise's own ratings (企业服务码, DESIGN §11.5) apart from those recorded by staff.
            if group["rated_by_enterprise"]:
                counts["own_rated"] += n
                counts["own_satisfied"] += n if group["satisfaction"] in SATISFIED_VALUES else 0
        closed = group["status"] == NeedStatus.CLOSED and not group["not_closed"]
        if closed and not group["no_first_due"]:
            counts["closed_original"] += n
            counts["on_time_original"] += n if group["closed_by_first_due"] else 0
        if closed and not group["no_due"]:
            counts["closed_extended"] += n
            counts["on_time_extended"] += n if group["closed_by_due"] else 0
            by_first = group["closed_by_first_due"] if not group["no_first_due"] else group["closed_by_due"]
            counts["on_time"] += n if by_first else 0
        if not group["no_accept_due"] and not group["not_accepted"]:
            counts["accept_settled"] += n
            counts["accept_on_time"] += n if group["accepted_by_due"] else 0
        counts["with_deadline"] += n if not group["no_first_due"] else 0
        if not group["not_answered"]:
            counts["clock_answered"] += n
            counts["clock_days"] += group["days"] or 0
        if this_year is not None and not year_apart:
            counts["year_answered"] += group["year_n"]
            counts["year_days"] += group["year_days"] or 0
    if year_apart:
        year = needs.filter(this_year).aggregate(n=Count("*"), days=Sum("answer_workdays_assigned"))
        counts["year_answered"], counts["year_days"] = year["n"], year["days"] or 0
    # A few needs each, from an index: the needs settled by being still new (not accepted) after the acceptance
    # deadline, those with an approved extension (read once, not probed per need).
    late = needs.filter(status=NeedStatus.NEW, accepted_at__isnull=True, accept_due_on__lt=today)
    counts["accept_settled"] += late.count()
    approved = ExtensionRequest.objects.filter(status=ExtensionStatus.APPROVED).values("need_id")
    counts["extended"] = needs.filter(original_due_on__isnull=False, pk__in=approved).count()
    return {**counts, "by_status": dict(by_status), "by_category": dict(by_category)}


def _answered_this_year(*, year_start: dt.date, today: dt.date) -> Q:
    """The needs answered this year (up to today) after an assignment: the dashboard's ``answer_days``."""
    return Q(
        answered_at__gte=_day_start(year_start),
        answered_at__lt=_day_start(today + dt.timedelta(days=1)),
        assigned_at__isnull=False,
    )


def _answer_days(row: dict, name: str) -> dict:
    """``{"answered": n, "average": working days, one decimal}`` of a series the aggregate counted and summed
    (``{name}_answered``, ``{name}_days``: the needs' stored ``answer_workdays``)."""
    answered = row[f"{name}_answered"]
    average = round((row[f"{name}_days"] or 0) / answered, 1) if answered else None
    return {"answered": answered, "average": average}


def _policies(user) -> dict:
    """Matches told to the enterprise by status in one grouped query (an index-only scan of (status,
    granted_amount)). Only the told statuses' ranges of the index are read: the suggestions (~30% of the
    matches at scale) were counted only to be subtracted again."""
    rows = {
        status: (n, amount)
        for status, n, amount in PolicyMatch.objects.visible_to(user)
        .filter(status__in=TOLD_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(n=Count("*"), amount=Sum("granted_amount"))
    }
    count = {status: n for status, (n, _) in rows.items()}
    amount = (rows.get(MatchStatus.GRANTED, (0, None))[1] or Decimal(0)).quantize(Decimal("0.01"))
    return {
        "pushed": sum(count.values()),
        "applying": count.get(MatchStatus.APPLYING, 0),
        "granted": count.get(MatchStatus.GRANTED, 0),
        "granted_amount": str(amount),
    }


def _officers(user, *, quarter_start: dt.date, today: dt.date) -> list[dict]:
    """The officers of the user's bureau with their counts (5 queries, merged here).

    Each count is one GROUP BY driven by this quarter's rows (or the open action items), so the cost follows
    the quarter's activity, not the number of officers times the size of the tables. A visit counts once
    per officer whether they were a member, the lead, or both: the visits they led (``crm_visit_lead_date_idx``)
    plus those they joined under another lead (or none), whose links are read for the few visits with an officer
    besides the lead only (``OTHERS_Q``, ``crm_visit_others_idx``). A county's scope is tested as
    ``visible_to(region_subqueries=True)`` (the visit's stored region, ``enterprise_id IN (…)``), not by joining
    every row to its enterprise and project: a county manager's officers of a year took ~100 ms (SQLite) and ~145 ms
    (PostgreSQL) at province scale, mostly those joins.
    """
    if not user.bureau_id:
        return []
    officers = list(
        User.objects.filter(bureau_id=user.bureau_id, is_active=True, groups__name=Role.OFFICER)
        .order_by("name", "username")
        .values("id", "username", "name", "first_name", "last_name")
    )
    if not officers:
        return []
    ids = [o["id"] for o in officers]
    officer_ids = set(ids)
    visits = Visit.objects.visible_to(user, region_subqueries=True).filter(
        visited_on__gte=quarter_start, visited_on__lte=today
    )
    n_visits = _grouped(visits.filter(lead_id__in=ids), "lead_id")
    # Joined, not led: the lead is another officer or nobody (0 matches no user, as in visit_officers_flag_refresh).
    # Read from the visits' side, one join to their links: the lead from the same index row (crm_visit_others_idx),
    # not each link's visit looked up again (PostgreSQL: ~17,700 -> ~9,800 buffers for the city's quarter). Every
    # such link of the period is counted and the officers' taken here (a row per person who joined a visit):
    # ``user_id IN (the officers)`` made SQLite probe each visit's links once per officer (~70 probes a visit).
    joined = visits.filter(OTHERS_Q).annotate(person=F("officers")).filter(~Q(person=Coalesce(F("lead_id"), Value(0))))
    for officer_id, n in _grouped(joined, "person").items():
        if officer_id in officer_ids:
            n_visits[officer_id] = n_visits.get(officer_id, 0) + n
    n_needs = _grouped(
        Need.objects.visible_to(user, region_subqueries=True).filter(
            created_by_id__in=ids,
            created_at__gte=_day_start(quarter_start),
            created_at__lt=_day_start(today + dt.timedelta(days=1)),
        ),
        "created_by_id",
    )
    # The open action items and, among them, the overdue (open and due before today) in one grouped statement.
    actions = {
        owner: (n, late)
        for owner, n, late in ActionItem.objects.visible_to(user, region_subqueries=True)
        .filter(owner_id__in=ids)
        .open()
        .order_by()
        .values_list("owner_id")
        .annotate(n=Count("*"), late=_rows(filter=Q(due_on__lt=today)))
    }
    return [
        {
            "id": o["id"],
            "name": o["name"] or f"{o['first_name']} {o['last_name']}".strip() or o["username"],
            "visits": n_visits.get(o["id"], 0),
            "needs_raised": n_needs.get(o["id"], 0),
            "actions_open": actions.get(o["id"], (0, 0))[0],
            "actions_overdue": actions.get(o["id"], (0, 0))[1],
        }
        for o in officers
    ]


def _liaison_coverage(user, *, region: str | None, today: dt.date) -> list[dict]:
    """Per liaison person (officers and leaders) against the cadence rules of the current periods: enterprises,
    visits required and done, met / due / missed (the cadence selector, one union query)."""
    rows = cadence_coverage(user=user, region=region, today=today)
    names = {
        u["id"]: u["name"] or u["username"]
        for u in User.objects.filter(pk__in={r["person_id"] for r in rows}).values("id", "name", "username")
    }
    return [
        {**row, "name": names.get(row["person_id"], ""), "percent": _percent(row["done"], row["required"])}
        for row in rows
    ]


def _brief(row) -> dict:
    return {"id": row.pk, "code": row.code, "title": row.title, "status": row.status}


def _red_flags(user, *, region: str | None) -> list[dict]:
    """预警企业: the latest visit red or yellow, with the open needs and actions answering it."""
    return [
        {
            "enterprise": visit.enterprise_id,
            "enterprise_name": visit.enterprise.name,
            "flag": visit.flag,
            "visit": visit.pk,
            "visit_code": visit.code,
            "visited_on": visit.visited_on,
            "note": visit.q_difficulties or visit.q_needs or visit.q_suggestions,
            "needs": [
                {"id": n.pk, "code": n.code, "title": n.title, "status": n.status} for n in visit.enterprise.open_needs
            ],
            "actions": [
                {"id": a.pk, "code": a.code, "title": a.title, "status": a.status}
                for a in visit.enterprise.open_actions
            ],
        }
        for visit in red_flag_visits(user=user, region=region)
    ]


def _grouped(queryset, field: str) -> dict[int, int]:
    """``{field value: row count}`` in one GROUP BY query."""
    rows = queryset.order_by().values(field).annotate(n=Count("*")).values_list(field, "n")
    return dict(rows)


def _open_needs(user, *, today: dt.date, until: dt.date) -> tuple[dict, int]:
    """The open needs per region of their enterprise, else of their project, with those overdue at ``until`` (the
    counties' table: the end of a past period), and the overdue needs of ``today`` (the needs' KPI), in one grouped
    query: the KPI is the groups' sum, not a second count of the open needs (a county's tested its scope again)."""
    counts = {"open": Count("*"), "overdue": _rows(filter=overdue_q(OPEN_NEED_STATUSES, until))}
    if until != today:
        counts["overdue_today"] = _rows(filter=overdue_q(OPEN_NEED_STATUSES, today))
    rows = {
        row["where"]: row
        for row in Need.objects.visible_to(user, region_subqueries=True)
        .open()
        .annotate(where=Coalesce("enterprise__region", "project__region"))
        .order_by()
        .values("where")
        .annotate(**counts)
    }
    return rows, sum(row.get("overdue_today", row["overdue"]) for row in rows.values())


def _counties(user, *, quarter_start: dt.date, today: dt.date, needs: dict) -> list[dict]:
    """Per region: enterprises, visits this quarter (2 grouped queries), open and overdue needs (``needs``: the
    rows of ``_open_needs``)."""
    regions = list(Region.objects.order_by("sort_order", "code").values_list("code", "name"))
    enterprises = dict(Enterprise.objects.visible_to(user).order_by().values_list("region").annotate(n=Count("*")))
    # By the visit's stored region (its enterprise's): no join to the enterprises. ``region IN (every region)``
    # (the rows of no region are not shown) lets PostgreSQL read one range of crm_visit_region_idx (region, date)
    # per region instead of the whole index tested against the dates (the city's quarter at province scale: ~48 ->
    # ~16 ms); SQLite, from its statistics, skipped through the regions already.
    visits = dict(
        Visit.objects.visible_to(user, region_subqueries=True)
        .filter(region__in=[code for code, _ in regions], visited_on__gte=quarter_start, visited_on__lte=today)
        .order_by()
        .values_list("region")
        .annotate(n=Count("*"))
    )
    rows = []
    for code, name in regions:
        need = needs.get(code, {})
        row = {
            "region": code,
            "name": name,
            "enterprises": enterprises.get(code, 0),
            "visits": visits.get(code, 0),
            "open_needs": need.get("open", 0),
            "overdue_needs": need.get("overdue", 0),
        }
        if row["enterprises"] or row["visits"] or row["open_needs"]:
            rows.append(row)
    return rows


def _visits_per_month(user, *, today: dt.date) -> dict:
    """Visits of each of the last ``MONTHS`` months: one query grouped by day (an index-only range scan of the
    visit dates, at most 366 rows), summed into months here."""
    starts = [_month_start(today, back) for back in range(MONTHS - 1, -1, -1)]
    per_day = (
        Visit.objects.visible_to(user, region_subqueries=True)
        .filter(visited_on__gte=starts[0], visited_on__lte=today)
        .order_by()
        .values_list("visited_on")
        .annotate(n=Count("*"))
    )
    months = {start: 0 for start in starts}
    for day, n in per_day:
        months[day.replace(day=1)] += n
    return {"labels": [start.strftime("%Y-%m") for start in starts], "data": list(months.values())}


def _funnel(by_status: list[dict]) -> dict:
    counts = {row["status"]: row["count"] for row in by_status}
    labels = dict(NeedStatus.choices)
    data = []
    for index, stage in enumerate(FUNNEL):
        reached = sum(counts[later] for later in FUNNEL[index:])
        if stage == NeedStatus.NEW:
            reached += counts[NeedStatus.REJECTED]
        data.append(reached)
    return {"stages": [str(s) for s in FUNNEL], "labels": [str(labels[s]) for s in FUNNEL], "data": data}


class PeriodError(ValueError):
    """A ``period`` that is not ``2026Q4``, ``2026-11`` or ``2026``."""


PERIOD_RE = re.compile(r"^(?P<year>\d{4})(?:Q(?P<quarter>[1-4])|-(?P<month>0[1-9]|1[0-2]))?$")


def period_parse(value: str | None, *, today: dt.date) -> tuple[str, dt.date, dt.date]:
    """``(label, first day, last day)`` of ``2026Q4``, ``2026-11`` or ``2026``; this quarter when empty."""
    value = (value or "").strip().upper()
    if not value:
        start = _quarter_start(today)
        value = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    match = PERIOD_RE.match(value)
    if not match or not 2000 <= int(match["year"]) <= 2100:
        raise PeriodError(value)
    year = int(match["year"])
    if match["quarter"]:
        start, months = dt.date(year, 3 * int(match["quarter"]) - 2, 1), 3
    elif match["month"]:
        start, months = dt.date(year, int(match["month"]), 1), 1
    else:
        start, months = dt.date(year, 1, 1), 12
    index = start.year * 12 + start.month - 1 + months
    end = dt.date(index // 12, index % 12 + 1, 1) - dt.timedelta(days=1)
    return value, start, end


class _RegionReader:
    """Reads as ``user`` narrowed to one region: ``visible_to`` of a county user of that region (its region
    lookups), and nothing by bureau or ownership. Only built for a region the user may see."""

    is_authenticated = True
    is_superuser = False
    sees_everything = False
    pk = id = -1  # matches no owner and no bureau (ids start at 1), yet counts as "has a bureau"
    bureau_id = -1

    def __init__(self, region: str):
        self.bureau = type("RegionBureau", (), {"region_id": region})()


def region_reader(user, region: str | None):
    """The reader of the KPIs: ``user``, or ``user`` narrowed to ``region`` (a county user's own region only)."""
    if not region:
        return user
    if not user.sees_everything and (not user.bureau_id or user.bureau.region_id != region):
        raise PeriodError(region)
    return _RegionReader(region)


def dashboard_kpis(
    *, user, today: dt.date | None = None, fresh: bool = False, period: str | None = None, region: str | None = None
) -> dict:
    """Every KPI of DESIGN §8.5 for ``user``'s scope, kept for ``CACHE_SECONDS``.

    ``period`` (``2026Q4``, ``2026-11``, ``2026``; default this quarter) sets the window of coverage, visits
    per officer and per county; ``region`` narrows everything to one region. ``PeriodError`` for bad values.

    At province scale the aggregates take most of a second; a leader's dashboard may be a few minutes old,
    so the result is cached per user, day and language (``fresh=True`` recomputes).
    """
    return _kept(user=user, today=today, fresh=fresh, period=period, region=region)[1]


def dashboard_shown(*, user, form: str, make, period: str | None = None, region: str | None = None):
    """``make(kpis)``: what a view shows of ``dashboard_kpis`` (``form`` names it: the page's body, the API's data),
    kept as long as the KPIs it was made from. A cached dashboard then reads that alone, not the KPIs again to
    render their ~3,000 values (the API's serializer: ~50,000 Python calls, ~15 ms of CPU a request).
    ``PeriodError`` as ``dashboard_kpis``."""
    today = timezone.localdate()
    label, _, _ = period_parse(period, today=today)
    region_reader(user, region)
    key = f"{_key(user=user, today=today, label=label, region=region)}:{form}"
    shown = cache.get(key)
    if shown is None:
        expires, kpis = _kept(user=user, today=today, period=period, region=region)
        shown = make(kpis)
        # Expires with the KPIs it shows: a form made late in their life is not kept beyond it.
        if (left := expires - time.time()) > 0:
            cache.set(key, shown, left)
    return shown


def _key(*, user, today: dt.date, label: str, region: str | None) -> str:
    return f"crm:dashboard:{user.pk}:{today.isoformat()}:{get_language()}:{label}:{region or ''}"


def _kept(*, user, today: dt.date | None, fresh: bool = False, period: str | None, region: str | None):
    """``(moment the cached KPIs expire, KPIs)`` (``dashboard_kpis``)."""
    today = today or timezone.localdate()
    label, start, end = period_parse(period, today=today)
    region_reader(user, region)  # refuses a region outside the user's scope before anything is cached
    if fresh:
        return time.time(), _dashboard_kpis(user=user, today=today, period=(label, start, end), region=region)

    def compute():
        # Taken before the KPIs are computed, so a bit before the entry set after them expires: a form kept with
        # this moment never outlives the KPIs it shows.
        expires = time.time() + CACHE_SECONDS
        return expires, _dashboard_kpis(user=user, today=today, period=(label, start, end), region=region)

    # Kept with the moment they expire (for dashboard_shown), under a key of its own: the entries of before held the
    # KPIs alone.
    return cache.get_or_set(f"{_key(user=user, today=today, label=label, region=region)}:kpis", compute, CACHE_SECONDS)


def _dashboard_kpis(*, user, today: dt.date, period=None, region: str | None = None) -> dict:
    """The KPIs, computed (27 queries at most, whatever the data size)."""
    label, quarter_start, period_end = period or period_parse(None, today=today)
    until = min(period_end, today)
    staff = user
    user = region_reader(user, region)
    year_start = dt.date(today.year, 1, 1)
    coverage, not_visited = _coverage(
        user,
        quarter_start=quarter_start,
        today=today,
        stale_cutoff=today - dt.timedelta(days=STALE_DAYS),
        until=until,
    )
    open_needs, overdue = _open_needs(user, today=today, until=until)
    needs = _needs(user, today=today, year_start=year_start, overdue=overdue)
    answer_days = needs.pop("answer_days")
    on_time = needs.pop("on_time")
    satisfaction = needs.pop("satisfaction")
    clock = needs.pop("clock")
    categories = [row for row in needs["by_category"] if row["count"]]
    categories.sort(key=lambda row: -row["count"])
    return {
        "today": today,
        "period": {
            "quarter": label,
            "quarter_start": quarter_start,
            "year_start": year_start,
            "label": label,
            "start": quarter_start,
            "end": period_end,
            "region": region or None,
        },
        "coverage": coverage,
        "not_visited": not_visited,
        "needs": needs,
        "on_time": on_time,
        "answer_days": answer_days,
        "clock": clock,
        "satisfaction": satisfaction,
        "policies": _policies(user),
        "officers": _officers(staff, quarter_start=quarter_start, today=until),
        "counties": _counties(user, quarter_start=quarter_start, today=until, needs=open_needs),
        "liaison_coverage": _liaison_coverage(staff, region=region, today=today),
        "red_flags": _red_flags(staff, region=region),
        "programmes": programme_kpis(user=user, today=today),
        "charts": {
            "needs_by_category": {
                "categories": [row["category"] for row in categories],
                "labels": [row["label"] for row in categories],
                "data": [row["count"] for row in categories],
            },
            "visits_per_month": _visits_per_month(user, today=today),
            "need_funnel": _funnel(needs["by_status"]),
        },
    }


def _clock_rates(row: dict) -> dict:
    def rate(part: str, whole: str) -> dict:
        return {"count": row[part], "total": row[whole], "percent": _percent(row[part], row[whole])}

    return {
        "accepted_on_time": rate("accept_on_time", "accept_settled"),
        "closed_on_time_original": rate("on_time_original", "closed_original"),
        "closed_on_time_extended": rate("on_time_extended", "closed_extended"),
        "extended": rate("extended", "with_deadline"),
        "answer_days": _answer_days(row, "clock"),
    }


def need_clock_kpis(*, needs, today: dt.date) -> dict:
    """The KPIs of the need clock (DESIGN §11.4) over ``needs`` (a scoped queryset): 3 queries.

    - 及时受理率 ``accepted_on_time``: needs accepted by their ``accept_due_on`` / needs whose acceptance is settled
      (accepted, or still new after ``accept_due_on``); needs rejected without acceptance are left out;
    - 按期办结率 ``closed_on_time_original``: closed needs whose ``closed_at`` (local date) ≤ ``original_due_on`` /
      closed needs with an original deadline — an extension cannot improve it;
      ``closed_on_time_extended``: the same against ``due_on``, the deadline after approved extensions;
    - 延期率 ``extended``: needs with at least one approved extension / needs with a deadline;
    - ``answer_days``: average working days from creation to answer of the answered needs.

    The dashboard computes the same figures in the same counts (``_need_counts``).
    """
    return _clock_rates(_need_counts(needs, today=today))

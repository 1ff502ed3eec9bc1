"""Working-day calendar for need deadlines (DESIGN §4.1).

Weekends are days off, weekdays are working days, and the admin-edited ``Holiday`` table overrides both:
a row with ``is_workday=False`` is a public holiday, one with ``is_workday=True`` a make-up working day
(调休). Every public function loads the holiday rows it needs with one query (a ``WorkCalendar`` can also be
built once and passed in, e.g. for a whole list page or the daily reminder run), never one query per day.

Conventions: ``workdays_add(start=d, days=n)`` is the n-th working day *after* d (d itself does not count;
``n=0`` returns d); ``workdays_between(start=a, end=b)`` counts the working days in (a, b], negative when
b < a, so that ``workdays_between(start=d, end=workdays_add(start=d, days=n)) == n``.
"""

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, DateField, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Least, TruncDate
from django.utils import timezone

from crm import reference
from crm.choices import NeedCategory, Urgency
from crm.models import Holiday, TimeLimit

# Default time limits (办理时限) in working days, used where the TimeLimit table has no row for a need.
URGENCY_DAYS = {Urgency.NORMAL: 15, Urgency.URGENT: 5, Urgency.CRITICAL: 2}
CATEGORY_DAYS = {NeedCategory.CONSULTATION: 3}
# Supervision (督办) starts this many working days after the deadline.
SUPERVISION_AFTER_DAYS = 5
# The warning (预警) is raised once this share of the allowed working days is used.
WARNING_SHARE = 0.8

_ONE_DAY = dt.timedelta(days=1)


# Inside ``holidays_read_once``: the whole Holiday table once read (a few dozen rows a year), else None.
_READ: ContextVar[list | None] = ContextVar("crm_workdays_read", default=None)


def _all_overrides() -> dict[dt.date, bool]:
    return dict(Holiday.objects.values_list("date", "is_workday"))


def _whole_table() -> dict[dt.date, bool]:
    """The whole Holiday table: in a request, the process's copy (until a holiday changes: crm/reference.py)."""
    if reference.in_request():
        return reference.memo((reference.HOLIDAYS,), None, _all_overrides)
    return _all_overrides()


def _load_overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    read = _READ.get()
    if read is not None:  # inside ``holidays_read_once`` (the 工作台's cards): read once in the block
        if not read:
            read.append(_whole_table())
        table = read[0]
    elif reference.in_request():  # a request's pages: the process's copy
        table = _whole_table()
    else:  # services, the reminder run: only the range, every time
        return dict(Holiday.objects.filter(date__range=(start, end)).values_list("date", "is_workday"))
    return {day: is_workday for day, is_workday in table.items() if start <= day <= end}


@contextmanager
def holidays_read_once() -> Iterator[None]:
    """Within the block (one request's page, e.g. the 工作台, whose cards each build a calendar), the Holiday table
    is read once, whole, not once per calendar (the deadline cards reach back to the clock start of the oldest
    open need). Rows changed inside the block are not seen: wrap reads only."""
    token = _READ.set([])
    try:
        yield
    finally:
        _READ.reset(token)


class WorkCalendar:
    """Working days over a loaded date range; grows (one more query) if asked about a date outside it."""

    def __init__(self, *, start: dt.date, end: dt.date, overrides: dict[dt.date, bool] | None = None):
        self._start = start
        self._end = end
        self._overrides = dict(overrides) if overrides is not None else _load_overrides(start, end)
        self._index: tuple[list[dt.date], list[int]] | None = None

    @classmethod
    def for_range(cls, *, start: dt.date, end: dt.date) -> "WorkCalendar":
        if end < start:
            start, end = end, start
        return cls(start=start - dt.timedelta(days=7), end=end + dt.timedelta(days=7))

    def _ensure(self, day: dt.date) -> None:
        if self._start <= day <= self._end:
            return
        if day < self._start:
            new_start = day - dt.timedelta(days=60)
            self._overrides.update(_load_overrides(new_start, self._start - _ONE_DAY))
            self._start = new_start
        else:
            new_end = day + dt.timedelta(days=60)
            self._overrides.update(_load_overrides(self._end + _ONE_DAY, new_end))
            self._end = new_end
        self._index = None

    def is_workday(self, day: dt.date) -> bool:
        self._ensure(day)
        override = self._overrides.get(day)
        if override is not None:
            return override
        return day.weekday() < 5

    def add(self, *, start: dt.date, days: int) -> dt.date:
        step = _ONE_DAY if days >= 0 else -_ONE_DAY
        remaining = abs(days)
        day = start
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def _exceptions(self) -> tuple[list[dt.date], list[int]]:
        """The loaded overrides that change a day's weekday rule (a weekday off, a weekend worked), sorted, with the
        running sum of their corrections (-1 a day off, +1 a working weekend): ``between`` counts weekdays by
        arithmetic and corrects by bisection, instead of stepping through every day of the range."""
        if self._index is None:
            days, total, sums = [], 0, []
            for day in sorted(d for d, workday in self._overrides.items() if workday != (d.weekday() < 5)):
                total += 1 if self._overrides[day] else -1
                days.append(day)
                sums.append(total)
            self._index = (days, sums)
        return self._index

    def _upto(self, day: dt.date) -> int:
        """Working days from 0001-01-01 through ``day``: weekdays (ordinal 1 is a Monday), corrected by overrides."""
        ordinal = day.toordinal()
        days, sums = self._exceptions()
        position = bisect_right(days, day)
        return 5 * (ordinal // 7) + min(ordinal % 7, 5) + (sums[position - 1] if position else 0)

    def between(self, *, start: dt.date, end: dt.date) -> int:
        if end < start:
            return -self.between(start=end, end=start)
        self._ensure(start)
        self._ensure(end)
        return self._upto(end) - self._upto(start)


def workdays_add(*, start: dt.date, days: int, calendar: WorkCalendar | None = None) -> dt.date:
    """The ``days``-th working day after ``start`` (before it when ``days`` is negative)."""
    if calendar is None:
        # Two calendar days per working day plus a month covers the longest holiday runs in one query.
        span = dt.timedelta(days=abs(days) * 2 + 30)
        calendar = WorkCalendar(start=start - span if days < 0 else start, end=start if days < 0 else start + span)
    return calendar.add(start=start, days=days)


def workdays_between(*, start: dt.date, end: dt.date, calendar: WorkCalendar | None = None) -> int:
    """Working days in (start, end]; negative when end is before start."""
    if calendar is None:
        calendar = WorkCalendar(start=min(start, end), end=max(start, end))
    return calendar.between(start=start, end=end)


def default_time_limit(*, category: str, urgency: str) -> int:
    """Working days to answer: the TimeLimit table's (``time_limit_for``), else the built-in defaults."""
    return time_limit_for(category=category, urgency=urgency).answer_days


def _builtin_answer_days(*, category: str, urgency: str) -> int:
    """Consultation 3, normal 15, urgent 5, critical 2 (the shorter one wins)."""
    days = URGENCY_DAYS.get(urgency, URGENCY_DAYS[Urgency.NORMAL])
    if category in CATEGORY_DAYS:
        days = min(days, CATEGORY_DAYS[category])
    return days


@dataclass(frozen=True)
class Limits:
    """The time limits of one need (DESIGN §11.4), in working days."""

    accept_days: int
    answer_days: int
    max_extensions: int
    max_extension_days: int


class TimeLimits:
    """The TimeLimit table loaded once (a few dozen rows at most), with the calendar of the days it reaches: an
    import of thousands of needs computes every clock from one instance without a query per row."""

    def __init__(self, *, calendar: WorkCalendar | None = None):
        self._rows = {(row.category, row.urgency): row for row in TimeLimit.objects.order_by()}
        self._calendar = calendar

    def for_need(self, *, category: str, urgency: str) -> Limits:
        """The row naming the category wins over the row for any category; without a row, the built-in
        defaults (accept 1, answer by urgency and category, 1 extension of at most 15 working days)."""
        row = self._rows.get((category or "", urgency)) or self._rows.get(("", urgency))
        if row is None:
            return Limits(
                accept_days=1,
                answer_days=_builtin_answer_days(category=category, urgency=urgency),
                max_extensions=1,
                max_extension_days=15,
            )
        return Limits(
            accept_days=row.accept_days,
            answer_days=row.answer_days,
            max_extensions=row.max_extensions,
            max_extension_days=row.max_extension_days,
        )

    def clock_dates(self, *, category: str, urgency: str, start: dt.date) -> tuple[dt.date, dt.date]:
        """``(accept_due_on, due_on)`` of a need received on ``start``."""
        limits = self.for_need(category=category, urgency=urgency)
        if self._calendar is None:
            self._calendar = WorkCalendar.for_range(start=start, end=start + dt.timedelta(days=90))
        return (
            self._calendar.add(start=start, days=limits.accept_days),
            self._calendar.add(start=start, days=limits.answer_days),
        )


def time_limit_for(*, category: str, urgency: str) -> Limits:
    """The time limits of a need of this category and urgency (one query)."""
    return TimeLimits().for_need(category=category, urgency=urgency)


def default_due_on(*, category: str, urgency: str, start: dt.date, calendar: WorkCalendar | None = None) -> dt.date:
    """The default deadline of a need whose clock starts on ``start``."""
    return workdays_add(start=start, days=default_time_limit(category=category, urgency=urgency), calendar=calendar)


def clock_dates(*, category: str, urgency: str, start: dt.date) -> tuple[dt.date, dt.date]:
    """``(accept_due_on, due_on)`` of a need received on ``start`` (DESIGN §11.4): two queries."""
    return TimeLimits().clock_dates(category=category, urgency=urgency, start=start)


# ---------------------------------------------------------------------------------------- the calendar in SQL


def fixed_offset(today: dt.date) -> int | None:
    """The current time zone's UTC offset in seconds when it is the same all year (Asia/Shanghai), else None."""
    zone = timezone.get_current_timezone()
    offsets = {dt.datetime(today.year, month, 1, tzinfo=zone).utcoffset() for month in (1, 7)}
    return int(offsets.pop().total_seconds()) if len(offsets) == 1 else None


def local_date(field, *, today: dt.date):
    """The local date of a datetime column (a name or an expression), computed in the database.

    Django's ``TruncDate`` is a Python function per row on SQLite (~8 µs, too slow over 100 000 rows) and on
    PostgreSQL ``AT TIME ZONE 'Asia/Shanghai'``, a zone lookup per row (2–3× the cost of a fixed offset). For a
    time zone with a fixed UTC offset (Asia/Shanghai) the offset itself gives the same dates natively: SQLite's
    ``date()`` with that offset, PostgreSQL's ``AT TIME ZONE INTERVAL``; other zones keep ``TruncDate``.
    """
    expression = F(field) if isinstance(field, str) else field
    seconds = fixed_offset(today)
    if seconds is not None and connection.vendor == "sqlite":
        return Func(expression, template=f"date(%(expressions)s, '{seconds:+d} seconds')", output_field=DateField())
    if seconds is not None and connection.vendor == "postgresql":
        template = f"(%(expressions)s AT TIME ZONE INTERVAL '{seconds:+d} seconds')::date"
        return Func(expression, template=template, output_field=DateField())
    return TruncDate(expression)


class _Ordinal(Func):
    """``date.toordinal()`` of a date expression (0001-01-01 is 1), on SQLite and PostgreSQL."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        template = "CAST(julianday(%(expressions)s) - 1721424.5 AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((%(expressions)s) - DATE '0001-01-01' + 1)", **extra)


def _weekdays_through(day):
    """Mondays to Fridays from 0001-01-01 through the date expression ``day``: ``WorkCalendar._upto`` in SQL, without
    the holiday rows (``_answer_span`` adds them)."""
    ordinal = _Ordinal(day)
    weeks = Func(ordinal, template="(%(expressions)s / 7)", output_field=IntegerField())
    return Value(5) * weeks + Least(ordinal - Value(7) * weeks, Value(5))


# The stored working days to answer (``Need``) and the date their interval starts from.
ANSWER_WORKDAYS = {"answer_workdays": "created_at", "answer_workdays_assigned": "assigned_at"}


def _answer_span(start: str, *, today: dt.date, holidays: QuerySet):
    """The working days in (local date of ``start``, local date of ``answered_at``], 0 when answered before
    ``start``: weekdays by arithmetic, corrected by the ``holidays`` rows inside the interval that change their
    day's weekday rule (+1 a worked weekend day, -1 a weekday off), counted by a correlated subquery on the
    holidays' date index."""
    end = local_date("answered_at", today=today)
    begin = local_date(start, today=today)
    days = _weekdays_through(end) - _weekdays_through(begin)
    shifts = {
        day: int(is_workday) - int(day.weekday() < 5) for day, is_workday in holidays.values_list("date", "is_workday")
    }
    if any(shifts.values()):
        inside = holidays.filter(
            date__in=[day for day, shift in shifts.items() if shift],
            date__gt=local_date(OuterRef(start), today=today),
            date__lte=local_date(OuterRef("answered_at"), today=today),
        )
        worked = [day for day, shift in shifts.items() if shift > 0]
        shift = Case(When(date__in=worked, then=Value(1)), default=Value(-1), output_field=IntegerField())
        summed = inside.order_by().annotate(_shift=Func(shift, function="SUM")).values("_shift")
        days = days + Coalesce(Subquery(summed, output_field=IntegerField()), Value(0))
    return Case(When(Q(answered_at__gte=F(start)), then=days), default=Value(0), output_field=IntegerField())


def answer_workdays(
    *, start: dt.datetime | None, answered: dt.datetime | None, calendar: WorkCalendar | None
) -> int | None:
    """The working days from ``start`` to ``answered`` (local dates), 0 when answered before the start, None
    without both: the value ``Need.answer_workdays`` (``start``: created) and ``answer_workdays_assigned`` keep."""
    if start is None or answered is None:
        return None
    if answered < start:
        return 0
    return calendar.between(start=timezone.localdate(start), end=timezone.localdate(answered))


def answer_workdays_fill(needs: QuerySet, *, holidays: QuerySet) -> None:
    """Set ``answer_workdays`` and ``answer_workdays_assigned`` of ``needs`` (a Need queryset, a migration's too)
    from their dates and the ``holidays`` rows, set-based: one UPDATE (each row written once), weekdays by
    arithmetic and the holiday rows inside each interval by a subquery (``_answer_span``)."""
    today = timezone.localdate()
    assigned = Case(
        When(assigned_at__isnull=True, then=Value(None)),
        default=_answer_span("assigned_at", today=today, holidays=holidays),
        output_field=IntegerField(),
    )
    needs.filter(answered_at__isnull=False).update(
        answer_workdays=_answer_span("created_at", today=today, holidays=holidays), answer_workdays_assigned=assigned
    )
    needs.filter(answered_at__isnull=True).exclude(answer_workdays=None, answer_workdays_assigned=None).update(
        answer_workdays=None, answer_workdays_assigned=None
    )


def answer_workdays_shift(needs: QuerySet, *, day: dt.date, delta: int) -> int:
    """Add ``delta`` (+1: ``day`` became a working day, -1: a day off) to the stored working days of the ``needs``
    whose interval (start, answer] holds ``day``, in one UPDATE; the number of needs changed."""
    if not delta:
        return 0
    midnight = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    covered = {name: Q(**{f"{start}__lt": midnight}) for name, start in ANSWER_WORKDAYS.items()}
    return needs.filter(
        Q(answered_at__gte=midnight) & (covered["answer_workdays"] | covered["answer_workdays_assigned"])
    ).update(
        **{
            name: Case(When(condition, then=F(name) + Value(delta)), default=F(name), output_field=IntegerField())
            for name, condition in covered.items()
        }
    )

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


def _load_overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    read = _READ.get()
    if read is None:
        return dict(Holiday.objects.filter(date__range=(start, end)).values_list("date", "is_workday"))
    if not read:
        read.append(dict(Holiday.objects.values_list("date", "is_workday")))
    return {day: is_workday for day, is_workday in read[0].items() if start <= day <= end}


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

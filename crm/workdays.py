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

from crm.choices import NeedCategory, Urgency
from crm.models import Holiday

# Default time limits (办理时限) in working days.
URGENCY_DAYS = {Urgency.NORMAL: 15, Urgency.URGENT: 5, Urgency.CRITICAL: 2}
CATEGORY_DAYS = {NeedCategory.CONSULTATION: 3}
# Supervision (督办) starts this many working days after the deadline.
SUPERVISION_AFTER_DAYS = 5
# The warning (预警) is raised once this share of the allowed working days is used.
WARNING_SHARE = 0.8

_ONE_DAY = dt.timedelta(days=1)


def _load_overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:

    return dict(Holiday.objects.filter(date__range=(start, end)).values_list("date", "is_workday"))


class WorkCalendar:
    """Working days over a loaded date range; grows (one more query) if asked about a date outside it."""

    def __init__(self, *, start: dt.date, end: dt.date, overrides: dict[dt.date, bool] | None = None):
        self._start = start
        self._end = end
        self._overrides = dict(overrides) if overrides is not None else _load_overrides(start, end)
        self._index: list[dt.date] | None = None

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

    def _workdays(self) -> list[dt.date]:
        if self._index is None:
            days, day = [], self._start
            while day <= self._end:
                if self.is_workday(day):
                    days.append(day)
                day += _ONE_DAY
            self._index = days
        return self._index

    def between(self, *, start: dt.date, end: dt.date) -> int:
        if end < start:
            return -self.between(start=end, end=start)
        self._ensure(start)
        self._ensure(end)
        index = self._workdays()
        return bisect_right(index, end) - bisect_right(index, start)


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
    """Working days allowed: consultation 3, normal 15, urgent 5, critical 2 (the shorter one wins)."""
    days = URGENCY_DAYS.get(urgency, URGENCY_DAYS[Urgency.NORMAL])
    if category in CATEGORY_DAYS:
        days = min(days, CATEGORY_DAYS[category])
    return days


def default_due_on(*, category: str, urgency: str, start: dt.date, calendar: WorkCalendar | None = None) -> dt.date:
    """The default deadline of a need assigned on ``start``."""
    return workdays_add(start=start, days=default_time_limit(category=category, urgency=urgency), calendar=calendar)

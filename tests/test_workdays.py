"""Working-day calendar: weekends, public holidays, make-up working days (调休), default time limits."""

import datetime as dt

import pytest

from crm.choices import NeedCategory, Urgency
from crm.models import Holiday
from crm.workdays import (
    WorkCalendar,
    default_due_on,
    default_time_limit,
    holidays_read_once,
    workdays_add,
    workdays_between,
)

D = dt.date
MON = D(2026, 3, 2)  # a Monday without holidays around it


@pytest.fixture
def national_day(db):
    """2026 National Day: 1–7 October off, Saturday 10 October worked (make-up day)."""
    for day in range(1, 8):
        Holiday.objects.create(date=D(2026, 10, day), name="国庆节")
    Holiday.objects.create(date=D(2026, 10, 10), name="国庆节调休", is_workday=True)


@pytest.mark.django_db
class TestWorkdaysAdd:
    def test_within_a_week(self):
        assert workdays_add(start=MON, days=1) == D(2026, 3, 3)
        assert workdays_add(start=MON, days=4) == D(2026, 3, 6)

    def test_zero_days_is_the_start(self):
        assert workdays_add(start=MON, days=0) == MON

    def test_skips_the_weekend(self):
        friday = D(2026, 3, 6)
        assert workdays_add(start=friday, days=1) == D(2026, 3, 9)
        assert workdays_add(start=MON, days=5) == D(2026, 3, 9)
        assert workdays_add(start=MON, days=15) == D(2026, 3, 23)

    def test_from_a_weekend_day(self):
        saturday = D(2026, 3, 7)
        assert workdays_add(start=saturday, days=1) == D(2026, 3, 9)

    def test_negative_goes_back(self):
        assert workdays_add(start=D(2026, 3, 9), days=-1) == D(2026, 3, 6)

    def test_skips_public_holidays(self, national_day):
        # Wednesday 30 September + 1 working day: 1–7 Oct are off, Thursday 8 Oct is the next working day.
        assert workdays_add(start=D(2026, 9, 30), days=1) == D(2026, 10, 8)

    def test_counts_make_up_working_days(self, national_day):
        # 8 Oct (Thu), 9 Oct (Fri), 10 Oct (Saturday, but a make-up working day).
        assert workdays_add(start=D(2026, 9, 30), days=3) == D(2026, 10, 10)
        assert workdays_add(start=D(2026, 9, 30), days=4) == D(2026, 10, 12)

    def test_holidays_loaded_once_not_per_day(self, national_day, django_assert_num_queries):
        with django_assert_num_queries(1):
            workdays_add(start=D(2026, 9, 1), days=40)

    def test_long_spans_grow_the_calendar(self, db):
        Holiday.objects.create(date=D(2027, 6, 1), name="far away")
        calendar = WorkCalendar(start=MON, end=MON)
        assert not calendar.is_workday(D(2027, 6, 1))
        assert calendar.is_workday(D(2027, 6, 2))


@pytest.mark.django_db
class TestWorkdaysBetween:
    def test_counts_days_after_start_up_to_end(self):
        assert workdays_between(start=MON, end=MON) == 0
        assert workdays_between(start=MON, end=D(2026, 3, 3)) == 1
        assert workdays_between(start=MON, end=D(2026, 3, 9)) == 5

    def test_negative_when_end_is_before_start(self):
        assert workdays_between(start=D(2026, 3, 9), end=MON) == -5

    def test_weekend_days_add_nothing(self):
        friday = D(2026, 3, 6)
        assert workdays_between(start=friday, end=D(2026, 3, 8)) == 0

    def test_holidays_and_make_up_days(self, national_day):
        # 30 Sep → 12 Oct: 8, 9, 10 (make-up Saturday), 12.
        assert workdays_between(start=D(2026, 9, 30), end=D(2026, 10, 12)) == 4

    @pytest.mark.parametrize("days", [0, 1, 3, 5, 15, 40])
    def test_inverse_of_add(self, national_day, days):
        for start in (D(2026, 9, 25), D(2026, 10, 3), D(2026, 10, 10)):
            assert workdays_between(start=start, end=workdays_add(start=start, days=days)) == days

    def test_one_query(self, national_day, django_assert_num_queries):
        with django_assert_num_queries(1):
            workdays_between(start=D(2026, 1, 1), end=D(2026, 12, 31))


@pytest.mark.django_db
class TestDefaultDueOn:
    @pytest.mark.parametrize(
        ("category", "urgency", "days"),
        [
            (NeedCategory.FUNDING, Urgency.NORMAL, 15),
            (NeedCategory.FUNDING, Urgency.URGENT, 5),
            (NeedCategory.FUNDING, Urgency.CRITICAL, 2),
            (NeedCategory.CONSULTATION, Urgency.NORMAL, 3),
            (NeedCategory.CONSULTATION, Urgency.URGENT, 3),
            (NeedCategory.CONSULTATION, Urgency.CRITICAL, 2),
        ],
    )
    def test_time_limits(self, category, urgency, days):
        assert default_time_limit(category=category, urgency=urgency) == days
        assert default_due_on(category=category, urgency=urgency, start=MON) == workdays_add(start=MON, days=days)

    def test_normal_need_across_national_day(self, national_day):
        # 15 working days from Friday 25 Sep 2026: 28, 29, 30 Sep, 8, 9, 10 (make-up), 12–16, 19–22 Oct.
        assert default_due_on(category=NeedCategory.RD, urgency=Urgency.NORMAL, start=D(2026, 9, 25)) == D(2026, 10, 22)

    def test_critical_over_a_weekend(self):
        assert default_due_on(category=NeedCategory.LAND, urgency=Urgency.CRITICAL, start=D(2026, 3, 5)) == D(
            2026, 3, 9
        )


@pytest.mark.django_db
class TestHolidaysReadOnce:
    def test_every_calendar_in_the_block_is_served_by_one_query(self, national_day, django_assert_num_queries):
        with django_assert_num_queries(1), holidays_read_once():
            assert workdays_add(start=D(2026, 9, 30), days=1) == D(2026, 10, 8)
            assert workdays_between(start=D(2023, 1, 1), end=D(2026, 10, 10)) > 900
            calendar = WorkCalendar.for_range(start=D(2026, 10, 9), end=D(2026, 10, 12))
            assert calendar.is_workday(D(2026, 10, 10)) and not calendar.is_workday(D(2026, 10, 5))
            assert calendar.is_workday(D(2030, 1, 2))  # grown past its range: still from memory

    def test_a_change_after_the_block_is_seen(self, national_day):
        with holidays_read_once():
            assert not WorkCalendar.for_range(start=MON, end=MON).is_workday(D(2026, 10, 1))
        Holiday.objects.filter(date=D(2026, 10, 1)).delete()
        assert WorkCalendar.for_range(start=MON, end=MON).is_workday(D(2026, 10, 1))
        with holidays_read_once():
            assert WorkCalendar.for_range(start=MON, end=MON).is_workday(D(2026, 10, 1))

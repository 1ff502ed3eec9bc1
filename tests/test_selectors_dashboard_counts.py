"""The needs' counts of the dashboard read from the clock flags the database stores (``_need_counts``) equal the
same counts with the dates compared on every row (``_need_aggregates``), and the flags follow the local date."""

import datetime as dt

import pytest
from django.utils import timezone

from crm.choices import ExtensionStatus, NeedStatus, Satisfaction
from crm.models import ExtensionRequest, Need
from crm.selectors.dashboard import _need_aggregates, _need_counts
from crm.services.needs import need_create

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 3, 31)


def local(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute, second)))


@pytest.fixture
def make(officer, enterprise):
    def make(title, **fields):
        need = need_create(user=officer, enterprise=enterprise, category="funding", title=title)
        Need.objects.filter(pk=need.pk).update(**fields)
        return Need.objects.get(pk=need.pk)

    return make


def test_flags_follow_the_local_date_at_midnight(make):
    due = D(2026, 3, 20)
    last_moment = make("in time", closed_at=local(due, 23, 59, 59), due_on=due, original_due_on=D(2026, 3, 19))
    assert (last_moment.closed_by_due, last_moment.closed_by_original_due) == (True, False)
    next_day = make("late", closed_at=local(D(2026, 3, 21), 0), due_on=due, original_due_on=due)
    assert (next_day.closed_by_due, next_day.closed_by_original_due) == (False, False)
    early_utc = make("early", accepted_at=local(due, 0, 30), accept_due_on=due)  # 16:30 UTC the day before
    assert early_utc.accepted_by_due is True
    assert make("open", due_on=due, original_due_on=None).closed_by_due is None
    assert make("no deadline", closed_at=local(due, 9), due_on=None, original_due_on=None).closed_by_due is None


def test_flags_follow_a_later_write(make):
    need = make("moved", closed_at=local(D(2026, 3, 21), 9), due_on=D(2026, 3, 20))
    assert need.closed_by_due is False
    Need.objects.filter(pk=need.pk).update(due_on=D(2026, 3, 23))
    assert Need.objects.get(pk=need.pk).closed_by_due is True


@pytest.fixture
def mix(make, manager):
    closed = {"status": NeedStatus.CLOSED, "accept_due_on": D(2026, 3, 3)}
    make(
        "on time",
        **closed,
        accepted_at=local(D(2026, 3, 3), 20),
        due_on=D(2026, 3, 20),
        original_due_on=D(2026, 3, 20),
        closed_at=local(D(2026, 3, 20), 18),
        satisfaction=Satisfaction.SATISFIED,
    )
    extended = make(
        "extended, late",
        **closed,
        accepted_at=local(D(2026, 3, 4), 9),
        due_on=D(2026, 3, 27),
        original_due_on=D(2026, 3, 20),
        closed_at=local(D(2026, 3, 25), 9),
        satisfaction=Satisfaction.BASICALLY_SATISFIED,
        rated_by_enterprise=True,
    )
    ExtensionRequest.objects.create(
        need=extended, requested_due_on=D(2026, 3, 27), reason="x", status=ExtensionStatus.APPROVED
    )
    make(
        "late, no first deadline",
        **closed,
        accepted_at=local(D(2026, 3, 2), 9),
        due_on=D(2026, 3, 10),
        original_due_on=None,
        closed_at=local(D(2026, 3, 11), 9),
        satisfaction=Satisfaction.UNSATISFIED,
        rated_by_enterprise=True,
    )
    make("closed, no deadline", **closed, due_on=None, original_due_on=None, closed_at=local(D(2026, 3, 11), 9))
    make("new, acceptance late", status=NeedStatus.NEW, accept_due_on=D(2026, 3, 30), accepted_at=None)
    make("new, in time yet", status=NeedStatus.NEW, accept_due_on=D(2026, 3, 31), accepted_at=None)
    make(
        "overdue",
        status=NeedStatus.IN_PROGRESS,
        due_on=D(2026, 3, 30),
        accept_due_on=D(2026, 3, 3),
        accepted_at=local(D(2026, 3, 3), 9),
        category="talent",
    )
    make("rejected", status=NeedStatus.REJECTED, due_on=D(2026, 3, 1))


def test_counts_equal_the_per_row_aggregate(mix, manager, county_manager):
    for user in (manager, county_manager):
        needs = Need.objects.visible_to(user)
        assert _need_counts(needs, today=TODAY) == _need_aggregates(needs, today=TODAY)
    counts = _need_counts(Need.objects.visible_to(manager), today=TODAY)
    assert (counts["closed_dated"], counts["on_time"]) == (3, 1)
    assert (counts["closed_original"], counts["on_time_original"]) == (2, 1)
    assert (counts["closed_extended"], counts["on_time_extended"]) == (3, 2)
    assert (counts["accept_settled"], counts["accept_on_time"]) == (5, 3)
    assert (counts["overdue"], counts["extended"], counts["own_rated"], counts["own_satisfied"]) == (1, 1, 2, 1)
    assert counts["by_status"] == {"closed": 4, "new": 2, "in_progress": 1, "rejected": 1}


def test_other_time_zones_compare_the_dates_per_row(mix, manager):
    needs = Need.objects.visible_to(manager)
    with timezone.override("America/New_York"):  # not the fixed offset the flags were stored with
        assert _need_counts(needs, today=TODAY) == _need_aggregates(needs, today=TODAY)

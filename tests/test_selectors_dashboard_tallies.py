"""The answer tallies the database keeps (crm/models/tallies.py): equal to a recount after every kind of write,
the dashboard's answer days from them equal to those counted from the needs, a holiday edit seen at once."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from crm.models import AnswerTally, Holiday, Need
from crm.models.tallies import tally_triggers_drop_sql, tally_triggers_present
from crm.selectors.dashboard import (
    _answer_days_tallied,
    _answered_this_year,
    _tallies_serve,
    _working_days,
    dashboard_kpis,
    region_reader,
)
from crm.services.needs import need_create
from crm.services.tallies import tallies_rebuild

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 3, 31)
YEAR_START = D(2026, 1, 1)


def local(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def tallies() -> set[tuple]:
    rows = AnswerTally.objects.exclude(answered=0, forward=0)
    return set(rows.values_list("kind", "day", "answered_on", "answered", "forward"))


def scanned() -> dict:
    series = {
        "clock": ("created_at", Q(answered_at__isnull=False)),
        "year": ("assigned_at", _answered_this_year(year_start=YEAR_START, today=TODAY)),
    }
    return _working_days(Need.objects.order_by(), end="answered_at", series=series, today=TODAY)


@pytest.fixture
def mix(officer, enterprise):
    """Needs written every way a need is written: the service, ``save()``, ``update()``, a bulk insert, deletes."""

    def make(title, **fields):
        need = need_create(user=officer, enterprise=enterprise, category="funding", title=title)
        Need.objects.filter(pk=need.pk).update(**fields)
        return Need.objects.get(pk=need.pk)

    answered = make(
        "answered",
        created_at=local(D(2026, 3, 2), 9),
        assigned_at=local(D(2026, 3, 3), 9),
        answered_at=local(D(2026, 3, 9), 23),  # 23:00 local, 15:00 UTC: the local date counts
    )
    make(
        "last year",
        created_at=local(D(2025, 12, 29), 9),
        assigned_at=local(D(2025, 12, 30), 9),
        answered_at=local(D(2026, 1, 5), 9),
    )
    make("answered before it arrived", created_at=local(D(2026, 3, 10), 9), answered_at=local(D(2026, 3, 9), 9))
    make("never assigned", created_at=local(D(2026, 2, 2), 9), answered_at=local(D(2026, 2, 16), 9))
    moved = make("moved", created_at=local(D(2026, 3, 2), 9), answered_at=local(D(2026, 3, 4), 9))
    moved.answered_at = local(D(2026, 3, 20), 9)
    moved.assigned_at = local(D(2026, 3, 5), 9)
    moved.save()
    reopened = make(
        "reopened",
        created_at=local(D(2026, 3, 2), 9),
        assigned_at=local(D(2026, 3, 3), 9),
        answered_at=local(D(2026, 3, 6), 9),
    )
    Need.objects.filter(pk=reopened.pk).update(assigned_at=None)
    make("deleted", created_at=local(D(2026, 3, 2), 9), answered_at=local(D(2026, 3, 5), 9)).delete()
    Need.objects.bulk_create(
        [
            Need(
                enterprise=enterprise,
                bureau=answered.bureau,
                category="funding",
                title=f"bulk {n}",
                code=f"SQ-BULK-{n}",
                created_by=officer,
                assigned_at=local(D(2026, 3, 2 + n), 9),
                answered_at=local(D(2026, 3, 12 + n), 9),
            )
            for n in range(3)
        ]
    )
    Need.objects.filter(title="bulk 2").delete()
    return answered


def test_tallies_equal_a_recount_after_every_kind_of_write(mix):
    kept = tallies()
    assert kept  # the triggers counted something
    assert tallies_rebuild() > 0
    assert tallies() == kept


def test_answer_days_from_the_tallies_equal_those_counted_from_the_needs(mix):
    from_tallies = _answer_days_tallied(year_start=YEAR_START, today=TODAY)
    assert from_tallies == scanned()
    assert from_tallies["clock"]["answered"] == 8
    assert from_tallies["year"]["answered"] == 5  # assigned, answered this year (one assigned in December)


def test_a_holiday_edit_changes_the_answer_days_at_once(mix, leader):
    before = dashboard_kpis(user=leader, today=TODAY, fresh=True)["answer_days"]
    assert before == {
        "answered": 5,
        "average": _answer_days_tallied(year_start=YEAR_START, today=TODAY)["year"]["average"],
    }
    Holiday.objects.create(date=D(2026, 3, 4), name="假日")  # a Wednesday inside every March span
    after = dashboard_kpis(user=leader, today=TODAY, fresh=True)["answer_days"]
    assert after["average"] < before["average"]
    assert _answer_days_tallied(year_start=YEAR_START, today=TODAY) == scanned()


def test_tallies_serve_only_readers_of_every_need(leader, county_manager):
    assert tally_triggers_present(connection)  # installed by the migration
    assert _tallies_serve(leader, today=TODAY)
    assert not _tallies_serve(county_manager, today=TODAY)
    assert not _tallies_serve(region_reader(leader, "320831"), today=TODAY)


def test_without_their_triggers_the_tallies_are_not_read_and_the_command_restores_them(mix, leader):
    with connection.cursor() as cursor:
        for sql in tally_triggers_drop_sql(connection.vendor):
            cursor.execute(sql)
    assert not tally_triggers_present(connection)
    assert _answer_days_tallied(year_start=YEAR_START, today=TODAY) is None
    AnswerTally.objects.all().delete()
    assert dashboard_kpis(user=leader, today=TODAY, fresh=True)["answer_days"]["answered"] == 5  # from the needs
    call_command("tallies_rebuild", stdout=io.StringIO())
    assert tally_triggers_present(connection)
    assert _answer_days_tallied(year_start=YEAR_START, today=TODAY) == scanned()

"""The need clock's KPIs (DESIGN §11.4) on a small hand-made dataset, the rates computed by hand below."""

import datetime as dt

import pytest
from django.utils import timezone

from crm.choices import ExtensionStatus, NeedStatus
from crm.models import ExtensionRequest, Need
from crm.selectors.dashboard import dashboard_kpis, need_clock_kpis
from crm.services.needs import need_create, needs_answer_workdays_fill

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 3, 31)  # March 2026 has no public holiday


def at(day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 3, day, hour))


@pytest.fixture
def dataset(officer, manager, enterprise):
    def make(title, **fields):
        need = need_create(user=officer, enterprise=enterprise, category="funding", title=title)
        Need.objects.filter(pk=need.pk).update(created_at=at(2, 9), accept_due_on=D(2026, 3, 3), **fields)
        return need

    # N1: accepted in time, closed by its (unchanged) deadline, answered 5 working days after arrival.
    make(
        "N1",
        status=NeedStatus.CLOSED,
        accepted_at=at(3),
        original_due_on=D(2026, 3, 20),
        due_on=D(2026, 3, 20),
        answered_at=at(9),
        closed_at=at(10),
    )
    # N2: accepted late, extended from 10 to 17 March, closed on the 16th: late against the original deadline,
    # on time against the extended one; answered 9 working days after arrival.
    n2 = make(
        "N2",
        status=NeedStatus.CLOSED,
        accepted_at=at(5),
        original_due_on=D(2026, 3, 10),
        due_on=D(2026, 3, 17),
        answered_at=at(13),
        closed_at=at(16),
    )
    ExtensionRequest.objects.create(
        need=n2,
        requested_due_on=D(2026, 3, 17),
        reason="x",
        requested_by=officer,
        status=ExtensionStatus.APPROVED,
        decided_by=manager,
    )
    # N3: still new after its acceptance deadline: counts as not accepted in time.
    make("N3", original_due_on=D(2026, 3, 23), due_on=D(2026, 3, 23))
    # N4: rejected without being accepted: left out of the acceptance rate.
    make("N4", status=NeedStatus.REJECTED, original_due_on=D(2026, 3, 23), due_on=D(2026, 3, 23))
    # N5: new, acceptance due tomorrow: not settled yet.
    make("N5", original_due_on=D(2026, 4, 20), due_on=D(2026, 4, 20))
    Need.objects.filter(title="N5").update(accept_due_on=D(2026, 4, 1))
    # A refused request does not make a need "extended".
    ExtensionRequest.objects.create(
        need=Need.objects.get(title="N1"),
        requested_due_on=D(2026, 3, 27),
        reason="y",
        requested_by=officer,
        status=ExtensionStatus.REFUSED,
        decided_by=manager,
    )
    needs_answer_workdays_fill()  # the dates were written directly, not by the transitions that keep the count


def test_clock_kpis_by_hand(dataset, manager):
    kpis = need_clock_kpis(needs=Need.objects.visible_to(manager), today=TODAY)
    # 及时受理率: N1 on time; N2 late; N3 overdue unaccepted → 1 / 3.
    assert kpis["accepted_on_time"] == {"count": 1, "total": 3, "percent": 33.3}
    # 按期办结率 against the original deadline: N1 yes, N2 no → 1 / 2; against the extended one: 2 / 2.
    assert kpis["closed_on_time_original"] == {"count": 1, "total": 2, "percent": 50.0}
    assert kpis["closed_on_time_extended"] == {"count": 2, "total": 2, "percent": 100.0}
    # 延期率: N2 of the five needs with a deadline.
    assert kpis["extended"] == {"count": 1, "total": 5, "percent": 20.0}
    # Working days from arrival (Mon 2 March) to answer: 5 (9 March) and 9 (13 March) → 7.0.
    assert kpis["answer_days"] == {"answered": 2, "average": 7.0}


def test_dashboard_on_time_rate_ignores_extensions(dataset, manager, api_as):
    kpis = dashboard_kpis(user=manager, today=TODAY, fresh=True)
    assert kpis["on_time"]["percent"] == 50.0  # not 100: N2's extension does not make it on time
    assert kpis["clock"]["accepted_on_time"]["percent"] == 33.3
    body = api_as(manager).get("/api/v1/dashboard/").json()
    assert set(body["clock"]) == {
        "accepted_on_time",
        "closed_on_time_original",
        "closed_on_time_extended",
        "extended",
        "answer_days",
    }

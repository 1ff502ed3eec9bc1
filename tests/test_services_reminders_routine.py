"""send_reminders' routine notices (DESIGN §11.1, §11.3): plan tomorrow, cadence N days left, new-need digest;
and the urgent new-need notice at once. Each once."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm.choices import NotificationKind, Urgency
from crm.models import Need, Notification
from crm.services.needs import need_create, need_digest_send
from crm.services.reminders import cadence_reminders_send, plan_reminders_send
from tests.factories import VisitPlanFactory

pytestmark = pytest.mark.django_db


def test_planned_visit_tomorrow_once(officer, leader, enterprise):
    day = dt.date(2026, 11, 10)
    plan = VisitPlanFactory(enterprise=enterprise, planned_on=day + dt.timedelta(days=1), lead=leader)
    plan.officers.add(officer)
    VisitPlanFactory(enterprise=enterprise, planned_on=day + dt.timedelta(days=2)).officers.add(officer)
    assert plan_reminders_send(today=day) == 2
    assert plan_reminders_send(today=day) == 0
    assert Notification.objects.filter(kind=NotificationKind.PLAN, recipient=officer).count() == 1


def test_cadence_not_met_seven_days_before_the_end_once_per_period(officer, leader, enterprise):
    enterprise.liaison_officers.add(officer)
    enterprise.liaison_leader = leader
    enterprise.save()
    assert cadence_reminders_send(today=dt.date(2026, 11, 20)) == 0  # 10 days left
    assert cadence_reminders_send(today=dt.date(2026, 11, 24)) == 1  # officer: month ends in 6 days
    assert cadence_reminders_send(today=dt.date(2026, 11, 25)) == 0
    notice = Notification.objects.get(kind=NotificationKind.CADENCE)
    assert notice.recipient == officer and "2026-11-30" in notice.text
    assert cadence_reminders_send(today=dt.date(2026, 12, 26)) == 2  # December and Q4 for the leader


def test_urgent_need_notifies_managers_at_once_normal_ones_in_the_digest(officer, manager, county_manager, enterprise):
    need_create(user=officer, enterprise=enterprise, category="funding", title="特急诉求", urgency=Urgency.CRITICAL)
    assert Notification.objects.filter(recipient=manager, kind=NotificationKind.NEW_NEED).count() == 1
    assert not Notification.objects.filter(recipient=county_manager).exists()
    need_create(user=officer, enterprise=enterprise, category="funding", title="一般诉求一")
    need_create(user=officer, enterprise=enterprise, category="funding", title="一般诉求二")
    assert Notification.objects.filter(recipient=manager).count() == 1
    tomorrow = timezone.localtime(Need.objects.latest("id").created_at).date() + dt.timedelta(days=1)
    assert need_digest_send(today=tomorrow) == 1
    assert need_digest_send(today=tomorrow) == 0
    digest = Notification.objects.get(kind=NotificationKind.NEED_DIGEST)
    assert digest.recipient == manager and digest.text.startswith("2 ")


def test_send_reminders_runs_the_routine_notices(officer, enterprise, capsys):
    call_command("send_reminders", "--date", "2026-11-24")
    out = capsys.readouterr().out
    assert "visit plans:" in out and "visit cadence:" in out and "new needs digest:" in out

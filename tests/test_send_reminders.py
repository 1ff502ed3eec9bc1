"""Escalation by the working-day clock (warning, overdue, supervision) and the idempotent daily command."""

import datetime as dt
import zoneinfo
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from crm.choices import NeedStatus, NotificationKind, Role
from crm.models import Holiday, Need, Notification
from crm.selectors.needs import need_escalation, needs_escalation_annotate
from crm.services.needs import need_create, need_reminders_send
from tests.factories import make_user

D = dt.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ASSIGNED = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # Monday
DUE = D(2026, 3, 23)  # 15 working days later


@pytest.fixture
def handler(city_bureau, city_department):
    return make_user("handler", Role.OFFICER, city_bureau, city_department, email="handler@example.org")


@pytest.fixture
def need(officer, enterprise, handler, city_department):
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="研发补助")
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.IN_PROGRESS,
        assigned_at=ASSIGNED,
        due_on=DUE,
        handler=handler,
        lead_department=city_department,
    )
    need.refresh_from_db()
    return need


def run(day: D) -> str:
    out = StringIO()
    call_command("send_reminders", date=day.isoformat(), stdout=out)
    return out.getvalue()


class TestLevels:
    @pytest.mark.parametrize(
        ("today", "level"),
        [
            (D(2026, 3, 2), None),
            (D(2026, 3, 17), None),  # 11 of 15 working days used
            (D(2026, 3, 18), "warning"),  # 12 of 15 = 80 %
            (D(2026, 3, 21), "warning"),  # Saturday
            (D(2026, 3, 23), "warning"),  # due today
            (D(2026, 3, 24), "overdue"),
            (D(2026, 3, 29), "overdue"),  # Sunday: 4 working days late
            (D(2026, 3, 30), "supervision"),  # 5 working days late
            (D(2026, 6, 1), "supervision"),
        ],
    )
    def test_levels(self, need, today, level):
        assert need_escalation(need, today=today) == level

    def test_holiday_delays_supervision(self, need):
        Holiday.objects.create(date=D(2026, 3, 30), name="假日")
        assert need_escalation(need, today=D(2026, 3, 30)) == "overdue"
        assert need_escalation(need, today=D(2026, 3, 31)) == "supervision"

    def test_make_up_day_brings_supervision_earlier(self, need):
        Holiday.objects.create(date=D(2026, 3, 28), name="调休", is_workday=True)
        assert need_escalation(need, today=D(2026, 3, 27)) == "overdue"
        assert need_escalation(need, today=D(2026, 3, 28)) == "supervision"  # Saturday, worked

    @pytest.mark.parametrize("status", [NeedStatus.ANSWERED, NeedStatus.CLOSED, NeedStatus.REJECTED])
    def test_not_open_means_no_escalation(self, need, status):
        need.status = status
        assert need_escalation(need, today=D(2026, 4, 30)) is None

    def test_annotate_uses_one_query(self, need, officer, enterprise, django_assert_num_queries):
        other = need_create(user=officer, enterprise=enterprise, category="funding", title="无期限")
        with django_assert_num_queries(1):
            annotated = needs_escalation_annotate([need, other], today=D(2026, 3, 24))
        assert [n.escalation for n in annotated] == ["overdue", None]


class TestCommand:
    def test_nothing_before_warning(self, need):
        run(D(2026, 3, 10))
        assert not Notification.objects.exists()

    def test_warning_once(self, need, handler, manager, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            out = run(D(2026, 3, 18))
        assert "1 notice(s) created" in out
        notice = Notification.objects.get()
        assert (notice.recipient, notice.kind, notice.need) == (handler, NotificationKind.WARNING, need)
        assert notice.dedupe_key == f"need:{need.pk}:warning:2026-03-23"
        assert [m.to for m in mail.outbox] == [["handler@example.org"]]
        # Second run the same day, and the next day: nothing new.
        with django_capture_on_commit_callbacks(execute=True):
            run(D(2026, 3, 18))
            run(D(2026, 3, 19))
        assert Notification.objects.count() == 1
        assert len(mail.outbox) == 1

    def test_overdue_tells_handler_and_managers(self, need, handler, manager, leader):
        run(D(2026, 3, 24))
        assert set(Notification.objects.values_list("recipient__username", "kind")) == {
            ("handler", NotificationKind.OVERDUE),
            ("manager", NotificationKind.OVERDUE),
        }
        run(D(2026, 3, 24))
        assert Notification.objects.count() == 2

    def test_supervision_tells_the_leader(self, need, handler, manager, leader):
        run(D(2026, 3, 30))
        assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
            "handler",
            "manager",
            "leader",
        }
        assert set(Notification.objects.values_list("kind", flat=True)) == {NotificationKind.SUPERVISION}

    def test_supervision_prefers_the_liaison_leader(self, need, enterprise, handler, leader, city_bureau):
        liaison_leader = make_user("liaison_leader", Role.LEADER, city_bureau)
        enterprise.liaison_leader = liaison_leader
        enterprise.save()
        run(D(2026, 3, 30))
        recipients = set(Notification.objects.values_list("recipient__username", flat=True))
        assert "liaison_leader" in recipients
        assert "leader" not in recipients

    def test_each_level_once_over_the_life_of_a_need(self, need):
        for day in range(2, 32):
            run(D(2026, 3, day))
        assert sorted(Notification.objects.values_list("kind", flat=True)) == [
            NotificationKind.OVERDUE,
            NotificationKind.SUPERVISION,
            NotificationKind.WARNING,
        ]

    def test_extension_warns_again(self, need):
        run(D(2026, 3, 18))
        Need.objects.filter(pk=need.pk).update(due_on=D(2026, 3, 20))
        run(D(2026, 3, 18))
        assert Notification.objects.filter(kind=NotificationKind.WARNING).count() == 2

    def test_without_handler_the_lead_department_is_told(self, need, officer, handler):
        Need.objects.filter(pk=need.pk).update(handler=None)
        run(D(2026, 3, 18))
        # officer and handler are both in the lead department (city_department).
        assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"officer", "handler"}

    def test_closed_needs_are_quiet(self, need):
        Need.objects.filter(pk=need.pk).update(status=NeedStatus.CLOSED)
        run(D(2026, 4, 30))
        assert not Notification.objects.exists()

    def test_query_count_does_not_grow_with_needs(
        self, need, officer, enterprise, handler, django_assert_max_num_queries
    ):
        for i in range(20):
            other = need_create(user=officer, enterprise=enterprise, category="funding", title=f"n{i}")
            Need.objects.filter(pk=other.pk).update(
                status=NeedStatus.ASSIGNED, assigned_at=ASSIGNED, due_on=DUE, handler=handler
            )
        with django_assert_max_num_queries(12):
            created = need_reminders_send(today=D(2026, 3, 24))
        assert created == 21

    def test_bad_date(self, db):
        with pytest.raises(CommandError):
            call_command("send_reminders", date="2026-13-01", stdout=StringIO())

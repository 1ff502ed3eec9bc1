"""The need clock (DESIGN §11.4): the time-limit table, the dates set at creation by every path, assign may only
shorten, extension requests and their decisions, and the escalation of needs not accepted in time."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from crm.choices import ExtensionStatus, NeedCategory, NeedEventKind, NeedStatus, NotificationKind, Role, Urgency
from crm.models import ExtensionRequest, Holiday, Need, Notification, TimeLimit
from crm.services.errors import TransitionConflict, TransitionForbidden
from crm.services.needs import (
    extension_request_approve,
    extension_request_refuse,
    need_acceptance_reminders_send,
    need_assign,
    need_clock_start,
    need_extend,
)
from crm.services.visits import visit_create
from crm.sheets.imports import sheet_import
from crm.workdays import TimeLimits, clock_dates, time_limit_for
from tests.factories import make_user
from tests.sheets_helpers import make_xlsx

pytestmark = pytest.mark.usefixtures("english")

D = dt.date
TODAY = timezone.localdate()


def expected_dates(category=NeedCategory.FUNDING, urgency=Urgency.NORMAL):
    return clock_dates(category=category, urgency=urgency, start=TODAY)


def put(need: Need, status: str, **extra) -> Need:
    Need.objects.filter(pk=need.pk).update(status=status, **extra)
    need.refresh_from_db()
    return need


# ------------------------------------------------------------------------------------------- the table


@pytest.mark.django_db
class TestTimeLimitTable:
    def test_defaults_are_seeded(self):
        limits = {(r.category, r.urgency): r.answer_days for r in TimeLimit.objects.all()}
        assert limits[("", Urgency.NORMAL)] == 15
        assert limits[("", Urgency.URGENT)] == 5
        assert limits[("", Urgency.CRITICAL)] == 2
        assert limits[(NeedCategory.CONSULTATION, Urgency.NORMAL)] == 3
        row = TimeLimit.objects.get(category="", urgency=Urgency.NORMAL)
        assert (row.accept_days, row.max_extensions, row.max_extension_days) == (1, 1, 15)

    def test_the_category_row_wins_over_any_category(self):
        TimeLimit.objects.create(category=NeedCategory.LAND, urgency=Urgency.NORMAL, accept_days=2, answer_days=30)
        assert time_limit_for(category=NeedCategory.LAND, urgency=Urgency.NORMAL).answer_days == 30
        assert time_limit_for(category=NeedCategory.LAND, urgency=Urgency.NORMAL).accept_days == 2
        assert time_limit_for(category=NeedCategory.FUNDING, urgency=Urgency.NORMAL).answer_days == 15
        assert time_limit_for(category=NeedCategory.LAND, urgency=Urgency.URGENT).answer_days == 5

    def test_an_edited_row_changes_new_needs(self):
        TimeLimit.objects.filter(category="", urgency=Urgency.URGENT).update(answer_days=7)
        assert time_limit_for(category=NeedCategory.RD, urgency=Urgency.URGENT).answer_days == 7

    def test_empty_table_falls_back_to_the_built_in_defaults(self):
        TimeLimit.objects.all().delete()
        limits = time_limit_for(category=NeedCategory.CONSULTATION, urgency=Urgency.NORMAL)
        assert (limits.accept_days, limits.answer_days, limits.max_extensions) == (1, 3, 1)


@pytest.mark.django_db
class TestWorkingDays:
    """The clock counts need_in_progress days: weekends skipped, holidays skipped, make-up days (调休) worked."""

    def test_weekend(self):
        # Friday 2026-03-06: accept by Monday 9th; 15 need_in_progress days → Friday 27th.
        assert TimeLimits().clock_dates(category="funding", urgency="normal", start=D(2026, 3, 6)) == (
            D(2026, 3, 9),
            D(2026, 3, 27),
        )

    def test_holidays_and_make_up_day(self):
        for day in range(1, 8):
            Holiday.objects.create(date=D(2026, 10, day), name="国庆节")
        Holiday.objects.create(date=D(2026, 10, 10), name="国庆节调休", is_workday=True)
        # Received Wednesday 30 September: acceptance skips the holiday week to Thursday 8 October; a critical
        # need's 2 need_in_progress days are the 8th and the 9th; a normal one counts Saturday the 10th (调休).
        accept, due = TimeLimits().clock_dates(category="funding", urgency="critical", start=D(2026, 9, 30))
        assert (accept, due) == (D(2026, 10, 8), D(2026, 10, 9))
        accept, due = TimeLimits().clock_dates(category="funding", urgency="normal", start=D(2026, 9, 30))
        # 8, 9, 10 (Sat, worked), 12–16, 19–23, 26, 27 → the 15th need_in_progress day is Tuesday 27 October.
        assert due == D(2026, 10, 27)

    def test_clock_start_keeps_a_given_deadline(self, need):
        fresh = Need(category="funding", urgency="normal", due_on=D(2026, 4, 30))
        need_clock_start(need=fresh, received_on=D(2026, 3, 6))
        assert (fresh.accept_due_on, fresh.due_on, fresh.original_due_on) == (
            D(2026, 3, 9),
            D(2026, 4, 30),
            D(2026, 4, 30),
        )


# ------------------------------------------------------------------------------------ every path sets it


@pytest.mark.django_db
class TestEveryPathStartsTheClock:
    def assert_clock(self, need, category=NeedCategory.FUNDING, urgency=Urgency.NORMAL):
        accept, due = expected_dates(category, urgency)
        assert (need.accept_due_on, need.due_on, need.original_due_on) == (accept, due, due)
        assert need.status == NeedStatus.NEW and need.accepted_at is None

    def test_service(self, need):
        self.assert_clock(need)

    def test_web_form(self, client, officer, enterprise):
        client.force_login(officer)
        response = client.post(
            reverse("crm:need-create"),
            {"enterprise": enterprise.pk, "source": "phone", "category": "rd", "urgency": "urgent", "title": "攻关"},
        )
        assert response.status_code == 302, response.content
        self.assert_clock(Need.objects.get(title="攻关"), NeedCategory.RD, Urgency.URGENT)

    def test_api(self, api_as, officer, enterprise):
        body = {"enterprise": enterprise.pk, "category": "consultation", "title": "政策咨询"}
        response = api_as(officer).post("/api/v1/needs/", body, format="json")
        assert response.status_code == 201, response.json()
        need = Need.objects.get(pk=response.json()["id"])
        self.assert_clock(need, NeedCategory.CONSULTATION)
        assert response.json()["accept_due_on"] == need.accept_due_on.isoformat()
        assert response.json()["original_due_on"] == need.original_due_on.isoformat()

    def test_import(self, officer, enterprise):
        headers = ["企业名称", "诉求类别", "诉求标题", "紧急程度"]
        outcome = sheet_import(
            kind="needs", data=make_xlsx(headers, [[enterprise.name, "资金支持", "导入诉求", "特急"]]), user=officer
        )
        assert outcome.ok, outcome
        self.assert_clock(Need.objects.get(title="导入诉求"), urgency=Urgency.CRITICAL)

    def test_visit(self, officer, enterprise):
        visit_create(
            user=officer,
            enterprise=enterprise,
            visited_on=TODAY,
            q_needs="用地",
            needs=[{"category": "land", "title": "走访诉求"}],
        )
        self.assert_clock(Need.objects.get(title="走访诉求"), NeedCategory.LAND)

    def test_admin(self, client, enterprise, city_bureau, city_department):
        admin = make_user("clockadmin", Role.ADMIN, city_bureau, city_department, is_staff=True)
        client.force_login(admin)
        response = client.post(
            "/admin/crm/need/add/",
            {
                "enterprise": enterprise.pk,
                "source": "phone",
                "category": "funding",
                "urgency": "normal",
                "title": "后台诉求",
                "description": "",
                "events-TOTAL_FORMS": "0",
                "events-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        self.assert_clock(Need.objects.get(title="后台诉求"))


# ----------------------------------------------------------------------------------------------- assign


@pytest.mark.django_db
class TestAssign:
    def test_later_than_the_clock_is_refused(self, need, manager, lead_department):
        put(need, NeedStatus.ACCEPTED)
        later = need.due_on + dt.timedelta(days=1)
        with pytest.raises(ValidationError) as error:
            need_assign(need=need, user=manager, version=1, lead_department=lead_department, due_on=later)
        assert "only shorten" in " ".join(error.value.message_dict["due_on"])
        need.refresh_from_db()
        assert need.status == NeedStatus.ACCEPTED and need.version == 1

    def test_earlier_is_accepted_and_the_original_kept(self, need, manager, lead_department):
        put(need, NeedStatus.ACCEPTED)
        original = need.due_on
        earlier = TODAY + dt.timedelta(days=3)
        need = need_assign(need=need, user=manager, version=1, lead_department=lead_department, due_on=earlier)
        assert (need.due_on, need.original_due_on) == (earlier, original)

    def test_no_date_keeps_the_clock(self, need, manager, lead_department):
        put(need, NeedStatus.ACCEPTED)
        due = need.due_on
        need = need_assign(need=need, user=manager, version=1, lead_department=lead_department)
        assert need.due_on == due

    @pytest.mark.parametrize("far", ["9999-12-31", D(2100, 1, 1)])
    def test_far_deadline_is_refused_and_nothing_saved(self, need, manager, lead_department, far):
        put(need, NeedStatus.ACCEPTED, due_on=None)
        with pytest.raises(ValidationError) as error:
            need_assign(need=need, user=manager, version=1, lead_department=lead_department, due_on=far)
        assert "two years" in " ".join(error.value.message_dict["due_on"])
        need.refresh_from_db()
        assert (need.status, need.due_on, need.version) == (NeedStatus.ACCEPTED, None, 1)

    def test_model_refuses_a_far_deadline(self, need):
        need.due_on = D(9999, 12, 31)
        with pytest.raises(ValidationError) as error:
            need.full_clean()
        assert "due_on" in error.value.message_dict


# ------------------------------------------------------------------------------------------- extensions


def later(need, days=7):
    return need.due_on + dt.timedelta(days=days)


@pytest.mark.django_db
class TestExtensionRequests:
    def test_request_then_approve_moves_due_and_keeps_original(self, need_in_progress, handler, manager):
        original, due = need_in_progress.original_due_on, need_in_progress.due_on
        request = need_extend(
            need=need_in_progress, user=handler, version=1, due_on=later(need_in_progress), reason="等待检测报告"
        )
        need_in_progress.refresh_from_db()
        assert need_in_progress.due_on == due and request.status == ExtensionStatus.PENDING
        assert Notification.objects.filter(recipient=manager, kind=NotificationKind.EXTENSION).exists()

        request = extension_request_approve(request=request, user=manager, note="同意")
        need_in_progress.refresh_from_db()
        assert (request.status, request.decided_by, need_in_progress.due_on) == (
            ExtensionStatus.APPROVED,
            manager,
            later(need_in_progress, 0),
        )
        assert need_in_progress.original_due_on == original
        assert need_in_progress.version == 2
        event = need_in_progress.events.filter(kind=NeedEventKind.EXTENSION).get()
        assert "等待检测报告" in event.text
        assert Notification.objects.filter(recipient=handler, kind=NotificationKind.EXTENSION).exists()

    def test_refuse_needs_a_reason_and_keeps_due(self, need_in_progress, handler, manager):
        due = need_in_progress.due_on
        request = need_extend(
            need=need_in_progress, user=handler, version=1, due_on=later(need_in_progress), reason="x"
        )
        with pytest.raises(ValidationError):
            extension_request_refuse(request=request, user=manager, note="")
        request = extension_request_refuse(request=request, user=manager, note="可先行答复")
        need_in_progress.refresh_from_db()
        assert (request.status, need_in_progress.due_on, need_in_progress.version) == (ExtensionStatus.REFUSED, due, 1)
        assert need_in_progress.events.filter(kind=NeedEventKind.NOTE, text__contains="可先行答复").exists()
        assert Notification.objects.filter(recipient=handler, kind=NotificationKind.EXTENSION).exists()

    def test_self_approval_is_forbidden(self, need_in_progress, manager):
        request = need_extend(
            need=need_in_progress, user=manager, version=1, due_on=later(need_in_progress), reason="x"
        )
        with pytest.raises(TransitionForbidden):
            extension_request_approve(request=request, user=manager)

    def test_a_managers_own_request_goes_to_a_leader(
        self, need_in_progress, manager, leader, city_bureau, city_department
    ):
        other_manager = make_user("manager_b", Role.MANAGER, city_bureau, city_department)
        request = need_extend(
            need=need_in_progress, user=manager, version=1, due_on=later(need_in_progress), reason="x"
        )
        assert Notification.objects.filter(recipient=leader, kind=NotificationKind.EXTENSION).exists()
        assert not Notification.objects.filter(recipient=other_manager, kind=NotificationKind.EXTENSION).exists()
        with pytest.raises(TransitionForbidden):
            extension_request_approve(request=request, user=other_manager)
        request = extension_request_approve(request=request, user=leader)
        assert request.status == ExtensionStatus.APPROVED

    def test_handler_may_not_decide(self, need_in_progress, handler, officer, manager):
        request = need_extend(
            need=need_in_progress, user=manager, version=1, due_on=later(need_in_progress), reason="x"
        )
        with pytest.raises(TransitionForbidden):
            extension_request_approve(request=request, user=handler)

    def test_max_extensions(self, need_in_progress, handler, manager):
        request = need_extend(
            need=need_in_progress, user=handler, version=1, due_on=later(need_in_progress), reason="x"
        )
        extension_request_approve(request=request, user=manager)
        need_in_progress.refresh_from_db()
        with pytest.raises(ValidationError) as error:
            need_extend(need=need_in_progress, user=handler, version=2, due_on=later(need_in_progress), reason="again")
        assert "max_extensions" in " ".join(error.value.messages)

    def test_max_extension_days(self, need_in_progress, handler):
        with pytest.raises(ValidationError) as error:
            need_extend(need=need_in_progress, user=handler, version=1, due_on=later(need_in_progress, 40), reason="x")
        assert "max_extension_days" in " ".join(error.value.messages)
        assert not ExtensionRequest.objects.exists()

    def test_table_limits_apply(self, need_in_progress, handler):
        TimeLimit.objects.filter(urgency=Urgency.NORMAL).update(max_extensions=0)
        with pytest.raises(ValidationError) as error:
            need_extend(need=need_in_progress, user=handler, version=1, due_on=later(need_in_progress), reason="x")
        assert "max_extensions" in " ".join(error.value.messages)

    def test_one_pending_request_at_a_time(self, need_in_progress, handler):
        need_extend(need=need_in_progress, user=handler, version=1, due_on=later(need_in_progress), reason="x")
        with pytest.raises(ValidationError):
            need_extend(need=need_in_progress, user=handler, version=1, due_on=later(need_in_progress, 8), reason="y")

    def test_second_decision_is_a_conflict(self, need_in_progress, handler, manager, city_bureau, city_department):
        request = need_extend(
            need=need_in_progress, user=handler, version=1, due_on=later(need_in_progress), reason="x"
        )
        extension_request_approve(request=request, user=manager)
        other = make_user("manager_c", Role.MANAGER, city_bureau, city_department)
        with pytest.raises(TransitionConflict):
            extension_request_refuse(request=ExtensionRequest.objects.get(pk=request.pk), user=other, note="no")


# ------------------------------------------------------------------------------------------- escalation


@pytest.mark.django_db
class TestUnacceptedEscalation:
    def test_warning_then_supervision_each_once(self, need, manager, leader):
        Need.objects.filter(pk=need.pk).update(accept_due_on=TODAY - dt.timedelta(days=1))
        assert need_acceptance_reminders_send(today=TODAY) == 1
        assert need_acceptance_reminders_send(today=TODAY) == 0
        assert Notification.objects.get(recipient=manager).kind == NotificationKind.WARNING
        late = TODAY + dt.timedelta(days=14)
        assert need_acceptance_reminders_send(today=late) == 2  # supervision: the manager and the leader
        assert need_acceptance_reminders_send(today=late) == 0
        assert Notification.objects.filter(recipient=leader, kind=NotificationKind.SUPERVISION).count() == 1

    def test_accepted_needs_are_not_escalated(self, need, manager):
        Need.objects.filter(pk=need.pk).update(accept_due_on=TODAY - dt.timedelta(days=1), status=NeedStatus.ACCEPTED)
        assert need_acceptance_reminders_send(today=TODAY) == 0

    def test_send_reminders_runs_it_twice_without_duplicates(self, need, manager, leader):
        Need.objects.filter(pk=need.pk).update(accept_due_on=TODAY - dt.timedelta(days=10))
        call_command("send_reminders", stdout=open("/dev/null", "w"))
        count = Notification.objects.filter(need=need).count()
        call_command("send_reminders", stdout=open("/dev/null", "w"))
        assert Notification.objects.filter(need=need).count() == count
        assert Notification.objects.filter(recipient=leader, need=need, kind=NotificationKind.SUPERVISION).count() == 1

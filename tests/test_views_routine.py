"""Pages of the routine: 工作台 sections (待走访, plans, inbox, 预警企业), plans and their calendar, the iCalendar feed
and its key, activities, 受理并交办 and 批示 (DESIGN §11.1–§11.3)."""

import datetime as dt
import re

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.choices import NeedEventKind, NeedStatus, PlanStatus, Urgency, VisitFlag
from crm.models import Activity, CalendarKey, Need
from crm.services.activities import activity_create
from crm.services.needs import need_create
from tests.factories import (
    ActionItemFactory,
    EnterpriseFactory,
    NeedFactory,
    VisitFactory,
    VisitPlanFactory,
    today,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _home(client, user):
    client.force_login(user)
    response = client.get(reverse("crm:home"))
    assert response.status_code == 200
    return response.content.decode()


class TestOfficerWorkbench:
    def test_to_visit_and_next_plans(self, client, officer, enterprise):
        enterprise.liaison_officers.add(officer)
        plan = VisitPlanFactory(enterprise=enterprise, planned_on=today() + dt.timedelta(days=3), purpose="回访补助")
        plan.officers.add(officer)
        VisitPlanFactory(enterprise=enterprise, planned_on=today() + dt.timedelta(days=30)).officers.add(officer)
        html = _home(client, officer)
        assert 'id="cadence-todo"' in html and enterprise.name in html
        assert "list-group-item-danger" in html  # last month unmet: missed, red
        assert "回访补助" in html and html.count('class="list-group-item plan-row') == 1

    def test_query_budget_does_not_grow(self, client, officer, django_assert_max_num_queries):
        client.force_login(officer)
        client.get(reverse("crm:home"))
        for _ in range(8):
            enterprise = EnterpriseFactory(is_linked=True)
            enterprise.liaison_officers.add(officer)
            VisitPlanFactory(enterprise=enterprise).officers.add(officer)
        with django_assert_max_num_queries(40):
            assert client.get(reverse("crm:home")).status_code == 200


class TestManagerInbox:
    def test_lists_oldest_first_and_county_manager_sees_its_county_only(
        self, client, officer, manager, county_manager, county_officer, enterprise, county_enterprise
    ):
        first = need_create(user=officer, enterprise=enterprise, category="funding", title="城市诉求一")
        need_create(user=officer, enterprise=enterprise, category="funding", title="城市诉求二")
        need_create(user=county_officer, enterprise=county_enterprise, category="talent", title="金湖诉求")
        html = _home(client, manager)
        assert html.index("城市诉求一") < html.index("城市诉求二") and "金湖诉求" not in html
        html = _home(client, county_manager)
        assert "金湖诉求" in html and "城市诉求一" not in html
        assert 'id="inbox-assign"' in html and 'id="inbox-supervised"' in html
        assert first.status == NeedStatus.NEW

    def test_to_accept_shows_the_acceptance_deadline(self, client, officer, manager, enterprise):
        need = need_create(user=officer, enterprise=enterprise, category="funding", title="待签收诉求")
        html = _home(client, manager)
        block = html[html.index('id="inbox-accept"') : html.index('id="inbox-assign"')]
        assert need.accept_due_on is not None
        assert f"签收期限 {need.accept_due_on:%Y-%m-%d}" in block

    def test_officer_has_no_inbox(self, client, officer):
        assert 'id="manager-inbox"' not in _home(client, officer)

    def test_inbox_query_budget(self, client, manager, officer, enterprise, django_assert_max_num_queries):
        client.force_login(manager)
        client.get(reverse("crm:home"))
        for n in range(10):
            need_create(user=officer, enterprise=enterprise, category="funding", title=f"诉求{n}")
        with django_assert_max_num_queries(45):
            assert client.get(reverse("crm:home")).status_code == 200


class TestLeaderWatch:
    def test_red_flag_enterprise_with_what_answers_it(self, client, leader, officer, enterprise):
        VisitFactory(enterprise=enterprise, visited_on=today() - dt.timedelta(days=9), flag=VisitFlag.GREEN)
        visit = VisitFactory(enterprise=enterprise, flag=VisitFlag.RED, q_difficulties="外省某开发区邀请整体迁移")
        need = NeedFactory(enterprise=enterprise, title="留企用地保障", bureau=enterprise.bureau)
        ActionItemFactory(enterprise=enterprise, need=need, title="协调用地指标", owner=officer, due_on=today())
        calm = EnterpriseFactory(is_linked=True)
        VisitFactory(enterprise=calm, flag=VisitFlag.RED, visited_on=today() - dt.timedelta(days=5))
        VisitFactory(enterprise=calm, flag=VisitFlag.GREEN)  # the latest visit is green: not at risk
        html = _home(client, leader)
        assert 'id="red-flags"' in html and "外省某开发区邀请整体迁移" in html and visit.code in html
        assert "留企用地保障" in html and "协调用地指标" in html
        assert calm.name not in html


class TestNeedPage:
    def test_accept_and_assign_in_one_form_writes_two_events(self, client, manager, need, lead_department, handler):
        client.force_login(manager)
        response = client.post(
            reverse("crm:need-transition", args=[need.pk, "accept"]),
            {
                "accept-version": need.version,
                "accept-lead_department": lead_department.pk,
                "accept-handler": handler.pk,
            },
        )
        assert response.status_code == 302, response.content.decode()[-3000:]
        need.refresh_from_db()
        assert need.status == NeedStatus.ASSIGNED and need.handler == handler
        kinds = list(need.events.values_list("kind", "to_status"))[-2:]
        assert kinds == [(NeedEventKind.STATUS, NeedStatus.ACCEPTED), (NeedEventKind.ASSIGNMENT, NeedStatus.ASSIGNED)]

    def test_handler_outside_the_department_is_refused_and_nothing_changes(
        self, client, manager, officer, need, lead_department
    ):
        client.force_login(manager)
        response = client.post(
            reverse("crm:need-transition", args=[need.pk, "accept"]),
            {
                "accept-version": need.version,
                "accept-lead_department": lead_department.pk,
                "accept-handler": officer.pk,
            },
        )
        assert response.status_code == 200 and "须为主办部门" in response.content.decode()
        need.refresh_from_db()
        assert need.status == NeedStatus.NEW and need.events.count() == 1

    def test_instruction_is_its_own_button_for_leaders(self, client, leader, officer, need):
        client.force_login(leader)
        html = client.get(reverse("crm:need-detail", args=[need.pk])).content.decode()
        assert 'id="btn-instruction"' in html
        client.post(reverse("crm:need-event-create", args=[need.pk]), {"kind": "instruction", "text": "尽快协调"})
        assert need.events.filter(kind=NeedEventKind.INSTRUCTION, text="尽快协调").exists()
        client.force_login(officer)
        assert 'id="btn-instruction"' not in client.get(reverse("crm:need-detail", args=[need.pk])).content.decode()


class TestPlansPages:
    def test_list_calendar_and_cancel(self, client, officer, enterprise):
        plan = VisitPlanFactory(enterprise=enterprise, planned_on=dt.date(2026, 12, 10))
        plan.officers.add(officer)
        client.force_login(officer)
        html = client.get(reverse("crm:visitplan-list")).content.decode()
        assert enterprise.name in html
        html = client.get(reverse("crm:visitplan-list") + "?view=calendar&month=2026-12").content.decode()
        assert 'data-day="2026-12-10"' in html and enterprise.name in html
        assert client.get(reverse("crm:visitplan-list") + "?view=calendar&month=nonsense").status_code == 200
        client.post(reverse("crm:visitplan-cancel", args=[plan.pk]), {"reason": ""})
        plan.refresh_from_db()
        assert plan.status == PlanStatus.PLANNED
        client.post(reverse("crm:visitplan-cancel", args=[plan.pk]), {"reason": "企业停产"})
        plan.refresh_from_db()
        assert (plan.status, plan.cancel_reason) == (PlanStatus.CANCELLED, "企业停产")

    def test_the_person_filter_is_a_staff_picker_with_a_named_chip(self, client, officer, manager, enterprise):
        VisitPlanFactory(enterprise=enterprise, planned_on=dt.date(2026, 12, 10)).officers.add(officer)
        VisitPlanFactory(enterprise=enterprise, planned_on=dt.date(2026, 12, 11), purpose="别人的计划")
        client.force_login(manager)
        html = client.get(reverse("crm:visitplan-list") + f"?person={officer.pk}").content.decode()
        select = re.search(r'<select name="person"[^>]*>.*?</select>', html, re.S).group(0)
        assert 'data-picker="staff"' in select  # a name to pick, not an id to type
        assert re.search(rf'<option value="{officer.pk}" selected>{officer.username}</option>', select)
        chip = re.search(r'<[^>]*data-filter="person".*?</a>', html, re.S).group(0)
        assert officer.username in chip and f"#{officer.pk}" not in chip and "别人的计划" not in html


class TestCalendarFeed:
    def test_feed_parses_and_a_revoked_key_is_404(self, client, officer, enterprise):
        plan = VisitPlanFactory(enterprise=enterprise, purpose="走访; 了解, 用地\n需求")
        plan.officers.add(officer)
        VisitFactory(enterprise=enterprise, lead=officer)
        client.force_login(officer)
        client.post(reverse("crm:account"), {"action": "regenerate"})
        page = client.get(reverse("crm:account")).content.decode()
        url = page.split('id="feed-url" readonly value="')[1].split('"')[0].replace("&amp;", "&")
        key = url.split("key=")[1]
        assert not CalendarKey.objects.filter(key_hash=key).exists()  # only a hash is stored
        client.logout()
        response = client.get(reverse("crm:visit-calendar"), {"key": key})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
        calendar = icalendar.Calendar.from_ical(response.content)
        events = calendar.walk("VEVENT")
        assert len(events) == 2
        planned = next(e for e in events if str(e["UID"]).startswith("plan-"))
        assert str(planned["DESCRIPTION"]) == "走访; 了解, 用地\n需求"
        assert planned.decoded("DTSTART") == plan.planned_on
        client.force_login(officer)
        client.post(reverse("crm:account"), {"action": "revoke"})
        client.logout()
        assert client.get(reverse("crm:visit-calendar"), {"key": key}).status_code == 404
        assert client.get(reverse("crm:visit-calendar"), {"key": "guess"}).status_code == 404


class TestActivityPages:
    def test_phone_form_records_participants_and_needs(self, client, leader, enterprise, county_enterprise):
        client.force_login(leader)
        assert client.get(reverse("crm:activity-create")).status_code == 200
        data = {
            "kind": "joint_research",
            "title": "金湖县联合调研",
            "held_on": today().isoformat(),
            "lead": leader.pk,
            "participants-TOTAL_FORMS": "3",
            "participants-INITIAL_FORMS": "0",
            "participants-0-enterprise": enterprise.pk,
            "participants-1-enterprise": county_enterprise.pk,
            "participants-1-attendees": "王总",
            "needs-TOTAL_FORMS": "2",
            "needs-INITIAL_FORMS": "0",
            "needs-0-enterprise": county_enterprise.pk,
            "needs-0-category": "talent",
            "needs-0-title": "引进研发人才",
            "needs-0-urgency": Urgency.NORMAL,
        }
        response = client.post(reverse("crm:activity-create"), data)
        assert response.status_code == 302, response.content.decode()[:3000]
        activity = Activity.objects.get()
        assert activity.counts_as_visit and activity.participants.count() == 2
        assert Need.objects.get().activity == activity
        html = client.get(response["Location"]).content.decode()
        assert "引进研发人才" in html and "王总" in html
        assert "金湖县联合调研" in client.get(reverse("crm:activity-list")).content.decode()

    def test_need_for_a_non_participant_is_refused(self, client, officer, enterprise, county_enterprise):
        client.force_login(officer)
        data = {
            "kind": "symposium",
            "title": "座谈会",
            "held_on": today().isoformat(),
            "participants-TOTAL_FORMS": "1",
            "participants-INITIAL_FORMS": "0",
            "participants-0-enterprise": enterprise.pk,
            "needs-TOTAL_FORMS": "1",
            "needs-INITIAL_FORMS": "0",
            "needs-0-enterprise": county_enterprise.pk,
            "needs-0-category": "talent",
            "needs-0-title": "引进研发人才",
        }
        response = client.post(reverse("crm:activity-create"), data)
        assert response.status_code == 200 and "所属企业须为活动参与企业" in response.content.decode()
        assert not Activity.objects.exists() and not Need.objects.exists()

    def test_out_of_scope_activity_is_404(self, client, county_officer, officer, enterprise):
        client.force_login(officer)
        activity = activity_create(
            user=officer, kind="briefing", title="政策宣讲", held_on=today(), participants=[{"enterprise": enterprise}]
        )
        client.force_login(county_officer)
        assert client.get(reverse("crm:activity-detail", args=[activity.pk])).status_code == 404


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def _activity(user, enterprise, **kwargs):
    return activity_create(
        user=user,
        kind="symposium",
        title="座谈会",
        held_on=today(),
        participants=[{"enterprise": enterprise}],
        **kwargs,
    )


@pytest.mark.usefixtures("media_root")
class TestActivityEditAndFiles:
    def test_edit_page_changes_fields_participants_and_files(self, client, officer, enterprise, county_enterprise):
        photo = SimpleUploadedFile("签到表.jpg", JPEG, content_type="image/jpeg")
        activity = _activity(officer, enterprise, attachments=[photo])
        kept = activity.attachments.get()
        client.force_login(officer)
        url = reverse("crm:activity-update", args=[activity.pk])
        page = client.get(url)
        assert page.status_code == 200 and "签到表.jpg" in page.content.decode()
        data = {
            "kind": "symposium",
            "title": "座谈会（改）",
            "held_on": today().isoformat(),
            "counts_as_visit": "true",
            "lead": officer.pk,
            "participants-TOTAL_FORMS": "2",
            "participants-INITIAL_FORMS": "0",
            "participants-0-enterprise": enterprise.pk,
            "participants-1-enterprise": county_enterprise.pk,
            "attachments_remove": [kept.pk],
            "attachments": SimpleUploadedFile(
                "纪要.pdf", b"%PDF-1.7\n" + b"1 0 obj\n" * 8, content_type="application/pdf"
            ),
        }
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:3000]
        activity.refresh_from_db()
        assert activity.title == "座谈会（改）" and activity.counts_as_visit
        assert set(activity.participants.values_list("enterprise_id", flat=True)) == {
            enterprise.pk,
            county_enterprise.pk,
        }
        assert [a.name for a in activity.attachments.all()] == ["纪要.pdf"]
        html = client.get(response["Location"]).content.decode()
        assert "纪要.pdf" in html and 'id="activity-edit"' in html

    def test_a_file_that_is_not_a_photo_or_pdf_is_refused_and_nothing_changes(self, client, officer, enterprise):
        activity = _activity(officer, enterprise)
        client.force_login(officer)
        data = {
            "kind": "briefing",
            "title": "改了标题",
            "held_on": today().isoformat(),
            "participants-TOTAL_FORMS": "1",
            "participants-INITIAL_FORMS": "0",
            "participants-0-enterprise": enterprise.pk,
            "attachments": SimpleUploadedFile("page.html", b"<html><script>x</script>", content_type="text/html"),
        }
        response = client.post(reverse("crm:activity-update", args=[activity.pk]), data)
        assert response.status_code == 200
        assert "page.html" in response.context["form"].errors["attachments"][0]
        activity.refresh_from_db()
        assert activity.title == "座谈会" and not activity.attachments.exists()

    def test_files_are_served_only_within_scope(self, client, officer, county_officer, enterprise):
        photo = SimpleUploadedFile("现场.jpg", JPEG, content_type="image/jpeg")
        activity = _activity(officer, enterprise, attachments=[photo])
        attachment = activity.attachments.get()
        url = reverse("crm:activity-attachment", args=[activity.pk, attachment.pk])
        client.force_login(officer)
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff" and b"".join(response.streaming_content) == JPEG
        other = _activity(officer, enterprise)
        assert client.get(reverse("crm:activity-attachment", args=[other.pk, attachment.pk])).status_code == 404
        client.force_login(county_officer)
        assert client.get(url).status_code == 404
        assert client.get(reverse("crm:activity-update", args=[activity.pk])).status_code == 404

    def test_an_officer_not_on_the_activity_gets_403(self, client, officer, handler, enterprise):
        activity = _activity(officer, enterprise)
        client.force_login(handler)
        assert client.get(reverse("crm:activity-update", args=[activity.pk])).status_code == 403

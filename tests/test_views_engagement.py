"""Web pages of visits, needs and notifications (DESIGN §8.2): forms, buttons, scoping, query budgets."""

import ast
import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import paginator
from crm.choices import NeedStatus, Role
from crm.forms.engagement import TRANSITION_FORMS, NeedEventForm
from crm.models import Enterprise, Need, NeedEvent, Notification, Project, Visit
from crm.prepared import Statements
from crm.selectors.history import history_changes
from crm.services.errors import TransitionConflict, TransitionForbidden
from crm.services.needs import TRANSITIONS, need_create
from crm.services.visits import visit_create, visit_update
from crm.views.mixins import service_errors
from crm.views.visits import VisitListView
from tests.factories import credit_code, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root", "english_client")]

TODAY = timezone.localdate()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def visit_post(enterprise, **extra):
    data = {
        "enterprise": enterprise.pk,
        "visited_on": TODAY.isoformat(),
        "kind": "on_site",
        "flag": "green",
        "q_needs": "扩大产能",
        "needs-TOTAL_FORMS": "0",
        "needs-INITIAL_FORMS": "0",
        "needs-MIN_NUM_FORMS": "0",
        "needs-MAX_NUM_FORMS": "1000",
    }
    data.update(extra)
    return data


def with_needs(data, *needs):
    data["needs-TOTAL_FORMS"] = str(len(needs))
    for i, need in enumerate(needs):
        for key, value in need.items():
            data[f"needs-{i}-{key}"] = value
    return data


class TestVisitForm:
    def test_get_prefilled_from_enterprise(self, client, officer, enterprise):
        client.force_login(officer)
        response = client.get(reverse("crm:visit-create") + f"?enterprise={enterprise.pk}")
        assert response.status_code == 200
        html = response.content.decode()
        assert re.search(rf'<option value="{enterprise.pk}" selected>', html)
        assert 'id="needs-empty"' in html  # the empty-form template for "add another need"
        assert 'data-formset-add="needs"' in html
        assert f'value="{TODAY.isoformat()}"' in html

    def test_prefilled_from_project(self, client, officer, enterprise):
        project = Project.objects.create(name="帮办项目", region=enterprise.region, enterprise=enterprise)
        client.force_login(officer)
        html = client.get(reverse("crm:visit-create") + f"?project={project.pk}").content.decode()
        assert re.search(rf'<option value="{project.pk}" selected>', html)
        assert re.search(rf'<option value="{enterprise.pk}" selected>', html)

    def test_out_of_scope_prefill_is_ignored(self, client, county_officer, enterprise):
        client.force_login(county_officer)
        html = client.get(reverse("crm:visit-create") + f"?enterprise={enterprise.pk}").content.decode()
        assert enterprise.name not in html

    def test_leader_gets_403(self, client, leader):
        client.force_login(leader)
        assert client.get(reverse("crm:visit-create")).status_code == 403

    def test_post_with_two_needs_and_a_photo(self, client, officer, enterprise):
        client.force_login(officer)
        data = with_needs(
            visit_post(enterprise, attachments=SimpleUploadedFile("现场.jpg", JPEG, "image/jpeg")),
            {"title": "新增用地", "category": "land", "urgency": "urgent", "description": ""},
            {"title": "科技贷款", "category": "finance", "urgency": "normal", "description": "500 万元"},
        )
        response = client.post(reverse("crm:visit-create"), data)
        visit = Visit.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("crm:visit-detail", args=[visit.pk])
        assert list(visit.needs.order_by("id").values_list("title", "urgency")) == [
            ("新增用地", "urgent"),
            ("科技贷款", "normal"),
        ]
        assert visit.attachments.get().content_type == "image/jpeg"

    def test_empty_and_deleted_need_rows_are_skipped(self, client, officer, enterprise):
        client.force_login(officer)
        data = with_needs(
            visit_post(enterprise),
            {"title": "", "category": "", "urgency": "normal", "description": ""},
            {"title": "删掉", "category": "land", "urgency": "normal", "DELETE": "on"},
        )
        assert client.post(reverse("crm:visit-create"), data).status_code == 302
        assert not Need.objects.exists()

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            # Two days on: still ahead when the suite passes midnight (Asia/Shanghai) after TODAY was read.
            ({"visited_on": (TODAY + dt.timedelta(days=2)).isoformat()}, "The visit date cannot be in the future."),
            ({"q_needs": "  "}, "Fill in at least one of the three questions"),
            ({"q_needs": "a\x00b"}, "Null characters are not allowed."),
            ({"q_needs": "a\x01b"}, "Control characters"),
            ({"attachments": SimpleUploadedFile("x.jpg", b"MZ\x90\x00 not a photo")}, "x.jpg is not a photo"),
        ],
    )
    def test_bad_input_shows_errors_and_saves_nothing(self, client, officer, enterprise, change, message):
        client.force_login(officer)
        response = client.post(reverse("crm:visit-create"), visit_post(enterprise, **change))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Visit.objects.exists()

    @pytest.mark.parametrize("name", [".", "..", "/"])
    def test_an_attachment_without_a_usable_name_is_refused_not_dropped(self, officer, enterprise, name):
        """Django's multipart parser drops such a file part before the view; the visit form gets it and says why.
        With the CSRF check on, as in a browser: the CSRF middleware parses the body before the view."""
        client = Client(enforce_csrf_checks=True)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        client.force_login(officer)
        client.get(reverse("crm:visit-create"))
        data = visit_post(enterprise, csrfmiddlewaretoken=client.cookies["csrftoken"].value)
        response = client.post(reverse("crm:visit-create"), multipart_with_file_named(data, name), RAW_MULTIPART)
        assert response.status_code == 200
        shown = name if name != "/" else ""
        assert f"A file named “{shown}” cannot be attached: give it a name" in response.content.decode()
        assert not Visit.objects.exists()

    def test_oversized_attachment(self, client, officer, enterprise, settings):
        settings.ATTACHMENT_MAX_BYTES = 100
        client.force_login(officer)
        data = visit_post(enterprise, attachments=SimpleUploadedFile("big.jpg", JPEG + b"\x00" * 200))
        response = client.post(reverse("crm:visit-create"), data)
        assert "big.jpg" in response.content.decode()
        assert not Visit.objects.exists()

    def test_need_without_category(self, client, officer, enterprise):
        client.force_login(officer)
        data = with_needs(visit_post(enterprise), {"title": "缺类别", "category": "", "urgency": "normal"})
        response = client.post(reverse("crm:visit-create"), data)
        assert response.status_code == 200
        assert not Visit.objects.exists()


class TestVisitPages:
    def test_log_another_visit_only_for_who_may_log_visits(self, client, officer, leader, enterprise):
        visit = visit_create(user=officer, enterprise=enterprise, visited_on=TODAY, q_needs="问需")
        url = reverse("crm:visit-detail", args=[visit.pk])
        client.force_login(officer)
        assert reverse("crm:visit-create") in client.get(url).content.decode()
        client.force_login(leader)
        assert reverse("crm:visit-create") + "?" not in client.get(url).content.decode()

    def test_list_filters_and_detail(self, client, officer, manager, enterprise, county_enterprise):
        visit_create(user=officer, enterprise=enterprise, visited_on=TODAY, q_needs="红色预警", flag="red")
        visit_create(user=manager, enterprise=county_enterprise, visited_on=TODAY, q_needs="县区走访")
        client.force_login(manager)
        html = client.get(reverse("crm:visit-list") + "?flag=red").content.decode()
        assert 'data-count="1"' in html
        html = client.get(reverse("crm:visit-list") + f"?officer={officer.pk}").content.decode()
        assert 'data-count="1"' in html
        html = client.get(reverse("crm:visit-list") + f"?enterprise={county_enterprise.pk}").content.decode()
        assert "县区走访" in html and 'data-count="1"' in html

    def test_list_rows_read_only_what_the_row_shows(self, client, officer, manager, enterprise):
        visit_create(user=officer, enterprise=enterprise, visited_on=TODAY, q_needs="问需", officers=[officer, manager])
        client.force_login(manager)
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(reverse("crm:visit-list")).content.decode()
        assert '<td class="d-none d-lg-table-cell small">manager、officer</td>' in html
        statements = [query["sql"] for query in ctx.captured_queries]
        # The row's columns only (VisitListView.page_rows), and no user built whole (its password, its dates) for a
        # name: the lead's names are joined, the officers come from people_prefetch.
        assert not [sql for sql in statements if '"crm_visit"."interviewee"' in sql]
        assert not [sql for sql in statements if '"crm_user"."password"' in sql and "crm_visit" in sql]

    def test_list_rows_and_their_needs_count_come_from_a_prepared_statement(
        self, client, monkeypatch, officer, manager, enterprise
    ):
        """The needs count is annotated on the page's rows (``row_annotations``), so they are read by the statement
        prepared per shape (fails when the count makes the rows query a shape the paginator does not know)."""
        monkeypatch.setattr(paginator, "_ROWS_STATEMENTS", Statements())
        visit = visit_create(user=officer, enterprise=enterprise, visited_on=TODAY, q_needs="问需")
        need_create(user=officer, enterprise=enterprise, visit=visit, category="land", title="缺地")
        visit_create(user=officer, enterprise=enterprise, visited_on=TODAY - dt.timedelta(days=1), q_needs="回访")
        client.force_login(manager)
        for _ in range(2):
            html = client.get(reverse("crm:visit-list") + "?flag=green").content.decode()
            cells = re.findall(r'<td class="d-none d-sm-table-cell text-end">(\d+)</td>', html)
            assert cells == ["1", "0"]
        prepared = [key for key, statement in paginator._ROWS_STATEMENTS.items() if statement is not None]
        assert [key[1] for key in prepared] == [VisitListView.row_annotations]

    def test_detail_print_and_attachment_scoping(self, client, officer, county_officer, enterprise):
        visit = visit_create(
            user=officer,
            enterprise=enterprise,
            visited_on=TODAY,
            q_needs="问需内容",
            needs=[{"category": "land", "title": "用地"}],
            attachments=[SimpleUploadedFile("p.jpg", JPEG)],
        )
        attachment = visit.attachments.get()
        client.force_login(officer)
        html = client.get(reverse("crm:visit-detail", args=[visit.pk])).content.decode()
        assert "问需内容" in html and "用地" in html
        printed = client.get(reverse("crm:visit-print", args=[visit.pk])).content.decode()
        assert "走访记录表" in printed and "print.css" in printed and "signatures" in printed
        file_url = reverse("crm:visit-attachment", args=[visit.pk, attachment.pk])
        response = client.get(file_url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content) == JPEG
        client.force_login(county_officer)
        assert client.get(reverse("crm:visit-detail", args=[visit.pk])).status_code == 404
        assert client.get(reverse("crm:visit-print", args=[visit.pk])).status_code == 404
        assert client.get(file_url).status_code == 404

    @pytest.mark.parametrize("name", ["crm:visit-list", "crm:need-list"])
    def test_list_queries_do_not_grow(self, client, manager, officer, enterprise, name, django_assert_max_num_queries):
        for i in range(25):
            visit_create(
                user=officer,
                enterprise=enterprise,
                visited_on=TODAY,
                q_needs=f"n{i}",
                officers=[officer, manager],
                needs=[{"category": "funding", "title": f"t{i}"}],
            )
        Need.objects.update(status=NeedStatus.IN_PROGRESS, due_on=TODAY, assigned_at=timezone.now())
        client.force_login(manager)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get(reverse(name))
        counts = []
        for size in (1, 25):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse(name) + f"?page_size={size}").status_code == 200
            counts.append(len(ctx.captured_queries))
        assert counts[0] == counts[1], counts
        with django_assert_max_num_queries(20):
            client.get(reverse(name) + "?page_size=25")


def overdue_need(officer, enterprise, handler) -> Need:
    """A need in progress with ``handler``, a day past its deadline, assigned 30 days ago."""
    need = need_create(user=officer, enterprise=enterprise, category="land", title="逾期诉求")
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.IN_PROGRESS,
        due_on=TODAY - dt.timedelta(days=1),
        handler=handler,
        assigned_at=timezone.now() - dt.timedelta(days=30),
    )
    return need


class TestNeedPages:
    def test_list_rows_read_only_what_the_row_shows(self, client, manager, officer, enterprise, handler):
        overdue_need(officer, enterprise, handler)
        client.force_login(manager)
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(reverse("crm:need-list")).content.decode()
        assert 'data-escalation="overdue"' in html and f'd-lg-table-cell">{handler}</td>' in html
        # The row's columns only (NeedListView.page_rows): no description, no handler built whole for a name.
        statements = [query["sql"] for query in ctx.captured_queries]
        assert not [sql for sql in statements if '"crm_need"."description"' in sql]
        assert not [sql for sql in statements if '"crm_user"."password"' in sql and "crm_need" in sql]

    def test_list_filters_badges_and_count(self, client, manager, need, officer, enterprise, handler):
        overdue_need(officer, enterprise, handler)
        client.force_login(manager)
        html = client.get(reverse("crm:need-list")).content.decode()
        assert 'data-count="2"' in html
        assert 'data-escalation="overdue"' in html
        html = client.get(reverse("crm:need-list") + "?overdue=true").content.decode()
        assert 'data-count="1"' in html and "逾期诉求" in html
        html = client.get(reverse("crm:need-list") + f"?handler={handler.pk}&category=land").content.decode()
        assert 'data-count="1"' in html

    def test_buttons_are_exactly_the_allowed_verbs(self, client, manager, officer, leader, need):
        def buttons(user):
            client.force_login(user)
            html = client.get(reverse("crm:need-detail", args=[need.pk])).content.decode()
            return re.findall(r'data-verb="([a-z-]+)"', html)

        assert buttons(manager) == ["accept", "reject", "transfer"]
        assert buttons(officer) == []
        assert buttons(leader) == []
        Need.objects.filter(pk=need.pk).update(status=NeedStatus.ANSWERED)
        assert buttons(officer) == ["return-visit"]

    def test_transition_post(self, client, manager, need):
        client.force_login(manager)
        url = reverse("crm:need-transition", args=[need.pk, "accept"])
        response = client.post(url, {"accept-version": "1", "accept-text": "受理"})
        assert response.status_code == 302
        need.refresh_from_db()
        assert (need.status, need.version) == (NeedStatus.ACCEPTED, 2)
        # The same form again (stale version): a message, nothing changes.
        response = client.post(url, {"accept-version": "1"}, follow=True)
        assert "changed by someone else" in response.content.decode()
        need.refresh_from_db()
        assert need.version == 2

    def test_transfer_out_of_ones_scope_returns_to_the_list(
        self, client, county_manager, city_bureau, county_bureau, need
    ):
        # A city need handed to the county, which hands it back: the county no longer sees it.
        need.bureau = county_bureau
        need.save()
        client.force_login(county_manager)
        url = reverse("crm:need-transition", args=[need.pk, "transfer"])
        response = client.post(url, {"transfer-version": str(need.version), "transfer-bureau": str(city_bureau.pk)})
        assert response.status_code == 302
        assert response["Location"] == reverse("crm:need-list")
        need.refresh_from_db()
        assert need.bureau == city_bureau

    def test_transition_field_errors_rerender(self, client, manager, need):
        client.force_login(manager)
        response = client.post(reverse("crm:need-transition", args=[need.pk, "reject"]), {"reject-version": "1"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "Give the reason for rejecting the need." in html
        assert 'id="action-reject"' in html and "collapse show" in html

    def test_transition_error_shown_once(self, client, manager, need):
        """The form and the service both find the missing lead department: one message, not two."""
        Need.objects.filter(pk=need.pk).update(status=NeedStatus.ACCEPTED)
        client.force_login(manager)
        response = client.post(reverse("crm:need-transition", args=[need.pk, "assign"]), {"assign-version": "1"})
        assert response.status_code == 200
        form = response.context["actions"][[a["verb"] for a in response.context["actions"]].index("assign")]["form"]
        messages = form.errors["lead_department"]
        assert len(messages) == len(set(messages)) >= 1

    def test_transition_forms_are_the_service_inputs(self, manager, need, lead_department):
        for verb, transition in TRANSITIONS.items():
            form = TRANSITION_FORMS[verb](need=need, user=manager, prefix=verb)
            assert isinstance(form, transition.input)
            assert set(form.fields) == {"version", *transition.input.base_fields}
        form = TRANSITION_FORMS["assign"](need=need, user=manager)
        service = TRANSITIONS["assign"].input(need=need, user=manager)
        assert list(form.fields["lead_department"].queryset) == list(service.fields["lead_department"].queryset)
        assert lead_department in form.fields["lead_department"].queryset

    def test_transition_post_with_every_error_at_once(self, client, manager, need):
        Need.objects.filter(pk=need.pk).update(status=NeedStatus.IN_PROGRESS)
        client.force_login(manager)
        response = client.post(
            reverse("crm:need-transition", args=[need.pk, "extend"]), {"extend-version": "1", "extend-due_on": "x"}
        )
        assert response.status_code == 200
        form = response.context["actions"][[a["verb"] for a in response.context["actions"]].index("extend")]["form"]
        assert set(form.errors) == {"due_on", "reason"}
        assert all(len(messages) == len(set(messages)) for messages in form.errors.values())

    def test_assign_with_all_fields(self, client, manager, need, lead_department, handler, city_department):
        Need.objects.filter(pk=need.pk).update(status=NeedStatus.ACCEPTED)
        client.force_login(manager)
        due = (TODAY + dt.timedelta(days=20)).isoformat()
        response = client.post(
            reverse("crm:need-transition", args=[need.pk, "assign"]),
            {
                "assign-version": "1",
                "assign-lead_department": lead_department.pk,
                "assign-assisting_departments": [city_department.pk],
                "assign-handler": handler.pk,
                "assign-due_on": due,
            },
        )
        assert response.status_code == 302
        need.refresh_from_db()
        assert (need.status, need.handler, need.due_on.isoformat()) == (NeedStatus.ASSIGNED, handler, due)
        assert list(need.assisting_departments.all()) == [city_department]

    def test_transition_forbidden_and_out_of_scope(self, client, officer, county_manager, need):
        client.force_login(officer)
        url = reverse("crm:need-transition", args=[need.pk, "accept"])
        assert client.post(url, {"accept-version": "1"}).status_code == 403
        client.force_login(county_manager)
        assert client.post(url, {"accept-version": "1"}).status_code == 404
        assert client.get(reverse("crm:need-detail", args=[need.pk])).status_code == 404

    def test_unknown_verb_is_404(self, client, manager, need):
        client.force_login(manager)
        assert client.post(reverse("crm:need-transition", args=[need.pk, "explode"])).status_code == 404

    def test_follow_up_and_instruction(self, client, officer, leader, handler, need):
        Need.objects.filter(pk=need.pk).update(handler=handler)
        client.force_login(officer)
        url = reverse("crm:need-event-create", args=[need.pk])
        assert client.post(url, {"kind": "note", "text": "企业来电"}).status_code == 302
        assert client.post(url, {"kind": "instruction", "text": "冒充批示"}).status_code == 200  # not a choice
        client.force_login(leader)
        html = client.get(reverse("crm:need-detail", args=[need.pk])).content.decode()
        assert 'value="instruction"' in html
        assert client.post(url, {"kind": "instruction", "text": "请加快办理"}).status_code == 302
        kinds = list(NeedEvent.objects.filter(need=need).values_list("kind", flat=True))
        assert kinds == ["status", "note", "instruction"]
        assert Notification.objects.filter(recipient=handler).count() == 2

    def test_new_help_request_for_a_project(self, client, officer, enterprise):
        project = Project.objects.create(name="帮办项目", region=enterprise.region, is_assisted=True)
        client.force_login(officer)
        url = reverse("crm:need-create") + f"?project={project.pk}"
        assert re.search(rf'<option value="{project.pk}" selected>', client.get(url).content.decode())
        response = client.post(
            reverse("crm:need-create"),
            {
                "project": project.pk,
                "source": "phone",
                "category": "approval",
                "urgency": "normal",
                "title": "施工许可",
            },
        )
        assert response.status_code == 302
        need = Need.objects.get()
        assert need.project == project
        html = client.get(reverse("crm:project-detail", args=[project.pk])).content.decode()
        assert "施工许可" in html and "engagement-timeline" in html

    def test_a_project_of_another_enterprise_is_refused_on_its_field(self, client, officer, enterprise, regions):
        other = Project.objects.create(name="他企业项目", region=enterprise.region, enterprise=None)
        client.force_login(officer)
        data = {"enterprise": enterprise.pk, "project": other.pk, "source": "phone", "category": "approval"}
        response = client.post(reverse("crm:need-create"), data | {"urgency": "normal", "title": "施工许可"})
        assert response.status_code == 200 and not Need.objects.exists()
        html = response.content.decode()
        message = "This project is not one of the enterprise&#x27;s projects: choose one of its projects, or none."
        assert message in html.split('id="id_project"')[1]  # under the field (the Chinese text: test_services_needs)
        assert re.search(rf'<option value="{other.pk}" selected>他企业项目</option>', html)  # kept beside its error


class TestNotifications:
    def test_list_read_and_bell(self, client, officer, manager, need):
        mine = Notification.objects.create(recipient=officer, kind="note", text="请查看", need=need)
        other = Notification.objects.create(recipient=manager, kind="note", text="别人的")
        client.force_login(officer)
        html = client.get(reverse("crm:notification-list")).content.decode()
        assert "请查看" in html and "别人的" not in html
        assert 'data-testid="unread-count">1<' in html
        response = client.post(reverse("crm:notification-read", args=[mine.pk]))
        assert response["Location"] == reverse("crm:need-detail", args=[need.pk])
        mine.refresh_from_db()
        assert mine.read_at is not None
        assert client.post(reverse("crm:notification-read", args=[other.pk])).status_code == 404
        html = client.get(reverse("crm:home")).content.decode()
        assert 'data-testid="unread-count"' not in html

    def test_read_all(self, client, officer):
        Notification.objects.create(recipient=officer, kind="note", text="a")
        Notification.objects.create(recipient=officer, kind="note", text="b")
        client.force_login(officer)
        client.post(reverse("crm:notification-read-all"))
        assert not Notification.objects.filter(read_at__isnull=True).exists()

    def test_open_redirect_refused(self, client, officer):
        notice = Notification.objects.create(recipient=officer, kind="note", text="a")
        client.force_login(officer)
        response = client.post(reverse("crm:notification-read", args=[notice.pk]), {"next": "https://evil.example/"})
        assert response["Location"] == reverse("crm:notification-list")

    def test_list_reads_the_notifications_alone(self, client, officer, need):
        """The list shows a notification's own columns (and its need's key, for ``links_mark``): its rows are read
        without joining their needs and action items, whose columns nothing on the page shows."""
        Notification.objects.create(recipient=officer, kind="note", text="请查看", need=need)
        client.force_login(officer)
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(reverse("crm:notification-list")).content.decode()
        assert "请查看" in html
        rows = [q["sql"] for q in ctx.captured_queries if '"crm_notification"."text"' in q["sql"]]
        assert len(rows) == 1 and "JOIN" not in rows[0]

    @pytest.mark.parametrize("page", ["abc", "0", "-1", "99999", "\x00"])
    def test_odd_page_number_shows_a_page(self, client, officer, page):
        Notification.objects.create(recipient=officer, kind="note", text="第一条")
        client.force_login(officer)
        response = client.get(reverse("crm:notification-list"), {"page": page})
        assert response.status_code == 200
        assert "第一条" in response.content.decode()


class TestSections:
    def test_home_deadlines(self, client, handler, need):
        Need.objects.filter(pk=need.pk).update(
            status=NeedStatus.IN_PROGRESS,
            handler=handler,
            due_on=TODAY - dt.timedelta(days=1),
            assigned_at=timezone.now() - dt.timedelta(days=20),
        )
        client.force_login(handler)
        html = client.get(reverse("crm:home")).content.decode()
        assert 'data-deadline="overdue"' in html
        assert "研发补助申报" in html

    def test_enterprise_timeline(self, client, officer, enterprise, need):
        visit_create(user=officer, enterprise=enterprise, visited_on=TODAY - dt.timedelta(days=3), q_needs="走访问需")
        client.force_login(officer)
        html = client.get(reverse("crm:enterprise-detail", args=[enterprise.pk])).content.decode()
        timeline = html[html.index("engagement-timeline") :]
        assert timeline.index("研发补助申报") < timeline.index("走访问需")  # newest first
        assert 'data-kind="visit"' in timeline and 'data-kind="need"' in timeline


PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8


RAW_MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"  # a body already encoded


def multipart_with_file_named(data: dict, name: str) -> bytes:
    """The form as a browser posts it with one photo whose file name is ``name`` (which the test client's own
    file objects refuse to carry)."""
    data = {**data, "attachments": SimpleUploadedFile("PLACEHOLDER.jpg", JPEG, "image/jpeg")}
    return encode_multipart(BOUNDARY, data).replace(b'filename="PLACEHOLDER.jpg"', f'filename="{name}"'.encode())


def edit_post(visit, **extra):
    """The edit form as the browser posts it: every field with the visit's current value, then ``extra``."""
    data = {
        "enterprise": visit.enterprise_id,
        "project": visit.project_id or "",
        "visited_on": visit.visited_on.isoformat(),
        "kind": visit.kind,
        "lead": visit.lead_id or "",
        "officers": [o.pk for o in visit.officers.all()],
        "interviewee": visit.interviewee,
        "interviewee_title": visit.interviewee_title,
        "q_needs": visit.q_needs,
        "q_difficulties": visit.q_difficulties,
        "q_suggestions": visit.q_suggestions,
        "resolved_on_site": visit.resolved_on_site,
        "policies_briefed": visit.policies_briefed,
        "party_notes": visit.party_notes,
        "flag": visit.flag,
        "next_visit_on": visit.next_visit_on.isoformat() if visit.next_visit_on else "",
    }
    data.update(extra)
    return data


class TestVisitEdit:
    @pytest.fixture
    def visit(self, officer, enterprise):
        return visit_create(
            user=officer,
            enterprise=enterprise,
            visited_on=TODAY - dt.timedelta(days=3),
            q_needs="扩大产能",
            needs=[{"category": "land", "title": "新增用地"}],
            attachments=[SimpleUploadedFile("现场.jpg", JPEG)],
        )

    def test_an_unnamed_attachment_is_refused(self, client, officer, visit):
        client.force_login(officer)
        body = multipart_with_file_named(edit_post(visit), ".")
        response = client.post(reverse("crm:visit-update", args=[visit.pk]), body, RAW_MULTIPART)
        assert response.status_code == 200 and "A file named “.” cannot be attached" in response.content.decode()
        assert visit.attachments.count() == 1

    def test_officer_edits_own_visit(self, client, officer, visit):
        client.force_login(officer)
        url = reverse("crm:visit-update", args=[visit.pk])
        html = client.get(url).content.decode()
        assert "扩大产能" in html and 'id="visit-form"' in html
        # The needs raised are listed read-only with links; no needs formset on the edit page.
        need = visit.needs.get()
        assert reverse("crm:need-detail", args=[need.pk]) in html
        assert 'data-formset-add="needs"' not in html
        assert 'id="remove-file-' in html
        next_visit = TODAY + dt.timedelta(days=30)
        response = client.post(
            url,
            edit_post(visit, q_difficulties="招工难", flag="yellow", next_visit_on=next_visit.isoformat()),
            follow=True,
        )
        assert response.redirect_chain == [(reverse("crm:visit-detail", args=[visit.pk]), 302)]
        assert f"Visit {visit.code} saved." in response.content.decode()
        visit.refresh_from_db()
        assert (visit.q_difficulties, visit.flag, visit.next_visit_on) == ("招工难", "yellow", next_visit)
        assert visit.q_needs == "扩大产能"  # untouched fields keep their values
        record = visit.history.order_by("-history_date", "-history_id").first()
        assert record.history_type == "~" and record.history_user == officer
        assert set(record.diff_against(record.prev_record).changed_fields) == {
            "q_difficulties",
            "flag",
            "next_visit_on",
        }
        assert visit.needs.count() == 1 and visit.attachments.count() == 1

    def test_other_officer_gets_403(self, client, city_bureau, visit):
        other = make_user("other", Role.OFFICER, city_bureau)
        client.force_login(other)
        url = reverse("crm:visit-update", args=[visit.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, edit_post(visit, q_needs="改掉")).status_code == 403
        visit.refresh_from_db()
        assert visit.q_needs == "扩大产能"
        html = client.get(reverse("crm:visit-detail", args=[visit.pk])).content.decode()
        assert 'id="visit-edit"' not in html

    def test_co_officer_may_edit(self, client, city_bureau, officer, enterprise):
        colleague = make_user("colleague", Role.OFFICER, city_bureau)
        visit = visit_create(user=officer, enterprise=enterprise, visited_on=TODAY, q_needs="x", officers=[colleague])
        client.force_login(colleague)
        assert client.get(reverse("crm:visit-update", args=[visit.pk])).status_code == 200

    def test_county_officer_gets_404(self, client, county_officer, visit):
        client.force_login(county_officer)
        url = reverse("crm:visit-update", args=[visit.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, edit_post(visit, q_needs="改掉")).status_code == 404
        visit.refresh_from_db()
        assert visit.q_needs == "扩大产能"

    def test_leader_gets_403_and_no_button(self, client, leader, visit):
        client.force_login(leader)
        assert client.get(reverse("crm:visit-update", args=[visit.pk])).status_code == 403
        html = client.get(reverse("crm:visit-detail", args=[visit.pk])).content.decode()
        assert 'id="visit-edit"' not in html
        assert 'id="change-history"' not in html  # the change history is for managers

    def test_anonymous_is_sent_to_login(self, client, visit):
        response = client.get(reverse("crm:visit-update", args=[visit.pk]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_manager_edits_any_and_reads_history(self, client, manager, officer, visit):
        client.force_login(officer)
        html = client.get(reverse("crm:visit-detail", args=[visit.pk])).content.decode()
        assert f'href="{reverse("crm:visit-update", args=[visit.pk])}"' in html
        assert 'id="change-history"' not in html
        client.force_login(manager)
        response = client.post(
            reverse("crm:visit-update", args=[visit.pk]),
            edit_post(visit, q_suggestions="多办政策宣讲", lead=manager.pk, officers=[officer.pk, manager.pk]),
        )
        assert response.status_code == 302
        visit.refresh_from_db()
        assert visit.q_suggestions == "多办政策宣讲" and visit.lead == manager
        assert set(visit.officers.all()) == {officer, manager}
        assert visit.history.latest().history_user == manager
        html = client.get(reverse("crm:visit-detail", args=[visit.pk])).content.decode()
        assert 'id="visit-edit"' in html
        history = html[html.index('id="change-history"') :]
        assert history.count('data-history-type="~"') == 1 and history.count('data-history-type="+"') == 1
        changed = history[: history.index('data-history-type="+"')]
        assert "manager" in changed and "Suggestions (问计)" in changed and "Lead" in changed
        assert "Development needs" not in changed  # only the fields that changed are named

    def test_saving_without_changes_writes_no_history(self, client, officer, visit):
        client.force_login(officer)
        assert client.post(reverse("crm:visit-update", args=[visit.pk]), edit_post(visit)).status_code == 302
        assert visit.history.count() == 1

    def test_history_is_one_query(self, english, officer, visit, django_assert_num_queries):

        for i in range(5):
            visit_update(visit=visit, user=officer, q_suggestions=f"建议 {i}")
        with django_assert_num_queries(1):
            history = history_changes(obj=visit, limit=3)
        assert len(history["entries"]) == 3 and history["more"]
        assert all(entry["fields"] == ["suggestions (问计)"] for entry in history["entries"])

    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            # Two days on: still ahead when the suite passes midnight (Asia/Shanghai) after TODAY was read.
            ({"visited_on": (TODAY + dt.timedelta(days=2)).isoformat()}, "visited_on", "cannot be in the future"),
            ({"q_needs": "  ", "q_difficulties": "", "q_suggestions": ""}, "q_needs", "Fill in at least one"),
            ({"q_needs": "a\x00b"}, "q_needs", "Null characters are not allowed."),
            ({"party_notes": "a\x07b"}, "party_notes", "Control characters"),
            ({"interviewee_title": "总\x1b经理"}, "interviewee_title", "Control characters"),
            ({"visited_on": "2026-13-45"}, "visited_on", "Enter a valid date."),
            ({"next_visit_on": (TODAY - dt.timedelta(days=10)).isoformat()}, "next_visit_on", "before this visit"),
        ],
    )
    def test_bad_input_shows_errors_and_changes_nothing(self, client, officer, visit, change, field, message):
        client.force_login(officer)
        before = Visit.objects.values().get(pk=visit.pk)
        response = client.post(reverse("crm:visit-update", args=[visit.pk]), edit_post(visit, **change))
        assert response.status_code == 200
        html = response.content.decode()
        error = re.search(
            rf'<div class="invalid-feedback[^"]*" id="id_{field}_error"[^>]*>(.*?)</div>\s*</div>', html, re.S
        )
        assert error and message in error.group(1), html[:200]
        assert Visit.objects.values().get(pk=visit.pk) == before
        assert visit.history.count() == 1

    def test_enterprise_is_fixed_once_needs_were_raised(self, client, officer, visit, regions):

        other = Enterprise.objects.create(name="另一家企业", credit_code=credit_code(7), region_id="320812")
        client.force_login(officer)
        url = reverse("crm:visit-update", args=[visit.pk])
        assert re.search(r'<select name="enterprise"[^>]*disabled', client.get(url).content.decode())
        assert client.post(url, edit_post(visit, enterprise=other.pk)).status_code == 302
        visit.refresh_from_db()
        assert visit.enterprise_id != other.pk  # a disabled field ignores the posted value

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("伪装.jpg", PDF, "伪装.jpg: the file name does not match its content (PDF)."),
            ("随机.jpg", bytes(range(7, 107)), "随机.jpg is not a photo"),
            ("page.html", JPEG, "page.html: the file name does not match its content (JPEG)."),
        ],
    )
    def test_attachment_added_on_edit_is_checked(self, client, officer, visit, name, content, message):
        client.force_login(officer)
        data = edit_post(visit, q_needs="改了", attachments=SimpleUploadedFile(name, content, "image/jpeg"))
        response = client.post(reverse("crm:visit-update", args=[visit.pk]), data)
        assert response.status_code == 200
        assert message in response.content.decode()
        visit.refresh_from_db()
        assert visit.q_needs == "扩大产能" and visit.attachments.count() == 1

    def test_attachments_added_and_removed(self, client, officer, visit, settings, django_capture_on_commit_callbacks):
        client.force_login(officer)
        old = visit.attachments.get()
        old_path = old.file.path
        data = edit_post(
            visit,
            attachments=[SimpleUploadedFile("记录表.pdf", PDF), SimpleUploadedFile("门头.jpg", JPEG)],
            attachments_remove=[old.pk],
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("crm:visit-update", args=[visit.pk]), data)
        assert response.status_code == 302
        assert sorted(visit.attachments.values_list("name", "content_type")) == [
            ("记录表.pdf", "application/pdf"),
            ("门头.jpg", "image/jpeg"),
        ]
        assert not os.path.exists(old_path)  # the file goes once the transaction has committed
        assert visit.history.count() == 1  # files only: no field of the visit changed

    def test_removing_someone_elses_attachment_is_refused(self, client, officer, visit, enterprise):
        stranger = visit_create(
            user=officer,
            enterprise=enterprise,
            visited_on=TODAY,
            q_needs="另一次",
            attachments=[SimpleUploadedFile("b.jpg", JPEG)],
        )
        foreign = stranger.attachments.get()
        client.force_login(officer)
        data = edit_post(visit, attachments_remove=[foreign.pk])
        response = client.post(reverse("crm:visit-update", args=[visit.pk]), data)
        assert response.status_code == 200
        assert 'id="id_attachments_remove_error"' in response.content.decode()
        assert stranger.attachments.filter(pk=foreign.pk).exists()


class TestServiceErrors:
    """The web's one mapping of service errors (crm.views.mixins.service_errors)."""

    @pytest.fixture
    def request_(self, rf, officer):
        request = rf.post("/")
        request.user = officer
        request.session = {}
        request._messages = FallbackStorage(request)
        return request

    def test_forbidden_is_a_403(self, request_):
        with pytest.raises(PermissionDenied), service_errors(request_):
            raise TransitionForbidden("no")

    def test_conflict_is_a_message_or_a_field_error(self, request_):
        with service_errors(request_) as outcome:
            raise TransitionConflict("changed meanwhile")
        assert (outcome.failed, outcome.conflict) == (True, True)
        assert [str(m) for m in get_messages(request_)] == ["changed meanwhile"]
        form = NeedEventForm({"kind": "note", "text": "x"}, user=request_.user)
        with service_errors(request_, form, conflict_field="text") as outcome:
            raise TransitionConflict("changed meanwhile")
        assert form.errors["text"] == ["changed meanwhile"]

    def test_validation_error_goes_next_to_the_fields_once(self, request_):
        form = NeedEventForm({"kind": "note", "text": ""}, user=request_.user)
        with service_errors(request_, form) as outcome:
            raise ValidationError({"text": [str(form.fields["text"].error_messages["required"])], "other": ["x"]})
        assert outcome.failed and not outcome.conflict
        assert form.errors["text"] == [str(form.fields["text"].error_messages["required"])]
        assert form.errors["__all__"] == ["x"]

    def test_validation_error_without_a_form_is_a_message(self, request_):
        with service_errors(request_) as outcome:
            raise ValidationError(["one", "two"])
        assert outcome.failed
        assert [str(m) for m in get_messages(request_)] == ["one two"]

    def test_success_leaves_no_trace(self, request_):
        with service_errors(request_) as outcome:
            pass
        assert not outcome.failed
        assert list(get_messages(request_)) == []

    def test_no_view_maps_typed_service_errors_itself(self):
        """Only views/mixins.py catches TransitionConflict/TransitionForbidden; no view catches NoReverseMatch."""
        views = Path(__file__).resolve().parent.parent / "crm" / "views"
        for path in views.glob("*.py"):
            if path.name in {"mixins.py", "imports.py"}:  # imports.py belongs to the spreadsheet pages
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ExceptHandler) and node.type is not None:
                    names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                    assert not names & {"TransitionConflict", "TransitionForbidden", "NoReverseMatch"}, (
                        f"{path.name}:{node.lineno}"
                    )

"""Every model's admin changelist, add form and history render for an administrator."""

import datetime as dt

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.choices import NeedStatus, Role
from crm.models import Contact, Enterprise, Need, NeedEvent, Notification, Project, TimeLimit, Visit, VisitAttachment
from crm.services.needs import need_create
from crm.services.visits import visit_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def crm_models():
    return [m for m in admin.site._registry if m._meta.app_label == "crm"]


@pytest.mark.parametrize("model", crm_models(), ids=lambda m: m._meta.model_name)
def test_changelist_and_add_form_render(client, admin_user, enterprise, model):
    client.force_login(admin_user)
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"q": "淮安"})
    assert response.status_code == 200
    model_admin = admin.site._registry[model]
    if model_admin.has_add_permission(rf_request(admin_user)):
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert response.status_code == 200


def visit_day():
    return dt.date.today() - dt.timedelta(days=1)


def rf_request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_enterprise_history_and_export_pages(client, admin_user, enterprise):
    client.force_login(admin_user)
    response = client.get(reverse("admin:crm_enterprise_history", args=[enterprise.pk]))
    assert response.status_code == 200
    response = client.get(reverse("admin:crm_enterprise_export"))
    assert response.status_code == 200


def test_need_events_cannot_be_changed_in_the_admin(client, admin_user, enterprise, city_bureau):

    need = Need.objects.create(enterprise=enterprise, category="rd", title="t", bureau=city_bureau)
    event = NeedEvent.objects.create(need=need, kind="note", text="x")
    client.force_login(admin_user)
    response = client.post(reverse("admin:crm_needevent_change", args=[event.pk]), {"text": "changed"})
    assert response.status_code in (302, 403) or "changed" not in response.content.decode()
    event.refresh_from_db()
    assert event.text == "x"


# ---------------------------------------------------------------------------------------------------------
# The admin role only, scoped, workflow read-only, saves through the services (DESIGN §11.8)
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def county_admin(county_bureau, county_department):

    return make_user("county_admin", Role.ADMIN, county_bureau, county_department, is_staff=True)


@pytest.fixture
def city_need(officer, enterprise):

    return need_create(user=officer, enterprise=enterprise, category="funding", title="城区诉求")


def _need_post(need, **changes) -> dict:
    """The admin change form of a need as a browser posts it (inline management form included)."""
    body = {
        "enterprise": need.enterprise_id or "",
        "project": need.project_id or "",
        "visit": need.visit_id or "",
        "source": need.source,
        "category": need.category,
        "title": need.title,
        "description": need.description,
        "urgency": need.urgency,
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": str(need.events.count()),
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }
    body.update(changes)
    return body


def test_staff_without_the_admin_role_has_no_admin(client, county_manager, manager, enterprise):
    for user in (county_manager, manager):
        user.is_staff = True
        user.save()
        client.force_login(user)
        for url in (
            reverse("admin:index"),
            reverse("admin:crm_enterprise_changelist"),
            reverse("admin:crm_enterprise_change", args=[enterprise.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 302 and reverse("admin:login") in response["Location"], url
        response = client.post(reverse("admin:crm_enterprise_change", args=[enterprise.pk]), {"name": "改名"})
        assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.name != "改名"


def test_a_county_admin_sees_only_its_county(client, county_admin, enterprise, county_enterprise, city_need):
    client.force_login(county_admin)
    html = client.get(reverse("admin:crm_enterprise_changelist")).content.decode()
    assert county_enterprise.name in html and enterprise.name not in html
    assert client.get(reverse("admin:crm_enterprise_change", args=[county_enterprise.pk])).status_code == 200
    for url in (
        reverse("admin:crm_enterprise_change", args=[enterprise.pk]),
        reverse("admin:crm_enterprise_history", args=[enterprise.pk]),
        reverse("admin:crm_need_change", args=[city_need.pk]),
        reverse("admin:crm_needevent_change", args=[city_need.events.get().pk]),
    ):
        response = client.get(url)
        assert response.status_code in (302, 404), url
        if response.status_code == 302:
            assert response["Location"] == reverse("admin:index"), url  # "does not exist"
    response = client.post(reverse("admin:crm_need_change", args=[city_need.pk]), _need_post(city_need, title="改"))
    assert response.status_code in (302, 404)
    city_need.refresh_from_db()
    assert city_need.title == "城区诉求"
    html = client.get(reverse("admin:crm_need_changelist")).content.decode()
    assert city_need.code not in html


def _change_post(client, url, **changes) -> dict:
    """The admin change form at ``url`` as a browser posts it unchanged, then ``changes``."""
    form = client.get(url).context["adminform"].form
    body = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    return {**{k: ("" if v is None else v) for k, v in body.items()}, **changes}


def test_a_county_admin_cannot_move_its_enterprise_into_the_city(client, county_admin, county_enterprise, enterprise):
    client.force_login(county_admin)
    url = reverse("admin:crm_enterprise_change", args=[county_enterprise.pk])
    inlines = {
        f"{p}-{k}": "0" for p in ("enterprise_qualifications", "contacts") for k in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
    client.post(url, _change_post(client, url, region=enterprise.region_id, **inlines))
    county_enterprise.refresh_from_db()
    assert county_enterprise.region_id == "320831"


def test_a_county_admin_exports_and_lists_only_its_own_contacts_and_users(
    client, county_admin, county_enterprise, enterprise, manager
):
    Contact.objects.create(enterprise=enterprise, name="城区联系人", mobile="13900000001")
    manager.email = "city-manager@example.org"
    manager.save()
    request = rf_request(county_admin)
    assert list(admin.site._registry[Enterprise].get_export_queryset(request)) == [county_enterprise]
    assert not admin.site._registry[Contact].get_export_queryset(request).exists()
    client.force_login(county_admin)
    assert "13900000001" not in client.get(reverse("admin:crm_contact_changelist")).content.decode()
    assert "city-manager@" not in client.get(reverse("admin:crm_user_changelist")).content.decode()


def test_the_admin_attachment_inline_stores_no_file(client, admin_user, enterprise, media_root):
    """Files are checked by content in the visit service; the admin's inline only lists them (no unchecked file)."""
    visit = visit_create(user=admin_user, enterprise=enterprise, visited_on=visit_day(), q_needs="x")
    client.force_login(admin_user)
    url = reverse("admin:crm_visit_change", args=[visit.pk])
    upload = SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="text/html")
    body = _change_post(client, url, **{"attachments-TOTAL_FORMS": "1", "attachments-INITIAL_FORMS": "0"})
    response = client.post(url, {**body, "attachments-0-file": upload, "attachments-0-name": "page.html"})
    assert response.status_code == 302
    assert not VisitAttachment.objects.exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]


def test_a_county_admin_keeps_its_own_bureaus_users_departments_and_uploads(
    client, county_admin, manager, officer, city_department, county_department
):
    Notification.objects.create(recipient=officer, kind="assigned", text="城区通知")
    client.force_login(county_admin)
    for url in (
        reverse("admin:crm_user_change", args=[manager.pk]),
        reverse("admin:crm_department_change", args=[city_department.pk]),
        reverse("admin:crm_bureau_change", args=[manager.bureau_id]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("admin:index"), url
    assert client.get(reverse("admin:crm_department_change", args=[county_department.pk])).status_code == 200
    assert "城区通知" not in client.get(reverse("admin:crm_notification_changelist")).content.decode()
    html = client.get(reverse("admin:crm_user_change", args=[county_admin.pk])).content.decode()
    assert 'name="is_superuser"' not in html  # only a superuser makes superusers
    assert city_department.name not in html  # the department picker offers its own bureau's


def test_nobody_changes_a_needs_status_in_the_admin(client, admin_user, city_need, city_department):

    client.force_login(admin_user)
    url = reverse("admin:crm_need_change", args=[city_need.pk])
    html = client.get(url).content.decode()
    for name in ("status", "version", "lead_department", "handler", "due_on", "bureau", "resolution", "closed_at"):
        assert f'name="{name}"' not in html, name
    body = _need_post(
        city_need,
        title="标题改了",
        status=NeedStatus.CLOSED,
        version=99,
        lead_department=city_department.pk,
        due_on="2030-01-01",
    )
    response = client.post(url, body)
    assert response.status_code == 302, response.content.decode()[:2000]
    version, due = city_need.version, city_need.due_on  # the clock's deadline, set at creation (§11.4)
    city_need.refresh_from_db()
    assert city_need.title == "标题改了"  # through need_update: the version moves, the workflow does not
    assert (city_need.status, city_need.lead_department_id, city_need.due_on) == (NeedStatus.NEW, None, due)
    assert city_need.version == version + 1
    assert city_need.events.count() == 1

    assert admin.site._registry[Need].has_delete_permission(rf_request(admin_user), city_need) is False


def test_need_events_cannot_be_added_in_the_admin(client, admin_user, city_need):
    client.force_login(admin_user)
    assert client.get(reverse("admin:crm_needevent_add")).status_code == 403
    assert city_need.events.count() == 1


def test_admin_saves_go_through_the_services(client, admin_user, enterprise, regions):
    """A visit whose project is another enterprise's is refused in the admin as in the form and the API."""

    other = Project.objects.create(name="他企项目", region=regions["320812"], enterprise=None)
    client.force_login(admin_user)
    body = {
        "enterprise": enterprise.pk,
        "project": other.pk,
        "visited_on": "2024-01-02",
        "kind": "on_site",
        "flag": "green",
        "q_needs": "x",
        "officers": [admin_user.pk],
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
    }
    client.post(reverse("admin:crm_visit_add"), body)
    assert not Visit.objects.exists()
    response = client.post(reverse("admin:crm_visit_add"), {**body, "project": ""})
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.code and visit.created_by == admin_user  # set by visit_create


def test_admin_enterprise_edit_with_its_contacts_and_qualifications(client, admin_user, enterprise, qualifications):

    client.force_login(admin_user)
    url = reverse("admin:crm_enterprise_change", args=[enterprise.pk])
    form = client.get(url).context["adminform"].form
    body = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    body = {k: ("" if v is None else v) for k, v in body.items()}
    body.update(
        {
            "name": "淮安清源食品科技股份有限公司",
            "enterprise_qualifications-TOTAL_FORMS": "1",
            "enterprise_qualifications-INITIAL_FORMS": "0",
            "enterprise_qualifications-0-qualification": "hnte",
            "enterprise_qualifications-0-expires_on": "2030-12-31",
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-0-name": "王经理",
            "contacts-0-is_primary": "on",
        }
    )
    response = client.post(url, body)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    enterprise.refresh_from_db()
    assert enterprise.name == "淮安清源食品科技股份有限公司"
    assert list(enterprise.enterprise_qualifications.values_list("qualification_id", flat=True)) == ["hnte"]
    contact = Contact.objects.get(enterprise=enterprise)
    assert contact.name == "王经理" and contact.created_by == admin_user  # set by contact_create


def test_time_limit_table_is_edited_by_the_city_admin(client, admin_user, county_bureau, county_department):
    row = TimeLimit.objects.get(category="", urgency="urgent")
    client.force_login(admin_user)
    url = reverse("admin:crm_timelimit_change", args=[row.pk])
    body = {"category": "", "urgency": "urgent", "accept_days": 1, "answer_days": 7, "max_extensions": 1}
    response = client.post(url, {**body, "max_extension_days": 15})
    assert response.status_code == 302, response.content.decode()[:2000]
    row.refresh_from_db()
    assert row.answer_days == 7
    county_admin = make_user("county_admin_tl", Role.ADMIN, county_bureau, county_department, is_staff=True)
    client.force_login(county_admin)
    assert client.post(url, {**body, "answer_days": 9, "max_extension_days": 15}).status_code == 403

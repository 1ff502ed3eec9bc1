"""Scoping (DESIGN §5) on every path: a county user (金湖县, 320831) never reads or writes city data.

One "world" holds a record of every kind in the city (清江浦区, 320812) and in the county. The county users
(``county_officer``, ``county_manager``) must get 404 for every city record on every API endpoint, every web
page and every web POST; lists, exports and search must not show city rows; writes that name a city record
by id are refused (400, as for an id that does not exist) and create nothing.
"""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from crm.choices import MatchStatus, NeedStatus, NotificationKind
from crm.models import (
    ActionItem,
    Contact,
    Department,
    ImportJob,
    Need,
    NeedEvent,
    Notification,
    PolicyMatch,
    Project,
    Visit,
)
from crm.services.lists import action_item_create
from crm.services.needs import VERBS, need_create
from crm.services.visits import visit_create
from tests.policy_helpers import make_policy

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

TODAY = timezone.localdate()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
CITY_NAME = "淮安清源食品科技有限公司"
COUNTY_ROLES = ["county_officer", "county_manager"]


def _side(*, user, manager, enterprise, region, label):
    contact = Contact.objects.create(enterprise=enterprise, name=f"{label}联系人")
    project = Project.objects.create(name=f"{label}项目", region=region, enterprise=enterprise)
    visit = visit_create(
        user=user,
        enterprise=enterprise,
        project=project,
        visited_on=TODAY,
        q_needs=f"{label}问需",
        attachments=[SimpleUploadedFile("photo.jpg", JPEG, content_type="image/jpeg")],
    )
    need = need_create(user=user, enterprise=enterprise, category="funding", title=f"{label}诉求")
    policy = make_policy()
    match = PolicyMatch.objects.create(
        policy=policy, enterprise=enterprise, status=MatchStatus.PUSHED, pushed_by=manager, pushed_at=timezone.now()
    )
    item = action_item_create(
        user=manager, data={"need": need, "title": f"{label}行动", "owner": manager, "due_on": TODAY}
    )
    notice = Notification.objects.create(recipient=user, kind=NotificationKind.NOTE, text=f"{label}通知", need=need)
    job = ImportJob.objects.create(user=manager, kind="enterprises", original_name="x.csv", file="imports/x.csv")
    return {
        "enterprise": enterprise,
        "contact": contact,
        "project": project,
        "visit": visit,
        "attachment": visit.attachments.get(),
        "need": need,
        "event": need.events.get(),
        "policy": policy,
        "match": match,
        "item": item,
        "notice": notice,
        "job": job,
    }


@pytest.fixture
def world(officer, manager, county_officer, county_manager, enterprise, county_enterprise, regions):
    return {
        "city": _side(user=officer, manager=manager, enterprise=enterprise, region=regions["320812"], label="城区"),
        "county": _side(
            user=county_officer,
            manager=county_manager,
            enterprise=county_enterprise,
            region=regions["320831"],
            label="金湖",
        ),
    }


@pytest.fixture
def web():
    def login(user):
        client = Client()
        client.force_login(user)
        return client

    return login


# ---------------------------------------------------------------------------------------------------------
# API: lists, details, writes on city records
# ---------------------------------------------------------------------------------------------------------

API_DETAIL = {
    "enterprises": "enterprise",
    "contacts": "contact",
    "projects": "project",
    "visits": "visit",
    "needs": "need",
    "policy-matches": "match",
    "action-items": "item",
}


@pytest.mark.parametrize("role", COUNTY_ROLES)
def test_api_lists_show_no_city_rows(request, api_as, world, role):
    client = api_as(request.getfixturevalue(role))
    for endpoint, key in API_DETAIL.items():
        response = client.get(f"/api/v1/{endpoint}/", {"page_size": 200})
        assert response.status_code == 200, endpoint
        ids = {row["id"] for row in response.json()["results"]}
        assert world["city"][key].pk not in ids, endpoint
        assert world["county"][key].pk in ids, endpoint


@pytest.mark.parametrize("role", COUNTY_ROLES)
def test_api_city_records_answer_404_to_every_method(request, api_as, world, role):
    client = api_as(request.getfixturevalue(role))
    for endpoint, key in API_DETAIL.items():
        url = f"/api/v1/{endpoint}/{world['city'][key].pk}/"
        assert client.get(url).status_code == 404, url
        assert client.patch(url, {"title": "x", "name": "x"}, format="json").status_code == 404, url
        assert client.put(url, {}, format="json").status_code in (404, 405), url
        assert client.delete(url).status_code in (404, 405), url


@pytest.mark.parametrize("role", COUNTY_ROLES)
def test_api_need_actions_on_a_city_need_answer_404(request, api_as, world, role):
    client = api_as(request.getfixturevalue(role))
    need = world["city"]["need"]
    for verb in VERBS:
        response = client.post(f"/api/v1/needs/{need.pk}/{verb}/", {"version": need.version}, format="json")
        assert response.status_code == 404, verb
    assert client.get(f"/api/v1/needs/{need.pk}/events/").status_code == 404
    response = client.post(f"/api/v1/needs/{need.pk}/events/", {"kind": "note", "text": "x"}, format="json")
    assert response.status_code == 404
    assert client.get(f"/api/v1/needs/{need.pk}/policy-suggestions/").status_code == 404
    enterprise = world["city"]["enterprise"]
    assert client.get(f"/api/v1/enterprises/{enterprise.pk}/policy-suggestions/").status_code == 404
    assert NeedEvent.objects.filter(need=need).count() == 1
    need.refresh_from_db()
    assert need.status == NeedStatus.NEW


@pytest.mark.parametrize("role", COUNTY_ROLES)
def test_api_notifications_of_another_user_answer_404(request, api_as, world, role):
    client = api_as(request.getfixturevalue(role))
    notice = world["city"]["notice"]
    assert client.get(f"/api/v1/notifications/{notice.pk}/").status_code == 404
    assert client.post(f"/api/v1/notifications/{notice.pk}/read/").status_code == 404
    ids = {row["id"] for row in client.get("/api/v1/notifications/").json()["results"]}
    assert notice.pk not in ids
    notice.refresh_from_db()
    assert notice.read_at is None


def test_api_eligible_enterprises_and_push_stay_in_scope(api_as, world, county_manager):
    client = api_as(county_manager)
    policy = world["city"]["policy"]
    ids = {row["id"] for row in client.get(f"/api/v1/policies/{policy.pk}/eligible-enterprises/").json()["results"]}
    assert ids == {world["county"]["enterprise"].pk}
    city = world["city"]
    response = client.post(
        f"/api/v1/policies/{policy.pk}/push/", {"enterprises": [city["enterprise"].pk]}, format="json"
    )
    assert response.status_code == 400
    response = client.post(
        f"/api/v1/policies/{policy.pk}/push/",
        {"enterprises": [world["county"]["enterprise"].pk], "need": city["need"].pk},
        format="json",
    )
    assert response.status_code == 400
    response = client.post(
        "/api/v1/policy-matches/", {"policy": policy.pk, "enterprise": city["enterprise"].pk}, format="json"
    )
    assert response.status_code == 400
    assert PolicyMatch.objects.filter(policy=policy).count() == 1


@pytest.mark.parametrize("role", COUNTY_ROLES)
def test_api_writes_naming_city_records_are_refused(request, api_as, world, role):
    user = request.getfixturevalue(role)
    client = api_as(user)
    city, county = world["city"], world["county"]
    counts = (Need.objects.count(), Visit.objects.count(), Contact.objects.count(), ActionItem.objects.count())
    attempts = [
        ("/api/v1/needs/", {"enterprise": city["enterprise"].pk, "category": "funding", "title": "x"}),
        ("/api/v1/needs/", {"project": city["project"].pk, "category": "funding", "title": "x"}),
        (
            "/api/v1/needs/",
            {"enterprise": county["enterprise"].pk, "visit": city["visit"].pk, "category": "funding", "title": "x"},
        ),
        ("/api/v1/visits/", {"enterprise": city["enterprise"].pk, "visited_on": str(TODAY), "q_needs": "x"}),
        (
            "/api/v1/visits/",
            {
                "enterprise": county["enterprise"].pk,
                "project": city["project"].pk,
                "visited_on": str(TODAY),
                "q_needs": "x",
            },
        ),
        ("/api/v1/contacts/", {"enterprise": city["enterprise"].pk, "name": "x"}),
        ("/api/v1/action-items/", {"need": city["need"].pk, "title": "x", "owner": user.pk, "due_on": str(TODAY)}),
        (
            "/api/v1/action-items/",
            {"project": city["project"].pk, "title": "x", "owner": user.pk, "due_on": str(TODAY)},
        ),
        ("/api/v1/projects/", {"name": "x", "region": "320831", "enterprise": city["enterprise"].pk}),
    ]
    for url, body in attempts:
        response = client.post(url, body, format="json")
        assert response.status_code in (400, 403), (url, body, response.status_code)
    assert (Need.objects.count(), Visit.objects.count(), Contact.objects.count(), ActionItem.objects.count()) == counts


# ---------------------------------------------------------------------------------------------------------
# Web pages and posts
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", COUNTY_ROLES)
def test_web_detail_pages_of_city_records_answer_404(request, web, world, role):
    client = web(request.getfixturevalue(role))
    city = world["city"]
    urls = [
        f"/enterprises/{city['enterprise'].pk}/",
        f"/enterprises/{city['enterprise'].pk}/edit/",
        f"/enterprises/{city['enterprise'].pk}/contacts/new/",
        f"/contacts/{city['contact'].pk}/edit/",
        f"/projects/{city['project'].pk}/",
        f"/projects/{city['project'].pk}/edit/",
        f"/visits/{city['visit'].pk}/",
        f"/visits/{city['visit'].pk}/print/",
        f"/visits/{city['visit'].pk}/attachments/{city['attachment'].pk}/",
        f"/visits/{world['county']['visit'].pk}/attachments/{city['attachment'].pk}/",
        f"/needs/{city['need'].pk}/",
        f"/action-items/{city['item'].pk}/edit/",
        f"/action-items/new/?need={city['need'].pk}",
        f"/action-items/new/?project={city['project'].pk}",
    ]
    if role == "county_manager":  # officers do not import at all (403 on every id)
        urls.append(f"/imports/{city['job'].pk}/")
    for url in urls:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role", COUNTY_ROLES)
def test_web_posts_on_city_records_answer_404_and_change_nothing(request, web, world, role):
    client = web(request.getfixturevalue(role))
    city = world["city"]
    need = city["need"]
    for verb in VERBS:
        response = client.post(f"/needs/{need.pk}/{verb}/", {f"{verb}-version": need.version, f"{verb}-reason": "x"})
        assert response.status_code == 404, verb
    assert client.post(f"/needs/{need.pk}/events/", {"kind": "note", "text": "x"}).status_code == 404
    posts = [
        (f"/enterprises/{city['enterprise'].pk}/contacts/new/", {"name": "x"}),
        (f"/contacts/{city['contact'].pk}/edit/", {"name": "x"}),
        (f"/enterprises/{city['enterprise'].pk}/edit/", {"name": "x"}),
        (f"/projects/{city['project'].pk}/edit/", {"name": "x"}),
        (f"/action-items/new/?need={need.pk}", {"title": "x", "due_on": str(TODAY)}),
        (f"/action-items/{city['item'].pk}/edit/", {"status": "done", "result": "x"}),
        (f"/policy-matches/{city['match'].pk}/status/", {f"m{city['match'].pk}-status": "applying"}),
        (f"/notifications/{city['notice'].pk}/read/", {}),
    ]
    if role == "county_manager":
        posts.append((f"/imports/{city['job'].pk}/confirm/", {}))
    for url, body in posts:
        assert client.post(url, body).status_code == 404, url
    need.refresh_from_db()
    assert need.status == NeedStatus.NEW and need.events.count() == 1
    assert Contact.objects.filter(enterprise=city["enterprise"]).count() == 1
    assert ActionItem.objects.filter(need=need).count() == 1
    city["match"].refresh_from_db()
    assert city["match"].status == MatchStatus.PUSHED
    city["notice"].refresh_from_db()
    assert city["notice"].read_at is None


@pytest.mark.parametrize("role", COUNTY_ROLES)
def test_web_creates_naming_city_records_create_nothing(request, web, world, role):
    client = web(request.getfixturevalue(role))
    city, county = world["city"], world["county"]
    before = (Need.objects.count(), Visit.objects.count())
    client.post(
        "/needs/new/",
        {
            "enterprise": city["enterprise"].pk,
            "source": "phone",
            "category": "funding",
            "urgency": "normal",
            "title": "x",
        },
    )
    client.post(
        "/needs/new/",
        {"project": city["project"].pk, "source": "phone", "category": "funding", "urgency": "normal", "title": "x"},
    )
    for body in (
        {"enterprise": city["enterprise"].pk},
        {"enterprise": county["enterprise"].pk, "project": city["project"].pk},
    ):
        client.post(
            "/visits/new/",
            {**body, "visited_on": str(TODAY), "kind": "on_site", "flag": "green", "q_needs": "x"},
        )
    assert (Need.objects.count(), Visit.objects.count()) == before


@pytest.mark.parametrize("role", COUNTY_ROLES)
def test_web_lists_exports_and_search_show_no_city_rows(request, web, world, role):
    client = web(request.getfixturevalue(role))
    for path in ("enterprises", "projects", "visits", "needs", "action-items"):
        response = client.get(f"/{path}/")
        assert response.status_code == 200, path
        assert "城区" not in response.content.decode() and CITY_NAME not in response.content.decode(), path
        export = client.get(f"/{path}/export/", {"format": "csv"})
        assert export.status_code == 200, path
        text = export.content.decode("utf-8-sig")
        assert "城区" not in text and CITY_NAME not in text, path
    response = client.get("/search/", {"q": "清源"})
    assert CITY_NAME not in response.content.decode()
    response = client.get("/search/", {"q": "城区"})
    assert "城区项目" not in response.content.decode()


@pytest.mark.parametrize("kind", ["enterprises", "projects", "visits", "needs", "action-items"])
def test_export_sheet_for_a_county_user_has_no_city_rows(world, county_officer, tmp_path, kind):
    path = tmp_path / "ledger.csv"
    call_command("export_sheet", kind, str(path), "--user", "county_officer", stdout=io.StringIO())
    text = path.read_bytes().decode("utf-8-sig")
    assert "城区" not in text and CITY_NAME not in text
    assert "金湖" in text


# ---------------------------------------------------------------------------------------------------------
# Referential writes inside the county's own records
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def city_owned_county_need(officer, county_enterprise):
    """A need of a county enterprise recorded by the city (owned by the city bureau, not transferred)."""
    return need_create(user=officer, enterprise=county_enterprise, category="funding", title="市局登记的金湖诉求")


def test_county_manager_cannot_run_the_workflow_of_a_city_owned_need(
    api_as, county_manager, city_owned_county_need, city_department, manager
):
    need = city_owned_county_need
    client = api_as(county_manager)
    assert client.get(f"/api/v1/needs/{need.pk}/").json()["actions"] == []  # visible, but no buttons
    for verb, body in (
        ("accept", {}),
        ("reject", {"reason": "x"}),
        ("transfer", {"bureau": county_manager.bureau_id}),
        ("assign", {"lead_department": city_department.pk, "handler": manager.pk}),
    ):
        response = client.post(f"/api/v1/needs/{need.pk}/{verb}/", {"version": need.version, **body}, format="json")
        assert response.status_code == 403, verb
    response = client.patch(f"/api/v1/needs/{need.pk}/", {"title": "改"}, format="json")
    assert response.status_code == 403
    version = need.version
    need.refresh_from_db()
    assert (need.status, need.bureau_id, need.title, need.version) == (
        NeedStatus.NEW,
        manager.bureau_id,
        "市局登记的金湖诉求",
        version,
    )
    # Once the city transfers it, the county runs it.
    response = api_as(manager).post(
        f"/api/v1/needs/{need.pk}/transfer/", {"version": version, "bureau": county_manager.bureau_id}, format="json"
    )
    assert response.status_code == 200
    body = {"version": response.json()["version"]}
    response = api_as(county_manager).post(f"/api/v1/needs/{need.pk}/accept/", body, format="json")
    assert response.status_code == 200


def test_assisting_departments_of_another_county_are_refused(
    api_as, county_manager, county_officer, county_enterprise, county_department, city_department, regions
):
    from crm.choices import BureauLevel
    from crm.models import Bureau

    other = Bureau.objects.create(name="盱眙县科技局", level=BureauLevel.COUNTY, region=regions["320803"])
    other_department = Department.objects.create(bureau=other, name="盱眙综合科")
    need = need_create(user=county_officer, enterprise=county_enterprise, category="funding", title="x")
    client = api_as(county_manager)
    version = client.post(f"/api/v1/needs/{need.pk}/accept/", {"version": need.version}, format="json").json()[
        "version"
    ]
    body = {"version": version, "lead_department": county_department.pk, "assisting_departments": [other_department.pk]}
    response = client.post(f"/api/v1/needs/{need.pk}/assign/", body, format="json")
    assert response.status_code == 400 and "assisting_departments" in response.json()
    body["assisting_departments"] = [city_department.pk]  # 市、县区联动: the city's departments may assist
    response = client.post(f"/api/v1/needs/{need.pk}/assign/", body, format="json")
    assert response.status_code == 200, response.json()


def test_nobody_deletes_a_need_and_its_timeline(api_as, manager, admin_user, officer, enterprise):
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="x")
    for user in (manager, admin_user, officer):
        assert api_as(user).delete(f"/api/v1/needs/{need.pk}/").status_code == 403
    assert Need.objects.filter(pk=need.pk).exists()
    assert NeedEvent.objects.filter(need=need).count() == 1


def test_need_events_have_no_edit_or_delete_path(api_as, manager, officer, enterprise):
    need = need_create(user=officer, enterprise=enterprise, category="funding", title="x")
    event = need.events.get()
    client = api_as(manager)
    url = f"/api/v1/needs/{need.pk}/events/"
    assert client.put(url, {"kind": "note", "text": "y"}, format="json").status_code == 405
    assert client.patch(url, {"kind": "note", "text": "y"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert client.get(f"{url}{event.pk}/").status_code == 404
    response = client.post(url, {"kind": "status", "text": "y", "to_status": "closed"}, format="json")
    assert response.status_code == 400
    event.refresh_from_db()
    assert event.text and NeedEvent.objects.filter(need=need).count() == 1


def test_county_users_name_only_their_own_bureau_staff(
    api_as, county_manager, county_officer, manager, county_enterprise, county_department, city_department
):
    need = need_create(user=county_officer, enterprise=county_enterprise, category="funding", title="x")
    client = api_as(county_manager)
    due = str(TODAY + dt.timedelta(days=5))
    response = client.post(
        "/api/v1/action-items/", {"need": need.pk, "title": "x", "owner": manager.pk, "due_on": due}, format="json"
    )
    assert response.status_code == 400 and "owner" in response.json()
    response = client.post(
        "/api/v1/visits/",
        {"enterprise": county_enterprise.pk, "visited_on": str(TODAY), "q_needs": "x", "officers": [manager.pk]},
        format="json",
    )
    assert response.status_code == 400 and "officers" in response.json()
    response = client.patch(
        f"/api/v1/enterprises/{county_enterprise.pk}/", {"liaison_officers": [manager.pk]}, format="json"
    )
    assert response.status_code == 400
    response = client.post(
        "/api/v1/action-items/",
        {"need": need.pk, "title": "x", "owner": county_officer.pk, "due_on": due, "department": city_department.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Notification.objects.filter(recipient=manager).count() == 0


def test_city_staff_already_named_stay_selectable(api_as, manager, county_manager, county_enterprise):
    county_enterprise.liaison_officers.set([manager])
    response = api_as(county_manager).patch(
        f"/api/v1/enterprises/{county_enterprise.pk}/",
        {"liaison_officers": [manager.pk, county_manager.pk], "address": "金湖县"},
        format="json",
    )
    assert response.status_code == 200, response.json()


def test_action_item_department_of_another_county_is_refused(
    api_as, county_manager, county_officer, county_enterprise, regions
):
    from crm.choices import BureauLevel
    from crm.models import Bureau

    other = Bureau.objects.create(name="盱眙县科技局", level=BureauLevel.COUNTY, region=regions["320803"])
    other_department = Department.objects.create(bureau=other, name="盱眙综合科")
    need = need_create(user=county_officer, enterprise=county_enterprise, category="funding", title="x")
    body = {
        "need": need.pk,
        "title": "x",
        "owner": county_officer.pk,
        "due_on": str(TODAY + dt.timedelta(days=5)),
        "department": other_department.pk,
    }
    response = api_as(county_manager).post("/api/v1/action-items/", body, format="json")
    assert response.status_code == 400 and "department" in response.json()
    assert not ActionItem.objects.exists()


def test_action_item_department_defaults_past_another_countys_offering(
    api_as, county_manager, county_officer, county_enterprise, regions
):
    from crm.choices import BureauLevel
    from crm.models import Bureau, Offering

    other = Bureau.objects.create(name="盱眙县科技局", level=BureauLevel.COUNTY, region=regions["320803"])
    other_department = Department.objects.create(bureau=other, name="盱眙综合科")
    offering = Offering.objects.create(department=other_department, name="盱眙孵化器", kind="platform")
    need = need_create(user=county_officer, enterprise=county_enterprise, category="funding", title="x")
    body = {
        "need": need.pk,
        "title": "x",
        "owner": county_officer.pk,
        "offering": offering.pk,
        "due_on": str(TODAY + dt.timedelta(days=5)),
    }
    response = api_as(county_manager).post("/api/v1/action-items/", body, format="json")
    assert response.status_code == 201, response.json()
    # Not the other county's department: the owner's own.
    assert ActionItem.objects.get().department == county_officer.department


def test_county_manager_cannot_edit_or_delete_the_city_policies(
    api_as, web, county_manager, manager, city_department, county_department
):
    policy = make_policy(department=city_department)
    client = api_as(county_manager)
    assert client.get(f"/api/v1/policies/{policy.pk}/").status_code == 200  # the library is shared for reading
    assert client.patch(f"/api/v1/policies/{policy.pk}/", {"is_active": False}, format="json").status_code == 403
    assert client.delete(f"/api/v1/policies/{policy.pk}/").status_code == 403
    # Another bureau's entry of a shared library: its edit form answers 404 (issue 11), as out of scope.
    assert web(county_manager).get(f"/policies/{policy.pk}/edit/").status_code == 404
    policy.refresh_from_db()
    assert policy.is_active
    # Its own policies it keeps.
    response = client.post(
        "/api/v1/policies/",
        {"title": "金湖县政策", "issuer": "金湖县科技局", "level": "county", "kind": "funding"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    own = response.json()["id"]
    assert client.patch(f"/api/v1/policies/{own}/", {"summary": "x"}, format="json").status_code == 200
    assert api_as(manager).patch(f"/api/v1/policies/{own}/", {"summary": "y"}, format="json").status_code == 200


# ---------------------------------------------------------------------------------------------------------
# A visit's project belongs to its enterprise (DESIGN §3 Visit.project)
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def two_projects(enterprise, county_enterprise, regions):
    city = Project.objects.create(name="清源扩产项目", region=regions["320812"], enterprise=enterprise)
    county = Project.objects.create(name="金湖电子项目", region=regions["320831"], enterprise=county_enterprise)
    return city, county


def test_api_refuses_a_visit_under_another_enterprises_project(api_as, manager, county_enterprise, two_projects):
    city_project, _ = two_projects
    body = {"enterprise": county_enterprise.pk, "project": city_project.pk, "visited_on": str(TODAY), "q_needs": "x"}
    response = api_as(manager).post("/api/v1/visits/", body, format="json")
    assert response.status_code == 400 and "project" in response.json()
    assert not Visit.objects.exists()


def test_visit_form_offers_and_accepts_only_the_enterprises_projects(web, manager, county_enterprise, two_projects):
    city_project, county_project = two_projects
    client = web(manager)
    html = client.get(f"/visits/new/?enterprise={county_enterprise.pk}").content.decode()
    assert county_project.name in html and city_project.name not in html
    html = client.get("/visits/new/").content.decode()  # no enterprise chosen yet: no project offered
    assert county_project.name not in html and city_project.name not in html
    body = {
        "visited_on": str(TODAY),
        "kind": "on_site",
        "flag": "green",
        "q_needs": "x",
        "needs-TOTAL_FORMS": "0",
        "needs-INITIAL_FORMS": "0",
    }
    response = client.post("/visits/new/", {**body, "enterprise": county_enterprise.pk, "project": city_project.pk})
    assert response.status_code == 200
    assert "project" in response.context["form"].errors
    assert not Visit.objects.exists()
    response = client.post("/visits/new/", {**body, "enterprise": county_enterprise.pk, "project": county_project.pk})
    assert response.status_code == 302
    assert Visit.objects.get().project == county_project


# ---------------------------------------------------------------------------------------------------------
# No page or section shows a record that the same user gets 404 for
# ---------------------------------------------------------------------------------------------------------

HREF = re.compile(r'href="([^"]+)"')
NOT_PAGES = ("/static/", "/media/", "/i18n/", "/accounts/logout", "/admin/")


@pytest.fixture
def city_project_of_county_enterprise(world, officer, county_officer, regions):
    """A project of the county enterprise that lies in the city (so the county does not see it), with a visit
    and a help request under it recorded by the city."""
    county = world["county"]["enterprise"]
    county.liaison_officers.add(county_officer)
    project = Project.objects.create(name="城区帮办项目", region=regions["320812"], enterprise=county)
    visit = visit_create(user=officer, enterprise=county, project=project, visited_on=TODAY, q_needs="金湖城区问需")
    need_create(user=officer, enterprise=county, project=project, category="funding", title="金湖城区帮办事项")
    return project, visit


def _links(html: str) -> set[str]:
    links = set()
    for href in HREF.findall(html):
        href = href.replace("&amp;", "&")
        if href.startswith("/") and not href.startswith(NOT_PAGES):
            links.add(href.split("#")[0])
    return links - {""}


def test_every_link_of_the_360_page_and_the_home_page_opens(
    web, world, county_officer, city_project_of_county_enterprise
):
    project, visit = city_project_of_county_enterprise
    client = web(county_officer)
    county = world["county"]["enterprise"]
    page = client.get(f"/enterprises/{county.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert project.name not in html and f"/projects/{project.pk}/" not in html
    assert world["county"]["project"].name in html  # the county's own project is listed
    links = _links(html) | _links(client.get("/").content.decode())
    assert f"/visits/{visit.pk}/" in links and f"/projects/{world['county']['project'].pk}/" in links
    for url in sorted(links):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/projects/{project.pk}/").status_code == 404
    # The visit page of the county enterprise does not name the city project either.
    visit_html = client.get(f"/visits/{visit.pk}/").content.decode()
    assert project.name not in visit_html and f"/projects/{project.pk}/" not in visit_html


def test_enterprise_selectors_read_through_the_scope(world, county_officer, officer, city_project_of_county_enterprise):
    from crm.selectors import enterprises as selectors

    project, _ = city_project_of_county_enterprise
    county = world["county"]["enterprise"]
    assert project not in selectors.enterprise_projects(user=county_officer, enterprise=county)
    assert project in selectors.enterprise_projects(user=officer, enterprise=county)  # the city sees it
    city = world["city"]["enterprise"]
    # Asked for a city enterprise, a county user's sections are empty.
    assert selectors.enterprise_contacts(user=county_officer, enterprise=city) == []
    assert selectors.enterprise_projects(user=county_officer, enterprise=city) == []
    assert selectors.enterprise_needs(user=county_officer, enterprise=city).count == 0
    assert selectors.enterprise_action_items(user=county_officer, enterprise=city).count == 0
    assert selectors.enterprise_policy_matches(user=county_officer, enterprise=city).count == 0
    assert selectors.enterprise_timeline(user=county_officer, enterprise=city) == []
    assert selectors.enterprise_qualifications(user=county_officer, enterprise=city) == []
    assert selectors.enterprise_liaison_officers(user=county_officer, enterprise=city) == []
    assert selectors.enterprise_policy_suggestions(user=county_officer, enterprise=city) == {
        "suggestions": [],
        "near_misses": [],
    }

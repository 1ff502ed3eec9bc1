"""API of visits, needs (transitions, timeline) and notifications (DESIGN §8.3, §4.1)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm.choices import NeedStatus, Satisfaction
from crm.models import Need, NeedEvent, Notification, Project, Visit
from crm.services.needs import TRANSITIONS, VERBS, need_create
from crm.services.visits import visit_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

TODAY = timezone.localdate()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 64


def put(need, status, **extra):
    Need.objects.filter(pk=need.pk).update(status=status, **extra)
    need.refresh_from_db()
    return need


def url(need, verb=""):
    return f"/api/v1/needs/{need.pk}/{verb + '/' if verb else ''}"


@pytest.fixture
def bodies(lead_department, county_bureau):
    return {
        "accept": {},
        "reject": {"reason": "不属于受理范围"},
        "assign": {"lead_department": lead_department.pk},
        "start": {},
        "answer": {"resolution": "已办结"},
        "return-visit": {"satisfaction": Satisfaction.SATISFIED},
        "reopen": {"reason": "企业再次反映"},
        "transfer": {"bureau": county_bureau.pk},
        "extend": {"due_on": (TODAY + dt.timedelta(days=20)).isoformat(), "reason": "等待会商"},
    }


# ------------------------------------------------------------------------------------------------ visits


class TestVisits:
    def test_create_with_needs(self, api_as, officer, enterprise):
        body = {
            "enterprise": enterprise.pk,
            "visited_on": TODAY.isoformat(),
            "kind": "on_site",
            "q_needs": "扩产用地",
            "flag": "yellow",
            "needs": [
                {"category": "land", "title": "新增用地"},
                {"category": "finance", "title": "科技贷款", "urgency": "urgent"},
            ],
        }
        response = api_as(officer).post("/api/v1/visits/", body, format="json")
        assert response.status_code == 201, response.json()
        data = response.json()
        assert data["code"].startswith("ZF-")
        assert data["officers"] == [officer.pk]
        assert [n["title"] for n in data["needs"]] == ["新增用地", "科技贷款"]
        assert data["needs"][1]["urgency"] == "urgent"
        visit = Visit.objects.get(pk=data["id"])
        assert visit.needs.filter(source="visit", status=NeedStatus.NEW).count() == 2

    def test_multipart_with_files_and_needs_as_json(self, api_as, officer, enterprise):
        body = {
            "enterprise": enterprise.pk,
            "visited_on": TODAY.isoformat(),
            "q_difficulties": "招工难",
            "needs": '[{"category": "labour", "title": "技工招聘"}]',
            "files": [SimpleUploadedFile("现场.jpg", JPEG), SimpleUploadedFile("记录.pdf", PDF)],
        }
        response = api_as(officer).post("/api/v1/visits/", body, format="multipart")
        assert response.status_code == 201, response.json()
        data = response.json()
        assert [(a["name"], a["content_type"]) for a in data["attachments"]] == [
            ("现场.jpg", "image/jpeg"),
            ("记录.pdf", "application/pdf"),
        ]
        assert len(data["needs"]) == 1
        # Served through the scoped page, not from the public media folder.
        assert f"/visits/{data['id']}/attachments/" in data["attachments"][0]["url"]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            # Two days on: still ahead when the suite passes midnight (Asia/Shanghai) after TODAY was read.
            ({"visited_on": (TODAY + dt.timedelta(days=2)).isoformat()}, "visited_on"),
            ({"q_needs": ""}, "non_field_errors"),
            ({"q_needs": "bad\x00byte"}, "q_needs"),
            ({"needs": [{"category": "land"}]}, "needs"),
            ({"needs": "not json"}, "needs"),
            ({"visited_on": "2026-02-30"}, "visited_on"),
            ({"kind": "teleport"}, "kind"),
        ],
    )
    def test_bad_input_is_400(self, api_as, officer, enterprise, change, field):
        body = {"enterprise": enterprise.pk, "visited_on": TODAY.isoformat(), "q_needs": "x"}
        body.update(change)
        response = api_as(officer).post("/api/v1/visits/", body, format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert not Visit.objects.exists()
        assert not Need.objects.exists()

    def test_wrong_file_type(self, api_as, officer, enterprise):
        body = {
            "enterprise": enterprise.pk,
            "visited_on": TODAY.isoformat(),
            "q_needs": "x",
            "files": [SimpleUploadedFile("photo.jpg", b"<script>alert(1)</script>")],
        }
        response = api_as(officer).post("/api/v1/visits/", body, format="multipart")
        assert response.status_code == 400
        assert "photo.jpg" in response.json()["attachments"][0]
        assert not Visit.objects.exists()

    def test_oversized_file(self, api_as, officer, enterprise, settings):
        settings.ATTACHMENT_MAX_BYTES = 100
        body = {
            "enterprise": enterprise.pk,
            "visited_on": TODAY.isoformat(),
            "q_needs": "x",
            "files": [SimpleUploadedFile("big.jpg", JPEG + b"\x00" * 200)],
        }
        response = api_as(officer).post("/api/v1/visits/", body, format="multipart")
        assert response.status_code == 400
        assert "big.jpg" in response.json()["attachments"][0]

    def test_leader_cannot_log(self, api_as, leader, enterprise):
        body = {"enterprise": enterprise.pk, "visited_on": TODAY.isoformat(), "q_needs": "x"}
        assert api_as(leader).post("/api/v1/visits/", body, format="json").status_code == 403

    def test_enterprise_out_of_scope(self, api_as, county_officer, enterprise):
        body = {"enterprise": enterprise.pk, "visited_on": TODAY.isoformat(), "q_needs": "x"}
        response = api_as(county_officer).post("/api/v1/visits/", body, format="json")
        assert response.status_code == 400
        assert "enterprise" in response.json()

    def test_scoping_404(self, api_as, officer, county_officer, enterprise):
        visit = visit_create(user=officer, enterprise=enterprise, visited_on=TODAY, q_needs="x")
        assert api_as(county_officer).get(f"/api/v1/visits/{visit.pk}/").status_code == 404
        assert api_as(officer).get(f"/api/v1/visits/{visit.pk}/").status_code == 200

    def test_update_own_visit_but_not_its_needs(self, api_as, officer, enterprise):
        visit = visit_create(user=officer, enterprise=enterprise, visited_on=TODAY, q_needs="x")
        client = api_as(officer)
        response = client.patch(f"/api/v1/visits/{visit.pk}/", {"q_suggestions": "建议"}, format="json")
        assert response.status_code == 200
        assert response.json()["q_suggestions"] == "建议"
        response = client.patch(f"/api/v1/visits/{visit.pk}/", {"needs": []}, format="json")
        assert response.status_code == 400

    def test_filters(self, api_as, officer, manager, enterprise, county_enterprise):
        visit_create(user=officer, enterprise=enterprise, visited_on=TODAY, q_needs="x", flag="red")
        visit_create(user=manager, enterprise=enterprise, visited_on=TODAY - dt.timedelta(days=40), q_needs="y")
        visit_create(user=manager, enterprise=county_enterprise, visited_on=TODAY, q_needs="z", lead=officer)
        client = api_as(manager)

        def count(query):
            response = client.get(f"/api/v1/visits/?{query}")
            assert response.status_code == 200
            return response.json()["count"]

        assert count("") == 3
        assert count(f"enterprise={enterprise.pk}") == 2
        assert count(f"officer={officer.pk}") == 2  # member of one, lead of another
        assert count("flag=red") == 1
        assert count(f"visited_on_after={(TODAY - dt.timedelta(days=7)).isoformat()}") == 2
        assert count(f"visited_on_before={(TODAY - dt.timedelta(days=7)).isoformat()}") == 1


# ------------------------------------------------------------------------------------------------ needs


class TestNeedCrud:
    def test_create(self, api_as, officer, enterprise, city_bureau):
        body = {"enterprise": enterprise.pk, "category": "talent", "title": "引进博士"}
        response = api_as(officer).post("/api/v1/needs/", body, format="json")
        assert response.status_code == 201, response.json()
        data = response.json()
        assert (data["status"], data["version"], data["source"], data["bureau"]) == ("new", 1, "phone", city_bureau.pk)
        assert data["code"].startswith("SQ-")

    def test_create_for_a_project(self, api_as, officer, enterprise):

        project = Project.objects.create(name="帮办项目", region=enterprise.region, is_assisted=True)
        response = api_as(officer).post(
            "/api/v1/needs/", {"project": project.pk, "category": "approval", "title": "施工许可"}, format="json"
        )
        assert response.status_code == 201
        assert response.json()["project"] == project.pk

    def test_create_needs_enterprise_or_project(self, api_as, officer):
        response = api_as(officer).post("/api/v1/needs/", {"category": "talent", "title": "x"}, format="json")
        assert response.status_code == 400

    def test_status_not_writable(self, api_as, manager, need):
        response = api_as(manager).patch(url(need), {"status": "closed", "title": "新"}, format="json")
        assert response.status_code == 200
        need.refresh_from_db()
        assert (need.status, need.title, need.version) == ("new", "新", 2)

    def test_patch_with_stale_version(self, api_as, manager, need):
        response = api_as(manager).patch(url(need), {"title": "新", "version": 5}, format="json")
        assert response.status_code == 409

    def test_officer_cannot_delete(self, api_as, officer, need):
        assert api_as(officer).delete(url(need)).status_code == 403

    def test_list_filters(self, api_as, manager, need, officer, enterprise, handler, lead_department):
        overdue = need_create(user=officer, enterprise=enterprise, category="land", title="用地", urgency="urgent")
        put(
            overdue,
            NeedStatus.IN_PROGRESS,
            due_on=TODAY - dt.timedelta(days=2),
            handler=handler,
            lead_department=lead_department,
            assigned_at=timezone.now() - dt.timedelta(days=20),
        )
        client = api_as(manager)

        def get(query):
            response = client.get(f"/api/v1/needs/?{query}")
            assert response.status_code == 200, response.json()
            return response.json()

        assert get("")["count"] == 2
        assert get("status=new")["count"] == 1
        assert get("category=land")["count"] == 1
        assert get("urgency=urgent")["count"] == 1
        assert get(f"lead_department={lead_department.pk}")["count"] == 1
        assert get(f"handler={handler.pk}")["count"] == 1
        data = get("overdue=true")
        assert data["count"] == 1
        assert data["results"][0]["escalation"] == "overdue"
        assert get("overdue=false")["count"] == 1

    def test_bad_filter_is_400(self, api_as, manager):
        assert api_as(manager).get("/api/v1/needs/?status=bogus").status_code == 400

    def test_actions_listed(self, api_as, manager, officer, need):
        assert api_as(manager).get(url(need)).json()["actions"] == ["accept", "reject", "transfer"]
        assert api_as(officer).get(url(need)).json()["actions"] == []


class TestTransitionsApi:
    @pytest.mark.parametrize("verb", VERBS)
    @pytest.mark.parametrize("status", list(NeedStatus.values))
    def test_status_verb(self, api_as, manager, need, bodies, verb, status):
        put(need, status, due_on=TODAY + dt.timedelta(days=10))
        response = api_as(manager).post(url(need, verb), {"version": 1, **bodies[verb]}, format="json")
        if status in TRANSITIONS[verb].sources and verb == "extend":
            # A request that a manager decides (DESIGN §11.4): 202, the need unchanged.
            assert response.status_code == 202, response.json()
            assert response.json()["status"] == "pending"
        elif status in TRANSITIONS[verb].sources:
            assert response.status_code == 200, response.json()
            assert response.json()["version"] == 2
        else:
            assert response.status_code == 409, response.json()
            assert "detail" in response.json()

    @pytest.mark.parametrize("verb", VERBS)
    @pytest.mark.parametrize("role", ["manager", "officer", "handler", "leader"])
    def test_role_verb(self, api_as, need, bodies, manager, officer, handler, leader, lead_department, role, verb):
        allowed = {
            "manager": set(VERBS),
            "officer": {"return-visit"},
            "handler": {"start", "answer", "extend", "return-visit"},
            "leader": set(),
        }[role]
        user = {"manager": manager, "officer": officer, "handler": handler, "leader": leader}[role]
        status = sorted(TRANSITIONS[verb].sources)[0]
        put(need, status, handler=handler, lead_department=lead_department, due_on=TODAY + dt.timedelta(days=10))
        response = api_as(user).post(url(need, verb), {"version": 1, **bodies[verb]}, format="json")
        ok = 202 if verb == "extend" else 200
        assert response.status_code == (ok if verb in allowed else 403), response.json()

    @pytest.mark.parametrize("verb", VERBS)
    def test_403_before_409(self, api_as, leader, need, verb):
        wrong = next(s for s in NeedStatus.values if s not in TRANSITIONS[verb].sources)
        put(need, wrong)
        response = api_as(leader).post(url(need, verb), {"version": 42}, format="json")
        assert response.status_code == 403

    def test_409_before_400(self, api_as, manager, need):
        put(need, NeedStatus.CLOSED)
        assert api_as(manager).post(url(need, "reject"), {"version": 1}, format="json").status_code == 409

    def test_stale_version(self, api_as, manager, need):
        client = api_as(manager)
        assert client.post(url(need, "accept"), {"version": 1}, format="json").status_code == 200
        response = client.post(url(need, "reject"), {"version": 1, "reason": "x"}, format="json")
        assert response.status_code == 409

    @pytest.mark.parametrize(
        ("status", "verb", "body", "field"),
        [
            ("new", "reject", {}, "reason"),
            ("new", "reject", {"reason": "  "}, "reason"),
            ("accepted", "assign", {}, "lead_department"),
            ("accepted", "assign", {"lead_department": 999999}, "lead_department"),
            ("accepted", "assign", {"lead_department": "abc"}, "lead_department"),
            ("in_progress", "answer", {}, "resolution"),
            ("answered", "return-visit", {}, "satisfaction"),
            ("answered", "return-visit", {"satisfaction": "meh"}, "satisfaction"),
            ("closed", "reopen", {}, "reason"),
            ("new", "transfer", {}, "bureau"),
            ("in_progress", "extend", {"reason": "x"}, "due_on"),
            ("in_progress", "extend", {"due_on": "2099-01-01"}, "reason"),
            ("in_progress", "extend", {"due_on": "tomorrow", "reason": "x"}, "due_on"),
            ("new", "accept", {"version": None}, "version"),
            ("new", "accept", {"version": "v1"}, "version"),
        ],
    )
    def test_400_fields(self, api_as, manager, need, status, verb, body, field):
        put(need, status, due_on=TODAY)
        response = api_as(manager).post(url(need, verb), {"version": 1, **body}, format="json")
        assert response.status_code == 400, response.json()
        assert field in response.json()
        need.refresh_from_db()
        assert need.version == 1

    def test_body_not_an_object(self, api_as, manager, need):
        assert api_as(manager).post(url(need, "accept"), [1, 2], format="json").status_code == 400

    def test_out_of_scope_is_404(self, api_as, county_manager, need):
        response = api_as(county_manager).post(url(need, "accept"), {"version": 1}, format="json")
        assert response.status_code == 404

    def test_transfer_makes_it_visible_to_the_county(self, api_as, manager, county_manager, need, county_bureau):
        assert api_as(county_manager).get(url(need)).status_code == 404
        response = api_as(manager).post(
            url(need, "transfer"), {"version": 1, "bureau": county_bureau.pk}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["bureau"] == county_bureau.pk
        client = api_as(county_manager)
        assert client.get(url(need)).status_code == 200
        assert client.post(url(need, "accept"), {"version": 2}, format="json").status_code == 200
        assert api_as(manager).get(url(need)).status_code == 200  # the city still sees it

    def test_full_loop_with_unsatisfied_return_visit(self, api_as, manager, officer, handler, need, lead_department):
        def post(user, verb, **body):
            current = Need.objects.get(pk=need.pk).version
            response = api_as(user).post(url(need, verb), {"version": current, **body}, format="json")
            assert response.status_code == 200, response.json()
            return response.json()

        post(manager, "accept")
        data = post(manager, "assign", lead_department=lead_department.pk, handler=handler.pk)
        assert data["handler"] == handler.pk
        assert data["due_on"]
        post(handler, "start")
        post(handler, "answer", resolution="已对接")
        assert post(officer, "return-visit", satisfaction="unsatisfied", text="未解决")["status"] == "in_progress"
        post(handler, "answer", resolution="已解决")
        data = post(officer, "return-visit", satisfaction="satisfied")
        assert data["status"] == "closed"
        assert data["closed_at"]
        events = api_as(officer).get(url(need, "events")).json()
        assert [e["to_status"] for e in events] == [
            "new",
            "accepted",
            "assigned",
            "in_progress",
            "answered",
            "in_progress",
            "answered",
            "closed",
        ]


class TestTransitionBodies:
    """The API feeds the body into the verb's input (crm.services.needs) and documents it from there."""

    def test_schema_documents_each_verb_from_its_input(self, api_as, manager):
        schema = api_as(manager).get("/api/schema/?format=json").json()
        components = schema["components"]["schemas"]
        for verb, transition in TRANSITIONS.items():
            body = schema["paths"][f"/api/v1/needs/{{id}}/{verb}/"]["post"]["requestBody"]
            name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            component = components[name]
            assert set(component["properties"]) == {"version", *transition.input.base_fields}, verb
            required = {n for n, f in transition.input.base_fields.items() if f.required}
            assert set(component["required"]) == {"version", *required}, verb
        assign = components["AssignTransitionRequest"]["properties"]
        assert assign["assisting_departments"]["type"] == "array"
        assert assign["due_on"]["format"] == "date"

    def test_all_field_errors_in_one_answer(self, api_as, manager, need):
        put(need, NeedStatus.IN_PROGRESS)
        response = api_as(manager).post(url(need, "extend"), {"version": 1, "due_on": 5}, format="json")
        assert response.status_code == 400
        assert set(response.json()) == {"due_on", "reason"}

    @pytest.mark.parametrize("body", [{"text": 5}, {"text": ["x"]}, {"text": "bad\x00"}])
    def test_text_that_is_not_text(self, api_as, manager, need, body):
        response = api_as(manager).post(url(need, "accept"), {"version": 1, **body}, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["text"]

    def test_assisting_departments_as_form_data(self, api_as, manager, need, lead_department, city_department):
        put(need, NeedStatus.ACCEPTED)
        other = city_department
        body = {"version": "1", "lead_department": str(lead_department.pk), "assisting_departments": [str(other.pk)]}
        response = api_as(manager).post(url(need, "assign"), body, format="multipart")
        assert response.status_code == 200, response.json()
        assert response.json()["assisting_departments"] == [other.pk]

    def test_huge_id_is_a_400(self, api_as, manager, need):
        put(need, NeedStatus.ACCEPTED)
        body = {"version": 1, "lead_department": 2**80, "assisting_departments": [2**80]}
        response = api_as(manager).post(url(need, "assign"), body, format="json")
        assert response.status_code == 400
        assert set(response.json()) == {"lead_department", "assisting_departments"}


class TestEvents:
    def test_note_by_officer(self, api_as, officer, handler, need):
        put(need, NeedStatus.IN_PROGRESS, handler=handler)
        response = api_as(officer).post(url(need, "events"), {"kind": "note", "text": "企业来电"}, format="json")
        assert response.status_code == 201
        assert response.json()["kind"] == "note"
        assert Notification.objects.filter(recipient=handler, kind="note").exists()
        need.refresh_from_db()
        assert need.version == 1

    def test_instruction_only_by_leaders(self, api_as, officer, leader, manager, need):
        body = {"kind": "instruction", "text": "请抓紧办理"}
        assert api_as(officer).post(url(need, "events"), body, format="json").status_code == 403
        assert api_as(manager).post(url(need, "events"), body, format="json").status_code == 403
        assert api_as(leader).post(url(need, "events"), body, format="json").status_code == 201

    @pytest.mark.parametrize(
        "body",
        [
            {"kind": "status", "text": "x"},
            {"kind": "note", "text": ""},
            {"kind": "note"},
            {"text": "x"},
            {"kind": "note", "text": "a\x00"},
        ],
    )
    def test_bad_event(self, api_as, officer, need, body):
        assert api_as(officer).post(url(need, "events"), body, format="json").status_code == 400

    def test_out_of_scope(self, api_as, county_officer, need):
        client = api_as(county_officer)
        assert client.get(url(need, "events")).status_code == 404
        assert client.post(url(need, "events"), {"kind": "note", "text": "x"}, format="json").status_code == 404

    def test_events_cannot_be_edited(self, api_as, manager, need):
        event = need.events.get()
        assert (
            api_as(manager).patch(f"{url(need, 'events')}{event.pk}/", {"text": "x"}, format="json").status_code == 404
        )
        assert NeedEvent.objects.get(pk=event.pk).text == event.text


class TestNotifications:
    @pytest.fixture
    def notices(self, officer, manager):
        mine = Notification.objects.create(recipient=officer, kind="note", text="给我的")
        other = Notification.objects.create(recipient=manager, kind="note", text="别人的")
        return mine, other

    def test_list_only_mine(self, api_as, officer, notices):
        data = api_as(officer).get("/api/v1/notifications/").json()
        assert [n["text"] for n in data["results"]] == ["给我的"]
        assert set(data["results"][0]) == {"id", "kind", "text", "need", "action_item", "created_at", "read_at"}

    def test_mark_read(self, api_as, officer, notices):
        mine, other = notices
        client = api_as(officer)
        response = client.post(f"/api/v1/notifications/{mine.pk}/read/")
        assert response.status_code == 200
        assert response.json()["read_at"]
        assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 0
        assert client.post(f"/api/v1/notifications/{other.pk}/read/").status_code == 404
        other.refresh_from_db()
        assert other.read_at is None

    def test_read_all(self, api_as, officer, notices):
        assert api_as(officer).post("/api/v1/notifications/read-all/").json() == {"marked": 1}


# ------------------------------------------------------------------------------------------------ budgets


class TestQueryBudgets:
    @pytest.fixture
    def many(self, officer, manager, enterprise, handler, lead_department):
        for i in range(55):
            visit = visit_create(
                user=officer,
                enterprise=enterprise,
                visited_on=TODAY,
                q_needs=f"需求{i}",
                officers=[officer, manager],
                needs=[{"category": "funding", "title": f"诉求{i}"}],
            )
            Need.objects.filter(visit=visit).update(
                status=NeedStatus.IN_PROGRESS,
                handler=handler,
                lead_department=lead_department,
                due_on=TODAY + dt.timedelta(days=i % 5),
                assigned_at=timezone.now() - dt.timedelta(days=10),
            )
            Need.objects.get(visit=visit).assisting_departments.add(lead_department)
            Notification.objects.create(recipient=manager, kind="note", text=f"n{i}")

    @pytest.mark.parametrize("path", ["/api/v1/needs/", "/api/v1/visits/", "/api/v1/notifications/"])
    def test_list_queries_do_not_grow(self, api_as, manager, many, path, django_assert_max_num_queries):
        client = api_as(manager)
        client.get(path)  # warm up: the user's roles are read once per user object
        counts, queries = {}, {}
        for size in (1, 50):
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx:
                response = client.get(
                    f"{path}?page_size={size}&overdue=false" if "needs" in path else f"{path}?page_size={size}"
                )
            assert response.status_code == 200
            assert len(response.json()["results"]) == size
            counts[size] = len(ctx.captured_queries)
            queries[size] = [q["sql"][:150] for q in ctx.captured_queries]
        assert counts[1] == counts[50], (counts, queries)
        with django_assert_max_num_queries(6):
            client.get(f"{path}?page_size=50")

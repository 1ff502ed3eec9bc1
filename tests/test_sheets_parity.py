"""One rule, one home (DESIGN §11.8): a sheet import and the API, given the same input by the same user, store
the same record — defaults, derived fields, many-to-many links and, for needs, the first timeline event."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from django.utils.translation import override

from crm.models import ActionItem, Contact, Enterprise, Need, NeedEvent, Offering, Policy, Project, Visit
from crm.services.needs import need_create
from crm.sheets.imports import sheet_import
from tests.factories import EnterpriseFactory, ProjectFactory, credit_code
from tests.policy_helpers import make_need, make_offering
from tests.sheets_helpers import lines, make_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

SKIPPED = {"id", "code", "created_at", "updated_at"}


def stored(obj) -> dict:
    """Every concrete field but id, code and timestamps, and the many-to-many links, as stored."""
    obj = type(obj).objects.get(pk=obj.pk)
    data = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.name not in SKIPPED}
    for m2m in obj._meta.many_to_many:
        data[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
    return data


def imported(kind: str, user, headers: list, row: list):
    outcome = sheet_import(kind=kind, data=make_xlsx(headers, [row]), user=user)
    assert outcome.ok and outcome.created == 1, lines(outcome)


def posted(api_as, user, kind: str, payload: dict) -> int:
    response = api_as(user).post(f"/api/v1/{kind}/", payload, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_an_imported_enterprise_is_stored_as_the_api_stores_it(api_as, manager, officer, regions, chains):
    code = credit_code(71)
    headers = ["企业名称", "统一社会信用代码", "所属区县", "所属产业链", "从业人数", "挂钩联系人", "党组织"]
    imported(
        "enterprises",
        manager,
        headers,
        ["淮安同一科技有限公司", code, "清江浦区", chains["green-food"].name, 80, officer.username, "党支部"],
    )
    by_import = stored(Enterprise.objects.get(credit_code=code))
    Enterprise.objects.filter(credit_code=code).delete()  # the credit code is unique
    payload = {
        "name": "淮安同一科技有限公司",
        "credit_code": code,
        "region": "320812",
        "industry_chain": "green-food",
        "employees": 80,
        "liaison_officers": [officer.pk],
        "party_organization": "branch",
    }
    by_api = stored(Enterprise.objects.get(pk=posted(api_as, manager, "enterprises", payload)))
    assert by_import == by_api


def test_an_imported_project_is_stored_as_the_api_stores_it(api_as, manager, enterprise):
    headers = ["项目名称", "企业名称", "所属区县", "项目类型", "计划投资(万元)"]
    imported("projects", manager, headers, ["新能源零部件项目", enterprise.name, "清江浦区", "招商引资", 5000])
    payload = {
        "name": "新能源零部件项目",
        "enterprise": enterprise.pk,
        "region": "320812",
        "kind": "investment",
        "planned_investment": "5000",
    }
    by_api = Project.objects.get(pk=posted(api_as, manager, "projects", payload))
    by_import = Project.objects.exclude(pk=by_api.pk).get(name="新能源零部件项目")
    assert stored(by_import) == stored(by_api)


def test_an_imported_policy_is_stored_as_the_api_stores_it(api_as, manager, city_department, regions, chains):
    headers = [
        "政策名称",
        "发文单位",
        "政策层级",
        "政策类型",
        "兑现方式",
        "责任处室",
        "适用诉求类别",
        "关键词",
        "适用区县",
        "最少从业人数",
    ]
    row = [
        "研发奖补",
        "淮安市科学技术局",
        "市级",
        "资金奖补",
        "申报制",
        city_department.name,
        "资金支持、人才引进",
        " 研发   奖补 ",
        "清江浦区",
        10,
    ]
    imported("policies", manager, headers, row)
    payload = {
        "title": "研发奖补",
        "issuer": "淮安市科学技术局",
        "level": "city",
        "kind": "funding",
        "delivery": "application",
        "department": city_department.pk,
        "need_categories": ["funding", "talent"],
        "keywords": " 研发   奖补 ",
        "regions": ["320812"],
        "min_employees": 10,
    }
    by_api = Policy.objects.get(pk=posted(api_as, manager, "policies", payload))
    by_import = Policy.objects.exclude(pk=by_api.pk).get(title="研发奖补")
    assert stored(by_import) == stored(by_api)
    assert by_import.keywords == "研发 奖补"


def test_an_imported_offering_is_stored_as_the_api_stores_it(api_as, manager, city_department):
    headers = ["资源名称", "提供处室", "资源类型", "适用诉求类别", "联系人"]
    imported("offerings", manager, headers, ["高企辅导", city_department.name, "政策辅导", "资质认定", "李四"])
    payload = {
        "name": "高企辅导",
        "department": city_department.pk,
        "kind": "policy_coaching",
        "need_categories": ["qualification"],
        "contact_name": "李四",
    }
    by_api = Offering.objects.get(pk=posted(api_as, manager, "offerings", payload))
    by_import = Offering.objects.exclude(pk=by_api.pk).get(name="高企辅导")
    assert stored(by_import) == stored(by_api)


def test_an_offering_without_a_department_takes_the_creators_both_ways(api_as, county_manager, county_department):
    imported("offerings", county_manager, ["资源名称", "资源类型"], ["县域专家服务", "专家团队"])
    by_api = Offering.objects.get(
        pk=posted(api_as, county_manager, "offerings", {"name": "县域专家服务", "kind": "expert_team"})
    )
    by_import = Offering.objects.exclude(pk=by_api.pk).get(name="县域专家服务")
    assert stored(by_import) == stored(by_api)
    assert by_import.department == county_department


def test_an_imported_visit_is_stored_as_the_api_stores_it(api_as, officer, enterprise):
    day = timezone.localdate() - dt.timedelta(days=3)
    headers = ["企业名称", "走访日期", "问需", "受访人"]
    imported("visits", officer, headers, [enterprise.name, day, "对接高校", "王五"])
    payload = {"enterprise": enterprise.pk, "visited_on": day.isoformat(), "q_needs": "对接高校", "interviewee": "王五"}
    by_api = Visit.objects.get(pk=posted(api_as, officer, "visits", payload))
    by_import = Visit.objects.exclude(pk=by_api.pk).get()
    assert stored(by_import) == stored(by_api)
    assert by_import.officers.get() == officer  # officers default to the creator, both ways
    assert re.fullmatch(r"ZF-\d{4}-\d{4}", by_import.code) and re.fullmatch(r"ZF-\d{4}-\d{4}", by_api.code)


def test_a_visit_under_another_enterprises_project_is_refused_both_ways(api_as, officer, enterprise, regions):
    other = EnterpriseFactory(name="淮安另一科技有限公司", region=regions["320812"], bureau=enterprise.bureau)
    theirs = ProjectFactory(name="另一企业的项目", enterprise=other, region=regions["320812"])
    ours = ProjectFactory(name="本企业的项目", enterprise=enterprise, region=regions["320812"])
    day = timezone.localdate() - dt.timedelta(days=3)
    headers = ["企业名称", "走访日期", "项目名称", "问需"]
    outcome = sheet_import(
        kind="visits", data=make_xlsx(headers, [[enterprise.name, day, theirs.name, "x"]]), user=officer
    )
    assert lines(outcome) == ["Row 2, column 项目名称: Select a project of the visit's enterprise."]
    assert not Visit.objects.exists()
    payload = {"enterprise": enterprise.pk, "visited_on": day.isoformat(), "q_needs": "x", "project": theirs.pk}
    response = api_as(officer).post("/api/v1/visits/", payload, format="json")
    assert response.status_code == 400 and "project" in response.json(), response.content
    assert not Visit.objects.exists()
    # The enterprise's own project is taken, both ways.
    imported("visits", officer, headers, [enterprise.name, day, ours.name, "x"])
    by_api = Visit.objects.get(pk=posted(api_as, officer, "visits", {**payload, "project": ours.pk}))
    by_import = Visit.objects.exclude(pk=by_api.pk).get()
    assert stored(by_import) == stored(by_api) and by_import.project == ours


def test_a_need_under_another_enterprises_project_is_refused_both_ways(api_as, officer, enterprise, regions):
    other = EnterpriseFactory(name="淮安另一科技有限公司", region=regions["320812"], bureau=enterprise.bureau)
    theirs = ProjectFactory(name="另一企业的项目", enterprise=other, region=regions["320812"])
    ours = ProjectFactory(name="本企业的项目", enterprise=enterprise, region=regions["320812"])
    headers = ["企业名称", "项目名称", "诉求类别", "诉求标题"]
    outcome = sheet_import(
        kind="needs", data=make_xlsx(headers, [[enterprise.name, theirs.name, "人才引进", "x"]]), user=officer
    )
    message = "This project is not one of the enterprise's projects: choose one of its projects, or none."
    assert lines(outcome) == [f"Row 2, column 项目名称: {message}"]
    payload = {"enterprise": enterprise.pk, "project": theirs.pk, "category": "talent", "title": "x"}
    response = api_as(officer).post("/api/v1/needs/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["project"] == [
        "该项目不属于所选企业，请选择该企业的项目，或不选项目。"
    ]  # the API speaks Chinese
    assert not Need.objects.exists()
    # The enterprise's own project is taken, both ways.
    imported("needs", officer, headers, [enterprise.name, ours.name, "人才引进", "x"])
    by_api = Need.objects.get(pk=posted(api_as, officer, "needs", {**payload, "project": ours.pk}))
    by_import = Need.objects.exclude(pk=by_api.pk).get()
    assert stored(by_import) == stored(by_api) and by_import.project == ours


def test_an_imported_need_is_stored_as_the_api_stores_it_with_its_first_event(api_as, officer, enterprise):
    headers = ["企业名称", "诉求类别", "诉求标题", "诉求描述"]
    imported("needs", officer, headers, [enterprise.name, "人才引进", "引进研发人才", "急需电池方向人才"])
    payload = {
        "enterprise": enterprise.pk,
        "category": "talent",
        "title": "引进研发人才",
        "description": "急需电池方向人才",
    }
    by_api = Need.objects.get(pk=posted(api_as, officer, "needs", payload))
    by_import = Need.objects.exclude(pk=by_api.pk).get()
    assert stored(by_import) == stored(by_api)
    assert by_import.source == "phone" and by_import.bureau == officer.bureau
    assert re.fullmatch(r"SQ-\d{4}-\d{4}", by_import.code) and re.fullmatch(r"SQ-\d{4}-\d{4}", by_api.code)

    def first_event(need):
        events = list(NeedEvent.objects.filter(need=need).values("kind", "from_status", "to_status", "text", "author"))
        assert len(events) == 1
        return events[0]

    assert first_event(by_import) == first_event(by_api)
    assert first_event(by_import)["to_status"] == "new"


def test_a_need_imported_for_a_visit_takes_the_visits_enterprise_and_source_as_need_create_does(
    api_as, officer, enterprise
):
    visit = Visit.objects.get(
        pk=posted(api_as, officer, "visits", {"enterprise": enterprise.pk, "visited_on": "2026-01-05", "q_needs": "x"})
    )
    imported("needs", officer, ["走访编号", "诉求类别", "诉求标题"], [visit.code, "资金支持", "资金"])
    # The API's serializer asks for an enterprise or a project; need_create itself derives them from the visit.
    by_api = need_create(user=officer, visit=visit, category="funding", title="资金")
    by_import = Need.objects.exclude(pk=by_api.pk).get()
    assert stored(by_import) == stored(by_api)
    assert by_import.enterprise == enterprise and by_import.source == "visit"


def test_an_imported_action_item_is_stored_as_the_api_stores_it(api_as, manager, officer, enterprise, city_department):
    need = Need.objects.get(
        pk=posted(api_as, officer, "needs", {"enterprise": enterprise.pk, "category": "talent", "title": "人才"})
    )
    offering = Offering.objects.get(
        pk=posted(
            api_as,
            manager,
            "offerings",
            {"name": "人才对接会", "department": city_department.pk, "kind": "service_event", "need_categories": []},
        )
    )
    due = timezone.localdate() + dt.timedelta(days=20)
    headers = ["诉求编号", "资源名称", "责任人", "完成时限"]
    imported("action-items", manager, headers, [need.code, offering.name, officer.username, due])
    payload = {"need": need.pk, "offering": offering.pk, "owner": officer.pk, "due_on": due.isoformat()}
    by_api = ActionItem.objects.get(pk=posted(api_as, manager, "action-items", payload))
    by_import = ActionItem.objects.exclude(pk=by_api.pk).get()
    assert stored(by_import) == stored(by_api)
    # Derived both ways: the enterprise from the need, the title and department from the offering.
    assert (by_import.enterprise, by_import.title, by_import.department) == (enterprise, "人才对接会", city_department)


def test_a_county_manager_cannot_change_a_city_policy_by_import(api_as, manager, county_manager, city_department):
    policy = Policy.objects.get(
        pk=posted(
            api_as,
            manager,
            "policies",
            {
                "title": "市级政策",
                "issuer": "淮安市科学技术局",
                "level": "city",
                "kind": "funding",
                "department": city_department.pk,
            },
        )
    )
    assert api_as(county_manager).patch(f"/api/v1/policies/{policy.pk}/", {"is_active": False}).status_code == 403
    headers = ["系统编号", "政策名称", "是否有效"]
    with override("en"):  # the API request above switched the language
        outcome = sheet_import(
            kind="policies", data=make_xlsx(headers, [[policy.pk, "改名", "否"]]), user=county_manager
        )
        assert lines(outcome) == ["Row 2: Only managers keep the policy library."]
    policy.refresh_from_db()
    assert (policy.title, policy.is_active) == ("市级政策", True)
    # The city's own manager may.
    assert sheet_import(kind="policies", data=make_xlsx(headers, [[policy.pk, "改名", "否"]]), user=manager).ok


# ------------------------------------------------------------------ action items: the checks of action_item_create

ACTION_HEADERS = ["诉求编号", "行动事项", "资源名称", "责任人", "完成时限", "办理状态", "办理结果"]


def action_case(case: str, *, need, offering, officer) -> tuple[list, dict, str, str, str]:
    """One refused new action item: the sheet row, the API payload, and the column, field and message both name."""
    today = timezone.localdate()
    cells = {"title": "跟进", "offering": None, "due_on": today + dt.timedelta(days=20), "status": None, "result": ""}
    if case == "owner":
        officer.is_active = False
        officer.save()
        column, field, message = "责任人", "owner", "This user is no longer active."
    elif case == "inactive offering":
        offering.is_active = False
        offering.save()
        cells["offering"] = offering
        column, field, message = "资源名称", "offering", "This offering is no longer active."
    elif case == "expired offering":
        offering.available_until = today - dt.timedelta(days=1)
        offering.save()
        cells["offering"] = offering
        column, field = "资源名称", "offering"
        message = f"This offering was available until {offering.available_until}."
    elif case == "due date":
        cells["due_on"] = today - dt.timedelta(days=1)
        column, field, message = "完成时限", "due_on", "The due date cannot be in the past."
    else:  # done without a result
        cells["status"] = ("已完成", "done")
        column, field, message = "办理结果", "result", "Describe the result of a finished action item."
    row = [
        need.code,
        cells["title"],
        cells["offering"].name if cells["offering"] else None,
        officer.username,
        cells["due_on"],
        cells["status"][0] if cells["status"] else None,
        cells["result"],
    ]
    payload = {"need": need.pk, "title": cells["title"], "owner": officer.pk, "due_on": cells["due_on"].isoformat()}
    if cells["offering"]:
        payload["offering"] = cells["offering"].pk
    if cells["status"]:
        payload["status"] = cells["status"][1]
    return row, payload, column, field, message


@pytest.mark.parametrize("case", ["owner", "inactive offering", "expired offering", "due date", "done without result"])
def test_an_action_item_the_api_refuses_is_refused_by_import_in_its_column(
    case, api_as, manager, officer, enterprise, city_bureau, city_department
):
    need = make_need(enterprise=enterprise, bureau=city_bureau, category="talent")
    offering = make_offering(department=city_department, name="人才对接会")
    row, payload, column, field, message = action_case(case, need=need, offering=offering, officer=officer)
    outcome = sheet_import(kind="action-items", data=make_xlsx(ACTION_HEADERS, [row]), user=manager)
    assert lines(outcome) == [f"Row 2, column {column}: {message}"]
    response = api_as(manager).post("/api/v1/action-items/", payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not ActionItem.objects.exists()


def test_a_new_done_action_item_is_completed_today_both_ways(api_as, manager, officer, enterprise, city_bureau):
    need = make_need(enterprise=enterprise, bureau=city_bureau, category="talent")
    due = timezone.localdate() + dt.timedelta(days=5)
    headers = [*ACTION_HEADERS, "完成日期"]
    imported("action-items", manager, headers, [need.code, "跟进", None, officer.username, due, "已完成", "已办", None])
    payload = {
        "need": need.pk,
        "title": "跟进",
        "owner": officer.pk,
        "due_on": due.isoformat(),
        "status": "done",
        "result": "已办",
    }
    by_api = ActionItem.objects.get(pk=posted(api_as, manager, "action-items", payload))
    by_import = ActionItem.objects.exclude(pk=by_api.pk).get()
    assert stored(by_import) == stored(by_api)
    assert (by_import.status, by_import.completed_on) == ("done", timezone.localdate())


def test_an_old_ledgers_done_item_keeps_its_completion_date_but_not_a_future_one(
    manager, officer, enterprise, city_bureau
):
    need = make_need(enterprise=enterprise, bureau=city_bureau, category="talent")
    due = timezone.localdate() + dt.timedelta(days=5)
    headers = [*ACTION_HEADERS, "完成日期"]
    earlier = timezone.localdate() - dt.timedelta(days=20)
    imported(
        "action-items", manager, headers, [need.code, "跟进", None, officer.username, due, "已完成", "已办", earlier]
    )
    assert ActionItem.objects.get().completed_on == earlier
    future = timezone.localdate() + dt.timedelta(days=2)
    outcome = sheet_import(
        kind="action-items",
        data=make_xlsx(headers, [[need.code, "再跟进", None, officer.username, due, "已完成", "已办", future]]),
        user=manager,
    )
    assert lines(outcome) == ["Row 2, column 完成日期: The completion date cannot be in the future."]
    assert ActionItem.objects.count() == 1


def test_an_action_item_moves_by_import_only_as_the_api_moves_it(api_as, manager, officer, enterprise, city_bureau):
    need = make_need(enterprise=enterprise, bureau=city_bureau, category="talent")
    due = timezone.localdate() + dt.timedelta(days=5)
    item = ActionItem.objects.get(
        pk=posted(
            api_as,
            manager,
            "action-items",
            {"need": need.pk, "title": "跟进", "owner": officer.pk, "due_on": due.isoformat(), "status": "cancelled"},
        )
    )
    headers = ["行动编号", "办理状态", "办理结果"]
    with override("en"):  # the API request above switched the language
        outcome = sheet_import(
            kind="action-items", data=make_xlsx(headers, [[item.code, "已完成", "已办"]]), user=manager
        )
        assert lines(outcome) == ["Row 2, column 办理状态: An action item that is Cancelled cannot become Done."]
    response = api_as(manager).patch(f"/api/v1/action-items/{item.pk}/", {"status": "done", "result": "已办"})
    assert response.status_code == 409
    item.refresh_from_db()
    assert (item.status, item.completed_on) == ("cancelled", None)
    # Reopened (cancelled → planned), then done: completed today, as action_item_update does.
    outcome = sheet_import(kind="action-items", data=make_xlsx(headers, [[item.code, "待办", ""]]), user=manager)
    assert outcome.ok, lines(outcome)
    outcome = sheet_import(kind="action-items", data=make_xlsx(headers, [[item.code, "已完成", "已办"]]), user=manager)
    assert outcome.ok, lines(outcome)
    item.refresh_from_db()
    assert (item.status, item.completed_on, item.result) == ("done", timezone.localdate(), "已办")


# ------------------------------------------------------------------------------------- contacts (企业联系人)

CONTACT_HEADERS = ["企业名称", "统一社会信用代码", "姓名", "职务", "手机", "邮箱", "是否主要联系人"]


def test_an_imported_contact_is_stored_as_the_api_stores_it(api_as, manager, enterprise):
    imported(
        "contacts",
        manager,
        CONTACT_HEADERS,
        ["", enterprise.credit_code, "王五", "总经理", 13912345678, "wangwu@example.com", "是"],
    )
    by_import = stored(Contact.objects.get())
    Contact.objects.all().delete()
    payload = {
        "enterprise": enterprise.pk,
        "name": "王五",
        "title": "总经理",
        "mobile": "13912345678",
        "email": "wangwu@example.com",
        "is_primary": True,
    }
    by_api = stored(Contact.objects.get(pk=posted(api_as, manager, "contacts", payload)))
    assert by_import == by_api
    assert by_import["mobile"] == "13912345678"  # a number cell, kept as the digits


def test_a_contact_import_updates_by_name_keeps_one_primary_and_refuses_what_the_api_refuses(
    api_as, manager, enterprise
):
    old = Contact.objects.create(enterprise=enterprise, name="赵六", is_primary=True, mobile="13900001111")
    rows = [
        [enterprise.name, "", "赵六", "副总", "13900002222", "", "否"],
        [enterprise.name.replace("（", "(").replace("）", ")"), "", "钱七", "", "", "", "是"],
    ]
    outcome = sheet_import(kind="contacts", data=make_xlsx(CONTACT_HEADERS, rows), user=manager)
    assert outcome.ok and (outcome.created, outcome.updated) == (1, 1), lines(outcome)
    old.refresh_from_db()
    assert (old.title, old.mobile, old.is_primary) == ("副总", "13900002222", False)
    assert list(Contact.objects.filter(is_primary=True).values_list("name", flat=True)) == ["钱七"]
    # What the API refuses, the import refuses, with our message and nothing stored.
    bad = {"enterprise": enterprise.pk, "name": "孙八", "mobile": "12345", "email": "not-an-address"}
    response = api_as(manager).post("/api/v1/contacts/", bad, format="json")
    assert response.status_code == 400 and {"mobile", "email"} <= set(response.json())
    with override("en"):
        row = ["", enterprise.credit_code, "孙八", "", "12345", "not-an-address", ""]
        outcome = sheet_import(kind="contacts", data=make_xlsx(CONTACT_HEADERS, [row]), user=manager)
        assert lines(outcome) == [
            "Row 2, column 手机: Enter a valid mainland mobile number: 11 digits starting with 13–19.",
            "Row 2, column 邮箱: “not-an-address” in 邮箱 is not an e-mail address (name@example.com).",
        ]
    assert not Contact.objects.filter(name="孙八").exists()


def test_a_county_manager_imports_contacts_only_for_its_own_enterprises(county_manager, enterprise, county_enterprise):
    rows = [
        ["", enterprise.credit_code, "越界", "", "", "", ""],
        ["", county_enterprise.credit_code, "本县", "", "", "", ""],
    ]
    with override("en"):
        outcome = sheet_import(kind="contacts", data=make_xlsx(CONTACT_HEADERS, rows), user=county_manager)
    assert [p.row for p in outcome.problems] == [2] and "No enterprise in your area" in lines(outcome)[0]
    assert not Contact.objects.exists()

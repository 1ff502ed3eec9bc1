"""Resources of crm/sheets/resources/: round trips of every kind, rules per kind, history, speed shape."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin as django_admin
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import override

from crm.choices import NeedCategory, OfferingKind, PolicyKind, PolicyLevel
from crm.models import (
    ActionItem,
    Contact,
    Enterprise,
    EnterpriseQualification,
    EnterpriseYear,
    Need,
    Offering,
    Policy,
    Project,
    Region,
    Visit,
)
from crm.sheets.exports import ledger_export
from crm.sheets.imports import sheet_import
from crm.sheets.resources import (
    RESOURCES,
    resource_for,
)
from tests.factories import ActivityFactory, ActivityParticipantFactory, EnterpriseFactory, credit_code, make_user
from tests.sheets_helpers import lines, make_xlsx, read_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


# -------------------------------------------------------------------------------------- enterprises

ENTERPRISE_HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "所属区县",
    "所属产业链",
    "企业资质",
    "从业人数",
    "上年营业收入(万元)",
    "成立日期",
    "挂钩联系企业",
    "挂钩联系人",
]


def test_enterprise_import_reads_names_codes_separators_and_formats(regions, chains, qualifications, manager, officer):
    rows = [
        ["甲科技有限公司", credit_code(11), "清江浦区", "绿色食品", "高新技术企业、tsme"]
        + ["1,200", "8,000.5", "2020/3/1", "是", "officer"],
        ["乙电子有限公司", credit_code(12, "320831").lower(), "320831", "pcb", "hnte;srdi，科技型中小企业"]
        + [30, 120, "2021-01-05", "否", "officer、manager"],
    ]
    outcome = sheet_import(kind="enterprises", data=make_xlsx(ENTERPRISE_HEADERS, rows), user=manager)
    assert outcome.ok, lines(outcome)
    assert (outcome.created, outcome.updated) == (2, 0)
    first = Enterprise.objects.get(credit_code=credit_code(11))
    assert first.region_id == "320812" and first.industry_chain_id == "green-food"
    assert first.employees == 1200 and first.revenue == Decimal("8000.50")
    assert first.established_on == dt.date(2020, 3, 1) and first.is_linked
    assert set(first.qualifications.values_list("code", flat=True)) == {"hnte", "tsme"}
    assert list(first.liaison_officers.all()) == [officer]
    assert first.bureau == manager.bureau and first.created_by == manager
    second = Enterprise.objects.get(credit_code=credit_code(12, "320831"))
    assert set(second.qualifications.values_list("code", flat=True)) == {"hnte", "srdi", "tsme"}
    assert set(second.liaison_officers.all()) == {officer, manager}


def test_enterprises_are_matched_on_the_credit_code_and_absent_columns_stay(enterprise, manager, qualifications):
    EnterpriseQualification.objects.create(
        enterprise=enterprise, qualification=qualifications["hnte"], expires_on=dt.date(2027, 11, 30)
    )
    before = model_to_dict(enterprise)
    code = " " + enterprise.credit_code.lower() + " "
    headers = ["统一社会信用代码", "企业名称", "从业人数", "企业资质"]
    data = make_xlsx(headers, [[code, "新名称有限公司", 130, "高新技术企业、科技型中小企业"]])
    outcome = sheet_import(kind="enterprises", data=data, user=manager)
    assert outcome.ok, lines(outcome)
    assert (outcome.created, outcome.updated) == (0, 1)
    enterprise.refresh_from_db()
    assert enterprise.name == "新名称有限公司" and enterprise.employees == 130
    # Columns that are not in the file are left as they were.
    for field in ("region", "industry_chain", "revenue", "rd_expense", "established_on", "is_linked", "bureau"):
        assert model_to_dict(enterprise)[field] == before[field], field
    # A qualification that stays keeps its certificate dates; the new one is added without.
    links = {q.qualification_id: q for q in enterprise.enterprise_qualifications.all()}
    assert set(links) == {"hnte", "tsme"}
    assert links["hnte"].expires_on == dt.date(2027, 11, 30)
    assert enterprise.history.first().history_type == "~"


def test_a_credit_code_twice_in_one_file_is_an_error_naming_the_first_row(regions, manager):
    rows = [["甲", credit_code(21), "清江浦区"], ["乙", credit_code(22), "清江浦区"]]
    rows.append(["丙", credit_code(21), "清江浦区"])
    outcome = sheet_import(kind="enterprises", data=make_xlsx(ENTERPRISE_HEADERS[:3], rows), user=manager)
    assert lines(outcome) == [
        "Row 4, column 统一社会信用代码: Row 2 has the same 统一社会信用代码; each record may appear once."
    ]
    assert not Enterprise.objects.exists()


def test_every_problem_is_reported_by_row_and_column_and_nothing_is_saved(regions, chains, qualifications, manager):
    rows = [
        ["好企业", credit_code(31), "清江浦区", "", "", 10],
        ["", "12345", "火星区", "不存在的链", "高新技术企业、不存在的资质", "很多"],
        ["好企业二", credit_code(32), "清江浦区", "", "", -3],
    ]
    outcome = sheet_import(kind="enterprises", data=make_xlsx(ENTERPRISE_HEADERS[:6], rows), user=manager)
    assert not outcome.ok
    assert lines(outcome) == [
        "Row 3, column 企业名称: This cell is required.",
        "Row 3, column 统一社会信用代码: A unified social credit code has 18 characters; this one has 5.",
        "Row 3, column 所属区县: No region is called or coded “火星区”.",
        "Row 3, column 所属产业链: No industry chain is called or coded “不存在的链”.",
        "Row 3, column 企业资质: No qualification is called or coded “不存在的资质”.",
        "Row 3, column 从业人数: “很多” is not a number.",
        "Row 4, column 从业人数: 从业人数 must be at least 0.",
    ]
    assert not Enterprise.objects.exists()


def test_blank_and_title_rows_are_skipped_hidden_rows_read_and_row_numbers_stay_true(regions, manager):
    rows = [
        ["甲", credit_code(41), "清江浦区"],
        [None, None, None],
        ["隐藏的错行", "bad2", "火星"],
        ["乙", "bad", "清江浦区"],
    ]
    data = make_xlsx(["企业名称", "统一社会信用代码", "所属区县"], rows, hidden=[3], above=[["淮安市挂钩企业台账"], []])
    outcome = sheet_import(kind="enterprises", data=data, user=manager)
    # Title on row 1, empty row 2, headers on row 3: the hidden row 6 is read (and said), the next is row 7.
    assert lines(outcome) == [
        "Row 6, column 统一社会信用代码: A unified social credit code has 18 characters; this one has 4.",
        "Row 6, column 所属区县: No region is called or coded “火星”.",
        "Row 7, column 统一社会信用代码: A unified social credit code has 18 characters; this one has 3.",
    ]
    assert outcome.total == 3
    assert outcome.warnings == ["Rows 6 are hidden in the spreadsheet; they are imported too."]


def test_headers_are_forgiving_about_full_width_brackets_blanks_and_a_serial_column(regions, manager):
    headers = ["序号", " 企业名称 ", "社会信用代码", "所属区县", "上年营业收入（万元）"]
    data = make_xlsx(headers, [[1, "甲", credit_code(51), "清江浦区", "1,000"]])
    outcome = sheet_import(kind="enterprises", data=data, user=manager)
    assert outcome.ok, lines(outcome)
    assert Enterprise.objects.get().revenue == Decimal("1000")


def test_unknown_and_missing_columns_list_the_expected_headers(regions, manager):
    outcome = sheet_import(kind="enterprises", data=make_xlsx(["企业名称", "电话号码"], [["甲", "1"]]), user=manager)
    (line,) = lines(outcome)
    assert "Missing columns: 统一社会信用代码." in line
    assert "Unknown columns: 电话号码." in line
    assert "Expected columns: 企业名称、统一社会信用代码、所属区县" in line


def test_a_county_manager_imports_only_its_county(regions, county_manager, enterprise):
    rows = [
        ["金湖企业", credit_code(61, "320831"), "金湖县"],
        ["清江浦企业", credit_code(62), "清江浦区"],
        [enterprise.name, enterprise.credit_code, "清江浦区"],
    ]
    outcome = sheet_import(kind="enterprises", data=make_xlsx(ENTERPRISE_HEADERS[:3], rows), user=county_manager)
    assert lines(outcome) == [
        "Row 3, column 所属区县: You can only record entries in your own region (320831).",
        "Row 4, column 统一社会信用代码: An enterprise with this credit code exists outside your bureau's area.",
    ]
    assert Enterprise.objects.count() == 1


def test_imported_changes_are_in_the_history_with_the_user(regions, manager):
    data = make_xlsx(ENTERPRISE_HEADERS[:3], [["甲", credit_code(71), "清江浦区"]])
    assert sheet_import(kind="enterprises", data=data, user=manager).ok
    record = Enterprise.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == ("+", manager, "表格导入")
    data = make_xlsx(ENTERPRISE_HEADERS[:3], [["甲（改名）", credit_code(71), "清江浦区"]])
    assert sheet_import(kind="enterprises", data=data, user=manager).ok
    latest = Enterprise.history.order_by("-history_id").first()
    assert (latest.history_type, latest.name) == ("~", "甲（改名）")
    # Importing the same again changes nothing and writes no history.
    outcome = sheet_import(kind="enterprises", data=data, user=manager)
    assert (outcome.updated, outcome.unchanged) == (0, 1)
    assert Enterprise.history.count() == 2


def test_the_number_of_queries_does_not_grow_with_the_rows(regions, chains, qualifications, manager):
    def rows(start, count):
        return [
            [f"企业{i}", credit_code(i), "清江浦区", "绿色食品", "高新技术企业", 10, 100, "2020-01-01", "是", "manager"]
            for i in range(start, start + count)
        ]

    # 10 and 30 rows fit in one INSERT each on SQLite too (999 parameters per statement).
    counts = []
    for start, count in ((1000, 10), (2000, 30)):
        with CaptureQueriesContext(connection) as queries:
            data = make_xlsx(ENTERPRISE_HEADERS, rows(start, count))
            outcome = sheet_import(kind="enterprises", data=data, user=manager)
        assert outcome.ok, lines(outcome)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # Updates too: the same files again, every row changed.
    counts = []
    for start, count in ((1000, 10), (2000, 30)):
        changed = [[*r[:5], 11, *r[6:]] for r in rows(start, count)]
        with CaptureQueriesContext(connection) as queries:
            outcome = sheet_import(kind="enterprises", data=make_xlsx(ENTERPRISE_HEADERS, changed), user=manager)
        assert outcome.updated == count, lines(outcome)
        counts.append(len(queries))
    assert counts[0] == counts[1]


# ------------------------------------------------------------------------------- every kind, round trip


@pytest.fixture
def ledger(regions, chains, qualifications, city_bureau, city_department, manager, officer, leader, enterprise):
    """One record of every kind, with their relations and many-to-many values filled."""
    EnterpriseQualification.objects.create(
        enterprise=enterprise, qualification=qualifications["hnte"], expires_on=dt.date(2027, 11, 30)
    )
    enterprise.liaison_officers.set([officer])
    enterprise.liaison_leader = leader
    enterprise.address = '=HYPERLINK("http://evil")'  # must survive the round trip unescaped
    enterprise.save()
    project = Project.objects.create(
        name="年产10万套零部件项目",
        enterprise=enterprise,
        region=regions["320812"],
        industry_chain=chains["nev"],
        planned_investment=Decimal("50000.00"),
        is_assisted=True,
        liaison_leader=leader,
        bureau=city_bureau,
    )
    project.liaison_officers.set([officer, manager])
    policy = Policy.objects.create(
        title="高企奖补政策",
        issuer="淮安市科技局",
        level=PolicyLevel.CITY,
        kind=PolicyKind.FUNDING,
        published_on=dt.date(2026, 1, 15),
        apply_until=dt.date(2026, 6, 30),
        max_amount=Decimal("30.00"),
        department=city_department,
        need_categories=[NeedCategory.FUNDING, NeedCategory.QUALIFICATION],
        keywords="高企 奖补",
        min_employees=10,
        min_rd_ratio=Decimal("3.00"),
    )
    policy.regions.set([regions["320812"], regions["320831"]])
    policy.required_qualifications.set([qualifications["hnte"]])
    offering = Offering.objects.create(
        department=city_department,
        name="高企认定辅导",
        kind=OfferingKind.POLICY_COACHING,
        need_categories=[NeedCategory.QUALIFICATION],
        contact_name="李四",
        contact_phone="+86 0517-80000000",
        available_until=dt.date(2026, 12, 31),
    )
    visit = Visit.objects.create(
        enterprise=enterprise,
        project=project,
        visited_on=timezone.localdate() - dt.timedelta(days=3),
        lead=leader,
        q_needs="-需要人才",
        q_difficulties="@融资难",
        flag="yellow",
        created_by=officer,
    )
    visit.officers.set([officer])
    need = Need.objects.create(
        enterprise=enterprise,
        visit=visit,
        source="visit",
        category=NeedCategory.TALENT,
        title="引进研发人才",
        description="\t电池方向",
        urgency="urgent",
        status="assigned",
        bureau=city_bureau,
        lead_department=city_department,
        handler=manager,
        due_on=dt.date(2026, 4, 1),
    )
    need.assisting_departments.set([city_department])
    action = ActionItem.objects.create(
        title="组织人才对接会",
        need=need,
        offering=offering,
        owner=manager,
        department=city_department,
        due_on=timezone.localdate() + dt.timedelta(days=30),  # a new copy of it may not be due in the past
        status="in_progress",
        result="+已联系两所高校",
    )
    contact = Contact.objects.create(
        enterprise=enterprise,
        name="=王经理",
        title="总经理",
        mobile="13900001234",
        email="w@example.com",
        is_primary=True,
    )
    year = EnterpriseYear.objects.create(
        enterprise=enterprise, year=2025, revenue=8000, rd_expense=320, employees=120, rd_staff=18, invention_patents=3
    )
    held_on = timezone.localdate() - dt.timedelta(days=5)
    activity = ActivityFactory(title="=新能源企业联合调研", held_on=held_on, bureau=city_bureau, lead=leader)
    ActivityParticipantFactory(activity=activity, enterprise=enterprise, attendees="王五")
    activity.bureaus.set([city_bureau])
    activity.officers.set([officer])
    return {
        "activities": activity,
        "enterprises": enterprise,
        "enterprise-years": year,
        "contacts": contact,
        "projects": project,
        "policies": policy,
        "offerings": offering,
        "visits": visit,
        "needs": need,
        "action-items": action,
    }


def snapshot(obj) -> dict:
    data = model_to_dict(obj)
    for field in obj._meta.many_to_many:
        data[field.name] = sorted(o.pk for o in getattr(obj, field.name).all())
    data["updated_at"] = obj.updated_at
    data["history"] = obj.history.count() if hasattr(obj, "history") else None
    return data


@pytest.mark.parametrize("kind", list(RESOURCES))
@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_round_trip_of_every_kind_changes_nothing(kind, file_format, ledger, manager):
    obj = ledger[kind]
    model = type(obj)
    before = {o.pk: snapshot(o) for o in model.objects.all()}
    data = ledger_export(kind=kind, user=manager, file_format=file_format)
    outcome = sheet_import(kind=kind, data=data, user=manager)
    assert outcome.ok, lines(outcome)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, len(before))
    after = {o.pk: snapshot(o) for o in model.objects.all()}
    assert after == before


@pytest.mark.parametrize("kind", list(RESOURCES))
def test_every_kind_imports_a_changed_row_and_records_it(kind, ledger, manager):
    obj = ledger[kind]
    resource = resource_for(kind, user=manager)
    headers = resource.get_export_headers()
    rows = read_xlsx(ledger_export(kind=kind, user=manager))
    text_column = {
        "enterprises": "地址",
        "contacts": "职务",
        "projects": "项目简介",
        "policies": "政策摘要",
        "offerings": "资源说明",
        "visits": "问计",
        "needs": "诉求描述",
        "action-items": "办理结果",
        "enterprise-years": "研发人员数",  # figures only: a number column
        "activities": "活动纪要",
    }[kind]
    new_value = 25 if kind == "enterprise-years" else "导入修改"
    index = headers.index(text_column)
    row = list(rows[1])
    row[index] = new_value
    outcome = sheet_import(kind=kind, data=make_xlsx(headers, [row]), user=manager)
    assert outcome.ok, lines(outcome)
    assert outcome.updated == 1
    obj.refresh_from_db()
    field = resource.fields[next(n for n, f in resource.fields.items() if f.column_name == text_column)].attribute
    assert getattr(obj, field) == new_value
    if hasattr(obj, "history"):  # contacts have no history (yet)
        assert obj.history.first().history_user == manager


@pytest.mark.parametrize("kind", ["visits", "needs", "action-items", "activities"])
def test_coded_kinds_create_rows_without_a_code_and_refuse_unknown_codes(kind, ledger, manager):
    model = type(ledger[kind])
    resource = resource_for(kind, user=manager)
    headers = resource.get_export_headers()
    row = list(read_xlsx(ledger_export(kind=kind, user=manager))[1])
    fresh = [None if h == headers[0] else v for h, v in zip(headers, row, strict=True)]
    unknown = ["XX-2026-9999" if h == headers[0] else v for h, v in zip(headers, row, strict=True)]
    outcome = sheet_import(kind=kind, data=make_xlsx(headers, [unknown]), user=manager)
    assert lines(outcome) == [
        f"Row 2, column {headers[0]}: Nothing in your area has the code “XX-2026-9999”; "
        "leave the cell empty to create a new record."
    ]
    outcome = sheet_import(kind=kind, data=make_xlsx(headers, [fresh, fresh]), user=manager)
    assert outcome.ok, lines(outcome)
    assert outcome.created == 2
    codes = list(model.objects.order_by("-id").values_list("code", flat=True)[:2])
    assert len(set(codes)) == 2 and all(c.startswith(model.CODE_PREFIX + "-") for c in codes)
    created = model.objects.order_by("-id").first()
    assert created.history.get().history_type == "+"


def test_need_rules_and_defaults(ledger, manager, city_bureau):
    headers = ["企业名称", "诉求类别", "诉求标题"]
    rows = [[ledger["enterprises"].name, "技术攻关", "攻关电池材料"], ["", "人才", "无主诉求"]]
    rows.append(["不存在公司", "其他", "x"])
    outcome = sheet_import(kind="needs", data=make_xlsx(headers, rows), user=manager)
    assert lines(outcome) == [
        "Row 3, column 企业名称: A need belongs to an enterprise or a project; give at least one.",
        "Row 4, column 企业名称: No enterprise in your area has the name or credit code “不存在公司”.",
    ]
    outcome = sheet_import(kind="needs", data=make_xlsx(headers, rows[:1]), user=manager)
    assert outcome.ok, lines(outcome)
    need = Need.objects.get(title="攻关电池材料")
    assert (need.category, need.source, need.status, need.bureau) == ("rd", "phone", "new", city_bureau)


def test_an_updated_need_gets_a_new_version(ledger, manager):
    need = ledger["needs"]
    version = need.version
    data = make_xlsx(["诉求编号", "诉求标题"], [[need.code, "改过的标题"]])
    outcome = sheet_import(kind="needs", data=data, user=manager)
    assert outcome.ok, lines(outcome)
    need.refresh_from_db()
    assert (need.title, need.version) == ("改过的标题", version + 1)


def test_visit_rules(ledger, manager):
    enterprise = ledger["enterprises"]
    headers = ["统一社会信用代码", "走访日期", "问需", "问难", "问计"]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    rows = [[enterprise.credit_code, "2026-01-05", "", "", ""], [enterprise.credit_code, tomorrow, "要人才", "", ""]]
    outcome = sheet_import(kind="visits", data=make_xlsx(headers, rows), user=manager)
    assert lines(outcome) == [
        "Row 2, column 问需: Fill in at least one of the three questions: needs, difficulties, suggestions.",
        "Row 3, column 走访日期: The visit date cannot be in the future.",
    ]
    data = make_xlsx(headers, [rows[1][:1] + ["2026-01-05", "要人才", "", ""]])
    outcome = sheet_import(kind="visits", data=data, user=manager)
    assert outcome.ok, lines(outcome)
    visit = Visit.objects.get(visited_on=dt.date(2026, 1, 5))
    assert visit.enterprise == enterprise and list(visit.officers.all()) == [manager]


def test_imported_visits_keep_their_officers_besides_lead_flag(ledger, manager, officer):
    """As visit_create and visit_update: the flag the dashboard's and the cadence's counts read follows the lead and
    the officers an import writes (created and updated rows)."""
    enterprise = ledger["enterprises"]
    headers = ["统一社会信用代码", "走访日期", "问需", "带队领导"]
    outcome = sheet_import(
        kind="visits",
        data=make_xlsx(headers, [[enterprise.credit_code, "2026-01-06", "要人才", "officer"]]),
        user=manager,
    )
    assert outcome.ok, lines(outcome)
    visit = Visit.objects.get(visited_on=dt.date(2026, 1, 6))
    assert (visit.lead, list(visit.officers.all()), visit.officers_besides_lead) == (officer, [manager], True)
    outcome = sheet_import(
        kind="visits", data=make_xlsx(["走访编号", "走访人员"], [[visit.code, "officer"]]), user=manager
    )
    assert outcome.ok, lines(outcome)
    visit.refresh_from_db()
    assert (list(visit.officers.all()), visit.officers_besides_lead) == ([officer], False)


def test_imported_visits_store_their_enterprises_region(ledger, manager, county_enterprise):
    """As visit_create and visit_update: ``Visit.region`` (the lists' region filter) is the enterprise's, for
    created rows and for rows whose enterprise the file changes."""
    enterprise = ledger["enterprises"]
    outcome = sheet_import(
        kind="visits",
        data=make_xlsx(["统一社会信用代码", "走访日期", "问需"], [[enterprise.credit_code, "2026-01-07", "要人才"]]),
        user=manager,
    )
    assert outcome.ok, lines(outcome)
    visit = Visit.objects.get(visited_on=dt.date(2026, 1, 7))
    assert visit.region_id == "320812"
    data = make_xlsx(["走访编号", "统一社会信用代码"], [[visit.code, county_enterprise.credit_code]])
    outcome = sheet_import(kind="visits", data=data, user=manager)
    assert outcome.ok, lines(outcome)
    visit.refresh_from_db()
    assert (visit.enterprise, visit.region_id) == (county_enterprise, "320831")


def test_the_visits_of_an_imported_enterprise_follow_it_to_another_region(ledger, manager, regions):
    """As enterprise_update: an enterprise the file moves to another region takes its visits along (only its own)."""
    enterprise = ledger["enterprises"]
    neighbour = EnterpriseFactory(name="清江浦邻居", credit_code=credit_code(81, "320812"), region=regions["320812"])
    visits = [ledger["visits"], Visit.objects.create(enterprise=neighbour, visited_on=dt.date(2026, 1, 8), q_needs="x")]
    data = make_xlsx(
        ["企业名称", "统一社会信用代码", "所属区县"], [[enterprise.name, enterprise.credit_code, "金湖县"]]
    )
    outcome = sheet_import(kind="enterprises", data=data, user=manager)
    assert outcome.ok, lines(outcome)
    stored = Visit.objects.filter(pk__in=[v.pk for v in visits]).order_by("pk").values_list("region", flat=True)
    assert list(stored) == ["320831", "320812"]


def test_action_item_takes_its_enterprise_from_the_need(ledger, manager):
    need = ledger["needs"]
    headers = ["行动事项", "诉求编号", "责任人", "完成时限"]
    data = make_xlsx(headers, [["跟进", need.code, "manager", timezone.localdate() + dt.timedelta(days=30)]])
    outcome = sheet_import(kind="action-items", data=data, user=manager)
    assert outcome.ok, lines(outcome)
    assert ActionItem.objects.get(title="跟进").enterprise == need.enterprise


def test_a_name_shared_by_two_users_must_be_given_as_user_name(ledger, manager, city_bureau):
    for username in ("zhang1", "zhang2"):
        user = make_user(username, None, city_bureau)
        user.name = "张伟"
        user.save()
    enterprise = ledger["enterprises"]
    headers = ["企业名称", "统一社会信用代码", "挂钩联系人"]
    data = make_xlsx(headers, [[enterprise.name, enterprise.credit_code, "张伟"]])
    outcome = sheet_import(kind="enterprises", data=data, user=manager)
    assert lines(outcome) == [
        "Row 2, column 挂钩联系人: Several users are called “张伟”; use the user name (login) instead."
    ]
    data = make_xlsx(headers, [[enterprise.name, enterprise.credit_code, "zhang2"]])
    outcome = sheet_import(kind="enterprises", data=data, user=manager)
    assert outcome.ok, lines(outcome)
    assert list(enterprise.liaison_officers.values_list("username", flat=True)) == ["zhang2"]
    # Exported by user name when the name is shared, so the export imports back.
    assert read_xlsx(ledger_export(kind="enterprises", user=manager))[1][15] == "zhang2"


def test_an_existing_need_is_not_moved_through_its_workflow_by_import(ledger, manager, county_bureau):
    need = ledger["needs"]
    headers = ["诉求编号", "办理状态", "承办科技局"]
    data = make_xlsx(headers, [[need.code, "已办结", county_bureau.name]])
    outcome = sheet_import(kind="needs", data=data, user=manager)
    assert lines(outcome) == [
        "Row 2, column 办理状态: Change the status of an existing need on its page, not by import.",
        "Row 2, column 承办科技局: Transfer an existing need on its page, not by import.",
    ]
    # A new need from an old ledger may carry its status.
    data = make_xlsx(
        ["企业名称", "诉求类别", "诉求标题", "办理状态"], [[need.enterprise.name, "其他", "旧诉求", "已办结"]]
    )
    assert sheet_import(kind="needs", data=data, user=manager).ok
    assert Need.objects.get(title="旧诉求").status == "closed"


def test_a_county_manager_keeps_only_its_own_departments_offerings(ledger, county_manager, county_department):
    offering = ledger["offerings"]  # of the city bureau's department
    headers = ["系统编号", "资源名称", "提供处室", "资源类型"]
    rows = [
        [offering.pk, "改名", county_department.name, "政策辅导"],
        [None, "县里的资源", county_department.name, "专家团队"],
    ]
    outcome = sheet_import(kind="offerings", data=make_xlsx(headers, rows), user=county_manager)
    assert lines(outcome) == ["Row 2, column 提供处室: Choose a department of your own bureau."]
    outcome = sheet_import(kind="offerings", data=make_xlsx(headers, rows[1:]), user=county_manager)
    assert outcome.ok, lines(outcome)
    assert Offering.objects.get(name="县里的资源").department == county_department


# ----------------------------------------------------------- cells as offices type them (DESIGN §8.4, issue 10)


def enterprise_rows(manager, headers, rows):
    return sheet_import(kind="enterprises", data=make_xlsx(headers, rows), user=manager)


MANGLED = "Row 2, column 统一社会信用代码: " + (
    "The credit code was turned into a number by Excel (scientific notation, only 15 digits kept); "
    "format the column as text and type the codes again."
)


@pytest.mark.parametrize("cell", [9.13208123456789e17, 913208123456789000, "9.13208E+17", "9.13208E＋17", "9.13208e17"])
def test_a_credit_code_excel_made_a_number_is_refused_naming_the_cause(cell, regions, manager):
    outcome = enterprise_rows(
        manager, ["企业名称", "统一社会信用代码", "所属区县"], [["数字科技有限公司", cell, "清江浦区"]]
    )
    assert lines(outcome) == [MANGLED]
    assert not Enterprise.objects.exists()


def test_two_mangled_credit_codes_are_not_called_duplicates_and_an_update_changes_nothing(enterprise, manager):
    rows = [[enterprise.name, "9.13208E+17", "清江浦区"], ["另一家有限公司", "9.13208E+17", "清江浦区"]]
    outcome = enterprise_rows(manager, ["企业名称", "统一社会信用代码", "所属区县"], rows)
    assert lines(outcome) == [MANGLED, MANGLED.replace("Row 2", "Row 3")]
    assert not any("same" in line or "check character" in line for line in lines(outcome))
    assert Enterprise.objects.count() == 1 and Enterprise.objects.get().name == enterprise.name


def test_a_mangled_credit_code_finding_the_enterprise_of_a_visit_is_named(enterprise, manager):
    headers = ["统一社会信用代码", "走访日期", "走访方式", "问需"]
    data = make_xlsx(headers, [[9.13208123456789e17, timezone.localdate(), "实地走访", "融资"]])
    outcome = sheet_import(kind="visits", data=data, user=manager)
    assert lines(outcome) == [MANGLED.replace("统一社会信用代码", "企业名称")]
    assert not Visit.objects.exists()


YEAR_HEADERS = ["企业名称", "统一社会信用代码", "所属区县", "成立日期"]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (2011, "“2011” is only a year; write the full date, e.g. 2011-05-01."),
        ("2011", "“2011” is only a year; write the full date, e.g. 2011-05-01."),
        ("2011年", "“2011年” is only a year; write the full date, e.g. 2011-05-01."),
        # 2011 typed into a cell formatted as a date: Excel shows 1905-07-03.
        (
            dt.datetime(1905, 7, 3),
            "“1905-07-03” is the year 2011 typed as a number into a date cell; write the full date.",
        ),
        ("1948-12-31", "“1948-12-31” is not a plausible date (before 1949-01-01 or after 2099-12-31)."),
        (5000, "“5000” is not a plausible date (before 1949-01-01 or after 2099-12-31)."),
    ],
)
def test_a_year_or_an_implausible_date_in_a_date_column_is_refused(cell, message, regions, manager, enterprise):
    created = enterprise_rows(manager, YEAR_HEADERS, [["年份有限公司", credit_code(81), "清江浦区", cell]])
    assert lines(created) == [f"Row 2, column 成立日期: {message}"]
    updated = enterprise_rows(manager, YEAR_HEADERS, [[enterprise.name, enterprise.credit_code, "清江浦区", cell]])
    assert lines(updated) == [f"Row 2, column 成立日期: {message}"]
    assert list(Enterprise.objects.values_list("established_on", flat=True)) == [enterprise.established_on]


def test_a_date_serial_and_a_real_date_are_read_and_the_future_is_refused(regions, manager):
    rows = [
        ["序列有限公司", credit_code(82), "清江浦区", 40664],
        ["日期有限公司", credit_code(83), "清江浦区", "1949-01-01"],
    ]
    assert enterprise_rows(manager, YEAR_HEADERS, rows).ok
    assert sorted(Enterprise.objects.values_list("established_on", flat=True)) == [
        dt.date(1949, 1, 1),
        dt.date(2011, 5, 1),
    ]
    future = timezone.localdate() + dt.timedelta(days=1)
    outcome = enterprise_rows(manager, YEAR_HEADERS, [["未来有限公司", credit_code(84), "清江浦区", future]])
    assert lines(outcome) == ["Row 2, column 成立日期: The establishment date cannot be in the future."]


def test_the_1949_rule_is_the_model_s_so_the_api_refuses_it_too(api_as, manager, regions):
    payload = {
        "name": "老字号有限公司",
        "credit_code": credit_code(85),
        "region": "320812",
        "established_on": "1900-01-01",
    }
    response = api_as(manager).post("/api/v1/enterprises/", payload, format="json")
    assert response.status_code == 400 and "established_on" in response.json()


def test_line_breaks_leave_one_line_cells_and_stay_in_text_fields(enterprise, manager):
    headers = ["企业名称", "统一社会信用代码", "所属区县", "法定代表人", "主要产品"]
    rows = [["淮安换行\n科技有限公司", credit_code(86), "清江浦\r\n区", "Li_x000D_\nMing", "电池\n电机"]]
    assert enterprise_rows(manager, headers, rows).ok
    created = Enterprise.objects.get(credit_code=credit_code(86))
    assert (created.name, created.region_id, created.legal_representative) == (
        "淮安换行科技有限公司",
        "320812",
        "Li Ming",
    )
    update = [[enterprise.name + "\n", enterprise.credit_code, "清江浦区", "张\n三", ""]]
    assert enterprise_rows(manager, headers, update).ok
    enterprise.refresh_from_db()
    assert enterprise.legal_representative == "张三"
    visit_headers = ["统一社会信用代码", "走访日期", "走访方式", "问需"]
    data = make_xlsx(
        visit_headers, [[enterprise.credit_code, timezone.localdate(), "实地走访", "一、融资_x000D_\n二、用地"]]
    )
    assert sheet_import(kind="visits", data=data, user=manager).ok
    assert Visit.objects.get().q_needs == "一、融资\n二、用地"


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("法定代表人", "#N/A"),
        ("从业人数", "#VALUE!"),
        ("所属区县", "#REF!"),
        ("经营状态", "#NAME?"),
        ("成立日期", "#N/A"),
    ],
)
def test_an_excel_error_value_is_refused_wherever_it_lands(column, cell, enterprise, manager):
    headers = (
        ["企业名称", "统一社会信用代码", "所属区县", column]
        if column != "所属区县"
        else ["企业名称", "统一社会信用代码", column]
    )
    for name, code in (("错误值有限公司", credit_code(87)), (enterprise.name, enterprise.credit_code)):
        outcome = enterprise_rows(manager, headers, [[name, code, "清江浦区", cell][: len(headers) - 1] + [cell]])
        # An xlsx stores these as error cells, which the reader refuses before any widget sees them.
        message = f"The cell holds the error {cell}; correct it in the spreadsheet."
        assert lines(outcome) == [f"Row 2, column {column}: {message}"]
    assert Enterprise.objects.count() == 1
    assert Enterprise.objects.get().legal_representative != "#N/A"


@pytest.mark.parametrize(
    ("region", "code"),
    [
        ("清江浦", "320812"),
        ("淮安市清江浦区", "320812"),
        ("江苏省淮安市金湖县", "320831"),
        ("金湖", "320831"),
        ("经开区", "320871"),
        ("高新区", "320800-htz"),
        ("淮安区", "320803"),
        ("淮安市淮安区", "320803"),
    ],
)
def test_region_variants_and_aliases_are_accepted(region, code, huaian, manager):
    outcome = enterprise_rows(
        manager, ["企业名称", "统一社会信用代码", "所属区县"], [["别名有限公司", credit_code(88), region]]
    )
    assert outcome.ok, lines(outcome)
    assert Enterprise.objects.get().region_id == code


def test_qualification_and_chain_aliases_quotes_and_brackets(huaian, manager):
    headers = ["企业名称", "统一社会信用代码", "所属区县", "所属产业链", "企业资质"]
    quals = '高企、专精特新“小巨人”企业、科小、专精特新"小巨人"企业、「瞪羚」'
    assert enterprise_rows(manager, headers, [["资质有限公司", credit_code(89), "清江浦", "生物医药", quals]]).ok
    enterprise = Enterprise.objects.get()
    assert enterprise.industry_chain_id == "biomed"
    assert sorted(enterprise.qualifications.values_list("code", flat=True)) == [
        "gazelle",
        "hnte",
        "little-giant",
        "tsme",
    ]


def test_an_admin_edits_the_other_names(huaian, manager):
    Region.objects.filter(pk="320831").update(aliases="金湖、湖城")
    outcome = enterprise_rows(
        manager, ["企业名称", "统一社会信用代码", "所属区县"], [["湖城有限公司", credit_code(90), "湖城"]]
    )
    assert outcome.ok and Enterprise.objects.get().region_id == "320831"


def test_an_unknown_name_gets_the_nearest_valid_ones(huaian, manager):
    headers = ["企业名称", "统一社会信用代码", "所属区县", "企业资质"]
    outcome = enterprise_rows(manager, headers, [["未知有限公司", credit_code(91), "清河", "高新企业"]])
    assert lines(outcome) == [
        "Row 2, column 所属区县: No region is called or coded “清河”. Did you mean: 清江浦区?",
        "Row 2, column 企业资质: No qualification is called or coded “高新企业”. Did you mean: 高新技术企业?",
    ]
    with override("zh-hans"):
        outcome = enterprise_rows(manager, headers, [["未知有限公司", credit_code(91), "清河", ""]])
        assert lines(outcome) == ["第 2 行“所属区县”列：没有名称或代码为“清河”的区县。是否为：清江浦区？"]
    assert not Enterprise.objects.exists()


def test_a_visit_names_the_enterprise_with_either_kind_of_bracket(enterprise, manager):
    enterprise.name = "淮安括号科技有限公司（二期）"
    enterprise.save()
    headers = ["企业名称", "走访日期", "走访方式", "问需"]
    for name in ("淮安括号科技有限公司(二期)", "淮安括号科技有限公司 （二期）", "淮安括号科技有限公司【二期】"):
        data = make_xlsx(headers, [[name, timezone.localdate(), "实地走访", "融资"]])
        outcome = sheet_import(kind="visits", data=data, user=manager)
        assert outcome.ok, lines(outcome)
    assert Visit.objects.filter(enterprise=enterprise).count() == 3


def test_django_s_technical_messages_are_replaced_by_ours_with_the_column(regions, manager, enterprise):
    headers = ["企业名称", "统一社会信用代码", "所属区县", "法定代表人"]
    long_name = "长" * 51
    for name, code in (("长名有限公司", credit_code(92)), (enterprise.name, enterprise.credit_code)):
        outcome = enterprise_rows(manager, headers, [[name, code, "清江浦区", long_name]])
        assert lines(outcome) == ["Row 2, column 法定代表人: 法定代表人 takes at most 50 characters; this cell has 51."]
        with override("zh-hans"):
            outcome = enterprise_rows(manager, headers, [[name, code, "清江浦区", long_name]])
            assert lines(outcome) == ["第 2 行“法定代表人”列：法定代表人最多 50 个字符，本格有 51 个。"]
    assert not Enterprise.objects.filter(legal_representative=long_name).exists()


def test_the_admin_imports_every_kind_with_the_same_resource(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    for kind, resource_class in RESOURCES.items():
        model = resource_class._meta.model
        assert django_admin.site._registry[model].get_resource_classes(request) == [resource_class], kind
    assert RESOURCES["contacts"]._meta.model is Contact

"""The ``activities`` ledger (活动台账, DESIGN §11.2, §8.4): export → import round trip, participants and bureaus
as many-to-many cells, the rules of ``activity_create`` (a participant at least, joint research counts as a visit,
a participant that raised a need stays), row/column messages with nothing written, and the county's scope."""

import datetime as dt

import pytest

from crm.choices import ActivityKind
from crm.models import Activity, ActivityParticipant
from crm.services.activities import activity_create
from crm.sheets.exports import ledger_export, ledger_template
from crm.sheets.imports import sheet_import
from crm.sheets.resources import RESOURCES
from tests.sheets_helpers import lines, make_xlsx, read_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADERS = ["活动类型", "活动主题", "活动日期", "参加企业", "参加科技局", "计入走访"]


def _body(data: bytes) -> tuple[list, list[list]]:
    rows = read_xlsx(data)
    return list(rows[0]), [list(r) for r in rows[1:] if any(r)]


@pytest.fixture
def joint_research(manager, enterprise, county_enterprise, county_bureau):
    return activity_create(
        user=manager,
        kind=ActivityKind.JOINT_RESEARCH,
        title="金湖县联合调研",
        held_on=dt.date.today() - dt.timedelta(days=2),
        place="金湖县经济开发区",
        bureaus=[county_bureau],
        participants=[
            {"enterprise": enterprise.pk, "attendees": "张三"},
            {"enterprise": county_enterprise.pk, "attendees": "李四、王五"},
        ],
        needs=[{"enterprise": county_enterprise.pk, "category": "talent", "title": "引进研发人才"}],
    )


def test_the_kind_is_registered():
    assert RESOURCES["activities"]._meta.model is Activity


def test_export_lists_participants_and_bureaus_separated_by_the_ideographic_comma(manager, joint_research):
    headers, body = _body(ledger_export(kind="activities", user=manager))
    assert len(body) == 1
    row = dict(zip(headers, body[0], strict=True))
    assert row["活动编号"] == joint_research.code
    assert row["活动类型"] == "联合调研" and row["计入走访"] == "是"
    assert set(row["参加企业"].split("、")) == {"淮安清源食品科技有限公司", "金湖县示例电子有限公司"}
    assert row["参加科技局"] == "金湖县科技局"


def test_round_trip_changes_nothing_and_keeps_the_attendees(manager, joint_research):
    before = Activity.history.count()
    headers, body = _body(ledger_export(kind="activities", user=manager))
    outcome = sheet_import(kind="activities", data=make_xlsx(headers, body), user=manager)
    assert outcome.ok, lines(outcome)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 1)
    assert Activity.history.count() == before
    assert sorted(joint_research.participants.values_list("attendees", flat=True)) == ["张三", "李四、王五"]


def test_an_edited_row_updates_the_activity_and_its_participants(manager, joint_research, officer, city_bureau):
    headers, body = _body(ledger_export(kind="activities", user=manager))
    body[0][headers.index("活动主题")] = "金湖县联合调研（第二次）"
    body[0][headers.index("参加企业")] = "金湖县示例电子有限公司"  # the city enterprise drops out; it raised nothing
    outcome = sheet_import(kind="activities", data=make_xlsx(headers, body), user=manager)
    assert outcome.ok and outcome.updated == 1, lines(outcome)
    joint_research.refresh_from_db()
    assert joint_research.title == "金湖县联合调研（第二次）"
    assert [p.enterprise.name for p in joint_research.participants.all()] == ["金湖县示例电子有限公司"]
    assert joint_research.participants.get().attendees == "李四、王五"


def test_a_participant_that_raised_a_need_cannot_be_dropped(manager, joint_research):
    headers, body = _body(ledger_export(kind="activities", user=manager))
    body[0][headers.index("参加企业")] = "淮安清源食品科技有限公司"
    outcome = sheet_import(kind="activities", data=make_xlsx(headers, body), user=manager)
    assert lines(outcome) == [
        "Row 2, column 参加企业: An enterprise that raised a need at the activity cannot be removed."
    ]
    assert joint_research.participants.count() == 2


def test_new_rows_are_created_with_the_services_defaults(manager, enterprise, county_enterprise, county_bureau):
    rows = [
        ["联合调研", "新能源企业联合调研", "2026-03-02", f"淮安清源食品科技有限公司、{county_enterprise.credit_code}",
         "金湖县科技局", ""],
        ["座谈会", "科技政策座谈会", "2026/3/5", "淮安清源食品科技有限公司", "", ""],
    ]  # fmt: skip
    outcome = sheet_import(kind="activities", data=make_xlsx(HEADERS, rows), user=manager)
    assert outcome.ok and outcome.created == 2, lines(outcome)
    research = Activity.objects.get(title="新能源企业联合调研")
    assert research.code.startswith("HD-") and research.bureau == manager.bureau
    assert research.counts_as_visit is True  # joint research counts as a visit unless the sheet says 否
    assert set(research.enterprises.all()) == {enterprise, county_enterprise}
    assert list(research.bureaus.all()) == [county_bureau]
    assert list(research.officers.all()) == [manager]  # the recorder, as activity_create does
    assert Activity.objects.get(title="科技政策座谈会").counts_as_visit is False
    assert research.history.count() == 1


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_written(manager, enterprise):
    rows = [
        ["联合调研", "好的一行", "2026-03-02", "淮安清源食品科技有限公司", "", ""],
        ["茶话会", "类型不对", "2026-03-02", "淮安清源食品科技有限公司", "", ""],
        ["座谈会", "没有企业", "2026-03-02", "", "", ""],
        ["座谈会", "企业不存在", "2026-03-02", "淮安清源食品科技有限公司、火星科技有限公司", "", ""],
        ["座谈会", "未来的日期", str(dt.date.today() + dt.timedelta(days=3)), "淮安清源食品科技有限公司", "", ""],
        ["座谈会", "科技局不存在", "2026-03-02", "淮安清源食品科技有限公司", "火星科技局", ""],
    ]  # fmt: skip
    outcome = sheet_import(kind="activities", data=make_xlsx(HEADERS, rows), user=manager)
    found = lines(outcome)
    assert not outcome.ok
    assert [line.split(":")[0] for line in found] == [
        "Row 3, column 活动类型",
        "Row 4, column 参加企业",
        "Row 5, column 参加企业",
        "Row 6, column 活动日期",
        "Row 7, column 参加科技局",
    ], found
    assert "火星科技有限公司" in found[2]
    assert not Activity.objects.exists() and not ActivityParticipant.objects.exists()


def test_the_template_example_row_is_refused(manager, enterprise):
    outcome = sheet_import(kind="activities", data=ledger_template(kind="activities", user=manager), user=manager)
    assert lines(outcome) == ["Row 2: This is the template's example row; delete it before importing."]


def test_a_county_user_exports_and_imports_only_its_own(
    county_manager, county_enterprise, enterprise, joint_research, manager
):
    city_only = activity_create(
        user=manager,
        kind=ActivityKind.SYMPOSIUM,
        title="市区企业座谈会",
        held_on=dt.date.today() - dt.timedelta(days=1),
        participants=[{"enterprise": enterprise.pk}],
    )
    headers, body = _body(ledger_export(kind="activities", user=county_manager))
    assert [r[headers.index("活动编号")] for r in body] == [joint_research.code]  # its enterprise took part
    # A city enterprise is unknown to the county; a city activity's code is not found in its scope.
    rows = [["座谈会", "县里的座谈会", "2026-03-02", "淮安清源食品科技有限公司", "", ""]]
    outcome = sheet_import(kind="activities", data=make_xlsx(HEADERS, rows), user=county_manager)
    assert [line.split(":")[0] for line in lines(outcome)] == ["Row 2, column 参加企业"]
    coded = make_xlsx(
        ["活动编号", *HEADERS], [[city_only.code, "座谈会", "改名", "2026-03-02", "金湖县示例电子有限公司", "", ""]]
    )
    outcome = sheet_import(kind="activities", data=coded, user=county_manager)
    assert [line.split(":")[0] for line in lines(outcome)] == ["Row 2, column 活动编号"]
    city_only.refresh_from_db()
    assert city_only.title == "市区企业座谈会"
    rows = [["座谈会", "县里的座谈会", "2026-03-02", "金湖县示例电子有限公司", "", ""]]
    outcome = sheet_import(kind="activities", data=make_xlsx(HEADERS, rows), user=county_manager)
    assert outcome.ok and outcome.created == 1, lines(outcome)
    assert Activity.objects.get(title="县里的座谈会").bureau == county_manager.bureau

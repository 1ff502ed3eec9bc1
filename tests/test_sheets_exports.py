"""``manage.py export_sheet``, the ledger writer and the import templates."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import override

from crm.models import Enterprise
from crm.sheets.exports import (
    _export_queryset,
    _many_links,
    _value_columns,
    instance_rows,
    ledger_export,
    ledger_filename,
    ledger_rows,
    ledger_template,
)
from crm.sheets.imports import sheet_import
from crm.sheets.resources import RESOURCES, resource_for
from crm.sheets.resources.base import EXAMPLE_CREDIT_CODE
from tests.factories import EnterpriseFactory, NeedFactory, ProjectFactory, VisitFactory, credit_code
from tests.sheets_helpers import lines, read_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_default")]


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_sheet", *args, stdout=out)
    return out.getvalue()


def test_export_writes_the_ledger_with_chinese_headers_and_labels(tmp_path, enterprise, county_enterprise):
    path = tmp_path / "企业.xlsx"
    assert export("enterprises", str(path)) == f"Exported 2 row(s) to {path}.\n"
    rows = read_xlsx(path.read_bytes())
    assert rows[0][:4] == ("企业名称", "统一社会信用代码", "所属区县", "所属产业链")
    by_name = {row[0]: row for row in rows[1:]}
    row = by_name[enterprise.name]
    assert row[1:4] == (enterprise.credit_code, "清江浦区", "绿色食品")
    assert row[rows[0].index("挂钩联系企业")] == "是"
    assert row[rows[0].index("经营状态")] == "正常经营"
    workbook = openpyxl.load_workbook(path)
    assert workbook.active.title == "企业台账"
    assert workbook.active.freeze_panes == "A2"


def test_export_to_csv_has_a_bom_for_excel(tmp_path, enterprise):
    path = tmp_path / "enterprises.csv"
    export("enterprises", str(path))
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "企业名称" and rows[1][0] == enterprise.name
    assert rows[1][rows[0].index("成立日期")] == "2015-05-01"
    assert rows[1][rows[0].index("上年营业收入(万元)")] == "8000.00"


def test_a_county_user_exports_only_its_county(tmp_path, enterprise, county_enterprise, county_officer):
    path = tmp_path / "county.xlsx"
    assert "Exported 1 row(s)" in export("enterprises", str(path), "--user", "county_officer")
    names = [row[0] for row in read_xlsx(path.read_bytes())[1:]]
    assert names == [county_enterprise.name]
    data = ledger_export(kind="enterprises", user=county_officer, file_format="csv").decode("utf-8-sig")
    assert enterprise.name not in data and county_enterprise.name in data


def test_formula_like_values_are_escaped_in_the_export(tmp_path, enterprise):
    enterprise.name = "=cmd|' /C calc'!A0"
    enterprise.address = "@SUM(1)"
    enterprise.save()
    path = tmp_path / "e.xlsx"
    export("enterprises", str(path))
    headers, row = read_xlsx(path.read_bytes())
    assert row[0] == "'=cmd|' /C calc'!A0"
    assert row[headers.index("地址")] == "'@SUM(1)"
    # And the escaped file imports back to the same values.
    outcome = sheet_import(kind="enterprises", data=path.read_bytes())
    assert outcome.ok and outcome.unchanged == 1
    enterprise.refresh_from_db()
    assert enterprise.name == "=cmd|' /C calc'!A0"


def test_bad_arguments(tmp_path):
    with pytest.raises(CommandError, match="must end in .xlsx or .csv"):
        export("enterprises", str(tmp_path / "e.txt"))
    with pytest.raises(CommandError, match="No user has the user name"):
        export("enterprises", str(tmp_path / "e.xlsx"), "--user", "nobody")
    with pytest.raises(CommandError, match="Cannot write"):
        export("enterprises", str(tmp_path / "missing-dir" / "e.xlsx"))


KINDS_WITHOUT_DROP_DOWNS = {"enterprise-years"}  # 年度数据: numbers and the enterprise only


@pytest.mark.parametrize("kind", list(RESOURCES))
def test_every_kind_exports_and_has_a_template(kind, tmp_path, enterprise, manager):
    path = tmp_path / f"{kind}.xlsx"
    export(kind, str(path))
    headers = resource_for(kind).get_export_headers()
    assert read_xlsx(path.read_bytes())[0] == tuple(headers)
    workbook = openpyxl.load_workbook(io.BytesIO(ledger_template(kind=kind, user=manager)))
    if kind in KINDS_WITHOUT_DROP_DOWNS:  # no column with a fixed set of values: no hidden 选项 sheet
        sheet, notes = workbook.worksheets
        options = None
    else:
        sheet, notes, options = workbook.worksheets
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(headers) and len(rows) == 2
    assert (notes.title, notes.sheet_state) == ("填写说明", "visible")
    assert options is None or (options.title, options.sheet_state) == ("选项", "hidden")
    assert [r[0] for r in notes.iter_rows(min_row=4, values_only=True)] == headers
    assert ledger_filename(kind=kind, template=True).endswith("导入模板.xlsx")


@pytest.mark.parametrize("kind", list(RESOURCES))
def test_the_template_example_row_left_in_is_refused_as_such(kind, regions, chains, qualifications, manager):
    outcome = sheet_import(kind=kind, data=ledger_template(kind=kind, user=manager), user=manager)
    assert lines(outcome) == ["Row 2: This is the template's example row; delete it before importing."]
    assert not Enterprise.objects.exists()
    with override("zh-hans"):
        outcome = sheet_import(kind=kind, data=ledger_template(kind=kind, user=manager), user=manager)
        assert lines(outcome) == ["第 2 行：这是模板示例行，请删除后再导入。"]


def test_the_enterprise_example_row_is_valid_apart_from_its_marker(regions, chains, qualifications, manager):
    manager.name = "陈晓明"  # the example's 挂钩联系人 is the user's own name, which must resolve
    manager.save()
    workbook = openpyxl.load_workbook(io.BytesIO(ledger_template(kind="enterprises", user=manager)))
    sheet = workbook.worksheets[0]
    sheet["A2"], sheet["B2"] = "淮安真实科技有限公司", credit_code(93)
    buffer = io.BytesIO()
    workbook.save(buffer)
    outcome = sheet_import(kind="enterprises", data=buffer.getvalue(), user=manager)
    assert outcome.ok and outcome.created == 1, lines(outcome)


def validations(sheet) -> dict[str, object]:
    """Column header → the data validation (drop-down) that covers it."""
    headers = [c.value for c in sheet[1]]
    out = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            out[headers[cell_range.min_col - 1]] = validation
    return out


def options_of(workbook, validation) -> list[str]:
    """The values a drop-down offers, read from the hidden sheet it points at."""
    sheet_name, cells = validation.formula1.split("!")
    return [c.value for row in workbook[sheet_name.strip("'")][cells.replace("$", "")] for c in row]


def test_the_template_formats_codes_as_text_and_offers_drop_downs_of_the_valid_names(huaian, manager):
    manager.name = "王经理"
    manager.save()
    workbook = openpyxl.load_workbook(io.BytesIO(ledger_template(kind="enterprises", user=manager)))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    code = openpyxl.utils.get_column_letter(headers.index("统一社会信用代码") + 1)
    assert sheet.column_dimensions[code].number_format == "@"
    assert sheet[f"{code}2"].number_format == "@" and sheet[f"{code}2"].value == EXAMPLE_CREDIT_CODE
    found = validations(sheet)
    assert options_of(workbook, found["所属区县"])[:3] == ["淮安市", "淮安区", "淮阴区"]
    assert len(options_of(workbook, found["所属区县"])) == 12
    assert options_of(workbook, found["挂钩联系企业"]) == ["是", "否"]
    assert "正常经营" in options_of(workbook, found["经营状态"])
    assert found["所属区县"].showErrorMessage and not found["企业资质"].showErrorMessage  # several allowed
    assert str(found["所属区县"].sqref).endswith("1048576")
    notes = {row[0]: row[1] for row in workbook["填写说明"].iter_rows(values_only=True)}
    assert notes["Required columns"] == "企业名称、统一社会信用代码"
    assert "淮安经济技术开发区" in notes["所属区县"] and "高新技术企业" in notes["企业资质"]
    example = dict(zip(headers, next(sheet.iter_rows(min_row=2, values_only=True)), strict=True))
    assert example["挂钩联系人"] == "王经理"  # a display name, never a login


def test_an_export_keeps_codes_as_text_and_the_drop_downs(enterprise, qualifications, officer):
    workbook = openpyxl.load_workbook(io.BytesIO(ledger_export(kind="enterprises")))
    sheet = workbook.worksheets[0]
    assert [ws.title for ws in workbook.worksheets] == ["企业台账", "选项"]
    assert sheet["B2"].value == enterprise.credit_code and sheet["B2"].number_format == "@"
    assert set(validations(sheet)) >= {"所属区县", "所属产业链", "企业资质", "挂钩联系企业", "党组织", "经营状态"}
    # An export imports back unchanged: the drop-down sheet is hidden, the data sheet is read.
    outcome = sheet_import(kind="enterprises", data=ledger_export(kind="enterprises"), user=officer)
    assert outcome.ok and outcome.unchanged == 1, lines(outcome)


@pytest.mark.parametrize(("name", "shown"), [("manager", "张三"), ("", "张三"), ("陈晓明", "陈晓明")])
def test_the_example_row_names_a_person_never_a_login_name(name, shown, regions, manager):
    manager.name = name
    manager.save()
    sheet = openpyxl.load_workbook(io.BytesIO(ledger_template(kind="visits", user=manager))).worksheets[0]
    row = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]], strict=True))
    assert row["走访人员"] == shown


@pytest.fixture
def ledgers(enterprise, county_enterprise, qualifications, officer, manager, need_in_progress, city_department):
    """A little of every kind, with empty and filled references, many-to-many links and formula-like text."""
    enterprise.qualifications.set(list(qualifications.values())[:2])
    enterprise.liaison_officers.set([officer, manager])
    enterprise.liaison_leader = manager
    enterprise.address = "=HYPERLINK(1)"
    enterprise.save()
    project = ProjectFactory(enterprise=enterprise, region=enterprise.region, planned_investment=500)
    project.liaison_officers.set([officer])
    visit = VisitFactory(enterprise=enterprise, project=project, lead=manager)
    visit.officers.set([officer, manager])
    VisitFactory(enterprise=county_enterprise)
    need_in_progress.visit = visit
    need_in_progress.save()
    need_in_progress.assisting_departments.set([city_department])
    NeedFactory(enterprise=county_enterprise, project=None)


FAST_KINDS = {"enterprises", "projects", "visits", "needs"}


@pytest.mark.parametrize("kind", list(RESOURCES))
def test_the_value_rows_are_the_resources_rows_cell_for_cell(kind, ledgers, django_assert_max_num_queries):
    resource = resource_for(kind)
    queryset = resource.scoped_queryset()
    if kind in FAST_KINDS:
        assert _value_columns(resource) is not None  # the fast path is taken (a new column must keep it so)
    expected = list(instance_rows(resource, _export_queryset(resource, queryset)))
    assert expected or kind not in FAST_KINDS  # the comparison is not vacuous
    with django_assert_max_num_queries(12):  # one query for the rows, one per reference table and link table
        assert list(ledger_rows(resource_for(kind), queryset)) == expected
    assert list(ledger_rows(resource_for(kind), queryset.order_by("-pk"))) == expected[::-1] or len(expected) == 1


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_an_export_file_holds_the_resources_rows_and_formats(file_format, ledgers):
    resource = resource_for("needs")
    expected = list(instance_rows(resource, _export_queryset(resource, resource.scoped_queryset())))
    data = ledger_export(kind="needs", file_format=file_format)
    if file_format == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
        assert rows == [["" if v is None else str(v) for v in row] for row in expected]
        return
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    headers = [c.value for c in sheet[1]]
    for row, values in zip(sheet.iter_rows(min_row=2), expected, strict=True):
        for cell, value, header in zip(row, values, headers, strict=True):
            if isinstance(value, dt.date):
                assert (cell.value.date(), cell.number_format) == (value, "yyyy-mm-dd"), header
            elif header in {"诉求编号", "统一社会信用代码", "诉求标题"}:
                assert (cell.value, cell.number_format) == (value or None, "@"), header
            else:
                assert cell.value == (value if value != "" else None), header
    code = openpyxl.utils.get_column_letter(headers.index("诉求编号") + 1)
    assert sheet.column_dimensions[code].number_format == "@"
    assert sheet.column_dimensions[code].width == 14 and sheet.freeze_panes == "A2"


def test_many_to_many_links_are_read_by_range_or_by_list(enterprise, county_enterprise, qualifications):
    names = list(qualifications.values())
    third = EnterpriseFactory(region=enterprise.region)
    enterprise.qualifications.set(names[:2])
    county_enterprise.qualifications.set(names[2:3])
    third.qualifications.set(names[:1])
    field = Enterprise._meta.get_field("qualifications")
    ordered = [q.pk for q in names[0].__class__.objects.filter(pk__in=[q.pk for q in names[:2]])]
    chunk = [enterprise.pk, third.pk]  # neighbours: by range (county_enterprise's links come too, never asked for)
    found = _many_links(field, chunk)
    assert {pk: found.get(pk) for pk in chunk} == {enterprise.pk: ordered, third.pk: [names[0].pk]}
    far = [enterprise.pk, third.pk + 10_000]  # far apart: by list, only theirs
    assert _many_links(field, far) == {enterprise.pk: ordered}
    resource = resource_for("enterprises")
    sparse = resource.scoped_queryset().exclude(pk=county_enterprise.pk)
    assert list(ledger_rows(resource, sparse)) == list(instance_rows(resource, _export_queryset(resource, sparse)))

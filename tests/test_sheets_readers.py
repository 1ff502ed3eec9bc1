"""crm/sheets/readers.py on the catalogue of office-made, damaged and hostile files (tests/sheets_catalogue.py):
what each habit imports as, or the message that names the cause; nothing else than ``SheetFileError`` ever
leaves the reader (fuzzed with hypothesis)."""

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.models import Enterprise, ImportJob, Region
from crm.sheets import readers
from crm.sheets.files import SheetFileError, sniff_format
from crm.sheets.imports import sheet_import
from crm.sheets.readers import sheet_read
from tests import sheets_catalogue as catalogue
from tests.sheets_helpers import lines

pytestmark = pytest.mark.usefixtures("english_default")


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(catalogue.CATALOGUE))
def test_every_catalogue_file_imports_or_names_its_cause(name, regions):
    factory, expected = catalogue.CATALOGUE[name]
    outcome = sheet_import(kind="enterprises", data=factory())
    if expected == "ok":
        assert outcome.ok, lines(outcome)
        assert Enterprise.objects.count() == outcome.created > 0
    else:
        assert not outcome.ok
        assert any(expected in line for line in lines(outcome)), lines(outcome)
        assert not Enterprise.objects.exists()


@pytest.mark.django_db
def test_title_two_level_header_merged_cells_and_footers(regions):
    outcome = sheet_import(kind="enterprises", data=catalogue.title_two_level_header_footer())
    assert outcome.ok, lines(outcome)
    assert (outcome.sheet, outcome.header_row, outcome.total, outcome.created) == ("企业台账", 4, 3, 3)
    # The merged 所属区县 applies to all three rows; 序号 says nothing, 备注 is named; footers skipped.
    assert set(Enterprise.objects.values_list("region__name", flat=True)) == {"清江浦区"}
    assert outcome.warnings == [
        "Columns not imported (not part of this ledger): 备注.",
        "Rows that are not data were skipped: 10（合计）、11（制表人：王伟）.",
    ]


@pytest.mark.django_db
def test_an_update_with_a_merged_column_keeps_every_row(regions):
    assert sheet_import(kind="enterprises", data=catalogue.title_two_level_header_footer()).ok
    Enterprise.objects.update(region=Region.objects.exclude(name="清江浦区").first())
    outcome = sheet_import(kind="enterprises", data=catalogue.title_two_level_header_footer())
    assert outcome.updated == 3
    assert Enterprise.objects.filter(region__name="清江浦区").count() == 3


@pytest.mark.django_db
def test_the_header_is_found_on_the_sheet_behind_the_notes_and_below_many_lines(regions):
    outcome = sheet_import(kind="enterprises", data=catalogue.notes_sheet_first())
    assert (outcome.sheet, outcome.header_row, outcome.created) == ("企业", 1, 3)
    outcome = sheet_import(kind="enterprises", data=catalogue.many_preamble_rows(), dry_run=True)
    assert (outcome.header_row, outcome.total, outcome.unchanged) == (16, 3, 3)


@pytest.mark.django_db
def test_hidden_and_filtered_rows_are_imported_and_said(regions):
    outcome = sheet_import(kind="enterprises", data=catalogue.hidden_and_filtered_rows())
    assert outcome.created == 3
    assert outcome.warnings == [
        "Hidden columns not imported: 辅助列.",
        "Rows 3 are hidden by a filter in the spreadsheet; they are imported too.",
    ]


@pytest.mark.django_db
def test_formula_and_error_cells_name_their_cause_on_the_real_cell(regions, enterprise):
    assert lines(sheet_import(kind="enterprises", data=catalogue.formula_without_value())) == [
        "Row 2, column 从业人数: The formula has no calculated result; recalculate it in Excel and save the file again."
    ]
    assert lines(sheet_import(kind="enterprises", data=catalogue.error_cell())) == [
        "Row 2, column 所属区县: The cell holds the error #N/A; correct it in the spreadsheet."
    ]
    assert Enterprise.objects.count() == 1


def test_cell_values_keep_their_types():
    sheet = sheet_read(kind="enterprises", data=catalogue.dates_1904())
    assert sheet.rows[0][3] == date(2013, 7, 7)  # the 1904 date system
    sheet = sheet_read(kind="enterprises", data=catalogue.line_break_escape())
    assert sheet.rows[0][0] == "换行\r企业"  # _x000D_ decoded; s2's widgets strip line breaks
    sheet = sheet_read(kind="policies", data=catalogue.percent_cells())
    assert sheet.rows[0][1] == 5  # 5 % means 5, not 0.05
    body = catalogue.sheet_xml([catalogue.HEADERS])[: -len("</sheetData></worksheet>")]
    body += '<row r="2"><c r="A2" t="inlineStr"><is><t>甲</t></is></c><c r="B2"><v>9.13208E+17</v></c>'
    body += '<c r="D2"><v>120</v></c></row></sheetData></worksheet>'
    sheet = sheet_read(kind="enterprises", data=catalogue.xlsx_parts([("S", body)]))
    code, employees = sheet.rows[0][1], sheet.rows[0][3]
    assert (type(code), code, type(employees), employees) == (float, 9.13208e17, int, 120)


@pytest.mark.parametrize("name", ["csv_gb18030", "csv_utf8_bom", "unicode_text", "ods", "openpyxl_plain"])
def test_every_format_reads_the_same_rows(name):
    factory, _expected = catalogue.CATALOGUE[name]
    sheet = sheet_read(kind="enterprises", data=factory())
    # Text files have only text; the widgets read "10" as they read 10.
    as_text = name != "ods" and name != "openpyxl_plain"
    assert [row[:4] for row in sheet.rows] == [[*r[:3], str(r[3]) if as_text else r[3]] for r in catalogue.rows()]


def test_formats_are_sniffed_by_content():
    assert sniff_format(catalogue.ods()) == "ods"
    assert sniff_format(catalogue.strict_ooxml()) == "xlsx"
    assert sniff_format(catalogue.unicode_text()) == "csv"
    with pytest.raises(SheetFileError, match="encrypted"):
        sniff_format(catalogue.encrypted_xlsx())
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 512
    assert sniff_format(xls) == "xls"
    with pytest.raises(SheetFileError, match="cannot be read"):
        sheet_read(kind="enterprises", data=xls)  # a damaged .xls: a message, not a traceback


def _mutations():
    base = [catalogue.wps_inline_strings(), catalogue.ods(), catalogue.title_two_level_header_footer()]
    return st.tuples(
        st.sampled_from(base), st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=8)), max_size=6)
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_fuzzed_archives_raise_only_our_error(case):
    data, edits = case
    data = bytearray(data)
    for position, chunk in edits:
        position %= len(data)
        data[position : position + len(chunk)] = chunk
    try:
        sheet_read(kind="enterprises", data=bytes(data))
    except SheetFileError:
        pass


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="<>/=\"'&;!abcrstvfe #AZ019x:-", max_size=300))
def test_fuzzed_sheet_xml_raises_only_our_error(xml):
    data = catalogue.xlsx_parts([("S", xml)])
    try:
        sheet_read(kind="enterprises", data=data)
    except SheetFileError:
        pass


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize("name", list(catalogue.CATALOGUE))
def test_no_catalogue_file_gives_a_500_or_leaves_an_orphan_upload(name, client, manager, regions, settings):
    """Through /imports/: a preview (kept with its job) or a message on the form (nothing kept)."""
    factory, expected = catalogue.CATALOGUE[name]
    client.force_login(manager)
    response = client.post(
        reverse("crm:import"), {"kind": "enterprises", "file": SimpleUploadedFile("文件.xlsx", factory())}
    )
    assert response.status_code in (302, 400)
    files = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    jobs = list(ImportJob.objects.all())
    assert len(files) == len(jobs) == (1 if response.status_code == 302 else 0)
    if expected == "ok":
        assert jobs[0].status == ImportJob.Status.PREVIEWED
    elif response.status_code == 400:
        assert expected in response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


def test_messages_are_chinese_for_the_clerk():
    with translation.override("zh-hans"), pytest.raises(SheetFileError, match="文件已加密，请先取消密码保护"):
        sniff_format(catalogue.encrypted_xlsx())


# ------------------------------------------------------------------------ .ods like .xlsx (DESIGN §8.4)


@pytest.mark.django_db
def test_ods_rows_hidden_by_a_filter_are_imported_and_said_like_xlsx(regions):
    outcome = sheet_import(kind="enterprises", data=catalogue.ods_hidden_and_filtered_rows())
    assert outcome.ok, lines(outcome)
    assert outcome.created == 3
    assert outcome.warnings == [
        "Hidden columns not imported: 辅助列.",
        "Rows 3 are hidden by a filter in the spreadsheet; they are imported too.",
    ]
    assert outcome.warnings == sheet_import(kind="enterprises", data=catalogue.hidden_and_filtered_rows()).warnings


@pytest.mark.django_db
def test_ods_rows_hidden_by_hand_are_imported_and_said(regions):
    outcome = sheet_import(kind="enterprises", data=catalogue.ods_hidden_rows(), dry_run=True)
    assert (outcome.total, outcome.created) == (4, 4)
    assert outcome.warnings == ["Rows 3、4 are hidden in the spreadsheet; they are imported too."]
    assert not Enterprise.objects.exists()


@pytest.mark.django_db
def test_ods_merged_down_column_applies_to_every_row_on_create_and_update(regions):
    outcome = sheet_import(kind="enterprises", data=catalogue.ods_merged_down())
    assert outcome.ok, lines(outcome)
    assert (outcome.header_row, outcome.created) == (2, 3)
    assert list(Enterprise.objects.values_list("region__name", flat=True)) == ["金湖县"] * 3
    Enterprise.objects.update(region=Region.objects.get(name="清江浦区"))
    outcome = sheet_import(kind="enterprises", data=catalogue.ods_merged_down())
    assert (outcome.updated, outcome.unchanged) == (3, 0)
    assert Enterprise.objects.filter(region__name="金湖县").count() == 3


def test_ods_layout_counts_repeated_rows_and_columns():
    layout = readers._ods_layout(
        zipfile.ZipFile(io.BytesIO(catalogue.ods_hidden_and_filtered_rows())).read("content.xml")
    )
    assert list(layout) == ["企业"]
    sheet = layout["企业"]
    assert (sheet.hidden_rows, sheet.hidden_columns, sheet.autofilter) == ({3}, {4}, True)
    merged = readers._ods_layout(zipfile.ZipFile(io.BytesIO(catalogue.ods_merged_down())).read("content.xml"))["企业"]
    assert merged.merged == [((0, 0), (0, 3)), ((2, 2), (4, 2))]
    assert readers._ods_layout(zipfile.ZipFile(io.BytesIO(catalogue.ods())).read("content.xml")) == {}

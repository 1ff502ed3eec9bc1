"""The data rows written by ``crm.sheets.sheetdata`` into a workbook made by XlsxWriter (issue 18)."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter

from crm.sheets.exports import ColumnSpec, write_ledger_xlsx
from crm.sheets.sheetdata import MAX_STRING, ROWS_PER_WRITE

SPECS = [
    ColumnSpec("名称", text=True),
    ColumnSpec("代码", text=True),
    ColumnSpec("人数"),
    ColumnSpec("金额"),
    ColumnSpec("日期"),
    ColumnSpec("时间"),
    ColumnSpec("备注"),
]


def sheet_of(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]


def test_cells_keep_their_types_formats_and_text(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    tricky = [
        "江苏清源 & <食品> 科技",
        "913208",  # digits in a text column stay text
        12,
        Decimal("8000.50"),
        dt.date(2015, 5, 1),
        dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC),  # 09:30 in Shanghai
        "  两端有空格 ",
    ]
    naive = dt.datetime(2026, 3, 1, 23, 59)
    escapes = ["=HYPERLINK(1)", 913208, None, "", dt.date(1950, 1, 1), naive, "a\x01b_x0041_c\n"]
    data = write_ledger_xlsx(SPECS, [tricky, escapes], title="台账")
    sheet = sheet_of(data)
    first = [cell.value for cell in sheet[2]]
    assert first[:4] == ["江苏清源 & <食品> 科技", "913208", 12, 8000.5]
    assert first[4:6] == [dt.datetime(2015, 5, 1), dt.datetime(2026, 3, 1, 9, 30)]
    assert first[6] == "  两端有空格 "
    assert [sheet.cell(2, c).number_format for c in range(1, 8)] == [
        "@",
        "@",
        "General",
        "General",
        "yyyy-mm-dd",
        "yyyy-mm-dd hh:mm",
        "General",
    ]
    second = [cell.value for cell in sheet[3]]
    assert second[:4] == ["'=HYPERLINK(1)", "913208", None, None]  # formula escaped; a number in a text column
    assert second[4:6] == [dt.datetime(1950, 1, 1), dt.datetime(2026, 3, 1, 23, 59)]
    # A control character and a literal _xHHHH_ are escaped as Excel does (openpyxl shows the escapes as they are).
    assert second[6] == "a_x0001_b_x005F_x0041_c\n"
    assert sheet.cell(3, 2).data_type == "s"


def test_the_cells_are_what_xlsxwriter_writes_itself():
    """The same row through XlsxWriter's constant-memory writer gives the same cell XML (styles aside)."""
    values = ["a & b", "'x", "  pad ", "tab\tin", "_x0041_", "\x1f", 3, 2.5, Decimal("1.10"), True]
    specs = [ColumnSpec(f"c{i}") for i in range(len(values))]
    ours = zipfile.ZipFile(io.BytesIO(write_ledger_xlsx(specs, [values], title="t"))).read("xl/worksheets/sheet1.xml")
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("t")
    for i, value in enumerate(values):
        sheet.write(1, i, value)
    workbook.close()
    theirs = zipfile.ZipFile(buffer).read("xl/worksheets/sheet1.xml")
    row = ours.decode().split('<row r="2">')[1].split("</row>")[0]
    assert row == theirs.decode().split('<row r="2"')[1].split(">", 1)[1].split("</row>")[0]


def test_a_long_text_is_cut_to_excels_limit():
    data = write_ledger_xlsx([ColumnSpec("长", text=True)], [["字" * (MAX_STRING + 10)]], title="t")
    assert sheet_of(data).cell(2, 1).value == "字" * MAX_STRING


@pytest.mark.parametrize("count", [0, 1, ROWS_PER_WRITE * 2 + 7])
def test_the_dimension_and_every_row_are_written(count):
    rows = ([f"名{n}", str(n), n, None, None, None, None] for n in range(count))
    data = write_ledger_xlsx(SPECS, rows, title="台账")
    part = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert f'<dimension ref="A1:G{count + 1}"/>' in part
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    read = list(sheet.iter_rows(values_only=True))
    assert len(read) == count + 1 and read[0][:3] == ("名称", "代码", "人数")
    assert [row[2] for row in read[1:]] == list(range(count))
    assert sheet_of(data).freeze_panes == "A2"

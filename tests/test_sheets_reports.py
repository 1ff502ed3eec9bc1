"""The files of the reports (DESIGN §11.6): every kind opened with openpyxl or python-docx, the official layout of
the ledgers (merged title, 填报单位, header repeated on print, A4 landscape, text codes, totals, 制表人/审核人)
and the brief's sections; and, where LibreOffice is installed (always in CI), one ledger and one brief converted
to PDF to prove they open."""

import io
import os
import shutil
import subprocess

import pytest
from docx import Document
from openpyxl import load_workbook

from crm.choices import ReportKind
from crm.models import Report
from crm.services.reports import report_generate
from crm.tasks import report_render
from tests.report_helpers import PERIOD, TODAY

pytestmark = pytest.mark.usefixtures("media_root")


def _report(user, kind) -> Report:
    report = report_generate(user=user, kind=kind, period=PERIOD, today=TODAY)
    report_render.call(report.pk)
    return Report.objects.select_related("generated_by").get(pk=report.pk)


def _sheet(report):
    return load_workbook(io.BytesIO(report.file.read())).active


def test_needs_ledger_official_layout(march, manager):
    report = _report(manager, ReportKind.NEEDS_LEDGER)
    assert report.filename == "淮安市科技局2025年3月诉求办理台账.xlsx"
    ws = _sheet(report)
    assert ws["A1"].value == "淮安市科技局2025年3月诉求办理台账"
    assert "A1:P1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A2"].value == "填报单位：淮安市科技局"
    assert "2025-03-01" in ws["F2"].value
    headers = [c.value for c in ws[4]]
    assert headers[:3] == ["序号", "诉求编号", "企业（项目）名称"]
    assert headers[-2:] == ["销号", "销号日期"]
    assert ws.print_title_rows == "$4:$4"
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 == "9"
    assert ws.print_area == "'诉求办理台账'!$A$1:$P$14"
    # Codes as text; 销号 of N6 (the second row) with its date.
    assert ws["B5"].value == march["n2"].code and ws["B5"].number_format == "@"
    assert ws["D5"].number_format == "@"
    assert (ws["O6"].value, ws["P6"].value.date().isoformat()) == ("是", "2025-03-03")
    assert ws["O5"].value == "否"
    assert ws["A10"].value == "合计" and ws["C10"].value == "共 5 项"
    texts = [ws.cell(row=r, column=1).value or "" for r in (11, 12)]  # the notes under the table
    assert any("及时受理率：50.0%（1/2）" in t for t in texts)
    assert any("按期办结率（原定时限）：50.0%（1/2）" in t for t in texts)
    assert any("延期率：33.3%（1/3）" in t for t in texts)
    assert ws["A14"].value == "制表人：manager"  # a blank row above the signatures
    assert ws.cell(row=14, column=9).value == "审核人："
    for cell in ws[5]:
        assert cell.border.left.style == "thin"


@pytest.mark.parametrize(
    ("kind", "total_cells"),
    [
        (ReportKind.VISITS_SUMMARY, {"G": 4, "H": 2, "I": 1, "J": 1, "M": 2}),
        (ReportKind.PROJECTS_PROGRESS, {"G": 1200.5, "I": 1, "J": 2}),
        (ReportKind.POLICY_DELIVERY, {"F": 3, "G": 4, "H": 1, "I": 2, "J": 1, "K": 12.5}),
    ],
)
def test_ledger_totals_row(march, manager, kind, total_cells):
    ws = _sheet(_report(manager, kind))
    total_row = next(row for row in range(5, ws.max_row + 1) if ws.cell(row=row, column=1).value == "合计")
    for column, value in total_cells.items():
        assert float(ws[f"{column}{total_row}"].value) == value
    assert ws.page_setup.fitToWidth == 1


def test_monthly_brief_docx(march, manager):
    report = _report(manager, ReportKind.MONTHLY_BRIEF)
    assert report.filename == "淮安市科技局2025年3月月度工作简报.docx"
    document = Document(io.BytesIO(report.file.read()))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "淮安市科技局2025年3月月度工作简报"
    assert "一、总体情况" in headings
    assert "五、2025年4月走访计划" in headings
    figures = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert figures["走访次数"] == "4"
    assert figures["按期办结率（原定时限）"] == "50.0%（1/2）"
    assert figures["兑现金额（万元）"] == "12.50"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "N1" in text and "已协调资金" in text  # the need solved
    assert "甲企业（清江浦区）" in text  # the red-flag enterprise
    tables = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "PN1" in tables and "N2" in tables  # overdue and supervised
    assert "回访诉求" in tables  # next month's plan


def test_libreoffice_converts_a_ledger_and_a_brief(march, manager, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is not installed; .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed")
    paths = []
    for kind in (ReportKind.NEEDS_LEDGER, ReportKind.MONTHLY_BRIEF):
        report = _report(manager, kind)
        path = tmp_path / f"{kind}{report.filename[-5:]}"
        path.write_bytes(report.file.read())
        paths.append(path)
    profile = tmp_path / "profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
        ]
        + [str(p) for p in paths],
        check=True,
        capture_output=True,
        timeout=240,
    )
    for path in paths:
        pdf = path.with_suffix(".pdf")
        assert pdf.exists(), path
        assert pdf.read_bytes()[:5] == b"%PDF-"
        assert pdf.stat().st_size > 5000

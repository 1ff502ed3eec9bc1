"""The files of the reports sent upward (DESIGN §11.6), written from a report's snapshot, never from live data.

- the four ledgers as .xlsx in the official layout: a merged title row; 填报单位, 统计期间 and 填报日期 above the
  table; bordered header and rows (codes as text, dates as dates, money with two decimals); a totals row
  (合计); the need clock's rates under the needs ledger; 制表人 and 审核人 at the foot; A4 landscape, fitted
  to the page width, the header row repeated on every printed page, a print area and page numbers;
- the 月度工作简报 as .docx (python-docx): headings, a table of figures, the needs solved, the overdue and
  supervised needs, the red-flag enterprises and next month's visit plans, signed at the foot.

Documents go to the bureau's superiors in Chinese: they are written in ``settings.LANGUAGE_CODE`` whatever the
language of the request.
"""

import datetime as dt
import io
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override, pgettext
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from crm.choices import NeedCategory, NeedStatus, ReportKind, ReportStatus, Satisfaction, VisitFlag
from crm.selectors.dashboard import PERIOD_RE
from crm.selectors.reports import SPECS, UNIT, report_columns
from crm.sheets.files import cell_escape

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT_FORMAT = "@"
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TITLE_FONT = Font(name="宋体", size=16, bold=True)
BODY_FONT = Font(name="宋体", size=10)
BOLD_FONT = Font(name="宋体", size=10, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")
CENTERED_KINDS = {"int", "date", "choice", "bool", "code"}
HEADER_ROW = 4


def period_title(label: str) -> str:
    """``2026-11`` → 2026年11月, ``2026Q4`` → 2026年第4季度, ``2026`` → 2026年度."""
    match = PERIOD_RE.match(label or "")
    if not match:
        return label
    if match["month"]:
        return _("%(month)d/%(year)d") % {"year": int(match["year"]), "month": int(match["month"])}
    if match["quarter"]:
        return _("Q%(quarter)s %(year)s") % {"year": match["year"], "quarter": match["quarter"]}
    return _("Year %(year)s") % {"year": match["year"]}


def report_title(snapshot: dict) -> str:
    return f"{snapshot['bureau']}{period_title(snapshot['period'])}{SPECS[snapshot['kind']].title}"


def report_filename(snapshot: dict) -> str:
    extension = "docx" if snapshot["kind"] == ReportKind.MONTHLY_BRIEF else "xlsx"
    with override(settings.LANGUAGE_CODE):
        return f"{report_title(snapshot)}.{extension}"


def _person(user) -> str:
    return (user.name or user.username) if user is not None else ""


def _rate_text(rate: dict | None) -> str:
    if not rate or rate.get("percent") is None:
        return _("n/a")
    return f"{rate['percent']}%（{rate['count']}/{rate['total']}）"


def _filled_on(report) -> str:
    return timezone.localtime(report.generated_at).date().isoformat() if report.generated_at else ""


# ----------------------------------------------------------------------------------------------------- xlsx


def _text_width(text: str) -> int:
    """Display width in character cells: a CJK or full-width character takes two."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _row_height(columns, row: dict) -> float:
    """Height of a data row whose long texts wrap (LibreOffice and WPS do not grow rows by themselves)."""
    lines = 1
    for column in columns:
        shown = column.display(row.get(column.key))
        if column.kind == "text" and isinstance(shown, str) and shown:
            lines = max(lines, -(-_text_width(shown) // (column.width + 1)))
    return 15 * min(lines, 8) + 3


def _cell_value(column, value):
    shown = column.display(value)
    if column.kind == "date" and shown:
        return dt.date.fromisoformat(shown)
    if isinstance(shown, str):
        return cell_escape(shown)
    return shown


def _merged(ws, row: int, first: int, last: int, value, *, font=BODY_FONT, alignment=LEFT, border=False):
    ws.cell(row=row, column=first, value=value)
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    for col in range(first, last + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = font
        cell.alignment = alignment
        if border:
            cell.border = BORDER


def _clock_lines(snapshot: dict) -> list[str]:
    figures = snapshot.get("figures", {})
    if snapshot["kind"] != ReportKind.NEEDS_LEDGER:
        return []
    answer = figures.get("answer_days") or {}
    return [
        _("Needs in the ledger: %(needs)d; crossed off: %(crossed)d; open: %(open)d; overdue: %(overdue)d.")
        % {
            "needs": figures.get("needs", 0),
            "crossed": figures.get("crossed_off", 0),
            "open": figures.get("open", 0),
            "overdue": figures.get("overdue", 0),
        },
        _(
            "Accepted on time: %(accepted)s; closed by the original deadline: %(original)s; "
            "closed by the extended deadline: %(extended)s; extended: %(rate)s; satisfaction: %(satisfaction)s; "
            "average working days to answer: %(days)s."
        )
        % {
            "accepted": _rate_text(figures.get("accepted_on_time")),
            "original": _rate_text(figures.get("closed_on_time_original")),
            "extended": _rate_text(figures.get("closed_on_time_extended")),
            "rate": _rate_text(figures.get("extended")),
            "satisfaction": _rate_text(figures.get("satisfaction")),
            "days": answer.get("average") if answer.get("average") is not None else _("n/a"),
        },
    ]


def _coverage_lines(snapshot: dict) -> list[str]:
    coverage = snapshot.get("figures", {}).get("coverage")
    if snapshot["kind"] != ReportKind.VISITS_SUMMARY or not coverage:
        return []
    return [_("Coverage of linked and assisted enterprises: %(rate)s.") % {"rate": _rate_text(coverage)}]


def write_report_xlsx(report) -> bytes:
    """The ledger of ``report`` (one of the four table kinds) in the official layout."""
    snapshot = report.snapshot
    columns = report_columns(snapshot)
    width = len(columns)
    last = get_column_letter(width)
    wb = Workbook()
    ws = wb.active
    ws.title = str(SPECS[snapshot["kind"]].title)[:31]
    # Title, then 填报单位 / 统计期间 / 填报日期.
    _merged(ws, 1, 1, width, report_title(snapshot), font=TITLE_FONT, alignment=CENTER)
    ws.row_dimensions[1].height = 32
    third = max(width // 3, 1)
    _merged(ws, 2, 1, third, _("Reporting unit: %(unit)s") % {"unit": snapshot["bureau"]})
    _merged(
        ws,
        2,
        third + 1,
        max(2 * third, third + 1),
        _("Period: %(start)s to %(end)s") % {"start": snapshot["start"], "end": snapshot["end"]},
        alignment=CENTER,
    )
    if 2 * third < width:
        _merged(
            ws,
            2,
            2 * third + 1,
            width,
            _("Date: %(date)s") % {"date": _filled_on(report)},
            alignment=Alignment(horizontal="right"),
        )
    ws.row_dimensions[3].height = 6
    # Header.
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=index, value=str(column.label))
        cell.font = BOLD_FONT
        cell.fill = HEADER_FILL
        cell.alignment = CENTER
        cell.border = BORDER
        ws.column_dimensions[get_column_letter(index)].width = column.width + 2
        if column.kind == "code":
            ws.column_dimensions[get_column_letter(index)].number_format = TEXT_FORMAT
    ws.row_dimensions[HEADER_ROW].height = 30
    # Rows.
    row_number = HEADER_ROW
    for row in snapshot.get("rows", []):
        row_number += 1
        ws.row_dimensions[row_number].height = _row_height(columns, row)
        for index, column in enumerate(columns, start=1):
            cell = ws.cell(row=row_number, column=index, value=_cell_value(column, row.get(column.key)))
            cell.font = BODY_FONT
            cell.border = BORDER
            cell.alignment = CENTER if column.kind in CENTERED_KINDS else LEFT
            if column.kind == "code":
                cell.number_format = TEXT_FORMAT
            elif column.kind == "date":
                cell.number_format = "yyyy-mm-dd"
            elif column.kind == "money":
                cell.number_format = "0.00"
                cell.alignment = RIGHT
    # Totals (合计).
    totals = snapshot.get("totals", {})
    row_number += 1
    label_span = 2 if width > 2 and not columns[1].total else 1
    _merged(ws, row_number, 1, label_span, _("Total"), font=BOLD_FONT, alignment=CENTER, border=True)
    for index, column in enumerate(columns, start=1):
        if index <= label_span:
            continue
        cell = ws.cell(row=row_number, column=index)
        if column.total:
            cell.value = Decimal(totals[column.key]) if column.kind == "money" else totals.get(column.key, 0)
            cell.number_format = "0.00" if column.kind == "money" else "0"
        elif index == label_span + 1:
            cell.value = _("%(rows)d items") % {"rows": totals.get("rows", 0)}
        cell.font = BOLD_FONT
        cell.border = BORDER
        cell.alignment = RIGHT if column.kind == "money" else CENTER
    table_end = row_number
    # Notes under the table: the rates of the need clock, coverage, sources of a consolidated report.
    notes = _clock_lines(snapshot) + _coverage_lines(snapshot)
    if snapshot.get("sources"):
        notes.append(
            _("Consolidated with the accepted reports of: %(units)s.")
            % {"units": "、".join(source["bureau"] for source in snapshot["sources"])}
        )
    for note in notes:
        row_number += 1
        _merged(ws, row_number, 1, width, note)
        ws.row_dimensions[row_number].height = 30
    # 制表人 / 审核人.
    row_number += 2
    half = max(width // 2, 1)
    _merged(ws, row_number, 1, half, _("Prepared by: %(name)s") % {"name": _person(report.generated_by)})
    if half < width:
        reviewer = _person(report.reviewed_by) if report.status == ReportStatus.ACCEPTED else ""
        _merged(ws, row_number, half + 1, width, _("Reviewed by: %(name)s") % {"name": reviewer})
    # Printing: A4 landscape, one page wide, the header row on every page, page numbers.
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_area = f"A1:{last}{row_number}"
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = _("Page &P of &N")
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{table_end - 1}" if table_end - 1 > HEADER_ROW else None
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ----------------------------------------------------------------------------------------------------- docx


def _east_asian(run_or_style, font: str) -> None:
    element = run_or_style.element if hasattr(run_or_style, "element") else run_or_style._element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)


def _style(document) -> None:
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    _east_asian(normal, "宋体")
    for name in ("Title", "Heading 1", "Heading 2"):
        style = document.styles[name]
        style.font.name = "Times New Roman"
        _east_asian(style, "黑体")
    for name in ("Title", "Heading 1", "Heading 2"):
        document.styles[name].font.color.rgb = RGBColor(0, 0, 0)
    document.styles["Title"].font.size = Pt(20)
    document.styles["Heading 1"].font.size = Pt(15)
    document.styles["Heading 2"].font.size = Pt(13)


def _table(document, headers: list[str], rows: list[list], widths: list[float] | None = None):
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for index, header in enumerate(headers):
        cell = table.rows[0].cells[index]
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(header))
        run.bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for values in rows:
        cells = table.add_row().cells
        for index, value in enumerate(values):
            cells[index].text = "" if value is None else str(value)
    for row in table.rows:  # smaller than the body text (the paragraph style would win over a table style)
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(10.5)
    if widths:
        # Word reads the cells' widths, LibreOffice the grid's: set both, with autofit off.
        table.autofit = False
        for index, width in enumerate(widths):
            table.columns[index].width = Cm(width)
        for row in table.rows:
            for index, width in enumerate(widths):
                row.cells[index].width = Cm(width)
    return table


def _label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value or ""))


def _unit(item: dict) -> str:
    return f"［{item[UNIT]}］" if item.get(UNIT) else ""


def _none_line(document) -> None:
    document.add_paragraph(_("None in this period."))


def write_brief_docx(report) -> bytes:
    """The 月度工作简报 of ``report`` as a Word document."""
    snapshot = report.snapshot
    figures = snapshot.get("figures", {})
    lists = snapshot.get("lists", {})
    document = Document()
    _style(document)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(3.2), Cm(2.8)

    title = document.add_heading(report_title(snapshot), level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = document.add_paragraph(
        _("Reporting unit: %(unit)s    Period: %(start)s to %(end)s    Date: %(date)s")
        % {"unit": snapshot["bureau"], "start": snapshot["start"], "end": snapshot["end"], "date": _filled_on(report)}
    )
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading(_("1. Overview"), level=1)
    coverage = figures.get("coverage") or {}
    document.add_paragraph(
        _(
            "In %(period)s the bureau made %(visits)d visits to %(enterprises)d enterprises; %(covered)s of the "
            "linked and assisted enterprises were visited. %(raised)d needs were raised and %(settled)d crossed off; "
            "%(open)d remain open, %(overdue)d of them overdue. Policies were pushed %(pushed)d times; "
            "%(granted)d grants total %(amount)s (10k yuan)."
        )
        % {
            "period": period_title(snapshot["period"]),
            "visits": figures.get("visits", 0),
            "enterprises": figures.get("enterprises_visited", 0),
            "covered": _rate_text(coverage),
            "raised": figures.get("needs_raised", 0),
            "settled": figures.get("needs_settled", 0),
            "open": figures.get("needs_open", 0),
            "overdue": figures.get("needs_overdue", 0),
            "pushed": figures.get("policies_pushed", 0),
            "granted": figures.get("policies_granted", 0),
            "amount": figures.get("amount_granted", "0.00"),
        }
    )
    answer = figures.get("answer_days") or {}
    rows = [
        [pgettext("report figure", "Visits"), figures.get("visits", 0)],
        [pgettext("report figure", "Enterprises visited"), figures.get("enterprises_visited", 0)],
        [pgettext("report figure", "Coverage of linked and assisted enterprises"), _rate_text(coverage)],
        [pgettext("report figure", "Visits flagged red"), figures.get("red_visits", 0)],
        [pgettext("report figure", "Needs raised"), figures.get("needs_raised", 0)],
        [pgettext("report figure", "Needs crossed off"), figures.get("needs_settled", 0)],
        [pgettext("report figure", "Needs open at the end of the period"), figures.get("needs_open", 0)],
        [pgettext("report figure", "Needs overdue"), figures.get("needs_overdue", 0)],
        [pgettext("report figure", "Accepted on time"), _rate_text(figures.get("accepted_on_time"))],
        [
            pgettext("report figure", "Closed by the original deadline"),
            _rate_text(figures.get("closed_on_time_original")),
        ],
        [pgettext("report figure", "Extended"), _rate_text(figures.get("extended"))],
        [pgettext("report figure", "Satisfaction"), _rate_text(figures.get("satisfaction"))],
        [
            _("Average working days to answer"),
            answer.get("average") if answer.get("average") is not None else _("n/a"),
        ],
        [pgettext("report figure", "Policies pushed"), figures.get("policies_pushed", 0)],
        [pgettext("report figure", "Policies granted"), figures.get("policies_granted", 0)],
        [pgettext("report figure", "Amount granted (10k yuan)"), figures.get("amount_granted", "0.00")],
    ]
    _table(document, [_("Figure"), _("Value")], rows, widths=[9, 6.8])

    document.add_heading(_("2. Needs solved"), level=1)
    solved = lists.get("solved", [])
    if not solved:
        _none_line(document)
    for item in solved:
        paragraph = document.add_paragraph(style="List Number")
        paragraph.add_run(f"{_unit(item)}{item['enterprise']}：{item['title']}").bold = True
        details = [_label(NeedCategory, item.get("category"))]
        if item.get("department"):
            details.append(item["department"])
        if item.get("closed_on"):
            details.append(_("closed %(date)s") % {"date": item["closed_on"]})
        if item.get("satisfaction"):
            details.append(_label(Satisfaction, item["satisfaction"]))
        paragraph.add_run(f"（{'，'.join(details)}）")
        if item.get("resolution"):
            paragraph.add_run(f" {item['resolution']}")

    document.add_heading(_("3. Overdue and supervised needs"), level=1)
    for key, heading in (("overdue", _("Overdue")), ("supervised", _("Supervised"))):
        document.add_heading(heading, level=2)
        items = lists.get(key, [])
        if not items:
            _none_line(document)
            continue
        _table(
            document,
            [
                _("Code"),
                _("Enterprise"),
                _("Need"),
                _("Lead department"),
                pgettext("report column", "Deadline"),
                _("Status"),
            ],
            [
                [
                    item["code"],
                    f"{_unit(item)}{item['enterprise']}",
                    item["title"],
                    item.get("department", ""),
                    item.get("due_on") or "",
                    _label(NeedStatus, item.get("status")),
                ]
                for item in items
            ],
            widths=[2.7, 3.4, 3.5, 2.0, 2.4, 1.8],
        )

    document.add_heading(_("4. Red-flag enterprises"), level=1)
    flagged = lists.get("red_flags", [])
    if not flagged:
        _none_line(document)
    for item in flagged:
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(f"{_unit(item)}{item['enterprise']}（{item.get('region', '')}）").bold = True
        paragraph.add_run(
            " "
            + _("%(flag)s, visited %(date)s, %(needs)d open needs.")
            % {
                "flag": _label(VisitFlag, item.get("flag")),
                "date": item.get("visited_on"),
                "needs": item.get("open_needs", 0),
            }
        )
        if item.get("note"):
            paragraph.add_run(f" {item['note']}")

    document.add_heading(
        _("5. Visits planned for %(period)s") % {"period": period_title(snapshot.get("next_period", ""))}, level=1
    )
    plans = lists.get("plans", [])
    if not plans:
        _none_line(document)
    else:
        _table(
            document,
            [_("Date"), _("Enterprise"), _("Led by"), _("Purpose")],
            [[p["planned_on"], f"{_unit(p)}{p['enterprise']}", p.get("lead", ""), p.get("purpose", "")] for p in plans],
            widths=[2.6, 5.6, 2.2, 5.4],
        )
    if snapshot.get("sources"):
        document.add_paragraph(
            _("Consolidated with the accepted reports of: %(units)s.")
            % {"units": "、".join(source["bureau"] for source in snapshot["sources"])}
        )
    document.add_paragraph()
    reviewer = _person(report.reviewed_by) if report.status == ReportStatus.ACCEPTED else ""
    signature = document.add_paragraph(
        _("Prepared by: %(name)s") % {"name": _person(report.generated_by)}
        + "        "
        + _("Reviewed by: %(name)s") % {"name": reviewer}
    )
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def report_file(report) -> tuple[bytes, str]:
    """``(content, file name)`` of ``report``'s document, written in the bureau's language."""
    with override(settings.LANGUAGE_CODE):
        if report.kind == ReportKind.MONTHLY_BRIEF:
            data = write_brief_docx(report)
        else:
            data = write_report_xlsx(report)
    return data, report_filename(report.snapshot)

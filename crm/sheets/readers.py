"""Reading uploaded spreadsheets (DESIGN §8.4): the rows of the first visible sheet of an xlsx or of a CSV,
with their spreadsheet row numbers, below the header row (a title row or two above it is allowed).

``sheet_read`` decides the file type by content, reads the first visible sheet of an xlsx with a streaming
reader (hidden rows skipped) or decodes a CSV (UTF-8 with/without BOM, else GB18030), finds the header row,
drops blank rows and keeps each row's spreadsheet number.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from defusedxml.ElementTree import fromstring as safe_fromstring
from django.utils.translation import gettext_lazy as _
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from crm.sheets.files import MAX_BYTES, SheetFileError, decode_csv, sniff_format
from crm.sheets.resources import RESOURCES
from crm.sheets.resources.base import normalize_header
from crm.sheets.resources.widgets import is_blank

MAX_ROWS = 50_000
HEADER_SEARCH_ROWS = 10  # a title row or two above the headers is common in bureau ledgers

Progress = Callable[[str, int, int], None]


@dataclass
class ParsedSheet:
    headers: list[str]
    rows: list[list]
    row_numbers: list[int]
    column_has_data: list[bool]


def _find_header_row(candidates: list[tuple[int, list]], kind: str) -> int:
    """Index in ``candidates`` of the header row: the first row naming at least one known column."""
    known = set(RESOURCES[kind].header_map())
    for i, (_number, values) in enumerate(candidates):
        if any(normalize_header(v) in known for v in values if not is_blank(v)):
            return i
    return 0


def _finish(kind: str, numbered_rows, progress: Progress | None) -> ParsedSheet:
    """Pick the header row among the first non-blank rows, then collect the data rows below it."""
    candidates: list[tuple[int, list]] = []
    rows: list[list] = []
    numbers: list[int] = []
    header: list | None = None
    for number, values in numbered_rows:
        if all(is_blank(v) for v in values):
            continue
        if header is None:
            candidates.append((number, values))
            if len(candidates) < HEADER_SEARCH_ROWS and not _names_known(kind, values):
                continue
            index = _find_header_row(candidates, kind)
            header = candidates[index][1]
            for later_number, later_values in candidates[index + 1 :]:
                rows.append(later_values)
                numbers.append(later_number)
            continue
        rows.append(values)
        numbers.append(number)
        if len(rows) > MAX_ROWS:
            raise SheetFileError(
                _("The file has more than %(max)s data rows; split it into several files.") % {"max": f"{MAX_ROWS:,}"}
            )
        if progress and len(rows) % 2000 == 0:
            progress("read", len(rows), 0)
    if header is None:
        if not candidates:
            raise SheetFileError(_("The file is empty."))
        index = _find_header_row(candidates, kind)
        header = candidates[index][1]
        for later_number, later_values in candidates[index + 1 :]:
            rows.append(later_values)
            numbers.append(later_number)
    # Trim trailing empty header cells; remember which header-less columns hold data.
    width = max([len(header), *(len(r) for r in rows)]) if rows else len(header)
    header = list(header) + [None] * (width - len(header))
    has_data = [False] * width
    for values in rows:
        for i, value in enumerate(values):
            if not has_data[i] and not is_blank(value):
                has_data[i] = True
    while header and is_blank(header[-1]) and not has_data[len(header) - 1]:
        header.pop()
    width = len(header)
    rows = [list(r[:width]) + [None] * (width - len(r)) for r in rows]
    headers = ["" if is_blank(h) else str(h) for h in header]
    return ParsedSheet(headers=headers, rows=rows, row_numbers=numbers, column_has_data=has_data[:width])


def _names_known(kind: str, values: list) -> bool:
    known = set(RESOURCES[kind].header_map())
    return any(normalize_header(v) in known for v in values if not is_blank(v))


NS_MAIN = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Built-in number formats that show dates: the common ones and the CJK locale ones (Chinese Excel uses them).
DATE_FORMAT_IDS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47}
DATE_FORMAT_IDS |= set(range(50, 59))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_part(archive, name: str) -> bytes:
    """One XML part of the workbook; a DTD is refused (no entity expansion, no external entities)."""
    data = archive.read(name)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise SheetFileError(_("The workbook contains XML that is not allowed (a DTD)."))
    return data


def _xlsx_rows(data: bytes):
    """(row number, values) of the first visible sheet, hidden rows left out.

    A streaming reader on the C ElementTree parser: several times faster than openpyxl's cell objects,
    which matters for 10 000-row files. DTDs are refused outright, and expat ≥ 2.4 limits entity
    amplification, so entity-expansion attacks fail; small parts are parsed with defusedxml. openpyxl's
    own helpers decide which number formats are dates and convert Excel serial numbers.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        workbook = safe_fromstring(_xml_part(archive, "xl/workbook.xml"))
        rels = safe_fromstring(_xml_part(archive, "xl/_rels/workbook.xml.rels"))
    except SheetFileError:
        raise
    except Exception as error:
        raise SheetFileError(_("The workbook cannot be read: it may be damaged or protected.")) from error

    epoch = CALENDAR_WINDOWS_1900
    for element in workbook.iter():
        if _local(element.tag) == "workbookPr" and element.get("date1904") in ("1", "true"):
            epoch = CALENDAR_MAC_1904
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter() if _local(r.tag) == "Relationship"}
    sheet_path = None
    for element in workbook.iter():
        if _local(element.tag) == "sheet" and element.get("state", "visible") == "visible":
            target = targets.get(element.get(f"{{{NS_REL}}}id") or element.get("r:id") or "")
            if target:
                sheet_path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                break
    if sheet_path is None or sheet_path not in names:
        raise SheetFileError(_("The workbook has no visible sheet."))
    if "chartsheets/" in sheet_path:
        raise SheetFileError(_("The first sheet of the workbook is a chart, not a table."))

    shared: list[str] = []
    if "xl/sharedStrings.xml" in names:
        for _event, element in ET.iterparse(io.BytesIO(_xml_part(archive, "xl/sharedStrings.xml"))):
            if _local(element.tag) == "si":
                # Phonetic runs (rPh) of CJK text are not part of the value.
                parts = []
                for child in element:
                    tag = _local(child.tag)
                    if tag == "t":
                        parts.append(child.text or "")
                    elif tag == "r":
                        parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
                shared.append("".join(parts))
                element.clear()

    date_styles: set[int] = set()
    if "xl/styles.xml" in names:
        styles = safe_fromstring(_xml_part(archive, "xl/styles.xml"))
        custom = {}
        for element in styles.iter():
            if _local(element.tag) == "numFmt":
                custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
        for element in styles.iter():
            if _local(element.tag) == "cellXfs":
                for index, xf in enumerate(x for x in element if _local(x.tag) == "xf"):
                    fmt = int(xf.get("numFmtId", "0"))
                    if fmt in DATE_FORMAT_IDS or (fmt in custom and is_date_format(custom[fmt])):
                        date_styles.add(index)

    sheet_xml = _xml_part(archive, sheet_path)
    counter = 0
    try:
        _event, root = next(ET.iterparse(io.BytesIO(sheet_xml), events=("start",)))
        ns = root.tag[: -len(_local(root.tag))]  # "{namespace}" of this workbook (transitional or strict)
        row_tag, cell_tag, value_tag, inline_tag, text_tag = (f"{ns}{t}" for t in ("row", "c", "v", "is", "t"))
        context = ET.iterparse(io.BytesIO(sheet_xml), events=("end",))
        for _event, element in context:
            if element.tag != row_tag:
                continue
            number = int(float(element.get("r"))) if element.get("r") else counter + 1
            counter = number
            if element.get("hidden") in ("1", "true"):
                element.clear()
                continue
            values: list = []
            position = 0
            for cell in element:
                if cell.tag != cell_tag:
                    continue
                reference = cell.get("r")
                if reference:
                    position = column_index_from_string(reference.rstrip("0123456789"))
                else:
                    position += 1
                kind = cell.get("t", "n")
                raw = None
                for child in cell:
                    if child.tag == value_tag:
                        raw = child.text
                    elif child.tag == inline_tag:
                        raw = "".join(t.text or "" for t in child.iter(text_tag))
                if raw is None:
                    continue
                if kind == "s":
                    value = shared[int(raw)]
                elif kind in ("str", "inlineStr", "e", "d"):
                    value = raw  # text, an error such as #N/A, or an ISO date the date widget reads
                elif kind == "b":
                    value = raw in ("1", "true")
                else:
                    value = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
                    style = cell.get("s")
                    if style is not None and int(style) in date_styles:
                        value = from_excel(value, epoch=epoch)
                if position > len(values):
                    values.extend([None] * (position - len(values)))
                values[position - 1] = value
            element.clear()
            yield number, values
    except ET.ParseError as error:
        raise SheetFileError(_("The workbook cannot be read: it may be damaged or protected.")) from error
    finally:
        archive.close()


def _csv_rows(data: bytes):
    text = decode_csv(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for number, values in enumerate(reader, start=1):
            yield number, [v if v != "" else None for v in values]
    except csv.Error as error:
        raise SheetFileError(_("The CSV file cannot be read: %(error)s") % {"error": error}) from error


def sheet_read(*, kind: str, data: bytes, progress: Progress | None = None) -> ParsedSheet:
    """Parse an uploaded file; raise ``SheetFileError`` with a message for the user when it cannot be read."""
    if len(data) > MAX_BYTES:
        raise SheetFileError(_("The file is larger than 10 MB; split it into several files."))
    file_format = sniff_format(data)
    numbered = _xlsx_rows(data) if file_format == "xlsx" else _csv_rows(data)
    sheet = _finish(kind, numbered, progress)
    if not sheet.rows:
        raise SheetFileError(_("The file has headers but no data rows."))
    return sheet

"""Spreadsheet files (DESIGN §8.4): what kind of file an upload is, how its text is decoded, how cells are
escaped, and the xlsx/CSV writers shared by the ledgers and the other exports.

- Formula-injection escaping: every exported text cell, headers included, that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a leading apostrophe (the library's own setting only
  handles ``=``); imports strip that apostrophe again so an exported ledger imports back unchanged.
- The type of an uploaded file is decided by its content, not its name: an ``.xlsx`` is a zip archive
  (``PK\\x03\\x04``) holding ``xl/workbook.xml``, an ``.ods`` a zip whose ``mimetype`` says so, an ``.xls`` an
  OLE2 container with a ``Workbook`` stream (one with an ``EncryptedPackage`` stream is a password-protected
  xlsx); anything else must decode as text: UTF-16 with BOM (Excel's "Unicode text"), UTF-8 (with or
  without BOM), then GB18030, which is what a Chinese Excel writes. Zip archives are bounded (entries,
  inflated size) and XML parts with a DTD are refused in any encoding.
- Writing: ``write_xlsx`` streams rows into a write-only workbook (so a province-sized ledger does not sit
  in memory twice); ``write_csv`` writes UTF-8 with BOM (so Excel shows the Chinese).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

MAX_BYTES = 10 * 1024 * 1024  # an upload larger than this is refused before it is read
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and other OLE2 documents)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# A zip bomb is small on disk and huge when inflated; refuse archives that inflate beyond this.
MAX_XLSX_INFLATED_BYTES = 200 * 1024 * 1024


class SheetFileError(ValueError):
    """The uploaded file cannot be read as a spreadsheet; the message says why, for the user."""


def cell_escape(value):
    """Neutralise a text cell that a spreadsheet program would run as a formula."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def cell_unescape(value: str) -> str:
    """Undo ``cell_escape`` on import, so that export → import changes nothing."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def row_escape(row: Iterable) -> list:
    return [cell_escape(value) for value in row]


def dataset_escape(dataset) -> None:
    """Escape a ``tablib.Dataset`` in place (headers too) — used for the admin's exports."""
    headers = row_escape(dataset.headers or [])
    rows = [tuple(row_escape(row)) for row in dataset]
    dataset.wipe()
    dataset.headers = headers
    dataset.extend(rows)


BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
MAX_ZIP_ENTRIES = 2000
# The name of the stream that holds an encrypted OOXML package inside its OLE2 container (UTF-16LE).
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
XLS_WORKBOOK_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
# A DTD (entity declarations, external entities) has no place in a spreadsheet part, in any encoding.
DTD_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
NOT_A_SPREADSHEET = _(
    "The file is neither an Excel workbook (.xlsx, .xls), an OpenDocument sheet (.ods) nor a CSV text file."
)


def xml_part_check(data: bytes) -> bytes:
    """Refuse an XML part of a workbook that carries a DTD, whatever its encoding (UTF-16 included)."""
    wide = data[:4].count(b"\x00") or data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data or (wide and any(marker in data for marker in DTD_MARKERS)):
        raise SheetFileError(_("The workbook contains XML that is not allowed (a DTD)."))
    return data


def zip_check(archive: zipfile.ZipFile) -> None:
    """A zip bomb is small on disk and huge when inflated: bound the entries and their declared sizes.

    Python's zipfile stops at the declared size and checks the CRC, so a part that lies about its size fails
    when it is read (``BadZipFile``), which the readers report as a damaged file.
    """
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise SheetFileError(_("The workbook is too large when unpacked."))
    if sum(info.file_size for info in infos) > MAX_XLSX_INFLATED_BYTES:
        raise SheetFileError(_("The workbook is too large when unpacked."))


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            zip_check(archive)
            names = set(archive.namelist())
            if "mimetype" in names:
                if archive.read("mimetype").strip() == ODS_MIMETYPE:
                    return "ods"
            if (
                "xl/workbook.xml" in names
                or "[Content_Types].xml" in names
                and any(name.startswith("xl/") and name.endswith("workbook.xml") for name in names)
            ):
                return "xlsx"
    except SheetFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise SheetFileError(_("The file looks like an xlsx workbook but is damaged.")) from error
    if "word/document.xml" in names or "ppt/presentation.xml" in names or "mimetype" in names:
        raise SheetFileError(_("The file is an office document but not a spreadsheet; save the table as .xlsx."))
    raise SheetFileError(_("The file is a zip archive but not an Excel workbook (.xlsx)."))


def sniff_format(data: bytes) -> str:
    """Return ``"xlsx"``, ``"ods"``, ``"xls"`` or ``"csv"`` by looking at the bytes (never at the file name).

    Raise ``SheetFileError`` with a message for the user otherwise: an encrypted workbook (an OLE2 container
    holding an ``EncryptedPackage`` stream), a zip that is no spreadsheet, a binary that is no text.
    "csv" covers UTF-8, GB18030 and UTF-16 text (Excel's "Unicode text", tab separated).
    """
    if not data or not data.strip():
        raise SheetFileError(_("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        return _sniff_zip(data)
    if data.startswith(OLE2_MAGIC):
        if ENCRYPTED_STREAM in data:
            raise SheetFileError(_("The file is encrypted; remove the password protection and upload it again."))
        if any(stream in data for stream in XLS_WORKBOOK_STREAMS):
            return "xls"
        raise SheetFileError(_("The file is an old office document but not an Excel workbook."))
    if data.startswith(UTF16_BOMS):
        return "csv"
    # Text has no C0 control bytes besides tab and line breaks; binaries (a renamed .exe, a broken .xlsx) do.
    if BINARY_BYTES.search(data[:8192]):
        raise SheetFileError(NOT_A_SPREADSHEET)
    return "csv"


def decode_csv(data: bytes) -> str:
    """Decode CSV bytes: UTF-16 with BOM, UTF-8 with or without BOM, else GB18030 (what a Chinese Excel writes)."""
    encodings = ("utf-16",) if data.startswith(UTF16_BOMS) else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetFileError(_("The CSV file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8 and try again."))


def _cell_width(value) -> int:
    text = value.isoformat() if isinstance(value, date) else str(value or "")
    # CJK characters take about two columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_xlsx(headers: list[str], rows: Iterable[list], *, title: str = "Sheet1", notes=None) -> bytes:
    """Write one sheet (escaped, header bold and frozen) and an optional second sheet of notes."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    widths = [max(8, _cell_width(h) + 2) for h in headers]
    # Widths are estimated from the headers and the first rows only: the sheet is streamed.
    buffered: list[list] = []
    iterator = iter(rows)
    for row in iterator:
        buffered.append(row)
        if len(buffered) >= 200:
            break
    for row in buffered:
        for i, value in enumerate(row[: len(widths)]):
            widths[i] = min(60, max(widths[i], _cell_width(value) + 2))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width

    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=cell_escape(header))
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center")
        header_cells.append(cell)
    sheet.append(header_cells)

    def emit(row):
        out = []
        for value in row:
            value = cell_escape(value)
            if isinstance(value, datetime):
                value = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm"
                out.append(cell)
            elif isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            else:
                out.append(value)
        sheet.append(out)

    for row in buffered:
        emit(row)
    for row in iterator:
        emit(row)

    if notes:
        notes_sheet = workbook.create_sheet(title=str(notes["title"])[:31])
        notes_sheet.column_dimensions["A"].width = 28
        notes_sheet.column_dimensions["B"].width = 90
        first = True
        for line in notes["rows"]:
            cells = []
            for value in line:
                cell = WriteOnlyCell(notes_sheet, value=cell_escape(str(value)))
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if first:
                    cell.font = header_font
                    cell.fill = header_fill
                cells.append(cell)
            notes_sheet.append(cells)
            first = False

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def write_csv(headers: list[str], rows: Iterable[list]) -> bytes:
    """CSV in UTF-8 with BOM, which Excel opens with the Chinese intact."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(row_escape(headers))
    for row in rows:
        writer.writerow([cell_escape(_csv_text(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")

"""The rows of a ledger's data sheet written as SpreadsheetML by hand, spliced into a workbook XlsxWriter made.

Why (issue 18, DESIGN §9.2: a 100 000-row export ≤ 15 s): XlsxWriter spends 15–20 µs of CPU on every cell —
the write() wrapper, the dimension checks, an attribute list, a format look-up, three regular expressions and
a file write per cell — which is about 20 s for the 2 million cells of the province's enterprise ledger,
however little the caller does. Writing a cell here is one f-string with the column letter, the style index
and the row number decided once per column or row: about 1 µs.

Everything else of the workbook — the styles, the column widths and formats, the frozen header row, the header
cells, the drop-down validations, the other sheets — is still XlsxWriter's: ``workbook_with_rows`` lets it write
the whole file with the header row only, then copies the archive and writes the data sheet's part again with
the rows inserted before ``</sheetData>`` and its ``<dimension>`` widened to them. The rows are streamed into
a temporary file (the dimension, which comes first in the part, is known only after the last row) and from it
into the archive, so a big ledger does not sit in memory.

The cells are what XlsxWriter's constant-memory mode writes: inline strings (``t="inlineStr"``, control
characters as Excel's ``_xHHHH_`` escapes, ``xml:space="preserve"`` around leading or trailing blanks, at most
32 767 characters), numbers as ``%.16G``, dates and times as Excel serial numbers with a date style, 是/否
columns are text.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from xlsxwriter.utility import xl_col_to_name

from crm.sheets.files import DANGEROUS_PREFIXES

MAX_STRING = 32767  # Excel's longest cell text
EPOCH = date(1899, 12, 30)  # Excel's day 0 (it counts a 29 February 1900 that never was; no ledger date is so old)
LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
BLANK_ENDS = re.compile(r"^\s|\s$")
EPOCH_ORDINAL = EPOCH.toordinal()
ROWS_PER_WRITE = 500  # rows joined into one write to the temporary file


def _escaped(text: str) -> tuple[str, str]:
    """The ``<t>`` opening tag and the text of a string that cannot go as it is, escaped as XlsxWriter does."""
    text = text[:MAX_STRING]
    text = LITERAL_ESCAPE.sub(r"_x005F\1", text)
    text = CONTROL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return ('<t xml:space="preserve">' if BLANK_ENDS.search(text) else "<t>"), text


def _serial_datetime(value: datetime) -> str:
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return f"{value.toordinal() - EPOCH_ORDINAL + seconds / 86400:.16G}"


class RowWriter:
    """Turns rows of native values into ``<row>`` elements.

    ``text_columns[i]``: column i is formatted as text — its numbers are written as text, with ``text_style``.
    Every text cell that a spreadsheet would run as a formula gets a leading apostrophe (as
    ``crm.sheets.files.cell_escape``). ``localtime`` makes an aware datetime naive in the local time zone.
    Rows longer than ``text_columns`` are cut to it. The parts of each column's cells are made once here."""

    def __init__(self, *, text_columns: list[bool], text_style: int, date_style: int, datetime_style: int, localtime):
        letters = [xl_col_to_name(i) for i in range(len(text_columns))]
        text_attr = f' s="{text_style}"'
        self.columns = [
            (
                f'<c r="{letter}',  # + row number
                f'"{text_attr if text else ""} t="inlineStr"><is>',  # + <t>text</t></is></c>
                text,
            )
            for letter, text in zip(letters, text_columns, strict=True)
        ]
        self.date_attr = f' s="{date_style}"'
        self.datetime_attr = f' s="{datetime_style}"'
        self.localtime = localtime

    def row(self, number: int, values: Iterable) -> str:
        """The ``<row>`` element of 1-based row ``number`` (empty values and None leave the cell out)."""
        cells = []
        append = cells.append
        n = str(number)
        for (start, string_tail, text_column), value in zip(self.columns, values, strict=False):
            if value is None or value == "":
                continue
            kind = type(value)
            if kind is not str:
                if kind is int or kind is float or kind is Decimal:
                    if not text_column:
                        append(f'{start}{n}"><v>{value:.16G}</v></c>')
                        continue
                    value = str(value)
                elif kind is bool:
                    append(f'{start}{n}" t="b"><v>{int(value)}</v></c>')
                    continue
                elif isinstance(value, datetime):
                    if value.tzinfo is not None:
                        value = self.localtime(value).replace(tzinfo=None)
                    append(f'{start}{n}"{self.datetime_attr}><v>{_serial_datetime(value)}</v></c>')
                    continue
                elif isinstance(value, date):
                    append(f'{start}{n}"{self.date_attr}><v>{value.toordinal() - EPOCH_ORDINAL}</v></c>')
                    continue
                else:
                    value = str(value)
                    if not value:
                        continue
            if value.startswith(DANGEROUS_PREFIXES):
                value = "'" + value
            # As it is (nearly always): printable (no control character, no non-character, no blank but the
            # space), no space at either end, no &<>, nothing like Excel's _xHHHH_. Inline: a million cells.
            if (
                value.isprintable()
                and value[0] != " "
                and value[-1] != " "
                and "&" not in value
                and "<" not in value
                and ">" not in value
                and "_x" not in value
                and len(value) <= MAX_STRING
            ):
                append(f"{start}{n}{string_tail}<t>{value}</t></is></c>")
            else:
                t, value = _escaped(value)
                append(f"{start}{n}{string_tail}{t}{value}</t></is></c>")
        return f'<row r="{n}">{"".join(cells)}</row>'


def workbook_with_rows(
    workbook_bytes: bytes, *, sheet_part: str, rows: Iterable, writer: RowWriter, first_row: int, last_column: int
) -> bytes:
    """``workbook_bytes`` (an xlsx whose sheet ``sheet_part`` has rows up to ``first_row - 1``) with ``rows``
    written from 1-based row ``first_row`` on, each through ``writer``."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes))
    part = source.read(sheet_part).decode("utf-8")
    if "</sheetData>" in part:
        head, tail = part.rsplit("</sheetData>", 1)
        tail = "</sheetData>" + tail
    else:
        head, tail = part.split("<sheetData/>", 1)
        head, tail = head + "<sheetData>", "</sheetData>" + tail
    with tempfile.TemporaryFile() as spool:
        number = first_row
        batch = []
        for values in rows:
            batch.append(writer.row(number, values))
            number += 1
            if len(batch) >= ROWS_PER_WRITE:
                spool.write("".join(batch).encode("utf-8"))
                batch.clear()
        if batch:
            spool.write("".join(batch).encode("utf-8"))
        last_row = max(number - 1, first_row - 1)
        head = re.sub(
            r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{xl_col_to_name(last_column)}{last_row}"/>', head, count=1
        )
        spool.seek(0)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                if info.filename != sheet_part:
                    target.writestr(info, source.read(info.filename))
                    continue
                with target.open(_info_like(info), "w", force_zip64=True) as stream:
                    stream.write(head.encode("utf-8"))
                    shutil.copyfileobj(spool, stream, 1024 * 1024)
                    stream.write(tail.encode("utf-8"))
    return out.getvalue()


def _info_like(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    copy.compress_type = zipfile.ZIP_DEFLATED
    copy.external_attr = info.external_attr
    return copy

"""Spreadsheet imports (DESIGN §8.4): read a real-world xlsx/CSV, check it, import all or nothing.

``sheet_import`` is the one entry point of the command ``import_sheet``, the benchmark and ``/imports/``:

1. ``sheet_read`` decides the file type by content, reads the first visible sheet of an xlsx with openpyxl in
   read-only mode (hidden rows skipped) or decodes a CSV (UTF-8 with/without BOM, else GB18030), finds the
   header row (a title row above it is allowed), drops blank rows and keeps each row's spreadsheet number.
2. The headers are checked against the kind's resource: unknown, missing and doubled columns are refused
   with the list of expected headers; a 序号 column is ignored.
3. The rows go through the kind's django-import-export resource (crm/resources.py) in one transaction:
   every row is validated (``full_clean``), and if any row has a problem the transaction is rolled back and
   every problem is reported as (spreadsheet row, column header, message). A dry run always rolls back.
"""

from __future__ import annotations

import csv
import gc
import io
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.results import RowResult

from crm.resources import RESOURCES, header_problem_text, is_blank, normalize_header, resource_for
from crm.services.exports import SheetFileError, decode_csv, sniff_format

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
HEADER_SEARCH_ROWS = 10  # a title row or two above the headers is common in bureau ledgers
PREVIEW_ROWS = 20  # rows without problems shown in the preview (every row with a problem is shown)
PREVIEW_MAX_PROBLEM_ROWS = 500
STORED_PROBLEMS = 1000  # problems kept on an upload for its preview page (the total is kept too)

Progress = Callable[[str, int, int], None]


@dataclass
class Problem:
    """One thing wrong with the file: spreadsheet row (header = 1; None for the whole file), column, message."""

    row: int | None
    column: str
    message: str

    def as_line(self) -> str:
        if self.row is None:
            return self.message
        if self.column:
            return gettext("Row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return gettext("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ParsedSheet:
    headers: list[str]
    rows: list[list]
    row_numbers: list[int]
    column_has_data: list[bool]


@dataclass
class ImportOutcome:
    """What an import did (or, in a dry run, would do). ``problem_count``/``problem_row_count`` keep the
    totals when a stored outcome carries only the first problems (``as_dict(max_problems=…)``)."""

    kind: str
    dry_run: bool
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    problem_count: int | None = None
    problem_row_count: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_total(self) -> int:
        return self.problem_count if self.problem_count is not None else len(self.problems)

    @property
    def problem_rows(self) -> int:
        if self.problem_row_count is not None:
            return self.problem_row_count
        return len({p.row for p in self.problems if p.row is not None})

    def as_dict(self, max_problems: int | None = None) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        data["problem_count"] = self.problem_total
        data["problem_row_count"] = self.problem_rows
        if max_problems is not None:
            data["problems"] = data["problems"][:max_problems]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ImportOutcome:
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        data["problems"] = [Problem(**p) for p in data.get("problems", [])]
        return cls(**data)


# ------------------------------------------------------------------------------------------- reading


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
    import xml.etree.ElementTree as ET
    import zipfile

    from defusedxml.ElementTree import fromstring as safe_fromstring
    from openpyxl.styles.numbers import is_date_format
    from openpyxl.utils.cell import column_index_from_string
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

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


# ------------------------------------------------------------------------------------------ importing


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if not (value.hour or value.minute) else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@contextmanager
def _gc_paused():
    """The import allocates hundreds of thousands of short-lived objects; Python's cyclic garbage
    collector would rescan them again and again (a fifth of the CPU time for 10 000 rows)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def sheet_import(
    *,
    kind: str,
    data: bytes,
    user=None,
    dry_run: bool = False,
    progress: Progress | None = None,
    with_preview: bool = False,
) -> ImportOutcome:
    """Import a spreadsheet of ``kind``: all rows or none. Problems are returned, never raised."""
    with _gc_paused():
        return _sheet_import(
            kind=kind, data=data, user=user, dry_run=dry_run, progress=progress, with_preview=with_preview
        )


def _sheet_import(*, kind, data, user, dry_run, progress, with_preview) -> ImportOutcome:
    started = time.perf_counter()
    outcome = ImportOutcome(kind=kind, dry_run=dry_run)
    resource_class = RESOURCES[kind]
    try:
        sheet = sheet_read(kind=kind, data=data, progress=progress)
    except SheetFileError as error:
        outcome.problems.append(Problem(None, "", str(error)))
        return outcome
    outcome.total = len(sheet.rows)

    check = resource_class.check_headers(sheet.headers, sheet.column_has_data)
    if check.unknown or check.missing or check.duplicated:
        outcome.problems.append(Problem(1, "", header_problem_text(resource_class, check)))
        return outcome
    keep = [i for i, h in enumerate(check.headers) if h]
    headers = [check.headers[i] for i in keep]
    outcome.headers = headers
    dataset = tablib.Dataset(headers=headers)
    for values in sheet.rows:
        dataset.append([values[i] for i in keep])

    resource = resource_for(kind, user=user)
    total = len(dataset)

    def row_progress(done: int) -> None:
        if progress:
            progress("import", done, total)

    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
            row_numbers=sheet.row_numbers,
            user=user,
            progress=row_progress,
        )
        problems = _problems(resource, result, sheet.row_numbers, headers)
        if problems or dry_run:
            transaction.set_rollback(True)
    if progress:
        progress("import", total, total)

    outcome.problems = problems
    outcome.created = result.totals.get(RowResult.IMPORT_TYPE_NEW, 0)
    outcome.updated = result.totals.get(RowResult.IMPORT_TYPE_UPDATE, 0)
    outcome.unchanged = result.totals.get(RowResult.IMPORT_TYPE_SKIP, 0)
    if with_preview:
        outcome.preview = _preview(result, dataset, sheet.row_numbers, headers, problems)
    outcome.seconds = round(time.perf_counter() - started, 3)
    return outcome


def _problems(resource, result, row_numbers: list[int], headers: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    for error in result.base_errors:
        message = str(error.error)
        if isinstance(error.error, DatabaseError):
            message = gettext("The database refused the data: %(error)s") % {"error": message}
        problems.append(Problem(None, "", message))
    for invalid in result.invalid_rows:
        row = resource.sheet_row(invalid.number)
        for key, messages in invalid.error_dict.items():
            column = resource.header_for(key) if key != NON_FIELD_ERRORS else ""
            for message in messages:
                problems.append(Problem(row, column, str(message)))
    for number, errors in result.row_errors():
        row = resource.sheet_row(number)
        for error in errors:
            problems.append(Problem(row, "", str(error.error)))
    order = {h: i for i, h in enumerate(headers)}
    problems.sort(key=lambda p: (p.row or 0, order.get(p.column, len(order))))
    return problems


def _preview(result, dataset, row_numbers, headers, problems) -> list[dict]:
    """Rows for the web preview: every row with a problem (up to a limit) and the first rows without."""
    by_row: dict[int, dict[str, list[str]]] = {}
    for problem in problems:
        if problem.row is not None:
            by_row.setdefault(problem.row, {}).setdefault(problem.column, []).append(problem.message)
    status_of = {
        RowResult.IMPORT_TYPE_NEW: "new",
        RowResult.IMPORT_TYPE_UPDATE: "update",
        RowResult.IMPORT_TYPE_SKIP: "unchanged",
        RowResult.IMPORT_TYPE_INVALID: "invalid",
        RowResult.IMPORT_TYPE_ERROR: "invalid",
    }
    preview, plain, with_problems = [], 0, 0
    for i, values in enumerate(dataset):
        number = row_numbers[i]
        errors = by_row.get(number)
        if errors:
            with_problems += 1
            if with_problems > PREVIEW_MAX_PROBLEM_ROWS:
                continue
        else:
            plain += 1
            if plain > PREVIEW_ROWS:
                continue
        row_result = result.rows[i] if i < len(result.rows) else None
        status = status_of.get(getattr(row_result, "import_type", None), "new")
        if errors:
            status = "invalid"
        preview.append(
            {"row": number, "status": status, "values": [_display(v) for v in values], "errors": errors or {}}
        )
    return preview


# ---------------------------------------------------------------------------------------- web uploads


def import_job_preview(*, user, kind: str, name: str, data: bytes):
    """Keep an upload server-side and dry-run it; the preview shows the result stored on the job."""
    from django.core.files.base import ContentFile

    from crm.models import ImportJob
    from crm.permissions import is_manager

    if not is_manager(user):
        raise PermissionDenied(_("Only managers may import ledgers."))
    if kind not in RESOURCES:
        raise ValidationError(_("Unknown kind of sheet."))
    job = ImportJob(user=user, kind=kind, original_name=name[:200], size=len(data))
    job.file.save(name, ContentFile(data), save=False)
    outcome = sheet_import(kind=kind, data=data, user=user, dry_run=True, with_preview=True)
    job.result = outcome.as_dict(max_problems=STORED_PROBLEMS)
    job.status = ImportJob.Status.PREVIEWED if outcome.ok else ImportJob.Status.INVALID
    job.full_clean()
    job.save()
    return job


def import_job_confirm(*, user, job_id: int):
    """Import the file the same user uploaded and previewed (all or nothing); never a path from the client.

    Raises ``ImportJob.DoesNotExist`` for another user's job (the view answers 404) and ``ValidationError``
    when the job was imported already or its preview had problems.
    """
    from crm.models import ImportJob
    from crm.permissions import is_manager

    if not is_manager(user):
        raise PermissionDenied(_("Only managers may import ledgers."))
    with transaction.atomic():
        # The row lock makes a double click (two confirms) import once.
        job = ImportJob.objects.select_for_update().get(pk=job_id, user=user)
        if job.status == ImportJob.Status.IMPORTED:
            raise ValidationError(_("This file has been imported already."))
        if job.status != ImportJob.Status.PREVIEWED:
            raise ValidationError(_("This file has problems; upload a corrected file."))
        with job.file.open("rb") as stored:
            data = stored.read()
        outcome = sheet_import(kind=job.kind, data=data, user=user, with_preview=True)
        job.result = outcome.as_dict(max_problems=STORED_PROBLEMS)
        if outcome.ok:
            job.status = ImportJob.Status.IMPORTED
            job.imported_at = timezone.now()
        else:  # the data changed since the preview, e.g. someone created the same enterprise meanwhile
            job.status = ImportJob.Status.INVALID
        job.save()
    return job


def import_jobs_purge(*, older_than_days: int = 7) -> int:
    """Delete uploads kept for a preview or an import that are older than ``older_than_days``, files included.

    Nothing refers to a finished job; keeping citizens' enterprise lists on disk forever is a liability.
    """
    from crm.models import ImportJob

    cutoff = timezone.now() - timedelta(days=older_than_days)
    jobs = list(ImportJob.objects.filter(created_at__lt=cutoff))
    for job in jobs:
        if job.file:
            job.file.delete(save=False)
    ImportJob.objects.filter(pk__in=[job.pk for job in jobs]).delete()
    return len(jobs)

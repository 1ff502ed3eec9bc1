"""Spreadsheet imports (DESIGN §8.4): read a real-world xlsx/CSV, check it, import all or nothing.

``sheet_import`` is the one entry point of the command ``import_sheet``, the benchmark and ``/imports/``:

1. ``sheet_read`` (crm/sheets/readers.py) parses the file and finds the sheet and the header row (both are
   reported: ``ImportOutcome.sheet`` and ``header_row``), with warnings about what it read (hidden rows,
   skipped footer rows) and the cells that cannot be used (formulas without result, error values).
2. The headers are checked against the kind's resource: missing and doubled columns are refused with the
   list of expected headers (on the real header row); 序号, unknown and header-less columns are ignored with
   a warning (``ImportOutcome.warnings``).
3. The rows go through the kind's django-import-export resource (crm/sheets/resources/): every row is
   validated (``full_clean`` and the services' own derive/check functions) outside any transaction, so a long
   file holds no database lock while it is checked; if any row has a problem every problem is reported as
   (spreadsheet row, column header, message) and nothing is written. Otherwise all rows are written in one
   short atomic block at the end (all or nothing). A dry run writes nothing at all. A background import (over
   ``settings.IMPORT_SYNC_MAX_ROWS`` rows) writes in short transactions instead, kept all or nothing by an undo
   journal (crm/sheets/resources/undo.py; ``import_jobs_recover`` after a worker died).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.results import RowResult
from openpyxl.utils.cell import get_column_letter

from crm.models import ImportJob
from crm.permissions import is_manager
from crm.sheets.files import SheetFileError, sniff_format
from crm.sheets.readers import ParsedSheet, Progress, sheet_read
from crm.sheets.resources import RESOURCES, resource_for
from crm.sheets.resources.base import IGNORED_HEADERS, header_problem_text, normalize_header
from crm.sheets.resources.undo import import_undo

PREVIEW_ROWS = 20  # rows without problems shown in the preview (every row with a problem is shown)
PREVIEW_MAX_PROBLEM_ROWS = 500
STORED_PROBLEMS = 1000  # problems kept on an upload for its preview page (the total is kept too)


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
    warnings: list[str] = field(default_factory=list)  # e.g. ignored columns, the sheet and row read
    headers: list[str] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    problem_count: int | None = None
    problem_row_count: int | None = None
    sheet: str = ""  # the sheet read ("" for a CSV)
    header_row: int | None = None  # spreadsheet row of the headers
    warnings: list[str] = field(default_factory=list)  # what was read differently from what is shown
    unreadable: bool = False  # the file could not be read at all (nothing to keep for a preview)
    undo_left: list[str] = field(default_factory=list)  # records a failed import's undo left as they are

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
    sheet: ParsedSheet | None = None,
    on_write: Callable[[], None] | None = None,
    undo_job: ImportJob | None = None,
) -> ImportOutcome:
    """Import a spreadsheet of ``kind``: all rows or none. Problems are returned, never raised.

    Every row is checked first, outside any transaction; the rows are written only if all are valid, in one
    short atomic block (a dry run writes nothing). ``sheet``: the file already read from ``data``
    (``sheet_read``), so a caller that read it is not read twice. ``on_write``: run inside the writing
    transaction after the rows (an upload's status changes with its rows). ``undo_job``: the job of a background
    import, whose rows are written in short transactions journaled for undo (``LedgerResource.rows_write_chunked``);
    what an undo had to leave is in ``outcome.undo_left``."""
    with _gc_paused():
        return _sheet_import(
            kind=kind,
            data=data,
            user=user,
            dry_run=dry_run,
            progress=progress,
            with_preview=with_preview,
            sheet=sheet,
            on_write=on_write,
            undo_job=undo_job,
        )


def _sheet_import(*, kind, data, user, dry_run, progress, with_preview, sheet, on_write, undo_job) -> ImportOutcome:
    started = time.perf_counter()
    outcome = ImportOutcome(kind=kind, dry_run=dry_run)
    resource_class = RESOURCES[kind]
    try:
        sheet = sheet or sheet_read(kind=kind, data=data, progress=progress)
    except SheetFileError as error:
        outcome.problems.append(Problem(None, "", str(error)))
        outcome.unreadable = True
        return outcome
    outcome.total = len(sheet.rows)
    outcome.sheet = sheet.sheet_name
    outcome.header_row = sheet.header_row
    outcome.warnings = list(sheet.warnings)

    check = resource_class.check_headers(sheet.headers, sheet.column_has_data)
    if check.missing or check.duplicated:  # the unknown columns are named too: one may be a misspelling
        outcome.problems.append(Problem(sheet.header_row, "", header_problem_text(resource_class, check)))
        return outcome
    outcome.warnings[:0] = _ignored_columns_warnings(sheet, check)
    keep = [i for i, h in enumerate(check.headers) if h]
    headers = [check.headers[i] for i in keep]
    outcome.headers = headers
    dataset = tablib.Dataset(headers=headers)
    for values in sheet.rows:
        dataset.append([values[i] for i in keep])
    cell_problems = [
        Problem(row, check.headers[column], message)
        for (row, column), message in sheet.cell_errors.items()
        if column < len(check.headers) and check.headers[column]
    ]

    resource = resource_for(kind, user=user)
    total = len(dataset)

    def row_progress(done: int) -> None:
        if progress:
            progress("import", done, total)

    # The rows are checked outside any transaction (no write lock while validating) and, unless this is a dry
    # run or a cell could not be read, written in one short atomic block at the end (LedgerResource.import_data).
    result = resource.import_data(
        dataset,
        dry_run=dry_run or bool(cell_problems),
        raise_errors=False,
        row_numbers=sheet.row_numbers,
        user=user,
        progress=row_progress,
        on_write=on_write,
        undo_job=undo_job,
    )
    outcome.undo_left = list(resource.undo_left)
    problems = _problems(resource, result, sheet.row_numbers, headers, cell_problems)
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


def _ignored_columns_warnings(sheet, check) -> list[str]:
    """One sentence naming the columns that are not read (序号 needs none), hidden ones said apart."""
    ignored, hidden = [], []
    for i, raw in enumerate(sheet.headers):
        if check.headers[i]:
            continue
        spelled = normalize_header(raw)
        if spelled.casefold() in IGNORED_HEADERS:
            continue
        if not spelled and not sheet.column_has_data[i]:
            continue
        name = str(raw).strip() or gettext("(column %(n)s without a header)") % {"n": get_column_letter(i + 1)}
        (hidden if i in sheet.hidden_columns else ignored).append(name)
    warnings = []
    if ignored:
        text = gettext("Columns not imported (not part of this ledger): %(columns)s.")
        warnings.append(text % {"columns": "、".join(ignored)})
    if hidden:
        warnings.append(gettext("Hidden columns not imported: %(columns)s.") % {"columns": "、".join(hidden)})
    return warnings


def _problems(resource, result, row_numbers: list[int], headers: list[str], cell_problems=()) -> list[Problem]:
    """The problems of the import; a cell the reader could not use (``cell_problems``) hides what the
    resource says about the same cell (it saw the cell as empty)."""
    problems: list[Problem] = list(cell_problems)
    unusable = {(p.row, p.column) for p in cell_problems}
    for error in result.base_errors:
        message = str(error.error)
        if isinstance(error.error, DatabaseError):
            message = gettext("The database refused the data: %(error)s") % {"error": message}
        problems.append(Problem(None, "", message))
    for invalid in result.invalid_rows:
        row = resource.sheet_row(invalid.number)
        for key, messages in invalid.error_dict.items():
            column = resource.header_for(key) if key != NON_FIELD_ERRORS else ""
            if (row, column) in unusable:
                continue
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
            {
                "row": number,
                "status": status,
                "values": [_display(v) for v in values],
                "errors": errors or {},
                "changes": getattr(row_result, "changes", None) or [],  # old → new of an update, per column
            }
        )
    return preview


# ---------------------------------------------------------------------------------------- web uploads


def _import_allowed(*, user, kind: str) -> None:
    if not is_manager(user):
        raise PermissionDenied(_("Only managers may import ledgers."))
    if kind not in RESOURCES:
        raise ValidationError(_("Unknown kind of sheet."))


def _job_store(job: ImportJob, name: str, data: bytes) -> ImportJob:
    """Save the job with its file; the file is removed again if saving the job fails (no orphan upload)."""
    job.file.save(f"upload.{stored_extension(data, name)}", ContentFile(data), save=False)
    try:
        job.full_clean()
        job.save()
    except BaseException:
        job.file.delete(save=False)
        raise
    return job


def _job_data(job: ImportJob) -> bytes:
    with job.file.open("rb") as stored:
        return stored.read()


def _job_result(job: ImportJob, outcome: ImportOutcome) -> None:
    job.result = outcome.as_dict(max_problems=STORED_PROBLEMS)
    job.total = job.done = outcome.total


def import_job_upload(*, user, kind: str, name: str, data: bytes) -> ImportJob:
    """An upload on /imports/: run now or leave for the worker (DESIGN §11.9).

    A file of up to ``settings.IMPORT_SYNC_MAX_ROWS`` rows is checked at once (``import_job_preview``); a longer
    one is kept as a ``QUEUED`` job whose check ``import_job_check`` runs in the task worker — the caller
    enqueues ``crm.tasks.import_check`` for it. The file is read here either way, so an unreadable file is
    refused at once (``ValidationError``) and never stored.
    """
    _import_allowed(user=user, kind=kind)
    try:
        sheet = sheet_read(kind=kind, data=data)
    except SheetFileError as error:
        raise ValidationError(str(error)) from None
    rows = len(sheet.rows)
    if rows <= settings.IMPORT_SYNC_MAX_ROWS:
        return import_job_preview(user=user, kind=kind, name=name, data=data, sheet=sheet)
    job = ImportJob(
        user=user, kind=kind, original_name=name[:200], size=len(data), total=rows, status=ImportJob.Status.QUEUED
    )
    return _job_store(job, name, data)


def import_job_preview(*, user, kind: str, name: str, data: bytes, sheet: ParsedSheet | None = None):
    """Dry-run an upload and keep it server-side for the confirm; the preview shows the result on the job.

    A file that cannot be read at all raises ``ValidationError`` and is not kept; a file is stored only once
    it parsed, and removed again if saving the job fails, so no upload is left without its ``ImportJob``
    (``import_jobs_purge`` finds files through their jobs).
    """
    _import_allowed(user=user, kind=kind)
    outcome = sheet_import(kind=kind, data=data, user=user, dry_run=True, with_preview=True, sheet=sheet)
    if outcome.unreadable:
        raise ValidationError(" ".join(p.message for p in outcome.problems))
    job = ImportJob(user=user, kind=kind, original_name=name[:200], size=len(data))
    _job_result(job, outcome)
    job.status = ImportJob.Status.PREVIEWED if outcome.ok else ImportJob.Status.INVALID
    return _job_store(job, name, data)


def import_job_check(*, job_id: int, progress: Progress | None = None) -> ImportJob:
    """The worker's half of a long upload: the dry run of a ``QUEUED`` job, kept on it for the preview page.

    A job that is not queued (checked already: the task ran twice) is returned as it is."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.CHECKING
    )
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if not claimed:
        return job
    _import_allowed(user=job.user, kind=job.kind)
    outcome = sheet_import(
        kind=job.kind, data=_job_data(job), user=job.user, dry_run=True, progress=progress, with_preview=True
    )
    _job_result(job, outcome)
    job.status = ImportJob.Status.PREVIEWED if outcome.ok else ImportJob.Status.INVALID
    job.save(update_fields=["result", "total", "done", "status"])
    return job


def stored_extension(data: bytes, name: str) -> str:
    """The extension an upload is kept with: its format by content (xlsx, xls, ods, csv), and txt for text
    called .txt (Excel's "Unicode text"), whatever the browser called the file otherwise."""
    try:
        kind = sniff_format(data)
    except SheetFileError:
        kind = "csv"
    if kind == "csv" and name.lower().endswith(".txt"):
        return "txt"
    return kind


def import_job_confirm(*, user, job_id: int):
    """Import the file the same user uploaded and previewed (all or nothing); never a path from the client.

    A file of more than ``settings.IMPORT_SYNC_MAX_ROWS`` rows is only marked ``IMPORTING`` here: the caller
    enqueues ``crm.tasks.import_run``, whose ``import_job_run`` imports it in the worker.

    Raises ``ImportJob.DoesNotExist`` for another user's job (the view answers 404) and ``ValidationError``
    when the job was imported already, is being checked or imported, or its preview had problems.
    """
    if not is_manager(user):
        raise PermissionDenied(_("Only managers may import ledgers."))
    with transaction.atomic():
        # The row lock makes a double click (two confirms) import once: the first claims the job (IMPORTING).
        job = ImportJob.objects.select_for_update().get(pk=job_id, user=user)
        if job.status == ImportJob.Status.IMPORTED:
            raise ValidationError(_("This file has been imported already."))
        if job.is_running:
            raise ValidationError(_("This file is being checked or imported; wait until it is done."))
        if job.status != ImportJob.Status.PREVIEWED:
            raise ValidationError(_("This file has problems; upload a corrected file."))
        job.status = ImportJob.Status.IMPORTING
        job.done = 0
        job.error = ""  # what an earlier, taken-back attempt said
        job.save(update_fields=["status", "done", "error"])
    if job.total > settings.IMPORT_SYNC_MAX_ROWS:
        return job
    # Checked and written outside the claim's transaction: the rows are checked holding no lock.
    try:
        return _job_import(job, progress=None)
    except BaseException:  # broke off (nothing was written): the user may confirm again
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.IMPORTING).update(status=ImportJob.Status.PREVIEWED)
        raise


def import_job_run(*, job_id: int, progress: Progress | None = None) -> ImportJob:
    """The worker's half of a long confirmed import (status ``IMPORTING``): all or nothing, like
    ``import_job_confirm``. The status is the claim: a job in any other state is returned as it is."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status != ImportJob.Status.IMPORTING:
        return job
    if not is_manager(job.user):
        raise PermissionDenied(_("Only managers may import ledgers."))
    return _job_import(job, progress=progress)


def _job_import(job: ImportJob, *, progress: Progress | None) -> ImportJob:
    def imported() -> None:  # inside the rows' transaction: the job is IMPORTED exactly when its rows are written
        job.status = ImportJob.Status.IMPORTED
        job.imported_at = timezone.now()
        job.save(update_fields=["status", "imported_at"])

    outcome = sheet_import(
        kind=job.kind,
        data=_job_data(job),
        user=job.user,
        progress=progress,
        with_preview=True,
        on_write=imported,
        # A background import writes in short transactions, undone together if one fails (issue 11).
        undo_job=job if job.total > settings.IMPORT_SYNC_MAX_ROWS else None,
    )
    _job_result(job, outcome)
    if not outcome.ok:  # the data changed since the preview, e.g. someone created the same enterprise meanwhile
        job.status = ImportJob.Status.INVALID
        job.imported_at = None
        if outcome.undo_left:
            job.error = undo_left_message(outcome.undo_left)
    job.save()
    return job


def undo_left_message(left: list[str]) -> str:
    """The job's message when an undo left records as they are (at most 500 characters: ``ImportJob.error``)."""
    text = gettext("The import was taken back, except %(count)s records that were changed or referred to meanwhile: ")
    text = text % {"count": len(left)} + "; ".join(left)
    return text if len(text) <= 500 else text[:499] + "…"


def import_jobs_recover() -> list[ImportJob]:
    """Undo the background imports whose worker died mid-way (their ``ImportUndo`` journal remains) and set them
    back to ``PREVIEWED``, so that their users may confirm again. Run while no worker runs (``make serve`` runs it
    before starting its one worker): a background import still ``IMPORTING`` then has no worker any more, so one
    without a journal (killed before its first transaction was committed) is set back too. Returns the jobs."""
    stale = ImportJob.objects.filter(
        Q(undo_entries__isnull=False) | Q(status=ImportJob.Status.IMPORTING, total__gt=settings.IMPORT_SYNC_MAX_ROWS)
    )
    jobs = list(ImportJob.objects.filter(pk__in=stale.values("pk")).order_by("pk"))
    for job in jobs:
        left = import_undo(job_id=job.pk)
        job.status = ImportJob.Status.PREVIEWED
        job.imported_at = None
        job.done = 0
        job.error = (
            undo_left_message(left) if left else gettext("The import broke off and was taken back; confirm it again.")
        )
        job.save(update_fields=["status", "imported_at", "done", "error"])
    return jobs


def import_job_fail(*, job_id: int, error: str) -> ImportJob:
    """A background check or import that broke off: the job says so (nothing was imported: all or nothing)."""
    job = ImportJob.objects.get(pk=job_id)
    job.status = ImportJob.Status.FAILED
    job.error = error[:500]
    job.save(update_fields=["status", "error"])
    return job


def import_jobs_purge(*, older_than_days: int = 7) -> int:
    """Delete uploads kept for a preview or an import that are older than ``older_than_days``, files included.

    Nothing refers to a finished job; keeping citizens' enterprise lists on disk forever is a liability.
    """
    cutoff = timezone.now() - timedelta(days=older_than_days)
    jobs = list(ImportJob.objects.filter(created_at__lt=cutoff))
    for job in jobs:
        if job.file:
            job.file.delete(save=False)
    ImportJob.objects.filter(pk__in=[job.pk for job in jobs]).delete()
    return len(jobs)

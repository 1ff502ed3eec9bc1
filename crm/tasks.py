"""Background tasks (DESIGN §11.9), run by ``python manage.py db_worker`` (django-tasks-db); tests run them at
once (the immediate backend).

``export_list``: a list export longer than ``EXPORT_SYNC_MAX_ROWS``. The job keeps the list's export URL and
its query string; the worker resolves that URL to the export view and asks its list view for the queryset
with the job user's request, so the file holds exactly the rows the list showed (scope, filters, order).

``import_check`` and ``import_run``: the dry run and the confirmed import of an upload on /imports/ longer than
``IMPORT_SYNC_MAX_ROWS`` (``crm.sheets.imports.import_job_upload`` / ``import_job_confirm`` decide).

Every task reports its live progress (rows done of the total, ``crm.services.progress``) and notifies its user
with a link when it ends.
"""

import logging

from django.http import HttpRequest, QueryDict
from django.urls import resolve
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from crm.choices import NotificationKind
from crm.models import ExportJob, ImportJob, Report
from crm.services.exports import export_job_fail, export_job_finish, export_job_start
from crm.services.notifications import notification_send
from crm.services.progress import ProgressReporter, job_progress_clear, job_progress_report
from crm.services.reports import report_file_fail, report_file_store
from crm.sheets.exports import ledger_export, ledger_filename
from crm.sheets.imports import ImportOutcome, import_job_check, import_job_fail, import_job_run
from crm.sheets.readers import Progress
from crm.sheets.reports import report_file

# Share of a background import's progress bar taken by reading the file (the rest: checking and saving rows).
READ_SHARE = 0.15

logger = logging.getLogger(__name__)


def export_queryset(*, job: ExportJob):
    """The rows of the job's list: its list view's queryset for a GET by the job's user with its filters."""
    match = resolve(job.path)
    list_view = match.func.view_initkwargs["list_view"]
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = job.path
    request.GET = QueryDict(job.params)
    request.user = job.user
    view = list_view()
    view.setup(request, *match.args, **match.kwargs)
    return view.get_queryset()


@task()
def export_list(job_id: int) -> int:
    """Write the job's ledger file, store it and notify the user; returns the job id."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    export_job_start(job=job)
    reporter = ProgressReporter(job=job, total=job.total)
    written = 0

    def progress(done: int) -> None:
        nonlocal written
        written = done
        reporter(done)

    try:
        job_progress_report(job=job, done=0, total=job.total)
        queryset = export_queryset(job=job)
        data = ledger_export(
            kind=job.kind, queryset=queryset, user=job.user, file_format=job.file_format, progress=progress
        )
        export_job_finish(
            job=job, data=data, filename=ledger_filename(kind=job.kind, file_format=job.file_format), rows=written
        )
    except Exception:  # the job shows "failed" to its user; the traceback goes to the worker's log
        logger.exception("Export job %s failed", job_id)
        export_job_fail(job=job, error=_("The export failed; please try again or ask the administrator."))
        raise
    return job.pk


@task()
def report_render(report_id: int) -> int:
    """Write the file of a generated report from its snapshot (DESIGN §11.6) and keep it; returns the report id."""
    report = Report.objects.select_related("bureau", "generated_by", "reviewed_by").get(pk=report_id)
    try:
        data, filename = report_file(report)
        report_file_store(report=report, data=data, filename=filename)
    except Exception:  # the report page shows the error; the traceback goes to the worker's log
        logger.exception("Report %s could not be written", report_id)
        report_file_fail(report=report, error=_("The report file could not be written; please generate it again."))
        raise
    return report.pk


def _import_progress(job: ImportJob) -> Progress:
    """The reader's and the rows' progress (``crm.sheets.readers.Progress``) as one bar over the job's rows."""
    reporter = ProgressReporter(job=job, total=job.total)
    read_rows = job.total * READ_SHARE
    job_progress_report(job=job, done=0, total=job.total)

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "read":
            reporter(int(done * READ_SHARE))
        else:
            reporter(int(read_rows + (job.total - read_rows) * min(done, total) / max(total, 1)))

    return progress


def _import_task(job_id: int, step) -> ImportJob:
    """Run ``step`` (check or import) on the job; mark it failed if it breaks off; clear its live progress."""
    job = ImportJob.objects.get(pk=job_id)
    try:
        return step(job_id=job_id, progress=_import_progress(job))
    except Exception:  # the job shows "failed" to its user; the traceback goes to the worker's log
        logger.exception("Import job %s failed", job_id)
        import_job_fail(job_id=job_id, error=_("The import broke off; nothing was imported. Please try again."))
        notification_send(
            recipient=job.user,
            kind=NotificationKind.IMPORT,
            text=_("The import of %(name)s broke off; nothing was imported.") % {"name": job.original_name},
            import_job=job,
        )
        raise
    finally:
        job_progress_clear(job=job)


@task()
def import_check(job_id: int) -> int:
    """Check (dry-run) a long upload and tell its user the preview is ready; returns the job id."""
    job = _import_task(job_id, import_job_check)
    outcome = ImportOutcome.from_dict(job.result)
    if outcome.ok:
        text = _("%(name)s is checked: %(rows)d rows ready to import. Open it to confirm the import.")
    else:
        text = ngettext(
            "%(name)s is checked: %(problems)d problem to fix; nothing was imported.",
            "%(name)s is checked: %(problems)d problems to fix; nothing was imported.",
            outcome.problem_total,
        )
    notification_send(
        recipient=job.user,
        kind=NotificationKind.IMPORT,
        text=text % {"name": job.original_name, "rows": outcome.total, "problems": outcome.problem_total},
        import_job=job,
    )
    return job.pk


@task()
def import_run(job_id: int) -> int:
    """Import a long, checked upload for real (all or nothing) and tell its user; returns the job id."""
    job = _import_task(job_id, import_job_run)
    outcome = ImportOutcome.from_dict(job.result)
    if job.status == ImportJob.Status.IMPORTED:
        text = _("%(name)s is imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % {
            "name": job.original_name,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
        }
    else:
        text = _("%(name)s was not imported: the data changed since the check. See the problems.") % {
            "name": job.original_name
        }
    notification_send(recipient=job.user, kind=NotificationKind.IMPORT, text=text, import_job=job)
    return job.pk

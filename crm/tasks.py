"""Background tasks (DESIGN §11.9), run by ``python manage.py db_worker`` (django-tasks-db); tests run them at
once (the immediate backend).

``export_list``: a list export longer than ``EXPORT_SYNC_MAX_ROWS``. The job keeps the list's export URL and
its query string; the worker resolves that URL to the export view and asks its list view for the queryset
with the job user's request, so the file holds exactly the rows the list showed (scope, filters, order).
"""

import logging

from django.http import HttpRequest, QueryDict
from django.urls import resolve
from django.utils.translation import gettext as _
from django_tasks import task

from crm.models import ExportJob, Report
from crm.services.exports import export_job_fail, export_job_finish, export_job_start
from crm.services.reports import report_file_fail, report_file_store
from crm.sheets.exports import ledger_export, ledger_filename
from crm.sheets.reports import report_file

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
    try:
        queryset = export_queryset(job=job)
        data = ledger_export(kind=job.kind, queryset=queryset, user=job.user, file_format=job.file_format)
        export_job_finish(job=job, data=data, filename=ledger_filename(kind=job.kind, file_format=job.file_format))
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

"""Ledger exports run in the background (DESIGN §11.9): the job's life from queued to a stored file and a
notification with the download link. The rows themselves come from ``crm.sheets.exports``."""

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.choices import ExportStatus, NotificationKind
from crm.models import ExportJob
from crm.services.notifications import notification_send
from crm.services.progress import job_progress_clear


@transaction.atomic
def export_job_create(*, user, kind: str, path: str, params: str, file_format: str, total: int) -> ExportJob:
    """Record a queued export of the list at ``path`` (its export URL) with the query string ``params``."""
    job = ExportJob(user=user, kind=kind, path=path, params=params, file_format=file_format, total=total)
    job.full_clean()
    job.save()
    return job


def export_job_start(*, job: ExportJob) -> ExportJob:
    job.status = ExportStatus.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at"])
    return job


@transaction.atomic
def export_job_finish(*, job: ExportJob, data: bytes, filename: str, rows: int | None = None) -> ExportJob:
    """Store the file, mark the job done and tell its user where to download it. ``rows``: how many the file
    holds (the list may have changed since the job was queued)."""
    job.file.save(filename, ContentFile(data), save=False)
    job.filename = filename
    job.status = ExportStatus.DONE
    if rows is not None:
        job.total = rows
    job.done = job.total
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "filename", "status", "total", "done", "finished_at"])
    transaction.on_commit(lambda: job_progress_clear(job=job))
    notification_send(
        recipient=job.user,
        kind=NotificationKind.EXPORT,
        text=_("Your export %(name)s (%(rows)d rows) is ready to download.") % {"name": filename, "rows": job.total},
        export_job=job,
    )
    return job


def export_job_fail(*, job: ExportJob, error: str) -> ExportJob:
    job.status = ExportStatus.FAILED
    job.error = error[:500]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    job_progress_clear(job=job)
    return job

"""A ledger export too long for one request (DESIGN §11.9): run by a background task, kept as a file."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.choices import ExportStatus


def export_upload_path(instance: "ExportJob", filename: str) -> str:
    # A random name under exports/: the file is served only by the owner's download view.
    extension = "csv" if filename.lower().endswith(".csv") else "xlsx"
    return f"exports/{uuid.uuid4().hex}.{extension}"


class ExportJob(models.Model):
    """One list export by one user: the list's URL and filters, its progress and the finished file."""

    Status = ExportStatus

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="export_jobs",
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
    )
    path = models.CharField(
        _("list export URL"),
        max_length=200,
        help_text=_("The export URL of the list; its view gives the rows (scope, filters and order)."),
    )
    params = models.CharField(
        _("filters"),
        max_length=2000,
        blank=True,
    )
    file_format = models.CharField(
        _("file format"),
        max_length=4,
        default="xlsx",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ExportStatus.choices,
        default=ExportStatus.QUEUED,
    )
    total = models.PositiveIntegerField(
        _("rows"),
        default=0,
    )
    done = models.PositiveIntegerField(
        _("rows done"),
        default=0,
        help_text=_("Rows written when the job ended; the live value is in the progress cache."),
    )
    file = models.FileField(
        _("file"),
        upload_to=export_upload_path,
        max_length=200,
        blank=True,
    )
    filename = models.CharField(
        _("file name"),
        max_length=200,
        blank=True,
    )
    error = models.CharField(
        _("error"),
        max_length=500,
        blank=True,
    )
    created_at = models.DateTimeField(
        _("created at"),
        auto_now_add=True,
    )
    started_at = models.DateTimeField(
        _("started at"),
        null=True,
        blank=True,
    )
    finished_at = models.DateTimeField(
        _("finished at"),
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="crm_export_user_idx")]

    def __str__(self) -> str:
        return self.filename or f"{self.kind} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in {ExportStatus.DONE, ExportStatus.FAILED}

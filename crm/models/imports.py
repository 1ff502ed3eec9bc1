"""An uploaded spreadsheet kept server-side between the preview (dry run) and the confirmed import."""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.choices import ImportStatus

IMPORT_KINDS = [
    ("enterprises", _("Enterprises")),
    ("contacts", _("Contacts")),
    ("projects", _("Projects")),
    ("policies", _("Policies")),
    ("offerings", _("Offerings")),
    ("visits", _("Visits")),
    ("needs", _("Needs")),
    ("action-items", _("Action items")),
    ("enterprise-years", _("Enterprise years")),
    ("activities", _("Activities")),
]


UPLOAD_EXTENSIONS = ("xlsx", "xls", "ods", "csv", "txt")


def import_upload_path(instance: "ImportJob", filename: str) -> str:
    # A random name: the stored file is never addressed by anything the client sends. The extension is the
    # one of the format read from the content (import_job_preview names the file after it).
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in UPLOAD_EXTENSIONS:
        extension = "csv"
    return f"imports/{instance.created_at:%Y/%m}/{uuid.uuid4().hex}.{extension}"


class ImportJob(models.Model):
    """One upload by one user: previewed by a dry run, then confirmed (or abandoned)."""

    Status = ImportStatus

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="import_jobs",
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=IMPORT_KINDS,
    )
    file = models.FileField(
        _("file"),
        upload_to=import_upload_path,
        max_length=200,
    )
    original_name = models.CharField(
        _("file name"),
        max_length=200,
    )
    size = models.PositiveIntegerField(
        _("size in bytes"),
        default=0,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.PREVIEWED,
    )
    result = models.JSONField(
        _("result"),
        default=dict,
        blank=True,
    )
    created_at = models.DateTimeField(
        _("created at"),
        default=timezone.now,
        db_index=True,
    )
    imported_at = models.DateTimeField(
        _("imported at"),
        null=True,
        blank=True,
    )
    total = models.PositiveIntegerField(
        _("rows"),
        default=0,
    )
    done = models.PositiveIntegerField(
        _("rows done"),
        default=0,
        help_text=_("Progress of a background check or import; the live value is in the progress cache."),
    )
    error = models.CharField(
        _("error"),
        max_length=500,
        blank=True,
    )

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def is_running(self) -> bool:
        """Waiting for or being worked on by the task worker (a file over IMPORT_SYNC_MAX_ROWS rows)."""
        return self.status in {ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.IMPORTING}

    @property
    def is_finished(self) -> bool:
        return not self.is_running


class ImportUndo(models.Model):
    """What one committed transaction of a long import wrote (records created, values before an update, links
    added or removed, history rows), written in that same transaction. A background import writes in short
    transactions so that it never holds SQLite's write lock for seconds (issue 11); these entries keep it all or
    nothing: a failed import, or one whose worker died (``recover_imports``), is undone from them. The last
    transaction of a successful import deletes them."""

    class Action(models.TextChoices):
        CREATED = "created", _("records created")
        UPDATED = "updated", _("records updated")
        LINKED = "linked", _("links added")
        UNLINKED = "unlinked", _("links removed")
        HISTORY = "history", _("history rows")

    job = models.ForeignKey(
        ImportJob,
        verbose_name=_("import job"),
        on_delete=models.CASCADE,
        related_name="undo_entries",
    )
    seq = models.PositiveIntegerField(
        _("order"),
    )
    action = models.CharField(
        _("action"),
        max_length=10,
        choices=Action.choices,
    )
    model = models.CharField(
        _("model"),
        max_length=100,
    )
    data = models.JSONField(
        _("data"),
        encoder=DjangoJSONEncoder,
    )

    class Meta:
        verbose_name = _("import undo entry")
        verbose_name_plural = _("import undo entries")
        ordering = ["job", "seq"]

    def __str__(self) -> str:
        return f"{self.job_id} #{self.seq} {self.action} {self.model}"

"""In-app notifications (the bell), also sent by e-mail."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.choices import NotificationKind


class Notification(models.Model):
    """A message to one user about a need, an action item, a finished export or a checked or finished import."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=NotificationKind.choices,
    )
    text = models.CharField(
        _("text"),
        max_length=500,
    )
    need = models.ForeignKey(
        "crm.Need",
        verbose_name=_("need"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    action_item = models.ForeignKey(
        "crm.ActionItem",
        verbose_name=_("action item"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    export_job = models.ForeignKey(
        "crm.ExportJob",
        verbose_name=_("export"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    report = models.ForeignKey(
        "crm.Report",
        verbose_name=_("report"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    import_job = models.ForeignKey(
        "crm.ImportJob",
        verbose_name=_("import"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    dedupe_key = models.CharField(
        _("deduplication key"),
        max_length=100,
        blank=True,
    )
    created_at = models.DateTimeField(
        _("created at"),
        auto_now_add=True,
    )
    read_at = models.DateTimeField(
        _("read at"),
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Makes send_reminders idempotent: one notice per recipient and key, enforced by the database.
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="crm_notification_unique_key",
                violation_error_message=_("This notice has been sent already."),
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="crm_notif_recipient_idx")]

    def __str__(self) -> str:
        return self.text

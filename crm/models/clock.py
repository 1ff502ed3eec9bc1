"""The need clock (办理时限, DESIGN §11.4): the time-limit table and the extension requests (延期申请)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.choices import ExtensionStatus, NeedCategory, Urgency
from crm.models.engagement import deadline_range_clean, text_fields_clean
from crm.querysets import ExtensionRequestQuerySet

# The defaults of §11.4, seeded by the migration: the answer days of a need of any category by urgency, and
# the shorter limit of a policy consultation.
TIME_LIMIT_DEFAULTS = (
    ("", Urgency.NORMAL, 15),
    ("", Urgency.URGENT, 5),
    ("", Urgency.CRITICAL, 2),
    (NeedCategory.CONSULTATION, Urgency.NORMAL, 3),
    (NeedCategory.CONSULTATION, Urgency.URGENT, 3),
    (NeedCategory.CONSULTATION, Urgency.CRITICAL, 2),
)


class TimeLimit(models.Model):
    """How many working days a need of a category (blank: any) and urgency has to be accepted and answered,
    and how far it may be extended. The row naming the need's category wins over the row for any category."""

    category = models.CharField(
        _("category"),
        max_length=20,
        choices=NeedCategory.choices,
        blank=True,
        help_text=_("Leave empty for every category without a row of its own."),
    )
    urgency = models.CharField(
        _("urgency"),
        max_length=10,
        choices=Urgency.choices,
    )
    accept_days = models.PositiveSmallIntegerField(
        _("working days to accept"),
        default=1,
    )
    answer_days = models.PositiveSmallIntegerField(
        _("working days to answer"),
        default=15,
    )
    max_extensions = models.PositiveSmallIntegerField(
        _("maximum extensions"),
        default=1,
    )
    max_extension_days = models.PositiveSmallIntegerField(
        _("maximum working days of an extension"),
        default=15,
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["category", "urgency"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "urgency"],
                name="crm_timelimit_unique_category_urgency",
                violation_error_message=_("A time limit for this category and urgency exists already."),
            ),
            models.CheckConstraint(
                condition=Q(answer_days__gte=1) & Q(answer_days__lte=365) & Q(accept_days__lte=365),
                name="crm_timelimit_days_range",
                violation_error_message=_("Give between 1 and 365 working days to answer, at most 365 to accept."),
            ),
            models.CheckConstraint(
                condition=Q(max_extension_days__lte=365),
                name="crm_timelimit_extension_range",
                violation_error_message=_("An extension may last at most 365 working days."),
            ),
        ]

    def __str__(self) -> str:
        category = self.get_category_display() if self.category else _("any category")
        return f"{category} · {self.get_urgency_display()}"


class ExtensionRequest(models.Model):
    """A handler's request to move a need's deadline (延期申请), decided by a manager (a leader for a manager's own)."""

    need = models.ForeignKey(
        "crm.Need",
        verbose_name=_("need"),
        on_delete=models.CASCADE,
        related_name="extension_requests",
    )
    requested_due_on = models.DateField(
        _("requested deadline"),
    )
    reason = models.TextField(
        _("reason"),
        max_length=2000,
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ExtensionStatus.choices,
        default=ExtensionStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="extension_requests",
    )
    requested_at = models.DateTimeField(
        _("requested at"),
        auto_now_add=True,
    )
    previous_due_on = models.DateField(
        _("deadline when requested"),
        null=True,
        blank=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(
        _("decided at"),
        null=True,
        blank=True,
    )
    decision_note = models.TextField(
        _("decision note"),
        max_length=2000,
        blank=True,
    )
    history = HistoricalRecords()

    objects = ExtensionRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "-requested_at"], name="crm_extreq_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["need"],
                condition=Q(status=ExtensionStatus.PENDING),
                name="crm_extreq_one_pending_per_need",
                violation_error_message=_("This need already has a pending extension request."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need_id} → {self.requested_due_on} ({self.get_status_display()})"

    def clean(self):
        super().clean()
        text_fields_clean(self)
        deadline_range_clean(self, fields=("requested_due_on",))
        if not (self.reason or "").strip():
            raise ValidationError({"reason": [_("Give the reason for the extension.")]})

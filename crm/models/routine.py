"""The bureau's routine (DESIGN §11.1, §11.2): cadence rules, visit plans, activities with many enterprises, and
each user's personal calendar feed key."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.signals import post_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.choices import ActivityKind, CadencePeriod, CadenceRole, CadenceTier, PlanStatus, VisitKind
from crm.models.base import AutoCodeMixin, TimeStampedModel
from crm.models.engagement import _file_delete_on_commit, text_fields_clean
from crm.querysets import ActivityQuerySet, ScopedQuerySet

# The defaults of §11.1, used for a bureau without its own rule rows (the selector falls back to them in SQL).
CADENCE_DEFAULTS: dict[tuple[str, str], tuple[str, int]] = {
    (CadenceTier.LINKED, CadenceRole.OFFICER): (CadencePeriod.MONTH, 1),
    (CadenceTier.LINKED, CadenceRole.LEADER): (CadencePeriod.QUARTER, 1),
    (CadenceTier.ASSISTED, CadenceRole.OFFICER): (CadencePeriod.MONTH, 2),
    (CadenceTier.ASSISTED, CadenceRole.LEADER): (CadencePeriod.MONTH, 1),
}
CADENCE_DEFAULT_KINDS = [VisitKind.ON_SITE.value, VisitKind.MEETING.value]


def kinds_validate(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Choose at least one visit method."))
    unknown = [v for v in value if v not in VisitKind.values]
    if unknown:
        raise ValidationError(_("Unknown visit method: %(value)s.") % {"value": ", ".join(map(str, unknown))})


class CadenceRule(models.Model):
    """How often a bureau's liaison people must visit an enterprise of a tier (走访频次)."""

    bureau = models.ForeignKey(
        "crm.Bureau",
        verbose_name=_("bureau"),
        on_delete=models.CASCADE,
        related_name="cadence_rules",
    )
    tier = models.CharField(
        _("tier"),
        max_length=10,
        choices=CadenceTier.choices,
    )
    role = models.CharField(
        _("liaison role"),
        max_length=10,
        choices=CadenceRole.choices,
    )
    period = models.CharField(
        _("period"),
        max_length=10,
        choices=CadencePeriod.choices,
    )
    min_visits = models.PositiveSmallIntegerField(
        _("minimum visits"),
        default=1,
        validators=[MinValueValidator(1)],
    )
    kinds = models.JSONField(
        _("visit methods that count"),
        default=list,
        validators=[kinds_validate],
        help_text=_("The visit methods that count, e.g. on_site, meeting."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cadence rule")
        verbose_name_plural = _("cadence rules")
        ordering = ["bureau_id", "tier", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "tier", "role"],
                name="crm_cadencerule_unique",
                violation_error_message=_("This bureau has a rule for this tier and role already."),
            ),
            models.CheckConstraint(condition=models.Q(min_visits__gte=1), name="crm_cadencerule_min_visits"),
        ]

    def __str__(self) -> str:
        return f"{self.bureau}·{self.get_tier_display()}·{self.get_role_display()}: {self.min_visits}/{self.period}"

    @property
    def kinds_key(self) -> str:
        """The kinds as ``,on_site,meeting,`` (what the cadence selector matches a visit's kind in)."""
        return "," + ",".join(self.kinds or []) + ","


class VisitPlanQuerySet(ScopedQuerySet):
    region_lookups = ("enterprise__region",)


class VisitPlan(TimeStampedModel):
    """A visit planned ahead (走访计划): fulfilled by a visit of one of its people within 7 days of its date."""

    enterprise = models.ForeignKey(
        "crm.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="visit_plans",
    )
    planned_on = models.DateField(
        _("planned on"),
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_visit_plans",
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officers"),
        blank=True,
        related_name="visit_plans",
    )
    purpose = models.CharField(
        _("purpose"),
        max_length=200,
        blank=True,
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PlanStatus.choices,
        default=PlanStatus.PLANNED,
    )
    visit = models.ForeignKey(
        "crm.Visit",
        verbose_name=_("visit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fulfilled_plans",
    )
    source_visit = models.ForeignKey(
        "crm.Visit",
        verbose_name=_("planned in visit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_plans",
    )
    cancel_reason = models.CharField(
        _("reason for cancelling"),
        max_length=200,
        blank=True,
    )
    history = HistoricalRecords()

    objects = VisitPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        ordering = ["planned_on", "id"]
        indexes = [
            models.Index(fields=["status", "planned_on"], name="crm_visitplan_status_idx"),
            models.Index(fields=["enterprise", "status", "planned_on"], name="crm_visitplan_ent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.planned_on} {self.enterprise}" if self.enterprise_id else str(self.planned_on)

    def clean(self):
        super().clean()
        text_fields_clean(self)
        if self.status == PlanStatus.CANCELLED and not self.cancel_reason.strip():
            raise ValidationError({"cancel_reason": _("Give the reason for cancelling the plan.")})

    @property
    def is_overdue(self) -> bool:
        return self.status == PlanStatus.PLANNED and self.planned_on < timezone.localdate()


class Activity(AutoCodeMixin, TimeStampedModel):
    """A symposium, joint research trip, briefing … with many enterprises at once (DESIGN §11.2)."""

    CODE_PREFIX = "HD"

    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=ActivityKind.choices,
    )
    title = models.CharField(
        _("title"),
        max_length=200,
    )
    held_on = models.DateField(
        _("held on"),
    )
    place = models.CharField(
        _("place"),
        max_length=200,
        blank=True,
    )
    bureaus = models.ManyToManyField(
        "crm.Bureau",
        verbose_name=_("bureaus taking part"),
        blank=True,
        related_name="activities",
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_activities",
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officers"),
        blank=True,
        related_name="activities",
    )
    summary = models.TextField(
        _("summary"),
        blank=True,
    )
    counts_as_visit = models.BooleanField(
        _("counts as a visit"),
        default=False,
        help_text=_("Each participating enterprise counts as visited (meeting) for the cadence and coverage."),
    )
    bureau = models.ForeignKey(
        "crm.Bureau",
        verbose_name=_("organising bureau"),
        on_delete=models.PROTECT,
        related_name="organised_activities",
    )
    enterprises = models.ManyToManyField(
        "crm.Enterprise",
        verbose_name=_("participating enterprises"),
        through="ActivityParticipant",
        related_name="activities",
        blank=True,
    )
    history = HistoricalRecords()

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["-held_on", "-id"], name="crm_activity_date_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def clean(self):
        super().clean()
        text_fields_clean(self)
        if self.held_on and self.held_on > timezone.localdate():
            raise ValidationError({"held_on": _("The date cannot be in the future.")})


class ActivityParticipant(models.Model):
    """An enterprise taking part in an activity, with the names of those who attended."""

    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="participants",
    )
    enterprise = models.ForeignKey(
        "crm.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="activity_participations",
    )
    attendees = models.CharField(
        _("attendees"),
        max_length=200,
        blank=True,
    )

    class Meta:
        verbose_name = _("activity participant")
        verbose_name_plural = _("activity participants")
        ordering = ["activity_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "enterprise"],
                name="crm_activityparticipant_unique",
                violation_error_message=_("This enterprise is a participant already."),
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "activity"], name="crm_actpart_ent_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise} @ {self.activity_id}"


def activity_attachment_path(instance: "ActivityAttachment", filename: str) -> str:
    return f"activities/{instance.activity.held_on:%Y/%m}/{instance.activity.code}/{filename}"


class ActivityAttachment(TimeStampedModel):
    """A photo or PDF attached to an activity (the sign-in sheet, the minutes); served like a visit's."""

    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(
        _("file"),
        upload_to=activity_attachment_path,
    )
    name = models.CharField(
        _("file name"),
        max_length=200,
    )
    content_type = models.CharField(
        _("content type"),
        max_length=50,
    )
    size = models.PositiveIntegerField(
        _("size in bytes"),
    )

    class Meta:
        verbose_name = _("activity attachment")
        verbose_name_plural = _("activity attachments")
        ordering = ["activity_id", "id"]

    def __str__(self) -> str:
        return self.name


@receiver(post_delete, sender=ActivityAttachment, dispatch_uid="crm_activity_attachment_file_delete")
def activity_attachment_file_delete(sender, instance: ActivityAttachment, **kwargs) -> None:
    """Whichever way a row goes (the edit page, the API, a deleted activity), its file goes too."""
    _file_delete_on_commit(instance.file.storage, instance.file.name)


@receiver(pre_save, sender=ActivityAttachment, dispatch_uid="crm_activity_attachment_file_replace")
def activity_attachment_file_replace(sender, instance: ActivityAttachment, raw: bool = False, **kwargs) -> None:
    """A row whose file is replaced drops the old file."""
    if raw or not instance.pk:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("file", flat=True).first()
    if old and old != instance.file.name:
        _file_delete_on_commit(instance.file.storage, old)


class CalendarKey(models.Model):
    """A user's secret key for the personal iCalendar feed; only its SHA-256 is stored (revocable)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_key",
    )
    key_hash = models.CharField(
        _("key hash"),
        max_length=64,
        unique=True,
    )
    created_at = models.DateTimeField(
        _("created at"),
        auto_now_add=True,
    )

    class Meta:
        verbose_name = _("calendar key")
        verbose_name_plural = _("calendar keys")
        ordering = ["user_id"]

    def __str__(self) -> str:
        return str(self.user)

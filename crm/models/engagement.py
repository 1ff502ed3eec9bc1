"""登门三问 visits, the needs they raise, the needs' append-only timeline, and the holiday calendar."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.choices import (
    OPEN_NEED_STATUSES,
    NeedCategory,
    NeedEventKind,
    NeedSource,
    NeedStatus,
    Satisfaction,
    Urgency,
    VisitFlag,
    VisitKind,
)
from crm.models.base import AutoCodeMixin, EnterpriseRegionStored, TimeStampedModel, stored_region_field
from crm.querysets import NeedEventQuerySet, NeedQuerySet, VisitQuerySet, is_overdue
from crm.validators import (
    TEXT_MAX_LENGTH,
    DateRangeValidator,
    text_limit,
    validate_date,
    validate_no_control_chars,
)


def text_fields_clean(instance: models.Model) -> None:
    """Refuse NUL bytes and other control characters in every text field, naming the field."""
    errors = {}
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            try:
                validate_no_control_chars(getattr(instance, field.attname))
            except ValidationError as error:
                errors[field.name] = error.messages
    if errors:
        raise ValidationError(errors)


# Deadlines lie within two years of the day they are written (DESIGN §11.4; a date such as 9999-12-31 broke the
# working-day calendar of every list). The bounds only widen as time passes, so a stored date stays valid.
DEADLINE_SPAN = dt.timedelta(days=731)


def deadline_range_clean(instance: models.Model, *, fields: tuple[str, ...]) -> None:
    """Refuse deadlines more than two years after today or two years before the record's creation."""
    today = timezone.localdate()
    created = timezone.localtime(instance.created_at).date() if getattr(instance, "created_at", None) else today
    low, high = created - DEADLINE_SPAN, today + DEADLINE_SPAN
    errors = {}
    for name in fields:
        value = getattr(instance, name)
        if value is not None and not (low <= value <= high):
            errors[name] = [
                _("A deadline must lie between %(low)s and %(high)s (within two years).")
                % {"low": low.isoformat(), "high": high.isoformat()}
            ]
    if errors:
        raise ValidationError(errors)


# The visits whose officer links may hold someone besides the lead (``Visit.officers_besides_lead`` true or not known):
# the condition of ``crm_visit_others_idx``, written the same in the queries that use that index.
OTHERS_Q = Q(officers_besides_lead__isnull=True) | Q(officers_besides_lead=True)


class Visit(EnterpriseRegionStored, AutoCodeMixin, TimeStampedModel):
    """A "three questions at the door" visit (走访记录)."""

    CODE_PREFIX = "ZF"

    enterprise = models.ForeignKey(
        "crm.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    project = models.ForeignKey(
        "crm.Project",
        verbose_name=_("project"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
    )
    visited_on = models.DateField(
        _("visited on"),
        validators=[DateRangeValidator(past=True, future_message=_("The visit date cannot be in the future."))],
    )
    kind = models.CharField(
        _("visit method"),
        max_length=20,
        choices=VisitKind.choices,
        default=VisitKind.ON_SITE,
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_visits",
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officers"),
        blank=True,
        related_name="visits",
    )
    interviewee = models.CharField(
        _("interviewee"),
        max_length=50,
        blank=True,
    )
    interviewee_title = models.CharField(
        _("interviewee title"),
        max_length=50,
        blank=True,
    )
    q_needs = models.TextField(
        _("development needs (问需)"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    q_difficulties = models.TextField(
        _("difficulties (问难)"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    q_suggestions = models.TextField(
        _("suggestions (问计)"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    party_notes = models.TextField(
        _("party-building notes"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    policies_briefed = models.TextField(
        _("policies briefed"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    resolved_on_site = models.TextField(
        _("resolved on site"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    flag = models.CharField(
        _("flag"),
        max_length=10,
        choices=VisitFlag.choices,
        default=VisitFlag.GREEN,
    )
    next_visit_on = models.DateField(
        _("next visit on"),
        validators=[validate_date],
        null=True,
        blank=True,
    )
    # Whether an officer other than the lead is linked (None: not known, as for rows written outside the services).
    # Kept by ``visit_officers_flag_refresh`` (crm/services/visits.py): the dashboard's and the cadence's counts as
    # a visit's officer probe the officer links of these visits only, from ``crm_visit_others_idx``.
    officers_besides_lead = models.BooleanField(null=True, editable=False)
    # The enterprise's region, stored: the visits of a region (the lists' region filter) are read from
    # ``crm_visit_region_idx`` instead of probing the visits of each of the region's ~7,000 enterprises. Set from the
    # enterprise by every save (``region_derive``; the visit import calls it too) and, when an enterprise moves to
    # another region, for its visits by ``enterprise_regions_follow`` (crm/services/enterprises.py, the enterprise
    # import). Filled for the visits before it by 0037.
    region = stored_region_field()
    # Derived from the lead and the officers, or from the enterprise: no history entry of their own.
    history = HistoricalRecords(excluded_fields=["officers_besides_lead", "region"])

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(q_needs="") | ~Q(q_difficulties="") | ~Q(q_suggestions=""),
                name="crm_visit_has_an_answer",
                violation_error_message=_(
                    "Fill in at least one of the three questions: needs, difficulties, suggestions."
                ),
            ),
        ]
        indexes = [
            # The newest visits first; with the enterprise in the index, a county's list (its scope joins the
            # enterprise) walks it alone and tests each visit's enterprise.
            models.Index(fields=["-visited_on", "-id", "enterprise"], name="crm_visit_date_ent_idx"),
            # With kind and lead: the cadence counts (crm/selectors/cadence.py, the dashboard's liaison coverage) of
            # the visits of a scope's enterprises in the last two periods read the index alone. With id: the counts
            # as a visit's officer go from these entries to the officer link table's (visit, user) index; without
            # it PostgreSQL read every visit row of the two periods (~43,000 heap rows) and hashed them.
            models.Index(fields=["enterprise", "-visited_on", "kind", "lead", "id"], name="crm_visit_ent_date_idx"),
            # The dashboard's visits per officer as their lead in a period (crm/selectors/dashboard.py), read from
            # the index alone instead of every visit row of the period.
            models.Index(fields=["lead", "visited_on"], name="crm_visit_lead_date_idx"),
            # 预警企业 (crm/selectors/watch.py): the newest visits of one flag, read in index order.
            models.Index(fields=["flag", "-visited_on", "-id"], name="crm_visit_flag_date_idx"),
            # 预警企业 of a county (or of one region on the dashboard): each of its enterprises' visits of one flag,
            # read from the index alone, whatever the province holds of that flag. SQLite read every visit of the
            # county's enterprises (~21,000 rows) to keep the flagged ones; walking the flag index instead reads the
            # whole province's flagged visits for a county with none.
            models.Index(fields=["enterprise", "flag", "-visited_on", "-id"], name="crm_visit_ent_flag_idx"),
            # The visits of a region (the lists' region filter), newest first: a count reads the region's entries
            # alone and the first page the first 20 of them.
            models.Index(fields=["region", "-visited_on", "-id"], name="crm_visit_region_idx"),
            # The visits that may have an officer besides the lead (few: most visits are the lead's alone): the
            # counts as a visit's officer start here instead of probing the officer links of every visit.
            models.Index(
                fields=["visited_on", "enterprise", "kind", "lead", "id"],
                name="crm_visit_others_idx",
                condition=OTHERS_Q,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.enterprise}" if self.enterprise_id else self.code

    def clean(self):
        super().clean()
        text_fields_clean(self)
        if self.next_visit_on and self.visited_on and self.next_visit_on < self.visited_on:
            raise ValidationError({"next_visit_on": _("The next visit cannot be before this visit.")})


def attachment_path(instance: "VisitAttachment", filename: str) -> str:
    return f"visits/{instance.visit.visited_on:%Y/%m}/{instance.visit.code}/{filename}"


class VisitAttachment(TimeStampedModel):
    """A photo or PDF (e.g. the signed visit record) attached to a visit."""

    visit = models.ForeignKey(
        Visit,
        verbose_name=_("visit"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(
        _("file"),
        upload_to=attachment_path,
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
        verbose_name = _("visit attachment")
        verbose_name_plural = _("visit attachments")
        ordering = ["visit_id", "id"]

    def __str__(self) -> str:
        return self.name


def _file_delete_on_commit(storage, name: str) -> None:
    """Remove a stored file once the transaction has committed (a rollback keeps it)."""
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@receiver(post_delete, sender=VisitAttachment, dispatch_uid="crm_visit_attachment_file_delete")
def visit_attachment_file_delete(sender, instance: VisitAttachment, **kwargs) -> None:
    """Whichever way a row goes (the visit form, the API, the admin inline, a deleted visit), its file goes too."""
    _file_delete_on_commit(instance.file.storage, instance.file.name)


@receiver(pre_save, sender=VisitAttachment, dispatch_uid="crm_visit_attachment_file_replace")
def visit_attachment_file_replace(sender, instance: VisitAttachment, raw: bool = False, **kwargs) -> None:
    """A row whose file is replaced drops the old file."""
    if raw or not instance.pk:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("file", flat=True).first()
    if old and old != instance.file.name:
        _file_delete_on_commit(instance.file.storage, old)


class Need(AutoCodeMixin, TimeStampedModel):
    """A need or request (诉求) followed through the closed loop of DESIGN §4.1."""

    CODE_PREFIX = "SQ"

    enterprise = models.ForeignKey(
        "crm.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
    )
    project = models.ForeignKey(
        "crm.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
    )
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("visit"),
        # A visit with needs keeps its record (登门三问 → 诉求): deleting it is refused.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
    )
    activity = models.ForeignKey(
        "crm.Activity",
        verbose_name=_("activity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="needs",
    )
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=NeedSource.choices,
        default=NeedSource.PHONE,
    )
    category = models.CharField(
        _("category"),
        max_length=20,
        choices=NeedCategory.choices,
    )
    title = models.CharField(
        _("title"),
        max_length=200,
    )
    description = models.TextField(
        _("description"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    urgency = models.CharField(
        _("urgency"),
        max_length=10,
        choices=Urgency.choices,
        default=Urgency.NORMAL,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=NeedStatus.choices,
        default=NeedStatus.NEW,
    )
    bureau = models.ForeignKey(
        "crm.Bureau",
        verbose_name=_("bureau"),
        on_delete=models.PROTECT,
        related_name="needs",
    )
    lead_department = models.ForeignKey(
        "crm.Department",
        verbose_name=_("lead department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_needs",
    )
    assisting_departments = models.ManyToManyField(
        "crm.Department",
        verbose_name=_("assisting departments"),
        blank=True,
        related_name="assisted_needs",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_needs",
    )
    assigned_at = models.DateTimeField(
        _("assigned at"),
        null=True,
        blank=True,
    )
    due_on = models.DateField(
        _("due on"),
        null=True,
        blank=True,
    )
    # The clock of DESIGN §11.4: set at creation from the time-limit table, ``original_due_on`` never moves.
    accept_due_on = models.DateField(
        _("accept by"),
        null=True,
        blank=True,
    )
    original_due_on = models.DateField(
        _("original deadline"),
        null=True,
        blank=True,
    )
    accepted_at = models.DateTimeField(
        _("accepted at"),
        null=True,
        blank=True,
    )
    resolution = models.TextField(
        _("resolution"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    answered_at = models.DateTimeField(
        _("answered at"),
        null=True,
        blank=True,
    )
    closed_at = models.DateTimeField(
        _("closed at"),
        null=True,
        blank=True,
    )
    # The working days from receipt (``created_at``) and from assignment (``assigned_at``) to the answer, on the
    # holiday calendar (crm/workdays.py), None until answered: the dashboard sums them instead of running the
    # calendar over every answered need. Kept by the need services (``_save``), by every Holiday change
    # (``holiday_changed``) and ``answer_workdays_fill``; ``manage.py answer_workdays --check`` compares them.
    answer_workdays = models.PositiveIntegerField(
        _("working days taken to answer"),
        null=True,
        blank=True,
        editable=False,
    )
    answer_workdays_assigned = models.PositiveIntegerField(
        _("working days taken from assignment to answer"),
        null=True,
        blank=True,
        editable=False,
    )
    satisfaction = models.CharField(
        _("satisfaction"),
        max_length=20,
        choices=Satisfaction.choices,
        blank=True,
    )
    # The rating came from the enterprise itself, on its own page (企业服务码, DESIGN §11.5), not from staff.
    rated_by_enterprise = models.BooleanField(
        _("rated by the enterprise"),
        default=False,
    )
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
    )
    # The stored working days are derived (from the dates and the calendar): no history entry of their own.
    history = HistoricalRecords(excluded_fields=["answer_workdays", "answer_workdays_assigned"])

    objects = NeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(enterprise__isnull=False) | Q(project__isnull=False),
                name="crm_need_enterprise_or_project",
                violation_error_message=_("A need belongs to an enterprise or a project; give at least one."),
            ),
        ]
        indexes = [
            # With -id, as the lists sort (newest first, id breaking ties): a status filter reads the first page
            # straight from the index instead of sorting every need of that status (DESIGN §9.2).
            models.Index(fields=["status", "-created_at", "-id"], name="crm_need_status_idx"),
            models.Index(fields=["category", "-created_at"], name="crm_need_category_idx"),
            # With the scope columns, so a county's counts by status (the dashboard, crm/selectors/dashboard.py) and
            # its open needs by region read the index alone instead of every need's row.
            models.Index(
                fields=["status", "due_on", "enterprise", "project", "bureau"], name="crm_need_status_scope_idx"
            ),
            models.Index(fields=["category", "enterprise", "project", "bureau"], name="crm_need_category_scope_idx"),
            models.Index(fields=["urgency"], name="crm_need_urgency_idx"),
            models.Index(fields=["-created_at", "-id"], name="crm_need_created_idx"),
            # "My needs" on the 工作台 (crm/selectors/needs.py): one range scan per reason a need is mine.
            models.Index(fields=["handler", "status", "due_on"], name="crm_need_handler_due_idx"),
            models.Index(fields=["lead_department", "status", "due_on"], name="crm_need_dept_due_idx"),
            # "Led by my department, nobody handles it yet": most open needs of a department have a handler, so the
            # plain index above reads (and discards) them all; this one holds only the unhandled ones.
            models.Index(
                fields=["lead_department", "status", "due_on"],
                condition=Q(handler__isnull=True),
                name="crm_need_dept_free_idx",
            ),
            models.Index(fields=["created_by", "status", "due_on"], name="crm_need_creator_due_idx"),
            # The dashboard's needs raised per officer in a period, read from the index alone.
            models.Index(fields=["created_by", "created_at"], name="crm_need_creator_created_idx"),
            models.Index(fields=["enterprise", "status", "due_on"], name="crm_need_ent_due_idx"),
            models.Index(fields=["bureau", "status", "due_on"], name="crm_need_bureau_due_idx"),
            # The 工作台's overdue and supervised (督办) lists (crm/selectors/watch.py), open needs by deadline: a
            # bureau's (manager) and every one (leader) in the lists' order, the first rows read from the index
            # instead of sorting every open need past its deadline (~16,000 at province scale).
            models.Index(
                fields=["bureau", "due_on", "id", "status"],
                condition=Q(status__in=OPEN_NEED_STATUSES),
                name="crm_need_open_bureau_idx",
            ),
            models.Index(
                fields=["due_on", "id"], condition=Q(status__in=OPEN_NEED_STATUSES), name="crm_need_open_due_idx"
            ),
            # "My needs" of the enterprises I lead or liaise with (the 工作台, crm/selectors/needs.py): their open ones
            # alone, from the index (a leader's 2,000 enterprises: ~3,200 entries, not the ~28,000 of all their needs
            # that ``crm_need_ent_due_idx`` holds, status tested on each: SQLite ~4 -> 0.7 ms).
            models.Index(
                fields=["enterprise", "due_on", "id", "status"],
                condition=Q(status__in=OPEN_NEED_STATUSES),
                name="crm_need_ent_open_idx",
            ),
            # The dashboard's needs still new after their acceptance deadline (``_need_counts``): a few thousand
            # entries counted from the index, not the rows of every new need read for two dates (SQLite ~4.6 ms).
            models.Index(
                fields=["status", "accept_due_on"],
                condition=Q(accepted_at__isnull=True),
                name="crm_need_late_accept_idx",
            ),
            # The dashboard's working days to answer (crm/selectors/dashboard.py), read from the index alone (the
            # scope columns too, for a county's dashboard).
            models.Index(
                fields=[
                    "answered_at",
                    "assigned_at",
                    "answer_workdays",
                    "answer_workdays_assigned",
                    "enterprise",
                    "project",
                    "bureau",
                ],
                name="crm_need_answered_scope_idx",
            ),
            # The dashboard's needs are also grouped from crm_need_kpi_idx (an index on an expression, covering on
            # PostgreSQL) that migrations 0030/0032 create outside the model state (crm/selectors/dashboard.py,
            # ``need_group_keys``).
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def clean(self):
        super().clean()
        text_fields_clean(self)
        deadline_range_clean(self, fields=("due_on", "accept_due_on", "original_due_on"))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_NEED_STATUSES

    @property
    def is_overdue(self) -> bool:
        """Open and past its deadline: ``Need.objects.overdue()`` for one need."""
        return is_overdue(status=self.status, due_on=self.due_on, open_statuses=OPEN_NEED_STATUSES)


class NeedEvent(models.Model):
    """One entry of a need's timeline (办理记录); never edited."""

    need = models.ForeignKey(
        Need,
        verbose_name=_("need"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="need_events",
    )
    # Set when the enterprise acted itself through its access link (DESIGN §11.5); ``author`` is then empty.
    contact = models.ForeignKey(
        "crm.Contact",
        verbose_name=_("enterprise contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="need_events",
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=NeedEventKind.choices,
    )
    from_status = models.CharField(
        _("from status"),
        max_length=20,
        choices=NeedStatus.choices,
        blank=True,
    )
    to_status = models.CharField(
        _("to status"),
        max_length=20,
        choices=NeedStatus.choices,
        blank=True,
    )
    text = models.TextField(
        _("text"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    created_at = models.DateTimeField(
        _("created at"),
        auto_now_add=True,
    )

    objects = NeedEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("need event")
        verbose_name_plural = _("need events")
        ordering = ["need_id", "created_at", "id"]
        indexes = [models.Index(fields=["need", "created_at"], name="crm_needevent_need_idx")]

    def __str__(self) -> str:
        return f"{self.need_id} {self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.get("force_insert"):
            raise ValueError("Need events are append-only.")
        super().save(*args, **kwargs)


class Holiday(models.Model):
    """A public holiday, or a make-up working day (调休) on a weekend."""

    date = models.DateField(
        _("date"),
        validators=[validate_date],
        unique=True,
    )
    name = models.CharField(
        _("name"),
        max_length=50,
    )
    is_workday = models.BooleanField(
        _("make-up working day"),
        default=False,
        help_text=_("Tick for a weekend day that is worked (调休); leave empty for a day off."),
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"

"""Growth programmes (DESIGN §11.7): yearly figures of enterprises, the cultivation pool toward a qualification
with the bureaus' targets, project milestones with monthly progress, and S&T commissioners (科技特派员) with
their assignments and service logs.

Every model is scoped by ``visible_to``: a county user sees what lies in its county (by the enterprise's or the
project's region); targets and commissioners also by their bureau.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.choices import CultivationStage, MilestoneKind
from crm.models.base import EnterpriseRegionStored, TimeStampedModel, stored_region_field
from crm.querysets import ScopedQuerySet, scope_region
from crm.validators import TEXT_MAX_LENGTH, DateRangeValidator, text_limit, validate_mobile

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}
YEAR_VALIDATORS = [MinValueValidator(1990), MaxValueValidator(2100)]


class EnterpriseScopedQuerySet(ScopedQuerySet):
    region_lookups = ("enterprise__region",)


class ProjectScopedQuerySet(ScopedQuerySet):
    region_lookups = ("project__region",)


class BureauScopedQuerySet(ScopedQuerySet):
    """Rows owned by a bureau: a county user sees its own bureau's (and the dashboard narrowed to a region, the
    bureau of that region)."""

    region_lookups = ("bureau__region",)

    def extra_scope(self, user) -> Q:
        return Q(bureau_id=user.bureau_id)


class EnterpriseYear(TimeStampedModel):
    """One year of an enterprise's figures (年度数据). The latest year is the enterprise's current figures."""

    enterprise = models.ForeignKey(
        "crm.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="years",
    )
    year = models.PositiveSmallIntegerField(
        _("year"),
        validators=YEAR_VALIDATORS,
    )
    revenue = models.DecimalField(
        _("revenue (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    rd_expense = models.DecimalField(
        _("R&D expense (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    employees = models.PositiveIntegerField(
        _("employees"),
        null=True,
        blank=True,
    )
    rd_staff = models.PositiveIntegerField(
        _("R&D staff"),
        null=True,
        blank=True,
    )
    total_assets = models.DecimalField(
        _("total assets (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    high_tech_revenue = models.DecimalField(
        _("high-tech product revenue (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    invention_patents = models.PositiveIntegerField(
        _("invention patents"),
        null=True,
        blank=True,
    )
    other_ip = models.PositiveIntegerField(
        _("other intellectual property"),
        null=True,
        blank=True,
    )
    history = HistoricalRecords()

    objects = EnterpriseScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise year")
        verbose_name_plural = _("enterprise years")
        ordering = ["enterprise_id", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year"],
                name="crm_entyear_unique",
                violation_error_message=_("This enterprise has figures for this year already."),
            ),
        ]
        indexes = [models.Index(fields=["year"], name="crm_entyear_year_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.year}"


class Cultivation(EnterpriseRegionStored, TimeStampedModel):
    """An enterprise cultivated toward a qualification in a year (培育库入库企业)."""

    enterprise = models.ForeignKey(
        "crm.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="cultivations",
    )
    year = models.PositiveSmallIntegerField(
        _("year"),
        validators=YEAR_VALIDATORS,
    )
    programme = models.ForeignKey(
        "crm.Qualification",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="cultivations",
    )
    stage = models.CharField(
        _("stage"),
        max_length=20,
        choices=CultivationStage.choices,
        default=CultivationStage.CANDIDATE,
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cultivations",
    )
    next_step_on = models.DateField(
        _("next step on"),
        null=True,
        blank=True,
    )
    notes = models.TextField(
        _("notes"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    # The enterprise's region, stored (``EnterpriseRegionStored``): the targets' progress counts each county's cards
    # from crm_cult_region_idx alone instead of testing every card's enterprise against the county's ~7,000
    # enterprises. Filled for the cards before it by 0039.
    region = stored_region_field()
    # Derived from the enterprise: no history entry of its own.
    history = HistoricalRecords(excluded_fields=["region"])

    objects = EnterpriseScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cultivation")
        verbose_name_plural = _("cultivations")
        ordering = ["-year", "programme_id", "enterprise_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "programme"],
                name="crm_cultivation_unique",
                violation_error_message=_("This enterprise is in this year's pool of this programme already."),
            ),
        ]
        indexes = [
            # The board's columns: a stage's cards soonest next step first, read in index order (PostgreSQL's
            # incremental sort, SQLite's "right part of ORDER BY") and stopped at the column's limit, instead of
            # joining and sorting every card of the stage. With a programme, and without one. The enterprise
            # last: target_progress counts a county's cards by enterprise from the index alone (SQLite).
            models.Index(
                fields=["year", "programme", "stage", "next_step_on", "enterprise"], name="crm_cult_board_idx"
            ),
            models.Index(fields=["year", "stage", "next_step_on"], name="crm_cult_stage_next_idx"),
            models.Index(fields=["officer"], name="crm_cult_officer_idx"),
            # The targets' progress (target_progress): a year's cards counted per programme, stage and county.
            models.Index(fields=["year", "programme", "stage", "region"], name="crm_cult_region_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.programme_id} · {self.year}"


class CultivationTarget(models.Model):
    """How many enterprises a bureau means to bring to a qualification in a year (培育目标)."""

    bureau = models.ForeignKey(
        "crm.Bureau",
        verbose_name=_("bureau"),
        on_delete=models.CASCADE,
        related_name="cultivation_targets",
    )
    year = models.PositiveSmallIntegerField(
        _("year"),
        validators=YEAR_VALIDATORS,
    )
    programme = models.ForeignKey(
        "crm.Qualification",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="cultivation_targets",
    )
    target = models.PositiveIntegerField(
        _("target"),
    )
    history = HistoricalRecords()

    objects = BureauScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cultivation target")
        verbose_name_plural = _("cultivation targets")
        ordering = ["-year", "bureau_id", "programme_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "year", "programme"],
                name="crm_culttarget_unique",
                violation_error_message=_("This bureau has a target for this programme and year already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bureau} · {self.programme_id} · {self.year}: {self.target}"


class ProjectMilestone(TimeStampedModel):
    """A planned and an actual date of one step of a project (签约, 开工, 竣工, 投产)."""

    project = models.ForeignKey(
        "crm.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="milestones",
    )
    kind = models.CharField(
        _("milestone"),
        max_length=20,
        choices=MilestoneKind.choices,
    )
    planned_on = models.DateField(
        _("planned on"),
        null=True,
        blank=True,
    )
    actual_on = models.DateField(
        _("actual date"),
        validators=[DateRangeValidator(past=True, future_message=_("The actual date cannot be in the future."))],
        null=True,
        blank=True,
    )
    history = HistoricalRecords()

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("project milestone")
        verbose_name_plural = _("project milestones")
        ordering = ["project_id", "planned_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"],
                name="crm_milestone_unique",
                violation_error_message=_("The project has this milestone already."),
            ),
        ]
        # The lag lists and their counts: the late milestones, and the projects that reached the milestone before
        # (milestone_lag_counts' ``project_id IN`` sets), read from the index alone.
        indexes = [models.Index(fields=["kind", "actual_on", "planned_on", "project"], name="crm_milestone_lag_idx")]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_kind_display()}"


class ProjectProgress(TimeStampedModel):
    """A project's monthly report: investment this month and in all, and what blocks it (月度进展)."""

    project = models.ForeignKey(
        "crm.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="progress_reports",
    )
    month = models.DateField(
        _("month"),
        help_text=_("The first day of the month reported."),
    )
    investment_month = models.DecimalField(
        _("investment this month (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    investment_total = models.DecimalField(
        _("investment to date (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    blockers = models.TextField(
        _("blockers"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="project_progress_reports",
    )
    history = HistoricalRecords()

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("project progress")
        verbose_name_plural = _("project progress reports")
        ordering = ["project_id", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "month"],
                name="crm_progress_unique",
                violation_error_message=_("The project has a report for this month already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.month:%Y-%m}"


class CommissionerQuerySet(ScopedQuerySet):
    """A county user sees its own bureau's commissioners and those assigned to an enterprise of its county."""

    def visible_to(self, user):
        sees_all, region = scope_region(user)
        if sees_all:
            return self.all()
        if region is None:
            return self.none()
        assigned = CommissionerAssignment.objects.filter(commissioner=OuterRef("pk"), enterprise__region=region)
        return self.filter(Q(bureau_id=user.bureau_id) | Exists(assigned))


class Commissioner(TimeStampedModel):
    """An S&T commissioner (科技特派员): an expert of a university or an institute who serves enterprises."""

    name = models.CharField(
        _("full name"),
        max_length=50,
    )
    institution = models.CharField(
        _("institution"),
        max_length=100,
        blank=True,
    )
    expertise = models.CharField(
        _("expertise"),
        max_length=200,
        blank=True,
    )
    industry_chain = models.ForeignKey(
        "crm.IndustryChain",
        verbose_name=_("industry chain"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commissioners",
    )
    mobile = models.CharField(
        _("mobile"),
        max_length=11,
        blank=True,
        validators=[validate_mobile],
    )
    serves_from = models.DateField(
        _("serves from"),
        null=True,
        blank=True,
    )
    serves_until = models.DateField(
        _("serves until"),
        null=True,
        blank=True,
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
    )
    bureau = models.ForeignKey(
        "crm.Bureau",
        verbose_name=_("bureau"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commissioners",
    )
    history = HistoricalRecords()

    objects = CommissionerQuerySet.as_manager()

    class Meta:
        verbose_name = _("S&T commissioner")
        verbose_name_plural = _("S&T commissioners")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(serves_from__isnull=True)
                | Q(serves_until__isnull=True)
                | Q(serves_until__gte=models.F("serves_from")),
                name="crm_commissioner_term_order",
                violation_error_message=_("The end of the term cannot be before its start."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CommissionerAssignment(TimeStampedModel):
    """A commissioner paired with an enterprise for a term, with its goals."""

    commissioner = models.ForeignKey(
        Commissioner,
        verbose_name=_("S&T commissioner"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    enterprise = models.ForeignKey(
        "crm.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="commissioner_assignments",
    )
    starts_on = models.DateField(
        _("starts on"),
    )
    ends_on = models.DateField(
        _("ends on"),
        null=True,
        blank=True,
    )
    goals = models.TextField(
        _("goals"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    history = HistoricalRecords()

    objects = EnterpriseScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("commissioner assignment")
        verbose_name_plural = _("commissioner assignments")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="crm_assignment_term_order",
                violation_error_message=_("The end of the assignment cannot be before its start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commissioner} → {self.enterprise}"


class ServiceLogQuerySet(ScopedQuerySet):
    region_lookups = ("assignment__enterprise__region",)


class ServiceLog(TimeStampedModel):
    """A commissioner's service at an enterprise: the day, how many days, what was done, the enterprise's rating."""

    assignment = models.ForeignKey(
        CommissionerAssignment,
        verbose_name=_("commissioner assignment"),
        on_delete=models.CASCADE,
        related_name="service_logs",
    )
    served_on = models.DateField(
        _("served on"),
        validators=[DateRangeValidator(past=True, future_message=_("The service date cannot be in the future."))],
    )
    days = models.DecimalField(
        _("days"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("31"))],
        default=Decimal("1"),
    )
    content = models.TextField(
        _("content"),
        **text_limit(TEXT_MAX_LENGTH),
    )
    enterprise_rating = models.PositiveSmallIntegerField(
        _("enterprise rating"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        null=True,
        blank=True,
        help_text=_("1 (poor) to 5 (excellent), given by the enterprise."),
    )
    history = HistoricalRecords()

    objects = ServiceLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("service log")
        verbose_name_plural = _("service logs")
        ordering = ["-served_on", "-id"]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.served_on}"

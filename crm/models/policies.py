"""The policy library (惠企政策) with structured eligibility, and policy matches/pushes."""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.choices import MatchStatus, NeedCategory, PolicyDelivery, PolicyKind, PolicyLevel
from crm.models.base import TimeStampedModel
from crm.models.enterprises import MONEY
from crm.querysets import (
    PolicyMatchQuerySet,
    PolicyQuerySet,
    policy_closes_soon,
    policy_is_current,
    policy_is_expired,
    policy_window_is_open,
)
from crm.validators import COMMENT_MAX_LENGTH, DOCUMENT_MAX_LENGTH, TEXT_MAX_LENGTH, text_limit, validate_date


def validate_need_categories(value) -> None:
    """A list of ``NeedCategory`` values (the JSON field ``need_categories`` of policies and offerings)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("Give the need categories as a list of category codes."), code="invalid")
    unknown = [v for v in value if v not in NeedCategory.values]
    if unknown:
        raise ValidationError(
            _("Unknown need category: %(value)s.") % {"value": ", ".join(unknown)}, code="invalid_choice"
        )


def _above(low, high) -> bool:
    try:
        return low is not None and high is not None and low > high
    except TypeError:  # a value that failed its own field validation; reported there
        return False


class Policy(TimeStampedModel):
    """An enterprise-support policy; empty criteria mean "no restriction"."""

    title = models.CharField(
        _("title"),
        max_length=200,
    )
    issuer = models.CharField(
        _("issuer"),
        max_length=100,
    )
    doc_number = models.CharField(
        _("document number"),
        max_length=100,
        blank=True,
    )
    level = models.CharField(
        _("level"),
        max_length=20,
        choices=PolicyLevel.choices,
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=PolicyKind.choices,
    )
    delivery = models.CharField(
        _("delivery"),
        max_length=20,
        choices=PolicyDelivery.choices,
        default=PolicyDelivery.APPLICATION,
    )
    published_on = models.DateField(
        _("published on"),
        validators=[validate_date],
        null=True,
        blank=True,
    )
    apply_from = models.DateField(
        _("application opens"),
        validators=[validate_date],
        null=True,
        blank=True,
    )
    apply_until = models.DateField(
        _("application closes"),
        validators=[validate_date],
        null=True,
        blank=True,
    )
    summary = models.TextField(
        _("summary"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    conditions_text = models.TextField(
        _("conditions (original text)"),
        **text_limit(DOCUMENT_MAX_LENGTH),
        blank=True,
    )
    support_text = models.TextField(
        _("support standard"),
        **text_limit(DOCUMENT_MAX_LENGTH),
        blank=True,
    )
    max_amount = models.DecimalField(
        _("maximum amount (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    department = models.ForeignKey(
        "crm.Department",
        verbose_name=_("responsible department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="policies",
    )
    url = models.URLField(
        _("link"),
        blank=True,
    )
    need_categories = models.JSONField(
        _("need categories"),
        default=list,
        blank=True,
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=300,
        blank=True,
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
    )
    regions = models.ManyToManyField(
        "crm.Region",
        verbose_name=_("eligible regions"),
        blank=True,
        related_name="policies",
    )
    industry_chains = models.ManyToManyField(
        "crm.IndustryChain",
        verbose_name=_("eligible industry chains"),
        blank=True,
        related_name="policies",
    )
    required_qualifications = models.ManyToManyField(
        "crm.Qualification",
        verbose_name=_("required qualifications"),
        blank=True,
        related_name="policies",
    )
    min_employees = models.PositiveIntegerField(
        _("minimum employees"),
        null=True,
        blank=True,
    )
    max_employees = models.PositiveIntegerField(
        _("maximum employees"),
        null=True,
        blank=True,
    )
    min_revenue = models.DecimalField(
        _("minimum revenue (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    max_revenue = models.DecimalField(
        _("maximum revenue (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    min_rd_expense = models.DecimalField(
        _("minimum R&D expense (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    min_rd_ratio = models.DecimalField(
        _("minimum R&D ratio (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    min_years_established = models.PositiveSmallIntegerField(
        _("minimum years established"),
        null=True,
        blank=True,
    )
    linked_only = models.BooleanField(
        _("linked enterprises only"),
        default=False,
    )
    history = HistoricalRecords()

    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["-published_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_employees__isnull=True)
                | Q(max_employees__isnull=True)
                | Q(max_employees__gte=F("min_employees")),
                name="crm_policy_employees_range",
                violation_error_message=_("The minimum number of employees is above the maximum."),
            ),
            models.CheckConstraint(
                condition=Q(min_revenue__isnull=True)
                | Q(max_revenue__isnull=True)
                | Q(max_revenue__gte=F("min_revenue")),
                name="crm_policy_revenue_range",
                violation_error_message=_("The minimum revenue is above the maximum."),
            ),
            models.CheckConstraint(
                condition=Q(apply_from__isnull=True)
                | Q(apply_until__isnull=True)
                | Q(apply_until__gte=F("apply_from")),
                name="crm_policy_window",
                violation_error_message=_("The application window ends before it starts."),
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "apply_until"], name="crm_policy_active_until_idx"),
            models.Index(fields=["-published_on", "-id"], name="crm_policy_published_idx"),
            models.Index(fields=["level"], name="crm_policy_level_idx"),
            models.Index(fields=["kind"], name="crm_policy_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        # The check constraints hold in the database; here the same rules name the field for the forms.
        super().clean()
        errors = {}
        if _above(self.min_employees, self.max_employees):
            errors["max_employees"] = _("The minimum number of employees is above the maximum.")
        if _above(self.min_revenue, self.max_revenue):
            errors["max_revenue"] = _("The minimum revenue is above the maximum.")
        if _above(self.apply_from, self.apply_until):
            errors["apply_until"] = _("The application window ends before it starts.")
        try:
            validate_need_categories(self.need_categories)
            self.need_categories = list(dict.fromkeys(self.need_categories))
        except ValidationError as error:
            errors["need_categories"] = error.messages
        if errors:
            raise ValidationError(errors)

    @property
    def is_expired(self) -> bool:
        """The application window has closed (``querysets.policy_expired_q``)."""
        return policy_is_expired(self)

    @property
    def is_current(self) -> bool:
        """Active and not expired, a window still to open included (``Policy.objects.current()``)."""
        return policy_is_current(self)

    @property
    def closes_soon(self) -> bool:
        return policy_closes_soon(self)

    @property
    def window_open(self) -> bool:
        """Can be applied for today (``Policy.objects.window_open()``): active, opened and not closed."""
        return policy_window_is_open(self)

    @property
    def keyword_list(self) -> list[str]:
        return [w for w in re.split(r"[\s,，、;；]+", self.keywords or "") if w]


class PolicyMatch(TimeStampedModel):
    """A policy suggested or pushed to an enterprise (optionally for one need), followed to its outcome."""

    policy = models.ForeignKey(
        Policy,
        verbose_name=_("policy"),
        on_delete=models.PROTECT,
        related_name="matches",
    )
    enterprise = models.ForeignKey(
        "crm.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="policy_matches",
    )
    need = models.ForeignKey(
        "crm.Need",
        verbose_name=_("need"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="policy_matches",
    )
    score = models.PositiveSmallIntegerField(
        _("score"),
        default=0,
        validators=[MaxValueValidator(100)],
    )
    reasons = models.JSONField(
        _("reasons"),
        default=list,
        blank=True,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=MatchStatus.choices,
        default=MatchStatus.SUGGESTED,
    )
    pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pushed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pushed_matches",
    )
    pushed_at = models.DateTimeField(
        _("pushed at"),
        null=True,
        blank=True,
    )
    granted_amount = models.DecimalField(
        _("granted amount (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    note = models.TextField(
        _("note"),
        **text_limit(COMMENT_MAX_LENGTH),
        blank=True,
    )
    history = HistoricalRecords()

    objects = PolicyMatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy match")
        verbose_name_plural = _("policy matches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "enterprise", "need"],
                name="crm_policymatch_unique_with_need",
                violation_error_message=_("This policy has been matched to this enterprise for this need already."),
            ),
            # NULLs are distinct in a unique index, so the "no need" case needs its own partial constraint.
            models.UniqueConstraint(
                fields=["policy", "enterprise"],
                condition=Q(need__isnull=True),
                name="crm_policymatch_unique_without_need",
                violation_error_message=_("This policy has been matched to this enterprise already."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="crm_match_status_idx"),
            models.Index(fields=["enterprise", "policy"], name="crm_match_ent_policy_idx"),
            # The dashboard's matches by status and amount granted, read from the index alone.
            models.Index(fields=["status", "granted_amount"], name="crm_match_status_amount_idx"),
            # The same for a county: its enterprises' matches, read from the index alone (issue 18: the county's
            # dashboard read every match's row on SQLite and scanned the table on PostgreSQL).
            models.Index(fields=["enterprise", "status", "granted_amount"], name="crm_match_ent_status_idx"),
            # The enterprises a policy has told (the 工作台's policy radar, the eligible list's "not told yet"),
            # read from the index alone: the policy's index read each match's row for its status.
            models.Index(fields=["policy", "status", "enterprise"], name="crm_match_policy_told_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} → {self.enterprise}"

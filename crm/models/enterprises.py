"""Enterprises with their qualifications and contacts, and the projects the bureau assists."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.choices import EnterpriseStatus, PartyOrganization, ProjectKind, ProjectStage, ProjectStatus
from crm.models.base import TimeStampedModel
from crm.querysets import ContactQuerySet, EnterpriseQuerySet, ProjectQuerySet
from crm.validators import (
    TEXT_MAX_LENGTH,
    DateRangeValidator,
    normalize_credit_code,
    text_limit,
    validate_credit_code,
    validate_date,
    validate_mobile,
)

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Enterprise(TimeStampedModel):
    """An enterprise, keyed by its unified social credit code."""

    name = models.CharField(
        _("enterprise name"),
        max_length=200,
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
        error_messages={"unique": _("An enterprise with this credit code exists already.")},
    )
    region = models.ForeignKey(
        "crm.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    address = models.CharField(
        _("address"),
        max_length=200,
        blank=True,
    )
    legal_representative = models.CharField(
        _("legal representative"),
        max_length=50,
        blank=True,
    )
    established_on = models.DateField(
        _("established on"),
        validators=[DateRangeValidator(past=True, future_message=_("The establishment date cannot be in the future."))],
        null=True,
        blank=True,
    )
    industry_chain = models.ForeignKey(
        "crm.IndustryChain",
        verbose_name=_("industry chain"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
    )
    main_products = models.CharField(
        _("main products"),
        max_length=500,
        blank=True,
    )
    qualifications = models.ManyToManyField(
        "crm.Qualification",
        verbose_name=_("qualifications"),
        through="crm.EnterpriseQualification",
        blank=True,
        related_name="enterprises",
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
    revenue = models.DecimalField(
        _("revenue last year (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    rd_expense = models.DecimalField(
        _("R&D expense last year (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    is_linked = models.BooleanField(
        _("linked enterprise"),
        default=False,
    )
    is_assisted = models.BooleanField(
        _("assisted enterprise"),
        default=False,
    )
    liaison_officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("liaison officers"),
        blank=True,
        related_name="liaised_enterprises",
    )
    liaison_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("liaison leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_enterprises",
    )
    party_organization = models.CharField(
        _("party organisation"),
        max_length=20,
        choices=PartyOrganization.choices,
        default=PartyOrganization.NONE,
    )
    party_members = models.PositiveIntegerField(
        _("party members"),
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=EnterpriseStatus.choices,
        default=EnterpriseStatus.OPERATING,
    )
    bureau = models.ForeignKey(
        "crm.Bureau",
        verbose_name=_("bureau"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
    )
    history = HistoricalRecords()

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="crm_ent_name_idx"),
            # With the id: the keys of a region's enterprises come from the index alone on PostgreSQL too (the
            # visits of a region, crm/filtersets.py RowsOfRegion), and a region's list is read in index order.
            models.Index(fields=["region", "name", "id"], name="crm_ent_region_name_id_idx"),
            # The region of an enterprise by its id from a small index, not from its wide row: the dashboard's
            # counts per county look up the region of ~17,000 visits' and ~22,000 open needs' enterprises.
            models.Index(fields=["id", "region"], name="crm_ent_id_region_idx"),
            models.Index(fields=["is_linked", "name"], name="crm_ent_linked_idx"),
            models.Index(fields=["is_assisted", "name"], name="crm_ent_assisted_idx"),
            # Eligible-enterprise lists put linked, then assisted enterprises first.
            models.Index(
                fields=["-is_linked", "-is_assisted", "name", "id"],
                name="crm_ent_priority_idx",
            ),
            models.Index(fields=["status"], name="crm_ent_status_idx"),
            models.Index(fields=["-updated_at"], name="crm_ent_updated_idx"),
            # The cadence's leader rows: operating enterprises with a liaison leader (not every operating one).
            models.Index(fields=["status", "liaison_leader"], name="crm_ent_status_leader_idx"),
            # 我的企业 (crm/selectors/home.py my_enterprises): the first enterprises a user leads, in name order, read
            # from the index alone, not every one they lead sorted (a leader's ~2,000: SQLite 9 -> 0.4 ms).
            models.Index(fields=["liaison_leader", "name", "id"], name="crm_ent_leader_name_idx"),
            # The cadence's links (crm/selectors/cadence.py): the ~4% linked or assisted enterprises, in name order,
            # with every column the link queries read (covering). The condition has no parameter, so SQLite can
            # prove a query's ``is_linked OR is_assisted`` implies it. The manager's policy radar
            # (crm/selectors/matching/suggestions.py) counts the eligible ones among them from the index alone too:
            # the criteria's columns follow (SQLite 30 -> 10 ms of CPU, PostgreSQL an index-only scan).
            models.Index(
                fields=[
                    "name",
                    "id",
                    "status",
                    "region",
                    "bureau",
                    "is_linked",
                    "is_assisted",
                    "liaison_leader",
                    "industry_chain",
                    "employees",
                    "revenue",
                    "rd_expense",
                    "established_on",
                ],
                condition=models.Q(is_linked=True) | models.Q(is_assisted=True),
                name="crm_ent_liaison_idx",
            ),
            # One person's cadence links as liaison leader (the 工作台's 待走访, the API's ?person=): that person's
            # linked or assisted enterprises from the index alone. Through crm_ent_liaison_idx SQLite read every entry
            # (~4,000) for each person, ~1 ms for an officer who leads none, ~12 ms for a leader of ~1,900.
            models.Index(
                fields=["liaison_leader", "status", "name", "id", "bureau", "is_assisted", "is_linked", "region"],
                condition=models.Q(is_linked=True) | models.Q(is_assisted=True),
                name="crm_ent_leader_liaison_idx",
            ),
            # The few enterprises whose name or legal representative holds a "~": the search index's grams of one or
            # two characters drop it (migration 0016), so only their grams can hold a pair their fields do not. The
            # list's q of Chinese characters (crm/selectors/search.py) checks those rows alone, read from this index.
            models.Index(
                fields=["id"],
                condition=models.Q(name__contains="~") | models.Q(legal_representative__contains="~"),
                name="crm_ent_tilde_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None):
        # Normalise before the length and checksum validators see the value.
        self.credit_code = normalize_credit_code(self.credit_code)
        super().clean_fields(exclude=exclude)

    def save(self, *args, **kwargs):
        self.credit_code = normalize_credit_code(self.credit_code)
        super().save(*args, **kwargs)

    @property
    def rd_ratio(self) -> Decimal | None:
        """R&D expense as a percentage of revenue (研发投入占比)."""
        if self.rd_expense is None or not self.revenue:
            return None
        return (self.rd_expense / self.revenue * 100).quantize(Decimal("0.01"))

    @property
    def years_established(self) -> int | None:
        if not self.established_on:
            return None
        today = timezone.localdate()
        years = today.year - self.established_on.year
        if (today.month, today.day) < (self.established_on.month, self.established_on.day):
            years -= 1
        return years


class EnterpriseQualification(models.Model):
    """A qualification an enterprise holds, with its certificate dates."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="enterprise_qualifications",
    )
    qualification = models.ForeignKey(
        "crm.Qualification",
        verbose_name=_("qualification"),
        on_delete=models.PROTECT,
        related_name="enterprise_qualifications",
    )
    certified_on = models.DateField(
        _("certified on"),
        validators=[DateRangeValidator(past=True, future_message=_("The certification date cannot be in the future."))],
        null=True,
        blank=True,
    )
    expires_on = models.DateField(
        _("expires on"),
        validators=[validate_date],
        null=True,
        blank=True,
    )
    certificate_no = models.CharField(
        _("certificate number"),
        max_length=60,
        blank=True,
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enterprise qualification")
        verbose_name_plural = _("enterprise qualifications")
        ordering = ["qualification__sort_order", "qualification_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "qualification"],
                name="crm_entqual_unique",
                violation_error_message=_("The enterprise holds this qualification already."),
            ),
            models.CheckConstraint(
                condition=models.Q(certified_on__isnull=True)
                | models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("certified_on")),
                name="crm_entqual_expiry_after_certification",
                violation_error_message=_("The expiry date cannot be before the certification date."),
            ),
        ]
        indexes = [models.Index(fields=["qualification", "expires_on"], name="crm_entqual_qual_exp_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.qualification}"

    @property
    def is_expired(self) -> bool:
        return bool(self.expires_on and self.expires_on < timezone.localdate())

    @property
    def expires_soon(self) -> bool:
        """Expiring within 90 days: the 360° page warns so the enterprise can re-apply in time."""
        if not self.expires_on or self.is_expired:
            return False
        return (self.expires_on - timezone.localdate()).days <= 90


class Contact(TimeStampedModel):
    """A person at an enterprise the bureau talks to."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(
        _("full name"),
        max_length=50,
    )
    title = models.CharField(
        _("job title"),
        max_length=50,
        blank=True,
    )
    mobile = models.CharField(
        _("mobile"),
        max_length=11,
        blank=True,
        validators=[validate_mobile],
    )
    email = models.EmailField(
        _("e-mail"),
        blank=True,
    )
    is_primary = models.BooleanField(
        _("primary contact"),
        default=False,
    )
    history = HistoricalRecords()

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["enterprise_id", "-is_primary", "name"]
        indexes = [models.Index(fields=["name"], name="crm_contact_name_idx")]

    def __str__(self) -> str:
        return f"{self.name}（{self.enterprise}）" if self.enterprise_id else self.name


class Project(TimeStampedModel):
    """A project the bureau links with or assists (帮办项目)."""

    name = models.CharField(
        _("project name"),
        max_length=200,
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    region = models.ForeignKey(
        "crm.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    industry_chain = models.ForeignKey(
        "crm.IndustryChain",
        verbose_name=_("industry chain"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=ProjectKind.choices,
        default=ProjectKind.INVESTMENT,
    )
    stage = models.CharField(
        _("stage"),
        max_length=20,
        choices=ProjectStage.choices,
        default=ProjectStage.NEGOTIATING,
    )
    planned_investment = models.DecimalField(
        _("planned investment (10k CNY)"),
        null=True,
        blank=True,
        **MONEY,
    )
    description = models.TextField(
        _("description"),
        **text_limit(TEXT_MAX_LENGTH),
        blank=True,
    )
    is_assisted = models.BooleanField(
        _("assisted project"),
        default=False,
    )
    liaison_officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("liaison officers"),
        blank=True,
        related_name="liaised_projects",
    )
    liaison_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("liaison leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_projects",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProjectStatus.choices,
        default=ProjectStatus.ACTIVE,
    )
    bureau = models.ForeignKey(
        "crm.Bureau",
        verbose_name=_("bureau"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    history = HistoricalRecords()

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["region", "name"], name="crm_project_region_idx"),
            models.Index(fields=["is_assisted", "name"], name="crm_project_assisted_idx"),
            models.Index(fields=["stage"], name="crm_project_stage_idx"),
        ]

    def __str__(self) -> str:
        return self.name

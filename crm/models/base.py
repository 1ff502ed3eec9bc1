"""Abstract base and the concurrency-safe code sequence shared by every model module."""

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Carries who created a record and when it last changed (DESIGN §3)."""

    created_at = models.DateTimeField(
        _("created at"),
        auto_now_add=True,
        db_index=True,
    )
    updated_at = models.DateTimeField(
        _("updated at"),
        auto_now=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):  # noqa: N802 (Django's name: behind every get_<field>_display())
        """``get_<field>_display()`` as Django's, with the field's value → label map built once per field instead of
        on every call (Django's hashes every label of the choices each time: one translation per label, so a badge
        of a ten-choice field cost ten; a 360° page shows about a hundred of them)."""
        labels = choice_labels(field)
        if labels is None:
            return super()._get_FIELD_display(field)
        value = make_hashable(getattr(self, field.attname))
        return force_str(labels.get(value, value), strings_only=True)


class EnterpriseRegionStored:
    """For a model with an ``enterprise`` and a ``region`` foreign key: ``region`` is the enterprise's, stored so that
    a county's rows are read (or counted) from an index of their own instead of through each row's enterprise. Set
    by every save (``region_derive``; bulk writes call it) and, when an enterprise moves to another region, by
    ``enterprise_regions_follow`` (crm/services/enterprises.py)."""

    def region_derive(self) -> None:
        """The stored region is the enterprise's (also for bulk writes)."""
        self.region_id = self.enterprise.region_id if self.enterprise_id else None

    def save(self, *args, **kwargs):
        self.region_derive()
        super().save(*args, **kwargs)


def stored_region_field() -> models.ForeignKey:
    """The ``region`` column of an ``EnterpriseRegionStored`` model. Nullable only so that the column is added without
    rebuilding the table on SQLite (its migration fills it); no index of its own: the model's indexes start with it
    or hold it."""
    return models.ForeignKey(
        "crm.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,  # derived, never entered: validation leaves it to the enterprise
        editable=False,
        related_name="+",
        db_index=False,
    )


def choice_labels(field) -> dict | None:
    """``{value: label}`` of a field with fixed choices (the labels stay lazy: translated when shown), kept on the
    field until its choices are replaced; None for choices computed on each use (a callable)."""
    choices = field.choices
    if not isinstance(choices, list | tuple):
        return None
    cached = field.__dict__.get("_choice_labels")
    if cached is None or cached[0] is not choices:
        cached = (choices, {make_hashable(value): label for value, label in field.flatchoices})
        field._choice_labels = cached
    return cached[1]


class CodeSequence(models.Model):
    """Last number handed out per prefix and year; the row lock of the UPDATE serialises concurrent creators."""

    prefix = models.CharField(
        _("prefix"),
        max_length=8,
    )
    year = models.PositiveSmallIntegerField(
        _("year"),
    )
    last_value = models.PositiveIntegerField(
        _("last value"),
        default=0,
    )

    class Meta:
        verbose_name = _("code sequence")
        verbose_name_plural = _("code sequences")
        ordering = ["prefix", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["prefix", "year"],
                name="crm_codesequence_unique_prefix_year",
                violation_error_message=_("A sequence for this prefix and year exists already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_value}"


def code_next(*, prefix: str, year: int | None = None) -> str:
    """Return the next code such as ``ZF-2026-0001``; unique under concurrent creation."""
    year = year or timezone.localdate().year
    with transaction.atomic():
        updated = CodeSequence.objects.filter(prefix=prefix, year=year).update(last_value=F("last_value") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    CodeSequence.objects.create(prefix=prefix, year=year, last_value=1)
            except IntegrityError:
                # Another transaction created the row first; take the next value from it.
                CodeSequence.objects.filter(prefix=prefix, year=year).update(last_value=F("last_value") + 1)
        value = CodeSequence.objects.get(prefix=prefix, year=year).last_value
    return f"{prefix}-{year}-{value:04d}"


class AutoCodeMixin(models.Model):
    """Fills ``code`` from the sequence of ``CODE_PREFIX`` on first save."""

    CODE_PREFIX = ""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        editable=False,
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self.code:
            self.code = code_next(prefix=self.CODE_PREFIX)
        super().save(*args, **kwargs)

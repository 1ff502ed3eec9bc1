"""Abstract base and the concurrency-safe code sequence shared by every model module."""

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
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

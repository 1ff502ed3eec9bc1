"""Reference data keyed by code: regions (GB/T 2260), industry chains and qualifications."""

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.querysets import SmallTableQuerySet


class ReferenceModel(models.Model):
    code = models.CharField(
        _("code"),
        max_length=32,
        primary_key=True,
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
    )
    sort_order = models.PositiveSmallIntegerField(
        _("sort order"),
        default=0,
    )
    aliases = models.CharField(
        _("other names"),
        max_length=300,
        blank=True,
        help_text=_("Other spellings a spreadsheet may use (e.g. 经开区, 高企), separated by 、 or commas."),
    )

    objects = SmallTableQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    def alias_list(self) -> list[str]:
        """The other names, one per entry (separated by 、 , ， ; ； or line breaks)."""
        return [part.strip() for part in re.split(r"[、,，;；\n]+", self.aliases or "") if part.strip()]


class Region(ReferenceModel):
    """A county, district or functional zone of the city."""

    class Meta(ReferenceModel.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class IndustryChain(ReferenceModel):
    """One of the city's key industry chains ("7+3")."""

    class Meta(ReferenceModel.Meta):
        verbose_name = _("industry chain")
        verbose_name_plural = _("industry chains")


class Qualification(ReferenceModel):
    """An enterprise qualification such as 高新技术企业."""

    class Meta(ReferenceModel.Meta):
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

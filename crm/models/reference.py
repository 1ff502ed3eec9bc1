"""Reference data keyed by code: regions (GB/T 2260), industry chains and qualifications."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


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

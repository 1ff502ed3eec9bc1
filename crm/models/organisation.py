"""Bureaus, their departments and the users who work in them."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.choices import BureauLevel, Role
from crm.querysets import DepartmentQuerySet, department_is_assignable, department_is_kept


class Bureau(models.Model):
    """A science & technology bureau: the city bureau or a county/district bureau."""

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
    )
    level = models.CharField(
        _("level"),
        max_length=10,
        choices=BureauLevel.choices,
        default=BureauLevel.CITY,
    )
    region = models.ForeignKey(
        "crm.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="bureaus",
    )

    class Meta:
        verbose_name = _("bureau")
        verbose_name_plural = _("bureaus")
        ordering = ["level", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_city(self) -> bool:
        return self.level == BureauLevel.CITY


class Department(models.Model):
    """A division (处室) or unit of a bureau."""

    bureau = models.ForeignKey(
        Bureau,
        verbose_name=_("bureau"),
        on_delete=models.PROTECT,
        related_name="departments",
    )
    name = models.CharField(
        _("name"),
        max_length=100,
    )

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["bureau__level", "bureau__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "name"],
                name="crm_department_unique_name_per_bureau",
                violation_error_message=_("This bureau has a department of that name already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bureau.name}·{self.name}" if self.bureau_id else self.name

    def assignable_by(self, user) -> bool:
        """``Department.objects.assignable_by(user)`` for this department."""
        return department_is_assignable(self, user)

    def kept_by(self, user) -> bool:
        """``Department.objects.kept_by(user)`` for this department."""
        return department_is_kept(self, user)


class User(AbstractUser):
    """A bureau staff member; roles are the groups officer, manager, leader and admin."""

    name = models.CharField(
        _("full name"),
        max_length=50,
        blank=True,
    )
    bureau = models.ForeignKey(
        Bureau,
        verbose_name=_("bureau"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="users",
    )
    mobile = models.CharField(
        _("mobile"),
        max_length=20,
        blank=True,
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.label_of(self.name, self.first_name, self.last_name, self.username)

    @staticmethod
    def label_of(name: str, first_name: str, last_name: str, username: str) -> str:
        """How a person is named (``str(user)``): the name, else "first last", else the username; for lists that read
        these fields without building two hundred users."""
        return name or f"{first_name} {last_name}".strip() or username

    @property
    def roles(self) -> list[str]:
        # Cached per instance: scoping and permission checks ask for roles many times per request.
        if not hasattr(self, "_roles_cache"):
            names = {g.name for g in self.groups.all()}
            self._roles_cache = [r.value for r in Role if r.value in names]
        return self._roles_cache

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or any(r in self.roles for r in roles)

    @property
    def sees_everything(self) -> bool:
        """City-bureau users and superusers see the whole city (DESIGN §5)."""
        return self.is_superuser or bool(self.bureau_id and self.bureau.level == BureauLevel.CITY)

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

    # The fields ``str(user)`` reads, for callers that read values instead of instances (``staff_labels``).
    NAME_FIELDS = ("name", "first_name", "last_name", "username")

    def __str__(self) -> str:
        return self.shown_as(self.name, self.first_name, self.last_name, self.username)

    @staticmethod
    def shown_as(name: str, first_name: str, last_name: str, username: str) -> str:
        """How a person is shown, from the ``NAME_FIELDS``: the full name, else first + last name, else the login."""
        return name or f"{first_name} {last_name}".strip() or username

    @classmethod
    def name_fields_of(cls, relation: str) -> tuple[str, ...]:
        """The ``NAME_FIELDS`` of the person ``relation`` names (``"lead"``: ``lead__name``, …): what a row that
        shows that person by name reads of them (``only()``, ``values()``)."""
        return tuple(f"{relation}__{name}" for name in cls.NAME_FIELDS)

    @property
    def staff_label(self) -> str:
        """A person in a staff picker: the name and, for bureau staff, the bureau (张三（淮安市科学技术局）)."""
        return self._with_bureau(str(self), str(self.bureau) if self.bureau_id else None)

    @staticmethod
    def _with_bureau(shown: str, bureau: str | None) -> str:
        return shown if bureau is None else f"{shown}（{bureau}）"

    @classmethod
    def staff_labels(cls, queryset) -> list[tuple[int, str]]:
        """``(pk, staff_label)`` of the people of ``queryset``, in its order, read as values: a picker of two hundred
        people builds no User and Bureau instances. The same rule as ``staff_label`` (a bureau is shown by its
        ``__str__``, built once per bureau)."""
        rows = queryset.select_related(None).values_list("pk", *cls.NAME_FIELDS, "bureau_id", "bureau__name")
        bureaus: dict[int, str] = {}
        pairs = []
        for pk, name, first_name, last_name, username, bureau_id, bureau_name in rows:
            if bureau_id is not None and bureau_id not in bureaus:
                bureaus[bureau_id] = str(Bureau(pk=bureau_id, name=bureau_name))
            shown = cls.shown_as(name, first_name, last_name, username)
            pairs.append((pk, cls._with_bureau(shown, bureaus.get(bureau_id))))
        return pairs

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

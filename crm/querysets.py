"""Scoping of DESIGN §5: one ``visible_to(user)`` per model, the only way views, the API and exports read.

A city-bureau user (and a superuser) sees the whole city; a county-bureau user sees what lies in its
county (by the enterprise's or project's region) plus needs transferred to its bureau; a user without a
bureau sees nothing.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


def scope_region(user) -> tuple[bool, str | None]:
    """Return (sees_all, region_code) for a user; region_code is None when the user sees nothing."""
    if not user or not user.is_authenticated:
        return False, None
    if user.sees_everything:
        return True, None
    if not user.bureau_id:
        return False, None
    return False, user.bureau.region_id


class ScopedQuerySet(models.QuerySet):
    """Subclasses name the region lookups that put a row inside a county's scope."""

    region_lookups: tuple[str, ...] = ()

    def extra_scope(self, user) -> Q:
        return Q(pk__in=[])

    def visible_to(self, user):
        sees_all, region = scope_region(user)
        if sees_all:
            return self.all()
        if region is None:
            return self.none()
        condition = Q(pk__in=[])
        for lookup in self.region_lookups:
            condition |= Q(**{lookup: region})
        return self.filter(condition | self.extra_scope(user))


class EnterpriseQuerySet(ScopedQuerySet):
    region_lookups = ("region",)


class ContactQuerySet(ScopedQuerySet):
    region_lookups = ("enterprise__region",)


class ProjectQuerySet(ScopedQuerySet):
    region_lookups = ("region",)


class VisitQuerySet(ScopedQuerySet):
    region_lookups = ("enterprise__region",)


class NeedQuerySet(ScopedQuerySet):
    region_lookups = ("enterprise__region", "project__region")

    def extra_scope(self, user) -> Q:
        # Needs transferred to the user's bureau are visible there wherever the enterprise lies.
        return Q(bureau_id=user.bureau_id)

    def open(self):
        from crm.choices import OPEN_NEED_STATUSES

        return self.filter(status__in=OPEN_NEED_STATUSES)

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.open().filter(due_on__lt=today)


class NeedEventQuerySet(ScopedQuerySet):
    region_lookups = ("need__enterprise__region", "need__project__region")

    def extra_scope(self, user) -> Q:
        return Q(need__bureau_id=user.bureau_id)


class PolicyQuerySet(models.QuerySet):
    """The policy library is shared by every bureau of the city."""

    def visible_to(self, user):
        return self.all() if user and user.is_authenticated else self.none()

    def window_open(self, today=None):
        today = today or timezone.localdate()
        return self.filter(
            Q(is_active=True),
            Q(apply_from__isnull=True) | Q(apply_from__lte=today),
            Q(apply_until__isnull=True) | Q(apply_until__gte=today),
        )


class PolicyMatchQuerySet(ScopedQuerySet):
    region_lookups = ("enterprise__region",)


class OfferingQuerySet(models.QuerySet):
    """The resource list is shared: county bureaus draw on the city departments' offerings too."""

    def visible_to(self, user):
        return self.all() if user and user.is_authenticated else self.none()


class ActionItemQuerySet(ScopedQuerySet):
    region_lookups = ("enterprise__region", "project__region")

    def extra_scope(self, user) -> Q:
        return Q(owner_id=user.pk) | Q(need__bureau_id=user.bureau_id)

    def overdue(self, today=None):
        from crm.choices import ActionStatus

        today = today or timezone.localdate()
        return self.filter(status__in=[ActionStatus.PLANNED, ActionStatus.IN_PROGRESS], due_on__lt=today)

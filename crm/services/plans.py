"""Visit plans (走访计划, DESIGN §11.1): created by hand or from a visit's ``next_visit_on``, fulfilled by a later
visit, cancelled with a reason; and the personal calendar feed key of each user."""

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.choices import PlanStatus
from crm.models import CalendarKey, Enterprise, User, Visit, VisitPlan
from crm.permissions import can_create, can_edit

FULFIL_DAYS = 7  # a visit within this many days of a plan's date (before or after) fulfils it


def _people_check(*, user, enterprise) -> None:
    if enterprise is None:
        raise ValidationError({"enterprise": [_("This field is required.")]})
    if not Enterprise.objects.visible_to(user).filter(pk=enterprise.pk).exists():
        raise ValidationError({"enterprise": [_("Select an enterprise in your scope.")]})


@transaction.atomic
def visit_plan_create(
    *,
    user,
    enterprise: Enterprise,
    planned_on: dt.date,
    lead: User | None = None,
    officers: Iterable[User] | None = None,
    purpose: str = "",
    source_visit: Visit | None = None,
) -> VisitPlan:
    """Plan a visit; its officers default to the planner."""
    if not can_create(user, VisitPlan):
        raise PermissionDenied(_("Your role does not allow planning visits."))
    _people_check(user=user, enterprise=enterprise)
    plan = VisitPlan(
        enterprise=enterprise,
        planned_on=planned_on,
        lead=lead,
        purpose=(purpose or "").strip(),
        source_visit=source_visit,
        created_by=user,
    )
    plan.full_clean()
    plan._history_user = user
    plan.save()
    plan.officers.set(list(officers or []) or [user])
    return plan


@transaction.atomic
def visit_plan_update(*, plan: VisitPlan, user, officers: Iterable[User] | None = None, **fields) -> VisitPlan:
    """Move or re-staff an open plan (date, lead, purpose, officers)."""
    if not can_edit(user, plan):
        raise PermissionDenied(_("Your role does not allow changing this plan."))
    if plan.status != PlanStatus.PLANNED:
        raise ValidationError(_("Only a planned visit can be changed."))
    unknown = set(fields) - {"planned_on", "lead", "purpose", "enterprise"}
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(plan, name, value.strip() if isinstance(value, str) else value)
    _people_check(user=user, enterprise=plan.enterprise)
    plan.full_clean()
    plan._history_user = user
    plan.save()
    if officers is not None:
        plan.officers.set(list(officers))
    return plan


@transaction.atomic
def visit_plan_cancel(*, plan: VisitPlan, user, reason: str = "") -> VisitPlan:
    """Cancel an open plan; the reason is required."""
    if not can_edit(user, plan):
        raise PermissionDenied(_("Your role does not allow changing this plan."))
    if plan.status != PlanStatus.PLANNED:
        raise ValidationError(_("Only a planned visit can be cancelled."))
    plan.status = PlanStatus.CANCELLED
    plan.cancel_reason = (reason or "").strip()
    plan.full_clean()
    plan._history_user = user
    plan.save()
    return plan


def visit_plan_fulfil(*, visit: Visit) -> VisitPlan | None:
    """The oldest open plan of the visit's enterprise dated within ``FULFIL_DAYS`` of the visit, whose lead or
    one of whose officers is the visit's lead or one of its officers, becomes done with this visit."""
    people = set(visit.officers.values_list("pk", flat=True))
    if visit.lead_id:
        people.add(visit.lead_id)
    if not people:
        return None
    window = dt.timedelta(days=FULFIL_DAYS)
    plan = (
        VisitPlan.objects.select_for_update(of=("self",))  # PostgreSQL: not the outer-joined officers
        .filter(
            enterprise_id=visit.enterprise_id,
            status=PlanStatus.PLANNED,
            planned_on__gte=visit.visited_on - window,
            planned_on__lte=visit.visited_on + window,
        )
        .filter(Q(lead_id__in=people) | Q(officers__in=people))
        .exclude(source_visit=visit)
        .order_by("planned_on", "id")
        .first()
    )
    if plan is None:
        return None
    plan.status = PlanStatus.DONE
    plan.visit = visit
    plan._history_user = visit.created_by
    plan.save(update_fields=["status", "visit", "updated_at"])
    return plan


def visit_plans_from_visit(*, visit: Visit, user, fulfil: bool = True) -> tuple[VisitPlan | None, VisitPlan | None]:
    """After a visit is saved: fulfil a plan (``visit_plan_fulfil``) and plan the next visit from ``next_visit_on``
    (same lead and officers), unless the visit planned one for that date already."""
    fulfilled = visit_plan_fulfil(visit=visit) if fulfil else None
    planned = None
    if visit.next_visit_on and not visit.next_plans.filter(planned_on=visit.next_visit_on).exists():
        planned = VisitPlan(
            enterprise_id=visit.enterprise_id,
            planned_on=visit.next_visit_on,
            lead_id=visit.lead_id,
            purpose=_("Next visit planned in %(code)s") % {"code": visit.code},
            source_visit=visit,
            created_by=user,
        )
        planned.full_clean()
        planned._history_user = user
        planned.save()
        planned.officers.set(visit.officers.all())
    return fulfilled, planned


# ---------------------------------------------------------------------------------------------- calendar key


def calendar_key_hash(key: str) -> str:
    return hashlib.sha256((key or "").encode()).hexdigest()


@transaction.atomic
def calendar_key_regenerate(*, user) -> str:
    """Give the user a new feed key (the old one stops working); returns the key, shown once."""
    key = secrets.token_urlsafe(24)
    CalendarKey.objects.update_or_create(user=user, defaults={"key_hash": calendar_key_hash(key)})
    return key


@transaction.atomic
def calendar_key_revoke(*, user) -> None:
    CalendarKey.objects.filter(user=user).delete()

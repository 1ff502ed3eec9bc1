"""Writes of the growth programmes (DESIGN §11.7).

- Yearly figures: ``enterprise_year_save`` creates or updates one (enterprise, year); afterwards
  ``enterprise_figures_sync`` copies the latest year's figures onto the enterprise. That is the one rule of
  "the enterprise's current figures are its latest year's": the enterprise's ``revenue``, ``rd_expense``,
  ``employees`` and ``rd_staff`` take, field by field, the value of its latest year that gives one (a year
  without a value leaves the field to the year before). Matching, the lists and the exports read the
  enterprise's fields, so they follow the latest year unchanged. The import of ``enterprise-years`` calls the
  same sync for the enterprises it touched.
- Cultivation: ``cultivation_create``, ``cultivation_move`` (a stage change; reaching ``certified`` adds or
  renews the enterprise's qualification through ``enterprise_set_qualifications``), ``cultivation_target_save``.
- Project milestones and monthly progress: ``project_milestone_save`` checks the order of the dates and then
  ``project_stage_sync`` sets the project's ``stage`` from the furthest milestone reached.
- Commissioners: ``commissioner_save``, ``commissioner_assignment_save``, ``service_log_create``.
- Reminders of ``send_reminders``: qualification expiry (180/90/30 days), the 高企 annual report in May,
  overdue milestones; each once per threshold through the notice's ``dedupe_key``.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from crm.choices import CultivationStage, MilestoneKind, NotificationKind, ProjectStage
from crm.models import (
    Commissioner,
    CommissionerAssignment,
    Cultivation,
    CultivationTarget,
    Enterprise,
    EnterpriseQualification,
    EnterpriseYear,
    Project,
    ProjectMilestone,
    ProjectProgress,
    ServiceLog,
    User,
)
from crm.querysets import key_chunks
from crm.services.enterprises import enterprise_set_qualifications, region_check
from crm.services.notifications import Notice, notifications_send_many

# ---------------------------------------------------------------------------------------------------------
# Yearly figures
# ---------------------------------------------------------------------------------------------------------

# Enterprise field ← the same field of its latest year (DESIGN §11.7: the current figures are the latest year's).
CURRENT_FIGURES = ("revenue", "rd_expense", "employees", "rd_staff")
YEAR_FIELDS = (
    "revenue",
    "rd_expense",
    "employees",
    "rd_staff",
    "total_assets",
    "high_tech_revenue",
    "invention_patents",
    "other_ip",
)


def enterprise_figures_sync(*, enterprise_ids: Iterable[int]) -> int:
    """Copy each enterprise's latest-year figures onto it (one UPDATE); an enterprise without years keeps its own.

    Per field, the latest year with a value wins, so a new year that gives only the revenue does not empty the
    staff numbers. Returns the number of enterprises updated."""
    ids = sorted({pk for pk in enterprise_ids if pk is not None})
    if not ids:
        return 0
    updates = {}
    for name in CURRENT_FIGURES:
        latest = (
            EnterpriseYear.objects.filter(enterprise=OuterRef("pk"), **{f"{name}__isnull": False})
            .order_by("-year")
            .values(name)[:1]
        )
        updates[name] = Coalesce(Subquery(latest), F(name))
    updated = 0
    for chunk in key_chunks(ids):
        updated += Enterprise.objects.filter(pk__in=chunk).update(**updates, updated_at=timezone.now())
    return updated


@transaction.atomic
def enterprise_year_save(
    *, user: User | None, enterprise: Enterprise, year: int, data: Mapping[str, Any]
) -> EnterpriseYear:
    """Create or update the figures of (enterprise, year); then the enterprise's current figures follow."""
    record = EnterpriseYear.objects.filter(enterprise=enterprise, year=year).first()
    if record is None:
        record = EnterpriseYear(enterprise=enterprise, year=year, created_by=user)
    for name, value in data.items():
        if name not in YEAR_FIELDS:
            raise ValidationError({name: _("Unknown figure.")})
        setattr(record, name, value)
    record.full_clean()
    record.save()
    enterprise_figures_sync(enterprise_ids=[enterprise.pk])
    enterprise.refresh_from_db(fields=list(CURRENT_FIGURES) + ["updated_at"])
    return record


@transaction.atomic
def enterprise_year_update(*, user: User | None, record: EnterpriseYear, data: Mapping[str, Any]) -> EnterpriseYear:
    """Change the figures of one stored year (the year and the enterprise stay)."""
    data = {k: v for k, v in data.items() if k not in ("enterprise", "year")}
    return enterprise_year_save(user=user, enterprise=record.enterprise, year=record.year, data=data)


@transaction.atomic
def enterprise_year_delete(*, user: User | None, record: EnterpriseYear) -> None:
    """Delete a year entered by mistake; the current figures fall back to the year before (if any)."""
    enterprise_id = record.enterprise_id
    record.delete()
    enterprise_figures_sync(enterprise_ids=[enterprise_id])


# ---------------------------------------------------------------------------------------------------------
# Cultivation
# ---------------------------------------------------------------------------------------------------------

# How long a qualification lasts from its certification (高企 3 years; a 科小 registration 1 year).
VALIDITY_YEARS = {"hnte": 3, "tsme": 1, "srdi": 3, "little-giant": 3, "innovative-sme": 3}
DEFAULT_VALIDITY_YEARS = 3


def qualification_expiry(*, programme_code: str, certified_on: dt.date) -> dt.date:
    """The last valid day of a qualification certified on ``certified_on``."""
    years = VALIDITY_YEARS.get(programme_code, DEFAULT_VALIDITY_YEARS)
    try:
        anniversary = certified_on.replace(year=certified_on.year + years)
    except ValueError:  # 29 February
        anniversary = certified_on.replace(year=certified_on.year + years, day=28)
    return anniversary - dt.timedelta(days=1)


def _scope_check(*, user: User | None, enterprise: Enterprise) -> None:
    if user is not None and not Enterprise.objects.visible_to(user).filter(pk=enterprise.pk).exists():
        raise ValidationError({"enterprise": _("This enterprise is not in your area.")})


@transaction.atomic
def cultivation_create(*, user: User | None, data: Mapping[str, Any]) -> Cultivation:
    """Put an enterprise in a year's pool of a programme (at ``candidate`` unless a stage is given)."""
    cultivation = Cultivation(**data)
    cultivation.created_by = user
    if cultivation.enterprise_id:
        _scope_check(user=user, enterprise=cultivation.enterprise)
    cultivation.full_clean()
    cultivation.save()
    if cultivation.stage == CultivationStage.CERTIFIED:
        qualification_certify(cultivation=cultivation)
    return cultivation


@transaction.atomic
def cultivation_update(*, user: User | None, cultivation: Cultivation, data: Mapping[str, Any]) -> Cultivation:
    """Change the officer, next step, notes or stage (a stage change as ``cultivation_move``)."""
    data = dict(data)
    stage = data.pop("stage", None)
    for name in ("enterprise", "year", "programme"):
        data.pop(name, None)  # a card stays the same (enterprise, year, programme); make a new one otherwise
    for name, value in data.items():
        setattr(cultivation, name, value)
    cultivation.full_clean()
    cultivation.save()
    if stage and stage != cultivation.stage:
        cultivation = cultivation_move(user=user, cultivation=cultivation, stage=stage)
    return cultivation


@transaction.atomic
def cultivation_move(
    *,
    user: User | None,
    cultivation: Cultivation,
    stage: str,
    certified_on: dt.date | None = None,
    certificate_no: str = "",
    next_step_on: dt.date | None = None,
    notes: str | None = None,
) -> Cultivation:
    """Move a card to ``stage``. Reaching ``certified`` adds the qualification to the enterprise or renews it
    (new certification and expiry dates, the certificate number when given)."""
    if stage not in CultivationStage.values:
        raise ValidationError({"stage": _("Unknown stage.")})
    cultivation = Cultivation.objects.select_for_update().get(pk=cultivation.pk)
    cultivation.stage = stage
    if next_step_on is not None:
        cultivation.next_step_on = next_step_on
    if notes is not None:
        cultivation.notes = notes
    cultivation.full_clean()
    cultivation.save()
    if stage == CultivationStage.CERTIFIED:
        qualification_certify(cultivation=cultivation, certified_on=certified_on, certificate_no=certificate_no)
    return cultivation


def qualification_certify(
    *, cultivation: Cultivation, certified_on: dt.date | None = None, certificate_no: str = ""
) -> EnterpriseQualification:
    """Add or renew the enterprise's qualification of the cultivation's programme (through the enterprise
    service, so the certificate dates are checked as on the enterprise form)."""
    certified_on = certified_on or timezone.localdate()
    enterprise = cultivation.enterprise
    held = list(enterprise.enterprise_qualifications.values_list("qualification_id", flat=True))
    renewed = {
        "qualification": cultivation.programme_id,
        "certified_on": certified_on,
        "expires_on": qualification_expiry(programme_code=cultivation.programme_id, certified_on=certified_on),
    }
    if certificate_no:
        renewed["certificate_no"] = certificate_no
    others = [code for code in held if code != cultivation.programme_id]
    enterprise_set_qualifications(enterprise=enterprise, qualifications=[*others, renewed])
    return EnterpriseQualification.objects.get(enterprise=enterprise, qualification_id=cultivation.programme_id)


@transaction.atomic
def cultivation_target_save(*, user: User | None, bureau, year: int, programme, target: int) -> CultivationTarget:
    """Set a bureau's target of a programme for a year (create or change)."""
    record = CultivationTarget.objects.filter(bureau=bureau, year=year, programme=programme).first()
    if record is None:
        record = CultivationTarget(bureau=bureau, year=year, programme=programme)
    record.target = target
    record.full_clean()
    record.save()
    return record


# ---------------------------------------------------------------------------------------------------------
# Project milestones and progress
# ---------------------------------------------------------------------------------------------------------

MILESTONE_ORDER = list(MilestoneKind.values)
STAGE_BY_MILESTONE = {
    MilestoneKind.SIGNED: ProjectStage.SIGNED,
    MilestoneKind.STARTED: ProjectStage.UNDER_CONSTRUCTION,
    MilestoneKind.COMPLETED: ProjectStage.COMPLETED,
    MilestoneKind.IN_PRODUCTION: ProjectStage.IN_PRODUCTION,
}


def _order_check(milestones: list[ProjectMilestone]) -> None:
    """Planned dates, and actual dates, follow 签约 → 开工 → 竣工 → 投产 (equal dates allowed)."""
    ordered = sorted(milestones, key=lambda m: MILESTONE_ORDER.index(m.kind))
    for field in ("planned_on", "actual_on"):
        dated = [m for m in ordered if getattr(m, field)]
        for earlier, later in zip(dated, dated[1:], strict=False):
            if getattr(later, field) < getattr(earlier, field):
                raise ValidationError(
                    {
                        field: _("%(later)s (%(later_on)s) cannot come before %(earlier)s (%(earlier_on)s).")
                        % {
                            "later": later.get_kind_display(),
                            "later_on": getattr(later, field),
                            "earlier": earlier.get_kind_display(),
                            "earlier_on": getattr(earlier, field),
                        }
                    }
                )


def project_stage_sync(*, project: Project) -> Project:
    """The project's stage is that of its furthest milestone reached (an actual date); without any reached
    milestone the stage is left as it is (洽谈 until signed)."""
    reached = set(project.milestones.filter(actual_on__isnull=False).values_list("kind", flat=True))
    furthest = [kind for kind in MILESTONE_ORDER if kind in reached]
    if furthest:
        stage = STAGE_BY_MILESTONE[furthest[-1]]
        if project.stage != stage:
            project.stage = stage
            project.save(update_fields=["stage", "updated_at"])
    return project


@transaction.atomic
def project_milestone_save(
    *,
    user: User | None,
    project: Project,
    kind: str,
    planned_on: dt.date | None = None,
    actual_on: dt.date | None = None,
) -> ProjectMilestone:
    """Set the planned and actual date of one milestone; the project's stage follows."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    milestones = {m.kind: m for m in project.milestones.all()}
    record = milestones.get(kind) or ProjectMilestone(project=project, kind=kind, created_by=user)
    record.planned_on = planned_on
    record.actual_on = actual_on
    record.full_clean(validate_unique=False)
    milestones[kind] = record
    _order_check(list(milestones.values()))
    record.save()
    project_stage_sync(project=project)
    return record


@transaction.atomic
def project_milestones_save(*, user: User | None, project: Project, rows: Mapping[str, Mapping[str, Any]]) -> None:
    """Save several milestones at once (the project page's form): ``{kind: {"planned_on", "actual_on"}}``.
    The order check sees all the new dates together, so moving a whole schedule later works in one step."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    milestones = {m.kind: m for m in project.milestones.all()}
    changed = []
    for kind, values in rows.items():
        if kind not in MilestoneKind.values:
            raise ValidationError({"kind": _("Unknown milestone.")})
        record = milestones.get(kind) or ProjectMilestone(project=project, kind=kind, created_by=user)
        if not record.pk and not values.get("planned_on") and not values.get("actual_on"):
            continue
        record.planned_on = values.get("planned_on")
        record.actual_on = values.get("actual_on")
        record.full_clean(validate_unique=False)
        milestones[kind] = record
        changed.append(record)
    _order_check(list(milestones.values()))
    for record in changed:
        record.save()
    project_stage_sync(project=project)


@transaction.atomic
def project_progress_save(*, user: User | None, project: Project, data: Mapping[str, Any]) -> ProjectProgress:
    """Record (or correct) a month's report; ``month`` is stored as the month's first day."""
    data = dict(data)
    month = data.pop("month", None)
    if month is None:
        raise ValidationError({"month": _("Give the month reported.")})
    month = month.replace(day=1)
    record = ProjectProgress.objects.filter(project=project, month=month).first()
    if record is None:
        record = ProjectProgress(project=project, month=month, created_by=user)
    for name in ("investment_month", "investment_total", "blockers"):
        if name in data:
            setattr(record, name, data[name])
    record.reported_by = user
    record.full_clean()
    record.save()
    return record


# ---------------------------------------------------------------------------------------------------------
# Commissioners (科技特派员)
# ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def commissioner_save(*, user: User | None, data: Mapping[str, Any], commissioner: Commissioner | None = None):
    """Create (owned by the user's bureau) or change a commissioner."""
    if commissioner is None:
        commissioner = Commissioner(created_by=user, bureau_id=getattr(user, "bureau_id", None))
    for name, value in data.items():
        setattr(commissioner, name, value)
    commissioner.full_clean()
    commissioner.save()
    return commissioner


@transaction.atomic
def commissioner_assignment_save(
    *, user: User | None, data: Mapping[str, Any], assignment: CommissionerAssignment | None = None
) -> CommissionerAssignment:
    """Pair a commissioner with an enterprise of the user's area (or change the pairing's term and goals)."""
    if assignment is None:
        assignment = CommissionerAssignment(created_by=user)
    for name, value in data.items():
        setattr(assignment, name, value)
    if assignment.enterprise_id:
        _scope_check(user=user, enterprise=assignment.enterprise)
        if user is not None:
            region_check(user=user, region=assignment.enterprise.region_id)
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def service_log_create(*, user: User | None, data: Mapping[str, Any]) -> ServiceLog:
    """Log a commissioner's service day(s) at an enterprise; the date lies within the assignment's term."""
    log = ServiceLog(created_by=user, **data)
    log.full_clean()
    assignment = log.assignment
    if log.served_on < assignment.starts_on or (assignment.ends_on and log.served_on > assignment.ends_on):
        raise ValidationError({"served_on": _("The service date lies outside the assignment's term.")})
    log.save()
    return log


# ---------------------------------------------------------------------------------------------------------
# Reminders (send_reminders)
# ---------------------------------------------------------------------------------------------------------

EXPIRY_THRESHOLDS = (180, 90, 30)
ANNUAL_REPORT_MONTH = 5
ANNUAL_REPORT_PROGRAMME = "hnte"


def expiry_threshold(days_left: int) -> int | None:
    """The threshold a qualification with ``days_left`` days to go has crossed last (the smallest of 180/90/30
    that is ≥ ``days_left``); None beyond 180 days or when expired."""
    if days_left < 0:
        return None
    crossed = [t for t in EXPIRY_THRESHOLDS if days_left <= t]
    return min(crossed) if crossed else None


def _liaison_people(enterprises) -> dict[int, list[User]]:
    through = Enterprise.liaison_officers.through
    rows = through.objects.filter(enterprise_id__in=[e.pk for e in enterprises], user__is_active=True).select_related(
        "user"
    )
    people: dict[int, list[User]] = {}
    for row in rows:
        people.setdefault(row.enterprise_id, []).append(row.user)
    return people


def qualification_reminders_send(*, today: dt.date | None = None) -> int:
    """Tell the liaison officers 180, 90 and 30 days before an enterprise qualification expires: one notice per
    (qualification, expiry date, threshold) — a run that missed a day catches up with the threshold crossed
    last, never with the ones before it."""
    today = today or timezone.localdate()
    held = EnterpriseQualification.objects.filter(
        expires_on__gte=today, expires_on__lte=today + dt.timedelta(days=max(EXPIRY_THRESHOLDS))
    ).select_related("enterprise", "qualification")
    held = list(held)
    if not held:
        return 0
    people = _liaison_people([eq.enterprise for eq in held])
    with override(settings.LANGUAGE_CODE):
        template = _now(
            "%(qualification)s of %(enterprise)s expires on %(date)s (%(days)d days left): plan the renewal."
        )
    notices = []
    for eq in held:
        days_left = (eq.expires_on - today).days
        threshold = expiry_threshold(days_left)
        if threshold is None:
            continue
        text = template % {
            "qualification": eq.qualification.name,
            "enterprise": eq.enterprise.name,
            "date": eq.expires_on.isoformat(),
            "days": days_left,
        }
        key = f"qualexp:{eq.pk}:{eq.expires_on:%Y%m%d}:{threshold}"
        notices += [
            Notice(recipient=u, kind=NotificationKind.QUALIFICATION, text=text, dedupe_key=key)
            for u in people.get(eq.enterprise_id, [])
        ]
    return len(notifications_send_many(notices=notices))


def annual_report_reminders_send(*, today: dt.date | None = None) -> int:
    """In May, remind the liaison officers of every valid 高企 to file its annual report (年度发展情况报表) by the
    end of the month; once per enterprise and year."""
    today = today or timezone.localdate()
    if today.month != ANNUAL_REPORT_MONTH:
        return 0
    held = list(
        EnterpriseQualification.objects.filter(qualification_id=ANNUAL_REPORT_PROGRAMME)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .select_related("enterprise", "qualification")
    )
    if not held:
        return 0
    people = _liaison_people([eq.enterprise for eq in held])
    deadline = dt.date(today.year, ANNUAL_REPORT_MONTH, 31)
    with override(settings.LANGUAGE_CODE):
        template = _now("%(enterprise)s holds %(qualification)s: its annual report is due by %(date)s.")
    notices = []
    for eq in held:
        text = template % {
            "enterprise": eq.enterprise.name,
            "qualification": eq.qualification.name,
            "date": deadline.isoformat(),
        }
        key = f"hnte-report:{eq.enterprise_id}:{today.year}"
        notices += [
            Notice(recipient=u, kind=NotificationKind.QUALIFICATION, text=text, dedupe_key=key)
            for u in people.get(eq.enterprise_id, [])
        ]
    return len(notifications_send_many(notices=notices))


def milestone_reminders_send(*, today: dt.date | None = None) -> int:
    """An active project's milestone not reached by its planned date: its liaison officers (and leader) are told
    once per (milestone, planned date) — a new planned date is a new reminder."""
    today = today or timezone.localdate()
    overdue = list(
        ProjectMilestone.objects.filter(actual_on__isnull=True, planned_on__lt=today, project__status="active")
        .select_related("project", "project__liaison_leader")
        .prefetch_related("project__liaison_officers")
    )
    with override(settings.LANGUAGE_CODE):
        template = _now("%(project)s: %(milestone)s was planned for %(date)s and is not reached yet.")
        labels = {kind: str(label) for kind, label in MilestoneKind.choices}
    notices = []
    for milestone in overdue:
        project = milestone.project
        people = {u.pk: u for u in project.liaison_officers.all() if u.is_active}
        if project.liaison_leader is not None and project.liaison_leader.is_active:
            people[project.liaison_leader.pk] = project.liaison_leader
        text = template % {
            "project": project.name,
            "milestone": labels[milestone.kind],
            "date": milestone.planned_on.isoformat(),
        }
        key = f"milestone:{milestone.pk}:{milestone.planned_on:%Y%m%d}"
        notices += [
            Notice(recipient=u, kind=NotificationKind.MILESTONE, text=text, dedupe_key=key) for u in people.values()
        ]
    return len(notifications_send_many(notices=notices))

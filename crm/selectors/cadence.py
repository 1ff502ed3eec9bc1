"""Visit cadence (DESIGN §11.1): for every (enterprise, liaison person) in scope, how many visits the period asks
for, how many were made, and the status ``met`` / ``due`` / ``missed``, in one SQL query per role.

Rows come from the enterprise's liaison officers (role ``officer``) and its liaison leader (role ``leader``)
of linked or assisted operating enterprises (an enterprise that is both follows the assisted rule). The rule is
the enterprise's bureau's ``CadenceRule`` for (tier, role), else the defaults of §11.1 (``CADENCE_DEFAULTS``):
the few rule rows are read first; each distinct rule becomes one part of a UNION ALL with constant dates.
A visit counts for a person when they are its lead or one of its officers and
its kind is among the rule's kinds; an activity with ``counts_as_visit`` counts as a ``meeting`` visit of each
participant for its lead and officers. ``missed``: the previous period ended unmet and the current one is not
met yet. Everything is an annotation or a correlated subquery (the rules: 1 query per role, the rows: 1 query):
nothing loops over enterprises in Python.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.choices import CadencePeriod, CadenceRole, CadenceStatus, CadenceTier, EnterpriseStatus, VisitKind
from crm.models import Activity, ActivityParticipant, CadenceRule, Enterprise, Visit
from crm.models.routine import CADENCE_DEFAULT_KINDS, CADENCE_DEFAULTS

REMIND_DAYS = 7  # "N days left" notices and the red marking on the 工作台 start this many days before the end


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        if self.kind == CadencePeriod.MONTH:
            return f"{self.start:%Y-%m}"
        return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _from_index(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def period_of(kind: str, day: dt.date) -> Period:
    """The month or calendar quarter holding ``day``."""
    months = 1 if kind == CadencePeriod.MONTH else 3
    first = _month_index(day) - (_month_index(day) % months)
    return Period(kind, _from_index(first), _from_index(first + months) - dt.timedelta(days=1))


def period_previous(period: Period) -> Period:
    return period_of(period.kind, period.start - dt.timedelta(days=1))


def _count(queryset):
    counted = queryset.order_by().annotate(_n=Func(F("pk"), function="COUNT")).values("_n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _done(*, kinds: tuple[str, ...], start: dt.date, end: dt.date):
    """Visits (of ``kinds``) + counted activities (when ``meeting`` counts) of the row's enterprise by the row's
    person between two dates: correlated counts on the enterprise's visit index, dates and kinds constant."""
    person = OuterRef("c_person")
    officer_of_visit = Visit.officers.through.objects.filter(visit_id=OuterRef("pk"), user_id=OuterRef(person))
    visits = Visit.objects.filter(
        enterprise_id=OuterRef("c_enterprise"), visited_on__gte=start, visited_on__lte=end, kind__in=kinds
    ).filter(Q(lead_id=person) | Exists(officer_of_visit))
    done = _count(visits)
    if VisitKind.MEETING in kinds:
        activity_officer = Activity.officers.through.objects.filter(
            activity_id=OuterRef("activity_id"), user_id=OuterRef(person)
        )
        activities = ActivityParticipant.objects.filter(
            enterprise_id=OuterRef("c_enterprise"),
            activity__counts_as_visit=True,
            activity__held_on__gte=start,
            activity__held_on__lte=end,
        ).filter(Q(activity__lead_id=person) | Exists(activity_officer))
        done = done + _count(activities)
    return done


@dataclass(frozen=True)
class Rule:
    period: str
    required: int
    kinds: tuple[str, ...]


def _rules(role: str) -> tuple[dict[tuple[int, str], Rule], dict[str, Rule]]:
    """The bureaus' rules of ``role`` by (bureau id, tier) (a handful of rows, read once) and the §11.1 defaults
    by tier for bureaus without rows."""
    rules = {
        (r.bureau_id, r.tier): Rule(r.period, r.min_visits, tuple(r.kinds or CADENCE_DEFAULT_KINDS))
        for r in CadenceRule.objects.filter(role=role)
    }
    defaults = {
        tier: Rule(period, required, tuple(CADENCE_DEFAULT_KINDS))
        for (tier, rule_role), (period, required) in CADENCE_DEFAULTS.items()
        if rule_role == role
    }
    return rules, defaults


def _rule_groups(role: str) -> dict[Rule, Q]:
    """Each distinct rule of ``role`` with the condition (on ``c_bureau`` and ``c_assisted``) of the rows it
    governs: the bureaus' own rows, and the tier's default for bureaus without one. Usually one group per tier."""
    rules, defaults = _rules(role)
    groups: dict[Rule, Q] = {}
    for tier, default in defaults.items():
        assisted = tier == CadenceTier.ASSISTED
        own = sorted(bureau for bureau, rule_tier in rules if rule_tier == tier)
        for bureau in own:
            rule = rules[(bureau, tier)]
            groups[rule] = groups.get(rule, Q(pk__in=[])) | Q(c_assisted=assisted, c_bureau=bureau)
        rest = Q(c_assisted=assisted) & (Q(c_bureau__isnull=True) | ~Q(c_bureau__in=own) if own else Q())
        groups[default] = groups.get(default, Q(pk__in=[])) | rest
    return groups


def _rows(base, *, role: str, today: dt.date) -> list:
    """Annotate base rows (``c_enterprise``, ``c_person``, ``c_name``, ``c_bureau``, ``c_assisted``) of one role,
    one queryset per distinct rule (a handful), with the rule's constants (period, required visits, dates) and the
    visits done this and last period (correlated counts with constant dates and kinds). Every part annotates in
    the same order, so the columns of their union line up."""
    parts = []
    for rule, condition in _rule_groups(role).items():
        window = period_of(rule.period, today)
        previous = period_previous(window)
        part = base.filter(condition).annotate(
            c_role=Value(role, output_field=CharField()),
            c_tier=Case(
                When(c_assisted=True, then=Value(CadenceTier.ASSISTED)),
                default=Value(CadenceTier.LINKED),
                output_field=CharField(),
            ),
            c_period=Value(rule.period, output_field=CharField()),
            c_required=Value(rule.required, output_field=IntegerField()),
            c_start=Value(window.start, output_field=DateField()),
            c_due_by=Value(window.end, output_field=DateField()),
            c_done=_done(kinds=rule.kinds, start=window.start, end=today),
            c_previous_done=_done(kinds=rule.kinds, start=previous.start, end=previous.end),
        )
        parts.append(part)
    return parts


def _status_q(status: str) -> Q:
    met = Q(c_done__gte=F("c_required"))
    if status == CadenceStatus.MET:
        return met
    missed = Q(c_previous_done__lt=F("c_required"))
    return ~met & (missed if status == CadenceStatus.MISSED else ~missed)


# Row keys ← the annotations (an annotation cannot take the name of a model field such as ``status``).
FIELDS = {
    "enterprise_id": "c_enterprise",
    "enterprise_name": "c_name",
    "person_id": "c_person",
    "role": "c_role",
    "tier": "c_tier",
    "period": "c_period",
    "period_start": "c_start",
    "required": "c_required",
    "done": "c_done",
    "previous_done": "c_previous_done",
    "due_by": "c_due_by",
}


def _targets(user):
    """Linked or assisted operating enterprises in ``user``'s scope (every one for ``user=None``: commands)."""
    enterprises = Enterprise.objects.all() if user is None else Enterprise.objects.visible_to(user)
    return enterprises.filter(Q(is_linked=True) | Q(is_assisted=True), status=EnterpriseStatus.OPERATING)


def cadence_query(
    *,
    user,
    person=None,
    status: str | None = None,
    role: str | None = None,
    region: str | None = None,
    today: dt.date | None = None,
):
    """The cadence of every (enterprise, liaison person) in ``user``'s scope as a queryset of value rows whose
    keys are ``FIELDS``' annotations (``cadence_row`` renames them): a union of the officers' and the leaders'
    rows, ordered by ``due_by``, enterprise name and person. Slice it to paginate."""
    today = today or timezone.localdate()
    targets = _targets(user)
    if region:
        targets = targets.filter(region_id=region)
    person_id = getattr(person, "pk", person)
    parts = []
    if role in (None, "", CadenceRole.OFFICER):
        through = Enterprise.liaison_officers.through.objects.filter(enterprise_id__in=targets.values("pk"))
        if person_id is not None:
            through = through.filter(user_id=person_id)
        base = through.annotate(
            c_enterprise=F("enterprise_id"),
            c_person=F("user_id"),
            c_name=F("enterprise__name"),
            c_bureau=F("enterprise__bureau_id"),
            c_assisted=F("enterprise__is_assisted"),
        )
        parts += _rows(base, role=CadenceRole.OFFICER, today=today)
    if role in (None, "", CadenceRole.LEADER):
        leaders = targets.filter(liaison_leader__isnull=False)
        if person_id is not None:
            leaders = leaders.filter(liaison_leader_id=person_id)
        base = leaders.annotate(
            c_enterprise=F("pk"),
            c_person=F("liaison_leader_id"),
            c_name=F("name"),
            c_bureau=F("bureau_id"),
            c_assisted=F("is_assisted"),
        )
        parts += _rows(base, role=CadenceRole.LEADER, today=today)
    if status:
        parts = [p.filter(_status_q(status)) for p in parts]
    parts = [p.order_by().values(*FIELDS.values()) for p in parts]
    query = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)
    return query.order_by("c_due_by", "c_name", "c_person")


def cadence_row(values: dict, *, today: dt.date | None = None) -> dict:
    """One fetched row with the public keys plus ``remaining``, ``days_left``, ``urgent`` (missed, or due with
    at most ``REMIND_DAYS`` days left) and ``period_label`` (``2026-12``, ``2026Q4``)."""
    today = today or timezone.localdate()
    row = {key: values[column] for key, column in FIELDS.items()}
    for key in ("period_start", "due_by"):
        if isinstance(row[key], str):  # SQLite hands back a union's date columns as text
            row[key] = dt.date.fromisoformat(row[key])
    if row["done"] >= row["required"]:
        row["status"] = CadenceStatus.MET
    elif row["previous_done"] < row["required"]:
        row["status"] = CadenceStatus.MISSED
    else:
        row["status"] = CadenceStatus.DUE
    row["remaining"] = max(0, row["required"] - row["done"])
    row["days_left"] = (row["due_by"] - today).days
    row["urgent"] = row["status"] == CadenceStatus.MISSED or (
        row["status"] == CadenceStatus.DUE and row["days_left"] <= REMIND_DAYS
    )
    row["period_label"] = period_of(row["period"], row["period_start"]).label
    return row


def cadence_rows(**kwargs) -> list[dict]:
    """``cadence_query`` fetched and completed by ``cadence_row``."""
    today = kwargs.get("today") or timezone.localdate()
    return [cadence_row(values, today=today) for values in cadence_query(**kwargs)]


def cadence_todo(*, user, limit: int = 10, today: dt.date | None = None) -> list[dict]:
    """待走访 on the 工作台: the user's own due and missed rows, missed first then soonest ``due_by``."""
    today = today or timezone.localdate()
    rows = [r for r in cadence_rows(user=user, person=user, today=today) if r["status"] != CadenceStatus.MET]
    rows.sort(key=lambda r: (r["status"] != CadenceStatus.MISSED, r["due_by"], r["enterprise_name"]))
    return rows[:limit]


def cadence_coverage(*, user, region: str | None = None, today: dt.date | None = None) -> list[dict]:
    """Per liaison person in scope: rows, required and done visits this period, met/due/missed counts."""
    today = today or timezone.localdate()
    people: dict[tuple[int, str], dict] = {}
    for row in cadence_rows(user=user, region=region, today=today):
        entry = people.setdefault(
            (row["person_id"], row["role"]),
            {"person_id": row["person_id"], "role": row["role"], "enterprises": 0, "required": 0, "done": 0}
            | {s: 0 for s in CadenceStatus.values},
        )
        entry["enterprises"] += 1
        entry["required"] += row["required"]
        entry["done"] += min(row["done"], row["required"])
        entry[row["status"]] += 1
    return sorted(people.values(), key=lambda e: (e["role"], e["person_id"]))

"""Visit cadence (DESIGN §11.1): for every (enterprise, liaison person) in scope, how many visits the period asks
for, how many were made, and the status ``met`` / ``due`` / ``missed``, in one SQL query per role.

Rows come from the enterprise's liaison officers (role ``officer``) and its liaison leader (role ``leader``)
of linked or assisted operating enterprises (an enterprise that is both follows the assisted rule). The rule is
the enterprise's bureau's ``CadenceRule`` for (tier, role), else the defaults of §11.1 (``CADENCE_DEFAULTS``),
resolved in SQL with ``Coalesce``. A visit counts for a person when they are its lead or one of its officers and
its kind is among the rule's kinds; an activity with ``counts_as_visit`` counts as a ``meeting`` visit of each
participant for its lead and officers. ``missed``: the previous period ended unmet and the current one is not
met yet. Everything is an annotation or a correlated subquery: nothing loops over enterprises in Python.
"""

import datetime as dt
import json
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
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, StrIndex
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


def _done(*, start: str, end: str):
    """Visits + counted activities of the row's enterprise by the row's person between two annotated dates."""
    person = OuterRef("c_person")
    officer_of_visit = Visit.officers.through.objects.filter(visit_id=OuterRef("pk"), user_id=OuterRef(person))
    visits = (
        Visit.objects.filter(
            enterprise_id=OuterRef("c_enterprise"),
            visited_on__gte=OuterRef(start),
            visited_on__lte=OuterRef(end),
        )
        .filter(Q(lead_id=person) | Exists(officer_of_visit))
        .annotate(
            _kind_at=StrIndex(OuterRef("c_kinds"), Concat(Value('"'), F("kind"), Value('"'), output_field=CharField()))
        )
        .filter(_kind_at__gt=0)
    )
    activity_officer = Activity.officers.through.objects.filter(
        activity_id=OuterRef("activity_id"), user_id=OuterRef(person)
    )
    activities = (
        ActivityParticipant.objects.filter(
            enterprise_id=OuterRef("c_enterprise"),
            activity__counts_as_visit=True,
            activity__held_on__gte=OuterRef(start),
            activity__held_on__lte=OuterRef(end),
        )
        .filter(Q(activity__lead_id=person) | Exists(activity_officer))
        .annotate(_meeting_at=StrIndex(OuterRef("c_kinds"), Value(f'"{VisitKind.MEETING}"')))
        .filter(_meeting_at__gt=0)
    )
    return _count(visits) + _count(activities)


def _rows(base, *, role: str, today: dt.date):
    """Annotate base rows (``c_enterprise``, ``c_person``, ``c_name``, ``c_bureau``, ``c_assisted``) of one role
    with the rule, the period, the visits done and the status. Both roles annotate in the same order, so the
    columns of their union line up."""
    rule = CadenceRule.objects.filter(bureau_id=OuterRef("c_bureau"), tier=OuterRef("c_tier"), role=role)
    current = {kind: period_of(kind, today) for kind in CadencePeriod.values}
    previous = {kind: period_previous(p) for kind, p in current.items()}

    def by_period(values: dict, attr: str):
        return Case(
            *[When(c_period=kind, then=Value(getattr(p, attr))) for kind, p in values.items()],
            output_field=DateField(),
        )

    defaults = {
        field: Case(
            *[
                When(c_tier=tier, then=Value(values[index]))
                for (tier, rule_role), values in CADENCE_DEFAULTS.items()
                if rule_role == role
            ],
            output_field=output,
        )
        for field, index, output in (("period", 0, CharField()), ("min_visits", 1, IntegerField()))
    }
    rows = base.annotate(
        c_role=Value(role, output_field=CharField()),
        c_tier=Case(
            When(c_assisted=True, then=Value(CadenceTier.ASSISTED)),
            default=Value(CadenceTier.LINKED),
            output_field=CharField(),
        ),
    )
    rows = rows.annotate(
        c_period=Coalesce(Subquery(rule.values("period")[:1]), defaults["period"], output_field=CharField()),
        c_required=Coalesce(
            Subquery(rule.values("min_visits")[:1]), defaults["min_visits"], output_field=IntegerField()
        ),
        # The rule's kinds as JSON text (``["on_site", "meeting"]``): a visit counts when ``"<kind>"`` is in it.
        c_kinds=Coalesce(
            Subquery(rule.annotate(_k=Cast("kinds", TextField())).values("_k")[:1]),
            Value(json.dumps(CADENCE_DEFAULT_KINDS)),
            output_field=TextField(),
        ),
    )
    rows = rows.annotate(
        c_start=by_period(current, "start"),
        c_due_by=by_period(current, "end"),
        c_previous_start=by_period(previous, "start"),
        c_previous_end=by_period(previous, "end"),
        c_today=Value(today, output_field=DateField()),
    )
    rows = rows.annotate(
        c_done=_done(start="c_start", end="c_today"),
        c_previous_done=_done(start="c_previous_start", end="c_previous_end"),
    )
    return rows.annotate(
        c_status=Case(
            When(c_done__gte=F("c_required"), then=Value(CadenceStatus.MET)),
            When(c_previous_done__lt=F("c_required"), then=Value(CadenceStatus.MISSED)),
            default=Value(CadenceStatus.DUE),
            output_field=CharField(),
        )
    )


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
    "status": "c_status",
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
        parts.append(_rows(base, role=CadenceRole.OFFICER, today=today))
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
        parts.append(_rows(base, role=CadenceRole.LEADER, today=today))
    if status:
        parts = [p.filter(c_status=status) for p in parts]
    parts = [p.order_by().values(*FIELDS.values()) for p in parts]
    query = parts[0] if len(parts) == 1 else parts[0].union(parts[1], all=True)
    return query.order_by("c_due_by", "c_name", "c_person")


def cadence_row(values: dict, *, today: dt.date | None = None) -> dict:
    """One fetched row with the public keys plus ``remaining``, ``days_left``, ``urgent`` (missed, or due with
    at most ``REMIND_DAYS`` days left) and ``period_label`` (``2026-12``, ``2026Q4``)."""
    today = today or timezone.localdate()
    row = {key: values[column] for key, column in FIELDS.items()}
    for key in ("period_start", "due_by"):
        if isinstance(row[key], str):  # SQLite hands back a union's date columns as text
            row[key] = dt.date.fromisoformat(row[key])
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

"""The manager's inbox and the leader's watch (DESIGN §11.3): 待受理, 待交办, overdue and supervised needs, and
预警企业 (enterprises whose latest visit is flagged red or yellow) with the open needs and actions answering them.

Each list is a bounded queryset (a fixed number of queries whatever its length). A manager's inbox holds the
needs their bureau owns (a county manager: its county bureau's, a city manager: the city bureau's); city
managers who see everything also see transferred ones they own.
"""

import datetime as dt

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from crm.choices import OPEN_ACTION_STATUSES, OPEN_NEED_STATUSES, NeedStatus, PlanStatus, VisitFlag
from crm.models import ActionItem, Need, Visit, VisitPlan
from crm.prepared import SAMPLE_KEY, SAMPLE_REGION, SAMPLE_SCOPE, Prepared, Statements
from crm.querysets import open_q, overdue_q, scope_region
from crm.selectors.needs import count_each
from crm.selectors.scope import SampleUser
from crm.workdays import SUPERVISION_AFTER_DAYS, workdays_add

INBOX_LIMIT = 10
WATCH_LIMIT = 10
RED_FLAG_FIELDS = (
    *("id", "code", "enterprise_id", "visited_on", "flag", "q_difficulties", "q_needs", "q_suggestions"),
    *("enterprise__name", "enterprise__region_id", "enterprise__region__name"),
)


def _owned(user) -> QuerySet:
    """Needs in scope that the user's bureau owns (the ones its managers accept and assign). No relation joined: the
    lists are read as ids and counts, their rows by ``needs_first`` with what the card shows (a queryset with joins
    deep-copies them on every clone: ~1.5 ms of the manager's inbox)."""
    if user.is_superuser:
        return Need.objects.visible_to(user)
    if not user.bureau_id:
        return Need.objects.none()
    # Every need a bureau owns is visible to its users (``NeedQuerySet.extra_scope``): the bureau alone is the scope.
    # ``visible_to``'s region test joined each owned need's enterprise and project to a county's inbox counts (SQLite
    # looked both up for each of the county bureau's open needs: ~15 ms).
    return Need.objects.filter(bureau_id=user.bureau_id)


def supervision_cutoff(today: dt.date) -> dt.date:
    """A need due on or before this date is ``SUPERVISION_AFTER_DAYS`` working days late (督办)."""
    return workdays_add(start=today, days=-SUPERVISION_AFTER_DAYS)


# The one home of each inbox list's condition over needs (the lists below and ``inbox_counts``).
TO_ACCEPT_Q = Q(status=NeedStatus.NEW)  # 待受理
TO_ASSIGN_Q = Q(status=NeedStatus.ACCEPTED)  # 待交办


def _overdue_q(today: dt.date, cutoff: dt.date) -> Q:
    """Overdue but not yet supervised."""
    return overdue_q(OPEN_NEED_STATUSES, today, partial=True) & Q(due_on__gt=cutoff)


def _supervised_q(cutoff: dt.date) -> Q:
    """督办: open and due on or before ``supervision_cutoff``."""
    return open_q(OPEN_NEED_STATUSES, partial=True) & Q(due_on__lte=cutoff)


def inbox_to_accept(*, user) -> QuerySet:
    """待受理: new needs, oldest first."""
    return _owned(user).filter(TO_ACCEPT_Q).order_by("created_at", "id")


def inbox_to_assign(*, user) -> QuerySet:
    """待交办: accepted, not yet assigned; oldest first."""
    return _owned(user).filter(TO_ASSIGN_Q).order_by("created_at", "id")


def inbox_overdue(*, user, today: dt.date | None = None, cutoff: dt.date | None = None) -> QuerySet:
    """Overdue but not yet supervised; longest overdue first. ``cutoff``: ``supervision_cutoff(today)``, if known."""
    today = today or timezone.localdate()
    return _owned(user).filter(_overdue_q(today, cutoff or supervision_cutoff(today))).order_by("due_on", "id")


def needs_supervised(
    *, user, today: dt.date | None = None, owned: bool = True, cutoff: dt.date | None = None
) -> QuerySet:
    """督办: open needs at least ``SUPERVISION_AFTER_DAYS`` working days past their deadline. Leaders see every
    one in scope (``owned=False``), managers those of their bureau. ``cutoff``: ``supervision_cutoff``, if known."""
    today = today or timezone.localdate()
    needs = _owned(user) if owned else Need.objects.visible_to(user)
    return needs.filter(_supervised_q(cutoff or supervision_cutoff(today))).order_by("due_on", "id")


INBOX_KEYS = ("accept", "assign", "overdue", "supervised")  # ``inbox_lists``' keys, in order


def inbox_lists(*, user, today: dt.date | None = None, cutoff: dt.date | None = None) -> dict[str, QuerySet]:
    """The manager's four inbox lists by key (``INBOX_KEYS``). ``cutoff``: ``supervision_cutoff(today)``, if known."""
    today = today or timezone.localdate()
    cutoff = cutoff or supervision_cutoff(today)  # one working-day calendar for both
    return {
        "accept": inbox_to_accept(user=user),
        "assign": inbox_to_assign(user=user),
        "overdue": inbox_overdue(user=user, today=today, cutoff=cutoff),
        "supervised": needs_supervised(user=user, today=today, cutoff=cutoff),
    }


def inbox_counts(*, user, today: dt.date | None = None) -> dict[str, int]:
    """How many needs each inbox list holds (``inbox_lists``' keys), in ONE statement (``count_each``): a scalar
    ``(SELECT COUNT(*) …)`` per list, each a range of ``crm_need_bureau_due_idx`` read from the index alone (a single
    aggregate with a conditional count per list tested every condition on every open need of the bureau: slower on
    SQLite than the four ranges)."""
    return count_each(inbox_lists(user=user, today=today))


def red_flag_visits(*, user, region: str | None = None, limit: int = WATCH_LIMIT) -> list[Visit]:
    """预警企业: the latest visit of each enterprise in scope when it is flagged red or yellow (red first, newest
    first), each with ``open_needs`` and ``open_actions`` of the enterprise prefetched (3 or 4 queries).

    One query per flag, red then yellow while fewer than ``limit`` are found: each walks ``crm_visit_flag_date_idx``
    newest first and stops after ``limit`` latest visits, instead of testing every flagged visit of the province
    for a later one and sorting them all (1.6 s at province scale)."""
    stored = connection.vendor == "sqlite"
    sees_all, scope = scope_region(user)
    if limit > WATCH_LIMIT or not (sees_all or scope):  # reports' longer scans, and a user who sees nothing
        return _red_flag_visits_built(user=user, region=region, limit=limit, stored=stored)
    visits: list[Visit] = []
    for flag in (VisitFlag.RED, VisitFlag.YELLOW):
        if len(visits) < limit:
            shape = (stored, sees_all, bool(region), flag, limit - len(visits))
            prepared = _RED_FLAG_STATEMENTS.once(shape, lambda shape=shape: _prepared_latest(*shape))
            visits += prepared(*([] if sees_all else [scope]), *([region] if region else []))
    _answering(visits)
    return visits


# The statements of ``red_flag_visits`` (the latest visit of each enterprise of a flag, in scope), compiled once per
# shape (crm.prepared): (stored region, sees everything, region asked for, flag, limit). Building and compiling them
# and the two prefetches of what answers them was most of 预警企业's ~8 ms of CPU (a manager's, a leader's 工作台).
_RED_FLAG_STATEMENTS = Statements()


def _latest_flagged(*, user, region, stored: bool) -> QuerySet:
    """The latest visit of each enterprise visible to ``user`` (in ``region``, if given), newest first."""
    later = Visit.objects.filter(enterprise=OuterRef("enterprise_id")).filter(
        Q(visited_on__gt=OuterRef("visited_on")) | Q(visited_on=OuterRef("visited_on"), id__gt=OuterRef("id"))
    )
    # SQLite reads the county (or the region asked for) from the region stored on each visit (``Visit.region``, the
    # enterprise's; ``visible_to(region_subqueries=True)``): it walks crm_visit_region_idx newest first and stops after
    # ``limit``, instead of probing each of the region's ~7,000 enterprises for visits of the flag (10-35 ms -> 0.2 ms
    # at province scale). PostgreSQL keeps the enterprise's region: it walks crm_visit_flag_date_idx and stops
    # (0.6 ms), where the stored region makes it AND two bitmaps (12 ms).
    latest = Visit.objects.visible_to(user, region_subqueries=stored).filter(~Exists(later))
    if region:
        latest = latest.filter(**{"region_id" if stored else "enterprise__region_id": region})
    # The callers show the visit's flag, date, code and first answer, the enterprise's name and region (not the lead).
    return latest.select_related("enterprise__region").only(*RED_FLAG_FIELDS).order_by("-visited_on", "-id")


def _prepared_latest(stored: bool, sees_all: bool, region: bool, flag: str, limit: int) -> Prepared:
    samples = ([] if sees_all else [SAMPLE_SCOPE]) + ([SAMPLE_REGION] if region else [])

    def build(*values):
        values = list(values)
        # What ``Visit.objects.visible_to`` reads of a user (``scope_region``): a region's sample, or everything.
        reader = SampleUser(sees_everything=sees_all, bureau_id=SAMPLE_KEY, region=None if sees_all else values.pop(0))
        latest = _latest_flagged(user=reader, region=values.pop(0) if region else None, stored=stored)
        return latest.filter(flag=flag)[:limit]

    return Prepared(build, *samples)


def _red_flag_visits_built(*, user, region, limit: int, stored: bool) -> list[Visit]:
    latest = _latest_flagged(user=user, region=region, stored=stored)
    visits: list[Visit] = []
    for flag in (VisitFlag.RED, VisitFlag.YELLOW):
        if len(visits) < limit:
            visits += latest.filter(flag=flag)[: limit - len(visits)]
    _answering(visits)
    return visits


_OPEN_NEEDS = Need.objects.filter(open_q(OPEN_NEED_STATUSES)).only(
    "id", "code", "title", "status", "due_on", "enterprise_id", "urgency"
)
_OPEN_ACTIONS = ActionItem.objects.filter(open_q(OPEN_ACTION_STATUSES)).only(
    "id", "code", "title", "status", "due_on", "enterprise_id", "owner_id"
)
# What answers the flagged enterprises (``_answering``), per number of enterprises: their open needs, their open
# action items, each by enterprise and in deadline order, compiled once (crm.prepared).
_ANSWERING = Statements()


def _answering(visits: list[Visit]) -> None:
    """``open_needs`` and ``open_actions`` of each visit's enterprise, as a ``Prefetch`` of them ``to_attr`` sets
    them (each need or item with its enterprise): two statements, compiled once per number of enterprises."""
    enterprises = {visit.enterprise_id: visit.enterprise for visit in visits}
    if not enterprises:
        return
    keys = list(enterprises)
    for attr, model, rows in (("open_needs", Need, _OPEN_NEEDS), ("open_actions", ActionItem, _OPEN_ACTIONS)):
        prepared = _ANSWERING.get((attr, len(keys)))
        if prepared is None:
            prepared = Prepared.for_keys(
                lambda *pks, rows=rows: rows.order_by("due_on", "id").filter(enterprise_id__in=pks), len(keys)
            )
            if len(keys) <= WATCH_LIMIT:  # a report's longer scan compiles its own
                _ANSWERING.keep((attr, len(keys)), prepared)
        found: dict[int, list] = {pk: [] for pk in keys}
        field = model._meta.get_field("enterprise")
        for row in prepared(*keys):
            field.set_cached_value(row, enterprises[row.enterprise_id])
            found[row.enterprise_id].append(row)
        for pk, enterprise in enterprises.items():
            setattr(enterprise, attr, found[pk])


def plans_upcoming(*, user, days: int = 14, today: dt.date | None = None) -> QuerySet:
    """The user's planned visits from today to ``days`` ahead, plus overdue open ones (soonest first)."""
    today = today or timezone.localdate()
    mine = Q(lead_id=user.pk) | Q(officers=user.pk)  # ids: the 工作台 compiles it for a user's shape (home_plans)
    ids = VisitPlan.objects.visible_to(user).filter(
        mine, status=PlanStatus.PLANNED, planned_on__lte=today + dt.timedelta(days=days)
    )
    return (
        VisitPlan.objects.filter(pk__in=ids.values("pk"))
        .select_related("enterprise")  # the card shows the enterprise's name, not the lead
        .only("id", "planned_on", "status", "purpose", "enterprise_id", "enterprise__name")
        .order_by("planned_on", "id")
    )

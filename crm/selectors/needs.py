"""Reads about needs: escalation levels by the working-day clock (DESIGN §4.1), lists, my work, timelines."""

import datetime as dt
import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Case, F, Func, IntegerField, Max, Min, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from crm.choices import OPEN_NEED_STATUSES, ExtensionStatus, NeedStatus, NotificationKind, Role
from crm.models import Enterprise, ExtensionRequest, Need, NeedEvent, User, Visit
from crm.querysets import is_overdue, open_q
from crm.workdays import (
    ANSWER_WORKDAYS,
    SUPERVISION_AFTER_DAYS,
    WARNING_SHARE,
    WorkCalendar,
    answer_workdays,
    workdays_add,
)

WARNING = NotificationKind.WARNING.value
OVERDUE = NotificationKind.OVERDUE.value
SUPERVISION = NotificationKind.SUPERVISION.value
ESCALATION_LEVELS = (WARNING, OVERDUE, SUPERVISION)


def _clock_start(need: Need) -> dt.date:
    started = need.assigned_at or need.created_at
    return timezone.localtime(started).date() if started else timezone.localdate()


def need_escalation(need: Need, *, today: dt.date | None = None, calendar: WorkCalendar | None = None) -> str | None:
    """``warning``, ``overdue``, ``supervision`` or None for an open need with a deadline.

    warning: 80 % of the working days between assignment and deadline are used (or it is due today);
    overdue: the deadline has passed; supervision: 5 working days or more past the deadline.
    """
    if not need.is_open or need.due_on is None:
        return None
    today = today or timezone.localdate()
    start = _clock_start(need)
    if calendar is None:
        calendar = WorkCalendar.for_range(start=min(start, today, need.due_on), end=max(start, today, need.due_on))
    if is_overdue(status=need.status, due_on=need.due_on, open_statuses=OPEN_NEED_STATUSES, today=today):
        late = calendar.between(start=need.due_on, end=today)
        return SUPERVISION if late >= SUPERVISION_AFTER_DAYS else OVERDUE
    allowed = calendar.between(start=start, end=need.due_on)
    used = calendar.between(start=start, end=today)
    if allowed <= 0 or today == need.due_on or used >= math.ceil(allowed * WARNING_SHARE):
        return WARNING
    return None


def needs_escalation_annotate(needs: Iterable[Need], *, today: dt.date | None = None) -> list[Need]:
    """Set ``need.escalation`` on each need with one holiday query for the whole batch."""
    needs = list(needs)
    today = today or timezone.localdate()
    dated = [n for n in needs if n.due_on and n.is_open]
    calendar = None
    if dated:
        days = [today, *(n.due_on for n in dated), *(_clock_start(n) for n in dated)]
        calendar = WorkCalendar.for_range(start=min(days), end=max(days))
    dated_ids = {n.pk for n in dated}
    for need in needs:
        need.escalation = need_escalation(need, today=today, calendar=calendar) if need.pk in dated_ids else None
    return needs


NEED_ROW_RELATED = ("enterprise", "project", "lead_department", "handler", "bureau")


def need_list(*, user) -> QuerySet:
    """The needs a user sees, with what a list row shows joined in."""
    return Need.objects.visible_to(user).select_related(*NEED_ROW_RELATED)


def _need_rows(ids, related: tuple[str, ...], fields: tuple[str, ...]) -> QuerySet:
    """The needs ``ids`` with ``related`` joined in, of ``fields`` only when given (what a card shows)."""
    rows = Need.objects.filter(pk__in=ids)
    rows = rows.select_related(*related) if related else rows  # ``select_related()`` would join every foreign key
    return rows.only(*fields) if fields else rows


def needs_first(
    needs: QuerySet, limit: int, *, related: tuple[str, ...] = NEED_ROW_RELATED, fields: tuple[str, ...] = ()
) -> list[Need]:
    """``list(needs[:limit])`` in two steps, for the short lists of the 工作台: the ids of the first ``limit`` rows
    (filtered, scoped and sorted without the joined columns: the sort reads an index or narrow rows), then those
    rows with ``related`` joined in (and only ``fields``, if given). Sorting thousands of full rows with five
    joined tables to keep five of them cost a city manager's 工作台 100 ms per list at province scale. ``needs``
    must be ordered by a unique key."""
    return list(needs_first_query(needs, limit, related=related, fields=fields))


def needs_first_query(
    needs: QuerySet, limit: int, *, related: tuple[str, ...] = NEED_ROW_RELATED, fields: tuple[str, ...] = ()
) -> QuerySet[Need]:
    """``needs_first``'s rows as one queryset, the first ids its subquery: for a statement compiled once
    (crm/selectors/home.py ``home_supervised``)."""
    first = needs.values("pk")[:limit]
    ordering = needs.query.order_by or Need._meta.ordering
    return _need_rows(first, related, fields).order_by(*ordering)


def needs_first_each(
    lists: dict[str, QuerySet],
    limit: int,
    *,
    related: tuple[str, ...] = NEED_ROW_RELATED,
    fields: tuple[str, ...] = (),
) -> dict[str, list[Need]]:
    """``needs_first`` of several lists in two queries whatever their number (the inbox: 4 -> 2): the
    first ``limit`` ids of every list, tagged with the list, in ONE statement (a UNION ALL of each list's own id
    query), then those rows with ``related`` joined in (and only ``fields``, if given), each list sorted by its own
    ordering. Every list must be ordered by plain ascending, non-NULL columns ending with a unique one
    (``created_at, id``; ``due_on, id``)."""
    keys = list(lists)
    # ``.none()`` (a user without a bureau) adds no part.
    sql, params = compound_sql((lists[key].values("pk")[:limit] for key in keys), tagged=True)
    found: dict[str, list[int]] = {key: [] for key in keys}
    if sql:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for index, pk in cursor.fetchall():
                found[keys[index]].append(pk)
    ids = {pk for pks in found.values() for pk in pks}
    rows = {need.pk: need for need in _need_rows(ids, related, fields).order_by()} if ids else {}
    result = {}
    for key in keys:
        ordering = ["id" if name == "pk" else name for name in lists[key].query.order_by]
        if not ordering or any(not isinstance(name, str) or name.startswith("-") for name in ordering):
            raise ValueError(f"needs_first_each: {key} must be ordered by ascending columns, not {ordering!r}")
        result[key] = sorted((rows[pk] for pk in found[key]), key=attrgetter(*ordering))
    return result


def need_detail(*, user) -> QuerySet:
    """Needs in scope with everything the detail page shows (timeline events and their authors)."""
    return (
        need_list(user=user)
        .select_related("visit", "created_by")
        .prefetch_related(
            "assisting_departments",
            Prefetch(
                "events", queryset=NeedEvent.objects.select_related("author", "contact").order_by("created_at", "id")
            ),
            "attachments",
        )
    )


def deadline_order(*, descending: bool = False) -> list:
    """The deadline sort of every needs list: soonest (overdue) first, needs without a deadline last either way."""
    due = F("due_on").desc(nulls_last=True) if descending else F("due_on").asc(nulls_last=True)
    return [due, "-id" if descending else "id"]


class _Unselective(Func):
    """A condition the SQLite planner must not pick an index for: most rows pass it (``likelihood(…, 0.9)``; the
    condition itself elsewhere). SQLite's statistics hold one average row count per index prefix, so a skewed value
    (``handler_id IS NULL``: ~8 % of the needs, not 1/950) looks selective and wins over the partial index it
    implies."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"likelihood({sql}, 0.9)", params


def _mine_parts(
    *,
    user,
    conditions: dict,
    fields: tuple[str, ...] = ("id",),
    scoped: bool = False,
    cuts: Iterable[tuple[dict, int | None]] = (),
    cut_enterprises: bool = True,
    liaised: bool = True,
    led: bool = True,
) -> list[QuerySet]:
    """One indexed id query per reason a need is mine: I handle it; I recorded it; it is of an enterprise I liaise
    with (officer or liaison leader); my department leads it and nobody handles it yet; for managers, the new and
    accepted needs of my bureau. Each is a range scan of a (reason, status, due_on) index; ``conditions`` (a
    deadline range) go inside every part so the outer query only looks rows up by id. ``fields``: the columns
    each part selects; ``scoped``: each part limited to ``visible_to(user)`` (a no-op for whoever sees all);
    ``cuts``: ``(conditions, n)`` pairs; when given, the wide parts are read once per pair under those conditions,
    cut to their first ``n`` rows in ``deadline_order`` unless ``n`` is None: a manager's bureau's new and accepted
    needs (a city manager's ~6,000: ``crm_need_open_bureau_idx`` walked in order until it has them, or their
    ``crm_need_bureau_due_idx`` ranges sorted for the first ones, instead of all of them entering the union) and,
    with ``cut_enterprises``, the parts over enterprise sets (a leader's 2,000 enterprises: thousands of needs;
    PostgreSQL walks ``crm_need_open_due_idx`` until it has them; the parts of one person are small, and a LIMIT
    tempts SQLite to walk that index through every open need in range for rare ones). ``liaised``, ``led``: False
    when the caller knows the user liaises with, or leads, no enterprise: that part is left out."""
    open_ = list(OPEN_NEED_STATUSES)
    needs = Need.objects.visible_to(user) if scoped else Need.objects.all()
    by_person = [
        needs.filter(handler_id=user.pk, status__in=open_),
        needs.filter(created_by_id=user.pk, status__in=open_),
    ]
    # A part known to be empty is left out rather than planned: PostgreSQL planned a county manager's four enterprise
    # parts (each joining the enterprise and the project for the scope) for ~4 of the statement's ~6 ms.
    by_enterprise = []
    # Their open needs alone, from ``crm_need_ent_open_idx`` (the statuses written into the SQL: SQLite matches a
    # partial index only to literals): a leader's ~2,000 enterprises have ~28,000 needs, ~3,200 of them open.
    open_only = open_q(OPEN_NEED_STATUSES, partial=True)
    if liaised:
        ids = Enterprise.liaison_officers.through.objects.filter(user_id=user.pk).values("enterprise_id")
        by_enterprise.append(needs.filter(open_only, enterprise_id__in=ids))
    if led:
        ids = Enterprise.objects.filter(liaison_leader_id=user.pk).values("id")
        by_enterprise.append(needs.filter(open_only, enterprise_id__in=ids))
    if user.department_id:
        # ``crm_need_dept_free_idx`` (partial, nobody handles it): not the handler index's NULL range (see above).
        free = _Unselective(Q(handler__isnull=True))
        by_person.append(needs.filter(free, lead_department_id=user.department_id, status__in=open_))
    wide = []  # the parts of thousands of needs: cut to their first rows when ``cuts`` are given
    if user.has_role(Role.MANAGER, Role.ADMIN) and user.bureau_id:
        wide.append(needs.filter(bureau_id=user.bureau_id, status__in=[NeedStatus.NEW, NeedStatus.ACCEPTED]))
    if cuts and cut_enterprises:
        wide, by_enterprise = [*by_enterprise, *wide], []
    if cuts:
        wide = [
            part.filter(**cut).order_by() if n is None else part.filter(**cut).order_by(*deadline_order())[:n]
            for cut, n in cuts
            for part in wide
        ]
    else:
        wide = [part.filter(**conditions).order_by() for part in wide]
    return [
        *[part.filter(**conditions).order_by().values(*fields) for part in [*by_person, *by_enterprise]],
        *[part.values(*fields) for part in wide],
    ]


def needs_mine_ids(*, user, **conditions) -> QuerySet:
    """Ids of my open needs (the one definition of "my needs" behind every 工作台 card): one UNION subquery."""
    first, *rest = _mine_parts(user=user, conditions=conditions)
    return first.union(*rest)


def compound_sql(
    querysets: Iterable[QuerySet | tuple[str, Iterable]], *, operator: str = "UNION ALL", tagged: bool = False
) -> tuple[str, list]:
    """The rows of several (sliced, ordered) querysets one after the other, as SQL and parameters: each is compiled by
    the ORM and read as a table (``SELECT * FROM (…)``), so its own ORDER BY and LIMIT hold on SQLite too (Django's
    ``union`` refuses sliced parts there). An empty queryset (``none()``) adds nothing. ``tagged``: each row starts
    with the position of its queryset (``SELECT 0, part_0.* …``). A part may also be given compiled, as ``(sql,
    params)``: parts of one shape compiled once (``compiled_for_each``)."""
    parts, params = [], []
    for index, queryset in enumerate(querysets):
        if isinstance(queryset, tuple):
            sql, part_params = queryset
        else:
            try:
                sql, part_params = queryset.query.sql_with_params()
            except EmptyResultSet:
                continue
        columns = f"{index}, part_{index}.*" if tagged else "*"
        parts.append(f"SELECT {columns} FROM ({sql}) part_{index}")  # noqa: S608 (compiled by the ORM; parameters)
        params += part_params
    return f" {operator} ".join(parts), params


def compiled_for_each(build: Callable[[str], QuerySet], values: Iterable[str]) -> list[tuple[str, list]]:
    """``build(value)`` compiled for each of ``values`` (strings the queryset only compares with), but by the ORM
    once: its SQL for a sample value, with each value in the sample's place among the parameters. For the parts of
    one ``compound_sql`` that differ by a value alone (the board's six stages: compiling six querysets of five joins
    was most of its Python). Empty (no part) when the queryset is empty (``none()``)."""
    sample = "\x00compiled_for_each"
    try:
        sql, params = build(sample).query.sql_with_params()
    except EmptyResultSet:
        return []
    if sample not in params:
        raise ValueError(f"compiled_for_each: the value is not a parameter of {sql}")
    return [(sql, [value if param == sample else param for param in params]) for value in values]


class CountAll(Func):
    """``COUNT(*)`` as a plain expression (no GROUP BY): a count that an index answers alone."""

    template = "COUNT(*)"
    output_field = IntegerField()


@dataclass(frozen=True)
class Tally:
    """A ``count_each`` value: how many rows of ``queryset`` meet each of ``conditions`` (``{key: Q}``, the keys
    are the result's), read in ONE pass over its rows, not one range read per condition."""

    queryset: QuerySet
    conditions: dict[str, Q]


def count_each(querysets: dict[object, QuerySet | Tally]) -> dict[object, int]:
    """How many rows each queryset holds, in ONE statement: a scalar ``(SELECT COUNT(*) …)`` per queryset, each
    counted from its own index range, not a query each (the 工作台's counts and the manager's inbox). An empty
    queryset (``none()``: a user without a bureau) counts 0. A ``Tally`` gives a count per condition, under the
    conditions' keys (its own key names nothing), from one derived table over its queryset."""
    keys, sql, params = count_each_sql(querysets)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(zip(keys, cursor.fetchone(), strict=True))


def count_each_sql(querysets: dict[object, QuerySet | Tally]) -> tuple[list, str, list]:
    """``count_each``'s keys (in the order of its columns), statement and parameters (the 工作台 keeps the statement
    per shape of user: ``crm/selectors/home.py`` ``home_counts``)."""
    keys, columns, params, tables, table_params = [], [], [], [], []
    for key, counted in querysets.items():
        if isinstance(counted, Tally):
            keys += counted.conditions
            counts = {f"n{i}": _count_if(condition) for i, condition in enumerate(counted.conditions.values())}
            names = list(counts)
            try:
                sql, part_params = counted.queryset.order_by().values(**counts).query.sql_with_params()
            except EmptyResultSet:
                columns += ["0"] * len(names)
                continue
            alias = f"tally_{len(tables)}"
            tables.append(f"({sql}) {alias}")
            table_params += part_params
            columns += [f"{alias}.{connection.ops.quote_name(name)}" for name in names]
            continue
        keys.append(key)
        try:
            sql, part_params = counted.order_by().values(n=CountAll()).query.sql_with_params()
        except EmptyResultSet:
            sql, part_params = "SELECT 0", ()
        columns.append(f"({sql})")
        params += part_params
    # The derived tables in FROM, after the scalar subqueries: their parameters come after those.
    source = f" FROM {', '.join(tables)}" if tables else ""
    return keys, f"SELECT {', '.join(columns)}{source}", [*params, *table_params]  # noqa: S608 (compiled by the ORM; parameters)


def _count_if(condition: Q) -> Func:
    """``COUNT(CASE WHEN condition THEN 1 END)``: the rows meeting ``condition``, as a plain expression (no GROUP BY,
    as ``CountAll``); a CASE, not FILTER, so that every database reads it alike."""
    return Func(Case(When(condition, then=Value(1))), function="COUNT", output_field=IntegerField())


def _deadline_order_sql() -> str:
    """``deadline_order`` as this database writes it, over a table of ``(id, due_on)`` rows (its one home compiled,
    not written again beside it; once per database vendor: the same text for every request)."""
    return _deadline_order_sql_of(connection.vendor)


@functools.cache
def _deadline_order_sql_of(vendor: str) -> str:
    sql, _params = Need.objects.order_by(*deadline_order()).values("pk").query.sql_with_params()
    return sql.rsplit(" ORDER BY ", 1)[1].replace(f"{connection.ops.quote_name(Need._meta.db_table)}.", "")


def needs_mine_first_ids(
    *,
    user,
    limit: int,
    due_from: dt.date,
    due_until: dt.date,
    due_limit: int,
    cut: bool | None = None,
    liaised: bool = True,
    led: bool = True,
) -> RawSQL:
    """Ids of the first ``limit`` rows of ``needs_mine`` (``deadline_order``) and of its first ``due_limit`` rows due
    from ``due_from`` to ``due_until``, as ONE subquery for ``pk__in`` (the 工作台 reads both need cards with it in
    one query: sorted by ``deadline_order``, the rows it selects start with the first ``limit`` of my needs, and
    their ones due in the range start with the first ``due_limit`` due in it).

    The UNION of ``needs_mine``'s parts (ids and deadlines) is a common table expression read twice, each read
    sorted by ``deadline_order`` and cut. A manager's bureau's new and accepted needs enter it already cut to their own
    first rows (the first rows of a union are among the first rows of its parts), and so do, with ``cut`` (default:
    on PostgreSQL), the parts over enterprise sets: PostgreSQL no longer looks up every need of a leader's 2,000
    enterprises to sort them all. ``liaised``, ``led``: as ``_mine_parts``'."""
    quote = connection.ops.quote_name
    pk, due, order = quote("id"), quote("due_on"), _deadline_order_sql()
    # PostgreSQL: the enterprise parts cut to their first rows for the first read and to their first ``due_limit``
    # in the due-soon range (the first ones due soon of a union are among its parts' first ones due soon): a
    # leader's led part brings 8 rows into the union, not its ~120 due soon (the union 131 -> 20 rows; it still reads
    # the ~960 open needs due in the range to find them). SQLite reads each of them from a covering index range per
    # enterprise whatever the cut and sorts the union once: a part read twice (cut, then in range) costs it more than
    # it saves. A city manager's bureau part, cut on both (its ~6,000 needs no longer enter the union): SQLite 3.6 ->
    # 0.5 ms (0.45 -> 0.1 ms with its due-soon range cut too), PostgreSQL 6-16 -> ~1 ms.
    due_soon = {"due_on__gte": due_from, "due_on__lte": due_until}
    cut = connection.vendor == "postgresql" if cut is None else cut
    cuts = [({}, limit), (due_soon, due_limit)]
    parts = _mine_parts(
        user=user,
        conditions={},
        fields=("id", "due_on"),
        scoped=True,
        cuts=cuts,
        cut_enterprises=cut,
        liaised=liaised,
        led=led,
    )
    mine, params = compound_sql(parts, operator="UNION")
    range_ = [connection.ops.adapt_datefield_value(day) for day in (due_from, due_until)]
    sql = (
        f"WITH mine ({pk}, {due}) AS ({mine}) "  # noqa: S608 (compiled by the ORM; values are parameters)
        f"SELECT {pk} FROM (SELECT {pk} FROM mine ORDER BY {order} LIMIT %s) first_rows UNION ALL "
        f"SELECT {pk} FROM (SELECT {pk} FROM mine WHERE {due} >= %s AND {due} <= %s ORDER BY {order} LIMIT %s) due_rows"
    )
    return RawSQL(sql, (*params, limit, *range_, due_limit))


def needs_mine(*, user, **conditions) -> QuerySet:
    """Open needs I should act on, in scope, overdue first then soonest due, no deadline last. Every 工作台 card
    (我的在办诉求, 办理时限提醒) reads this one set, so they cannot contradict each other. ``conditions``: lookups
    on the need's own columns (e.g. a ``due_on`` range), applied inside the id query."""
    ids = needs_mine_ids(user=user, **conditions)
    return need_list(user=user).filter(pk__in=ids).order_by(*deadline_order())


DUE_SOON_DAYS = 3


def due_soon_range(*, today: dt.date | None = None, days: int = DUE_SOON_DAYS) -> tuple[dt.date, dt.date]:
    """The deadlines that are "due soon": from today to the ``days``-th working day after it, both included."""
    today = today or timezone.localdate()
    return today, workdays_add(start=today, days=days)


def needs_due_soon(*, user, today: dt.date | None = None, days: int = DUE_SOON_DAYS) -> QuerySet:
    """My open needs due within the next ``days`` working days (today included)."""
    start, until = due_soon_range(today=today, days=days)
    return needs_mine(user=user, due_on__gte=start, due_on__lte=until)


def needs_overdue(*, user, today: dt.date | None = None) -> QuerySet:
    """My open needs past their deadline (``overdue_q``: open, ``due_on`` before today)."""
    return needs_mine(user=user, due_on__lt=today or timezone.localdate())


def engagement_timeline(*, user, enterprise=None, project=None, limit: int = 50) -> list[dict]:
    """Visits and needs of one enterprise or project, newest first, as one list of entries.

    Each entry: ``{"date", "kind": "visit"|"need", "object"}``; needs carry ``escalation``.
    """
    visits = Visit.objects.visible_to(user).select_related("enterprise", "lead")
    needs = need_list(user=user)
    if enterprise is not None:
        visits = visits.filter(enterprise=enterprise)
        needs = needs.filter(enterprise=enterprise)
    if project is not None:
        visits = visits.filter(project=project)
        needs = needs.filter(project=project)
    visits = list(visits.order_by("-visited_on", "-id")[:limit])
    needs = needs_escalation_annotate(needs.order_by("-created_at", "-id")[:limit])
    return timeline_entries(visits=visits, needs=needs, limit=limit)


def timeline_entries(*, visits: Iterable[Visit], needs: Iterable[Need], limit: int) -> list[dict]:
    """Visits (newest first) and needs (newest first, ``escalation`` set) merged into one timeline."""
    entries = [{"date": v.visited_on, "kind": "visit", "object": v} for v in visits]
    entries += [{"date": timezone.localtime(n.created_at).date(), "kind": "need", "object": n} for n in needs]
    entries.sort(key=lambda e: (e["date"], e["kind"] == "need"), reverse=True)
    return entries[:limit]


def extension_requests_to_decide(*, user, by_managers: bool) -> QuerySet[ExtensionRequest]:
    """Pending extension requests (DESIGN §11.4) in ``user``'s scope but not theirs, oldest first, only those a manager
    made when ``by_managers`` (a leader's): with what the 工作台 card shows, the request, its need's code and title,
    who asked (not the whole need and user rows). Reads of ``user`` its scope and id only (a shape's statement:
    crm/selectors/home.py ``home_extension_requests``)."""
    pending = (
        ExtensionRequest.objects.visible_to(user)
        .filter(status=ExtensionStatus.PENDING)
        .exclude(requested_by_id=user.pk)
        .select_related("need", "requested_by")
        .only(
            *("id", "need_id", "requested_due_on", "previous_due_on", "reason", "requested_by_id", "requested_at"),
            *("status", "need__code", "need__title", *User.name_fields_of("requested_by")),
        )
        .order_by("requested_at", "id")
    )
    if by_managers:
        # The managers as a subquery, not a join through their groups: no duplicate rows, so no DISTINCT over the
        # joined need and user columns (PostgreSQL planned that sort for ~2 ms on every leader's 工作台).
        managers = User.objects.filter(groups__name=Role.MANAGER).values("pk")
        pending = pending.filter(requested_by__in=managers)
    return pending


def extension_requests_by_managers(user) -> bool | None:
    """Which extension requests ``user`` decides, as ``extension_requests_to_decide``'s ``by_managers``: a manager
    (or admin) those of others in scope (False), a leader those a manager made (True), anybody else none (None)."""
    if user.has_role(Role.MANAGER, Role.ADMIN):
        return False
    if user.has_role(Role.LEADER):
        return True
    return None


def extension_requests_pending(*, user, limit: int = 20) -> list[ExtensionRequest]:
    """The extension requests a user decides (``extension_requests_by_managers``); nobody sees their own here
    (``extension_requests_to_decide``)."""
    by_managers = extension_requests_by_managers(user)
    if by_managers is None:
        return []
    return list(extension_requests_to_decide(user=user, by_managers=by_managers)[:limit])


def answer_workdays_mismatches(*, needs: QuerySet | None = None) -> list[tuple[int, str, int | None, int | None]]:
    """``(need id, field, stored, computed)`` of every need whose stored working days to answer
    (``Need.answer_workdays``, ``answer_workdays_assigned``) differ from the working-day calendar computed here in
    Python (``WorkCalendar``, one calendar for all): the oracle of the values the services, the holiday changes
    and the migration keep in SQL (``manage.py answer_workdays --check``)."""
    needs = Need.objects.all() if needs is None else needs
    fields = ("id", "created_at", "assigned_at", "answered_at", *ANSWER_WORKDAYS)
    rows = needs.order_by("pk").values_list(*fields)
    bounds = needs.filter(answered_at__isnull=False).aggregate(first=Min("created_at"), last=Max("answered_at"))
    calendar = None
    if bounds["first"] is not None:
        first = min(timezone.localdate(bounds["first"]), timezone.localdate(bounds["last"]))
        calendar = WorkCalendar.for_range(start=first, end=timezone.localdate(bounds["last"]))
    wrong = []
    for pk, created_at, assigned_at, answered_at, *stored in rows.iterator(chunk_size=5000):
        starts = {"created_at": created_at, "assigned_at": assigned_at}
        for (name, start), value in zip(ANSWER_WORKDAYS.items(), stored, strict=True):
            computed = answer_workdays(start=starts[start], answered=answered_at, calendar=calendar)
            if computed != value:
                wrong.append((pk, name, value, computed))
    return wrong

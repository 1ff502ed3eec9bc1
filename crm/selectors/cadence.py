"""Visit cadence (DESIGN §11.1): for every (enterprise, liaison person) in scope, how many visits the period asks
for, how many were made, and the status ``met`` / ``due`` / ``missed``.

Rows come from the enterprise's liaison officers (role ``officer``) and its liaison leader (role ``leader``)
of linked or assisted operating enterprises (an enterprise that is both follows the assisted rule). The rule is
the enterprise's bureau's ``CadenceRule`` for (tier, role), else the defaults of §11.1 (``CADENCE_DEFAULTS``).
A visit counts for a person when they are its lead or one of its officers (once, if both) and its kind is
among the rule's kinds; an activity with ``counts_as_visit`` counts as a ``meeting`` visit of each participant
for its lead and officers. ``missed``: the previous period ended unmet and the current one is not met yet.

Three reads, whatever the number of enterprises (DESIGN §9.2), none of them a per-enterprise loop:

1. the rules (a handful of rows);
2. the liaison links (enterprise, person, role) in scope, a UNION ALL of the officer links and the leaders,
   ordered by ``due_by`` (a small CASE over the rules: a month's end comes before a quarter's), enterprise name
   and person, and paginated in SQL when no status filter asks for the counts of every row;
3. the visits done, ONE aggregate query grouped by (enterprise, person) over the visits and activity
   participations of those links' enterprises and people since the earliest window (a UNION ALL of four small
   GROUP BYs: visits as lead, as officer, activities as lead, as officer), each window and set of counted kinds
   a conditional ``COUNT(... FILTER/CASE ...)`` column.

The rules are then applied in Python to the fetched rows (a page, or one person's enterprises): the officer's
工作台 touches only that person's links and visits (``crm_visit_ent_date_idx``, the M2M and FK indexes). The whole
scope's counts walk its enterprises' entries of ``crm_visit_ent_date_idx`` (kind, lead and id in the index) and, as
officer, the link table's (visit, user) index: no visit row is read.
"""

import datetime as dt
import operator
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from crm import reference
from crm.choices import CadencePeriod, CadenceRole, CadenceStatus, CadenceTier, EnterpriseStatus, VisitKind
from crm.models import Activity, ActivityParticipant, CadenceRule, Enterprise, Visit
from crm.models.engagement import OTHERS_Q
from crm.models.routine import CADENCE_DEFAULT_KINDS, CADENCE_DEFAULTS
from crm.prepared import SAMPLE_KEY, SAMPLE_REGION, Prepared, Statements, sample_keys
from crm.querysets import scope_region
from crm.selectors.scope import SampleUser

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


# ------------------------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    period: str
    required: int
    kinds: tuple[str, ...]


def _own_rules() -> dict[tuple, Rule]:
    return {
        (r.bureau_id, r.tier, r.role): Rule(r.period, r.min_visits, tuple(sorted(r.kinds or CADENCE_DEFAULT_KINDS)))
        for r in CadenceRule.objects.all()
    }


class Rules:
    """The bureaus' rule rows (one query; in a request, the process's copy: ``crm/reference.py``) with the §11.1
    defaults for a bureau without its own row, and the count columns they need: one per (set of counted kinds,
    period kind, this or the previous period)."""

    def __init__(self, *, today: dt.date):
        self.today = today
        self.own = reference.memo((reference.CADENCE_RULES,), "rules", _own_rules)
        self.defaults = {
            (tier, role): Rule(period, required, tuple(sorted(CADENCE_DEFAULT_KINDS)))
            for (tier, role), (period, required) in CADENCE_DEFAULTS.items()
        }
        self.current = {kind: period_of(kind, today) for kind in CadencePeriod.values}
        self.previous = {kind: period_previous(p) for kind, p in self.current.items()}
        kinds = sorted({rule.kinds for rule in [*self.own.values(), *self.defaults.values()]})
        self.kinds_index = {k: i for i, k in enumerate(kinds)}
        self.positions = {name: i for i, (name, *_rest) in enumerate(self.columns())}

    def rule(self, bureau_id, assisted: bool, role: str) -> Rule:
        tier = CadenceTier.ASSISTED if assisted else CadenceTier.LINKED
        return self.own.get((bureau_id, tier, role)) or self.defaults[(tier, role)]

    def column(self, rule: Rule, *, previous: bool) -> str:
        return f"n{self.kinds_index[rule.kinds]}_{rule.period}_{'p' if previous else 'c'}"

    def position(self, rule: Rule, *, previous: bool) -> int:
        """The index of ``column(rule, previous=…)`` in ``columns()`` (and in the count lists of ``_counts``)."""
        return self.positions[self.column(rule, previous=previous)]

    def columns(self) -> list[tuple[str, tuple[str, ...], dt.date, dt.date]]:
        """(name, counted kinds, first day, last day) of every count column."""
        columns = []
        for kinds, index in self.kinds_index.items():
            for kind in CadencePeriod.values:
                current, previous = self.current[kind], self.previous[kind]
                columns.append((f"n{index}_{kind}_c", kinds, current.start, self.today))
                columns.append((f"n{index}_{kind}_p", kinds, previous.start, previous.end))
        return columns

    def first_day(self) -> dt.date:
        return min(p.start for p in self.previous.values())

    def due_rank(self, *, role: str, bureau: str, assisted: str) -> Case:
        """0 for the rows whose period ends first (a month's end, or every row when the month ends the quarter),
        1 for the rest: ``due_by`` as a sort key in SQL, from the few rule rows."""
        if self.current[CadencePeriod.MONTH].end == self.current[CadencePeriod.QUARTER].end:
            return Value(0, output_field=IntegerField())
        whens = []
        for tier in CadenceTier.values:
            is_assisted = tier == CadenceTier.ASSISTED
            own = {b: rule for (b, t, r), rule in self.own.items() if t == tier and r == role}
            quarterly = sorted(b for b, rule in own.items() if rule.period == CadencePeriod.QUARTER)
            if quarterly:
                whens.append(When(Q(**{assisted: is_assisted, f"{bureau}__in": quarterly}), then=Value(1)))
            if self.defaults[(tier, role)].period == CadencePeriod.QUARTER:
                others = Q(**{assisted: is_assisted})
                if own:
                    others &= ~Q(**{f"{bureau}__in": sorted(own)})
                whens.append(When(others, then=Value(1)))
        return Case(*whens, default=Value(0), output_field=IntegerField())


# ------------------------------------------------------------------------------------------------------- links


def _targets(user):
    """Linked or assisted operating enterprises in ``user``'s scope (every one for ``user=None``: commands)."""
    enterprises = Enterprise.objects.all() if user is None else Enterprise.objects.visible_to(user)
    return enterprises.filter(Q(is_linked=True) | Q(is_assisted=True), status=EnterpriseStatus.OPERATING)


LINK_COLUMNS = ("l_e", "l_name", "l_bureau", "l_assisted", "l_person", "l_role", "l_rank")
LINK_INDEX = "crm_ent_liaison_idx"  # Enterprise.Meta: the linked or assisted enterprises, covering the link columns


@dataclass(frozen=True)
class LinkScope:
    """The whole scope's linked enterprises as the links read them (``sql``: a SELECT of columns ``scope_e`` and
    ``scope_leader``, the enterprise and its liaison leader) and the roles of its links: the counts of visits as lead
    start from these enterprises (``_counts_sql``)."""

    sql: str
    params: tuple
    officers: bool
    leader: bool

    def liaison(self, lead: str) -> str:
        """The condition that ``lead`` is one of the links' persons of the enterprise ``scope.scope_e``: a person who
        is both an officer and the leader is one match, so that visit counts once."""
        link = connection.ops.quote_name(Enterprise.liaison_officers.through._meta.db_table)
        conditions = [f"{lead} = scope.scope_leader"] if self.leader else []
        if self.officers:
            conditions.append(
                f"EXISTS (SELECT 1 FROM {link} WHERE {link}.enterprise_id = scope.scope_e AND {link}.user_id = {lead})"
            )
        return f"({' OR '.join(conditions)})"


class Links:
    """The liaison links in scope as one ordered UNION ALL of value rows (``LINK_COLUMNS``), in raw SQL so that the
    plan is the same on every database, whatever its statistics: ``count()``, slices (``LIMIT``/``OFFSET``) and
    iteration, one query each. ``parts`` are (sql, params) of SELECTs of the link columns; ``scope``: the whole
    scope's enterprises (None for one person's links)."""

    def __init__(self, parts: list[tuple[str, list]], scope: LinkScope | None = None):
        self.parts = parts
        self.scope = scope

    def sql(self) -> tuple[str, list]:
        return " UNION ALL ".join(sql for sql, _p in self.parts), [p for _s, params in self.parts for p in params]

    ORDER = " ORDER BY 7, 2, 1, 5, 6"  # the rows' order: due_by (the rank), enterprise name, enterprise, person, role

    def tuples(self, *, ordered: bool = False) -> list[tuple]:
        """Every link as a tuple of ``LINK_COLUMNS``, unordered (for totals) or in the rows' order."""
        if not self.parts:
            return []
        sql, params = self.sql()
        with connection.cursor() as cursor:
            cursor.execute(f"{sql}{self.ORDER}" if ordered else sql, params)
            return cursor.fetchall()

    def _fetch(self, suffix: str = "", params: tuple = ()) -> list[dict]:
        if not self.parts:
            return []
        sql, union_params = self.sql()
        with connection.cursor() as cursor:
            cursor.execute(f"{sql}{self.ORDER}{suffix}", [*union_params, *params])
            rows = cursor.fetchall()
        return [
            dict(zip(LINK_COLUMNS, (e, name, bureau, bool(assisted), person, role, rank), strict=True))
            for e, name, bureau, assisted, person, role, rank in rows
        ]

    def count(self) -> int:
        if not self.parts:
            return 0
        sql, params = self.sql()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) links", params)
            return cursor.fetchone()[0]

    def __iter__(self):
        return iter(self._fetch())

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop = index.start or 0, index.stop
            if stop is None:
                return self._fetch()[start:]
            if stop <= start:
                return []
            return self._fetch(" LIMIT %s OFFSET %s", (stop - start, start))
        return self._fetch(" LIMIT 1 OFFSET %s", (index,))[0]


def _links(*, user, rules: Rules, person_id, role, region) -> tuple[Links, QuerySet]:
    """The liaison links in scope (``Links``) and the scope's enterprise ids (a subquery).

    The scope (``visible_to``, tier, status, region) is compiled from the ORM into the WHERE clause of both parts.
    Whole scope: the parts walk ``LINK_INDEX`` (~4% of the enterprises, covering) and the officer link table's
    (enterprise, user) index; SQLite is told so (``INDEXED BY``), since without statistics it prefers the status
    index and reads every operating enterprise. One person: the officer part starts at the link table's user index
    (``CROSS JOIN`` keeps SQLite's join order), the leader part at (status, liaison leader)."""
    targets = _targets(user)
    if region:
        targets = targets.filter(region_id=region)
    query = targets.query
    compiler = query.get_compiler(using=targets.db)
    try:
        where, where_params = compiler.compile(query.where)
    except EmptyResultSet:
        return Links([]), targets.values("pk")
    quote = connection.ops.quote_name
    enterprise = quote(Enterprise._meta.db_table)
    link = quote(Enterprise.liaison_officers.through._meta.db_table)
    hint = f" INDEXED BY {quote(LINK_INDEX)}" if connection.vendor == "sqlite" and person_id is None else ""

    def select(*, person: str, role_value: str) -> tuple[str, list]:
        rank = rules.due_rank(role=role_value, bureau="bureau_id", assisted="is_assisted")
        rank_sql, rank_params = compiler.compile(rank.resolve_expression(query, allow_joins=False))
        columns = (
            f"{enterprise}.{quote('id')}, {enterprise}.{quote('name')}, {enterprise}.{quote('bureau_id')}, "
            f"{enterprise}.{quote('is_assisted')}, {person}, '{role_value}', {rank_sql}"
        )
        return f"SELECT {columns}", list(rank_params)

    parts = []
    if role in (None, "", CadenceRole.OFFICER):
        person = f"{link}.{quote('user_id')}"
        columns, params = select(person=person, role_value=CadenceRole.OFFICER.value)
        joined = f"{link}.{quote('enterprise_id')} = {enterprise}.{quote('id')}"
        if person_id is None:
            source, conditions, condition_params = f"{enterprise}{hint} INNER JOIN {link} ON {joined}", [], []
        else:
            source, conditions = f"{link} CROSS JOIN {enterprise}", [joined, f"{person} = %s"]
            condition_params = [person_id]
        sql = f"FROM {source} WHERE {' AND '.join([*conditions, f'({where})'])}"
        parts.append((f"{columns} {sql}", [*params, *condition_params, *where_params]))
    if role in (None, "", CadenceRole.LEADER):
        person = f"{enterprise}.{quote('liaison_leader_id')}"
        columns, params = select(person=person, role_value=CadenceRole.LEADER.value)
        if person_id is None:
            sql, sql_params = f"FROM {enterprise}{hint} WHERE ({where}) AND {person} IS NOT NULL", [*where_params]
        else:
            sql, sql_params = f"FROM {enterprise} WHERE ({where}) AND {person} = %s", [*where_params, person_id]
        parts.append((f"{columns} {sql}", [*params, *sql_params]))
    scope = None
    if person_id is None:
        scope = LinkScope(
            sql=f"SELECT {enterprise}.{quote('id')} AS scope_e, {enterprise}.{quote('liaison_leader_id')} AS "
            f"scope_leader FROM {enterprise}{hint} WHERE ({where})",
            params=tuple(where_params),
            officers=role in (None, "", CadenceRole.OFFICER),
            leader=role in (None, "", CadenceRole.LEADER),
        )
    return Links(parts, scope), targets.values("pk")


# ------------------------------------------------------------------------------------------------------ counts


def _in(column: str, values) -> tuple[str, list]:
    """``column IN (...)`` for a list of ids or a queryset of one column (compiled as a subquery)."""
    if isinstance(values, QuerySet):
        sql, params = values.query.sql_with_params()
        return f"{column} IN ({sql})", list(params)
    values = list(values)
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def _counts_sql(*, rules: Rules, enterprises, persons, scope: LinkScope | None = None) -> tuple[str, list]:
    """The one aggregate query of the visits done (raw SQL: the ORM spent ~30 ms building the same UNION of
    four GROUP BYs with 8 conditional counts each). Portable (SQLite and PostgreSQL): ``SUM(CASE ...)``,
    parameters for every value. Columns: enterprise, person, then ``rules.columns()`` in order.

    ``scope`` (``Links.scope``, the whole scope's links): the visits as lead are counted for the links' (enterprise,
    person) pairs only, each enterprise's visits read once from ``crm_visit_ent_date_idx`` and kept when their lead
    is one of its liaisons. Counted for every (enterprise, lead) of the scope's visits, a province returned ~11,000
    groups of which ~270 are links, grouped, fetched and merged for nothing; probed per distinct pair (a UNION of the
    links crossed with the visits), an enterprise's visits were read once per liaison and the pairs sorted first."""
    quote = connection.ops.quote_name
    date = connection.ops.adapt_datefield_value
    visit, visit_officer = quote(Visit._meta.db_table), quote(Visit.officers.through._meta.db_table)
    activity, activity_officer = quote(Activity._meta.db_table), quote(Activity.officers.through._meta.db_table)
    participant = quote(ActivityParticipant._meta.db_table)
    first, today = date(rules.first_day()), date(rules.today)
    columns = rules.columns()
    # ``OTHERS_Q`` as the index condition reads (the partial index is used when the query repeats it).
    query = Visit.objects.filter(OTHERS_Q).query
    others, others_params = query.get_compiler(connection=connection).compile(query.where)
    # For a whole scope SQLite is told to start there (CROSS JOIN keeps the visits first): without statistics of the
    # index it walked the enterprises' visits (crm_visit_ent_date_idx) and read each visit's row for the flag. One
    # person's counts start from that person's links or visits, as the planner finds.
    others_hint = ""
    if connection.vendor == "sqlite" and persons is None:
        others_hint = f" INDEXED BY {quote('crm_visit_others_idx')}"

    def sums(*, day: str, kind: str | None) -> tuple[str, list]:
        parts, params = [], []
        for _name, kinds, start, end in columns:
            if kind is None and VisitKind.MEETING not in kinds:
                parts.append("0")
                continue
            condition = f"{day} >= %s AND {day} <= %s"
            params += [date(start), date(end)]
            if kind is not None:
                condition += f" AND {kind} IN ({', '.join(['%s'] * len(kinds))})"
                params += list(kinds)
            parts.append(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)")
        return ", ".join(parts), params

    def part(
        *, enterprise: str, source: str, where: list[str], where_params: list, day: str, kind, person, source_params=()
    ):
        """One GROUP BY; ``source_params``: those of a subquery in ``source`` (then already scoped)."""
        counted, counted_params = sums(day=day, kind=kind)
        conditions = [f"{day} >= %s", f"{day} <= %s", f"{person} IS NOT NULL", *where]
        params = [*counted_params, *source_params, first, today, *where_params]
        if enterprises is not None and not source_params:
            enterprise_in, enterprise_params = _in(enterprise, enterprises)
            conditions.insert(0, enterprise_in)
            params[len(counted_params) : len(counted_params)] = enterprise_params
        if persons is not None:
            person_in, person_params = _in(person, persons)
            conditions.append(person_in)
            params += person_params
        sql = (
            f"SELECT {enterprise}, {person}, {counted} FROM {source} WHERE {' AND '.join(conditions)} "
            f"GROUP BY {enterprise}, {person}"
        )
        return sql, params

    if scope is None:
        lead = part(  # visits as their lead
            enterprise=f"{visit}.enterprise_id",
            source=visit,
            where=[],
            where_params=[],
            day=f"{visit}.visited_on",
            kind=f"{visit}.kind",
            person=f"{visit}.lead_id",
        )
    else:
        # The scope's enterprises first (CROSS JOIN keeps SQLite's order), then each one's visits in the periods.
        lead = part(
            enterprise=f"{visit}.enterprise_id",
            source=f"({scope.sql}) scope CROSS JOIN {visit}",
            where=[f"{visit}.enterprise_id = scope.scope_e", scope.liaison(f"{visit}.lead_id")],
            where_params=[],
            day=f"{visit}.visited_on",
            kind=f"{visit}.kind",
            person=f"{visit}.lead_id",
            source_params=scope.params,
        )
    parts = [
        lead,
        part(  # visits as one of their officers (the lead is counted above): the few with an officer besides
            # the lead (``crm_visit_others_idx``), not a probe of the officer links of every visit of the periods
            enterprise=f"{visit}.enterprise_id",
            source=f"{visit}{others_hint} CROSS JOIN {visit_officer}",
            where=[
                f"{visit_officer}.visit_id = {visit}.id",
                f"({visit}.lead_id IS NULL OR {visit}.lead_id <> {visit_officer}.user_id)",
                f"({others})",
            ],
            where_params=list(others_params),
            day=f"{visit}.visited_on",
            kind=f"{visit}.kind",
            person=f"{visit_officer}.user_id",
        ),
    ]
    if any(VisitKind.MEETING in kinds for kinds in rules.kinds_index):
        joined = f"{participant} INNER JOIN {activity} ON {activity}.id = {participant}.activity_id"
        parts += [
            part(  # activities counting as a visit (a meeting) of each participant, as their lead
                enterprise=f"{participant}.enterprise_id",
                source=joined,
                where=[f"{activity}.counts_as_visit = %s"],
                where_params=[True],
                day=f"{activity}.held_on",
                kind=None,
                person=f"{activity}.lead_id",
            ),
            part(  # … as one of their officers
                enterprise=f"{participant}.enterprise_id",
                source=f"{joined} INNER JOIN {activity_officer} ON {activity_officer}.activity_id = {activity}.id",
                where=[
                    f"{activity}.counts_as_visit = %s",
                    f"({activity}.lead_id IS NULL OR {activity}.lead_id <> {activity_officer}.user_id)",
                ],
                where_params=[True],
                day=f"{activity}.held_on",
                kind=None,
                person=f"{activity_officer}.user_id",
            ),
        ]
    return " UNION ALL ".join(sql for sql, _p in parts), [param for _s, params in parts for param in params]


def _counts(*, rules: Rules, enterprises, persons, scope=None) -> dict[tuple[int, int], tuple[int, ...]]:
    """Visits done per (enterprise, person): a tuple of counts in the order of ``rules.columns()`` (look one up with
    ``rules.position``), in one query. ``enterprises`` and ``persons`` are id lists or querysets of ids
    (``persons=None``: anybody; rows of people who are not liaisons are ignored; ``enterprises=None``: any
    enterprise, for the given ``persons``: rows of other enterprises are ignored; ``scope``: see ``_counts_sql``)."""
    return _counts_run(*_counts_sql(rules=rules, enterprises=enterprises, persons=persons, scope=scope))


def _counts_run(sql: str, params: list) -> dict[tuple[int, int], tuple[int, ...]]:
    """The rows of a ``_counts_sql`` statement as ``_counts`` gives them."""
    counts: dict[tuple[int, int], tuple[int, ...]] = {}
    # A server-side cursor where PostgreSQL may plan in parallel (``plans_in_parallel``): it never plans a cursor's
    # query in parallel. The four parts' estimates made it plan a leader's own counts (0.1 ms of work, EXPLAIN
    # ANALYZE) as a Parallel Append whose workers took 12-15 ms to start on the 2-core reference machine; through a
    # cursor: ~2 ms. Without parallel query (the default, config/settings.py) a plain cursor: the server-side one
    # took three round trips (DECLARE … WITH HOLD, which stores the rows, FETCH, CLOSE) and ~1.5 ms of the server's
    # time more per officer's 工作台 under the load test (pg_stat_statements).
    parallel = getattr(connection, "plans_in_parallel", False)
    with connection.chunked_cursor() if parallel else connection.cursor() as cursor:
        cursor.execute(sql, params)
        # The row's slices as they come: every count is a SUM(CASE … ELSE 0) of a non-empty group, an integer and
        # never NULL, so no conversion per value (a province's ~11,000 rows: ~20 ms of the dashboard).
        for row in cursor.fetchall():
            pair, values = row[:2], row[2:]
            entry = counts.get(pair)
            # The same pair from another part of the union (as lead, as officer, at an activity) adds up.
            counts[pair] = values if entry is None else tuple(map(operator.add, entry, values))
    return counts


# Read once: an enum member's ``.value`` is a descriptor call, and the status is decided for every link (~2,000 a
# leader's 工作台).
_MET, _DUE, _MISSED = CadenceStatus.MET.value, CadenceStatus.DUE.value, CadenceStatus.MISSED.value


def cadence_status(*, done: int, previous_done: int, required: int) -> str:
    """The status of one (enterprise, person) link: ``met`` when this period's visits reach ``required``, else
    ``missed`` when the previous period ended short, else ``due``. The one home of the rule (rows and coverage)."""
    if done >= required:
        return _MET
    if previous_done < required:
        return _MISSED
    return _DUE


# -------------------------------------------------------------------------------------------------------- rows


def _row(link: dict, counts: dict, rules: Rules) -> dict:
    """One link completed with its rule and counts: the public keys plus ``remaining``, ``days_left``,
    ``urgent`` (missed, or due with at most ``REMIND_DAYS`` days left) and ``period_label``."""
    rule = rules.rule(link["l_bureau"], link["l_assisted"], link["l_role"])
    done = counts.get((link["l_e"], link["l_person"]))
    period = rules.current[rule.period]
    row = {
        "enterprise_id": link["l_e"],
        "enterprise_name": link["l_name"],
        "person_id": link["l_person"],
        "role": link["l_role"],
        "tier": CadenceTier.ASSISTED.value if link["l_assisted"] else CadenceTier.LINKED.value,
        "period": rule.period,
        "period_start": period.start,
        "period_label": period.label,
        "required": rule.required,
        "done": done[rules.position(rule, previous=False)] if done else 0,
        "previous_done": done[rules.position(rule, previous=True)] if done else 0,
        "due_by": period.end,
    }
    row["status"] = cadence_status(done=row["done"], previous_done=row["previous_done"], required=row["required"])
    row["remaining"] = max(0, row["required"] - row["done"])
    row["days_left"] = (row["due_by"] - rules.today).days
    row["urgent"] = row["status"] == CadenceStatus.MISSED or (
        row["status"] == CadenceStatus.DUE and row["days_left"] <= REMIND_DAYS
    )
    return row


class CadenceRows:
    """The cadence rows of a ``cadence_query``: a lazy sequence (``count()``, ``len()``, slices, iteration) that
    Django's and DRF's paginators slice. Without a status filter a slice is a page of links in SQL whose visits
    are counted for that page only; with one, every link is counted and filtered (one person's, or a scope's)."""

    LIST_LIMIT = 500  # up to this many links, their enterprise ids are passed as a list; beyond, the scope query

    def __init__(self, *, links, enterprises, rules: Rules, person_id, status: str | None):
        self.links, self.enterprises, self.rules = links, enterprises, rules
        self.person_id, self.status = person_id, status
        self._all: list[dict] | None = None

    def counts_of_every(self, enterprise_ids) -> dict[tuple[int, int], list[int]]:
        """``_counts`` for every link of the query (``enterprise_ids``: their enterprises), by subqueries of the
        same scope as the links when they are many."""
        enterprises = sorted(set(enterprise_ids))
        persons = [self.person_id] if self.person_id is not None else None
        if len(enterprises) > self.LIST_LIMIT:
            # One person's many links (a leader leads ~2,000 enterprises): that person's own visits, from the
            # person indexes, not every visit of the scope's enterprises in the window (170 ms at province
            # scale); the whole scope: its enterprises' visits.
            enterprises = None if persons is not None else self.enterprises
        if persons is None and enterprises is self.enterprises and self.links.scope is not None:
            # The whole scope: its visits as lead are counted for the links' pairs only (``_counts_sql``).
            return _counts(rules=self.rules, enterprises=enterprises, persons=None, scope=self.links.scope)
        return _counts(rules=self.rules, enterprises=enterprises, persons=persons)

    def _complete(self, links: list[dict], *, every: bool) -> list[dict]:
        if not links:
            return []
        if every:
            counts = self.counts_of_every(link["l_e"] for link in links)
        else:
            enterprises = sorted({link["l_e"] for link in links})
            persons = sorted({link["l_person"] for link in links})
            counts = _counts(rules=self.rules, enterprises=enterprises, persons=persons)
        return [_row(link, counts, self.rules) for link in links]

    def every(self) -> list[dict]:
        if self._all is None:
            rows = self._complete(list(self.links), every=True)
            self._all = [r for r in rows if r["status"] == self.status] if self.status else rows
        return self._all

    def count(self) -> int:
        return len(self.every()) if self.status or self._all is not None else self.links.count()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self.every())

    def __getitem__(self, index):
        if self.status or self._all is not None:
            return self.every()[index]
        if isinstance(index, slice):
            return self._complete(list(self.links[index]), every=False)
        return self._complete([self.links[index]], every=False)[0]


def cadence_query(
    *,
    user,
    person=None,
    status: str | None = None,
    role: str | None = None,
    region: str | None = None,
    today: dt.date | None = None,
) -> CadenceRows:
    """The cadence of every (enterprise, liaison person) in ``user``'s scope (``user=None``: everyone's), ordered
    by ``due_by``, enterprise name and person: a ``CadenceRows`` to paginate (2 queries a page: the rules and the
    links, plus 1 for the counts of the page, plus the paginator's count)."""
    rules = Rules(today=today or timezone.localdate())
    person_id = getattr(person, "pk", person)
    links, enterprises = _links(user=user, rules=rules, person_id=person_id, role=role, region=region)
    return CadenceRows(links=links, enterprises=enterprises, rules=rules, person_id=person_id, status=status)


def cadence_rows(**kwargs) -> list[dict]:
    """Every row of ``cadence_query`` (keys: enterprise_id, enterprise_name, person_id, role, tier, period,
    period_start, period_label, required, done, previous_done, due_by, status, remaining, days_left, urgent)."""
    return list(cadence_query(**kwargs))


def _links_counted(query: CadenceRows) -> tuple[list[tuple], dict[tuple[int, int], list[int]]]:
    """Every link of ``query`` as a ``LINK_COLUMNS`` tuple (unordered) and the counts of their visits (``_counts``)."""
    links = query.links.tuples()
    return links, (query.counts_of_every(link[0] for link in links) if links else {})


def _link_statuses(rules: Rules, links: list[tuple], counts: dict) -> Iterator[tuple[tuple, Rule, int, int, str]]:
    """Each of ``links`` (``_links_counted``) as (its tuple, rule, visits done this period, in the previous one,
    ``cadence_status``), from the raw tuples: no row dict per link (a leader has ~2,000, a province ~10,000). The
    rule, its count positions and the status of a link without visits (most of a leader's) are found once per
    (bureau, tier, role)."""
    specs: dict[tuple, tuple[Rule, int, int, str]] = {}  # (bureau, assisted, role) -> rule, positions, unvisited
    for link in links:
        enterprise_id, _name, bureau_id, assisted, person_id, role, _rank = link
        spec = specs.get((bureau_id, assisted, role))
        if spec is None:
            rule = rules.rule(bureau_id, bool(assisted), role)
            spec = specs[(bureau_id, assisted, role)] = (
                rule,
                rules.position(rule, previous=False),
                rules.position(rule, previous=True),
                cadence_status(done=0, previous_done=0, required=rule.required),
            )
        rule, current, previous, unvisited = spec
        done = counts.get((enterprise_id, person_id))
        if done is None:
            yield link, rule, 0, 0, unvisited
            continue
        done, previous_done = done[current], done[previous]
        yield (
            link,
            rule,
            done,
            previous_done,
            cadence_status(done=done, previous_done=previous_done, required=rule.required),
        )


def cadence_todo(*, user, limit: int = 10, today: dt.date | None = None) -> list[dict]:
    """待走访 on the 工作台: the user's own due and missed rows, missed first, then soonest ``due_by``, enterprise name
    (then enterprise and role, as ``cadence_rows`` orders them). The links come in the rows' order (sorted by the
    database) and their statuses from the raw tuples (``_link_statuses``) until ``limit`` missed ones are found:
    the missed come first, so no later link can enter (a leader liaises with ~1,900, nearly all missed). Row dicts
    are built for the ``limit`` shown only. The links and counts are ``cadence_query(user=user, person=user)``'s,
    from statements compiled once per shape of user (``_own_links``, ``_own_counts``)."""
    rules = Rules(today=today or timezone.localdate())
    links = _own_links(user=user, rules=rules)
    counts = _own_counts(person_id=user.pk, rules=rules, enterprises={link[0] for link in links}) if links else {}
    missed, due = [], []
    for link, _rule, _done, _previous_done, status in _link_statuses(rules, links, counts):
        if status == _MISSED:
            missed.append(link)
            if len(missed) == limit:
                break
        elif status == _DUE and len(due) < limit:
            due.append(link)
    return [
        _row(dict(zip(LINK_COLUMNS, (e, name, bureau, bool(assisted), person, role, rank), strict=True)), counts, rules)
        for e, name, bureau, assisted, person, role, rank in (missed + due)[:limit]
    ]


# The 工作台's statements of one person's links and counts, compiled once (``Prepared``) per shape of user, rules
# and number of enterprises: building and compiling the scope's queryset and the four-part count query was most of
# the card's Python calls (an officer's ~2,100 of them).
_OWN_STATEMENTS = Statements()


def _rules_key(rules: Rules) -> tuple:
    """What of ``rules`` a statement holds: the day (the count columns' windows, ``due_rank``) and the own rules."""
    return rules.today, frozenset(rules.own.items())


def _own_links(*, user, rules: Rules) -> list[tuple]:
    """``cadence_query(user=user, person=user).links.tuples(ordered=True)``: ``user``'s own links in the rows' order,
    the statement built for a ``SampleUser`` of ``user``'s shape (the whole city, or a region's scope)."""
    sees_all, region = scope_region(user)
    if not sees_all and region is None:  # sees nothing: no links (``_links`` of an empty scope)
        return []

    def make() -> Prepared:
        def build(pk, *scope):
            # A scoped user has a bureau (``scope_region``), not in the statement: only its region is.
            scoped = {} if sees_all else {"bureau_id": sample_keys(2)[1], "region": scope[0]}
            shape = SampleUser(sees_everything=sees_all, pk=pk, **scoped)
            links, _enterprises = _links(user=shape, rules=rules, person_id=pk, role=None, region=None)
            sql, params = links.sql()
            return f"{sql}{Links.ORDER}", params

        return Prepared(build, SAMPLE_KEY, *[SAMPLE_REGION] * (not sees_all), repeated=True)

    prepared = _OWN_STATEMENTS.once(("links", sees_all, _rules_key(rules)), make)
    return prepared(user.pk, *[region] * (not sees_all))


def _own_counts(*, person_id, rules: Rules, enterprises: set) -> dict[tuple[int, int], tuple[int, ...]]:
    """``CadenceRows.counts_of_every`` of one person's links (``enterprises``: their enterprises, beyond
    ``LIST_LIMIT`` not listed), from a statement compiled once per rules and number of enterprises."""
    listed = sorted(enterprises) if len(enterprises) <= CadenceRows.LIST_LIMIT else None
    size = None if listed is None else len(listed)

    def make() -> Prepared:
        def build(person, *ids):
            return _counts_sql(rules=rules, enterprises=None if size is None else list(ids), persons=[person])

        return Prepared(build, *sample_keys(1 + (size or 0)), repeated=True)

    prepared = _OWN_STATEMENTS.once(("counts", size, _rules_key(rules)), make)
    return _counts_run(*prepared.sql(person_id, *(listed or ())))


def cadence_coverage(*, user, region: str | None = None, today: dt.date | None = None) -> list[dict]:
    """Per liaison person in scope: rows, required and done visits this period, met/due/missed counts.

    The same figures as summing ``cadence_rows`` (rule, counts and ``cadence_status`` alike), from the links' and
    the counts' raw tuples (``_link_statuses``)."""
    query = cadence_query(user=user, region=region, today=today)
    links, counts = _links_counted(query)
    people: dict[tuple[int, str], dict] = {}
    statuses = dict.fromkeys(CadenceStatus.values, 0)  # once: ``.values`` rebuilds the choices on every call
    for link, rule, done, _previous_done, status in _link_statuses(query.rules, links, counts):
        person_id, role = link[4], link[5]
        entry = people.get((person_id, role))
        if entry is None:
            entry = people[(person_id, role)] = {
                "person_id": person_id,
                "role": role,
                "enterprises": 0,
                "required": 0,
                "done": 0,
                **statuses,
            }
        entry["enterprises"] += 1
        entry["required"] += rule.required
        entry["done"] += min(done, rule.required)
        entry[status] += 1
    return sorted(people.values(), key=lambda e: (e["role"], e["person_id"]))

"""Global search (DESIGN §8.3: the navbar box, ``/search/`` and ``GET /api/v1/search/``), scoped by ``visible_to``.

One query text finds enterprises (name, credit code with or without spaces, legal representative), contacts
(name, mobile, e-mail), projects (name), visits (code, interviewee), needs, action items and activities (code,
title) and policies (title, document number). Words separated by spaces must all match (in any of the
record's searched fields); one or two Chinese characters work.

Speed (DESIGN §9.2, ≤ 50 ms at province scale): on SQLite every searched model has an FTS5 trigram table kept
by triggers (migration ``0016_search`` explains the two columns: ``body`` for words of three characters or
more, ``grams`` for words of one or two). On PostgreSQL a word of three characters or more is an ``icontains``
lookup served by pg_trgm GIN indexes (0016); a word of one or two, which pg_trgm cannot look up, is
``search_grams @> ARRAY[upper(word)]`` on the generated, GIN-indexed column of migration 0021 (the same records
as ``icontains``). Results come newest first (``-id``), which both databases can stop early on.

``search_enterprises`` is the enterprise list's ``q`` (``EnterpriseQuerySet.search``), kept for the filters.
``enterprise_text_filter`` is how the enterprise FilterSet applies that ``q`` (web list and API): the same
matches, found through the index of the global search first.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, F, Model, Q, QuerySet
from django.db.models.expressions import Expression, RawSQL
from django.urls import reverse

from crm.models import ActionItem, Activity, Contact, Enterprise, Need, Policy, Project, Visit
from crm.querysets import enterprise_search_q, scope_region
from crm.validators import normalize_credit_code

SEARCH_LIMIT = 50  # per kind on the /search/ page and the API at most
SUGGEST_LIMIT = 5  # per kind in the navbar's type-ahead
MAX_QUERY_LENGTH = 100
MAX_WORDS = 8
# On SQLite the newest CANDIDATES matches of the index are scoped first; a user who does not see the whole
# city and gets fewer than asked for is answered again from every match (correct, slower only for a word
# that is common in the city and rare in the user's county).
CANDIDATES = 1000

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CREDIT_CODE_CHARS = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{18}")
_DIGITS = re.compile(r"\d{7,}")
_CODE = re.compile(r"([A-Z]{2})-\d{4}-\d+")


@dataclass(frozen=True)
class SearchKind:
    """One group of results: the model, its index table, the fields it is matched on (``icontains`` off
    SQLite; the index of migration 0015 holds the same ones), and how an item reads and links."""

    key: str
    model: type[Model]
    table: str
    fields: tuple[str, ...]
    title: Callable[[Model], str]
    url: Callable[[Model], str]
    only: tuple[str, ...] = ()  # the columns ``title`` and ``url`` read (besides ``id``)
    related: tuple[str, ...] = ()
    code: bool = False


def _action_item_url(item: ActionItem) -> str:
    if item.need_id:
        return reverse("crm:need-detail", args=[item.need_id])
    if item.project_id:
        return reverse("crm:project-detail", args=[item.project_id])
    return reverse("crm:actionitem-list") + f"?q={item.code}"


KINDS: tuple[SearchKind, ...] = (
    SearchKind(
        "enterprises",
        Enterprise,
        "crm_search_enterprise",
        ("name", "credit_code", "legal_representative"),
        title=lambda e: e.name,
        url=lambda e: reverse("crm:enterprise-detail", args=[e.pk]),
        only=("name",),
    ),
    SearchKind(
        "contacts",
        Contact,
        "crm_search_contact",
        ("name", "mobile", "email"),
        title=lambda c: f"{c.name} · {c.enterprise.name}",
        url=lambda c: reverse("crm:enterprise-detail", args=[c.enterprise_id]) + "#contacts",
        only=("name", "enterprise", "enterprise__name"),
        related=("enterprise",),
    ),
    SearchKind(
        "projects",
        Project,
        "crm_search_project",
        ("name",),
        title=lambda p: p.name,
        url=lambda p: reverse("crm:project-detail", args=[p.pk]),
        only=("name",),
    ),
    SearchKind(
        "visits",
        Visit,
        "crm_search_visit",
        ("code", "interviewee"),
        title=lambda v: f"{v.enterprise.name} · {v.visited_on:%Y-%m-%d}",
        url=lambda v: reverse("crm:visit-detail", args=[v.pk]),
        only=("code", "visited_on", "enterprise", "enterprise__name"),
        related=("enterprise",),
        code=True,
    ),
    SearchKind(
        "needs",
        Need,
        "crm_search_need",
        ("code", "title"),
        title=lambda n: n.title,
        url=lambda n: reverse("crm:need-detail", args=[n.pk]),
        only=("code", "title"),
        code=True,
    ),
    SearchKind(
        "action_items",
        ActionItem,
        "crm_search_actionitem",
        ("code", "title"),
        title=lambda a: a.title,
        url=_action_item_url,
        only=("code", "title", "need", "project"),
        code=True,
    ),
    SearchKind(
        "activities",
        Activity,
        "crm_search_activity",
        ("code", "title"),
        title=lambda a: a.title,
        url=lambda a: reverse("crm:activity-detail", args=[a.pk]),
        only=("code", "title"),
        code=True,
    ),
    SearchKind(
        "policies",
        Policy,
        "crm_search_policy",
        ("title", "doc_number"),
        title=lambda p: f"{p.title}（{p.doc_number}）" if p.doc_number else p.title,
        url=lambda p: reverse("crm:policy-detail", args=[p.pk]),
        only=("title", "doc_number"),
    ),
)
KIND_KEYS = tuple(kind.key for kind in KINDS)


def search_clean(query: str | None) -> str:
    """The query as searched: control characters removed, full-width spaces as spaces, at most 100 characters."""
    text = _CONTROL.sub("", query or "").replace("\u3000", " ").strip()
    return text[:MAX_QUERY_LENGTH]


def search_words(query: str | None) -> list[str]:
    """The words of ``query`` (each must match). A credit code or a mobile typed in groups
    (``9132 0871 MA1N…``, ``138 5171 0001``) is one word."""
    words = search_clean(query).split()
    joined = "".join(words)
    if len(words) > 1 and (_CREDIT_CODE_CHARS.fullmatch(joined.upper()) or _DIGITS.fullmatch(joined)):
        return [joined]
    unique = []
    for word in words:
        if word not in unique:
            unique.append(word)
    return unique[:MAX_WORDS]


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_expression(words: list[str]) -> str | None:
    """The FTS5 query of migration 0015's tables: a long word in ``body``, a short one as its single gram."""
    parts = []
    for word in words:
        if len(word) >= 3:
            parts.append("body:" + _phrase(word))
            continue
        word = word.replace("~", "")
        if word:
            parts.append("grams:" + _phrase(word + "~" * (3 - len(word))))
    return " AND ".join(parts) or None


def _short_grams(kind: SearchKind, words: list[str]) -> RawSQL:
    """PostgreSQL: the record holds every one of ``words`` (one or two characters each) in one of its searched
    fields, as ``icontains`` would say — through the GIN-indexed ``search_grams`` of migration 0021."""
    table = kind.model._meta.db_table
    wanted = ", ".join(["upper(%s)"] * len(words))
    return RawSQL(f'"{table}"."search_grams" @> ARRAY[{wanted}]::text[]', tuple(words), output_field=BooleanField())


# The most common grams of each searched table as ANALYZE last counted them (pg_stats), by database and table →
# (until when, the grams), read again after ``COMMON_GRAMS_FOR`` seconds: they change with ANALYZE only, and reading
# them was ~0.7 ms of every short search. Per process.
_COMMON_GRAMS: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
COMMON_GRAMS_FOR = 300.0


def common_grams_forget() -> None:
    """Forget the common grams read (tests: after an ``ANALYZE``)."""
    _COMMON_GRAMS.clear()


def _common_grams(tables: list[str]) -> dict[str, frozenset[str]]:
    now = time.monotonic()
    db = connection.alias
    stale = [table for table in tables if _COMMON_GRAMS.get((db, table), (0.0,))[0] <= now]
    if stale:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename, most_common_elems::text::text[] FROM pg_stats WHERE schemaname = current_schema() "
                "AND attname = 'search_grams' AND tablename::text = ANY(%s::text[])",
                [stale],
            )
            found = dict(cursor.fetchall())
        for table in stale:
            _COMMON_GRAMS[(db, table)] = (now + COMMON_GRAMS_FOR, frozenset(found.get(table) or ()))
    return {table: _COMMON_GRAMS[(db, table)][1] for table in tables}


def _rare_on_postgresql(kinds, words: list[str]) -> set[str]:
    """The keys of ``kinds`` whose ``search_grams`` statistics (``ANALYZE``) do not list every short word of
    ``words`` among the table's most common grams. For such a word PostgreSQL guesses ~0.5 % of the rows match
    (the actual share is far smaller, often nil) and walks the primary key backwards testing every row — all
    200,000 needs for ``澄源``; those kinds are ordered by ``id + 0`` instead, which leaves the GIN index of
    migration 0021 as the plan (a few rows, sorted). A common word keeps the walk, which stops after ``limit``."""
    short = {word.upper() for word in words if len(word) < 3}
    if not short:
        return set()
    common = _common_grams([kind.model._meta.db_table for kind in kinds])
    return {kind.key for kind in kinds if not short <= common[kind.model._meta.db_table]}


def _words_q(kind: SearchKind, words: list[str]) -> Q:
    condition = Q()
    if connection.vendor == "postgresql":
        short = [word for word in words if len(word) < 3]
        if short:
            condition &= Q(_short_grams(kind, short))
        words = [word for word in words if len(word) >= 3]
    for word in words:
        either = Q()
        for field in kind.fields:
            either |= Q(**{f"{field}__icontains": word})
        condition &= either
    return condition


def _fts_candidates(kinds, expression: str, per_kind: int) -> dict[str, list[int]]:
    """The newest ``per_kind`` ids of every kind whose index matches ``expression``, in one query."""
    parts = [
        f"SELECT * FROM (SELECT '{kind.key}', rowid FROM {kind.table} WHERE {kind.table} MATCH %s "  # noqa: S608
        f"ORDER BY rowid DESC LIMIT {int(per_kind)})"
        for kind in kinds
    ]
    found: dict[str, list[int]] = {kind.key: [] for kind in kinds}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), [expression] * len(parts))
        for key, pk in cursor.fetchall():
            found[key].append(pk)
    return found


def _visible(kind: SearchKind, user) -> QuerySet:
    visible = kind.model.objects.visible_to(user)
    if kind.related:
        visible = visible.select_related(*kind.related)
    return visible.only("id", *kind.only)


def search(*, user, query: str | None, limit: int = SEARCH_LIMIT, kinds=KIND_KEYS) -> dict[str, list[Model]]:
    """Every kind's matches in scope, grouped as DESIGN §8.3 (``{"enterprises": [...], ...}``), newest first, at
    most ``limit`` each. Off SQLite: one query per kind (on PostgreSQL, for a word of one or two characters, one
    more first: which kinds hold it rarely, ``_rare_on_postgresql``). On SQLite: one query reads the candidates of
    every kind from the index, then one query per kind that has any loads them through ``visible_to`` (and, for a
    user who does not see the whole city and got fewer than ``limit`` from ``CANDIDATES``, one more over every
    match)."""
    words = search_words(query)
    chosen = [kind for kind in KINDS if kind.key in kinds]
    found: dict[str, list[Model]] = {kind.key: [] for kind in KINDS}
    if not words or limit <= 0:
        return found
    if connection.vendor != "sqlite":
        rare = _rare_on_postgresql(chosen, words) if connection.vendor == "postgresql" else set()
        for kind in chosen:
            order = (F("pk") + 0).desc() if kind.key in rare else F("pk").desc()
            found[kind.key] = list(_visible(kind, user).filter(_words_q(kind, words)).order_by(order)[:limit])
        return found
    expression = fts_expression(words)
    if expression is None:
        return found
    sees_all, _region = scope_region(user)
    per_kind = limit if sees_all else max(limit, CANDIDATES)
    candidates = _fts_candidates(chosen, expression, per_kind)
    for kind in chosen:
        ids = candidates[kind.key]
        if not ids:
            continue
        rows = list(_visible(kind, user).filter(pk__in=ids).order_by("-pk")[:limit])
        if len(rows) < limit and len(ids) >= per_kind and not sees_all:
            every = RawSQL(f"SELECT rowid FROM {kind.table} WHERE {kind.table} MATCH %s", (expression,))  # noqa: S608
            rows = list(_visible(kind, user).filter(pk__in=every).order_by("-pk")[:limit])
        found[kind.key] = rows
    return found


def search_exact(*, user, query: str | None) -> Model | None:
    """The record ``query`` names exactly — a code (``SQ-2026-0001``) or a credit code, spaces allowed — when the
    user may see it; the search page jumps to it."""
    words = search_words(query)
    if len(words) != 1:
        return None
    word = words[0].upper()
    code = _CODE.fullmatch(word)
    if code:
        for kind in KINDS:
            if kind.code and kind.model.CODE_PREFIX == code.group(1):
                return kind.model.objects.visible_to(user).filter(code=word).first()
        return None
    credit_code = normalize_credit_code(word)
    if _CREDIT_CODE_CHARS.fullmatch(credit_code):
        return Enterprise.objects.visible_to(user).filter(credit_code=credit_code).first()
    return None


def search_item(kind: SearchKind, obj: Model) -> dict:
    """One result as the API and the type-ahead give it: ``{"id", "code", "title", "url"}``."""
    return {
        "id": obj.pk,
        "code": getattr(obj, "code", None) if kind.code else None,
        "title": kind.title(obj),
        "url": kind.url(obj),
    }


def search_items(*, user, query: str | None, limit: int = SEARCH_LIMIT) -> dict[str, list[dict]]:
    """``search`` as plain data (the API's answer)."""
    found = search(user=user, query=query, limit=limit)
    return {kind.key: [search_item(kind, obj) for obj in found[kind.key]] for kind in KINDS}


def search_enterprises(*, user, query: str, limit: int = SEARCH_LIMIT) -> QuerySet:
    """Enterprises in scope matching ``query`` (``EnterpriseQuerySet.search``, the same as the list's ``q``)."""
    query = query.strip()
    if not query:
        return Enterprise.objects.none()
    return (
        Enterprise.objects.visible_to(user)
        .search(query)
        .select_related("region", "industry_chain")
        .prefetch_related("contacts")
        .order_by("name", "id")[:limit]
    )


_CREDIT_CODE_ALPHABET = re.compile(r"[0-9A-HJ-NP-RTUW-Y]+")
# Chinese characters (CJK Unified Ideographs and Extension A): no case, no white space, nothing LIKE escapes, and
# no other character upper-cases to one, so ``UPPER(field) LIKE '%text%'``, ``field LIKE '%TEXT%'`` and the
# upper-cased grams of migration 0021 all say the same of them.
_IDEOGRAPHS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")

# SQLite, a text of one or two Chinese characters (``_IDEOGRAPHS``): the enterprises ``enterprise_search_q`` finds,
# from the index of the global search (migration 0016) with no LIKE on every candidate. The grams hold such a text
# exactly when the name or legal representative does, but for a row of either holding a "~", which the grams drop
# (the few of index crm_ent_tilde_idx: checked by LIKE); a contact's grams are of its name alone, and the contact
# gives its enterprise when its name, or the enterprise's own fields (a "~" again), hold the text. Parameters: the
# FTS5 expression twice, the LIKE pattern three times, the expression, the pattern four times. ``+id``: the few
# "~" rows from their index, not the many candidates' rows by key.
_TILDE = "(\"name\" LIKE '%%~%%' ESCAPE '\\' OR \"legal_representative\" LIKE '%%~%%' ESCAPE '\\')"  # as the index
_OWN_FIELDS = (
    "({0}name LIKE %s ESCAPE '\\' OR {0}credit_code LIKE %s ESCAPE '\\' OR {0}legal_representative LIKE %s ESCAPE '\\')"
)
_SQLITE_SHORT_IDEOGRAPHS = (
    "SELECT rowid FROM crm_search_enterprise WHERE crm_search_enterprise MATCH %s "
    f"AND rowid NOT IN (SELECT id FROM crm_enterprise WHERE {_TILDE}) "
    f"UNION ALL SELECT id FROM crm_enterprise WHERE {_TILDE} "
    "AND +id IN (SELECT rowid FROM crm_search_enterprise WHERE crm_search_enterprise MATCH %s) "
    f"AND {_OWN_FIELDS.format('')} "
    "UNION ALL SELECT c.enterprise_id FROM crm_contact c JOIN crm_enterprise e ON e.id = c.enterprise_id "
    "WHERE c.id IN (SELECT rowid FROM crm_search_contact WHERE crm_search_contact MATCH %s) "
    f"AND (c.name LIKE %s ESCAPE '\\' OR {_OWN_FIELDS.format('e.')})"
)


# SQLite: from this many enterprises whose index holds the text, a page in name order walks the name index (it
# meets a match every ~30 entries for the 3,400 of 华新 in 100,000) instead of reading every match's row to sort it.
WALK_FROM = 1000
_NAME_ORDER = {("name", "id"), ("name", "pk"), ("-name", "-id"), ("-name", "-pk")}


class _OnKey(Expression):
    """A condition on the enterprise's key (``F("pk")``, resolved): its alias follows the query, so the condition
    stays right when the queryset becomes a subquery (``U0``)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, key=None):
        super().__init__()
        self.key = key if key is not None else F("pk")

    def get_source_expressions(self):
        return [self.key]

    def set_source_expressions(self, exprs):
        (self.key,) = exprs


class _SqliteFound(_OnKey):
    """SQLite: the enterprise's key is one of ``sql``'s (the enterprises the FTS5 index finds), ``pk IN (sql)``.

    SQLite reads such a condition from the keys, row by row, whatever their number: for a page in name order of a
    common text that is every match's row read and sorted to keep 20 (2.5 ms for the 3,400 of 华新), where walking
    the name index and looking each entry up in the keys stops at the page (0.4 ms). So a query ordered by name
    whose text the index holds for ``WALK_FROM`` enterprises or more says ``+pk IN (sql)`` (the unary plus: not
    from the keys); a count (no order), another order or a rare text (the walk would pass the whole index, 4 ms)
    keep the plain condition. ``expression``: the FTS5 query on ``crm_search_enterprise`` whose matches decide."""

    def __init__(self, sql: str, params: tuple, expression: str, key=None):
        super().__init__(key)
        self.sql, self.params, self.expression = sql, params, expression

    def as_sql(self, compiler, connection):
        key_sql, key_params = compiler.compile(self.key)
        walk = "+" if self._name_ordered(compiler.query) and self._common(connection) else ""
        return f"{walk}{key_sql} IN ({self.sql})", (*key_params, *self.params)

    @staticmethod
    def _name_ordered(query) -> bool:
        ordering = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
        return tuple(o if isinstance(o, str) else None for o in ordering) in _NAME_ORDER

    def _common(self, connection) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM crm_search_enterprise WHERE crm_search_enterprise MATCH %s "
                "LIMIT %s)",
                (self.expression, WALK_FROM),
            )
            return cursor.fetchone()[0] >= WALK_FROM


class _EnterpriseShortGrams(_OnKey):
    """PostgreSQL: the enterprise's own ``search_grams`` (migration 0021) hold ``text`` (upper-cased) or its
    credit-code form, or one of its contacts' grams hold ``text`` — a superset of ``enterprise_search_q`` for a
    text of one or two characters. With ``exact`` (a text of Chinese characters alone, ``_IDEOGRAPHS``) the
    contacts are those whose name holds ``text`` too, and the condition is ``enterprise_search_q`` itself: the
    grams of a row hold such a text exactly when its name, credit code or legal representative does.

    The contacts come as ``id = ANY(ARRAY(SELECT …))``: an init plan run once, whose array the primary key can
    serve, so PostgreSQL filters the enterprise rows where it reads them (a GIN bitmap scan, or the name index
    walked in page order for a common text). ``id IN (SELECT … UNION SELECT …)`` made it collect every candidate
    key first and then fetch each row again by primary key to sort and count (30 ms for 3,400 rows of 华新); an
    ``OR id IN (SELECT …)`` made it scan the whole table. The row's alias comes from its resolved primary key,
    so the condition stays right when the queryset becomes a subquery (``U0``).

    ``rare``: no gram of the text is among the table's most common (``_common_grams``). PostgreSQL then
    guesses ~0.5 % of the rows match and, for a page of 15 rows or fewer, walked the name index expecting to meet
    them soon: 75-200 ms through all 100,000 enterprises for a text with one match or none. Such a text's rows are
    given as keys (``id = ANY(ARRAY(SELECT id … ) || ARRAY(…contacts…))``, init plans through the GIN indexes), which
    the primary key serves: 0.3 ms."""

    def __init__(self, text: str, credit_code: str, key=None, *, exact: bool = False, rare: bool = False):
        super().__init__(key)
        self.text, self.credit_code, self.exact, self.rare = text, credit_code, exact, rare

    def as_sql(self, compiler, connection):
        key_sql, key_params = compiler.compile(self.key)
        grams = f"{compiler.quote_name_unless_alias(self.key.alias)}.search_grams"
        contacts, contact_params = "search_grams @> ARRAY[upper(%s)]::text[]", [self.text]
        if self.exact:  # a contact's name, as ``enterprise_search_q`` (``icontains``) reads it
            contacts += " AND UPPER(name::text) LIKE UPPER(%s)"
            contact_params.append(f"%{connection.ops.prep_for_like_query(self.text)}%")
        if self.rare:
            return (
                f"{key_sql} = ANY(ARRAY(SELECT id FROM crm_enterprise WHERE search_grams && "
                f"ARRAY[upper(%s), %s]::text[]) || ARRAY(SELECT enterprise_id FROM crm_contact WHERE {contacts}))",
                (*key_params, self.text, self.credit_code, *contact_params),
            )
        return (
            f"({grams} && ARRAY[upper(%s), %s]::text[] OR {key_sql} = ANY(ARRAY("
            f"SELECT enterprise_id FROM crm_contact WHERE {contacts})))",
            (self.text, self.credit_code, *key_params, *contact_params),
        )


def enterprise_text_filter(queryset: QuerySet, text: str) -> QuerySet:
    """``queryset`` narrowed to the enterprises ``text`` finds (the enterprise list's ``q``): name, credit code
    (a whole code typed in groups with spaces too), legal representative, or a contact's name contains it.

    The rows are exactly those of ``enterprise_search_q``; on SQLite the FTS5 trigram tables of the global
    search (migration 0016) first narrow them to the enterprises whose index, or one of whose contacts' index,
    holds ``text`` (a superset: the index is case-folded and joins the fields), and ``enterprise_search_q`` then
    checks those few instead of every enterprise. A one- or two-character text that could be part of a credit
    code (the short-word grams index only the Chinese-text fields) is checked on every row as before. On
    PostgreSQL the pg_trgm indexes serve ``enterprise_search_q`` itself, and a text of one or two characters is
    first narrowed by the ``search_grams`` of migration 0021 (which hold every searched field, credit code too);
    for one or two Chinese characters the grams alone give those rows (``_EnterpriseShortGrams(exact=True)``).
    """
    text = search_clean(text)
    if not text:
        return queryset
    joined = "".join(text.split())
    if joined != text and _CREDIT_CODE_CHARS.fullmatch(joined.upper()):
        text = joined  # 9132 0871 MA1N… → the code
    if connection.vendor == "postgresql" and len(text) < 3 and 0 < len(normalize_credit_code(text)) < 3:
        # pg_trgm cannot serve a word this short: the grams of migration 0021 narrow the rows first; for Chinese
        # characters they are the answer (no LIKE on every candidate's fields: half the time of the count and of
        # the page's keys for the 3,400 enterprises of 华新)
        code = normalize_credit_code(text)
        # neither gram among those ANALYZE found common: the few rows by key (``rare``), no walk down the name index
        table = Enterprise._meta.db_table
        rare = not {text.upper(), code} & _common_grams([table])[table]
        grams = _EnterpriseShortGrams(text, code, exact=bool(_IDEOGRAPHS.fullmatch(text)), rare=rare)
        if grams.exact:
            return queryset.filter(grams)
        return queryset.filter(grams).filter(enterprise_search_q(text, contact_model=Contact))
    if connection.vendor != "sqlite":
        return queryset.filter(enterprise_search_q(text, contact_model=Contact))
    exact = enterprise_search_q(text, contact_model=Contact)
    if len(text) < 3 and (_CREDIT_CODE_ALPHABET.fullmatch(text.upper()) or "~" in text):
        return queryset.filter(exact)
    expression = "body:" + _phrase(text) if len(text) >= 3 else "grams:" + _phrase(text + "~" * (3 - len(text)))
    if len(text) < 3 and _IDEOGRAPHS.fullmatch(text):
        pattern = f"%{connection.ops.prep_for_like_query(text)}%"
        params = (expression, expression, *[pattern] * 3, expression, *[pattern] * 4)
        return queryset.filter(_SqliteFound(_SQLITE_SHORT_IDEOGRAPHS, params, expression))
    candidates = _SqliteFound(
        "SELECT rowid FROM crm_search_enterprise WHERE crm_search_enterprise MATCH %s "
        "UNION SELECT enterprise_id FROM crm_contact WHERE id IN "
        "(SELECT rowid FROM crm_search_contact WHERE crm_search_contact MATCH %s)",
        (expression, expression),
        expression,
    )
    return queryset.filter(candidates).filter(exact)

"""Pagination that fetches a page's primary keys first, then those rows with their joins; optionally a capped count.

With ``select_related`` the database joins every matching row before it sorts and cuts the page; on SQLite
that costs tens of milliseconds on a 100 000-row table. Sorting and limiting the bare keys first (often from
an index alone) and then loading 20 rows by key keeps a list page's cost independent of the table size, at
the price of one more query. Used by the web list pages and the API alike. The second query fetches the rows by key
alone when the filters joined no other table (the keys came from the filtered query; re-applying a search's
conditions or a scope's subqueries to twenty rows cost the CPU to compile and evaluate them again).

``count_cap`` (the web lists, and ``CappedCountPaginator`` for a page that reads its rows in one query, like the
eligible enterprises of a policy): the count stops at that many rows (``SELECT COUNT(*) FROM (… LIMIT cap + 1)``),
so a list of a big table never counts all of it (PostgreSQL counts by scanning); past the cap the count is a
``CappedCount`` that prints as ``10000+``, and a count that reached the cap stands for a minute without a statement
(``_CAPPED``). A web list's pages end at the cap (filter to see further).

``CountedKeysPaginator`` (the API): the count comes with the page's keys, as a column of their statement. With
``pages_past_cap`` (the API's ``ApiPaginator``) a capped count does not end the pages: clients page on by ``next``,
known from one key read past the page (``OpenEndedPage``); exact counts of 70,000-100,000 rows were 1.4-1.9 ms of a
2.5-5 ms request on SQLite, more on PostgreSQL (issue 18: capped counting where exactness is not needed).

``prepare_rows`` (the API and the web lists: ``PreparedRowsPaginator``): the rows-by-key statement of a query by key
alone (as ``page_rows`` reshapes it) is compiled once per shape of the query and number of keys (``crm.prepared``):
building and compiling a list's ``select_related`` and ``only`` cost ~1.2 ms of CPU on every page, the database a
fraction of it.
"""

import time
from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.db.models.query import ModelIterable
from django.utils.functional import cached_property

from crm.prepared import Prepared, Statements

COUNT_CAP = 10_000
# A list narrowed by a text search (``q``) counts to this at most: nobody pages through a thousand hits of a word
# (they type a second one), and counting every hit of a common one (3,400 enterprises of 华新 at province scale)
# was most of the request: each hit's row read to be counted (issue 18).
SEARCH_COUNT_CAP = 1_000


def count_cap_for(params) -> int:
    """The count cap of a list requested with the query parameters ``params`` (``request.GET`` or
    ``request.query_params``): ``SEARCH_COUNT_CAP`` when they search by text (``q``), else ``COUNT_CAP``."""
    return SEARCH_COUNT_CAP if str(params.get("q") or "").strip() else COUNT_CAP


class CappedCount(int):
    """A count that stopped at the cap: compares and pluralises as the cap, prints as ``10000+``."""

    def __str__(self) -> str:
        return f"{int(self)}+"

    __repr__ = __str__


def _plain(rows) -> bool:
    return isinstance(rows, QuerySet) and not rows.query.distinct and not rows.query.combinator


def _rows_unfiltered(rows: QuerySet, page_rows: Callable[[QuerySet], QuerySet] | None = None) -> QuerySet:
    """The query of a page's rows by key (their keys still to be filtered on), as ``rows`` loads them (its
    ``select_related``, prefetches, annotations, deferred fields), reshaped by ``page_rows``, unsorted. The filters
    are dropped when they joined no table (they could not change what a row's annotations read); else they are
    applied again, as a filter's join may be what an annotation counts over."""
    unfiltered = rows.order_by()
    query = unfiltered.query
    if not any(uses for alias, uses in query.alias_refcount.items() if alias != query.base_table):
        query.clear_where()
    return page_rows(unfiltered) if page_rows is not None else unfiltered


def _frozen(related) -> object:
    """``Query.select_related`` (``True`` or nested dicts of names) as a hashable value."""
    if isinstance(related, dict):
        return tuple(sorted((name, _frozen(inner)) for name, inner in related.items()))
    return related


def _shape(rows: QuerySet) -> tuple | None:
    """All that the SQL of ``rows`` (unfiltered, unsorted: ``_rows_unfiltered``) depends on, or None when it may
    depend on more: filters, annotations, ``extra``, a slice, values, … (those rows are read as the ORM reads them)."""
    query = rows.query
    if (
        rows._iterable_class is not ModelIterable
        or rows._fields is not None
        or rows._known_related_objects
        or query.where
        or query.annotations
        or query.extra
        or query.extra_tables
        or query.extra_order_by
        or query.order_by
        or query.default_ordering
        or query.select
        or query.values_select
        or not query.default_cols
        or query.distinct
        or query.combinator
        or query.select_for_update
        or query.low_mark
        or query.high_mark is not None
        or query._filtered_relations
    ):
        return None
    joins = tuple(
        (alias, type(join).__name__, join.table_name, getattr(join, "join_type", None), query.alias_refcount[alias])
        for alias, join in query.alias_map.items()
    )
    deferred, defer = query.deferred_loading
    return (query.model, rows.db, _frozen(query.select_related), frozenset(deferred), defer, joins)


# Values a page's rows show that the database computes per row: ``(name, make)`` pairs, ``make()`` the expression
# (a correlated count), the same SQL on every call: ``make`` stands for it in the shape of the rows statement.
RowAnnotations = tuple[tuple[str, Callable[[], object]], ...]

# The rows-by-key statements (``prepare_rows``), per shape of the rows query and number of keys: a process serves a
# few lists, each of a few shapes, with page sizes of 1 to 200. None: the statement cannot be prepared.
_ROWS_STATEMENTS = Statements()


def _annotated(rows: QuerySet, annotations: RowAnnotations) -> QuerySet:
    return rows.annotate(**{name: make() for name, make in annotations}) if annotations else rows


def _prepared_rows(base: QuerySet, keys: list, annotations: RowAnnotations = ()) -> list | None:
    """The rows of ``keys`` of ``base`` (``_rows_unfiltered``, as ``page_rows`` reshaped it: what that adds is in
    the shape) with ``annotations``, by a statement compiled once per shape, annotations and number of keys (their
    prefetches done as the ORM does them), or None when ``base`` is not of a shape ``_shape`` knows."""
    if not all(type(key) is int for key in keys):
        return None
    shape = _shape(base)
    if shape is None:
        return None
    lookups = base._prefetch_related_lookups
    key = (shape, annotations, len(keys))
    prepared = _ROWS_STATEMENTS.once(key, lambda: _rows_statement(base, annotations, len(keys)))
    if prepared is None:
        return None
    try:
        objects = prepared(*keys, using=base.db)
    except ValueError:  # not a statement ``Prepared`` runs
        _ROWS_STATEMENTS.keep(key, None)
        return None
    if lookups:
        prefetch_related_objects(objects, *lookups)
    return objects


def _rows_statement(base: QuerySet, annotations: RowAnnotations, count: int) -> Prepared:
    plain = _annotated(base.prefetch_related(None), annotations)
    # Rows by primary key: one plan whatever the keys (PostgreSQL planned a list's joins anew on every page, up to
    # ~1.5 ms of its CPU for the needs' five joins, more than it took to read them).
    return Prepared.for_keys(lambda *pks: plain.filter(pk__in=pks), count, plan_once=True)


def _key_count_sql(keys: QuerySet) -> tuple[str, tuple]:
    """The statement Django writes for ``keys.count()`` of a (sliced) ``values("pk")`` query (``SELECT COUNT(*) FROM
    (…) subquery``), from the query's own SQL: Django's aggregation clones and rewrites the query into an outer one
    first (~0.4 ms of CPU on every list page for the same statement). EmptyResultSet: a filter that matches nothing
    (an empty scope)."""
    sql, params = keys.query.get_compiler(keys.db).as_sql(with_col_aliases=True)
    return f"SELECT COUNT(*) FROM ({sql}) subquery", params


# Capped counts that reached their cap, by database, statement and values → until when (time.monotonic()) the list
# is taken to pass it without counting again. A list of more than ``COUNT_CAP`` rows does not fall under it in a
# minute, and counting to the cap read 10,001 index entries on every page of such a list (the open needs, the
# visits of the last 90 days: ~1-1.5 ms of the server's time a page under the load test, pg_stat_statements). A
# count under the cap is read afresh every time. Per process; emptied when full (``CAPPED_LIMIT``).
_CAPPED: dict[tuple, float] = {}
CAPPED_FOR = 60.0
CAPPED_LIMIT = 1_000


def capped_forget() -> None:
    """Forget the capped counts kept (tests: another test's rows)."""
    _CAPPED.clear()


def _capped_key(db: str, sql: str, params) -> tuple | None:
    """The key of a capped count's statement in ``_CAPPED``, or None when a value is not hashable (none of the lists'
    filters gives one: such a list is counted each time)."""
    key = (db, sql, tuple(params))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _capped_passed(key: tuple | None) -> bool:
    return key is not None and _CAPPED.get(key, 0.0) > time.monotonic()


def _capped_remember(key: tuple | None) -> None:
    if key is not None:
        if len(_CAPPED) >= CAPPED_LIMIT:
            _CAPPED.clear()
        _CAPPED[key] = time.monotonic() + CAPPED_FOR


def _capped_key_count(keys: QuerySet, cap: int) -> int:
    """``keys.count()`` of a ``values("pk")`` query sliced at ``cap + 1`` (``_key_count_sql``); ``cap + 1`` without a
    statement while a count of the same statement reached it less than ``CAPPED_FOR`` seconds ago."""
    try:
        sql, params = _key_count_sql(keys)
    except EmptyResultSet:  # no statement, as Django
        return 0
    key = _capped_key(keys.db, sql, params)
    if _capped_passed(key):
        return cap + 1
    with connections[keys.db].cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()[0]
    if found > cap:
        _capped_remember(key)
    return found


def _counted_keys(rows: QuerySet, bottom: int, top: int, cap: int | None) -> list[tuple[int, int]]:
    """``(key, count)`` of each row of ``rows[bottom:top]`` in one statement: the count of all ``rows`` (up to ``cap +
    1`` when capped) is a scalar subquery column of the keys' query, computed once (SQLite: once; PostgreSQL: an
    InitPlan) and only when the page has rows. A window ``COUNT(*) OVER ()`` would make the database read every
    matching row before it cuts the page, where the keys alone stop at the page (from an index). A capped count that
    reached its cap stands for ``CAPPED_FOR`` seconds, as the web lists' (``_capped_key_count``): the keys alone."""
    counted = rows.order_by().values("pk")
    try:
        sql, params = _key_count_sql(counted if cap is None else counted[: cap + 1])
    except EmptyResultSet:
        return []
    key = _capped_key(rows.db, sql, params) if cap is not None else None
    if _capped_passed(key):
        return [(pk, cap + 1) for pk in rows.values_list("pk", flat=True)[bottom:top]]
    count = RawSQL(sql, params)  # no output field: the database's integer as it comes, no converter per row
    found = list(rows.values_list("pk", count)[bottom:top])
    if cap is not None and found and found[0][1] > cap:
        _capped_remember(key)
    return found


class CappedCountPaginator(Paginator):
    """A Django paginator whose count may stop at ``count_cap`` (pages read as Django reads them: one query)."""

    def __init__(self, *args, count_cap: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_cap = count_cap

    @cached_property
    def count(self):
        rows = self.object_list
        if self.count_cap is None or not isinstance(rows, QuerySet):
            return super().count
        counted = rows.order_by()
        if _plain(counted):
            # Only the keys: an annotation the page shows (a correlated count per row) is not computed for
            # every counted row (filters on it still apply).
            found = _capped_key_count(counted.values("pk")[: self.count_cap + 1], self.count_cap)
        else:
            found = counted[: self.count_cap + 1].count()
        return CappedCount(self.count_cap) if found > self.count_cap else found

    @property
    def count_is_capped(self) -> bool:
        return isinstance(self.count, CappedCount)

    def _bounds(self, number) -> tuple[int, int, int]:
        """The page number and its slice; past a capped count the page stays full (the rows go on)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count and not self.count_is_capped:
            top = self.count
        return number, bottom, top

    def page(self, number):
        number, bottom, top = self._bounds(number)
        return self._get_page(self.object_list[bottom:top], number, self)


class KeysFirstPaginator(CappedCountPaginator):
    """``page_rows`` (optional) reshapes the query that loads a page's rows by key (e.g. ``only`` the columns a web
    row shows, no prefetch of what the page does not show): the count and the keys still read the list's queryset,
    and a list that cannot be read by keys (``DISTINCT``, a union) keeps its own rows. ``row_annotations``: on the
    page's rows only (``RowAnnotations``), not on what is counted or sorted. ``prepare_rows``: the rows by key
    (reshaped by ``page_rows``) through a prepared statement when the query's shape allows it."""

    prepare_rows = False

    def __init__(
        self,
        *args,
        page_rows: Callable[[QuerySet], QuerySet] | None = None,
        row_annotations: RowAnnotations = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.page_rows = page_rows
        self.row_annotations = row_annotations

    def page(self, number):
        number, bottom, top = self._bounds(number)
        rows = self.object_list
        if not _plain(rows):
            return self._get_page(_annotated(rows, self.row_annotations)[bottom:top], number, self)
        # The keys of a whole page whatever the count, as the API's (``_counted_keys``): the same rows, and the
        # same LIMIT for every page. PostgreSQL planned the LIMIT of a few rows (a rare text's 1-15 matches) as a
        # walk down the name index expecting more matches than there were: 75-200 ms for 100,000 enterprises.
        if top <= bottom:  # nothing counted: no statement
            return self._get_page([], number, self)
        keys = rows.values_list("pk", flat=True)[bottom : max(top, bottom + self.per_page)]
        return self._page_of_keys(list(keys), number)

    def _page_of_keys(self, keys: list, number: int):
        """Page ``number`` of the rows of ``keys`` (of the plain ``object_list``), in their order."""
        return self._get_page(self._rows_of_keys(keys), number, self)

    def _rows_of_keys(self, keys: list) -> list:
        """The rows of ``keys`` (of the plain ``object_list``), in their order."""
        base = _rows_unfiltered(self.object_list, self.page_rows)
        annotations = self.row_annotations
        found = _prepared_rows(base, keys, annotations) if self.prepare_rows and keys else None
        if found is None:
            found = _annotated(base, annotations).filter(pk__in=keys)
        by_key = {obj.pk: obj for obj in found}
        return [by_key[key] for key in keys if key in by_key]


class PreparedRowsPaginator(KeysFirstPaginator):
    """The API's and the web lists' pages: the rows by key through a statement prepared per shape."""

    prepare_rows = True


class CountedKeysPaginator(PreparedRowsPaginator):
    """The API's pages: the page's keys and the count (capped as ``count_cap`` says) in one statement
    (``_counted_keys``): one statement fewer per list, and no Django aggregation. A page past the last is an
    ``EmptyPage`` as before; a count set beforehand, a list not read by keys (``DISTINCT``, a union, ``GROUP BY``) or
    ``orphans`` (the page's end depends on the count) are paged as ``PreparedRowsPaginator`` pages them.

    ``pages_past_cap``: a capped count does not end the pages; a page is there when it has rows, and whether the next
    one is comes from one more key read with the page's (``OpenEndedPage``)."""

    pages_past_cap = False

    def page(self, number):
        rows = self.object_list
        if "count" in self.__dict__ or self.orphans or not _plain(rows) or rows.query.group_by is not None:
            if self.pages_past_cap and self.count_is_capped:
                return self._open_page(number)
            return super().page(number)
        number = self._whole(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        open_ended = self.pages_past_cap and self.count_cap is not None
        found = _counted_keys(rows, bottom, top + 1 if open_ended else top, self.count_cap)
        if not found and number > 1:
            # No row at this offset: the count is at most ``bottom``, so the page is past the last. (That statement
            # walked the rows up to the offset, as the last page's does, where the count alone sufficed before.)
            raise EmptyPage(self.error_messages["no_results"])
        counted = found[0][1] if found else 0
        capped = self.count_cap is not None and counted > self.count_cap
        self.count = CappedCount(self.count_cap) if capped else counted
        keys = [key for key, _count in found[: self.per_page]]
        if capped and open_ended:  # rows here (found), so the page is one
            return OpenEndedPage(self._rows_of_keys(keys), number, self, more=len(found) > self.per_page)
        # A capped count ends the pages at the cap although rows go on (and 0 rows is no page without
        # ``allow_empty_first_page``), as the count read first decided.
        number = self.validate_number(number)
        return self._page_of_keys(keys, number)

    def _open_page(self, number):
        """Page ``number`` of a list past its capped count that is not read by its keys with the count (``DISTINCT``,
        a union, ``GROUP BY``, a count set beforehand): its rows and one more, to know whether a next page is."""
        number = self._whole(number)
        bottom = (number - 1) * self.per_page
        found = list(_annotated(self.object_list, self.row_annotations)[bottom : bottom + self.per_page + 1])
        if not found and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return OpenEndedPage(found[: self.per_page], number, self, more=len(found) > self.per_page)

    def _whole(self, number) -> int:
        """``validate_number`` before the count is known: a whole number from 1, the same errors."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


class OpenEndedPage(Page):
    """A page of a list whose count stopped at its cap: the next page is there when a row follows this one's
    (``more``), not when the count says so; the rows go on past the cap."""

    def __init__(self, object_list, number, paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def next_page_number(self) -> int:
        if not self.more:
            raise EmptyPage(self.paginator.error_messages["no_results"])
        return self.number + 1

    def previous_page_number(self) -> int:
        if self.number <= 1:
            raise EmptyPage(self.paginator.error_messages["min_page"])
        return self.number - 1

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self)


class ApiPaginator(CountedKeysPaginator):
    """The API's lists: the count stops at ``COUNT_CAP`` as the web lists' does, the pages go on past it."""

    pages_past_cap = True

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("count_cap", COUNT_CAP)
        super().__init__(*args, **kwargs)

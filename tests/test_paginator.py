from unittest import mock

import pytest
from django.core.paginator import EmptyPage, InvalidPage, PageNotAnInteger
from django.db import connection
from django.db.models import Count, Value
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from crm import paginator as paginator_module
from crm import prepared
from crm.models import Enterprise
from crm.paginator import (
    ApiPaginator,
    CappedCountPaginator,
    CountedKeysPaginator,
    KeysFirstPaginator,
    PreparedRowsPaginator,
)
from tests.factories import credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(regions, chains):
    return Enterprise.objects.bulk_create(
        Enterprise(
            name=f"企业{i:02d}",
            credit_code=credit_code(500 + i),
            region=regions["320812"],
            industry_chain=chains["nev"],
        )
        for i in range(25)
    )


def test_pages_keep_the_queryset_order_and_its_joins(rows):
    queryset = Enterprise.objects.select_related("region", "industry_chain").order_by("-name")
    paginator = KeysFirstPaginator(queryset, 10)
    page = paginator.page(2)
    assert [e.name for e in page] == [f"企业{i:02d}" for i in range(14, 4, -1)]
    with CaptureQueriesContext(connection) as ctx:
        assert {e.region.name for e in page} == {"清江浦区"}
    assert not ctx.captured_queries  # the joined rows came with the page
    assert paginator.count == 25
    assert [e.name for e in paginator.page(3)] == [f"企业{i:02d}" for i in range(4, -1, -1)]


def test_distinct_querysets_are_sliced_directly(rows):
    queryset = Enterprise.objects.filter(name__startswith="企业").distinct().order_by("name")
    assert [e.name for e in KeysFirstPaginator(queryset, 5).page(1)] == [f"企业{i:02d}" for i in range(5)]


def test_orphans_join_the_last_page(rows):
    page = KeysFirstPaginator(Enterprise.objects.order_by("name"), 10, orphans=5).page(2)
    assert len(page) == 15


def test_a_capped_count_stops_at_the_cap_and_prints_a_plus(rows):
    queryset = Enterprise.objects.order_by("name")
    paginator = KeysFirstPaginator(queryset, 10, count_cap=20)
    with CaptureQueriesContext(connection) as ctx:
        assert paginator.count == 20 and str(paginator.count) == "20+" and paginator.count_is_capped
    assert "LIMIT 21" in ctx.captured_queries[0]["sql"]  # counted up to the cap, not the whole table
    assert paginator.num_pages == 2
    assert [e.name for e in paginator.page(2)] == [f"企业{i:02d}" for i in range(10, 20)]  # full, not cut at 20
    exact = KeysFirstPaginator(queryset, 10, count_cap=25)
    assert exact.count == 25 and str(exact.count) == "25" and not exact.count_is_capped
    assert KeysFirstPaginator(queryset, 10).count == 25  # no cap: exact (the API pages by it)


def test_a_count_that_reached_its_cap_stands_for_a_while_one_under_it_is_read_each_time(rows, monkeypatch):
    queryset = Enterprise.objects.order_by("name")
    assert KeysFirstPaginator(queryset, 10, count_cap=20).count_is_capped
    with CaptureQueriesContext(connection) as ctx:
        again = KeysFirstPaginator(queryset, 10, count_cap=20)
        assert again.count == 20 and again.count_is_capped
        # Under its cap (another statement: LIMIT 31): counted, and again after a row more.
        assert KeysFirstPaginator(queryset, 10, count_cap=30).count == 25
        Enterprise.objects.filter(pk=rows[0].pk).delete()
        assert KeysFirstPaginator(queryset, 10, count_cap=30).count == 24
    assert [q["sql"].split()[:2] for q in ctx.captured_queries if "LIMIT 21" in q["sql"]] == []
    # Past ``CAPPED_FOR`` the list is counted again.
    monkeypatch.setattr(paginator_module, "CAPPED_FOR", 0.0)
    Enterprise.objects.filter(pk__in=[r.pk for r in rows[1:6]]).delete()  # 19 rows: under the cap now
    assert KeysFirstPaginator(queryset, 10, count_cap=20).count == 20  # still within the minute kept before
    paginator_module.capped_forget()
    assert KeysFirstPaginator(queryset, 10, count_cap=20).count == 19
    assert KeysFirstPaginator(queryset, 10, count_cap=18).count_is_capped
    assert KeysFirstPaginator(queryset, 10, count_cap=18).count == 18  # kept for no time: counted again
    Enterprise.objects.filter(pk__in=[r.pk for r in rows[6:10]]).delete()  # 15 rows
    assert KeysFirstPaginator(queryset, 10, count_cap=18).count == 15


def test_a_capped_count_is_the_statement_django_writes_without_its_aggregation(rows):
    # The same statement as ``QuerySet.count()`` of the capped keys, written from their SQL (not through Django's
    # aggregation, which clones and rewrites the query into an outer one on every list page).
    queryset = Enterprise.objects.filter(name__startswith="企业").select_related("region").order_by("name")
    with CaptureQueriesContext(connection) as django_ctx:
        assert queryset.order_by().values("pk")[:21].count() == 21
    aggregation = mock.patch("django.db.models.sql.query.Query.get_aggregation", side_effect=AssertionError)
    with aggregation, CaptureQueriesContext(connection) as ctx:
        assert KeysFirstPaginator(queryset, 10, count_cap=20).count == 20
        assert KeysFirstPaginator(queryset, 10, count_cap=30).count == 25
        assert KeysFirstPaginator(Enterprise.objects.none(), 10, count_cap=20).count == 0  # no statement
    assert ctx.captured_queries[0]["sql"] == django_ctx.captured_queries[0]["sql"]
    assert len(ctx.captured_queries) == 2
    # A DISTINCT list is counted by Django (its keys alone would count another thing).
    assert KeysFirstPaginator(queryset.distinct(), 10, count_cap=20).count == 20


def test_capped_count_paginator_reads_a_page_in_one_query(rows):
    queryset = Enterprise.objects.select_related("region").order_by("name")
    paginator = CappedCountPaginator(queryset, 10, count_cap=20)
    assert str(paginator.count) == "20+" and paginator.num_pages == 2
    with CaptureQueriesContext(connection) as ctx:
        page = paginator.page(2)
        assert [e.name for e in page] == [f"企业{i:02d}" for i in range(10, 20)]  # full, not cut at the cap
        assert {e.region.name for e in page} == {"清江浦区"}
    assert len(ctx.captured_queries) == 1  # no keys-first query: the rows as the queryset reads them
    assert CappedCountPaginator(queryset, 10).count == 25


def test_web_list_shows_a_capped_count(client, officer, rows, monkeypatch):
    monkeypatch.setattr("crm.paginator.COUNT_CAP", 20)
    client.force_login(officer)
    response = client.get("/enterprises/")
    assert str(response.context["total_count"]) == "20+"
    assert 'data-count="20+"' in response.content.decode()


def test_a_list_found_by_text_counts_to_the_search_cap(client, manager, rows, monkeypatch):
    """``q`` counts to ``SEARCH_COUNT_CAP`` (issue 18); the pages still lead to every match."""
    monkeypatch.setattr("crm.paginator.COUNT_CAP", 20)
    monkeypatch.setattr("crm.paginator.SEARCH_COUNT_CAP", 5)
    client.force_login(manager)
    found = client.get("/enterprises/", {"q": "企业", "page_size": 10})
    assert str(found.context["total_count"]) == "5+"
    assert [e.name for e in found.context["object_list"]] == [f"企业{i:02d}" for i in range(10)]
    assert str(client.get("/enterprises/", {"q": "企业1"}).context["total_count"]) == "5+"
    exact = client.get("/enterprises/", {"q": "企业2"}).context["total_count"]
    assert exact == 5 and str(exact) == "5"  # five matches: counted, not capped
    assert str(client.get("/enterprises/", {"q": " "}).context["total_count"]) == "20+"  # blank: no text search
    assert str(client.get("/enterprises/").context["total_count"]) == "20+"


def test_page_rows_are_read_by_key_alone_when_the_filters_joined_nothing(rows):
    queryset = Enterprise.objects.filter(name__contains="企业").select_related("region").order_by("name")
    with CaptureQueriesContext(connection) as ctx:
        page = KeysFirstPaginator(queryset, 5).page(2)
        assert [e.name for e in page] == [f"企业{i:02d}" for i in range(5, 10)]
        assert {e.region.name for e in page} == {"清江浦区"}
    keys_sql, rows_sql = (query["sql"] for query in ctx.captured_queries[-2:])
    assert "LIKE" in keys_sql and "LIKE" not in rows_sql  # the search ran once, on the keys


def test_page_rows_keep_a_filter_that_joined_a_table(rows):
    # A filter's join can be what an annotation counts over: such filters are applied again to the page's rows.
    queryset = Enterprise.objects.filter(industry_chain__name__contains="新能源").order_by("name")
    with CaptureQueriesContext(connection) as ctx:
        assert len(KeysFirstPaginator(queryset, 5).page(1)) == 5
    assert "LIKE" in ctx.captured_queries[-1]["sql"]


def test_page_rows_reshapes_the_query_of_the_page_only(rows):
    queryset = Enterprise.objects.select_related("region").order_by("name")
    paginator = KeysFirstPaginator(queryset, 10, page_rows=lambda page: page.select_related(None).only("name"))
    with CaptureQueriesContext(connection) as ctx:
        page = paginator.page(1)
    assert [e.name for e in page] == [f"企业{i:02d}" for i in range(10)]
    keys, page_rows = (query["sql"] for query in ctx.captured_queries[-2:])
    assert "ORDER BY" in keys and "crm_region" not in page_rows and '"crm_enterprise"."address"' not in page_rows
    distinct = KeysFirstPaginator(queryset.distinct(), 10, page_rows=lambda page: page.none())
    assert len(distinct.page(1)) == 10  # a list not read by keys keeps its own rows


def _compiled_statements(run):
    """``run()`` and the number of statements the ORM compiled meanwhile."""
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as as_sql:
        result = run()
    return result, as_sql.call_count


def test_prepared_rows_compile_the_rows_statement_once_per_shape(rows, regions):
    """The API's pages (``prepare_rows``): a page's rows by key, with their joins, deferred columns and prefetches, by
    a statement compiled on the first page of that shape and size only (fails when every page compiles it)."""

    def queryset():
        return (
            Enterprise.objects.filter(name__startswith="企业")
            .select_related("region")
            .only("name", "region__name")
            .prefetch_related("qualifications")
            .order_by("-name")
        )

    PreparedRowsPaginator(queryset(), 10).page(1)
    paginator = PreparedRowsPaginator(queryset(), 10)
    assert paginator.count == 25
    page, compiled = _compiled_statements(lambda: paginator.page(2))
    assert compiled == 2  # the keys and the prefetch; the rows' statement was compiled for page 1
    assert [e.name for e in page] == [f"企业{i:02d}" for i in range(14, 4, -1)]
    with CaptureQueriesContext(connection) as ctx:
        assert {e.region.name for e in page} == {regions["320812"].name}
        assert all(list(e.qualifications.all()) == [] for e in page)
    assert not ctx.captured_queries  # joined and prefetched with the page
    assert all(e.get_deferred_fields() for e in page)  # ``only`` kept
    last, _compiled = _compiled_statements(lambda: PreparedRowsPaginator(queryset(), 10).page(3))
    assert [e.name for e in last] == [f"企业{i:02d}" for i in range(4, -1, -1)]  # 5 keys: a statement of its own


def test_prepared_rows_read_the_rows_as_page_rows_reshapes_them(rows, regions):
    """The web lists (``page_rows``): the reshaped rows query (its joins, ``only``, no prefetch) is the one prepared,
    compiled on the first page only, and its statement is the ORM's (fails when ``page_rows`` reads through the ORM)."""

    def page_rows(page):
        return page.select_related(None).select_related("region").only("name", "region__name").prefetch_related(None)

    def queryset():
        return Enterprise.objects.select_related("industry_chain").prefetch_related("qualifications").order_by("name")

    def page_two(paginator_class):
        with CaptureQueriesContext(connection) as ctx:
            page, compiled = _compiled_statements(lambda: paginator_class(queryset(), 10, page_rows=page_rows).page(2))
        return page, compiled, ctx.captured_queries[-1]["sql"]

    PreparedRowsPaginator(queryset(), 10, page_rows=page_rows).page(2)
    page, compiled, prepared_sql = page_two(PreparedRowsPaginator)
    assert compiled == 2  # the count and the keys; the rows' statement was compiled for the first page of ten
    _page, orm_compiled, orm_sql = page_two(KeysFirstPaginator)
    assert orm_compiled == 3 and prepared_sql == orm_sql  # the same statement, not built again
    assert [e.name for e in page] == [f"企业{i:02d}" for i in range(10, 20)]
    with CaptureQueriesContext(connection) as ctx:
        assert {e.region.name for e in page} == {regions["320812"].name}
    assert not ctx.captured_queries  # joined with the page
    assert all("qualifications" not in getattr(e, "_prefetched_objects_cache", {}) for e in page)
    assert all(e.get_deferred_fields() for e in page)  # ``only`` kept


def test_row_annotations_are_read_with_the_page_rows_only(rows):
    """``row_annotations``: annotated on the page's rows (by the statement prepared for their shape, the ORM's SQL),
    not on what is counted or sorted; a list read without keys (DISTINCT) has them too."""
    annotations = (("mark", lambda: Value(7)),)

    def page_two(paginator_class, queryset=None):
        queryset = queryset if queryset is not None else Enterprise.objects.order_by("name")
        with CaptureQueriesContext(connection) as ctx:
            run = lambda: paginator_class(queryset, 10, row_annotations=annotations, count_cap=100).page(2)  # noqa: E731
            page, compiled = _compiled_statements(run)
        return page, compiled, [query["sql"] for query in ctx.captured_queries]

    PreparedRowsPaginator(Enterprise.objects.order_by("name"), 10, row_annotations=annotations).page(2)
    page, compiled, statements = page_two(PreparedRowsPaginator)
    assert compiled == 2  # the count and the keys; the rows' statement was compiled for the first page of ten
    assert [(e.name, e.mark) for e in page] == [(f"企业{i:02d}", 7) for i in range(10, 20)]
    _page, orm_compiled, orm_statements = page_two(KeysFirstPaginator)
    assert orm_compiled == 3 and statements == orm_statements  # the same statements, the rows' not built again
    assert "7" not in statements[0] and "7" not in statements[1]  # not counted, not sorted with the mark
    distinct, _compiled, _statements = page_two(PreparedRowsPaginator, Enterprise.objects.distinct().order_by("name"))
    assert [(e.name, e.mark) for e in distinct] == [(f"企业{i:02d}", 7) for i in range(10, 20)]


def test_prepared_rows_leave_other_shapes_to_the_orm(rows):
    """A rows query whose filters joined a table, or with annotations, is read as before (its SQL may hold values)."""
    joined = Enterprise.objects.filter(region__name__isnull=False).order_by("name")
    annotated = Enterprise.objects.annotate(mark=Value(7)).order_by("name")
    for queryset in (joined, annotated):
        for _ in range(2):
            page, compiled = _compiled_statements(lambda q=queryset: PreparedRowsPaginator(q.all(), 10).page(1))
            assert compiled == 3  # count, keys, rows
    assert [e.mark for e in PreparedRowsPaginator(annotated, 10).page(1)] == [7] * 10


def test_prepared_rows_are_planned_once(rows, monkeypatch):
    """The rows by key run through ``plan_once_cursor`` (on PostgreSQL prepared on the server, planned once per
    connection; the count and the keys, whose plans depend on their values, through Django's cursor). Fails when the
    rows statement is run through Django's cursor."""
    planned = []
    plan_once_cursor = prepared.plan_once_cursor

    def recording(conn):
        planned.append(conn.alias)
        return plan_once_cursor(conn)

    monkeypatch.setattr(prepared, "plan_once_cursor", recording)
    with CaptureQueriesContext(connection) as ctx:
        page = PreparedRowsPaginator(Enterprise.objects.select_related("region").order_by("name"), 10).page(2)
    assert [e.name for e in page] == [f"企业{i:02d}" for i in range(10, 20)]
    assert planned == ["default"] and len(ctx.captured_queries) == 3  # count, keys, rows: the rows only


def test_prepared_rows_are_prepared_on_the_server_once_whatever_their_keys(rows, regions, prepared_on_server):
    """PostgreSQL: pages of keys of any size (some under 32,768, some past it) share one prepared statement."""
    far = Enterprise.objects.create(name="企业99", credit_code=credit_code(999), region=regions["320812"], id=2**31 + 5)
    queryset = Enterprise.objects.order_by("-name")
    assert [e.pk for e in PreparedRowsPaginator(queryset, 2).page(1)] == [far.pk, rows[24].pk]
    assert [e.pk for e in PreparedRowsPaginator(queryset, 2).page(2)] == [rows[23].pk, rows[22].pk]
    statements = [sql for sql in prepared_on_server() if sql.startswith('SELECT "crm_enterprise"."id"')]
    assert len(statements) == 1


def _outcome(paginator_class, queryset, per_page, number, **kwargs):
    """What a paginator answers for page ``number``: its count and keys, or the error, and its statements."""
    paginator = paginator_class(queryset, per_page, **kwargs)
    with CaptureQueriesContext(connection) as ctx:
        try:
            page = paginator.page(number)
            answer = (paginator.count, str(paginator.count), paginator.num_pages, [e.pk for e in page])
        except InvalidPage as error:
            answer = (type(error), str(error))
    return answer, [query["sql"] for query in ctx.captured_queries]


@pytest.mark.parametrize("count_cap", [None, 10, 15, 20, 30])
def test_counted_keys_answer_as_the_count_read_first_with_one_statement_fewer(rows, count_cap):
    """The keys with the count (the API's pages): the same count, pages and errors as the count read first (capped
    or not: a page past a capped count is past the last although rows go on), one statement fewer on a page of rows.
    Fails when the count is read apart or computed otherwise."""
    queryset = Enterprise.objects.filter(name__startswith="企业").select_related("region").order_by("-name")
    for number in (1, 2, 3, 4, 5, "2", "x", 0, -1, 2.5, None):
        paginator_module.capped_forget()  # counted each time (not the capped count kept from the last number)
        counted, statements = _outcome(CountedKeysPaginator, queryset, 5, number, count_cap=count_cap)
        paginator_module.capped_forget()
        first, first_statements = _outcome(PreparedRowsPaginator, queryset, 5, number, count_cap=count_cap)
        assert counted == first, (number, count_cap)
        if isinstance(counted[0], int):
            assert len(statements) == len(first_statements) - 1 == 2
            assert "COUNT(*)" in statements[0] and "OVER" not in statements[0]
        elif first_statements:  # past the last page: the keys at that offset (none) instead of the count
            assert len(statements) == 1 and "COUNT(*)" in statements[0]
        else:  # not a page number: no statement
            assert not statements


def test_counted_keys_of_a_page_at_the_cap_and_of_an_empty_list(rows):
    queryset = Enterprise.objects.order_by("name")
    paginator = CountedKeysPaginator(queryset, 5, count_cap=25)
    assert [e.name for e in paginator.page(5)] == [f"企业{i:02d}" for i in range(20, 25)]
    assert paginator.count == 25 and not paginator.count_is_capped
    capped = CountedKeysPaginator(queryset, 5, count_cap=24)
    assert len(capped.page(4)) == 5 and capped.count_is_capped and str(capped.count) == "24+"
    with pytest.raises(EmptyPage):
        CountedKeysPaginator(queryset, 5, count_cap=24).page(6)  # rows go on, the pages stop at the cap
    for empty in (Enterprise.objects.filter(name="无").order_by("name"), Enterprise.objects.none()):
        paginator = CountedKeysPaginator(empty, 5)
        assert list(paginator.page(1)) == [] and paginator.count == 0 and paginator.num_pages == 1
        with pytest.raises(EmptyPage):
            CountedKeysPaginator(empty, 5).page(2)
        with pytest.raises(EmptyPage):
            CountedKeysPaginator(empty, 5, allow_empty_first_page=False).page(1)
    with CaptureQueriesContext(connection) as ctx:
        assert list(CountedKeysPaginator(Enterprise.objects.none(), 5).page(1)) == []
    assert not ctx.captured_queries  # nothing to read, as Django
    with pytest.raises(PageNotAnInteger):
        CountedKeysPaginator(queryset, 5).page("1" * 5000)  # too long for int(): not a number, as Django says


def test_counted_keys_leave_what_they_cannot_count_with_the_keys_to_the_count_read_first(rows):
    """A count set beforehand is kept; orphans (the page's end depends on the count), DISTINCT and GROUP BY lists
    are counted apart, as before."""
    queryset = Enterprise.objects.order_by("name")
    preset = CountedKeysPaginator(queryset, 10)
    preset.count = 99
    with CaptureQueriesContext(connection) as ctx:
        assert len(preset.page(3)) == 5 and preset.count == 99
    assert not any("COUNT(*)" in query["sql"] for query in ctx.captured_queries)
    assert len(CountedKeysPaginator(queryset, 10, orphans=5).page(2)) == 15
    grouped = queryset.annotate(n=Count("qualifications"))
    for other in (queryset.distinct(), grouped):
        counted, statements = _outcome(CountedKeysPaginator, other, 10, 2)
        first, first_statements = _outcome(PreparedRowsPaginator, other, 10, 2)
        assert counted == first and len(statements) == len(first_statements) == 3 - (other is not grouped)


def test_api_pages_go_on_past_a_capped_count(rows):
    """The API's pages (``pages_past_cap``): a capped count no longer ends them; a page is there while it has rows,
    and the next one is there when a row follows (one key read past the page). Fails when the pages stop at the cap
    or ``next`` is taken from the capped count."""
    queryset = Enterprise.objects.order_by("name")
    names = [f"企业{i:02d}" for i in range(25)]
    first = ApiPaginator(queryset, 5, count_cap=10).page(1)
    assert first.paginator.count_is_capped and first.paginator.count == 10
    assert first.has_next() and first.next_page_number() == 2 and not first.has_previous()
    for number in (2, 3, 4, 5):
        paginator_module.capped_forget()
        page = ApiPaginator(queryset, 5, count_cap=10).page(number)
        assert [e.name for e in page] == names[(number - 1) * 5 : number * 5]
        assert page.previous_page_number() == number - 1
        assert page.has_next() is (number < 5)
        assert page.end_index() == number * 5
    with pytest.raises(EmptyPage):
        page.next_page_number()
    with pytest.raises(EmptyPage):
        ApiPaginator(queryset, 5, count_cap=10).page(6)  # no row there
    exact = ApiPaginator(queryset, 5, count_cap=25)
    assert not exact.page(5).has_next() and exact.count == 25 and not exact.count_is_capped
    with pytest.raises(EmptyPage):
        ApiPaginator(queryset, 5, count_cap=25).page(6)


def test_api_pages_go_on_past_a_capped_count_of_a_list_not_read_by_keys(rows):
    """DISTINCT, GROUP BY and a count set beforehand are counted apart; past a capped count their pages go on too."""
    queryset = Enterprise.objects.order_by("name")
    names = [f"企业{i:02d}" for i in range(25)]
    preset = ApiPaginator(queryset, 5, count_cap=10)
    preset.count = paginator_module.CappedCount(10)
    for other in (queryset.distinct(), queryset.annotate(n=Count("qualifications"))):
        for number in (1, 3, 5):
            paginator = ApiPaginator(other, 5, count_cap=10)
            page = paginator.page(number)
            assert paginator.count_is_capped and [e.name for e in page] == names[(number - 1) * 5 : number * 5]
            assert page.has_next() is (number < 5)
        with pytest.raises(EmptyPage):
            ApiPaginator(other, 5, count_cap=10).page(6)
    assert [e.name for e in preset.page(5)] == names[20:] and not preset.page(5).has_next()
    assert ApiPaginator(queryset.distinct(), 5, count_cap=25).count == 25  # under the cap: as before
    with pytest.raises(EmptyPage):
        ApiPaginator(queryset.distinct(), 5, count_cap=25).page(6)


def test_api_pages_keep_a_capped_count_for_a_while(rows, monkeypatch):
    """A count that passed its cap stands for ``CAPPED_FOR`` seconds, as the web lists' does: the next pages read
    their keys alone; the same pages and answers. Fails when every page counts again or the kept count is kept
    longer."""
    queryset = Enterprise.objects.order_by("name")
    answer, statements = _outcome(ApiPaginator, queryset, 5, 1, count_cap=10)
    assert answer[0] == 10 and str(answer[1]) == "10+" and "COUNT(*)" in statements[0]
    again, kept = _outcome(ApiPaginator, queryset, 5, 1, count_cap=10)
    assert again == answer and len(kept) == len(statements) == 2 and not any("COUNT(*)" in sql for sql in kept)
    with CaptureQueriesContext(connection) as ctx:  # one rule: a web list of the same rows keeps it too
        assert KeysFirstPaginator(queryset, 5, count_cap=10).count_is_capped
    assert not ctx.captured_queries
    monkeypatch.setattr(paginator_module, "CAPPED_FOR", 0.0)
    paginator_module.capped_forget()
    _outcome(ApiPaginator, queryset, 5, 1, count_cap=10)
    _answer, counted_again = _outcome(ApiPaginator, queryset, 5, 1, count_cap=10)
    assert "COUNT(*)" in counted_again[0]
    Enterprise.objects.filter(name__in=[f"企业{i:02d}" for i in range(20)]).delete()
    under, _statements = _outcome(ApiPaginator, queryset, 5, 1, count_cap=10)
    assert under[0] == 5 and under[1] == "5"


def test_the_keys_of_a_page_are_read_with_the_pages_limit_whatever_the_count(rows):
    # PostgreSQL planned a LIMIT cut to a small count (a rare text's few matches) as a walk down the whole name index.
    queryset = Enterprise.objects.filter(name__in=["企业01", "企业02", "企业03"]).order_by("name")
    with CaptureQueriesContext(connection) as ctx:
        page = KeysFirstPaginator(queryset, 10).page(1)
    assert [e.name for e in page] == ["企业01", "企业02", "企业03"] and page.paginator.count == 3
    keys_sql = next(query["sql"] for query in ctx.captured_queries if "ORDER BY" in query["sql"])
    assert keys_sql.endswith("LIMIT 10")
    with CaptureQueriesContext(connection) as ctx:
        assert list(KeysFirstPaginator(queryset.filter(name="无"), 10).page(1)) == []
    assert len(ctx.captured_queries) == 1  # counted 0: no keys read

"""Helpers of crm/selectors/needs.py shared with other selectors: parts of one shape compiled once
(``compiled_for_each``) read through ``compound_sql``; counts in one statement (``count_each``, ``Tally``)."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from crm.choices import NeedStatus
from crm.models import Enterprise, Need
from crm.selectors.needs import Tally, compiled_for_each, compound_sql, count_each
from tests.factories import EnterpriseFactory, NeedFactory

pytestmark = pytest.mark.django_db


def _first_of(status: str):
    return Need.objects.filter(status=status).order_by("-id").values_list("id", "status")[:2]


def test_compiled_once_the_parts_hold_each_value_as_their_own_compilation_does():
    statuses = [NeedStatus.NEW, NeedStatus.ACCEPTED, NeedStatus.CLOSED]
    needs = {status: [NeedFactory(status=status).pk for _ in range(3)] for status in statuses}
    parts = compiled_for_each(_first_of, statuses)
    compiled_each = (_first_of(status).query.sql_with_params() for status in statuses)
    assert parts == [(sql, list(params)) for sql, params in compiled_each]
    sql, params = compound_sql(parts, tagged=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    assert sorted(rows) == sorted(
        (index, pk, status) for index, status in enumerate(statuses) for pk in sorted(needs[status])[-2:]
    )


def test_an_empty_queryset_compiles_to_no_part():
    assert compiled_for_each(lambda status: Need.objects.none(), [NeedStatus.NEW]) == []


def test_a_value_the_queryset_does_not_compare_with_is_refused():
    with pytest.raises(ValueError, match="not a parameter"):
        compiled_for_each(lambda status: Need.objects.filter(status=NeedStatus.NEW), [NeedStatus.NEW])


def test_a_tally_counts_each_condition_in_one_pass_beside_the_scalar_counts():
    """Its conditions' keys in the result, in their place among the plain counts; the rows read once (one derived
    table), and an empty queryset tallies 0 for each condition."""
    for linked, assisted in [(True, False), (True, True), (False, True), (False, False)]:
        EnterpriseFactory(is_linked=linked, is_assisted=assisted)
    NeedFactory(status=NeedStatus.NEW)
    flagged = Enterprise.objects.filter(Q(is_linked=True) | Q(is_assisted=True))
    with CaptureQueriesContext(connection) as queries:
        counts = count_each(
            {
                "new": Need.objects.filter(status=NeedStatus.NEW),
                "flags": Tally(flagged, {"linked": Q(is_linked=True), "assisted": Q(is_assisted=True)}),
                "none": Tally(Enterprise.objects.none(), {"nothing": Q(is_linked=True)}),
                "closed": Need.objects.filter(status=NeedStatus.CLOSED),
            }
        )
    assert counts == {"new": 1, "linked": 2, "assisted": 2, "nothing": 0, "closed": 0}
    assert list(counts) == ["new", "linked", "assisted", "nothing", "closed"]
    (statement,) = [query["sql"] for query in queries.captured_queries]
    assert statement.count('FROM "crm_enterprise"') == 1

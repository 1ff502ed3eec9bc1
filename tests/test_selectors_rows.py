"""The people of a page's rows read as values (crm/selectors/rows.py)."""

import pytest

from crm.models import Enterprise, User, Visit
from crm.selectors.rows import people_prefetch
from tests.factories import UserFactory, VisitFactory

pytestmark = pytest.mark.django_db


def shown(rows, relation):
    return {row.pk: [(user.pk, str(user)) for user in getattr(row, relation).all()] for row in rows}


def test_people_prefetch_reads_what_prefetch_related_reads_in_one_statement(
    enterprise, county_enterprise, officer, manager, city_bureau, django_assert_num_queries
):
    named = UserFactory(username="a_first_by_username", name="张三", bureau=city_bureau)
    enterprise.liaison_officers.add(officer, manager, named)
    expected = shown(Enterprise.objects.prefetch_related("liaison_officers").order_by("pk"), "liaison_officers")
    assert [name for _pk, name in expected[enterprise.pk]][0] == "张三"  # ordered by username, shown by name
    rows = list(Enterprise.objects.order_by("pk"))
    with django_assert_num_queries(1):
        people_prefetch(rows, "liaison_officers")
    with django_assert_num_queries(0):
        assert shown(rows, "liaison_officers") == expected
        assert expected[county_enterprise.pk] == []
        assert officer in rows[0].liaison_officers.all()  # users compare by key, as the visit row's lead does


def test_people_prefetch_leaves_prefetched_rows_and_no_rows_alone(enterprise, officer, django_assert_num_queries):
    visit = VisitFactory(enterprise=enterprise, lead=officer)
    visit.officers.add(officer)
    rows = list(Visit.objects.prefetch_related("officers"))
    with django_assert_num_queries(0):
        people_prefetch(rows, "officers")
        people_prefetch([], "officers")
        assert list(rows[0].officers.all()) == [officer]
    assert isinstance(rows[0].officers.all()[0], User)

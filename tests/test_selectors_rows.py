"""The people of a page's rows read as values (crm/selectors/rows.py)."""

import pytest

from crm import prepared
from crm.models import Contact, Enterprise, User, Visit
from crm.selectors import rows
from crm.selectors.rows import people_prefetch, rows_of
from crm.selectors.scope import SampleUser
from tests.factories import ContactFactory, UserFactory, VisitFactory

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


BUILT = []


def contacts_of(user, key, limit):
    """A ``rows_of`` builder: the scoped rows of an enterprise, with a join, and the users it was built for."""
    BUILT.append(user)
    return Contact.objects.visible_to(user).filter(enterprise=key).select_related("enterprise").order_by("pk")[:limit]


def test_rows_of_compiles_once_for_the_users_who_see_everything(
    manager, leader, county_officer, enterprise, county_enterprise, django_assert_num_queries
):
    """The statement is built for a stand-in of a user who sees everything (no user's value in it) and compiled
    once per shape; each key gets its own rows, as the ORM reads them. A scoped user's is built for them."""
    ContactFactory.create_batch(2, enterprise=enterprise)
    ContactFactory(enterprise=county_enterprise)
    BUILT.clear()
    rows._ROWS_OF_STATEMENTS.clear()
    for user in (manager, leader):
        for key in (enterprise.pk, county_enterprise.pk):
            with django_assert_num_queries(1):
                got = rows_of(contacts_of, 5, user=user, key=key)
            expected = list(contacts_of(user, key, 5))
            assert [(c.pk, c.name, c.enterprise.name) for c in got] == [
                (c.pk, c.name, c.enterprise.name) for c in expected
            ]
    assert [type(user) for user in BUILT] == [SampleUser] + [User] * 4
    assert len(rows_of(contacts_of, 1, user=manager, key=enterprise.pk)) == 1  # another shape, its own statement
    BUILT.clear()
    assert rows_of(contacts_of, 5, user=county_officer, key=enterprise.pk) == []
    assert len(rows_of(contacts_of, 5, user=county_officer, key=county_enterprise.pk)) == 1
    assert BUILT == [county_officer, county_officer]


def test_rows_of_stand_in_has_no_user_values():
    """A builder that reads a user's key or bureau fails for the stand-in instead of keeping one user's value."""
    with pytest.raises(AttributeError):
        rows._SEES_EVERYTHING.pk  # noqa: B018
    with pytest.raises(AttributeError):
        rows._SEES_EVERYTHING.bureau_id  # noqa: B018


@pytest.fixture
def planned_once(monkeypatch):
    """The statements run through ``plan_once_cursor`` (on PostgreSQL prepared on the server, planned once)."""
    planned = []
    plan_once_cursor = prepared.plan_once_cursor

    def recording(conn):
        cursor = plan_once_cursor(conn)
        execute = cursor.execute

        def logged(sql, params=None):
            planned.append(sql)
            return execute(sql, params)

        cursor.execute = logged
        return cursor

    monkeypatch.setattr(prepared, "plan_once_cursor", recording)
    return planned


def test_rows_of_and_the_people_of_rows_are_planned_once(manager, enterprise, county_enterprise, officer, planned_once):
    """A record's rows by its key and a page's people by the rows' keys take one plan whatever the keys: run through
    ``plan_once_cursor`` (fails when they run through Django's cursor)."""
    ContactFactory(enterprise=enterprise)
    enterprise.liaison_officers.add(officer)
    for key in (enterprise.pk, county_enterprise.pk):
        rows_of(contacts_of, 5, user=manager, key=key)
    people_prefetch(list(Enterprise.objects.order_by("pk")), "liaison_officers")
    assert [sql.split(" FROM ")[1].split()[0] for sql in planned_once] == ['"crm_contact"'] * 2 + [
        '"crm_enterprise_liaison_officers"'
    ]


def test_rows_of_is_prepared_on_the_server_once(manager, enterprise, county_enterprise, prepared_on_server):
    ContactFactory(enterprise=enterprise)
    for key in (enterprise.pk, county_enterprise.pk, 2**31 + 1):
        rows_of(contacts_of, 5, user=manager, key=key)
    assert len([sql for sql in prepared_on_server() if sql.startswith('SELECT "crm_contact"."id"')]) == 1

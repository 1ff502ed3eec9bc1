"""crm.security.UserBackend: the session's user with its bureau, department and groups, read by one prepared statement;
inactive users, unknown ids and changed passwords are refused as before."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from crm.choices import Role
from crm.security import _USER_ROW, UserBackend
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_get_user_loads_bureau_department_and_roles_in_one_query(manager, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = UserBackend().get_user(manager.pk)
        assert user == manager
        assert user.bureau.name == manager.bureau.name and user.department.name == manager.department.name
        assert user.roles == [Role.MANAGER]
        assert user.has_role(Role.MANAGER) and not user.has_role(Role.OFFICER)
        assert [g.name for g in user.groups.all()] == [Role.MANAGER]


def test_other_uses_of_the_groups_still_query_the_users_own_groups(manager, officer):
    user = UserBackend().get_user(manager.pk)
    # A filter on the loaded groups is the user's groups filtered, never all groups.
    assert list(user.groups.filter(name=Role.OFFICER)) == []
    assert list(user.groups.filter(name=Role.MANAGER).values_list("name", flat=True)) == [Role.MANAGER]
    # Adding a group drops the loaded list, as after prefetch_related.
    user.groups.add(Group.objects.get(name=Role.OFFICER))
    assert sorted(g.name for g in user.groups.all()) == sorted([Role.MANAGER, Role.OFFICER])


def test_inactive_and_unknown_users_are_refused(manager, django_assert_num_queries):
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    with django_assert_num_queries(1):
        assert UserBackend().get_user(manager.pk) is None
    assert UserBackend().get_user(manager.pk + 1000) is None


def test_a_primary_key_stored_as_text_goes_through_the_orm(manager):
    assert UserBackend().get_user(str(manager.pk)) == manager


def test_a_user_with_two_roles_is_one_user_with_both_groups(manager, django_assert_num_queries):
    # The statement returns a row per group: one user comes back, holding both.
    manager.groups.add(Group.objects.get(name=Role.LEADER))
    with django_assert_num_queries(1):
        user = UserBackend().get_user(manager.pk)
        assert user == manager and user.roles == [Role.MANAGER, Role.LEADER]
        assert sorted(g.name for g in user.groups.all()) == sorted([Role.MANAGER, Role.LEADER])
    assert not hasattr(user, "_row_group_id") and not hasattr(user, "_row_group_name")


def test_a_user_without_bureau(django_assert_num_queries):
    user = UserFactory(bureau=None)
    with django_assert_num_queries(1):
        loaded = UserBackend().get_user(user.pk)
        assert loaded.bureau is None and loaded.department is None and loaded.roles == []


def test_a_password_change_elsewhere_ends_the_session(client, manager):
    assert client.login(username="manager", password=PASSWORD)
    assert client.get(reverse("crm:account")).status_code == 200
    manager.set_password("another-pw-654321")
    manager.save()
    assert client.get(reverse("crm:account")).status_code == 302


def test_the_user_is_read_by_a_statement_prepared_on_the_server(manager, prepared_on_server):
    # Its five-table join cost PostgreSQL more to plan than to run, on every request.
    assert UserBackend().get_user(manager.pk) == manager
    assert _USER_ROW.sql(manager.pk)[0].replace("%s", "$1") in prepared_on_server()

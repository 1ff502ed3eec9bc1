"""crm.selectors.scope: ``SampleUser``, the one stand-in of a user in statements compiled once per shape of user."""

import pytest

from crm.choices import Role
from crm.models import Enterprise
from crm.querysets import scope_region
from crm.selectors.scope import SampleUser


def test_a_sample_user_holds_only_what_it_is_given():
    """A builder reading what the shape does not hold fails, instead of keeping one user's value in a statement
    shared by every user of the shape."""
    everything = SampleUser(sees_everything=True)
    assert scope_region(everything) == (True, None)
    for name in ("pk", "id", "bureau_id", "department_id", "is_superuser", "bureau"):
        with pytest.raises(AttributeError):
            getattr(everything, name)
    scoped = SampleUser(sees_everything=False, pk=-7, bureau_id=-8, department_id=None, region="\x00r")
    assert (scoped.pk, scoped.id, scoped.bureau_id, scoped.department_id) == (-7, -7, -8, None)
    assert scope_region(scoped) == (False, "\x00r")


def test_a_sample_user_answers_only_the_role_questions_of_its_shape():
    manager = SampleUser(sees_everything=True, roles={(Role.MANAGER, Role.ADMIN): True})
    assert manager.has_role(Role.MANAGER, Role.ADMIN) is True
    with pytest.raises(ValueError):
        manager.has_role(Role.LEADER)
    with pytest.raises(ValueError):
        SampleUser(sees_everything=True).has_role(Role.MANAGER, Role.ADMIN)


def test_visible_to_of_a_sample_user_holds_its_samples():
    scoped = SampleUser(sees_everything=False, bureau_id=-8, region="\x00region")
    sql, params = Enterprise.objects.visible_to(scoped).query.sql_with_params()
    assert "\x00region" in params
    assert str(Enterprise.objects.visible_to(SampleUser(sees_everything=True)).query) == str(
        Enterprise.objects.all().query
    )

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from crm.choices import Role
from crm.roles import role_groups_sync

pytestmark = pytest.mark.django_db


def test_role_groups_exist_with_their_permissions():
    role_groups_sync()
    perms = {g.name: {p.codename for p in g.permissions.all()} for g in Group.objects.all()}
    assert set(perms) >= {r.value for r in Role}
    assert "add_visit" in perms["officer"] and "delete_enterprise" not in perms["officer"]
    assert "delete_enterprise" in perms["manager"]
    # Leaders write instructions, and plan and record the visits and activities they lead (DESIGN §11.1, §11.2).
    leader_adds = {"add_needevent", "add_visitplan", "add_activity", "add_activityparticipant"}
    assert not any(p.startswith(("add_", "delete_")) and p not in leader_adds for p in perms["leader"])
    assert "change_needevent" not in perms["manager"]


def test_sync_is_idempotent():
    role_groups_sync()
    before = {g.name: g.permissions.count() for g in Group.objects.all()}
    role_groups_sync()
    assert {g.name: g.permissions.count() for g in Group.objects.all()} == before


def test_migrations_are_in_step_with_the_models():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)

"""Resource list → action list: offerings, action items from needs and projects, statuses, overdue reminders."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm.choices import ActionStatus, NeedCategory, NotificationKind, OfferingKind
from crm.models import ActionItem, Notification, Offering, Project
from crm.services.errors import TransitionConflict
from crm.services.lists import (
    action_item_create,
    action_item_update,
    action_items_remind_overdue,
    offering_create,
    offering_delete,
    offering_update,
)
from tests.factories import make_user
from tests.policy_helpers import make_need, make_offering, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


# --------------------------------------------------------------------------------------------- offerings


def test_offering_create_and_update(manager, city_department):
    offering = offering_create(
        user=manager,
        data={
            "department": city_department,
            "name": "高企认定辅导",
            "kind": OfferingKind.POLICY_COACHING,
            "need_categories": [NeedCategory.QUALIFICATION, NeedCategory.QUALIFICATION],
        },
    )
    assert offering.need_categories == ["qualification"]
    assert offering.created_by == manager
    offering = offering_update(user=manager, offering=offering, data={"is_active": False})
    assert not offering.is_active and not offering.is_available
    assert offering.history.count() == 2


def test_offering_validation_and_roles(manager, officer, county_manager, city_department, county_department):
    data = {"department": city_department, "name": "x", "kind": OfferingKind.PLATFORM}
    with pytest.raises(ValidationError) as error:
        offering_create(user=manager, data={**data, "need_categories": ["nope"]})
    assert "need_categories" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        offering_create(user=manager, data={**data, "kind": "castle"})
    assert "kind" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        offering_create(user=officer, data=data)
    with pytest.raises(ValidationError) as error:
        offering_create(user=county_manager, data=data)
    assert "department" in error.value.message_dict
    assert offering_create(user=county_manager, data={**data, "department": county_department}).pk
    assert Offering.objects.count() == 1


def test_offering_department_defaults_to_the_creators(manager, county_manager, county_department):
    data = {"name": "x", "kind": OfferingKind.PLATFORM}
    assert offering_create(user=manager, data=data).department == manager.department
    assert offering_create(user=county_manager, data=data).department == county_department
    manager.department = None
    manager.save()
    with pytest.raises(ValidationError) as error:
        offering_create(user=manager, data=data)
    assert "department" in error.value.message_dict


def test_offering_in_use_is_not_deleted(manager, officer, city_department, enterprise, city_bureau):
    offering = make_offering(department=city_department)
    need = make_need(enterprise=enterprise, bureau=city_bureau)
    action_item_create(
        user=manager,
        data={"need": need, "offering": offering, "owner": officer, "due_on": today() + dt.timedelta(days=5)},
    )
    with pytest.raises(ValidationError, match="deactivate"):
        offering_delete(user=manager, offering=offering)


# --------------------------------------------------------------------------------------------- action items


@pytest.fixture
def need(enterprise, city_bureau):
    return make_need(enterprise=enterprise, bureau=city_bureau, category=NeedCategory.QUALIFICATION)


@pytest.fixture
def offering(city_department):
    return make_offering(
        department=city_department,
        name="高企认定辅导",
        kind=OfferingKind.POLICY_COACHING,
        need_categories=["qualification"],
    )


def test_action_item_from_a_need_takes_enterprise_title_and_department(manager, officer, need, offering):
    item = action_item_create(
        user=manager,
        data={"need": need, "offering": offering, "owner": officer, "due_on": today() + dt.timedelta(days=7)},
    )
    assert item.code.startswith("XD-")
    assert item.enterprise == need.enterprise
    assert item.title == "高企认定辅导"
    assert item.department == offering.department
    assert item.status == ActionStatus.PLANNED
    notice = Notification.objects.get(recipient=officer)
    assert notice.action_item == item and notice.kind == NotificationKind.ASSIGNED


def test_action_item_from_a_project_takes_its_enterprise(manager, officer, enterprise, regions):
    project = Project.objects.create(name="示例帮办项目", region=regions["320812"], enterprise=enterprise)
    item = action_item_create(
        user=manager, data={"project": project, "title": "对接产学研", "owner": officer, "due_on": today()}
    )
    assert item.enterprise == enterprise and item.department == officer.department


def test_action_item_create_refusals(manager, officer, need, offering, county_manager):
    due = today() + dt.timedelta(days=3)
    with pytest.raises(ValidationError) as error:
        action_item_create(user=manager, data={"title": "x", "owner": officer, "due_on": due})
    assert "need" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        action_item_create(
            user=manager, data={"need": need, "title": "x", "owner": officer, "due_on": today() - dt.timedelta(days=1)}
        )
    assert "due_on" in error.value.message_dict
    offering.available_until = today() - dt.timedelta(days=1)
    offering.save()
    with pytest.raises(ValidationError) as error:
        action_item_create(user=manager, data={"need": need, "offering": offering, "owner": officer, "due_on": due})
    assert "offering" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        action_item_create(user=manager, data={"need": need, "owner": officer, "due_on": due})
    assert "title" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        action_item_create(user=officer, data={"need": need, "title": "x", "owner": officer, "due_on": due})
    # A county manager cannot attach work to a city need it cannot see.
    with pytest.raises(ValidationError) as error:
        action_item_create(
            user=county_manager, data={"need": need, "title": "x", "owner": county_manager, "due_on": due}
        )
    assert "need" in error.value.message_dict
    assert not ActionItem.objects.exists()


@pytest.fixture
def item(manager, officer, need, offering):
    return action_item_create(
        user=manager,
        data={"need": need, "offering": offering, "owner": officer, "due_on": today() + dt.timedelta(days=7)},
    )


def test_status_path_and_completed_on(manager, officer, item):
    item = action_item_update(user=officer, item=item, data={"status": ActionStatus.IN_PROGRESS})
    with pytest.raises(ValidationError) as error:
        action_item_update(user=officer, item=item, data={"status": ActionStatus.DONE})
    assert "result" in error.value.message_dict
    item = action_item_update(
        user=officer, item=item, data={"status": ActionStatus.DONE, "result": "已完成辅导，企业提交申报"}
    )
    assert item.completed_on == today()
    item = action_item_update(user=manager, item=item, data={"status": ActionStatus.IN_PROGRESS})
    assert item.completed_on is None
    item = action_item_update(user=manager, item=item, data={"status": ActionStatus.CANCELLED})
    with pytest.raises(TransitionConflict):
        action_item_update(user=manager, item=item, data={"status": ActionStatus.DONE, "result": "x"})


def test_owner_changes_work_only_and_others_nothing(officer, item, city_bureau, city_department):
    with pytest.raises(PermissionDenied):
        action_item_update(user=officer, item=item, data={"due_on": today() + dt.timedelta(days=30)})
    other = make_user("other_officer", "officer", city_bureau, city_department)
    with pytest.raises(PermissionDenied):
        action_item_update(user=other, item=item, data={"status": ActionStatus.IN_PROGRESS})


def test_manager_reassigns_and_new_owner_is_told(manager, item, city_bureau, city_department):
    other = make_user("other_officer", "officer", city_bureau, city_department)
    item = action_item_update(user=manager, item=item, data={"owner": other})
    assert Notification.objects.filter(recipient=other, action_item=item).count() == 1


# --------------------------------------------------------------------------------------------- reminders


def test_overdue_reminders_are_sent_once(manager, officer, item):
    ActionItem.objects.filter(pk=item.pk).update(due_on=today() - dt.timedelta(days=1))
    done = action_item_create(
        user=manager, data={"need": item.need, "title": "已完成", "owner": officer, "due_on": today()}
    )
    ActionItem.objects.filter(pk=done.pk).update(due_on=today() - dt.timedelta(days=3), status=ActionStatus.DONE)
    assert action_items_remind_overdue() == 1
    notice = Notification.objects.get(kind=NotificationKind.ACTION_OVERDUE)
    assert notice.recipient == officer and notice.action_item_id == item.pk
    assert notice.dedupe_key == f"action:{item.pk}:overdue:{today() - dt.timedelta(days=1)}"
    assert action_items_remind_overdue() == 0
    assert action_items_remind_overdue(today=today() + dt.timedelta(days=1)) == 0
    # A new due date that passes again is a new reminder.
    ActionItem.objects.filter(pk=item.pk).update(due_on=today() - dt.timedelta(days=0))
    assert action_items_remind_overdue(today=today() + dt.timedelta(days=1)) == 1


def test_due_today_is_not_overdue(item):
    ActionItem.objects.filter(pk=item.pk).update(due_on=today())
    assert action_items_remind_overdue() == 0


def test_send_reminders_command_covers_overdue_action_items(item):
    from io import StringIO

    from django.core.management import call_command

    ActionItem.objects.filter(pk=item.pk).update(due_on=today() - dt.timedelta(days=2))
    for expected in (1, 0):
        out = StringIO()
        call_command("send_reminders", stdout=out)
        assert f"action items: {expected} notice(s) created" in out.getvalue()
    assert Notification.objects.filter(kind=NotificationKind.ACTION_OVERDUE, action_item=item).count() == 1

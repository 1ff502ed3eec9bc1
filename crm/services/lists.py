"""Writes of the resource list (offerings) and the action list (action items), and overdue reminders (§4.4).

Keyword-only functions, one transaction each, ``full_clean()`` before saving. ``data`` holds validated values
keyed by model field name, with model instances for relations. ``PermissionDenied`` (403) for a role that
may not write, ``ValidationError`` (400) for bad input, ``TransitionConflict`` (409) for a status change
the item's current status does not allow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm.choices import ActionStatus, NotificationKind
from crm.models import ActionItem, Need, Offering, Project, User
from crm.permissions import can_create, can_delete, can_edit, is_manager
from crm.services.errors import TransitionConflict
from crm.services.notifications import Notice, notification_send, notifications_send_many

ACTION_TRANSITIONS: dict[str, frozenset[str]] = {
    ActionStatus.PLANNED: frozenset({ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.CANCELLED}),
    ActionStatus.IN_PROGRESS: frozenset({ActionStatus.PLANNED, ActionStatus.DONE, ActionStatus.CANCELLED}),
    ActionStatus.DONE: frozenset({ActionStatus.IN_PROGRESS}),
    ActionStatus.CANCELLED: frozenset({ActionStatus.PLANNED}),
}

# What the owner of an action item who is not a manager may change: the work, not the assignment.
OWNER_FIELDS = frozenset({"status", "result"})


def action_next_statuses(item: ActionItem) -> list[str]:
    allowed = ACTION_TRANSITIONS.get(item.status, frozenset())
    return [s for s in ActionStatus.values if s in allowed]


# ---------------------------------------------------------------------------------------------------------
# Offerings
# ---------------------------------------------------------------------------------------------------------


def offering_department_check(*, user: User | None, department) -> None:
    """A county manager keeps the offerings of its own bureau's departments (``departments_kept_q``); city any."""
    if department is None or user is None:
        return
    if not department.kept_by(user):
        raise ValidationError({"department": _("Choose a department of your own bureau.")})


def offering_derive(*, offering: Offering, user: User | None) -> None:
    """Fill in what a new offering takes from its creator (every way in: form, API, import).

    Without a department, the creator's own department.
    """
    if offering.department_id is None and user is not None and user.department_id:
        offering.department_id = user.department_id


def _assign(offering: Offering, data: Mapping[str, Any]) -> None:
    for name, value in data.items():
        setattr(offering, name, value)
    if offering.need_categories is None:
        offering.need_categories = []


def _save_offering(offering: Offering) -> Offering:
    offering.full_clean()
    offering.save()
    return offering


@transaction.atomic
def offering_create(*, user: User, data: Mapping[str, Any]) -> Offering:
    """Add an offering to the resource list (managers); without a department, the creator's."""
    if not can_create(user, Offering):
        raise PermissionDenied(_("Only managers keep the resource list."))
    offering = Offering(created_by=user)
    _assign(offering, data)
    offering_derive(offering=offering, user=user)
    offering_department_check(user=user, department=offering.department if offering.department_id else None)
    return _save_offering(offering)


@transaction.atomic
def offering_update(*, user: User, offering: Offering, data: Mapping[str, Any]) -> Offering:
    if not can_edit(user, offering):
        raise PermissionDenied(_("Only managers keep the resource list."))
    offering_department_check(user=user, department=offering.department)
    if "department" in data:
        offering_department_check(user=user, department=data["department"])
    _assign(offering, data)
    return _save_offering(offering)


@transaction.atomic
def offering_delete(*, user: User, offering: Offering) -> None:
    """Delete an offering no action item uses; otherwise it must be deactivated, keeping the record."""
    if not can_delete(user, offering):
        raise PermissionDenied(_("Only managers keep the resource list."))
    if offering.action_items.exists():
        raise ValidationError(_("Action items use this offering; deactivate it instead of deleting."))
    offering.delete()


# ---------------------------------------------------------------------------------------------------------
# Action items
# ---------------------------------------------------------------------------------------------------------


def action_item_links_check(*, need: Need | None, project: Project | None) -> None:
    """An action item belongs to a need or a project (or both: then the need's own project, if any)."""
    if need is None and project is None:
        raise ValidationError({"need": _("An action item belongs to a need or a project; give at least one.")})
    if need is not None and project is not None and need.project_id and need.project_id != project.pk:
        raise ValidationError({"project": _("The need belongs to another project.")})


def _check_links(*, user: User, need: Need | None, project: Project | None) -> None:
    action_item_links_check(need=need, project=project)
    if need is not None and not Need.objects.visible_to(user).filter(pk=need.pk).exists():
        raise ValidationError({"need": _("This need does not exist or is outside your scope.")})
    if project is not None and not Project.objects.visible_to(user).filter(pk=project.pk).exists():
        raise ValidationError({"project": _("This project does not exist or is outside your scope.")})


def action_item_owner_check(*, owner: User | None) -> None:
    """An action item is assigned to an active user only (create, a changed owner, the import)."""
    if owner is not None and not owner.is_active:
        raise ValidationError({"owner": _("This user is no longer active.")})


def action_item_department_check(*, user: User | None, department) -> None:
    """A county user picks its own bureau's departments or the city's (as on the web form), never another county's."""
    if department is not None and user is not None and not department.assignable_by(user):
        raise ValidationError({"department": _("Choose a department of your own bureau or of the city bureau.")})


def action_item_offering_check(*, offering: Offering | None, today: dt.date) -> None:
    """A new or changed offering of an action item must be active and still available ``today``."""
    if offering is None:
        return
    if not offering.is_active:
        raise ValidationError({"offering": _("This offering is no longer active.")})
    if offering.available_until and offering.available_until < today:
        raise ValidationError(
            {"offering": _("This offering was available until %(date)s.") % {"date": offering.available_until}}
        )


def action_item_due_check(*, due_on: dt.date | None, today: dt.date) -> None:
    """A new action item is not due in the past."""
    if isinstance(due_on, dt.date) and due_on < today:
        raise ValidationError({"due_on": _("The due date cannot be in the past.")})


def action_item_status_apply(
    *, item: ActionItem, status: str, today: dt.date, completed_on: dt.date | None = None
) -> None:
    """Move ``item`` from its current status to ``status`` (a new item starts as planned, so every status is a
    valid first one); done sets ``completed_on`` to ``today`` (or to the given earlier date: an old ledger's
    done items keep their dates), any other status clears it.

    ``TransitionConflict`` (409) for a move ``ACTION_TRANSITIONS`` does not allow.
    """
    if status not in ActionStatus.values:
        raise ValidationError({"status": _("Unknown status: %(value)s.") % {"value": status}})
    if status != item.status and status not in ACTION_TRANSITIONS.get(item.status, frozenset()):
        raise TransitionConflict(
            _("An action item that is %(current)s cannot become %(target)s.")
            % {"current": item.get_status_display(), "target": ActionStatus(status).label}
        )
    if completed_on is not None and completed_on > today:
        raise ValidationError({"completed_on": _("The completion date cannot be in the future.")})
    if status == ActionStatus.DONE and item.status != ActionStatus.DONE:
        item.completed_on = completed_on or today
    elif status != ActionStatus.DONE:
        item.completed_on = None
    item.status = status


def action_item_result_check(*, item: ActionItem) -> None:
    """A done action item describes its result."""
    if item.status == ActionStatus.DONE and not (item.result or "").strip():
        raise ValidationError({"result": _("Describe the result of a finished action item.")})


def _notify_owner(item: ActionItem, *, user: User) -> None:
    if item.owner_id == user.pk:
        return
    # Stored texts (notices) are written in the site language, whatever the request's language.
    with override(settings.LANGUAGE_CODE):
        text = _("Action item %(code)s “%(title)s” is assigned to you, due on %(due)s.") % {
            "code": item.code,
            "title": item.title,
            "due": item.due_on.isoformat(),
        }
    notification_send(
        recipient=item.owner,
        kind=NotificationKind.ASSIGNED,
        text=text,
        action_item=item,
        dedupe_key=f"action:{item.pk}:assigned:{item.owner_id}:{item.due_on.isoformat()}",
    )


def action_item_derive(*, item: ActionItem, user: User | None) -> None:
    """Fill in what a new action item takes from its links (every way in: form, API, import).

    The project comes from the need; the enterprise from the need, else the project; without a title the
    offering's name; without a department the offering's, else the owner's, unless a county user may not
    name it (another county's).
    """
    if item.need_id is not None and item.project_id is None and item.need.project_id:
        item.project_id = item.need.project_id
    item.enterprise_derive()
    if not (item.title or "").strip() and item.offering_id is not None:
        item.title = item.offering.name
    if item.department_id is None:
        candidates = [
            item.offering.department if item.offering_id is not None else None,
            item.owner.department if item.owner_id is not None else None,
        ]
        allowed = (d for d in candidates if d is not None and (user is None or d.assignable_by(user)))
        item.department = next(allowed, None)


@transaction.atomic
def action_item_create(*, user: User, data: Mapping[str, Any]) -> ActionItem:
    """Create an action item for a need or project (managers); its enterprise comes from the need or project.

    Without a title the chosen offering's name is used; without a department, the offering's, else the
    owner's. The due date may not lie in the past; the owner is notified.
    """
    if not can_create(user, ActionItem):
        raise PermissionDenied(_("Only managers create action items."))
    today = timezone.localdate()
    values = dict(data)
    status = values.pop("status", None) or ActionStatus.PLANNED
    need, project, offering = values.get("need"), values.get("project"), values.get("offering")
    owner = values.get("owner")
    _check_links(user=user, need=need, project=project)
    action_item_owner_check(owner=owner)
    action_item_offering_check(offering=offering, today=today)
    action_item_department_check(user=user, department=values.get("department"))
    action_item_due_check(due_on=values.get("due_on"), today=today)
    item = ActionItem(created_by=user, enterprise=None)
    for name, value in values.items():
        setattr(item, name, value)
    action_item_derive(item=item, user=user)
    if status != ActionStatus.PLANNED:
        action_item_status_apply(item=item, status=status, today=today)
    action_item_result_check(item=item)
    item.full_clean(exclude=["code"])
    item.save()
    if item.owner_id:
        _notify_owner(item, user=user)
    return item


@transaction.atomic
def action_item_update(*, user: User, item: ActionItem, data: Mapping[str, Any]) -> ActionItem:
    """Change an action item: managers anything, its owner the status and the result.

    Status changes follow planned ⇄ in progress → done / cancelled (done and cancelled may be reopened);
    done needs a result and sets ``completed_on``.
    """
    if not can_edit(user, item):
        raise PermissionDenied(_("Only managers and the owner change an action item."))
    values = dict(data)
    if not is_manager(user):
        forbidden = sorted(set(values) - OWNER_FIELDS)
        if forbidden:
            raise PermissionDenied(_("As the owner you may change the status and the result only."))
    today = timezone.localdate()
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    status = values.pop("status", None)
    old_owner, old_due = item.owner_id, item.due_on
    if "need" in values or "project" in values:
        need = values.get("need", item.need)
        project = values.get("project", item.project)
        _check_links(user=user, need=need, project=project)
        item.enterprise_id = None  # ActionItem.save derives it again from the new need or project
    if "owner" in values:
        action_item_owner_check(owner=values["owner"])
    if "department" in values and getattr(values["department"], "pk", None) != item.department_id:
        action_item_department_check(user=user, department=values["department"])
    if "offering" in values and values["offering"] is not None and values["offering"].pk != item.offering_id:
        action_item_offering_check(offering=values["offering"], today=today)
    for name, value in values.items():
        setattr(item, name, value)
    if status:
        action_item_status_apply(item=item, status=status, today=today)
    action_item_result_check(item=item)
    item.full_clean(exclude=["code"])
    item.save()
    if item.owner_id != old_owner or (item.due_on != old_due and item.owner_id != user.pk):
        _notify_owner(item, user=user)
    return item


@transaction.atomic
def action_item_delete(*, user: User, item: ActionItem) -> None:
    if not can_delete(user, item):
        raise PermissionDenied(_("Only managers delete action items."))
    item.delete()


def action_items_remind_overdue(*, today: dt.date | None = None) -> int:
    """Tell the owner of every overdue action item (open, due before today); returns the notices created.

    One notice per item and due date (``dedupe_key`` ``action:<id>:overdue:<due_on>``), so a second run the
    same day, or any later day before the due date changes, adds nothing.
    """
    today = today or timezone.localdate()
    items = ActionItem.objects.overdue(today).select_related("owner").order_by("id")
    with override(settings.LANGUAGE_CODE):
        template = _("Action item %(code)s “%(title)s” is overdue: it was due on %(due)s.")
    created = 0
    batch: list[Notice] = []
    for item in items.iterator(chunk_size=2000):
        if not item.owner.is_active:
            continue
        batch.append(
            Notice(
                recipient=item.owner,
                kind=NotificationKind.ACTION_OVERDUE,
                text=template % {"code": item.code, "title": item.title, "due": item.due_on.isoformat()},
                action_item=item,
                dedupe_key=f"action:{item.pk}:overdue:{item.due_on.isoformat()}",
            )
        )
        if len(batch) >= 2000:
            created += len(notifications_send_many(notices=batch))
            batch = []
    if batch:
        created += len(notifications_send_many(notices=batch))
    return created

"""Who may write what (DESIGN §5); reading is decided by ``visible_to`` in crm/querysets.py.

Officers log visits and needs for any enterprise in scope, edit their own visits and the enterprises they
liaise with, and never delete; managers edit everything in their bureau's scope; leaders read and write
instructions; administrators do everything. These checks assume the object is already in the user's scope.
"""

from django.db import models

from crm.choices import Role


def is_manager(user) -> bool:
    return user.is_authenticated and user.has_role(Role.MANAGER, Role.ADMIN)


def is_officer(user) -> bool:
    return user.is_authenticated and user.has_role(Role.OFFICER)


def is_leader(user) -> bool:
    return user.is_authenticated and user.has_role(Role.LEADER)


# Models an officer may create records of (visits and needs, and contacts while on site).
OFFICER_CREATES = {"visit", "need", "contact", "visitattachment"}
# Reference data and the organisation are the administrator's.
ADMIN_ONLY = {"bureau", "department", "region", "industrychain", "qualification", "user", "holiday"}


def can_create(user, model: type[models.Model]) -> bool:
    name = model._meta.model_name
    if name in ADMIN_ONLY:
        return user.has_role(Role.ADMIN)
    if is_manager(user):
        return True
    return is_officer(user) and name in OFFICER_CREATES


def can_edit(user, obj: models.Model) -> bool:
    name = obj._meta.model_name
    if name in ADMIN_ONLY:
        return user.has_role(Role.ADMIN)
    if name == "needevent":
        return False
    if is_manager(user):
        return True
    if not is_officer(user):
        return False
    if name == "enterprise":
        return obj.liaison_officers.filter(pk=user.pk).exists()
    if name == "contact":
        return obj.enterprise.liaison_officers.filter(pk=user.pk).exists() or obj.created_by_id == user.pk
    if name == "visit":
        return obj.created_by_id == user.pk or obj.lead_id == user.pk or obj.officers.filter(pk=user.pk).exists()
    if name == "project":
        return obj.liaison_officers.filter(pk=user.pk).exists()
    if name == "actionitem":
        return obj.owner_id == user.pk
    return False


def can_delete(user, obj: models.Model) -> bool:
    name = obj._meta.model_name
    if name == "needevent":
        return False
    if name in ADMIN_ONLY:
        return user.has_role(Role.ADMIN)
    return is_manager(user)

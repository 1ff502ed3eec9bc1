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
OFFICER_CREATES = {
    "visit",
    "need",
    "contact",
    "visitattachment",
    "visitplan",
    "activity",
    "activityparticipant",
    "enterpriseaccess",  # 企业服务码 links for the contacts in scope (DESIGN §11.5)
}
# Leaders plan their own visits and record the activities they lead (座谈会、联合调研, DESIGN §11.2).
LEADER_CREATES = {"visitplan", "activity", "activityparticipant"}
# Reference data and the organisation are the administrator's.
ADMIN_ONLY = {"bureau", "department", "region", "industrychain", "qualification", "user", "holiday", "cadencerule"}


def can_create(user, model: type[models.Model]) -> bool:
    name = model._meta.model_name
    if name in ADMIN_ONLY:
        return user.has_role(Role.ADMIN)
    if is_manager(user):
        return True
    if is_leader(user) and name in LEADER_CREATES:
        return True
    return is_officer(user) and name in OFFICER_CREATES


def can_edit(user, obj: models.Model) -> bool:
    name = obj._meta.model_name
    if name in ADMIN_ONLY:
        return user.has_role(Role.ADMIN)
    if name == "needevent":
        return False
    if name == "policy":
        return is_manager(user) and owns_policy(user, obj)
    if name == "offering":
        return is_manager(user) and owns_offering(user, obj)
    if is_manager(user):
        return True
    if name in ("visitplan", "activity"):
        # Their lead, one of their officers, or who recorded them (leaders included).
        return (
            obj.created_by_id == user.pk or obj.lead_id == user.pk or obj.officers.filter(pk=user.pk).exists()
        ) and (is_officer(user) or is_leader(user))
    if not is_officer(user):
        return False
    if name == "enterprise":
        return _is_liaison_officer(user, obj)
    if name == "contact":
        return _is_liaison_officer(user, obj.enterprise) or obj.created_by_id == user.pk
    if name == "visit":
        return obj.created_by_id == user.pk or obj.lead_id == user.pk or obj.officers.filter(pk=user.pk).exists()
    if name == "project":
        return obj.liaison_officers.filter(pk=user.pk).exists()
    if name == "actionitem":
        return obj.owner_id == user.pk
    if name == "cultivation":
        return obj.officer_id == user.pk  # the officer coaching the enterprise moves its card
    return False


def _is_liaison_officer(user, enterprise) -> bool:
    """Whether ``user`` is one of the enterprise's liaison officers: from its prefetched officers when the page read
    them (the 360° page asks for the enterprise and each contact), else one query."""
    prefetched = getattr(enterprise, "_prefetched_objects_cache", {}).get("liaison_officers")
    if prefetched is not None:
        return any(officer.pk == user.pk for officer in prefetched)
    return enterprise.liaison_officers.filter(pk=user.pk).exists()


def can_delete(user, obj: models.Model) -> bool:
    name = obj._meta.model_name
    # A need is never deleted (rejecting it closes it): deleting it would delete its timeline too.
    if name in ("needevent", "need"):
        return False
    if name in ADMIN_ONLY:
        return user.has_role(Role.ADMIN)
    if name == "policy":
        return is_manager(user) and owns_policy(user, obj)
    if name == "offering":
        return is_manager(user) and owns_offering(user, obj)
    return is_manager(user)


def owns_policy(user, policy) -> bool:
    """The policy library is shared for reading; a county bureau keeps only the policies it entered itself."""
    if user.sees_everything:
        return True
    if not user.bureau_id:
        return False
    if policy.department_id and policy.department.bureau_id == user.bureau_id:
        return True
    return bool(policy.created_by_id) and policy.created_by.bureau_id == user.bureau_id


def owns_offering(user, offering) -> bool:
    """The resource list is shared for reading; a bureau keeps the offerings of its own departments."""
    return user.sees_everything or bool(user.bureau_id and offering.department.bureau_id == user.bureau_id)

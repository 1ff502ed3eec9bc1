"""DRF permission classes built on crm/permissions.py (DESIGN §5).

Reading is decided by scoping (``visible_to`` in the viewset's queryset): an object outside the user's scope
is never found, so it answers 404 before any permission check can answer 403.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from crm.permissions import can_create, can_delete, can_edit


def view_model(view):
    model = getattr(view, "model", None)
    if model is None:
        model = view.get_queryset().model
    return model


class CrmModelPermission(BasePermission):
    """Reads for every signed-in user (scoping does the rest); writes by ``can_create/can_edit/can_delete``.

    - ``POST`` on the collection (``create``): ``can_create(user, Model)``;
    - ``PUT``/``PATCH``: ``can_edit(user, obj)``; ``DELETE``: ``can_delete(user, obj)`` — checked on the
      object after it was found in the user's scope;
    - extra actions (``@action``) are left to the view: they declare their own ``permission_classes``
      or check inside the action.
    """

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return True
        if getattr(view, "action", None) == "create":
            return can_create(user, view_model(view))
        return True

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        action = getattr(view, "action", None)
        if action not in ("update", "partial_update", "destroy"):
            return True
        if request.method == "DELETE":
            return can_delete(request.user, obj)
        return can_edit(request.user, obj)

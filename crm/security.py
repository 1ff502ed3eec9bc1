"""Login protection (DESIGN §9.3): the real client address, the lockout backend and its answer.

- ``client_ip``: the address a request really came from. ``X-Forwarded-For`` is chosen by the client, so it
  is only read when ``TRUSTED_PROXY_COUNT`` (``DJANGO_TRUSTED_PROXY_COUNT``) says that many proxies stand in
  front of the app, each appending the address it saw: the client is then the N-th entry from the right.
  DRF's throttles use the same rule (``REST_FRAMEWORK["NUM_PROXIES"]``), django-axes calls this function.
- ``LockoutBackend``: django-axes' lockout for web, admin and token logins; ``authenticate()`` without a
  request (commands, tests, ``Client.login``) skips the lockout instead of failing.
- ``lockout_response``: a locked-out login answers 429, as JSON under ``/api/`` and as a page elsewhere.
- ``UserBackend``: Django's ``ModelBackend`` that loads the signed-in user with the bureau and the department,
  which every request reads (the scope and the navbar): two queries fewer per request (DESIGN §9.2).
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db import router
from django.db.models import F
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from crm.prepared import Prepared


def client_ip(request) -> str:
    """``REMOTE_ADDR``, or with ``TRUSTED_PROXY_COUNT`` = N > 0 the N-th ``X-Forwarded-For`` entry from the right."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count <= 0 or not forwarded:
        return remote_addr
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    if not addresses:
        return remote_addr
    return addresses[-min(count, len(addresses))]


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in ``AUTHENTICATION_BACKENDS``; a request-less call is let through.

    Without a request there is no client to lock out (``manage.py`` commands, ``Client.login`` in tests):
    the next backend checks the password as usual.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """429 with a clear message: JSON for the API, the branded page for the web and admin logins."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("Too many failed login attempts. Try again in %(minutes)d minutes.") % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


# The user of a session with its bureau and department and, in the same statement, its groups (the roles): every
# signed-in request needs all of them. One row per group (LEFT JOIN: one row with NULLs for a user without a group);
# compiled once (crm.prepared).
_SAMPLE_PK = -918273645
_USER_ROW = Prepared(
    lambda pk: (
        get_user_model()
        ._default_manager.select_related("bureau", "department")
        .filter(pk=pk)
        .annotate(_row_group_id=F("groups__id"), _row_group_name=F("groups__name"))
    ),
    _SAMPLE_PK,
    plan_once=True,  # its five-table join cost PostgreSQL more to plan than to run
)


def _groups_prefetched(user, groups: list) -> None:
    """Store ``groups`` as ``prefetch_related("groups")`` does: ``user.groups.all()`` (and so ``user.roles``) answers
    from them without a query; any other use of ``user.groups`` (a filter, ``add``) queries as usual."""
    manager = user.groups
    queryset = manager.get_queryset()
    queryset._result_cache = groups
    queryset._prefetch_done = True
    user._prefetched_objects_cache = {manager.prefetch_cache_name: queryset}


class UserBackend(ModelBackend):
    """``ModelBackend`` whose ``get_user`` (once per request, from the session) joins the bureau and the department
    in: the scope (``visible_to``) reads the bureau and the navbar shows both, which were two more queries on
    every page and endpoint. The user's groups (its roles, which the scope, the permissions and the navbar read on
    every request) come in the same statement (one row per group), prepared once (crm.prepared)."""

    def get_user(self, user_id):
        user_model = get_user_model()
        if not isinstance(user_id, int):
            # Not a primary key as the session stores it: the ORM converts it (or refuses it) as it always did.
            try:
                user = user_model._default_manager.select_related("bureau", "department").get(pk=user_id)
            except user_model.DoesNotExist:
                return None
            return user if self.user_can_authenticate(user) else None
        using = router.db_for_read(user_model)
        users = _USER_ROW(user_id, using=using)
        if not users or not self.user_can_authenticate(users[0]):
            return None
        user = users[0]
        groups = [
            Group.from_db(using, ["id", "name"], (row._row_group_id, row._row_group_name))
            for row in users
            if row._row_group_id is not None
        ]
        del user._row_group_id, user._row_group_name  # the user object as Django's backend returns it
        _groups_prefetched(user, groups)
        return user

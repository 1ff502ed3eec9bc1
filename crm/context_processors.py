"""Template context shared by every page: the user's roles and unread notification count."""

from django.db import router
from django.db.models import Count

from crm.choices import Role
from crm.models import Notification
from crm.prepared import Prepared

# Every page's navbar shows the count: the statement is compiled once (crm.prepared). One row (the count) when the
# user has unread notifications, none otherwise.
_UNREAD = Prepared(
    lambda pk: (
        Notification.objects.filter(recipient=pk, read_at__isnull=True)
        .values("recipient")
        .annotate(n=Count("pk"))
        .values_list("n")
    ),
    -918273645,
)


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    rows = _UNREAD(user.pk, using=router.db_for_read(Notification))
    return {
        "user_roles": set(user.roles) | ({Role.MANAGER, Role.ADMIN} if user.is_superuser else set()),
        "unread_notifications": rows[0][0] if rows else 0,
    }

"""Template context shared by every page: the user's roles and unread notification count (read only if shown)."""

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
    # Every page's statement: prepared once per connection on PostgreSQL, so parsed once. PostgreSQL still plans it
    # per recipient (its generic plan is estimated dearer): planning cost twice its execution under the load test.
    plan_once=True,
)


class _UnreadCount:
    """The count, read when a template first uses it (a template calls a callable variable) and then kept for the
    request: the htmx fragments (the navbar's type-ahead on each keystroke, the export progress every 2 s, the
    home and 360° sections) render without the navbar and so no longer run the query."""

    __slots__ = ("pk", "count")

    def __init__(self, pk):
        self.pk = pk
        self.count = None

    def __call__(self) -> int:
        if self.count is None:
            rows = _UNREAD(self.pk, using=router.db_for_read(Notification))
            self.count = rows[0][0] if rows else 0
        return self.count


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {
        "user_roles": set(user.roles) | ({Role.MANAGER, Role.ADMIN} if user.is_superuser else set()),
        "unread_notifications": _UnreadCount(user.pk),
    }

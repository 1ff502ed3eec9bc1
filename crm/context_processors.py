"""Template context shared by every page: the user's roles and unread notification count."""

from crm.choices import Role


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {
        "user_roles": set(user.roles) | ({Role.MANAGER, Role.ADMIN} if user.is_superuser else set()),
        "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
    }

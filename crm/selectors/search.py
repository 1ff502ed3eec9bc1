"""Global search (navbar box): enterprises as the list's ``q`` finds them (name, credit code, legal
representative, contact name: ``EnterpriseQuerySet.search``); projects by name; activities by code
(``HD-2026-0001``) or title. Scoped."""

from django.db.models import Q

from crm.models import Activity, Enterprise, Project

SEARCH_LIMIT = 50


def search_enterprises(*, user, query: str, limit: int = SEARCH_LIMIT):
    """Enterprises in scope matching ``query`` (``EnterpriseQuerySet.search``, the same as the list's ``q``)."""
    query = query.strip()
    if not query:
        return Enterprise.objects.none()
    return (
        Enterprise.objects.visible_to(user)
        .search(query)
        .select_related("region", "industry_chain")
        .prefetch_related("contacts")
        .order_by("name", "id")[:limit]
    )


def search_projects(*, user, query: str, limit: int = SEARCH_LIMIT):
    query = query.strip()
    if not query:
        return Project.objects.none()
    return (
        Project.objects.visible_to(user)
        .filter(name__icontains=query)
        .select_related("region", "enterprise")
        .order_by("name", "id")[:limit]
    )


def search_activities(*, user, query: str, limit: int = SEARCH_LIMIT):
    """Activities in scope whose code or title contains ``query``, latest first."""
    query = query.strip()
    if not query:
        return Activity.objects.none()
    return (
        Activity.objects.visible_to(user)
        .filter(Q(code__icontains=query) | Q(title__icontains=query))
        .order_by("-held_on", "-id")[:limit]
    )

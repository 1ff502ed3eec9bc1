"""Global search (navbar box): enterprises by name, credit code or contact name; projects by name. Scoped."""

from django.db.models import Exists, OuterRef, Q

from crm.models import Contact, Enterprise, Project
from crm.validators import normalize_credit_code

SEARCH_LIMIT = 50


def search_enterprises(*, user, query: str, limit: int = SEARCH_LIMIT):
    """Enterprises in scope whose name or credit code contains ``query``, or with a contact of that name."""
    query = query.strip()
    if not query:
        return Enterprise.objects.none()
    contacts = Contact.objects.filter(enterprise=OuterRef("pk"), name__icontains=query)
    condition = Q(name__icontains=query) | Q(credit_code__contains=normalize_credit_code(query)) | Q(Exists(contacts))
    return (
        Enterprise.objects.visible_to(user)
        .filter(condition)
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

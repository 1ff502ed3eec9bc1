"""django-import-export resources of every ledger kind (DESIGN §8.4), one module per domain.

``base`` holds the shared machinery (header checks, dict look-ups, bulk saves with history), ``widgets`` the
column widgets; ``enterprises``, ``engagement``, ``policies`` and ``lists`` the resources of their domain.
"""

from __future__ import annotations

from django.db import models

from crm.sheets.resources.activities import ActivityResource
from crm.sheets.resources.base import LedgerResource
from crm.sheets.resources.contacts import ContactResource
from crm.sheets.resources.engagement import NeedResource, VisitResource
from crm.sheets.resources.enterprises import EnterpriseResource, ProjectResource
from crm.sheets.resources.lists import ActionItemResource, OfferingResource
from crm.sheets.resources.policies import PolicyResource
from crm.sheets.resources.programmes import EnterpriseYearResource

RESOURCES: dict[str, type[LedgerResource]] = {
    "enterprises": EnterpriseResource,
    "contacts": ContactResource,
    "projects": ProjectResource,
    "policies": PolicyResource,
    "offerings": OfferingResource,
    "visits": VisitResource,
    "needs": NeedResource,
    "action-items": ActionItemResource,
    "enterprise-years": EnterpriseYearResource,
    "activities": ActivityResource,
}
KIND_BY_MODEL: dict[type[models.Model], str] = {cls._meta.model: kind for kind, cls in RESOURCES.items()}


def resource_for(kind: str, user=None) -> LedgerResource:
    try:
        resource_class = RESOURCES[kind]
    except KeyError:
        raise KeyError(kind) from None
    return resource_class(user=user)


__all__ = [
    "KIND_BY_MODEL",
    "RESOURCES",
    "ActionItemResource",
    "ActivityResource",
    "ContactResource",
    "EnterpriseResource",
    "EnterpriseYearResource",
    "LedgerResource",
    "NeedResource",
    "OfferingResource",
    "PolicyResource",
    "ProjectResource",
    "VisitResource",
    "resource_for",
]

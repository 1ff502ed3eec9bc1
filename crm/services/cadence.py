"""Cadence rules (DESIGN §11.1): the defaults of every bureau as editable rows."""

from django.db import transaction

from crm.models import Bureau, CadenceRule
from crm.models.routine import CADENCE_DEFAULT_KINDS, CADENCE_DEFAULTS


@transaction.atomic
def cadence_rules_ensure(*, bureaus=None) -> int:
    """Create the missing default rules of each bureau (all bureaus by default); returns how many were created."""
    created = 0
    for bureau in bureaus if bureaus is not None else Bureau.objects.all():
        for (tier, role), (period, min_visits) in CADENCE_DEFAULTS.items():
            _rule, made = CadenceRule.objects.get_or_create(
                bureau=bureau,
                tier=tier,
                role=role,
                defaults={"period": period, "min_visits": min_visits, "kinds": list(CADENCE_DEFAULT_KINDS)},
            )
            created += made
    return created

"""Helpers of the policy-matching and action-list tests, on top of the factories of tests/factories.py.

Their defaults (titles and names numbered from 1000, credit codes from the same number) are the ones the
policy tests were written against; messages in English come from the ``english`` fixture of conftest.py.
"""

import itertools
from decimal import Decimal

from crm.choices import NeedCategory, PolicyLevel
from crm.models import Enterprise, Need, Offering, Policy
from tests.factories import (
    EnterpriseFactory,
    EnterpriseQualificationFactory,
    NeedFactory,
    OfferingFactory,
    PolicyFactory,
    credit_code,
    today,
)

__all__ = ["make_enterprise", "make_need", "make_offering", "make_policy", "today"]

_seq = itertools.count(1000)


def _decimals(fields: dict, *names: str) -> None:
    for name in names:
        if fields.get(name) is not None:
            fields[name] = Decimal(str(fields[name]))


def make_policy(
    *,
    regions=(),
    chains=(),
    qualifications=(),
    **fields,
) -> Policy:
    fields.setdefault("title", f"测试政策{next(_seq)}")
    fields.setdefault("level", PolicyLevel.CITY)
    _decimals(fields, "min_revenue", "max_revenue", "min_rd_expense", "min_rd_ratio", "max_amount")
    return PolicyFactory(
        regions=list(regions),
        industry_chains=list(chains),
        required_qualifications=list(qualifications),
        **fields,
    )


def make_enterprise(*, region, seed: int | None = None, qualifications=None, **fields) -> Enterprise:
    """``qualifications``: {Qualification: expires_on or None}."""
    seed = seed or next(_seq)
    fields.setdefault("name", f"测试企业{seed}有限公司")
    _decimals(fields, "revenue", "rd_expense")
    enterprise = EnterpriseFactory(credit_code=credit_code(seed, region.pk), region=region, **fields)
    for qualification, expires_on in (qualifications or {}).items():
        EnterpriseQualificationFactory(enterprise=enterprise, qualification=qualification, expires_on=expires_on)
    return enterprise


def make_need(*, enterprise=None, project=None, bureau, category=NeedCategory.FUNDING, **fields) -> Need:
    fields.setdefault("title", "需要资金支持")
    return NeedFactory(enterprise=enterprise, project=project, bureau=bureau, category=category, **fields)


def make_offering(*, department, **fields) -> Offering:
    fields.setdefault("name", f"资源{next(_seq)}")
    return OfferingFactory(department=department, **fields)

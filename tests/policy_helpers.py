"""Small factories for the policy-matching and action-list tests."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import override

from crm.choices import NeedCategory, PolicyKind, PolicyLevel
from crm.models import Enterprise, EnterpriseQualification, Need, Offering, Policy
from tests.conftest import credit_code

_seq = itertools.count(1000)


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in their English source text, whatever the translations say."""
    with override("en"):
        yield


def today() -> dt.date:
    return timezone.localdate()


def make_policy(
    *,
    regions=(),
    chains=(),
    qualifications=(),
    **fields,
) -> Policy:
    fields.setdefault("title", f"测试政策{next(_seq)}")
    fields.setdefault("issuer", "淮安市科技局")
    fields.setdefault("level", PolicyLevel.CITY)
    fields.setdefault("kind", PolicyKind.FUNDING)
    for name in ("min_revenue", "max_revenue", "min_rd_expense", "min_rd_ratio", "max_amount"):
        if fields.get(name) is not None:
            fields[name] = Decimal(str(fields[name]))
    policy = Policy.objects.create(**fields)
    policy.regions.set(regions)
    policy.industry_chains.set(chains)
    policy.required_qualifications.set(qualifications)
    return policy


def make_enterprise(*, region, seed: int | None = None, qualifications=None, **fields) -> Enterprise:
    """``qualifications``: {Qualification: expires_on or None}."""
    seed = seed or next(_seq)
    fields.setdefault("name", f"测试企业{seed}有限公司")
    for name in ("revenue", "rd_expense"):
        if fields.get(name) is not None:
            fields[name] = Decimal(str(fields[name]))
    enterprise = Enterprise.objects.create(credit_code=credit_code(seed, region.pk), region=region, **fields)
    for qualification, expires_on in (qualifications or {}).items():
        EnterpriseQualification.objects.create(
            enterprise=enterprise, qualification=qualification, expires_on=expires_on
        )
    return enterprise


def make_need(*, enterprise=None, project=None, bureau, category=NeedCategory.FUNDING, **fields) -> Need:
    fields.setdefault("title", "需要资金支持")
    return Need.objects.create(enterprise=enterprise, project=project, bureau=bureau, category=category, **fields)


def make_offering(*, department, **fields) -> Offering:
    fields.setdefault("name", f"资源{next(_seq)}")
    fields.setdefault("kind", "funding_programme")
    return Offering.objects.create(department=department, **fields)

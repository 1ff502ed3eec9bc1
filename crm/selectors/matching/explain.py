"""Explanations: one reason per criterion a policy sets, passed or failed, with the enterprise's value.

Computed in Python from data already loaded (no query per policy); the texts are translated once per
language (explaining a thousand policies must not call gettext 30 000 times).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop, override

from crm.choices import EnterpriseStatus, NeedCategory
from crm.models import Enterprise, EnterpriseQualification, Policy
from crm.querysets import policy_is_expired
from crm.selectors.matching.eligibility import criteria_of, full_years, years_ago

_MESSAGES = {
    "window": gettext_noop("Application window"),
    "inactive": gettext_noop("The policy is no longer active"),
    "closed_on": gettext_noop("Closed on %(date)s"),
    "opens_closes": gettext_noop("Opens on %(start)s, closes on %(end)s"),
    "opens_on": gettext_noop("Opens on %(date)s"),
    "open_until": gettext_noop("Open until %(date)s"),
    "open_no_close": gettext_noop("Open, no closing date"),
    "status": gettext_noop("Enterprise status"),
    "region": gettext_noop("Region"),
    "chain": gettext_noop("Industry chain"),
    "among": gettext_noop("%(value)s, among %(allowed)s"),
    "not_among": gettext_noop("%(value)s, not among %(allowed)s"),
    "no_chain": gettext_noop("No industry chain recorded (required: %(allowed)s)"),
    "not_held": gettext_noop("Not held"),
    "no_expiry": gettext_noop("Held, no expiry date"),
    "valid_until": gettext_noop("Held, valid until %(date)s"),
    "expired_on": gettext_noop("Expired on %(date)s"),
    "employees": gettext_noop("Employees"),
    "revenue": gettext_noop("Revenue last year"),
    "rd_expense": gettext_noop("R&D expense last year"),
    "rd_ratio": gettext_noop("R&D ratio"),
    "years_established": gettext_noop("Years established"),
    "not_recorded_min": gettext_noop("Not recorded (required: at least %(minimum)s)"),
    "not_recorded_max": gettext_noop("Not recorded (required: at most %(maximum)s)"),
    "at_least_met": gettext_noop("%(value)s, meets the minimum of %(bound)s"),
    "at_least_short": gettext_noop("%(value)s, below the minimum of %(bound)s"),
    "at_most_met": gettext_noop("%(value)s, within the maximum of %(bound)s"),
    "at_most_over": gettext_noop("%(value)s, above the maximum of %(bound)s"),
    "people": gettext_noop("%(count)s people"),
    "established": gettext_noop("%(comparison)s (established %(date)s)"),
    "years": gettext_noop("%(years)s years"),
    "money": gettext_noop("%(amount)s (10k CNY)"),
    "linked_only": gettext_noop("Linked enterprises only"),
    "linked": gettext_noop("Linked enterprise"),
    "not_linked": gettext_noop("Not a linked enterprise"),
    "eligibility": gettext_noop("Eligibility"),
    "open_to_all": gettext_noop("No restrictions: open to every enterprise"),
    "category": gettext_noop("Need category"),
    "covered": gettext_noop("%(category)s is covered by the policy"),
    "not_covered": gettext_noop("%(category)s is not covered by the policy"),
    "no_open_need": gettext_noop("No open need to compare with"),
    "no_categories": gettext_noop("The policy lists no need categories"),
    "text": gettext_noop("Shared key words"),
    "similar": gettext_noop("The policy's title and text mention words of the need: %(terms)s"),
    "no_shared": gettext_noop("The policy's title and text share no key words with the need"),
    "similar_enterprise": gettext_noop(
        "The policy's title and text mention words of the enterprise's open needs or products: %(terms)s"
    ),
    "no_shared_enterprise": gettext_noop(
        "The policy's title and text share no key words with the enterprise's open needs or products"
    ),
    "closing": gettext_noop("Closing date"),
    "closes_in": gettext_noop("Closes on %(date)s, in %(days)s days"),
    "closes_today": gettext_noop("Closes today (%(date)s)"),
    "no_closing": gettext_noop("No closing date"),
}


@lru_cache(maxsize=8)
def _catalog(language: str) -> dict[str, str]:
    with override(language):
        texts = {key: gettext(message) for key, message in _MESSAGES.items()}
        texts.update({f"cat:{value}": str(label) for value, label in NeedCategory.choices})
        texts.update({f"status:{value}": str(label) for value, label in EnterpriseStatus.choices})
    return texts


def texts() -> dict[str, str]:
    """The matching texts in the active language."""
    return _catalog(get_language() or settings.LANGUAGE_CODE)


def fmt_number(value) -> str:
    """``4.00`` → ``4``, ``3.50`` → ``3.5``, ``120`` → ``120`` (no grouping: values are read, not counted)."""
    if isinstance(value, Decimal):
        value = value.normalize()
        if value == value.to_integral():
            value = value.quantize(Decimal(1))
        return format(value, "f")
    return str(value)


def fmt_date(value: dt.date) -> str:
    return value.isoformat()


def reason(criterion: str, name: str, passed: bool, detail: str, points: int | None = None) -> dict:
    """One entry of ``PolicyMatch.reasons`` / a suggestion's ``reasons``."""
    return {"criterion": criterion, "name": str(name), "passed": bool(passed), "detail": str(detail), "points": points}


def _window_reason(policy: Policy, today: dt.date, t: dict[str, str]) -> dict:
    name = t["window"]
    if not policy.is_active:
        return reason("window", name, False, t["inactive"])
    if policy_is_expired(policy, today):
        return reason("window", name, False, t["closed_on"] % {"date": fmt_date(policy.apply_until)})
    if policy.apply_from and policy.apply_from > today:
        if policy.apply_until:
            detail = t["opens_closes"] % {"start": fmt_date(policy.apply_from), "end": fmt_date(policy.apply_until)}
        else:
            detail = t["opens_on"] % {"date": fmt_date(policy.apply_from)}
        return reason("window", name, True, detail)
    if policy.apply_until:
        return reason("window", name, True, t["open_until"] % {"date": fmt_date(policy.apply_until)})
    return reason("window", name, True, t["open_no_close"])


def _bound_reason(criterion, name, value, bound, fmt, t, *, minimum: bool) -> dict:
    if value is None:
        key, param = ("not_recorded_min", "minimum") if minimum else ("not_recorded_max", "maximum")
        return reason(criterion, name, False, t[key] % {param: fmt(bound)})
    passed = value >= bound if minimum else value <= bound
    return reason(criterion, name, passed, _bound_detail(fmt(value), fmt(bound), t, passed=passed, minimum=minimum))


def _bound_detail(value: str, bound: str, t: dict[str, str], *, passed: bool, minimum: bool) -> str:
    """ "120 人，达到要求（不少于 50 人）": the enterprise's value, then the policy's limit, in words."""
    key = ("at_least_met" if passed else "at_least_short") if minimum else ("at_most_met" if passed else "at_most_over")
    return t[key] % {"value": value, "bound": bound}


def explain_eligibility(
    policy: Policy,
    enterprise: Enterprise,
    *,
    qualifications: dict[str, EnterpriseQualification],
    today: dt.date | None = None,
) -> list[dict]:
    """One reason per criterion the policy sets (plus the window and the enterprise's status), in Python.

    ``qualifications``: the enterprise's qualifications by code (``load_qualifications``). The policy's list
    criteria come from ``criteria_of`` (no query after ``load_criteria`` or a prefetch).
    """
    today = today or timezone.localdate()
    t = texts()
    criteria = criteria_of(policy)
    reasons = [_window_reason(policy, today, t)]
    if enterprise.status != EnterpriseStatus.OPERATING:
        reasons.append(reason("status", t["status"], False, t.get(f"status:{enterprise.status}", enterprise.status)))
    if criteria.regions:
        passed = enterprise.region_id in {code for code, _name in criteria.regions}
        allowed = "、".join(label for _code, label in criteria.regions)
        region_name = enterprise.region.name if enterprise.region_id else "—"
        detail = t["among" if passed else "not_among"] % {"value": region_name, "allowed": allowed}
        reasons.append(reason("region", t["region"], passed, detail))
    if criteria.chains:
        allowed = "、".join(label for _code, label in criteria.chains)
        if enterprise.industry_chain_id:
            passed = enterprise.industry_chain_id in {code for code, _name in criteria.chains}
            detail = t["among" if passed else "not_among"] % {
                "value": enterprise.industry_chain.name,
                "allowed": allowed,
            }
        else:
            passed, detail = False, t["no_chain"] % {"allowed": allowed}
        reasons.append(reason("industry_chain", t["chain"], passed, detail))
    for code, label in criteria.qualifications:
        eq = qualifications.get(code)
        if eq is None:
            passed, detail = False, t["not_held"]
        elif eq.expires_on is None:
            passed, detail = True, t["no_expiry"]
        elif eq.expires_on >= today:
            passed, detail = True, t["valid_until"] % {"date": fmt_date(eq.expires_on)}
        else:
            passed, detail = False, t["expired_on"] % {"date": fmt_date(eq.expires_on)}
        reasons.append(reason(f"qualification:{code}", label, passed, detail))

    def money(value) -> str:
        return t["money"] % {"amount": fmt_number(value)}

    def people(value) -> str:
        return t["people"] % {"count": fmt_number(value)}

    def years(value) -> str:
        return t["years"] % {"years": value}

    if policy.min_employees is not None:
        reasons.append(
            _bound_reason(
                "min_employees", t["employees"], enterprise.employees, policy.min_employees, people, t, minimum=True
            )
        )
    if policy.max_employees is not None:
        reasons.append(
            _bound_reason(
                "max_employees",
                t["employees"],
                enterprise.employees,
                policy.max_employees,
                people,
                t,
                minimum=False,
            )
        )
    if policy.min_revenue is not None:
        reasons.append(
            _bound_reason("min_revenue", t["revenue"], enterprise.revenue, policy.min_revenue, money, t, minimum=True)
        )
    if policy.max_revenue is not None:
        reasons.append(
            _bound_reason("max_revenue", t["revenue"], enterprise.revenue, policy.max_revenue, money, t, minimum=False)
        )
    if policy.min_rd_expense is not None:
        reasons.append(
            _bound_reason(
                "min_rd_expense", t["rd_expense"], enterprise.rd_expense, policy.min_rd_expense, money, t, minimum=True
            )
        )
    if policy.min_rd_ratio is not None:
        minimum = f"{fmt_number(Decimal(policy.min_rd_ratio))}%"
        if enterprise.rd_expense is None or not enterprise.revenue:
            detail = t["not_recorded_min"] % {"minimum": minimum}
            reasons.append(reason("min_rd_ratio", t["rd_ratio"], False, detail))
        else:
            rd, revenue = Decimal(enterprise.rd_expense), Decimal(enterprise.revenue)
            passed = rd * 100 >= Decimal(policy.min_rd_ratio) * revenue
            shown = f"{fmt_number((rd * 100 / revenue).quantize(Decimal('0.01')))}%"
            detail = _bound_detail(shown, minimum, t, passed=passed, minimum=True)
            reasons.append(reason("min_rd_ratio", t["rd_ratio"], passed, detail))
    if policy.min_years_established is not None:
        if not enterprise.established_on:
            detail = t["not_recorded_min"] % {"minimum": years(policy.min_years_established)}
            reasons.append(reason("min_years_established", t["years_established"], False, detail))
        else:
            passed = enterprise.established_on <= years_ago(today, policy.min_years_established)
            comparison = _bound_detail(
                years(full_years(enterprise.established_on, today)),
                years(policy.min_years_established),
                t,
                passed=passed,
                minimum=True,
            )
            detail = t["established"] % {"comparison": comparison, "date": fmt_date(enterprise.established_on)}
            reasons.append(reason("min_years_established", t["years_established"], passed, detail))
    if policy.linked_only:
        detail = t["linked"] if enterprise.is_linked else t["not_linked"]
        reasons.append(reason("linked_only", t["linked_only"], enterprise.is_linked, detail))
    if len(reasons) == 1 and enterprise.status == EnterpriseStatus.OPERATING:
        reasons.append(reason("open_to_all", t["eligibility"], True, t["open_to_all"]))
    return reasons


def is_eligible(reasons: Sequence[dict]) -> bool:
    return all(r["passed"] for r in reasons if r.get("points") is None)

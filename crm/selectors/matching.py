"""Policy matching (精准滴灌, DESIGN §4.3): eligibility in the database, explanations and relevance in Python.

Two directions, each one database query whatever the table sizes:

- ``policy_eligible_enterprises(policy=…)``: the enterprises meeting one policy's structured criteria — a
  ``Q`` over ``Enterprise`` built from the policy (``enterprise_eligibility_q``);
- ``enterprise_eligible_policies(enterprise=…)``: the policies one enterprise meets — a ``Q`` over ``Policy``
  built from the enterprise's values (``policy_eligibility_q``).

Both agree with ``explain_eligibility``, which lists every criterion with passed/failed and the enterprise's
value, computed in Python from data already loaded (no query per policy; the criteria of many policies
are read with ``load_criteria``: three queries whatever their number).

Relevance to a need ranks eligible policies (score 0–100, every point accounted for in the reasons):

- 50 points when the need's category is among the policy's ``need_categories``;
- up to 35 points for text similarity: character bigrams of the need's title and description (generic
  words removed) found in the policy's title, summary, keywords, conditions and support text, plus policy
  keywords that appear in the need;
- up to 15 points for a window closing soon (15 closing today, falling to 0 at 90 days or no closing date).

The order is category match first, then score, then the closing date, then the policy id: deterministic.
Ranking needs relevance only; the per-criterion explanation is added to the suggestions shown
(``complete_suggestions``), so a paginated list explains one page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, localcontext
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Round
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop, override

from crm.choices import OPEN_NEED_STATUSES, EnterpriseStatus, MatchStatus, NeedCategory
from crm.models import Enterprise, EnterpriseQualification, Need, Policy, PolicyMatch

CATEGORY_POINTS = 50
TEXT_POINTS = 35
CLOSING_POINTS = 15
CLOSING_HORIZON_DAYS = 90
RADAR_DAYS = 14

# Statuses that mean the enterprise has been told about the policy.
TOLD_STATUSES = tuple(s for s in MatchStatus.values if s != MatchStatus.SUGGESTED)

POLICY_PREFETCH = ("regions", "industry_chains", "required_qualifications")


# ---------------------------------------------------------------------------------------------------------
# Texts: translated once per language (explaining a thousand policies must not call gettext 30 000 times)
# ---------------------------------------------------------------------------------------------------------

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
    "valid_until": gettext_noop("Valid until %(date)s"),
    "expired_on": gettext_noop("Expired on %(date)s"),
    "employees": gettext_noop("Employees"),
    "revenue": gettext_noop("Revenue last year"),
    "rd_expense": gettext_noop("R&D expense last year"),
    "rd_ratio": gettext_noop("R&D ratio"),
    "years_established": gettext_noop("Years established"),
    "not_recorded_min": gettext_noop("Not recorded (required: ≥ %(minimum)s)"),
    "not_recorded_max": gettext_noop("Not recorded (required: ≤ %(maximum)s)"),
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
    "text": gettext_noop("Text similarity"),
    "similar": gettext_noop("%(percent)s%% similar; shared: %(terms)s"),
    "no_shared": gettext_noop("No shared terms"),
    "closing": gettext_noop("Closing date"),
    "closes_in": gettext_noop("Closes on %(date)s, in %(days)s days"),
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


# ---------------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------------


def years_ago(today: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` years before (28 February for 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def full_years(since: dt.date | None, today: dt.date) -> int | None:
    """Whole years from ``since`` to ``today`` (consistent with ``years_ago``)."""
    if since is None:
        return None
    years = today.year - since.year
    if since > years_ago(today, years):
        years -= 1
    return years


def rd_ratio_floor(enterprise: Enterprise) -> Decimal | None:
    """R&D ratio in %, rounded down to 2 places (the precision of ``Policy.min_rd_ratio``), or None."""
    if enterprise.rd_expense is None or not enterprise.revenue:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        ratio = Decimal(enterprise.rd_expense) * 100 / Decimal(enterprise.revenue)
    return ratio.quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


def fmt_number(value) -> str:
    """``4.00`` → ``4``, ``3.50`` → ``3.5``, ``120`` → ``120`` (no grouping: values are read, not counted)."""
    if isinstance(value, Decimal):
        value = value.normalize()
        if value == value.to_integral():
            value = value.quantize(Decimal(1))
        return format(value, "f")
    return str(value)


def _fmt_date(value: dt.date) -> str:
    return value.isoformat()


def load_qualifications(enterprise: Enterprise) -> dict[str, EnterpriseQualification]:
    """The enterprise's qualifications by code (one query), expired ones included (explanations need them)."""
    cache = getattr(enterprise, "_prefetched_objects_cache", {})
    if "enterprise_qualifications" in cache:
        rows = cache["enterprise_qualifications"]
    else:
        rows = EnterpriseQualification.objects.filter(enterprise=enterprise)
    return {row.qualification_id: row for row in rows}


def _valid(eq: EnterpriseQualification | None, today: dt.date) -> bool:
    return eq is not None and (eq.expires_on is None or eq.expires_on >= today)


# ---------------------------------------------------------------------------------------------------------
# A policy's list criteria (regions, chains, required qualifications) as (code, name) pairs
# ---------------------------------------------------------------------------------------------------------


class Criteria(NamedTuple):
    regions: list[tuple[str, str]]
    chains: list[tuple[str, str]]
    qualifications: list[tuple[str, str]]


_THROUGH = (
    ("regions", "region_id", "region__name"),
    ("industry_chains", "industrychain_id", "industrychain__name"),
    ("required_qualifications", "qualification_id", "qualification__name"),
)


def load_criteria(policies: Iterable[Policy]) -> None:
    """Read the list criteria of many policies: three queries whatever their number (``policy._criteria``)."""
    todo = {p.pk: p for p in policies if not hasattr(p, "_criteria")}
    if not todo:
        return
    found: dict[int, list[list[tuple[str, str]]]] = {pk: [[], [], []] for pk in todo}
    for index, (name, code_field, name_field) in enumerate(_THROUGH):
        through = getattr(Policy, name).through
        rows = through.objects.filter(policy_id__in=list(todo)).order_by(code_field)
        for policy_id, code, label in rows.values_list("policy_id", code_field, name_field):
            found[policy_id][index].append((code, label))
    for pk, policy in todo.items():
        policy._criteria = Criteria(*found[pk])


def criteria_of(policy: Policy) -> Criteria:
    """The policy's list criteria: from ``load_criteria``, from a prefetch, or read now (three small queries)."""
    if not hasattr(policy, "_criteria"):
        cache = getattr(policy, "_prefetched_objects_cache", {})
        if all(name in cache for name in POLICY_PREFETCH):
            policy._criteria = Criteria(*[[(o.pk, o.name) for o in cache[name]] for name in POLICY_PREFETCH])
        else:
            load_criteria([policy])
    return policy._criteria


# ---------------------------------------------------------------------------------------------------------
# Eligibility in the database
# ---------------------------------------------------------------------------------------------------------


def enterprise_eligibility_q(policy: Policy, *, today: dt.date | None = None) -> Q:
    """A condition over ``Enterprise`` that holds exactly for the enterprises meeting ``policy``'s criteria.

    Enterprise criteria only: the caller decides about the policy's window and ``is_active``. A missing value
    (no employee count, no revenue …) fails a criterion that needs it.
    """
    today = today or timezone.localdate()
    criteria = criteria_of(policy)
    # "Not relocated or closed" rather than "= operating": nearly every enterprise operates, and an equality
    # would lead SQLite to the (useless) status index instead of an index in the list's order.
    q = ~Q(status__in=[EnterpriseStatus.RELOCATED, EnterpriseStatus.CLOSED])
    if criteria.regions:
        q &= Q(region_id__in=[code for code, _name in criteria.regions])
    if criteria.chains:
        q &= Q(industry_chain_id__in=[code for code, _name in criteria.chains])
    for code, _name in criteria.qualifications:
        q &= Q(
            Exists(
                EnterpriseQualification.objects.filter(enterprise_id=OuterRef("pk"), qualification_id=code).filter(
                    Q(expires_on__isnull=True) | Q(expires_on__gte=today)
                )
            )
        )
    if policy.min_employees is not None:
        q &= Q(employees__gte=policy.min_employees)
    if policy.max_employees is not None:
        q &= Q(employees__lte=policy.max_employees)
    if policy.min_revenue is not None:
        q &= Q(revenue__gte=policy.min_revenue)
    if policy.max_revenue is not None:
        q &= Q(revenue__lte=policy.max_revenue)
    if policy.min_rd_expense is not None:
        q &= Q(rd_expense__gte=policy.min_rd_expense)
    if policy.min_rd_ratio is not None:
        # rd_expense / revenue * 100 >= ratio, without a division: in hundredths of 万元 (exact integers even
        # where SQLite keeps decimals as floats): rd_cents * 10000 >= ratio_hundredths * revenue_cents.
        ratio_hundredths = int(Decimal(policy.min_rd_ratio) * 100)
        rd_cents = Round(F("rd_expense") * Value(100))
        revenue_cents = Round(F("revenue") * Value(100))
        q &= Q(revenue__gt=0, rd_expense__isnull=False) & Q(
            GreaterThanOrEqual(rd_cents * Value(10000), revenue_cents * Value(ratio_hundredths))
        )
    if policy.min_years_established is not None:
        q &= Q(established_on__lte=years_ago(today, policy.min_years_established))
    if policy.linked_only:
        q &= Q(is_linked=True)
    return q


def policy_is_current_q(*, today: dt.date) -> Q:
    """Active and not expired (a window still to open counts: managers tell enterprises in advance)."""
    return Q(is_active=True) & (Q(apply_until__isnull=True) | Q(apply_until__gte=today))


def window_open_q(*, today: dt.date) -> Q:
    return policy_is_current_q(today=today) & (Q(apply_from__isnull=True) | Q(apply_from__lte=today))


def policy_criterion_qs(
    enterprise: Enterprise, *, valid_qualifications: Iterable[str], today: dt.date | None = None
) -> list[Q]:
    """One condition over ``Policy`` per criterion, each true when ``enterprise`` meets that criterion.

    ``valid_qualifications``: codes of the qualifications the enterprise holds unexpired today.
    """
    today = today or timezone.localdate()
    region_through = Policy.regions.through.objects.filter(policy_id=OuterRef("pk"))
    chain_through = Policy.industry_chains.through.objects.filter(policy_id=OuterRef("pk"))
    qual_through = Policy.required_qualifications.through.objects.filter(policy_id=OuterRef("pk"))

    def at_least(field_name: str, value) -> Q:
        # A policy minimum is met when unset or when the value reaches it; an unknown value meets none.
        if value is None:
            return Q(**{f"{field_name}__isnull": True})
        return Q(**{f"{field_name}__isnull": True}) | Q(**{f"{field_name}__lte": value})

    def at_most(field_name: str, value) -> Q:
        if value is None:
            return Q(**{f"{field_name}__isnull": True})
        return Q(**{f"{field_name}__isnull": True}) | Q(**{f"{field_name}__gte": value})

    if enterprise.industry_chain_id:
        chain_q = Q(~Exists(chain_through)) | Q(
            Exists(chain_through.filter(industrychain_id=enterprise.industry_chain_id))
        )
    else:
        chain_q = Q(~Exists(chain_through))
    return [
        Q(~Exists(region_through)) | Q(Exists(region_through.filter(region_id=enterprise.region_id))),
        chain_q,
        Q(~Exists(qual_through.exclude(qualification_id__in=list(valid_qualifications)))),
        at_least("min_employees", enterprise.employees),
        at_most("max_employees", enterprise.employees),
        at_least("min_revenue", enterprise.revenue),
        at_most("max_revenue", enterprise.revenue),
        at_least("min_rd_expense", enterprise.rd_expense),
        at_least("min_rd_ratio", rd_ratio_floor(enterprise)),
        at_least("min_years_established", full_years(enterprise.established_on, today)),
        Q() if enterprise.is_linked else Q(linked_only=False),
    ]


def policy_eligibility_q(
    enterprise: Enterprise, *, valid_qualifications: Iterable[str], today: dt.date | None = None
) -> Q:
    """A condition over ``Policy`` that holds exactly for the policies whose criteria ``enterprise`` meets.

    Enterprise criteria only, like ``enterprise_eligibility_q``.
    """
    if enterprise.status != EnterpriseStatus.OPERATING:
        return Q(pk__in=[])
    q = Q()
    for part in policy_criterion_qs(enterprise, valid_qualifications=valid_qualifications, today=today):
        q &= part
    return q


def policy_eligible_enterprises(
    *, policy: Policy, user, today: dt.date | None = None, include_expired: bool = False
) -> QuerySet[Enterprise]:
    """Enterprises in ``user``'s scope eligible for ``policy``: one query, linked and assisted ones first.

    An expired or inactive policy has no eligible enterprises unless ``include_expired``.
    """
    today = today or timezone.localdate()
    if not include_expired and (not policy.is_active or (policy.apply_until and policy.apply_until < today)):
        return Enterprise.objects.none()
    return (
        Enterprise.objects.visible_to(user)
        .filter(enterprise_eligibility_q(policy, today=today))
        .order_by("-is_linked", "-is_assisted", "name", "id")
    )


def enterprise_eligible_policies(
    *,
    enterprise: Enterprise,
    today: dt.date | None = None,
    valid_qualifications: Iterable[str] | None = None,
    open_only: bool = True,
) -> QuerySet[Policy]:
    """Policies ``enterprise`` is eligible for (one query); ``open_only`` keeps those open for application now."""
    today = today or timezone.localdate()
    if valid_qualifications is None:
        valid_qualifications = [code for code, eq in load_qualifications(enterprise).items() if _valid(eq, today)]
    window = window_open_q(today=today) if open_only else policy_is_current_q(today=today)
    return Policy.objects.filter(
        window & policy_eligibility_q(enterprise, valid_qualifications=valid_qualifications, today=today)
    )


# ---------------------------------------------------------------------------------------------------------
# Explanations
# ---------------------------------------------------------------------------------------------------------


def reason(criterion: str, name: str, passed: bool, detail: str, points: int | None = None) -> dict:
    """One entry of ``PolicyMatch.reasons`` / a suggestion's ``reasons``."""
    return {"criterion": criterion, "name": str(name), "passed": bool(passed), "detail": str(detail), "points": points}


def _window_reason(policy: Policy, today: dt.date, t: dict[str, str]) -> dict:
    name = t["window"]
    if not policy.is_active:
        return reason("window", name, False, t["inactive"])
    if policy.apply_until and policy.apply_until < today:
        return reason("window", name, False, t["closed_on"] % {"date": _fmt_date(policy.apply_until)})
    if policy.apply_from and policy.apply_from > today:
        if policy.apply_until:
            detail = t["opens_closes"] % {"start": _fmt_date(policy.apply_from), "end": _fmt_date(policy.apply_until)}
        else:
            detail = t["opens_on"] % {"date": _fmt_date(policy.apply_from)}
        return reason("window", name, True, detail)
    if policy.apply_until:
        return reason("window", name, True, t["open_until"] % {"date": _fmt_date(policy.apply_until)})
    return reason("window", name, True, t["open_no_close"])


def _bound_reason(criterion, name, value, bound, fmt, t, *, minimum: bool) -> dict:
    if value is None:
        key, param = ("not_recorded_min", "minimum") if minimum else ("not_recorded_max", "maximum")
        return reason(criterion, name, False, t[key] % {param: fmt(bound)})
    passed = value >= bound if minimum else value <= bound
    sign = ("≥" if passed else "<") if minimum else ("≤" if passed else ">")
    return reason(criterion, name, passed, f"{fmt(value)} {sign} {fmt(bound)}")


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
            passed, detail = True, t["valid_until"] % {"date": _fmt_date(eq.expires_on)}
        else:
            passed, detail = False, t["expired_on"] % {"date": _fmt_date(eq.expires_on)}
        reasons.append(reason(f"qualification:{code}", label, passed, detail))

    def money(value) -> str:
        return t["money"] % {"amount": fmt_number(value)}

    def years(value) -> str:
        return t["years"] % {"years": value}

    if policy.min_employees is not None:
        reasons.append(
            _bound_reason(
                "min_employees", t["employees"], enterprise.employees, policy.min_employees, fmt_number, t, minimum=True
            )
        )
    if policy.max_employees is not None:
        reasons.append(
            _bound_reason(
                "max_employees",
                t["employees"],
                enterprise.employees,
                policy.max_employees,
                fmt_number,
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
        minimum = f"{fmt_number(Decimal(policy.min_rd_ratio))} %"
        if enterprise.rd_expense is None or not enterprise.revenue:
            detail = t["not_recorded_min"] % {"minimum": minimum}
            reasons.append(reason("min_rd_ratio", t["rd_ratio"], False, detail))
        else:
            rd, revenue = Decimal(enterprise.rd_expense), Decimal(enterprise.revenue)
            passed = rd * 100 >= Decimal(policy.min_rd_ratio) * revenue
            shown = (rd * 100 / revenue).quantize(Decimal("0.01"))
            sign = "≥" if passed else "<"
            reasons.append(reason("min_rd_ratio", t["rd_ratio"], passed, f"{fmt_number(shown)} % {sign} {minimum}"))
    if policy.min_years_established is not None:
        if not enterprise.established_on:
            detail = t["not_recorded_min"] % {"minimum": years(policy.min_years_established)}
            reasons.append(reason("min_years_established", t["years_established"], False, detail))
        else:
            passed = enterprise.established_on <= years_ago(today, policy.min_years_established)
            sign = "≥" if passed else "<"
            comparison = (
                f"{years(full_years(enterprise.established_on, today))} {sign} {years(policy.min_years_established)}"
            )
            detail = t["established"] % {"comparison": comparison, "date": _fmt_date(enterprise.established_on)}
            reasons.append(reason("min_years_established", t["years_established"], passed, detail))
    if policy.linked_only:
        detail = t["linked"] if enterprise.is_linked else t["not_linked"]
        reasons.append(reason("linked_only", t["linked_only"], enterprise.is_linked, detail))
    if len(reasons) == 1 and enterprise.status == EnterpriseStatus.OPERATING:
        reasons.append(reason("open_to_all", t["eligibility"], True, t["open_to_all"]))
    return reasons


def is_eligible(reasons: Sequence[dict]) -> bool:
    return all(r["passed"] for r in reasons if r.get("points") is None)


# ---------------------------------------------------------------------------------------------------------
# Relevance
# ---------------------------------------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[A-Za-z0-9][A-Za-z0-9+#.\-]*")
_CJK_RE = re.compile(rf"[{_CJK}]")
# Bigrams so common in needs and policy texts that sharing them says nothing.
STOP_BIGRAMS = frozenset(
    "企业 公司 有限 责任 我们 希望 需要 问题 相关 进行 目前 一个 没有 情况 支持 政策 申请 帮助 协调 解决 可以 能够 "
    "是否 如何 什么 以及 或者 关于 通过 方面 工作 单位 有关 提供 对于 部门 办理 尽快 今年 明年 已经 正在 项目".split()
)


def text_grams(text: str) -> frozenset[str]:
    """Character bigrams of the Chinese runs in ``text`` (a single character alone), plus Latin/number words."""
    grams: set[str] = set()
    for token in _TOKEN_RE.findall(text or ""):
        if _CJK_RE.match(token):
            if len(token) == 1:
                grams.add(token)
            else:
                grams.update(token[i : i + 2] for i in range(len(token) - 1))
        elif len(token) >= 2:
            grams.add(token.lower())
    return frozenset(grams)


def _shared_terms(need_text: str, joinable: frozenset[str], meaningful: frozenset[str], limit: int = 6) -> list[str]:
    """Shared bigrams joined back into the longest runs of the need's own text, in reading order.

    ``joinable``: every bigram the need shares with the policy (generic ones too, so that 高新技术企业认定 stays
    one term); a run is shown only when it holds a ``meaningful`` (non-generic) shared bigram.
    """
    terms: list[str] = []
    for token in _TOKEN_RE.findall(need_text or ""):
        if not _CJK_RE.match(token):
            if token.lower() in meaningful and token not in terms:
                terms.append(token)
            continue
        i = 0
        while i < len(token) - 1:
            if token[i : i + 2] in joinable:
                j = i + 1
                while j < len(token) - 1 and token[j : j + 2] in joinable:
                    j += 1
                term = token[i : j + 1]
                if term not in terms and any(term[k : k + 2] in meaningful for k in range(len(term) - 1)):
                    terms.append(term)
                i = j + 1
            else:
                i += 1
    return terms[:limit]


def policy_text(policy: Policy) -> str:
    return " ".join((policy.title, policy.summary, policy.keywords, policy.conditions_text, policy.support_text))


# Bigrams of each policy's text, by (id, last change): a policy's text is cut once, not on every request.
_POLICY_GRAMS: dict[tuple, frozenset[str]] = {}
_POLICY_GRAMS_MAX = 20000


def policy_grams(policy: Policy) -> frozenset[str]:
    if policy.pk is None:
        return text_grams(policy_text(policy))
    key = (policy.pk, policy.updated_at)
    grams = _POLICY_GRAMS.get(key)
    if grams is None:
        if len(_POLICY_GRAMS) >= _POLICY_GRAMS_MAX:
            _POLICY_GRAMS.clear()
        grams = _POLICY_GRAMS[key] = text_grams(policy_text(policy))
    return grams


@dataclass(frozen=True)
class NeedProfile:
    """What relevance is measured against: a need, or an enterprise's open needs and main products."""

    categories: tuple[str, ...] = ()
    text: str = ""
    need: Need | None = None

    @classmethod
    def for_need(cls, need: Need) -> NeedProfile:
        return cls(categories=(need.category,), text=f"{need.title} {need.description}", need=need)

    @classmethod
    def for_enterprise(cls, enterprise: Enterprise, open_needs: Sequence[Need]) -> NeedProfile:
        categories = tuple(dict.fromkeys(n.category for n in open_needs))
        text = " ".join([enterprise.main_products or ""] + [f"{n.title} {n.description}" for n in open_needs])
        return cls(categories=categories, text=text)

    @property
    def grams(self) -> frozenset[str]:
        cached = self.__dict__.get("_grams")
        if cached is None:
            cached = text_grams(self.text)
            object.__setattr__(self, "_grams", cached)
        return cached

    @property
    def lowered(self) -> str:
        return self.text.lower()


def text_similarity(
    need_text: str | NeedProfile, policy: Policy, *, with_terms: bool = True
) -> tuple[float, list[str]]:
    """Share of the need's (non-generic) bigrams found in the policy, raised by policy keywords in the need.

    Returns the similarity (0–1) and, ``with_terms``, the shared terms to show (keywords first).
    """
    profile = need_text if isinstance(need_text, NeedProfile) else NeedProfile(text=need_text)
    all_need_grams = profile.grams
    need_grams = all_need_grams - STOP_BIGRAMS
    if not need_grams:
        return 0.0, []
    grams = policy_grams(policy)
    shared = need_grams & grams
    lowered = profile.lowered
    keyword_hits = [k for k in policy.keyword_list if k.lower() in lowered]
    similarity = min(1.0, len(shared) / len(need_grams) + 0.25 * len(keyword_hits))
    if not shared and not keyword_hits:
        return 0.0, []
    if not with_terms:
        return similarity, []
    terms = list(dict.fromkeys(keyword_hits + _shared_terms(profile.text, all_need_grams & grams, shared)))
    return similarity, terms[:6]


def relevance_reasons(policy: Policy, profile: NeedProfile, *, today: dt.date, with_terms: bool = True) -> list[dict]:
    """The three scored reasons (category, text, closing date); their ``points`` add up to the score.

    Without ``with_terms`` (ranking) the text reason names no shared terms; the score is the same.
    """
    t = texts()
    reasons = []
    policy_categories = set(policy.need_categories or [])
    matched = [c for c in profile.categories if c in policy_categories]
    if matched:
        detail = t["covered"] % {"category": t.get(f"cat:{matched[0]}", matched[0])}
        reasons.append(reason("category", t["category"], True, detail, CATEGORY_POINTS))
    elif not profile.categories:
        reasons.append(reason("category", t["category"], False, t["no_open_need"], 0))
    elif not policy_categories:
        reasons.append(reason("category", t["category"], False, t["no_categories"], 0))
    else:
        first = profile.categories[0]
        detail = t["not_covered"] % {"category": t.get(f"cat:{first}", first)}
        reasons.append(reason("category", t["category"], False, detail, 0))

    similarity, terms = text_similarity(profile, policy, with_terms=with_terms)
    points = round(TEXT_POINTS * similarity)
    if not with_terms and points:
        detail = ""
    elif terms:
        detail = t["similar"] % {"percent": round(similarity * 100), "terms": "、".join(terms)}
    else:
        detail = t["no_shared"]
    reasons.append(reason("text", t["text"], points > 0, detail, points))

    if policy.apply_until and policy.apply_until >= today:
        days = (policy.apply_until - today).days
        points = round(CLOSING_POINTS * max(0, CLOSING_HORIZON_DAYS - days) / CLOSING_HORIZON_DAYS)
        detail = t["closes_in"] % {"date": _fmt_date(policy.apply_until), "days": days}
        reasons.append(reason("closing", t["closing"], points > 0, detail, points))
    else:
        reasons.append(reason("closing", t["closing"], False, t["no_closing"], 0))
    return reasons


def score_of(reasons: Iterable[dict]) -> int:
    return max(0, min(100, sum(r["points"] or 0 for r in reasons)))


# ---------------------------------------------------------------------------------------------------------
# Suggestions
# ---------------------------------------------------------------------------------------------------------


@dataclass
class _Context:
    """What explaining the suggestions of one enterprise needs, loaded once."""

    enterprise: Enterprise
    qualifications: dict[str, EnterpriseQualification]
    need: Need | None
    today: dt.date


@dataclass
class Suggestion:
    """A policy for an enterprise (and perhaps a need): score 0–100 and every reason behind it.

    ``relevance`` (the scored reasons) is always there; ``eligibility`` (one reason per criterion) once the
    suggestion is explained (``complete_suggestions``).
    """

    policy: Policy
    enterprise: Enterprise
    score: int
    relevance: list[dict]
    category_match: bool
    need: Need | None = None
    eligibility: list[dict] | None = None
    match: PolicyMatch | None = None  # the existing match for this pair, if any
    context: _Context | None = field(default=None, repr=False)
    profile: NeedProfile | None = field(default=None, repr=False)
    terms_done: bool = field(default=False, repr=False)

    @property
    def reasons(self) -> list[dict]:
        if self.eligibility is None:
            complete_suggestions([self])
        return (self.eligibility or []) + self.relevance

    @property
    def eligible(self) -> bool:
        if self.eligibility is None:
            complete_suggestions([self])
        return all(r["passed"] for r in self.eligibility or [])

    @property
    def failed(self) -> list[dict]:
        if self.eligibility is None:
            complete_suggestions([self])
        return [r for r in self.eligibility or [] if not r["passed"]]

    @property
    def match_status(self) -> str | None:
        return self.match.status if self.match else None

    @property
    def told(self) -> bool:
        return bool(self.match and self.match.status in TOLD_STATUSES)

    def sort_key(self):
        until = self.policy.apply_until or dt.date.max
        return (not self.category_match, -self.score, until, self.policy.pk)


def _suggest(policy: Policy, profile: NeedProfile, context: _Context, *, with_terms: bool = False) -> Suggestion:
    relevance = relevance_reasons(policy, profile, today=context.today, with_terms=with_terms)
    return Suggestion(
        policy=policy,
        enterprise=context.enterprise,
        score=score_of(relevance),
        relevance=relevance,
        category_match=relevance[0]["passed"],
        need=profile.need,
        context=context,
        profile=profile,
        terms_done=with_terms,
    )


def complete_suggestions(suggestions: Sequence[Suggestion], *, with_matches: bool = True) -> Sequence[Suggestion]:
    """Add the per-criterion explanation (and the existing match) to suggestions: a constant number of queries
    (the policies' list criteria, three; the matches, one per enterprise) whatever their number.
    """
    todo = [s for s in suggestions if s.eligibility is None]
    load_criteria([s.policy for s in todo])
    for s in todo:
        ctx = s.context
        s.eligibility = explain_eligibility(s.policy, s.enterprise, qualifications=ctx.qualifications, today=ctx.today)
    for s in suggestions:
        if not s.terms_done and s.profile is not None:
            # The shared terms are only worth cutting out for the suggestions shown; the score does not change.
            s.relevance = relevance_reasons(s.policy, s.profile, today=s.context.today, with_terms=True)
            s.terms_done = True
    if with_matches:
        by_enterprise: dict[int, list[Suggestion]] = {}
        for s in suggestions:
            if s.context is not None and not getattr(s, "_match_loaded", False):
                by_enterprise.setdefault(s.enterprise.pk, []).append(s)
        for group in by_enterprise.values():
            _attach_matches(group, group[0].enterprise, group[0].context.need)
    return suggestions


def _attach_matches(suggestions: list[Suggestion], enterprise: Enterprise, need: Need | None) -> None:
    """One query: the existing match of each suggested pair (the need's own row first, then a told one)."""
    if not suggestions:
        return
    rows = PolicyMatch.objects.filter(enterprise=enterprise, policy_id__in=[s.policy.pk for s in suggestions]).order_by(
        "id"
    )
    best: dict[int, PolicyMatch] = {}
    for row in rows:
        current = best.get(row.policy_id)
        if current is None:
            best[row.policy_id] = row
            continue
        if (need is not None and row.need_id == need.pk and current.need_id != need.pk) or (
            current.status == MatchStatus.SUGGESTED and row.status in TOLD_STATUSES
        ):
            best[row.policy_id] = row
    for s in suggestions:
        s.match = best.get(s.policy.pk)
        s._match_loaded = True


def enterprise_open_needs(enterprise: Enterprise) -> list[Need]:
    return list(
        Need.objects.filter(enterprise=enterprise, status__in=OPEN_NEED_STATUSES)
        .only("id", "category", "title", "description", "enterprise_id")
        .order_by("-created_at", "-id")
    )


def _context(enterprise: Enterprise, need: Need | None, today: dt.date) -> _Context:
    return _Context(enterprise=enterprise, qualifications=load_qualifications(enterprise), need=need, today=today)


def enterprise_policy_suggestions(
    *,
    enterprise: Enterprise,
    need: Need | None = None,
    today: dt.date | None = None,
    limit: int | None = None,
    explain: bool = True,
) -> list[Suggestion]:
    """Eligible policies with an open window for ``enterprise``, ranked for ``need`` (or its open needs).

    Queries: qualifications, open needs (without a need), the policies (one query), and with ``explain`` the
    list criteria of the suggestions returned (three) and their existing matches (one). Without ``explain``,
    call ``complete_suggestions`` on the ones shown (e.g. one page).
    """
    today = today or timezone.localdate()
    context = _context(enterprise, need, today)
    valid = [code for code, eq in context.qualifications.items() if _valid(eq, today)]
    profile = (
        NeedProfile.for_need(need)
        if need
        else NeedProfile.for_enterprise(enterprise, enterprise_open_needs(enterprise))
    )
    policies = enterprise_eligible_policies(enterprise=enterprise, today=today, valid_qualifications=valid)
    ranked = sorted((_suggest(p, profile, context) for p in policies), key=Suggestion.sort_key)
    if limit is not None:
        ranked = ranked[:limit]
    if explain:
        complete_suggestions(ranked)
    return ranked


def need_enterprise(need: Need) -> Enterprise | None:
    if need.enterprise_id:
        return need.enterprise
    if need.project_id and need.project.enterprise_id:
        return need.project.enterprise
    return None


def need_policy_suggestions(
    *, need: Need, today: dt.date | None = None, limit: int | None = None, explain: bool = True
) -> list[Suggestion]:
    """Eligible policies with an open window for the need's enterprise, the need's own category first.

    A need with neither an enterprise nor a project with one has no suggestions: eligibility is an
    enterprise's.
    """
    enterprise = need_enterprise(need)
    if enterprise is None:
        return []
    return enterprise_policy_suggestions(enterprise=enterprise, need=need, today=today, limit=limit, explain=explain)


def enterprise_near_misses(
    *, enterprise: Enterprise, today: dt.date | None = None, max_failed: int = 2, limit: int = 10
) -> list[Suggestion]:
    """Policies with an open window that the enterprise misses by at most ``max_failed`` criteria.

    For the enterprise page (what the enterprise could reach), never for the suggestion lists. The database
    counts the failed criteria of every open policy in one query (fewest failures, the enterprise's open
    need categories, then the soonest closing first); the few candidates are explained in Python.
    """
    today = today or timezone.localdate()
    if enterprise.status != EnterpriseStatus.OPERATING:
        return []
    context = _context(enterprise, None, today)
    valid = [code for code, eq in context.qualifications.items() if _valid(eq, today)]
    open_needs = enterprise_open_needs(enterprise)
    failed = Value(0)
    for part in policy_criterion_qs(enterprise, valid_qualifications=valid, today=today):
        if not part:  # a criterion every policy passes for this enterprise (linked_only for a linked one)
            continue
        failed = failed + Case(When(part, then=Value(0)), default=Value(1), output_field=IntegerField())
    categories = Q(pk__in=[])
    for category in {n.category for n in open_needs}:
        categories |= Q(need_categories__icontains=f'"{category}"')
    fits = Case(When(categories, then=Value(0)), default=Value(1), output_field=IntegerField())
    candidates = list(
        Policy.objects.filter(window_open_q(today=today))
        .annotate(failed_criteria=failed, misfit=fits)
        .filter(failed_criteria__gte=1, failed_criteria__lte=max_failed)
        .order_by("failed_criteria", "misfit", F("apply_until").asc(nulls_last=True), "id")[: limit * 3]
    )
    if not candidates:
        return []
    load_criteria(candidates)
    profile = NeedProfile.for_enterprise(enterprise, open_needs)
    misses = []
    for policy in candidates:
        s = _suggest(policy, profile, context)
        s.eligibility = explain_eligibility(policy, enterprise, qualifications=context.qualifications, today=today)
        if 0 < len(s.failed) <= max_failed:
            misses.append(s)
    misses.sort(key=lambda s: (len(s.failed), *s.sort_key()))
    return list(complete_suggestions(misses[:limit], with_matches=False))


def explain_pair(*, policy: Policy, enterprise: Enterprise, need: Need | None = None, today=None) -> Suggestion:
    """Eligibility and relevance of one (policy, enterprise) pair, eligible or not."""
    today = today or timezone.localdate()
    profile = (
        NeedProfile.for_need(need)
        if need
        else NeedProfile.for_enterprise(enterprise, enterprise_open_needs(enterprise))
    )
    suggestion = _suggest(policy, profile, _context(enterprise, need, today))
    complete_suggestions([suggestion], with_matches=False)
    return suggestion


def explain_pairs(
    *, policy: Policy, enterprises: Sequence[Enterprise], need: Need | None = None, today: dt.date | None = None
) -> dict[int, Suggestion]:
    """``explain_pair`` for many enterprises of one policy with a constant number of queries (pushes)."""
    today = today or timezone.localdate()
    ids = [e.pk for e in enterprises]
    quals: dict[int, dict[str, EnterpriseQualification]] = {pk: {} for pk in ids}
    for eq in EnterpriseQualification.objects.filter(enterprise_id__in=ids):
        quals[eq.enterprise_id][eq.qualification_id] = eq
    needs_by_enterprise: dict[int, list[Need]] = {pk: [] for pk in ids}
    if need is None:
        open_needs = Need.objects.filter(enterprise_id__in=ids, status__in=OPEN_NEED_STATUSES).order_by(
            "-created_at", "-id"
        )
        for n in open_needs:
            needs_by_enterprise[n.enterprise_id].append(n)
    criteria_of(policy)
    result = {}
    for enterprise in enterprises:
        profile = (
            NeedProfile.for_need(need)
            if need
            else NeedProfile.for_enterprise(enterprise, needs_by_enterprise[enterprise.pk])
        )
        context = _Context(enterprise=enterprise, qualifications=quals[enterprise.pk], need=need, today=today)
        suggestion = _suggest(policy, profile, context)
        complete_suggestions([suggestion], with_matches=False)
        result[enterprise.pk] = suggestion
    return result


def load_policy(pk: int) -> Policy:
    """A policy with its list criteria loaded (for the eligibility query and explanations)."""
    policy = Policy.objects.select_related("department").get(pk=pk)
    criteria_of(policy)
    return policy


# ---------------------------------------------------------------------------------------------------------
# The managers' policy radar
# ---------------------------------------------------------------------------------------------------------


@dataclass
class RadarEntry:
    policy: Policy
    is_new: bool
    closes_soon: bool
    untold: int  # eligible linked or assisted enterprises in scope not told yet


def policy_radar(*, user, today: dt.date | None = None, days: int = RADAR_DAYS, limit: int = 10) -> list[RadarEntry]:
    """Policies new or closing within ``days``, each with how many eligible linked/assisted enterprises in the
    user's scope have not been told yet. Counting is one aggregate query for all policies together.
    """
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=days)
    since_dt = timezone.now() - dt.timedelta(days=days)
    horizon = today + dt.timedelta(days=days)
    new_q = Q(published_on__gte=since) | Q(published_on__isnull=True, created_at__gte=since_dt)
    closing_q = Q(apply_until__gte=today, apply_until__lte=horizon)
    policies = list(
        Policy.objects.filter(policy_is_current_q(today=today))
        .filter(new_q | closing_q)
        .order_by(F("apply_until").asc(nulls_last=True), "-published_on", "-id")[:limit]
    )
    if not policies:
        return []
    load_criteria(policies)
    aggregates = {}
    for policy in policies:
        told = PolicyMatch.objects.filter(policy_id=policy.pk, enterprise_id=OuterRef("pk"), status__in=TOLD_STATUSES)
        aggregates[f"p{policy.pk}"] = Count(
            "pk", filter=enterprise_eligibility_q(policy, today=today) & Q(~Exists(told))
        )
    counts = Enterprise.objects.visible_to(user).filter(Q(is_linked=True) | Q(is_assisted=True)).aggregate(**aggregates)
    return [
        RadarEntry(
            policy=p,
            is_new=bool(
                (p.published_on and p.published_on >= since) or (not p.published_on and p.created_at >= since_dt)
            ),
            closes_soon=bool(p.apply_until and today <= p.apply_until <= horizon),
            untold=counts[f"p{p.pk}"] or 0,
        )
        for p in policies
    ]


def enterprise_match_history(*, enterprise: Enterprise, user) -> QuerySet[PolicyMatch]:
    """The policy matches of one enterprise, newest first, ready to render."""
    return (
        PolicyMatch.objects.visible_to(user)
        .filter(enterprise=enterprise)
        .select_related("policy", "need", "pushed_by")
        .order_by("-created_at", "-id")
    )

"""Policy matching (精准滴灌, DESIGN §4.3): eligibility in the database, explanations and relevance in Python.

Two directions, each one database query whatever the table sizes:

- ``policy_eligible_enterprises(policy=…)``: the enterprises meeting one policy's structured criteria — a
  ``Q`` over ``Enterprise`` built from the policy (``enterprise_eligibility_q``);
- ``enterprise_eligible_policies(enterprise=…)``: the policies one enterprise meets — a ``Q`` over ``Policy``
  built from the enterprise's values (``policy_eligibility_q``).

Both agree with ``explain_eligibility``, which lists every criterion with passed/failed and the enterprise's
value, computed in Python from data already loaded (no query per policy).

Relevance to a need ranks eligible policies (score 0–100, every point accounted for in the reasons):

- 50 points when the need's category is among the policy's ``need_categories``;
- up to 35 points for text similarity: character bigrams of the need's title and description (generic
  words removed) found in the policy's title, summary, keywords and conditions, plus policy keywords that
  appear in the need;
- up to 15 points for a window closing soon (15 closing today, falling to 0 at 90 days or no closing date).

The order is category match first, then score, then the closing date, then the policy id: deterministic.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, localcontext
from functools import lru_cache

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Round
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

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
    if isinstance(value, Decimal):
        value = value.normalize()
        if value == value.to_integral():
            value = value.quantize(Decimal(1))
    return number_format(value, use_l10n=False)


def _fmt_date(value: dt.date) -> str:
    return date_format(value, "Y-m-d")


def _money(value) -> str:
    return _("%(amount)s (10k CNY)") % {"amount": fmt_number(value)}


def _years(value: int) -> str:
    return _("%(years)s years") % {"years": value}


def _category_label(value: str) -> str:
    try:
        return str(NeedCategory(value).label)
    except ValueError:
        return value


def load_qualifications(enterprise: Enterprise) -> dict[str, EnterpriseQualification]:
    """The enterprise's qualifications by code (one query), expired ones included (explanations need them)."""
    cache = getattr(enterprise, "_prefetched_objects_cache", {})
    if "enterprise_qualifications" in cache:
        rows = cache["enterprise_qualifications"]
    else:
        rows = EnterpriseQualification.objects.filter(enterprise=enterprise).select_related("qualification")
    return {row.qualification_id: row for row in rows}


def _valid(eq: EnterpriseQualification | None, today: dt.date) -> bool:
    return eq is not None and (eq.expires_on is None or eq.expires_on >= today)


# ---------------------------------------------------------------------------------------------------------
# Eligibility in the database
# ---------------------------------------------------------------------------------------------------------


def _codes(policy: Policy, name: str) -> list[str]:
    # .all() uses the prefetch cache when the caller prefetched; otherwise one small query.
    return [obj.pk for obj in getattr(policy, name).all()]


def enterprise_eligibility_q(policy: Policy, *, today: dt.date | None = None) -> Q:
    """A condition over ``Enterprise`` that holds exactly for the enterprises meeting ``policy``'s criteria.

    Enterprise criteria only: the caller decides about the policy's window and ``is_active``. A missing value
    (no employee count, no revenue …) fails a criterion that needs it.
    """
    today = today or timezone.localdate()
    q = Q(status=EnterpriseStatus.OPERATING)
    regions = _codes(policy, "regions")
    if regions:
        q &= Q(region_id__in=regions)
    chains = _codes(policy, "industry_chains")
    if chains:
        q &= Q(industry_chain_id__in=chains)
    for code in _codes(policy, "required_qualifications"):
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


def policy_eligibility_q(
    enterprise: Enterprise, *, valid_qualifications: Iterable[str], today: dt.date | None = None
) -> Q:
    """A condition over ``Policy`` that holds exactly for the policies whose criteria ``enterprise`` meets.

    ``valid_qualifications``: codes of the qualifications the enterprise holds unexpired today. Enterprise
    criteria only, like ``enterprise_eligibility_q``.
    """
    today = today or timezone.localdate()
    if enterprise.status != EnterpriseStatus.OPERATING:
        return Q(pk__in=[])
    region_through = Policy.regions.through.objects.filter(policy_id=OuterRef("pk"))
    chain_through = Policy.industry_chains.through.objects.filter(policy_id=OuterRef("pk"))
    qual_through = Policy.required_qualifications.through.objects.filter(policy_id=OuterRef("pk"))

    q = Q(~Exists(region_through)) | Q(Exists(region_through.filter(region_id=enterprise.region_id)))
    if enterprise.industry_chain_id:
        q &= Q(~Exists(chain_through)) | Q(Exists(chain_through.filter(industrychain_id=enterprise.industry_chain_id)))
    else:
        q &= Q(~Exists(chain_through))
    q &= Q(~Exists(qual_through.exclude(qualification_id__in=list(valid_qualifications))))

    def at_least(field_name: str, value) -> Q:
        # A policy minimum is met when unset or when the value reaches it; an unknown value meets none.
        if value is None:
            return Q(**{f"{field_name}__isnull": True})
        return Q(**{f"{field_name}__isnull": True}) | Q(**{f"{field_name}__lte": value})

    def at_most(field_name: str, value) -> Q:
        if value is None:
            return Q(**{f"{field_name}__isnull": True})
        return Q(**{f"{field_name}__isnull": True}) | Q(**{f"{field_name}__gte": value})

    q &= at_least("min_employees", enterprise.employees) & at_most("max_employees", enterprise.employees)
    q &= at_least("min_revenue", enterprise.revenue) & at_most("max_revenue", enterprise.revenue)
    q &= at_least("min_rd_expense", enterprise.rd_expense)
    q &= at_least("min_rd_ratio", rd_ratio_floor(enterprise))
    q &= at_least("min_years_established", full_years(enterprise.established_on, today))
    if not enterprise.is_linked:
        q &= Q(linked_only=False)
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


def _window_reason(policy: Policy, today: dt.date) -> dict:
    name = _("Application window")
    if not policy.is_active:
        return reason("window", name, False, _("The policy is no longer active"))
    if policy.apply_until and policy.apply_until < today:
        return reason("window", name, False, _("Closed on %(date)s") % {"date": _fmt_date(policy.apply_until)})
    if policy.apply_from and policy.apply_from > today:
        if policy.apply_until:
            detail = _("Opens on %(start)s, closes on %(end)s") % {
                "start": _fmt_date(policy.apply_from),
                "end": _fmt_date(policy.apply_until),
            }
        else:
            detail = _("Opens on %(date)s") % {"date": _fmt_date(policy.apply_from)}
        return reason("window", name, True, detail)
    if policy.apply_until:
        return reason("window", name, True, _("Open until %(date)s") % {"date": _fmt_date(policy.apply_until)})
    return reason("window", name, True, _("Open, no closing date"))


def _min_reason(criterion, name, value, minimum, fmt) -> dict:
    if value is None:
        return reason(criterion, name, False, _("Not recorded (required: ≥ %(minimum)s)") % {"minimum": fmt(minimum)})
    passed = value >= minimum
    sign = "≥" if passed else "<"
    return reason(criterion, name, passed, f"{fmt(value)} {sign} {fmt(minimum)}")


def _max_reason(criterion, name, value, maximum, fmt) -> dict:
    if value is None:
        return reason(criterion, name, False, _("Not recorded (required: ≤ %(maximum)s)") % {"maximum": fmt(maximum)})
    passed = value <= maximum
    sign = "≤" if passed else ">"
    return reason(criterion, name, passed, f"{fmt(value)} {sign} {fmt(maximum)}")


def explain_eligibility(
    policy: Policy,
    enterprise: Enterprise,
    *,
    qualifications: dict[str, EnterpriseQualification],
    today: dt.date | None = None,
) -> list[dict]:
    """One reason per criterion the policy sets (plus the window and the enterprise's status), in Python.

    ``qualifications``: the enterprise's qualifications by code (``load_qualifications``). Uses the
    policy's prefetched regions, chains and required qualifications: no query when they are prefetched.
    """
    today = today or timezone.localdate()
    reasons = [_window_reason(policy, today)]
    if enterprise.status != EnterpriseStatus.OPERATING:
        reasons.append(reason("status", _("Enterprise status"), False, enterprise.get_status_display()))
    regions = list(policy.regions.all())
    if regions:
        passed = enterprise.region_id in {r.pk for r in regions}
        allowed = "、".join(r.name for r in regions)
        region_name = enterprise.region.name if enterprise.region_id else "—"
        detail = (_("%(value)s, among %(allowed)s") if passed else _("%(value)s, not among %(allowed)s")) % {
            "value": region_name,
            "allowed": allowed,
        }
        reasons.append(reason("region", _("Region"), passed, detail))
    chains = list(policy.industry_chains.all())
    if chains:
        allowed = "、".join(c.name for c in chains)
        if enterprise.industry_chain_id:
            passed = enterprise.industry_chain_id in {c.pk for c in chains}
            template = _("%(value)s, among %(allowed)s") if passed else _("%(value)s, not among %(allowed)s")
            detail = template % {"value": enterprise.industry_chain.name, "allowed": allowed}
        else:
            passed = False
            detail = _("No industry chain recorded (required: %(allowed)s)") % {"allowed": allowed}
        reasons.append(reason("industry_chain", _("Industry chain"), passed, detail))
    for qualification in policy.required_qualifications.all():
        eq = qualifications.get(qualification.pk)
        if eq is None:
            passed, detail = False, _("Not held")
        elif eq.expires_on is None:
            passed, detail = True, _("Held, no expiry date")
        elif eq.expires_on >= today:
            passed, detail = True, _("Valid until %(date)s") % {"date": _fmt_date(eq.expires_on)}
        else:
            passed, detail = False, _("Expired on %(date)s") % {"date": _fmt_date(eq.expires_on)}
        reasons.append(reason(f"qualification:{qualification.pk}", qualification.name, passed, detail))
    if policy.min_employees is not None:
        reasons.append(
            _min_reason("min_employees", _("Employees"), enterprise.employees, policy.min_employees, fmt_number)
        )
    if policy.max_employees is not None:
        reasons.append(
            _max_reason("max_employees", _("Employees"), enterprise.employees, policy.max_employees, fmt_number)
        )
    if policy.min_revenue is not None:
        reasons.append(
            _min_reason("min_revenue", _("Revenue last year"), enterprise.revenue, policy.min_revenue, _money)
        )
    if policy.max_revenue is not None:
        reasons.append(
            _max_reason("max_revenue", _("Revenue last year"), enterprise.revenue, policy.max_revenue, _money)
        )
    if policy.min_rd_expense is not None:
        reasons.append(
            _min_reason(
                "min_rd_expense", _("R&D expense last year"), enterprise.rd_expense, policy.min_rd_expense, _money
            )
        )
    if policy.min_rd_ratio is not None:
        name = _("R&D ratio")
        minimum = f"{fmt_number(policy.min_rd_ratio)} %"
        if enterprise.rd_expense is None or not enterprise.revenue:
            reasons.append(
                reason("min_rd_ratio", name, False, _("Not recorded (required: ≥ %(minimum)s)") % {"minimum": minimum})
            )
        else:
            passed = Decimal(enterprise.rd_expense) * 100 >= Decimal(policy.min_rd_ratio) * Decimal(enterprise.revenue)
            shown = (Decimal(enterprise.rd_expense) * 100 / Decimal(enterprise.revenue)).quantize(Decimal("0.01"))
            sign = "≥" if passed else "<"
            reasons.append(reason("min_rd_ratio", name, passed, f"{fmt_number(shown)} % {sign} {minimum}"))
    if policy.min_years_established is not None:
        name = _("Years established")
        if not enterprise.established_on:
            reasons.append(
                reason(
                    "min_years_established",
                    name,
                    False,
                    _("Not recorded (required: ≥ %(minimum)s)") % {"minimum": _years(policy.min_years_established)},
                )
            )
        else:
            passed = enterprise.established_on <= years_ago(today, policy.min_years_established)
            years = full_years(enterprise.established_on, today)
            sign = "≥" if passed else "<"
            detail = _("%(comparison)s (established %(date)s)") % {
                "comparison": f"{_years(years)} {sign} {_years(policy.min_years_established)}",
                "date": _fmt_date(enterprise.established_on),
            }
            reasons.append(reason("min_years_established", name, passed, detail))
    if policy.linked_only:
        reasons.append(
            reason(
                "linked_only",
                _("Linked enterprises only"),
                enterprise.is_linked,
                _("Linked enterprise") if enterprise.is_linked else _("Not a linked enterprise"),
            )
        )
    if len(reasons) == 1 and enterprise.status == EnterpriseStatus.OPERATING:
        reasons.append(reason("open_to_all", _("Eligibility"), True, _("No restrictions: open to every enterprise")))
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


@lru_cache(maxsize=8192)
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


def text_similarity(need_text: str, policy: Policy) -> tuple[float, list[str]]:
    """Share of the need's (non-generic) bigrams found in the policy, raised by policy keywords in the need."""
    all_need_grams = text_grams(need_text)
    need_grams = all_need_grams - STOP_BIGRAMS
    if not need_grams:
        return 0.0, []
    policy_grams = text_grams(policy_text(policy))
    shared = need_grams & policy_grams
    lowered = need_text.lower()
    keyword_hits = [k for k in policy.keyword_list if k.lower() in lowered]
    similarity = min(1.0, len(shared) / len(need_grams) + 0.25 * len(keyword_hits))
    terms = list(dict.fromkeys(keyword_hits + _shared_terms(need_text, all_need_grams & policy_grams, shared)))
    return similarity, terms[:6]


def relevance_reasons(policy: Policy, profile: NeedProfile, *, today: dt.date) -> list[dict]:
    """The three scored reasons (category, text, closing date); their ``points`` add up to the score."""
    reasons = []
    name = _("Need category")
    policy_categories = set(policy.need_categories or [])
    matched = [c for c in profile.categories if c in policy_categories]
    if matched:
        detail = _("%(category)s is covered by the policy") % {"category": _category_label(matched[0])}
        reasons.append(reason("category", name, True, detail, CATEGORY_POINTS))
    elif not profile.categories:
        reasons.append(reason("category", name, False, _("No open need to compare with"), 0))
    elif not policy_categories:
        reasons.append(reason("category", name, False, _("The policy lists no need categories"), 0))
    else:
        detail = _("%(category)s is not covered by the policy") % {"category": _category_label(profile.categories[0])}
        reasons.append(reason("category", name, False, detail, 0))

    similarity, terms = text_similarity(profile.text, policy)
    points = round(TEXT_POINTS * similarity)
    percent = round(similarity * 100)
    if terms:
        detail = _("%(percent)s%% similar; shared: %(terms)s") % {"percent": percent, "terms": "、".join(terms)}
    else:
        detail = _("No shared terms")
    reasons.append(reason("text", _("Text similarity"), points > 0, detail, points))

    name = _("Closing date")
    if policy.apply_until and policy.apply_until >= today:
        days = (policy.apply_until - today).days
        points = round(CLOSING_POINTS * max(0, CLOSING_HORIZON_DAYS - days) / CLOSING_HORIZON_DAYS)
        detail = _("Closes on %(date)s, in %(days)s days") % {"date": _fmt_date(policy.apply_until), "days": days}
        reasons.append(reason("closing", name, points > 0, detail, points))
    else:
        reasons.append(reason("closing", name, False, _("No closing date"), 0))
    return reasons


def score_of(reasons: Iterable[dict]) -> int:
    return max(0, min(100, sum(r["points"] or 0 for r in reasons)))


# ---------------------------------------------------------------------------------------------------------
# Suggestions
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    """A policy for an enterprise (and perhaps a need): score 0–100 and every reason behind it."""

    policy: Policy
    enterprise: Enterprise
    score: int
    reasons: list[dict]
    eligible: bool
    category_match: bool
    need: Need | None = None
    match: PolicyMatch | None = None  # the existing match for this pair, if any
    failed: list[dict] = field(default_factory=list)

    @property
    def match_status(self) -> str | None:
        return self.match.status if self.match else None

    @property
    def told(self) -> bool:
        return bool(self.match and self.match.status in TOLD_STATUSES)

    def sort_key(self):
        until = self.policy.apply_until or dt.date.max
        return (not self.category_match, -self.score, until, self.policy.pk)


def build_suggestion(
    policy: Policy,
    enterprise: Enterprise,
    *,
    profile: NeedProfile,
    qualifications: dict[str, EnterpriseQualification],
    today: dt.date,
) -> Suggestion:
    eligibility = explain_eligibility(policy, enterprise, qualifications=qualifications, today=today)
    relevance = relevance_reasons(policy, profile, today=today)
    reasons = eligibility + relevance
    return Suggestion(
        policy=policy,
        enterprise=enterprise,
        score=score_of(relevance),
        reasons=reasons,
        eligible=all(r["passed"] for r in eligibility),
        category_match=relevance[0]["passed"],
        need=profile.need,
        failed=[r for r in eligibility if not r["passed"]],
    )


def _attach_matches(suggestions: list[Suggestion], enterprise: Enterprise, need: Need | None) -> None:
    """One query: the existing match of each suggested pair (the need's own row first, then any other)."""
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
        # Prefer the row for this need, then a told row over a mere suggestion.
        if (need is not None and row.need_id == need.pk and current.need_id != need.pk) or (
            current.status == MatchStatus.SUGGESTED and row.status in TOLD_STATUSES
        ):
            best[row.policy_id] = row
    for s in suggestions:
        s.match = best.get(s.policy.pk)


def _rank(suggestions: list[Suggestion]) -> list[Suggestion]:
    return sorted(suggestions, key=Suggestion.sort_key)


def _prefetched(qs: QuerySet[Policy]) -> QuerySet[Policy]:
    return qs.select_related("department").prefetch_related(*POLICY_PREFETCH)


def enterprise_open_needs(enterprise: Enterprise) -> list[Need]:
    return list(
        Need.objects.filter(enterprise=enterprise, status__in=OPEN_NEED_STATUSES).order_by("-created_at", "-id")
    )


def enterprise_policy_suggestions(
    *,
    enterprise: Enterprise,
    need: Need | None = None,
    today: dt.date | None = None,
    limit: int | None = None,
) -> list[Suggestion]:
    """Eligible policies with an open window for ``enterprise``, ranked for ``need`` (or its open needs).

    A constant number of queries whatever the number of policies: qualifications, open needs, the policies
    (one query), their regions/chains/qualifications (three), the existing matches (one).
    """
    today = today or timezone.localdate()
    qualifications = load_qualifications(enterprise)
    valid = [code for code, eq in qualifications.items() if _valid(eq, today)]
    profile = (
        NeedProfile.for_need(need)
        if need
        else NeedProfile.for_enterprise(enterprise, enterprise_open_needs(enterprise))
    )
    policies = _prefetched(
        enterprise_eligible_policies(enterprise=enterprise, today=today, valid_qualifications=valid, open_only=True)
    )
    suggestions = [
        build_suggestion(p, enterprise, profile=profile, qualifications=qualifications, today=today) for p in policies
    ]
    # The database decided eligibility; the explanation must agree (it is computed independently).
    suggestions = [s for s in suggestions if s.eligible]
    ranked = _rank(suggestions)
    if limit is not None:
        ranked = ranked[:limit]
    _attach_matches(ranked, enterprise, need)
    return ranked


def need_enterprise(need: Need) -> Enterprise | None:
    if need.enterprise_id:
        return need.enterprise
    if need.project_id and need.project.enterprise_id:
        return need.project.enterprise
    return None


def need_policy_suggestions(*, need: Need, today: dt.date | None = None, limit: int | None = None) -> list[Suggestion]:
    """Eligible policies with an open window for the need's enterprise, the need's own category first.

    A need with neither an enterprise nor a project with one has no suggestions: eligibility is an
    enterprise's.
    """
    enterprise = need_enterprise(need)
    if enterprise is None:
        return []
    return enterprise_policy_suggestions(enterprise=enterprise, need=need, today=today, limit=limit)


def enterprise_near_misses(
    *, enterprise: Enterprise, today: dt.date | None = None, max_failed: int = 2, limit: int = 10
) -> list[Suggestion]:
    """Policies with an open window that the enterprise misses by at most ``max_failed`` criteria.

    For the enterprise page (what the enterprise could reach), never for the suggestion lists. Explained in
    Python over the open policies, with their criteria prefetched: a constant number of queries.
    """
    today = today or timezone.localdate()
    qualifications = load_qualifications(enterprise)
    profile = NeedProfile.for_enterprise(enterprise, enterprise_open_needs(enterprise))
    policies = _prefetched(Policy.objects.filter(window_open_q(today=today)))
    misses = []
    for policy in policies:
        s = build_suggestion(policy, enterprise, profile=profile, qualifications=qualifications, today=today)
        if not s.eligible and len(s.failed) <= max_failed:
            misses.append(s)
    misses.sort(key=lambda s: (len(s.failed), *s.sort_key()))
    return misses[:limit]


def explain_pair(*, policy: Policy, enterprise: Enterprise, need: Need | None = None, today=None) -> Suggestion:
    """Eligibility and relevance of one (policy, enterprise) pair, eligible or not."""
    today = today or timezone.localdate()
    profile = (
        NeedProfile.for_need(need)
        if need
        else NeedProfile.for_enterprise(enterprise, enterprise_open_needs(enterprise))
    )
    return build_suggestion(
        policy, enterprise, profile=profile, qualifications=load_qualifications(enterprise), today=today
    )


def explain_pairs(
    *, policy: Policy, enterprises: Sequence[Enterprise], need: Need | None = None, today: dt.date | None = None
) -> dict[int, Suggestion]:
    """``explain_pair`` for many enterprises of one policy with a constant number of queries (pushes)."""
    today = today or timezone.localdate()
    ids = [e.pk for e in enterprises]
    quals: dict[int, dict[str, EnterpriseQualification]] = {pk: {} for pk in ids}
    for eq in EnterpriseQualification.objects.filter(enterprise_id__in=ids).select_related("qualification"):
        quals[eq.enterprise_id][eq.qualification_id] = eq
    needs_by_enterprise: dict[int, list[Need]] = {pk: [] for pk in ids}
    if need is None:
        for n in Need.objects.filter(enterprise_id__in=ids, status__in=OPEN_NEED_STATUSES).order_by(
            "-created_at", "-id"
        ):
            needs_by_enterprise[n.enterprise_id].append(n)
    result = {}
    for enterprise in enterprises:
        profile = (
            NeedProfile.for_need(need)
            if need
            else NeedProfile.for_enterprise(enterprise, needs_by_enterprise[enterprise.pk])
        )
        result[enterprise.pk] = build_suggestion(
            policy, enterprise, profile=profile, qualifications=quals[enterprise.pk], today=today
        )
    return result


def load_policy(pk: int) -> Policy:
    """A policy with its criteria prefetched (for the eligibility query and explanations)."""
    return _prefetched(Policy.objects.all()).get(pk=pk)


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
        _prefetched(Policy.objects.filter(policy_is_current_q(today=today)).filter(new_q | closing_q)).order_by(
            F("apply_until").asc(nulls_last=True), "-published_on", "-id"
        )[:limit]
    )
    if not policies:
        return []
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

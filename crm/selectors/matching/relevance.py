"""Relevance of a policy to a need (score 0–100, every point accounted for in the reasons).

- ``CATEGORY_POINTS`` when the need's category is among the policy's ``need_categories``;
- up to ``TEXT_POINTS`` for text similarity: character bigrams of the need's title and description (generic
  words removed) found in the policy's title, summary, keywords, conditions and support text, plus policy
  keywords that appear in the need;
- up to ``CLOSING_POINTS`` for a window closing soon (all of them closing today, none at
  ``CLOSING_HORIZON_DAYS`` or without a closing date).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from crm.models import Enterprise, Need, Policy
from crm.selectors.matching.explain import fmt_date, reason, texts

CATEGORY_POINTS = 50
TEXT_POINTS = 35
CLOSING_POINTS = 15
CLOSING_HORIZON_DAYS = 90


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[A-Za-z0-9][A-Za-z0-9+#.\-]*")
_CJK_RE = re.compile(rf"[{_CJK}]")
# Bigrams so common in needs and policy texts that sharing them says nothing.
STOP_BIGRAMS = frozenset(
    "企业 公司 有限 责任 我们 希望 需要 问题 相关 进行 目前 一个 没有 情况 支持 政策 申请 帮助 协调 解决 可以 能够 "
    "是否 如何 什么 以及 或者 关于 通过 方面 工作 单位 有关 提供 对于 部门 办理 尽快 今年 明年 已经 正在 项目 "
    "万元 给予 最高 按照 符合 开展".split()
)
# Function characters: a bigram holding one (的科, 技和) is no word, so never a shared key word.
_FUNCTION_CHARS = frozenset("的了和与及")


def text_grams(text: str) -> frozenset[str]:
    """Character bigrams of the Chinese runs in ``text`` (a single character alone; none holding 的/了/和/与/及),
    plus Latin/number words (not bare numbers)."""
    grams: set[str] = set()
    for token in _TOKEN_RE.findall(text or ""):
        if _CJK_RE.match(token):
            if len(token) == 1:
                grams.add(token)
            else:
                pairs = (token[i : i + 2] for i in range(len(token) - 1))
                grams.update(pair for pair in pairs if not _FUNCTION_CHARS.intersection(pair))
        elif len(token) >= 2 and not token.isdigit():  # 300 in the need and in the policy says nothing
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


# The policy fields its text is made of (what a need's bigrams are looked for in).
POLICY_TEXT_FIELDS = ("title", "summary", "keywords", "conditions_text", "support_text")
# What ranking a policy for a need reads (``relevance_score``): a ranking over hundreds of policies loads only
# these, its texts' bigrams come from ``_POLICY_GRAMS`` (``cut_policy_texts`` first), and the suggestions shown are
# completed with their whole policy afterwards.
RANKING_FIELDS = ("id", "updated_at", "need_categories", "apply_until")


def policy_text(policy: Policy) -> str:
    return " ".join(getattr(policy, name) for name in POLICY_TEXT_FIELDS)


# Bigrams and keywords of each policy's text, by (id, last change): a policy's text is cut once, not on every
# request (ranking reads hundreds of policies).
_POLICY_GRAMS: dict[tuple, tuple[frozenset[str], tuple[tuple[str, str], ...]]] = {}
_POLICY_GRAMS_MAX = 20000


def _policy_terms(policy: Policy) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """The policy's bigrams and its keywords (each with its lower-case form)."""
    if policy.pk is None:
        return text_grams(policy_text(policy)), tuple((k, k.lower()) for k in policy.keyword_list)
    key = (policy.pk, policy.updated_at)
    terms = _POLICY_GRAMS.get(key)
    if terms is None:
        if len(_POLICY_GRAMS) >= _POLICY_GRAMS_MAX:
            _POLICY_GRAMS.clear()
        grams = text_grams(policy_text(policy))
        terms = _POLICY_GRAMS[key] = (grams, tuple((k, k.lower()) for k in policy.keyword_list))
    return terms


def cut_policy_texts(policies: Sequence[Policy]) -> None:
    """Cut the texts of the policies (read on ``RANKING_FIELDS``) not cut yet in this process, reading those texts
    in one query: a ranking reads the policies' long texts only once per process and change, not on every request
    (400 policies' texts were a third of a need's suggestions). One that changed in between keeps its own key
    and is cut from its own (deferred) texts when scored."""
    todo = [p.pk for p in policies if p.pk is not None and (p.pk, p.updated_at) not in _POLICY_GRAMS]
    if not todo:
        return
    if len(_POLICY_GRAMS) + len(todo) > _POLICY_GRAMS_MAX:
        _POLICY_GRAMS.clear()
    for policy in Policy.objects.filter(pk__in=todo).only("id", "updated_at", *POLICY_TEXT_FIELDS):
        _policy_terms(policy)


def policy_grams(policy: Policy) -> frozenset[str]:
    return _policy_terms(policy)[0]


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

    # Once per profile, not once per policy ranked (hundreds). cached_property writes the instance's __dict__, which
    # a frozen dataclass allows.
    @cached_property
    def grams(self) -> frozenset[str]:
        return text_grams(self.text)

    @cached_property
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
    grams, keywords = _policy_terms(policy)
    shared = need_grams & grams
    lowered = profile.lowered
    keyword_hits = [k for k, lower in keywords if lower in lowered]
    similarity = min(1.0, len(shared) / len(need_grams) + 0.25 * len(keyword_hits))
    if not shared and not keyword_hits:
        return 0.0, []
    if not with_terms:
        return similarity, []
    terms = list(dict.fromkeys(keyword_hits + _shared_terms(profile.text, all_need_grams & grams, shared)))
    return similarity, terms[:6]


def _matched_categories(policy: Policy, profile: NeedProfile) -> list[str]:
    policy_categories = set(policy.need_categories or [])
    return [c for c in profile.categories if c in policy_categories]


def _text_points(similarity: float) -> int:
    return round(TEXT_POINTS * similarity)


def _closing_points(days: int) -> int:
    """Points of a window closing in ``days`` (≥ 0) days."""
    return round(CLOSING_POINTS * max(0, CLOSING_HORIZON_DAYS - days) / CLOSING_HORIZON_DAYS)


def relevance_score(policy: Policy, profile: NeedProfile, *, today: dt.date) -> tuple[bool, int]:
    """Whether the need's category is the policy's, and the score: what ``relevance_reasons`` gives (its first
    reason passed, ``score_of`` it) without writing the reasons out, for ranking hundreds of policies."""
    matched = bool(_matched_categories(policy, profile))
    points = CATEGORY_POINTS if matched else 0
    points += _text_points(text_similarity(profile, policy, with_terms=False)[0])
    if policy.apply_until and policy.apply_until >= today:
        points += _closing_points((policy.apply_until - today).days)
    return matched, max(0, min(100, points))


def relevance_reasons(policy: Policy, profile: NeedProfile, *, today: dt.date, with_terms: bool = True) -> list[dict]:
    """The three scored reasons (category, text, closing date); their ``points`` add up to the score.

    Without ``with_terms`` (ranking) the text reason names no shared terms; the score is the same.
    """
    t = texts()
    reasons = []
    policy_categories = set(policy.need_categories or [])
    matched = _matched_categories(policy, profile)
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
    points = _text_points(similarity)
    about_need = profile.need is not None  # else an enterprise's open needs and main products
    if not with_terms and points:
        detail = ""
    elif terms:
        detail = t["similar" if about_need else "similar_enterprise"] % {"terms": "、".join(terms)}
    else:
        detail = t["no_shared" if about_need else "no_shared_enterprise"]
    reasons.append(reason("text", t["text"], points > 0, detail, points))

    if policy.apply_until and policy.apply_until >= today:
        days = (policy.apply_until - today).days
        points = _closing_points(days)
        date = fmt_date(policy.apply_until)
        detail = t["closes_in"] % {"date": date, "days": days} if days else t["closes_today"] % {"date": date}
        reasons.append(reason("closing", t["closing"], points > 0, detail, points))
    elif policy.apply_until:
        detail = t["closed_on"] % {"date": fmt_date(policy.apply_until)}
        reasons.append(reason("closing", t["closing"], False, detail, 0))
    else:
        reasons.append(reason("closing", t["closing"], False, t["no_closing"], 0))
    return reasons


def score_of(reasons: Iterable[dict]) -> int:
    return max(0, min(100, sum(r["points"] or 0 for r in reasons)))

"""Policy matching (精准滴灌, DESIGN §4.3): eligibility in the database, explanations and relevance in Python.

- ``eligibility``: a policy's criteria as ``Q`` conditions, both directions, each one query —
  ``policy_eligible_enterprises(policy=…)`` over ``Enterprise`` and ``enterprise_eligible_policies(enterprise=…)``
  over ``Policy``;
- ``explain``: ``explain_eligibility`` lists every criterion with passed/failed and the enterprise's value,
  in Python from data already loaded (the criteria of many policies are read with ``load_criteria``: one
  query whatever their number); both directions agree with it;
- ``relevance``: the score 0–100 of a policy for a need, every point accounted for in the reasons;
- ``suggestions``: ranked suggestions, near misses, pairs explained for a push, the managers' radar.

The public names are re-exported here: ``from crm.selectors import matching; matching.load_policy(…)``.
"""

from crm.choices import TOLD_STATUSES
from crm.selectors.matching.eligibility import (
    POLICY_PREFETCH,
    Criteria,
    criteria_of,
    eligible_count,
    enterprise_eligibility_q,
    enterprise_eligible_policies,
    full_years,
    load_criteria,
    load_policy,
    load_qualifications,
    policy_criterion_qs,
    policy_eligibility_q,
    policy_eligible_enterprises,
    qualification_valid,
    rd_ratio_floor,
    valid_qualification_codes,
    years_ago,
)
from crm.selectors.matching.explain import (
    explain_eligibility,
    fmt_date,
    fmt_number,
    is_eligible,
    reason,
    texts,
)
from crm.selectors.matching.relevance import (
    CATEGORY_POINTS,
    CLOSING_HORIZON_DAYS,
    CLOSING_POINTS,
    STOP_BIGRAMS,
    TEXT_POINTS,
    NeedProfile,
    policy_grams,
    policy_text,
    relevance_reasons,
    relevance_score,
    score_of,
    text_grams,
    text_similarity,
)
from crm.selectors.matching.suggestions import (
    RADAR_DAYS,
    RadarEntry,
    Suggestion,
    complete_suggestions,
    enterprise_match_history,
    enterprise_near_misses,
    enterprise_open_needs,
    enterprise_policy_suggestions,
    enterprises_reasons,
    explain_pair,
    explain_pairs,
    need_enterprise,
    need_policy_suggestions,
    partition_by_category,
    policy_radar,
)

__all__ = [
    "CATEGORY_POINTS",
    "CLOSING_HORIZON_DAYS",
    "CLOSING_POINTS",
    "Criteria",
    "NeedProfile",
    "POLICY_PREFETCH",
    "RADAR_DAYS",
    "RadarEntry",
    "STOP_BIGRAMS",
    "Suggestion",
    "TEXT_POINTS",
    "TOLD_STATUSES",
    "complete_suggestions",
    "criteria_of",
    "eligible_count",
    "enterprise_eligibility_q",
    "enterprise_eligible_policies",
    "enterprise_match_history",
    "enterprise_near_misses",
    "enterprise_open_needs",
    "enterprise_policy_suggestions",
    "enterprises_reasons",
    "explain_eligibility",
    "explain_pair",
    "explain_pairs",
    "fmt_date",
    "fmt_number",
    "full_years",
    "is_eligible",
    "load_criteria",
    "load_policy",
    "load_qualifications",
    "need_enterprise",
    "need_policy_suggestions",
    "partition_by_category",
    "policy_criterion_qs",
    "policy_eligibility_q",
    "policy_eligible_enterprises",
    "policy_grams",
    "policy_radar",
    "policy_text",
    "qualification_valid",
    "rd_ratio_floor",
    "reason",
    "relevance_reasons",
    "relevance_score",
    "score_of",
    "text_grams",
    "text_similarity",
    "texts",
    "valid_qualification_codes",
    "years_ago",
]

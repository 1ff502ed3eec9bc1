"""Suggestions: eligible policies ranked for an enterprise or a need, near misses, pairs explained for a
push, and the managers' policy radar.

The order is category match first, then score, then the closing date, then the policy id: deterministic.
Ranking needs relevance only; the per-criterion explanation is added to the suggestions shown
(``complete_suggestions``), so a paginated list explains one page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connections, router
from django.db.models import BooleanField, Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.hashable import make_hashable

from crm.choices import TOLD_STATUSES, EnterpriseStatus, MatchStatus
from crm.models import Enterprise, EnterpriseQualification, Need, Policy, PolicyMatch, User
from crm.prepared import SAMPLE_KEY, Prepared, Statements, plan_once_cursor, statements_run
from crm.querysets import scope_region
from crm.selectors.matching.eligibility import (
    criteria_of,
    enterprise_criteria_q,
    enterprise_eligible_policies,
    enterprise_operating_q,
    load_criteria,
    load_qualifications,
    policy_criterion_qs,
    valid_qualification_codes,
)
from crm.selectors.matching.explain import explain_eligibility
from crm.selectors.matching.relevance import (
    RANKING_FIELDS,
    NeedProfile,
    cut_policy_texts,
    relevance_reasons,
    relevance_score,
)

RADAR_DAYS = 14

# The enterprises told of a policy (the radar's subquery per policy), compiled once (crm.prepared): the ORM built and
# compiled the same subquery for each of the radar's ten policies on every 工作台 (~1.5 ms of a manager's page).
_TOLD = Prepared(
    lambda pk: (
        PolicyMatch.objects.filter(policy_id=pk, status__in=TOLD_STATUSES).order_by().values_list("enterprise_id")
    ),
    SAMPLE_KEY,
)


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

    ``relevance`` (the scored reasons) is always there (written out when first read: ranking needs the score
    only); ``eligibility`` (one reason per criterion) once the suggestion is explained (``complete_suggestions``).
    """

    policy: Policy
    enterprise: Enterprise
    score: int
    category_match: bool
    need: Need | None = None
    eligibility: list[dict] | None = None
    match: PolicyMatch | None = None  # the existing match for this pair, if any
    context: _Context | None = field(default=None, repr=False)
    profile: NeedProfile | None = field(default=None, repr=False)
    terms_done: bool = field(default=False, repr=False)
    relevance_read: list[dict] | None = field(default=None, repr=False)

    @property
    def relevance(self) -> list[dict]:
        if self.relevance_read is None:
            self.relevance_read = relevance_reasons(
                self.policy, self.profile, today=self.context.today, with_terms=self.terms_done
            )
        return self.relevance_read

    @relevance.setter
    def relevance(self, value: list[dict]) -> None:
        self.relevance_read = value

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


def _suggest(policy: Policy, profile: NeedProfile, context: _Context) -> Suggestion:
    """The policy scored for the profile; its reasons are written out when read (most ranked ones never are)."""
    category_match, score = relevance_score(policy, profile, today=context.today)
    return Suggestion(
        policy=policy,
        enterprise=context.enterprise,
        score=score,
        category_match=category_match,
        need=profile.need,
        context=context,
        profile=profile,
    )


def complete_suggestions(suggestions: Sequence[Suggestion], *, with_matches: bool = True) -> Sequence[Suggestion]:
    """Add the per-criterion explanation (and the existing match) to suggestions: a constant number of queries
    (the whole policies of suggestions ranked on a few fields, one; the policies' list criteria, three; the
    matches, one per enterprise) whatever their number.
    """
    _whole_policies(suggestions)
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


def _whole_policies(suggestions: Sequence[Suggestion]) -> None:
    """Suggestions ranked on the policies' ``RANKING_FIELDS`` get their whole policy (one query) before they are
    explained and shown: ranking reads hundreds of policies, a page shows twenty."""
    partial = [s for s in suggestions if s.policy.get_deferred_fields()]
    if not partial:
        return
    whole = Policy.objects.in_bulk([s.policy.pk for s in partial])
    for s in partial:
        s.policy = whole.get(s.policy.pk, s.policy)


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
    """The enterprise's open needs, newest first (one query; none when a caller that runs several readers for
    the same enterprise stored them in ``enterprise._matching_open_needs`` first)."""
    preloaded = getattr(enterprise, "_matching_open_needs", None)
    if preloaded is not None:
        return preloaded
    return list(
        Need.objects.open()
        .filter(enterprise=enterprise)
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

    Queries: qualifications, open needs (without a need), the policies (one query, the ranking fields only), and
    with ``explain`` the whole policies of the suggestions returned (one), their list criteria (three) and their
    existing matches (one). Without ``explain``, call ``complete_suggestions`` on the ones shown (e.g. one page).
    """
    today = today or timezone.localdate()
    context = _context(enterprise, need, today)
    valid = valid_qualification_codes(context.qualifications, today)
    profile = (
        NeedProfile.for_need(need)
        if need
        else NeedProfile.for_enterprise(enterprise, enterprise_open_needs(enterprise))
    )
    # Ranked on the few fields ranking reads; the suggestions returned are completed with their whole policy.
    # Unordered: the ranking's key is total (it ends with the policy id), the database need not sort.
    policies = list(
        enterprise_eligible_policies(enterprise=enterprise, today=today, valid_qualifications=valid)
        .only(*RANKING_FIELDS)
        .order_by()
    )
    cut_policy_texts(policies)
    ranked = sorted((_suggest(p, profile, context) for p in policies), key=Suggestion.sort_key)
    if limit is not None:
        ranked = ranked[:limit]
    if explain:
        complete_suggestions(ranked)
    return ranked


def partition_by_category(suggestions: Sequence[Suggestion]) -> tuple[list[Suggestion], list[Suggestion]]:
    """The suggestions whose policy lists the need's category, and the others (in their order): the others are
    shown below, behind "显示全部", never above."""
    fitting = [s for s in suggestions if s.category_match]
    return fitting, [s for s in suggestions if not s.category_match]


def need_enterprise(need: Need, *, user=None) -> Enterprise | None:
    """The need's enterprise, else its project's; with ``user``, only if that user may open the enterprise (a need
    transferred to a county stays visible there, its enterprise in another county does not)."""
    if need.enterprise_id:
        enterprise = need.enterprise
    elif need.project_id and need.project.enterprise_id:
        enterprise = need.project.enterprise
    else:
        return None
    if user is not None and not Enterprise.objects.visible_pks(user, [enterprise.pk]):
        return None
    return enterprise


def need_policy_suggestions(
    *, need: Need, user=None, today: dt.date | None = None, limit: int | None = None, explain: bool = True
) -> list[Suggestion]:
    """Eligible policies with an open window for the need's enterprise, the need's own category first.

    A need with neither an enterprise nor a project with one has no suggestions: eligibility is an
    enterprise's. With ``user`` (every page and the API), a need whose enterprise that user cannot open has none
    either: the reasons show the enterprise's figures (revenue, staff, qualifications).
    """
    enterprise = need_enterprise(need, user=user)
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
    valid = valid_qualification_codes(context.qualifications, today)
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
        Policy.objects.window_open(today)
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
        open_needs = Need.objects.open().filter(enterprise_id__in=ids).order_by("-created_at", "-id")
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


def enterprises_reasons(
    *, policy: Policy, enterprises: Sequence[Enterprise], today: dt.date | None = None
) -> dict[int, list[dict]]:
    """Why each enterprise meets ``policy``: its criteria with the enterprise's values, for the eligible list.

    The window (the policy's, the same for everyone) is left out. One query (the enterprises' qualifications)
    whatever their number; the enterprises should come with ``region`` and ``industry_chain`` selected.
    """
    today = today or timezone.localdate()
    quals: dict[int, dict[str, EnterpriseQualification]] = {e.pk: {} for e in enterprises}
    if enterprises:
        for eq in EnterpriseQualification.objects.filter(enterprise_id__in=list(quals)):
            quals[eq.enterprise_id][eq.qualification_id] = eq
    criteria_of(policy)
    return {
        e.pk: [
            r
            for r in explain_eligibility(policy, e, qualifications=quals[e.pk], today=today)
            if r["criterion"] != "window"
        ]
        for e in enterprises
    }


# ---------------------------------------------------------------------------------------------------------
# The managers' policy radar
# ---------------------------------------------------------------------------------------------------------


@dataclass
class RadarEntry:
    policy: Policy
    is_new: bool
    closes_soon: bool
    untold: int  # eligible linked or assisted enterprises in scope not told yet


# The radar's policies, compiled once per limit (its days and the time ``days`` ago its values): building and
# compiling the queryset was ~4,000 Python calls of every manager's 工作台.
_RADAR_POLICIES = Statements()
_RADAR_SAMPLES = (dt.date(1901, 1, 1), dt.date(1901, 1, 2), dt.date(1901, 1, 3), dt.datetime(1901, 1, 4, tzinfo=dt.UTC))


def _radar_policies(
    today: dt.date, since: dt.date, horizon: dt.date, since_dt: dt.datetime, *, limit: int
) -> QuerySet[Policy]:
    """Current policies published since ``since`` (or, without a date, created since ``since_dt``) or closing
    between ``today`` and ``horizon``, the soonest closing first."""
    new_q = Q(published_on__gte=since) | Q(published_on__isnull=True, created_at__gte=since_dt)
    closing_q = Q(apply_until__gte=today, apply_until__lte=horizon)
    return (
        Policy.objects.current(today)
        .filter(new_q | closing_q)
        .order_by(F("apply_until").asc(nulls_last=True), "-published_on", "-id")[:limit]
    )


def policy_radar(*, user, today: dt.date | None = None, days: int = RADAR_DAYS, limit: int = 10) -> list[RadarEntry]:
    """Policies new or closing within ``days``, each with how many eligible linked/assisted enterprises in the
    user's scope have not been told yet. Counting is one aggregate query for all policies together.
    """
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=days)
    since_dt = timezone.now() - dt.timedelta(days=days)
    horizon = today + dt.timedelta(days=days)
    prepared = _RADAR_POLICIES.once(
        limit,
        lambda: Prepared(lambda *when: _radar_policies(*when, limit=limit), *_RADAR_SAMPLES, repeated=True),
    )
    policies = prepared(today, since, horizon, since_dt, using=router.db_for_read(Policy))
    if not policies:
        return []
    load_criteria(policies)
    counts = _radar_counts(user, policies, today=today)
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


# The radar's count statement as the ORM ran it: (database, scope, each policy's alias and condition) -> (sql, params)
# (a day's radar is ten policies per scope and database).
_RADAR_COUNTS_SQL = Statements()


def _radar_counts(user, policies: list[Policy], *, today: dt.date) -> dict[str, int | None]:
    """How many enterprises in ``user``'s scope each of ``policies`` has untold (``p<pk>``: ``_untold_eligible_sql``),
    in one statement. The ORM builds it on the first radar of a scope and set of conditions; later radars run the
    statement it ran (the scope is ``scope_region``'s: all ``Enterprise.visible_to`` reads of a user): resolving the
    ten aggregates and compiling the statement was ~4 ms of a manager's 工作台."""
    using = router.db_for_read(Enterprise)
    conditions = {f"p{policy.pk}": _untold_eligible_sql(policy, today=today, using=using) for policy in policies}
    key = (using, scope_region(user), tuple(conditions.items()))
    statement = _RADAR_COUNTS_SQL.get(key)
    if statement is not None:
        # Planned once per connection on PostgreSQL: its values fixed by the key, ten aggregates' subqueries cost
        # ~0.6 ms of planning on every manager's 工作台, more than a policy's index reads.
        with plan_once_cursor(connections[using]) as cursor:
            cursor.execute(*statement)
            return dict(zip(conditions, cursor.fetchone(), strict=True))
    aggregates = {
        alias: Count("pk", filter=RawSQL(*condition, BooleanField())) for alias, condition in conditions.items()
    }
    # Eligibility is the status part and each policy's criteria (enterprise_eligibility_q): the status is tested once
    # per enterprise here, not once per policy (SQLite's count statement 84 -> 47 M instructions at province scale).
    with statements_run(using) as ran:
        counts = (
            Enterprise.objects.using(using)
            .visible_to(user)
            .filter(Q(is_linked=True) | Q(is_assisted=True))
            .filter(enterprise_operating_q())
            .aggregate(**aggregates)
        )
    if len(ran) == 1:  # a scope that sees nothing runs none
        _RADAR_COUNTS_SQL.keep(key, ran[0])
    return counts


# The radar's condition per policy, compiled: (policy state, criteria, day, database) -> (sql, params) (a day's radar
# is ten policies per database).
_UNTOLD_ELIGIBLE_SQL = Statements()


def _untold_eligible_sql(policy: Policy, *, today: dt.date, using: str) -> tuple[str, tuple]:
    """``policy``'s criteria (``enterprise_criteria_q``) and "not told yet" over ``Enterprise``, as SQL and parameters,
    compiled by the ORM once per state of the policy and day, not on every 工作台: resolving and compiling the ten
    policies' conditions was ~5 ms of a manager's page on SQLite and PostgreSQL alike. The key is everything the
    condition is built from (the policy's columns, its list criteria, the day, the database), so an edited policy
    compiles anew."""
    key = make_hashable(
        ([getattr(policy, f.attname) for f in Policy._meta.concrete_fields], criteria_of(policy), today, using)
    )
    compiled = _UNTOLD_ELIGIBLE_SQL.get(key)
    if compiled is None:
        # The enterprises told, as an uncorrelated subquery: read once per policy (its index) into a set each
        # enterprise is looked up in, not a correlated EXISTS run per enterprise and policy (~40,000 probes for a
        # city manager at province scale: SQLite 131 -> 27 ms, PostgreSQL 349 -> 91 ms, no JIT any more).
        # ``enterprise_id`` is never NULL, so NOT IN means NOT EXISTS.
        told = RawSQL(*_TOLD.sql(policy.pk, using=using))
        query = Enterprise.objects.filter(enterprise_criteria_q(policy, today=today) & ~Q(pk__in=told)).query
        # The WHERE alone: the table keeps its name (no join), as in the radar's statement over ``Enterprise``.
        sql, params = query.get_compiler(using=using).compile(query.where)
        compiled = (sql, tuple(params))
        _UNTOLD_ELIGIBLE_SQL.keep(key, compiled)
    return compiled


def enterprise_match_history(*, enterprise: Enterprise | int, user) -> QuerySet[PolicyMatch]:
    """The policy matches of one enterprise (or its key), newest first, ready to render: of the policy, the need and
    the person who pushed only what the 360° page shows (the policy's long texts and the need's were most of the
    row)."""
    return (
        PolicyMatch.objects.visible_to(user)
        .filter(enterprise=enterprise)
        .select_related("policy", "need", "pushed_by")
        .only(
            *("policy_id", "enterprise_id", "need_id", "status", "pushed_by_id", "pushed_at", "granted_amount"),
            *("note", "created_at", "policy__title", "policy__delivery", "need__code"),
            *User.name_fields_of("pushed_by"),
        )
        .order_by("-created_at", "-id")
    )

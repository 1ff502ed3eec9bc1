"""Policy pages (惠企政策): the library, a policy with its eligible enterprises and pushes, and the match status
posts. The policy sections of the need page, the 360° page and the 工作台 are built by those pages (crm/views/
sections.py, enterprises.py, home.py) from crm/selectors/matching.py.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import CreateView, DetailView, UpdateView

from crm.choices import MatchStatus
from crm.filtersets import EnterpriseFilterSet, PolicyFilterSet
from crm.forms.base import style_form
from crm.forms.policies import MatchFollowUp, MatchStatusForm, PolicyForm, PushForm
from crm.models import Need, Policy, PolicyMatch
from crm.paginator import COUNT_CAP, CappedCountPaginator
from crm.permissions import can_create, can_edit, is_manager
from crm.querysets import policy_expired_q
from crm.selectors import matching
from crm.services.policies import policy_create, policy_match_update_status, policy_push, policy_update
from crm.views.mixins import (
    CreatePermissionMixin,
    EditPermissionMixin,
    FilteredListView,
    add_service_errors,
    safe_next,
    service_errors,
)

ELIGIBLE_PAGE_SIZE = 50
MATCHES_LIMIT = 50
ELIGIBLE_FILTER_FIELDS = ("region", "industry_chain", "is_linked", "is_assisted")


# ---------------------------------------------------------------------------------------------------------
# Library
# ---------------------------------------------------------------------------------------------------------


class PolicyListView(FilteredListView):
    model = Policy
    filterset_class = PolicyFilterSet
    filter_fields = ("level", "kind", "delivery", "need_category", "open", "is_active", "department")
    template_name = "crm/policies/list.html"
    page_title = gettext_lazy("Policies")
    select_related = ("department",)

    def get_queryset(self):
        # Open windows first, then the ones closing soonest (the library is read for what can be applied for).
        queryset = super().get_queryset()
        if not self.request.GET.get("ordering"):
            expired = Case(When(policy_expired_q(), then=Value(1)), default=Value(0), output_field=IntegerField())
            queryset = queryset.order_by(
                "-is_active", expired, F("apply_until").asc(nulls_last=True), "-published_on", "-id"
            )
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = can_create(self.request.user, Policy)
        return context


def policy_criteria(policy: Policy) -> list[tuple[str, str]]:
    """The policy's structured criteria as (label, value) pairs for display; empty: open to everyone."""
    rows: list[tuple[str, str]] = []
    if regions := list(policy.regions.all()):
        rows.append((_("Regions"), "、".join(r.name for r in regions)))
    if chains := list(policy.industry_chains.all()):
        rows.append((_("Industry chains"), "、".join(c.name for c in chains)))
    if quals := list(policy.required_qualifications.all()):
        rows.append((_("Required qualifications"), "、".join(q.name for q in quals)))

    def span(low, high, unit=""):
        if low is not None and high is not None:
            return f"{matching.fmt_number(low)}–{matching.fmt_number(high)}{unit}"
        if low is not None:
            return f"≥ {matching.fmt_number(low)}{unit}"
        return f"≤ {matching.fmt_number(high)}{unit}"

    if policy.min_employees is not None or policy.max_employees is not None:
        rows.append((_("Employees"), span(policy.min_employees, policy.max_employees)))
    if policy.min_revenue is not None or policy.max_revenue is not None:
        rows.append((_("Revenue last year (10k CNY)"), span(policy.min_revenue, policy.max_revenue)))
    if policy.min_rd_expense is not None:
        rows.append((_("R&D expense last year (10k CNY)"), span(policy.min_rd_expense, None)))
    if policy.min_rd_ratio is not None:
        rows.append((_("R&D ratio"), span(policy.min_rd_ratio, None, "%")))
    if policy.min_years_established is not None:
        rows.append((_("Years established"), span(policy.min_years_established, None)))
    if policy.linked_only:
        rows.append((_("Linked enterprises only"), _("Yes")))
    return rows


class PolicyDetailView(LoginRequiredMixin, DetailView):
    """A policy with its eligible enterprises (filterable, linked first, tick and push) and its pushes."""

    model = Policy
    template_name = "crm/policies/detail.html"
    context_object_name = "policy"

    def get_queryset(self):
        return (
            Policy.objects.visible_to(self.request.user)
            .select_related("department")
            .prefetch_related(*matching.POLICY_PREFETCH)
        )

    def eligible(self, policy):
        request = self.request
        queryset = matching.policy_eligible_enterprises(policy=policy, user=request.user)
        filterset = EnterpriseFilterSet(request.GET or None, queryset=queryset, request=request)
        filterset.is_valid()
        style_form(filterset.form)
        queryset = filterset.qs
        told = PolicyMatch.objects.filter(
            policy_id=policy.pk, enterprise_id=OuterRef("pk"), status__in=matching.TOLD_STATUSES
        )
        if request.GET.get("untold"):
            queryset = queryset.exclude(Exists(told))
        if request.GET.get("targets"):
            queryset = queryset.filter(Q(is_linked=True) | Q(is_assisted=True))
        queryset = queryset.select_related("region", "industry_chain")
        # A policy open to all is open to most of the 100 000 enterprises: counted up to the web lists' cap (prints
        # 10000+ past it) rather than every one (~10 ms on PostgreSQL); the page's rows stay one query.
        paginator = CappedCountPaginator(queryset, ELIGIBLE_PAGE_SIZE, count_cap=COUNT_CAP)
        page = paginator.get_page(request.GET.get("page"))
        rows = list(page.object_list)
        statuses: dict[int, PolicyMatch] = {}
        for match in PolicyMatch.objects.filter(policy=policy, enterprise_id__in=[e.pk for e in rows]).order_by("id"):
            if match.status in matching.TOLD_STATUSES or match.enterprise_id not in statuses:
                statuses[match.enterprise_id] = match
        reasons = matching.enterprises_reasons(policy=policy, enterprises=rows)
        pushable = 0
        for enterprise in rows:
            # A policy open to all has one reason, the same for every row: the criteria card says it once.
            enterprise.eligibility_reasons = [r for r in reasons[enterprise.pk] if r["criterion"] != "open_to_all"]
            enterprise.policy_match = statuses.get(enterprise.pk)
            enterprise.told = bool(enterprise.policy_match and enterprise.policy_match.status in matching.TOLD_STATUSES)
            pushable += not enterprise.told
        fields = [filterset.form[name] for name in ELIGIBLE_FILTER_FIELDS]
        return {
            "eligible_page": page,
            "eligible_rows": rows,
            "pushable_count": pushable,
            "eligible_filter": filterset.form,
            "eligible_filter_fields": fields,
            "eligible_filtered": any(request.GET.get(k) for k in (*ELIGIBLE_FILTER_FIELDS, "q", "untold", "targets")),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy = self.object
        user = self.request.user
        matches = (
            PolicyMatch.objects.visible_to(user)
            .filter(policy=policy)
            .exclude(status=MatchStatus.SUGGESTED)
            .select_related("enterprise", "need", "pushed_by", "policy")
            .order_by("-pushed_at", "-id")
        )
        match_rows = list(matches[:MATCHES_LIMIT])
        manager = is_manager(user)
        if manager:
            for match in match_rows:
                match.follow_up = MatchFollowUp.of(match, prefix=f"m{match.pk}")
        context.update(
            self.eligible(policy),
            criteria=policy_criteria(policy),
            matches=match_rows,
            matches_count=matches.count(),
            can_edit=can_edit(user, policy),
            can_push=manager and policy.is_current,
            can_follow_up=manager,
            page_title=policy.title,
        )
        return context


class PolicyFormMixin:
    model = Policy
    form_class = PolicyForm
    template_name = "crm/policies/form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def save(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            policy = self.save(form)
        except ValidationError as error:
            add_service_errors(form, error)
            messages.error(self.request, _("Please correct the errors below."))
            return self.form_invalid(form)
        messages.success(self.request, _("The policy has been saved."))
        return HttpResponseRedirect(reverse("crm:policy-detail", args=[policy.pk]))


class PolicyCreateView(CreatePermissionMixin, PolicyFormMixin, CreateView):
    def save(self, form):
        return policy_create(user=self.request.user, data=form.cleaned_data)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "page_title": _("New policy")}


class PolicyUpdateView(EditPermissionMixin, PolicyFormMixin, UpdateView):
    prefetch_related = matching.POLICY_PREFETCH

    def save(self, form):
        original = Policy.objects.get(pk=self.object.pk)
        return policy_update(user=self.request.user, policy=original, data=form.cleaned_data)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "page_title": _("Edit policy")}


# ---------------------------------------------------------------------------------------------------------
# Push and outcome
# ---------------------------------------------------------------------------------------------------------


class PolicyPushView(LoginRequiredMixin, View):
    """POST: push a policy to the ticked enterprises (managers); back to ``next`` with a message."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        policy = get_object_or_404(
            Policy.objects.visible_to(request.user).prefetch_related(*matching.POLICY_PREFETCH), pk=pk
        )
        if not is_manager(request.user):
            raise PermissionDenied
        back = safe_next(request, reverse("crm:policy-detail", args=[policy.pk]))
        form = PushForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
            return HttpResponseRedirect(back)
        need = None
        if form.cleaned_data.get("need"):
            need = get_object_or_404(
                Need.objects.visible_to(request.user).select_related("enterprise", "project"),
                pk=form.cleaned_data["need"],
            )
        with service_errors(request) as outcome:
            result = policy_push(
                user=request.user,
                policy=policy,
                enterprises=form.cleaned_data["enterprises"],
                need=need,
                note=form.cleaned_data.get("note") or "",
            )
        if outcome.failed:
            return HttpResponseRedirect(back)
        pushed = len(result.created) + len(result.pushed)
        if pushed:
            messages.success(
                request,
                _("“%(policy)s” was pushed to %(count)s enterprise(s).") % {"policy": policy.title, "count": pushed},
            )
        if result.unchanged:
            messages.info(
                request, _("%(count)s enterprise(s) had been told already.") % {"count": len(result.unchanged)}
            )
        return HttpResponseRedirect(back)


class PolicyMatchStatusView(LoginRequiredMixin, View):
    """POST: move a policy match along pushed → applying → granted / not granted / declined (managers)."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        match = get_object_or_404(PolicyMatch.objects.visible_to(request.user).select_related("policy"), pk=pk)
        if not can_edit(request.user, match):
            raise PermissionDenied
        back = safe_next(request, reverse("crm:policy-detail", args=[match.policy_id]) + "#matches")
        form = MatchStatusForm(request.POST, match=match, prefix=f"m{match.pk}")
        if not form.is_valid():
            messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
            return HttpResponseRedirect(back)
        data = form.cleaned_data
        with service_errors(request) as outcome:
            policy_match_update_status(
                user=request.user,
                match=match,
                status=data["status"],
                granted_amount=data.get("granted_amount"),
                note=data.get("note") or "",
            )
        if not outcome.failed:
            messages.success(request, _("The policy match has been updated."))
        return HttpResponseRedirect(back)

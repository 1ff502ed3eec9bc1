"""Pages of the growth programmes (DESIGN §11.7): the cultivation board ``/cultivation/`` (by stage, filtered by
year, programme and region, with the progress against the targets above it; a card moves with a small form; the
form adding an enterprise to the pool, ``/cultivation/new/``, loads when its panel opens),
the milestone lag lists ``/projects/milestones/``, the forms posted from the 360° page (a year's figures) and the
project page (milestones, monthly progress), and the commissioners ``/commissioners/``."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from crm.choices import CultivationStage
from crm.forms.programmes import (
    CultivationFilterForm,
    CultivationForm,
    CultivationMoveForm,
    EnterpriseYearForm,
    MilestonesForm,
    ProjectProgressForm,
)
from crm.models import Commissioner, Cultivation, Enterprise, Project
from crm.paginator import PreparedRowsPaginator
from crm.permissions import can_create, can_edit
from crm.selectors import programmes as selectors
from crm.services.programmes import (
    cultivation_create,
    cultivation_move,
    enterprise_year_save,
    project_milestones_save,
    project_progress_save,
)
from crm.views.mixins import MAX_PAGE_SIZE, PAGE_SIZE_CHOICES, safe_next, service_errors

# ------------------------------------------------------------------------------------------- cultivation


class CultivationBoardView(LoginRequiredMixin, TemplateView):
    """培育库: one column per stage; above it, this year's targets of the scope against the certified count."""

    template_name = "crm/programmes/board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = CultivationFilterForm(self.request.GET or None, user=user, initial={"year": timezone.localdate().year})
        chosen = form.values()
        queryset = Cultivation.objects.visible_to(user).filter(year=chosen["year"])
        if chosen["programme"]:
            queryset = queryset.filter(programme=chosen["programme"])
        if chosen["region"]:
            queryset = queryset.filter(enterprise__region=chosen["region"])
        may_create = can_create(user, Cultivation)
        context.update(
            page_title=_("Cultivation board"),
            filter_form=form,
            year=chosen["year"],
            columns=selectors.cultivation_board(queryset=queryset),
            targets=selectors.target_progress(
                user=user,
                year=chosen["year"],
                programme=chosen["programme"].pk if chosen["programme"] else None,
                region=chosen["region"].pk if chosen["region"] else None,
            ),
            stages=CultivationStage.choices,
            board_limit=selectors.BOARD_LIMIT,
            next_url=self.request.get_full_path(),
        )
        if may_create:
            # The "add" panel's form (CultivationCreateView), for this year and back to this board.
            query = urlencode({"year": chosen["year"], "next": context["next_url"]})
            context["create_url"] = f"{reverse('crm:cultivation-create')}?{query}"
        return context


class CultivationCreateView(LoginRequiredMixin, View):
    """Add an enterprise to the pool. GET: the form, as the fragment the board's closed "add" panel loads when it
    opens (htmx), or as a page of its own (the panel's link without JavaScript). Built on every board it was a
    quarter of the board's time (its enterprise and officer pickers: three statements and some 400 options) for a
    panel most views of the board never open."""

    def get(self, request):
        if not can_create(request.user, Cultivation):
            raise PermissionDenied
        # The board's year (by its filter's rule), and where to come back to after adding.
        board = CultivationFilterForm(request.GET, user=request.user, initial={"year": timezone.localdate().year})
        next_url = safe_next(request, reverse("crm:cultivation-board"))
        template = "crm/programmes/_cultivation_create.html"
        if not request.headers.get("HX-Request"):
            template = "crm/programmes/cultivation_create.html"
        context = {
            "create_form": CultivationForm(user=request.user, initial={"year": board.values()["year"]}, prefix="new"),
            "next_url": next_url,
            "page_title": _("Add an enterprise to the pool"),
        }
        return TemplateResponse(request, template, context)

    def post(self, request):
        if not can_create(request.user, Cultivation):
            raise PermissionDenied
        form = CultivationForm(request.POST, user=request.user, prefix="new")
        if form.is_valid():
            with service_errors(request, form) as outcome:
                cultivation_create(user=request.user, data=form.cleaned_data)
            if not outcome.failed:
                messages.success(request, gettext_now("The enterprise is in the cultivation pool."))
                return HttpResponseRedirect(safe_next(request, reverse("crm:cultivation-board")))
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            messages.error(request, f"{label} {' '.join(errors)}".strip())
        return HttpResponseRedirect(safe_next(request, reverse("crm:cultivation-board")))


class CultivationMoveView(LoginRequiredMixin, View):
    """Move a card to another stage (已认定 adds or renews the qualification)."""

    def post(self, request, pk):
        card = get_object_or_404(Cultivation.objects.visible_to(request.user), pk=pk)
        if not can_edit(request.user, card):
            raise PermissionDenied
        form = CultivationMoveForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        else:
            data = form.cleaned_data
            with service_errors(request) as outcome:
                cultivation_move(
                    user=request.user,
                    cultivation=card,
                    stage=data["stage"],
                    certified_on=data.get("certified_on"),
                    certificate_no=data.get("certificate_no") or "",
                    next_step_on=data.get("next_step_on"),
                )
            if not outcome.failed:
                messages.success(
                    request,
                    gettext_now("%(enterprise)s moved to %(stage)s.")
                    % {"enterprise": card.enterprise.name, "stage": CultivationStage(data["stage"]).label},
                )
        return HttpResponseRedirect(safe_next(request, reverse("crm:cultivation-board")))


# ---------------------------------------------------------------------------------------------- projects


class PagedListMixin:
    """Pagination as on the other lists: ``?page_size=`` (1 … 200; the select offers 20/50/100), a wrong page
    number clamped, the primary keys of the page fetched first."""

    def get_paginate_by(self, queryset):
        raw = self.request.GET.get("page_size", "")
        return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE_SIZE else self.paginate_by

    def get_paginator(self, queryset, per_page, **kwargs):
        return PreparedRowsPaginator(queryset, per_page)

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        size = context["paginator"].per_page
        context.update(page_size=size, page_size_choices=sorted(set(PAGE_SIZE_CHOICES) | {size}))
        return context


class MilestoneLagView(LoginRequiredMixin, PagedListMixin, ListView):
    """签约未开工 / 开工未竣工 / 竣工未投产: projects whose next milestone is past its planned date."""

    template_name = "crm/programmes/milestones.html"
    paginate_by = 20

    def which(self) -> str:
        value = self.request.GET.get("list", "")
        return value if value in selectors.LAG_LISTS else next(iter(selectors.LAG_LISTS))

    @cached_property
    def today(self):
        return timezone.localdate()

    @cached_property
    def lag_counts(self) -> dict[str, int]:
        return selectors.milestone_lag_counts(user=self.request.user, today=self.today)

    def get_queryset(self):
        return selectors.milestone_lag(user=self.request.user, which=self.which(), today=self.today)

    def get_paginator(self, queryset, per_page, **kwargs):
        # The list's length is one of the three counts the tabs show (one query for all three), not a COUNT more.
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        paginator.count = self.lag_counts[self.which()]
        return paginator

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for milestone in context["object_list"]:
            milestone.days_late = (self.today - milestone.planned_on).days
        context.update(
            page_title=_("Projects behind schedule"),
            which=self.which(),
            lists=[{"key": key, "label": LAG_LABELS[key], "count": count} for key, count in self.lag_counts.items()],
        )
        return context


LAG_LABELS = {
    "signed_not_started": _("Signed, not started"),
    "started_not_completed": _("Started, not completed"),
    "completed_not_producing": _("Completed, not in production"),
}


class ProjectMilestonesView(LoginRequiredMixin, View):
    def post(self, request, pk):
        project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
        if not can_edit(request.user, project):
            raise PermissionDenied
        form = MilestonesForm(request.POST, prefix="ms")
        back = reverse("crm:project-detail", args=[project.pk]) + "#schedule"
        if not form.is_valid():
            messages.error(request, gettext_now("Give the dates as YYYY-MM-DD."))
            return HttpResponseRedirect(back)
        with service_errors(request) as outcome:
            project_milestones_save(user=request.user, project=project, rows=form.rows())
        if not outcome.failed:
            messages.success(request, gettext_now("The schedule is saved."))
        return HttpResponseRedirect(back)


class ProjectProgressView(LoginRequiredMixin, View):
    def post(self, request, pk):
        project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
        if not can_edit(request.user, project):
            raise PermissionDenied
        form = ProjectProgressForm(request.POST, prefix="pr")
        back = reverse("crm:project-detail", args=[project.pk]) + "#schedule"
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
            return HttpResponseRedirect(back)
        with service_errors(request) as outcome:
            project_progress_save(user=request.user, project=project, data=form.cleaned_data)
        if not outcome.failed:
            messages.success(request, gettext_now("The monthly progress is saved."))
        return HttpResponseRedirect(back)


# ------------------------------------------------------------------------------------------- enterprises


class EnterpriseYearView(LoginRequiredMixin, View):
    """A year's figures from the 360° page; the enterprise's current figures follow its latest year."""

    def post(self, request, pk):
        enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user), pk=pk)
        if not can_edit(request.user, enterprise):
            raise PermissionDenied
        form = EnterpriseYearForm(request.POST, prefix="year")
        back = reverse("crm:enterprise-detail", args=[enterprise.pk]) + "#figures"
        if not form.is_valid():
            messages.error(
                request,
                " ".join(
                    f"{form.fields[n].label if n in form.fields else ''} {' '.join(e)}" for n, e in form.errors.items()
                ),
            )
            return HttpResponseRedirect(back)
        data = dict(form.cleaned_data)
        year = data.pop("year")
        with service_errors(request) as outcome:
            enterprise_year_save(user=request.user, enterprise=enterprise, year=year, data=data)
        if not outcome.failed:
            messages.success(request, gettext_now("The figures of %(year)s are saved.") % {"year": year})
        return HttpResponseRedirect(back)


# ------------------------------------------------------------------------------------------ commissioners


class CommissionerListView(LoginRequiredMixin, PagedListMixin, ListView):
    """科技特派员: each with the enterprises it serves (in the user's scope) and its service days."""

    template_name = "crm/programmes/commissioners.html"
    paginate_by = 20

    def get_queryset(self):
        queryset = Commissioner.objects.visible_to(self.request.user)
        q = (self.request.GET.get("q") or "").strip()
        if q:
            queryset = queryset.filter(name__icontains=q) | queryset.filter(expertise__icontains=q)
        return (
            queryset.select_related("industry_chain")
            .prefetch_related(selectors.commissioner_assignments_prefetch(user=self.request.user))
            .order_by("-is_active", "name", "pk")
        )

    def get_paginator(self, queryset, per_page, **kwargs):
        # The service days on the page's rows only, read by a statement prepared once (crm.paginator).
        return PreparedRowsPaginator(
            queryset, per_page, row_annotations=(("service_days", selectors.commissioner_service_days),)
        )

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "page_title": _("S&T commissioners"),
            "q": self.request.GET.get("q", ""),
        }

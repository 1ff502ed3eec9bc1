"""Project pages (帮办项目): list, detail with its help requests (帮办事项), visits and actions; create/edit.

Detail sections: a template plus one ``Section`` in ``PROJECT_SECTIONS``; the data from crm/selectors/enterprises.py.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, UpdateView

from crm.filtersets import ProjectFilterSet
from crm.forms.enterprises import ProjectForm
from crm.models import Enterprise, Project
from crm.permissions import can_create
from crm.selectors import enterprises as selectors
from crm.services.enterprises import project_create, project_update
from crm.views import sections
from crm.views.mixins import (
    CreatePermissionMixin,
    EditPermissionMixin,
    FilteredListView,
    ScopedDetailView,
    Section,
    add_service_errors,
)


class ProjectListView(FilteredListView):
    model = Project
    filterset_class = ProjectFilterSet
    filter_fields = ("region", "industry_chain", "kind", "stage", "status", "is_assisted")
    template_name = "crm/projects/list.html"
    page_title = _("Projects")
    select_related = ("region", "industry_chain", "enterprise", "liaison_leader")
    prefetch_related = ("liaison_officers",)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = can_create(self.request.user, Project)
        return context


def _needs(project, request) -> dict:
    needs = selectors.project_needs(user=request.user, project=project)
    return {"needs": needs.rows, "needs_count": needs.count}


def _liaison(project, request) -> dict:
    return {"liaison_officers": selectors.project_liaison_officers(user=request.user, project=project)}


PROJECT_SECTIONS: list[Section] = [
    Section("profile", "crm/projects/_section_profile.html", column="side"),
    Section("liaison", "crm/projects/_section_liaison.html", _liaison, column="side"),
    Section("schedule", "crm/programmes/_project_schedule.html", sections.project_schedule_section),
    Section("needs", "crm/projects/_section_needs.html", _needs),
    # Visits and help requests in one timeline (crm/views/sections.py).
    Section("visits", "crm/visits/_timeline_section.html", sections.project_timeline_section),
    Section("action_items", "crm/action_items/_section.html", sections.project_action_items_section),
]


class ProjectDetailView(ScopedDetailView):
    model = Project
    template_name = "crm/projects/detail.html"
    select_related = ("region", "industry_chain", "enterprise", "liaison_leader", "bureau")
    sections = PROJECT_SECTIONS


class ProjectFormMixin:
    model = Project
    form_class = ProjectForm
    template_name = "crm/projects/form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        user = self.request.user
        try:
            if self.object is not None and self.object.pk:
                original = Project.objects.get(pk=self.object.pk)  # the form has changed self.object already
                project = project_update(user=user, project=original, data=form.cleaned_data)
            else:
                project = project_create(user=user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        self.object = project
        messages.success(self.request, self.success_message)
        return HttpResponseRedirect(reverse("crm:project-detail", args=[project.pk]))

    def form_invalid(self, form):
        messages.error(self.request, _("Please correct the errors below."))
        return super().form_invalid(form)


class ProjectCreateView(CreatePermissionMixin, ProjectFormMixin, CreateView):
    success_message = _("The project has been created.")

    def get_initial(self):
        initial = super().get_initial()
        # "New project" from an enterprise's 360° page pre-selects it (and its region).
        raw = self.request.GET.get("enterprise", "")
        if raw.isdigit():
            enterprise = Enterprise.objects.visible_to(self.request.user).filter(pk=raw).first()
            if enterprise:
                initial.update(enterprise=enterprise.pk, region=enterprise.region_id)
        return initial

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "page_title": _("New project")}


class ProjectUpdateView(EditPermissionMixin, ProjectFormMixin, UpdateView):
    success_message = _("The project has been saved.")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "page_title": _("Edit project")}

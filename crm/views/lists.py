"""Resource list (资源清单) and action list (行动清单) pages."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import CreateView, UpdateView

from crm.filtersets import ActionItemFilterSet, OfferingFilterSet
from crm.forms.lists import ActionItemForm, ActionItemWorkForm, OfferingForm, offerings_for_category
from crm.models import ActionItem, Need, Offering, Project
from crm.permissions import can_create, can_edit, is_manager
from crm.selectors.scope import links_mark
from crm.services.lists import action_item_create, action_item_update, offering_create, offering_update
from crm.views.mixins import (
    CreatePermissionMixin,
    EditPermissionMixin,
    FilteredListView,
    add_service_errors,
    safe_next,
    service_errors,
)

DEFAULT_DUE_DAYS = 14


# ---------------------------------------------------------------------------------------------------------
# Offerings
# ---------------------------------------------------------------------------------------------------------


class OfferingListView(FilteredListView):
    model = Offering
    filterset_class = OfferingFilterSet
    filter_fields = ("kind", "need_category", "department", "is_active")
    template_name = "crm/offerings/list.html"
    page_title = gettext_lazy("Resource list")
    select_related = ("department__bureau",)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = can_create(self.request.user, Offering)
        context["can_edit"] = is_manager(self.request.user)
        for offering in context["page_obj"].object_list:
            # The list is shared; the edit link only on the offerings the user's bureau keeps.
            offering.user_can_edit = can_edit(self.request.user, offering)
        return context


class OfferingFormMixin:
    model = Offering
    form_class = OfferingForm
    template_name = "crm/offerings/form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            if self.object is not None and self.object.pk:
                original = Offering.objects.get(pk=self.object.pk)
                offering_update(user=self.request.user, offering=original, data=form.cleaned_data)
            else:
                offering_create(user=self.request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The offering has been saved."))
        return HttpResponseRedirect(reverse("crm:offering-list"))


class OfferingCreateView(CreatePermissionMixin, OfferingFormMixin, CreateView):
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "page_title": _("New offering")}


class OfferingUpdateView(EditPermissionMixin, OfferingFormMixin, UpdateView):
    select_related = ("department",)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "page_title": _("Edit offering")}


# ---------------------------------------------------------------------------------------------------------
# Action items
# ---------------------------------------------------------------------------------------------------------


class ActionItemListView(FilteredListView):
    model = ActionItem
    filterset_class = ActionItemFilterSet
    filter_fields = ("status", "overdue", "department", "due_on")
    template_name = "crm/action_items/list.html"
    page_title = gettext_lazy("Action list")
    select_related = ("need", "project", "enterprise", "owner", "department", "offering")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for item in links_mark(context["object_list"], user=user, fields=("need", "project", "enterprise")):
            item.user_can_edit = can_edit(user, item)
        context["mine"] = self.request.GET.get("owner") == str(user.pk)
        return context


def action_item_back_url(item_or_target, *, user) -> str:
    """The page an action item belongs on: its need, else its project, else the action list; a need or project
    ``user`` cannot open (an action item on a city project of a county enterprise) is not a way back."""
    need_id = getattr(item_or_target, "need_id", None)
    project_id = getattr(item_or_target, "project_id", None)
    if isinstance(item_or_target, Need):
        need_id, project_id = item_or_target.pk, None
    elif isinstance(item_or_target, Project):
        need_id, project_id = None, item_or_target.pk
    elif need_id or project_id:
        opens = links_mark([item_or_target], user=user, fields=("need", "project"))[0].opens
        need_id = need_id if "need" in opens else None
        project_id = project_id if "project" in opens else None
    if need_id:
        return reverse("crm:need-detail", args=[need_id]) + "#action-items"
    if project_id:
        return reverse("crm:project-detail", args=[project_id]) + "#action_items"
    return reverse("crm:actionitem-list")


class ActionItemCreateView(CreatePermissionMixin, CreateView):
    """A manager answers a need (or a project) with an action: an offering that fits, an owner, a due date."""

    model = ActionItem
    form_class = ActionItemForm
    template_name = "crm/action_items/form.html"

    def dispatch(self, request, *args, **kwargs):
        self.need = self.project = None
        if request.user.is_authenticated:
            need_id, project_id = request.GET.get("need", ""), request.GET.get("project", "")
            if need_id.isdigit():
                self.need = get_object_or_404(
                    Need.objects.visible_to(request.user).select_related("enterprise", "project"), pk=need_id
                )
            elif project_id.isdigit():
                self.project = get_object_or_404(
                    Project.objects.visible_to(request.user).select_related("enterprise"), pk=project_id
                )
            else:
                raise Http404(_("Open this page from a need or a project."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, category=self.need.category if self.need else None)
        return kwargs

    def get_initial(self):
        today = timezone.localdate()
        due = today + dt.timedelta(days=DEFAULT_DUE_DAYS)
        if self.need and self.need.due_on and self.need.due_on >= today:
            due = min(due, self.need.due_on)
        initial = {"due_on": due}
        if self.need and self.need.handler_id:
            initial["owner"] = self.need.handler_id
        offering = self.request.GET.get("offering", "")
        if offering.isdigit():
            initial["offering"] = int(offering)
        return initial

    def form_valid(self, form):
        data = {**form.cleaned_data, "need": self.need, "project": self.project}
        try:
            item = action_item_create(user=self.request.user, data=data)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Action item %(code)s has been created.") % {"code": item.code})
        return HttpResponseRedirect(safe_next(self.request, action_item_back_url(item, user=self.request.user)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fitting = []
        if self.need:
            fitting = [o for o in offerings_for_category(self.need.category)[:8] if o.fit == 0]
        context.update(
            need=self.need,
            project=self.project,
            fitting_offerings=fitting,
            back_url=action_item_back_url(self.need or self.project, user=self.request.user),
            page_title=_("New action item"),
        )
        return context


class ActionItemUpdateView(EditPermissionMixin, UpdateView):
    """Managers change everything; the owner records progress (status and result)."""

    model = ActionItem
    template_name = "crm/action_items/form.html"
    select_related = ("need", "project", "enterprise", "offering", "owner", "department")

    def get_form_class(self):
        return ActionItemForm if is_manager(self.request.user) else ActionItemWorkForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if is_manager(self.request.user):
            kwargs.update(user=self.request.user, category=self.object.need.category if self.object.need_id else None)
        return kwargs

    def form_valid(self, form):
        original = ActionItem.objects.get(pk=self.object.pk)
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        with service_errors(self.request, form, conflict_field="status") as outcome:
            item = action_item_update(user=self.request.user, item=original, data=data)
        if outcome.failed:
            return self.form_invalid(form)
        messages.success(self.request, _("Action item %(code)s has been saved.") % {"code": item.code})
        return HttpResponseRedirect(safe_next(self.request, action_item_back_url(item, user=self.request.user)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.object
        context.update(
            need=item.need,
            project=item.project,
            back_url=action_item_back_url(item, user=self.request.user),
            page_title=_("Action item %(code)s") % {"code": item.code},
        )
        return context

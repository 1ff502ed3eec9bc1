"""Need pages: the list (filters, escalation badges, filtered count), the detail with its timeline and
exactly the transition buttons the user may press, the transition and follow-up posts, and a simple
"new need" page (e.g. a help request of an assisted project, 帮办事项)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from crm.choices import ExtensionStatus
from crm.filtersets import NeedFilterSet
from crm.forms.base import staff_filter_picker
from crm.forms.engagement import TRANSITION_FORMS, NeedEventForm, NeedForm
from crm.models import Enterprise, ExtensionRequest, Need, Project, User
from crm.permissions import can_create
from crm.selectors.needs import (
    need_detail,
    need_escalation,
    needs_escalation_annotate,
)
from crm.selectors.scope import links_mark
from crm.services.needs import (
    TRANSITIONS,
    extension_may_decide,
    extension_request_approve,
    extension_request_refuse,
    need_create,
    need_event_add,
    need_may_instruct,
    need_transition,
    need_verbs_available,
    transition_data,
)
from crm.views import sections
from crm.views.mixins import (
    CreatePermissionMixin,
    FilteredListView,
    ScopedDetailView,
    Section,
    add_service_errors,
    service_errors,
)

# Button colour of each verb on the need page.
VERB_STYLES = {
    "accept": "primary",
    "reject": "outline-danger",
    "assign": "primary",
    "start": "primary",
    "answer": "success",
    "return-visit": "success",
    "reopen": "outline-secondary",
    "transfer": "outline-primary",
    "extend": "outline-warning",
}


# The columns of a row of the needs list (``need_row``, and its escalation's clock: ``needs_escalation_annotate``).
NEED_ROW_FIELDS = (
    "code",
    "title",
    "category",
    "urgency",
    "status",
    "due_on",
    "created_at",
    "assigned_at",
    "enterprise__name",
    "project__name",
    "lead_department__name",
    *User.name_fields_of("handler"),
)


class NeedListView(FilteredListView):
    model = Need
    filterset_class = NeedFilterSet
    filter_fields = ("status", "category", "urgency", "lead_department", "handler", "overdue", "due_on")
    template_name = "crm/needs/list.html"
    page_title = _("Needs")
    select_related = ("enterprise", "project", "lead_department", "handler")

    row_fields = NEED_ROW_FIELDS  # what need_row shows (crm/templatetags/list_rows.py) and its escalation reads

    def get_filterset(self, queryset):
        filterset = super().get_filterset(queryset)
        if filterset is not None:
            filterset.form.fields["handler"].widget = staff_filter_picker(self.request.user)
        return filterset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        needs_escalation_annotate(context["object_list"])
        context["can_create"] = can_create(self.request.user, Need)
        return context


# Sections under the need's actions: policy suggestions (✓/✗ reasons, push in one click) and action items.
NEED_SECTIONS: list[Section] = [
    Section("policy_suggestions", "crm/policies/_need_suggestions.html", sections.need_policy_suggestions_section),
    Section("action_items", "crm/action_items/_section.html", sections.need_action_items_section),
]


class NeedDetailView(ScopedDetailView):
    model = Need
    template_name = "crm/needs/detail.html"
    sections = NEED_SECTIONS

    def get_scoped_queryset(self):
        return need_detail(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        need, user = self.object, self.request.user
        links_mark([need], user=user)  # the enterprise, project and visit it names, linked only when in scope
        bound = kwargs.get("bound_form")  # (verb, form) of a rejected transition, shown open with its errors
        actions = []
        for verb in need_verbs_available(user=user, need=need):
            if bound and bound[0] == verb:
                form = bound[1]
            else:
                form = TRANSITION_FORMS[verb](need=need, user=user, prefix=verb)
            actions.append(
                {
                    "verb": verb,
                    "label": TRANSITIONS[verb].label,
                    "style": VERB_STYLES[verb],
                    "form": form,
                    "open": bool(bound and bound[0] == verb),
                    "url": reverse("crm:need-transition", args=[need.pk, verb]),
                }
            )
        extension_requests = list(
            need.extension_requests.select_related("requested_by", "decided_by").order_by("-requested_at", "-id")
        )
        for extension in extension_requests:
            extension.may_decide = extension.status == ExtensionStatus.PENDING and extension_may_decide(
                user=user, request=extension
            )
        context.update(
            page_title=need.code,
            extension_requests=extension_requests,
            actions=actions,
            event_form=kwargs.get("event_form") or NeedEventForm(user=user),
            events=list(need.events.all()),
            escalation=need_escalation(need),
            can_instruct=need_may_instruct(user=user),
        )
        return context


def _scoped_need(request, pk: int) -> Need:
    return get_object_or_404(need_detail(user=request.user), pk=pk)


def _rerender(request, need: Need, **context):
    view = NeedDetailView()
    view.setup(request, pk=need.pk)
    view.object = need
    return view.render_to_response(view.get_context_data(object=need, **context))


class NeedTransitionView(View):
    """POST a transition from the need page: 404 out of scope, 403 role, a message on a conflict, the form
    again with its errors on a 400. The fields are the verb's input (crm/services/needs.py)."""

    def post(self, request, pk: int, verb: str):
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('login')}?next={request.path}")
        if verb not in TRANSITIONS:
            raise Http404
        need = _scoped_need(request, pk)
        form = TRANSITION_FORMS[verb](request.POST, need=need, user=request.user, prefix=verb)
        with service_errors(request, form) as outcome:
            need_transition(
                need=need,
                user=request.user,
                verb=verb,
                version=request.POST.get(f"{verb}-version"),
                **transition_data(verb=verb, data=request.POST, prefix=verb),
            )
        if outcome.conflict:
            return HttpResponseRedirect(reverse("crm:need-detail", args=[need.pk]))
        if outcome.failed:
            messages.error(request, _("Please correct the errors below."))
            return _rerender(request, need, bound_form=(verb, form))
        if verb == "extend":
            messages.success(request, _("Your extension request was sent; a manager decides it."))
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": TRANSITIONS[verb].label})
        if not Need.objects.visible_to(request.user).filter(pk=need.pk).exists():
            # A transfer can hand the need to a bureau outside the user's scope: its page would be a 404.
            return HttpResponseRedirect(reverse("crm:need-list"))
        return HttpResponseRedirect(reverse("crm:need-detail", args=[need.pk]) + "#timeline")


class ExtensionDecisionView(View):
    """POST approve or refuse (with a note) of an extension request from the need page (DESIGN §11.4): 404 out
    of scope, 403 for the requester or someone who may not decide, a message when it was decided meanwhile."""

    SERVICES = {"approve": extension_request_approve, "refuse": extension_request_refuse}

    def post(self, request, pk: int, decision: str):
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('login')}?next={request.path}")
        if decision not in self.SERVICES:
            raise Http404
        extension = get_object_or_404(ExtensionRequest.objects.visible_to(request.user).select_related("need"), pk=pk)
        with service_errors(request) as outcome:
            self.SERVICES[decision](request=extension, user=request.user, note=request.POST.get("note", ""))
        if not outcome.failed:
            if decision == "approve":
                messages.success(request, _("The extension was approved; the deadline moved."))
            else:
                messages.success(request, _("The extension was refused."))
        return HttpResponseRedirect(reverse("crm:need-detail", args=[extension.need_id]) + "#extension-requests")


class NeedEventCreateView(View):
    """POST a follow-up note or (leaders) an instruction; the handler is notified."""

    def post(self, request, pk: int):
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('login')}?next={request.path}")
        need = _scoped_need(request, pk)
        form = NeedEventForm(request.POST, user=request.user)
        if form.is_valid():
            with service_errors(request, form) as outcome:
                need_event_add(
                    need=need, user=request.user, kind=form.cleaned_data["kind"], text=form.cleaned_data["text"]
                )
            if not outcome.failed:
                messages.success(request, _("Your follow-up has been added."))
                return HttpResponseRedirect(reverse("crm:need-detail", args=[need.pk]) + "#timeline")
        return _rerender(request, need, event_form=form)


class NeedCreateView(CreatePermissionMixin, TemplateView):
    """Record a need outside a visit (phone, letter, meeting), e.g. a project's help request (帮办事项)."""

    model = Need
    template_name = "crm/needs/form.html"

    def get_initial(self) -> dict:
        initial = {}
        for name, model in (("enterprise", Enterprise), ("project", Project)):
            raw = self.request.GET.get(name, "")
            if raw.isdigit() and model.objects.visible_to(self.request.user).filter(pk=raw).exists():
                initial[name] = int(raw)
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", NeedForm(user=self.request.user, initial=self.get_initial()))
        context["page_title"] = _("New need")
        return context

    def post(self, request, *args, **kwargs):
        form = NeedForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                need = need_create(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Need %(code)s recorded.") % {"code": need.code})
                return HttpResponseRedirect(reverse("crm:need-detail", args=[need.pk]))
        messages.error(request, _("Please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form))

"""Enterprise pages: list, 360° page, create/edit (with qualifications), contacts.

360° sections: each is a template plus one ``Section`` in ``ENTERPRISE_SECTIONS`` whose
``context(enterprise, request)`` returns what the template needs: the data read by crm/selectors/enterprises.py
(through ``visible_to``), the user's permissions added here. The policy suggestions (matching every open policy
against the enterprise: most of the page's cost) come after the page, from ``EnterpriseSuggestionsView``
(htmx on load; a plain link without JavaScript), so the page itself stays within its budget (DESIGN §9.2).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, UpdateView

from crm.filtersets import EnterpriseFilterSet
from crm.forms.enterprises import ContactForm, EnterpriseForm, EnterpriseQualificationFormSet
from crm.forms.policies import MatchFollowUp
from crm.models import Contact, Enterprise, Project, Visit
from crm.permissions import can_create, can_edit, is_manager
from crm.selectors import enterprises as selectors
from crm.services.enterprises import contact_create, contact_update, enterprise_create, enterprise_update
from crm.views import sections
from crm.views.mixins import (
    CreatePermissionMixin,
    EditPermissionMixin,
    FilteredListView,
    ScopedDetailView,
    Section,
    add_service_errors,
)

# The columns of a row of the enterprises list (``enterprise_row``).
ENTERPRISE_ROW_FIELDS = (
    "name",
    "credit_code",
    "status",
    "region__name",
    "industry_chain__name",
    "employees",
    "revenue",
    "is_linked",
    "is_assisted",
)


class EnterpriseListView(FilteredListView):
    model = Enterprise
    filterset_class = EnterpriseFilterSet
    filter_fields = (
        "region",
        "industry_chain",
        "qualifications",
        "qualification_valid",
        "is_linked",
        "is_assisted",
        "status",
        "party_organization",
        "established_on",
    )
    template_name = "crm/enterprises/list.html"
    page_title = _("Enterprises")
    select_related = ("region", "industry_chain", "liaison_leader")
    prefetch_related = ("liaison_officers",)

    # What enterprise_row shows (crm/templatetags/list_rows.py).
    row_fields = ENTERPRISE_ROW_FIELDS
    row_related = ("region", "industry_chain")
    row_people = ("liaison_officers",)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = can_create(self.request.user, Enterprise)
        return context


# --- 360° page sections: the data from crm/selectors/enterprises.py, the user's permissions added here ---


def _qualifications(enterprise, request) -> dict:
    return {"qualifications": selectors.enterprise_qualifications(user=request.user, enterprise=enterprise)}


def _contacts(enterprise, request) -> dict:
    user = request.user
    contacts = selectors.enterprise_contacts(user=user, enterprise=enterprise)
    for contact in contacts:
        contact.user_can_edit = can_edit(user, contact)
    return {"contacts": contacts, "can_add_contact": can_create(user, Contact)}


def _liaison(enterprise, request) -> dict:
    # The enterprise was read through the user's scope (ScopedDetailView), its officers with it.
    officers = selectors.enterprise_liaison_officers(user=request.user, enterprise=enterprise, in_scope=True)
    return {"liaison_officers": officers}


def _needs(enterprise, request) -> dict:
    needs = sections.enterprise_engagement(enterprise, request).needs  # read with the timeline
    return {"needs": needs.rows, "needs_count": needs.count}


def _action_items(enterprise, request) -> dict:
    items = selectors.enterprise_action_items(user=request.user, enterprise=enterprise)
    return {"action_items": items.rows, "action_items_count": items.count}


def _projects(enterprise, request) -> dict:
    return {
        "projects": selectors.enterprise_projects(user=request.user, enterprise=enterprise),
        "can_create_project": can_create(request.user, Project),
    }


def _policy_matches(enterprise, request) -> dict:
    """The history of the enterprise's policy matches (pushes and outcomes); managers move them on."""
    matches = selectors.enterprise_policy_matches(user=request.user, enterprise=enterprise)
    if is_manager(request.user):
        for match in matches.rows:
            match.follow_up = MatchFollowUp.of(match, prefix=f"m{match.pk}")
    return {"policy_matches": matches.rows, "policy_matches_count": matches.count}


def _policy_suggestions(enterprise, request) -> dict:
    """Suggestions for the enterprise (against its open needs) and the near misses with their failed criteria."""
    return {
        # The enterprise was read through the user's scope (ScopedDetailView): no second check.
        **selectors.enterprise_policy_suggestions(user=request.user, enterprise=enterprise, in_scope=True),
        "can_push": is_manager(request.user),
        "suggestion_enterprise": enterprise,
    }


ENTERPRISE_SECTIONS: list[Section] = [
    Section("profile", "crm/enterprises/_section_profile.html", column="side"),
    Section("qualifications", "crm/enterprises/_section_qualifications.html", _qualifications, column="side"),
    Section("contacts", "crm/enterprises/_section_contacts.html", _contacts, column="side"),
    Section("liaison", "crm/enterprises/_section_liaison.html", _liaison, column="side"),
    Section("figures", "crm/programmes/_enterprise_figures.html", sections.enterprise_figures_section, column="side"),
    Section(
        "commissioners",
        "crm/programmes/_enterprise_commissioners.html",
        sections.enterprise_commissioners_section,
        column="side",
    ),
    # Visits and needs in one timeline (crm/views/sections.py); the needs table below keeps their status.
    Section("visits", "crm/visits/_timeline_section.html", sections.enterprise_timeline_section),
    Section("needs", "crm/enterprises/_section_needs.html", _needs),
    Section("policy_matches", "crm/policies/_enterprise_matches.html", _policy_matches),
    Section("action_items", "crm/enterprises/_section_action_items.html", _action_items),
    Section("suggested_policies", "crm/enterprises/_section_suggestions_deferred.html"),
    Section("projects", "crm/enterprises/_section_projects.html", _projects),
]


class EnterpriseDetailView(ScopedDetailView):
    model = Enterprise
    template_name = "crm/enterprises/detail.html"
    sections = ENTERPRISE_SECTIONS

    def get_object(self, queryset=None):
        # Through the scope, with what the sections read of it (empty sections skip their query).
        enterprise = selectors.enterprise_page(user=self.request.user, key=self.kwargs["pk"])
        if enterprise is None:
            raise Http404(
                _("No %(verbose_name)s found matching the query") % {"verbose_name": Enterprise._meta.verbose_name}
            )
        return enterprise

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_log_visit"] = can_create(self.request.user, Visit)
        return context


class EnterpriseSuggestionsView(ScopedDetailView):
    """The 360° page's policy suggestions and near misses, as a fragment the page loads after itself."""

    model = Enterprise

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["crm/enterprises/_suggestions_fragment.html"]
        return ["crm/enterprises/suggestions.html"]  # the no-JavaScript link: a page of its own

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            section=_policy_suggestions(self.object, self.request),
            # A push from the fragment comes back to the 360° page, not to the fragment.
            next_url=enterprise_url(self.object) + "#suggested_policies",
            page_title=self.object.name,
        )
        return context


# --- create / edit --------------------------------------------------------------------------------------


class EnterpriseFormMixin:
    """Enterprise form plus the qualifications formset, saved together in one transaction."""

    model = Enterprise
    form_class = EnterpriseForm
    template_name = "crm/enterprises/form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_formset(self):
        instance = self.object if self.object is not None else Enterprise()
        data = self.request.POST if self.request.method == "POST" else None
        return EnterpriseQualificationFormSet(data, instance=instance, prefix="quals")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("formset", self.get_formset())
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object() if self.is_update else None
        form = self.get_form()
        formset = self.get_formset()
        form_ok = form.is_valid()
        if form_ok:
            formset.instance = form.instance
        if form_ok and formset.is_valid():
            return self.form_valid(form, formset)
        messages.error(request, _("Please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def form_valid(self, form, formset):
        data = {**form.cleaned_data, "qualifications": qualification_rows(formset)}
        try:
            if self.is_update:
                # A fresh copy: the form has already written its values onto self.object.
                original = Enterprise.objects.get(pk=self.object.pk)
                enterprise = enterprise_update(user=self.request.user, enterprise=original, data=data)
            else:
                enterprise = enterprise_create(user=self.request.user, data=data)
        except ValidationError as error:
            add_service_errors(form, error)
            messages.error(self.request, _("Please correct the errors below."))
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        self.object = enterprise
        messages.success(self.request, self.success_message)
        return HttpResponseRedirect(enterprise_url(enterprise))


def qualification_rows(formset) -> list[dict]:
    """The qualifications the formset keeps, as the service expects them."""
    rows = []
    for qform in formset.forms:
        data = getattr(qform, "cleaned_data", None) or {}
        if data.get("qualification") and not data.get("DELETE"):
            rows.append({k: data.get(k) for k in ("qualification", "certified_on", "expires_on", "certificate_no")})
    return rows


def enterprise_url(enterprise) -> str:
    return reverse("crm:enterprise-detail", args=[enterprise.pk])


class EnterpriseCreateView(CreatePermissionMixin, EnterpriseFormMixin, CreateView):
    is_update = False
    success_message = _("The enterprise has been created.")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "page_title": _("New enterprise")}


class EnterpriseUpdateView(EditPermissionMixin, EnterpriseFormMixin, UpdateView):
    is_update = True
    success_message = _("The enterprise has been saved.")
    select_related = ("region", "industry_chain", "liaison_leader")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "page_title": _("Edit enterprise")}


# --- contacts -----------------------------------------------------------------------------------------


class ContactCreateView(CreatePermissionMixin, CreateView):
    model = Contact
    form_class = ContactForm
    template_name = "crm/enterprises/contact_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user), pk=kwargs["enterprise_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.instance.enterprise = self.enterprise
        return form

    def form_valid(self, form):
        try:
            contact_create(user=self.request.user, data={**form.cleaned_data, "enterprise": self.enterprise})
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The contact has been saved."))
        return HttpResponseRedirect(enterprise_url(self.enterprise) + "#contacts")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "enterprise": self.enterprise, "page_title": _("New contact")}


class ContactUpdateView(EditPermissionMixin, UpdateView):
    model = Contact
    form_class = ContactForm
    template_name = "crm/enterprises/contact_form.html"
    select_related = ("enterprise",)

    def form_valid(self, form):
        contact = Contact.objects.get(pk=self.object.pk)
        try:
            contact_update(user=self.request.user, contact=contact, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The contact has been saved."))
        return HttpResponseRedirect(enterprise_url(self.object.enterprise) + "#contacts")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "enterprise": self.object.enterprise,
            "page_title": _("Edit contact"),
        }

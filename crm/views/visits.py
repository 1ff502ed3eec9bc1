"""Visit pages: the list, the phone-first 登门三问 form (needs inline), the detail, the printable record
(走访记录表) and the attachments (served only to users who can see the visit)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from crm.filtersets import VisitFilterSet
from crm.forms.base import staff_filter_picker, visible_enterprise_choices
from crm.forms.engagement import VisitForm, VisitNeedFormSet, VisitUpdateForm
from crm.forms.widgets import PairChoices, Picker
from crm.models import Enterprise, Need, Project, User, Visit, VisitAttachment
from crm.permissions import can_create, can_edit, is_manager
from crm.selectors.history import history_changes
from crm.selectors.scope import links_mark
from crm.services.portal import access_link_for_print, access_print_may, access_qr_svg
from crm.services.visits import visit_create, visit_update
from crm.views.mixins import (
    CreatePermissionMixin,
    FilteredListView,
    ScopedDetailView,
    add_service_errors,
    attachment_response,
)

# The columns of a row of the visits list (``visit_row``).
VISIT_ROW_FIELDS = (
    "code",
    "visited_on",
    "kind",
    "flag",
    "q_needs",
    "q_difficulties",
    "q_suggestions",
    "enterprise__name",
    *User.name_fields_of("lead"),
)


def _needs_count():
    """A visit's needs: a correlated count (computed for the rows of the page only), not a JOIN + GROUP BY over all
    visits."""
    needs = Need.objects.filter(visit=OuterRef("pk")).order_by().values("visit").annotate(n=Count("id"))
    return Coalesce(Subquery(needs.values("n")), 0)


class VisitListView(FilteredListView):
    model = Visit
    filterset_class = VisitFilterSet
    filter_fields = ("enterprise", "officer", "visited_on", "flag", "kind")
    template_name = "crm/visits/list.html"
    page_title = _("Visits")
    select_related = ("enterprise", "lead")
    prefetch_related = ("officers",)

    def get_scoped_queryset(self):
        return super().get_scoped_queryset().order_by("-visited_on", "-id")

    # What visit_row shows (crm/templatetags/list_rows.py), with the needs count annotated on the page's rows.
    row_fields = VISIT_ROW_FIELDS
    row_related = ("enterprise", "lead")
    row_people = ("officers",)
    row_annotations = (("needs_count", _needs_count),)

    def get_filterset(self, queryset):
        filterset = super().get_filterset(queryset)
        if filterset is not None:
            user = self.request.user
            enterprise = filterset.form.fields["enterprise"]
            enterprise.widget = Picker(
                choices=PairChoices(visible_enterprise_choices(user, self.request.GET.get("enterprise"))),
                attrs={"class": "form-select"},
                kind="enterprise",
            )
            filterset.form.fields["officer"].widget = staff_filter_picker(user)
        return filterset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = can_create(self.request.user, Visit)
        return context


class VisitCreateView(CreatePermissionMixin, TemplateView):
    """登门三问: one form for the visit, the needs raised in it and its photos; saved in one transaction."""

    model = Visit
    template_name = "crm/visits/form.html"
    keeps_unnamed_uploads = True  # a photo named "." is refused with a message (crm.middleware.NamedUploadsMiddleware)

    def get_initial(self) -> dict:
        user = self.request.user
        initial = {"visited_on": timezone.localdate(), "kind": "on_site", "flag": "green", "lead": user.pk}
        raw_project = self.request.GET.get("project", "")
        if raw_project.isdigit():
            project = Project.objects.visible_to(user).filter(pk=raw_project).first()
            if project is not None:
                initial["project"] = project.pk
                if project.enterprise_id:
                    initial["enterprise"] = project.enterprise_id
        raw_enterprise = self.request.GET.get("enterprise", "")
        if raw_enterprise.isdigit() and Enterprise.objects.visible_to(user).filter(pk=raw_enterprise).exists():
            initial["enterprise"] = int(raw_enterprise)
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "form" not in context:
            context["form"] = VisitForm(user=self.request.user, initial=self.get_initial())
        if "formset" not in context:
            context["formset"] = VisitNeedFormSet(prefix="needs")
        context["page_title"] = _("Log a visit (登门三问)")
        return context

    @staticmethod
    def show_service_errors(error: ValidationError, form, formset) -> None:
        """Needs' problems above the needs, everything else next to the visit's fields."""
        if not hasattr(error, "error_dict"):
            add_service_errors(form, error)
            return
        errors = dict(error.message_dict)
        needs_errors = errors.pop("needs", [])
        if needs_errors:
            formset._non_form_errors = formset.error_class(needs_errors)
        if errors:
            add_service_errors(form, ValidationError(errors))

    def post(self, request, *args, **kwargs):
        form = VisitForm(request.POST, request.FILES, user=request.user)
        formset = VisitNeedFormSet(request.POST, prefix="needs")
        form_ok, formset_ok = form.is_valid(), formset.is_valid()
        if form_ok and formset_ok:
            data = dict(form.cleaned_data)
            attachments = data.pop("attachments", [])
            try:
                visit = visit_create(user=request.user, needs=formset.rows(), attachments=attachments, **data)
            except ValidationError as error:
                self.show_service_errors(error, form, formset)
            else:
                count = len(formset.rows())
                messages.success(
                    request,
                    _("Visit %(code)s saved with %(count)d need(s).") % {"code": visit.code, "count": count},
                )
                return HttpResponseRedirect(reverse("crm:visit-detail", args=[visit.pk]))
        messages.error(request, _("Please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form, formset=formset))


class VisitUpdateView(LoginRequiredMixin, TemplateView):
    """Edit a visit with the 登门三问 form: 404 outside the scope, 403 unless the user may edit it (its author,
    lead or officers, and managers). The needs raised are shown read-only (they have their own workflow);
    files can be added and removed."""

    template_name = "crm/visits/form.html"
    keeps_unnamed_uploads = True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.visit = get_object_or_404(
                Visit.objects.visible_to(request.user).select_related("enterprise", "project", "lead"),
                pk=kwargs["pk"],
            )
            if not can_edit(request.user, self.visit):
                raise PermissionDenied
            self.needs = list(self.visit.needs.select_related("lead_department", "handler").order_by("id"))
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, data=None, files=None) -> VisitUpdateForm:
        return VisitUpdateForm(data, files, user=self.request.user, instance=self.visit, has_needs=bool(self.needs))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.get_form())
        context.update(
            visit=self.visit,
            needs=self.needs,
            attachments=list(self.visit.attachments.all()),
            is_update=True,
            page_title=_("Edit visit %(code)s") % {"code": self.visit.code},
        )
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            attachments = data.pop("attachments", [])
            attachments_remove = data.pop("attachments_remove", [])
            officers = data.pop("officers", None)
            # A fresh copy: if the service refuses the input, the page still shows the saved visit.
            visit = Visit.objects.select_related("enterprise", "project").get(pk=self.visit.pk)
            try:
                visit_update(
                    visit=visit,
                    user=request.user,
                    officers=officers,
                    attachments=attachments,
                    attachments_remove=attachments_remove,
                    **data,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Visit %(code)s saved.") % {"code": visit.code})
                return HttpResponseRedirect(reverse("crm:visit-detail", args=[visit.pk]))
        messages.error(request, _("Please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form))


VISIT_DETAIL_PREFETCH = (
    "officers",
    "attachments",
    Prefetch("needs", queryset=Need.objects.select_related("lead_department", "handler").order_by("id")),
)


class VisitDetailView(ScopedDetailView):
    model = Visit
    template_name = "crm/visits/detail.html"
    select_related = ("enterprise", "enterprise__region", "project", "lead", "created_by")
    prefetch_related = VISIT_DETAIL_PREFETCH

    show_history = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = self.object.code
        context["can_log_visit"] = can_create(self.request.user, Visit)
        # A city project of a county enterprise is not the county's: its name and link are left out (404 there).
        opens = links_mark([self.object], user=self.request.user, fields=("project",))[0].opens
        context["project"] = self.object.project if "project" in opens else None
        if self.show_history and is_manager(self.request.user):
            context["history"] = history_changes(obj=self.object)
        context["can_print_code"] = access_print_may(user=self.request.user, enterprise=self.object.enterprise)
        return context


class VisitPrintView(VisitDetailView):
    """走访记录表: one A4 page with signature lines (crm/static/crm/print.css).

    GET shows the record and makes nothing. POST is 打印服务码 (DESIGN §11.5): a new link of the primary contact
    (the service call), whose QR code the answered page shows once: tokens are kept hashed, and the page is not
    cached.
    """

    template_name = "crm/visits/print.html"
    show_history = False

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        context = self.get_context_data(object=self.object)
        try:
            access, url = access_link_for_print(
                user=request.user,
                enterprise=self.object.enterprise,
                base=f"{request.scheme}://{request.get_host()}",
            )
        except ValidationError as error:
            context["portal_qr_error"] = " ".join(error.messages)
        else:
            context["portal_qr"] = {
                "access": access,
                "contact": access.contact,
                "url": url,
                "svg": access_qr_svg(url=url),
            }
        response = self.render_to_response(context)
        add_never_cache_headers(response)
        return response


class VisitAttachmentView(LoginRequiredMixin, View):
    """An attachment, for users who can see its visit (404 otherwise); never served as HTML."""

    def get(self, request, pk: int, attachment_pk: int):
        visit = get_object_or_404(Visit.objects.visible_to(request.user), pk=pk)
        attachment = get_object_or_404(VisitAttachment, pk=attachment_pk, visit=visit)
        return attachment_response(request, attachment)

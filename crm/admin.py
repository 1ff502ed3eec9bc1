"""Django admin for every model: lists, filters, search, change history and spreadsheet import/export.

The admin is for the admin role only (DESIGN §11.8; superusers pass). It reads through ``visible_to`` like
every other path, so a county administrator sees only its county; workflow fields (a need's status, version
and every field a transition sets, a policy match's push and outcome) are read-only and the need timeline is
never written here; saves of the main models go through the services, as the web forms and the API do.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models as django_models
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from crm import models
from crm.choices import Role
from crm.forms.imports import ImportUploadForm
from crm.services.enterprises import (
    contact_create,
    contact_update,
    enterprise_create,
    enterprise_delete,
    enterprise_set_qualifications,
    enterprise_update,
    project_create,
    project_delete,
    project_update,
)
from crm.services.errors import DeleteRefused
from crm.services.lists import action_item_create, action_item_update, offering_create, offering_update
from crm.services.needs import NEED_EDITABLE_FIELDS, need_create, need_update
from crm.services.policies import policy_create, policy_update
from crm.services.programmes import (
    cultivation_create,
    cultivation_update,
    enterprise_year_delete,
    enterprise_year_save,
    enterprise_year_update,
)
from crm.services.visits import VISIT_FIELDS, visit_create, visit_delete, visit_update
from crm.sheets.imports import import_job_preview
from crm.sheets.resources import RESOURCES
from crm.workdays import ANSWER_WORKDAYS

admin.site.site_header = _("Enterprise Liaison CRM administration")
admin.site.site_title = _("Enterprise Liaison CRM")
admin.site.index_title = _("Administration")


def admin_site_has_permission(request) -> bool:
    """Only active staff with the admin role (superusers have every role) may open the admin."""
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_role(Role.ADMIN))


admin.site.has_permission = admin_site_has_permission


class BureauScopedAdminMixin:
    """Models without ``visible_to`` (users, bureaus, departments, notifications, uploads): a county administrator
    reads and edits its own bureau's rows only and names only its own bureau and departments."""

    bureau_lookup = "bureau_id"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.sees_everything:
            return queryset
        return queryset.filter(**{self.bureau_lookup: request.user.bureau_id})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.sees_everything:
            if db_field.related_model is models.Bureau:
                kwargs["queryset"] = models.Bureau.objects.filter(pk=request.user.bureau_id)
            elif db_field.related_model is models.Department:
                kwargs["queryset"] = models.Department.objects.filter(bureau_id=request.user.bureau_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedAdminMixin:
    """Every changelist, change page, history page, export and autocomplete reads through ``visible_to``."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if hasattr(queryset, "visible_to"):
            queryset = queryset.visible_to(request.user)
        return queryset

    def history_view(self, request, object_id, extra_context=None):
        # simple_history falls back to the history of a row outside the queryset (meant for deleted rows):
        # only a user who sees the whole city reads the history of a row it cannot open.
        if self.get_object(request, unquote(object_id)) is None and not request.user.sees_everything:
            raise Http404
        return super().history_view(request, object_id, extra_context)


class ServiceAdminMixin(ScopedAdminMixin):
    """Saves go through the services (``service_create(request, data)`` and ``service_update(request, obj,
    data)``), deletes through ``service_delete(request, obj)``. A service's ValidationError or refusal is shown as
    a message and nothing is saved or deleted."""

    def service_delete(self, request, obj) -> None:
        obj.delete()

    def delete_model(self, request, obj):
        self.service_delete(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.service_delete(request, obj)

    def _refused(self, request, error, redirect_to: str):
        text = error.message if isinstance(error, DeleteRefused) else " ".join(error.messages)
        self.message_user(request, text, level=messages.ERROR)
        return HttpResponseRedirect(redirect_to)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            with transaction.atomic():
                return super().delete_view(request, object_id, extra_context)
        except (ValidationError, DeleteRefused) as error:
            opts = self.model._meta
            return self._refused(
                request, error, reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )

    def changelist_view(self, request, extra_context=None):
        # The bulk action "delete selected" goes through ``delete_queryset``: all of them or none.
        try:
            with transaction.atomic():
                return super().changelist_view(request, extra_context)
        except (ValidationError, DeleteRefused) as error:
            return self._refused(request, error, request.get_full_path())

    def service_create(self, request, data: dict):
        raise NotImplementedError

    def service_update(self, request, obj, data: dict):
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        data = {name: value for name, value in form.cleaned_data.items() if name in form.fields}
        if change:
            original = type(obj)._default_manager.get(pk=obj.pk)  # the form has changed ``obj`` already
            saved = self.service_update(request, original, {name: data[name] for name in form.changed_data})
        else:
            saved = self.service_create(request, data)
        # The admin goes on with ``obj`` (relations, inlines, the log entry, the redirect): make it the saved row.
        obj.pk = saved.pk
        obj.refresh_from_db()


def ledger_resources(kind: str) -> list:
    """The resources of crm/sheets/resources/, shared with import_sheet/export_sheet and /imports/."""
    return [RESOURCES[kind]] if kind in RESOURCES else []


class LedgerAdmin(ScopedAdminMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    """History and import/export for the ledgers (台账), scoped."""

    ledger_kind = ""
    list_per_page = 50

    def get_resource_classes(self, request):
        return ledger_resources(self.ledger_kind) or super().get_resource_classes(request)

    # The admin's import is the one of /imports/ (DESIGN §8.4): the same reader (xlsx, xls, ods, csv, merged
    # cells, title rows, hidden rows, formulas, error cells…), the same dry run and preview, the same confirm.
    # Its button opens /imports/ for this kind; a file posted to the admin's own form goes to the same preview.

    def _imports_url(self) -> str:
        return f"{reverse('crm:import')}?kind={self.ledger_kind}"

    def import_action(self, request, **kwargs):
        if self.ledger_kind not in RESOURCES:
            return super().import_action(request, **kwargs)
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseRedirect(self._imports_url())
        upload = request.FILES.get("import_file") or request.FILES.get("file")
        form = ImportUploadForm(data={"kind": self.ledger_kind}, files={"file": upload} if upload else {})
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return HttpResponseRedirect(self._imports_url())
        try:
            job = import_job_preview(user=request.user, kind=self.ledger_kind, name=upload.name, data=form.file_bytes)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return HttpResponseRedirect(self._imports_url())
        return HttpResponseRedirect(reverse("crm:import-preview", args=[job.pk]))

    def process_import(self, request, **kwargs):
        if self.ledger_kind not in RESOURCES:
            return super().process_import(request, **kwargs)
        # Confirmed on the preview page of /imports/; the admin's own confirm step is not used.
        return HttpResponseRedirect(self._imports_url())


class ServiceLedgerAdmin(ServiceAdminMixin, LedgerAdmin):
    """A ledger whose saves go through its services."""


@admin.register(models.User)
class UserAdmin(BureauScopedAdminMixin, DjangoUserAdmin):
    list_display = ["username", "name", "bureau", "department", "email", "is_active", "is_staff"]
    list_filter = ["bureau", "groups", "is_active", "is_staff"]
    list_select_related = ["bureau", "department"]
    search_fields = ["username", "name", "email", "mobile"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Bureau"), {"fields": ("name", "bureau", "department", "mobile")}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("Bureau"), {"fields": ("name", "bureau", "department", "groups")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser makes superusers or hands out single permissions; roles are the groups.
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return [*super().get_readonly_fields(request, obj), "is_superuser", "user_permissions"]


@admin.register(models.Bureau)
class BureauAdmin(BureauScopedAdminMixin, admin.ModelAdmin):
    bureau_lookup = "pk"

    list_display = ["name", "level", "region"]
    list_filter = ["level"]
    search_fields = ["name"]


@admin.register(models.Department)
class DepartmentAdmin(BureauScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "bureau"]
    list_filter = ["bureau"]
    list_select_related = ["bureau"]
    search_fields = ["name"]


@admin.register(models.Region, models.IndustryChain, models.Qualification)
class ReferenceAdmin(ImportExportModelAdmin):
    list_display = ["code", "name", "aliases", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["code", "name", "aliases"]


class EnterpriseQualificationInline(admin.TabularInline):
    model = models.EnterpriseQualification
    extra = 0
    autocomplete_fields = ["qualification"]


class ContactInline(admin.TabularInline):
    model = models.Contact
    extra = 0
    fields = ["name", "title", "mobile", "email", "is_primary"]


@admin.register(models.Enterprise)
class EnterpriseAdmin(ServiceLedgerAdmin):
    ledger_kind = "enterprises"
    list_display = ["name", "credit_code", "region", "industry_chain", "is_linked", "is_assisted", "status"]
    list_filter = ["is_linked", "is_assisted", "status", "region", "industry_chain", "qualifications"]
    list_select_related = ["region", "industry_chain"]
    search_fields = ["name", "credit_code", "contacts__name"]
    autocomplete_fields = ["liaison_officers", "liaison_leader"]
    inlines = [EnterpriseQualificationInline, ContactInline]
    readonly_fields = ["bureau", "created_at", "updated_at", "created_by"]

    def service_create(self, request, data):
        return enterprise_create(user=request.user, data=data)

    def service_update(self, request, obj, data):
        return enterprise_update(user=request.user, enterprise=obj, data=data)

    def service_delete(self, request, obj):
        enterprise_delete(user=request.user, enterprise=obj)

    def save_formset(self, request, form, formset, change):
        # The inlines go through the services too; the lists below feed the admin's change message.
        enterprise = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is models.EnterpriseQualification:
            rows = []
            for qform in formset.forms:
                data = getattr(qform, "cleaned_data", None) or {}
                if data.get("qualification") and not data.get("DELETE"):
                    keys = ("qualification", "certified_on", "expires_on", "certificate_no")
                    rows.append({key: data.get(key) for key in keys})
            enterprise_set_qualifications(enterprise=enterprise, qualifications=rows)
        elif formset.model is models.Contact:
            for cform in formset.forms:
                data = getattr(cform, "cleaned_data", None) or {}
                contact = cform.instance
                if data.get("DELETE"):
                    if contact.pk:
                        formset.deleted_objects.append(contact)
                        contact.delete()
                    continue
                if not data or not cform.has_changed():
                    continue
                fields = {name: data[name] for name in ContactInline.fields if name in data}
                if contact.pk:
                    original = models.Contact.objects.get(pk=contact.pk)
                    saved = contact_update(user=request.user, contact=original, data=fields)
                    formset.changed_objects.append((saved, cform.changed_data))
                else:
                    saved = contact_create(user=request.user, data={**fields, "enterprise": enterprise})
                    formset.new_objects.append(saved)
        else:
            super().save_formset(request, form, formset, change)


@admin.register(models.Contact)
class ContactAdmin(ServiceLedgerAdmin):
    ledger_kind = "contacts"  # the import/export of /imports/
    list_display = ["name", "enterprise", "title", "mobile", "is_primary"]
    list_select_related = ["enterprise"]
    search_fields = ["name", "mobile", "enterprise__name"]
    autocomplete_fields = ["enterprise"]
    readonly_fields = ["created_by"]

    def service_create(self, request, data):
        return contact_create(user=request.user, data=data)

    def service_update(self, request, obj, data):
        return contact_update(user=request.user, contact=obj, data=data)


@admin.register(models.Project)
class ProjectAdmin(ServiceLedgerAdmin):
    ledger_kind = "projects"
    list_display = ["name", "enterprise", "region", "kind", "stage", "is_assisted", "status"]
    list_filter = ["is_assisted", "kind", "stage", "status", "region"]
    list_select_related = ["enterprise", "region"]
    search_fields = ["name", "enterprise__name"]
    autocomplete_fields = ["enterprise", "liaison_officers", "liaison_leader"]
    readonly_fields = ["bureau", "created_at", "updated_at", "created_by"]

    def service_create(self, request, data):
        return project_create(user=request.user, data=data)

    def service_update(self, request, obj, data):
        return project_update(user=request.user, project=obj, data=data)

    def service_delete(self, request, obj):
        project_delete(user=request.user, project=obj)


class VisitAttachmentInline(admin.TabularInline):
    """Read-only: files are checked by content when the visit service stores them (web form and API)."""

    model = models.VisitAttachment
    extra = 0
    fields = ["file", "name", "content_type", "size"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.Visit)
class VisitAdmin(ServiceLedgerAdmin):
    ledger_kind = "visits"
    list_display = ["code", "enterprise", "visited_on", "kind", "flag", "lead"]
    list_filter = ["flag", "kind", "visited_on"]
    list_select_related = ["enterprise", "lead"]
    search_fields = ["code", "enterprise__name", "q_needs", "q_difficulties", "q_suggestions"]
    date_hierarchy = "visited_on"
    autocomplete_fields = ["enterprise", "project", "lead", "officers"]
    inlines = [VisitAttachmentInline]
    readonly_fields = ["code", "created_at", "updated_at", "created_by"]

    def service_create(self, request, data):
        fields = {name: data[name] for name in VISIT_FIELDS if name in data}
        return visit_create(user=request.user, officers=data.get("officers"), **fields)

    def service_update(self, request, obj, data):
        fields = {name: data[name] for name in VISIT_FIELDS if name in data}
        return visit_update(visit=obj, user=request.user, officers=data.get("officers"), **fields)

    def service_delete(self, request, obj):
        visit_delete(user=request.user, visit=obj)


class NeedEventInline(admin.TabularInline):
    """Read-only: the timeline is append-only (DESIGN §4.1)."""

    model = models.NeedEvent
    extra = 0
    fields = ["created_at", "author", "contact", "kind", "from_status", "to_status", "text"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.Need)
class NeedAdmin(ServiceLedgerAdmin):
    """The descriptive fields of ``need_update`` are editable; the workflow (status, version, every field a
    transition sets, the timeline) only moves through the transitions of crm/services/needs.py."""

    ledger_kind = "needs"
    list_display = ["code", "title", "enterprise", "project", "category", "urgency", "status", "due_on", "handler"]
    list_filter = ["status", "category", "urgency", "source", "bureau", "lead_department"]
    list_select_related = ["enterprise", "project", "handler"]
    search_fields = ["code", "title", "description", "enterprise__name", "project__name"]
    autocomplete_fields = ["enterprise", "project", "visit"]
    inlines = [NeedEventInline]
    editable_fields = (*NEED_EDITABLE_FIELDS, "visit")

    def get_readonly_fields(self, request, obj=None):
        # The stored working days to answer are derived (crm/workdays.py): not shown.
        hidden = {"id", *ANSWER_WORKDAYS}
        names = [f.name for f in models.Need._meta.get_fields() if f.concrete and f.name not in hidden]
        editable = self.editable_fields if obj is None else NEED_EDITABLE_FIELDS
        return [name for name in names if name not in editable]

    def has_delete_permission(self, request, obj=None):
        return False  # rejecting closes a need; deleting it would delete its timeline

    def service_create(self, request, data):
        fields = {name: data[name] for name in self.editable_fields if data.get(name) not in (None, "")}
        return need_create(user=request.user, **fields)

    def service_update(self, request, obj, data):
        return need_update(need=obj, user=request.user, **{k: v for k, v in data.items() if k in NEED_EDITABLE_FIELDS})


@admin.register(models.NeedEvent)
class NeedEventAdmin(admin.ModelAdmin):
    list_display = ["need", "kind", "from_status", "to_status", "author", "contact", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["need", "author", "contact"]
    search_fields = ["need__code", "text"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Holiday)
class HolidayAdmin(ImportExportModelAdmin):
    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["name"]


@admin.register(models.Policy)
class PolicyAdmin(ServiceLedgerAdmin):
    ledger_kind = "policies"
    list_display = ["title", "issuer", "level", "kind", "delivery", "apply_from", "apply_until", "is_active"]
    list_filter = ["level", "kind", "delivery", "is_active"]
    search_fields = ["title", "issuer", "doc_number", "keywords"]
    filter_horizontal = ["regions", "industry_chains", "required_qualifications"]
    formfield_overrides = {django_models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["created_at", "updated_at", "created_by"]

    def service_create(self, request, data):
        return policy_create(user=request.user, data=data)

    def service_update(self, request, obj, data):
        return policy_update(user=request.user, policy=obj, data=data)


@admin.register(models.PolicyMatch)
class PolicyMatchAdmin(LedgerAdmin):
    """Pushes and outcomes move through policy_push and policy_match_update_status (the policy pages and the
    API): here only the note may be corrected."""

    list_display = ["policy", "enterprise", "need", "score", "status", "pushed_at", "granted_amount"]
    list_filter = ["status"]
    list_select_related = ["policy", "enterprise", "need"]
    search_fields = ["policy__title", "enterprise__name"]
    readonly_fields = [
        "policy",
        "enterprise",
        "need",
        "score",
        "reasons",
        "status",
        "pushed_by",
        "pushed_at",
        "granted_amount",
        "created_at",
        "updated_at",
        "created_by",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(models.Offering)
class OfferingAdmin(ServiceLedgerAdmin):
    ledger_kind = "offerings"
    list_display = ["name", "department", "kind", "contact_name", "available_until", "is_active"]
    list_filter = ["kind", "is_active", "department"]
    list_select_related = ["department__bureau"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at", "created_by"]

    def service_create(self, request, data):
        return offering_create(user=request.user, data=data)

    def service_update(self, request, obj, data):
        return offering_update(user=request.user, offering=obj, data=data)


@admin.register(models.ActionItem)
class ActionItemAdmin(ServiceLedgerAdmin):
    ledger_kind = "action-items"
    list_display = ["code", "title", "enterprise", "owner", "department", "due_on", "status"]
    list_filter = ["status", "department"]
    list_select_related = ["enterprise", "owner", "department"]
    search_fields = ["code", "title", "enterprise__name"]
    autocomplete_fields = ["need", "project", "offering", "owner"]
    readonly_fields = ["code", "enterprise", "completed_on", "created_at", "updated_at", "created_by"]

    def service_create(self, request, data):
        return action_item_create(user=request.user, data=data)

    def service_update(self, request, obj, data):
        return action_item_update(user=request.user, item=obj, data=data)


@admin.register(models.Notification)
class NotificationAdmin(BureauScopedAdminMixin, admin.ModelAdmin):
    bureau_lookup = "recipient__bureau_id"

    list_display = ["recipient", "kind", "text", "created_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
    search_fields = ["text", "recipient__username"]


@admin.register(models.ImportJob)
class ImportJobAdmin(BureauScopedAdminMixin, admin.ModelAdmin):
    bureau_lookup = "user__bureau_id"

    list_display = ["original_name", "kind", "user", "status", "created_at", "imported_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["user"]
    search_fields = ["original_name", "user__username"]
    readonly_fields = ["user", "kind", "file", "original_name", "size", "status", "result", "created_at", "imported_at"]

    def has_add_permission(self, request):
        return False


# ------------------------------------------------------------------------------ routine (DESIGN §11.1, §11.2)


@admin.register(models.CadenceRule)
class CadenceRuleAdmin(BureauScopedAdminMixin, SimpleHistoryAdmin):
    """How often each bureau's liaison people visit (走访频次); a bureau without rows uses the §11.1 defaults."""

    list_display = ["bureau", "tier", "role", "period", "min_visits", "kinds"]
    list_filter = ["bureau", "tier", "role", "period"]
    list_select_related = ["bureau"]


class ReadOnlyRoutineAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Plans and activities are written through their pages and the API (services); the admin reads them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.VisitPlan)
class VisitPlanAdmin(ReadOnlyRoutineAdmin):
    list_display = ["planned_on", "enterprise", "lead", "status", "visit"]
    list_filter = ["status"]
    list_select_related = ["enterprise", "lead"]
    search_fields = ["enterprise__name", "purpose"]


class ActivityParticipantInline(admin.TabularInline):
    model = models.ActivityParticipant
    extra = 0
    readonly_fields = ["enterprise", "attendees"]
    can_delete = False


@admin.register(models.Activity)
class ActivityAdmin(ReadOnlyRoutineAdmin, LedgerAdmin):
    """Read here; imported and exported as the ledger ``activities`` (the same resource as /imports/)."""

    ledger_kind = "activities"
    list_display = ["code", "title", "kind", "held_on", "bureau", "lead", "counts_as_visit"]
    list_filter = ["kind", "counts_as_visit"]
    list_select_related = ["bureau", "lead"]
    search_fields = ["code", "title", "place"]
    inlines = [ActivityParticipantInline]


@admin.register(models.TimeLimit)
class TimeLimitAdmin(SimpleHistoryAdmin):
    """The time-limit table of DESIGN §11.4 (办理时限): the admin role edits it; the row naming a category wins
    over the row for any category. A county administrator reads it (one table for the whole city)."""

    list_display = ["category", "urgency", "accept_days", "answer_days", "max_extensions", "max_extension_days"]
    list_filter = ["urgency", "category"]

    def _city(self, request) -> bool:
        return request.user.sees_everything

    def has_add_permission(self, request):
        return self._city(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._city(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._city(request) and super().has_delete_permission(request, obj)


@admin.register(models.ExtensionRequest)
class ExtensionRequestAdmin(SimpleHistoryAdmin):
    """Extension requests, read-only: they are decided on the need's page or through the API (§11.4)."""

    list_display = ["need", "requested_due_on", "status", "requested_by", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["need", "requested_by", "decided_by"]
    search_fields = ["need__code", "reason"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in models.ExtensionRequest._meta.concrete_fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.EnterpriseAccess)
class EnterpriseAccessAdmin(admin.ModelAdmin):
    """企业服务码 links, read-only (no token: only its hash is stored); made and revoked from the contact (§11.5)."""

    list_display = ["contact", "created_by", "created_at", "expires_at", "revoked_at", "last_used_at", "printed"]
    list_filter = ["printed"]
    list_select_related = ["contact", "created_by"]
    search_fields = ["contact__name", "contact__enterprise__name"]
    exclude = ["token_hash"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in models.EnterpriseAccess._meta.concrete_fields if f.name != "token_hash"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.NeedAttachment)
class NeedAttachmentAdmin(admin.ModelAdmin):
    """Files enterprises sent with their needs, read-only."""

    list_display = ["need", "name", "content_type", "size", "contact", "created_at"]
    list_select_related = ["need", "contact"]
    search_fields = ["need__code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in models.NeedAttachment._meta.concrete_fields]

    def has_add_permission(self, request):
        return False


@admin.register(models.Report)
class ReportAdmin(SimpleHistoryAdmin):
    """Reports sent upward (§11.6), read-only: they are generated, submitted and reviewed on /reports/ or through
    the API, so the frozen snapshot never changes here."""

    list_display = ["period", "kind", "bureau", "status", "generated_by", "generated_at", "reviewed_by"]
    list_filter = ["kind", "status", "bureau"]
    list_select_related = ["bureau", "generated_by", "reviewed_by"]
    search_fields = ["period", "return_note"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in models.Report._meta.concrete_fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------------------------------------------------
# Growth programmes (DESIGN §11.7)
# ---------------------------------------------------------------------------------------------------------


@admin.register(models.EnterpriseYear)
class EnterpriseYearAdmin(ServiceLedgerAdmin):
    """Yearly figures (年度数据); saves go through the service, so the enterprise's current figures follow."""

    ledger_kind = "enterprise-years"
    list_display = ["enterprise", "year", "revenue", "rd_expense", "employees", "rd_staff"]
    list_filter = ["year"]
    list_select_related = ["enterprise"]
    search_fields = ["enterprise__name", "enterprise__credit_code"]
    autocomplete_fields = ["enterprise"]
    readonly_fields = ["created_by"]

    def service_create(self, request, data):
        data = dict(data)
        enterprise, year = data.pop("enterprise"), data.pop("year")
        return enterprise_year_save(user=request.user, enterprise=enterprise, year=year, data=data)

    def service_update(self, request, obj, data):
        return enterprise_year_update(user=request.user, record=obj, data=data)

    def service_delete(self, request, obj):
        enterprise_year_delete(user=request.user, record=obj)


@admin.register(models.Cultivation)
class CultivationAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    """The cultivation pool; a stage change to 已认定 renews the qualification as on the board."""

    list_display = ["enterprise", "year", "programme", "stage", "officer", "next_step_on"]
    list_filter = ["year", "programme", "stage"]
    list_select_related = ["enterprise", "programme", "officer"]
    search_fields = ["enterprise__name"]
    autocomplete_fields = ["enterprise"]
    readonly_fields = ["created_by"]

    def service_create(self, request, data):
        return cultivation_create(user=request.user, data=data)

    def service_update(self, request, obj, data):
        return cultivation_update(user=request.user, cultivation=obj, data=data)


@admin.register(models.CultivationTarget)
class CultivationTargetAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["bureau", "year", "programme", "target"]
    list_filter = ["year", "programme", "bureau"]
    list_select_related = ["bureau", "programme"]


@admin.register(models.ProjectMilestone)
class ProjectMilestoneAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Read-only here: dates are changed on the project page, where the project's stage follows them."""

    list_display = ["project", "kind", "planned_on", "actual_on"]
    list_filter = ["kind"]
    list_select_related = ["project"]
    search_fields = ["project__name"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in models.ProjectMilestone._meta.concrete_fields]

    def has_add_permission(self, request):
        return False


@admin.register(models.ProjectProgress)
class ProjectProgressAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["project", "month", "investment_month", "investment_total", "reported_by"]
    list_select_related = ["project", "reported_by"]
    search_fields = ["project__name"]


class CommissionerAssignmentInline(admin.TabularInline):
    model = models.CommissionerAssignment
    extra = 0
    autocomplete_fields = ["enterprise"]
    fields = ["enterprise", "starts_on", "ends_on", "goals"]


@admin.register(models.Commissioner)
class CommissionerAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "institution", "industry_chain", "is_active", "serves_until"]
    list_filter = ["is_active", "industry_chain"]
    search_fields = ["name", "institution", "expertise"]
    inlines = [CommissionerAssignmentInline]


@admin.register(models.CommissionerAssignment)
class CommissionerAssignmentAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["commissioner", "enterprise", "starts_on", "ends_on"]
    list_select_related = ["commissioner", "enterprise"]
    autocomplete_fields = ["enterprise"]
    search_fields = ["commissioner__name", "enterprise__name"]


@admin.register(models.ServiceLog)
class ServiceLogAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["assignment", "served_on", "days", "enterprise_rating"]
    list_select_related = ["assignment__commissioner", "assignment__enterprise"]

"""Django admin for every model: lists, filters, search, change history and spreadsheet import/export."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models as django_models
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from crm import models

admin.site.site_header = _("Enterprise Liaison CRM administration")
admin.site.site_title = _("Enterprise Liaison CRM")
admin.site.index_title = _("Administration")


def ledger_resources(kind: str) -> list:
    """The resources of crm/sheets/resources/, shared with import_sheet/export_sheet and /imports/."""
    from crm.sheets.resources import RESOURCES

    return [RESOURCES[kind]] if kind in RESOURCES else []


class LedgerAdmin(ImportExportModelAdmin, SimpleHistoryAdmin):
    """History and import/export for the ledgers (台账)."""

    ledger_kind = ""
    list_per_page = 50

    def get_resource_classes(self, request):
        return ledger_resources(self.ledger_kind) or super().get_resource_classes(request)

    def save_model(self, request, obj, form, change):
        if not change and hasattr(obj, "created_by_id") and not obj.created_by_id:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(models.User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "name", "bureau", "department", "email", "is_active", "is_staff"]
    list_filter = ["bureau", "groups", "is_active", "is_staff"]
    list_select_related = ["bureau", "department"]
    search_fields = ["username", "name", "email", "mobile"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Bureau"), {"fields": ("name", "bureau", "department", "mobile")}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("Bureau"), {"fields": ("name", "bureau", "department", "groups")}),
    )


@admin.register(models.Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "region"]
    list_filter = ["level"]
    search_fields = ["name"]


@admin.register(models.Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "bureau"]
    list_filter = ["bureau"]
    list_select_related = ["bureau"]
    search_fields = ["name"]


@admin.register(models.Region, models.IndustryChain, models.Qualification)
class ReferenceAdmin(ImportExportModelAdmin):
    list_display = ["code", "name", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["code", "name"]


class EnterpriseQualificationInline(admin.TabularInline):
    model = models.EnterpriseQualification
    extra = 0
    autocomplete_fields = ["qualification"]


class ContactInline(admin.TabularInline):
    model = models.Contact
    extra = 0
    fields = ["name", "title", "mobile", "email", "is_primary"]


@admin.register(models.Enterprise)
class EnterpriseAdmin(LedgerAdmin):
    ledger_kind = "enterprises"
    list_display = ["name", "credit_code", "region", "industry_chain", "is_linked", "is_assisted", "status"]
    list_filter = ["is_linked", "is_assisted", "status", "region", "industry_chain", "qualifications"]
    list_select_related = ["region", "industry_chain"]
    search_fields = ["name", "credit_code", "contacts__name"]
    autocomplete_fields = ["liaison_officers", "liaison_leader"]
    inlines = [EnterpriseQualificationInline, ContactInline]
    readonly_fields = ["created_at", "updated_at", "created_by"]


@admin.register(models.Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "enterprise", "title", "mobile", "is_primary"]
    list_select_related = ["enterprise"]
    search_fields = ["name", "mobile", "enterprise__name"]
    autocomplete_fields = ["enterprise"]


@admin.register(models.Project)
class ProjectAdmin(LedgerAdmin):
    ledger_kind = "projects"
    list_display = ["name", "enterprise", "region", "kind", "stage", "is_assisted", "status"]
    list_filter = ["is_assisted", "kind", "stage", "status", "region"]
    list_select_related = ["enterprise", "region"]
    search_fields = ["name", "enterprise__name"]
    autocomplete_fields = ["enterprise", "liaison_officers", "liaison_leader"]


class VisitAttachmentInline(admin.TabularInline):
    model = models.VisitAttachment
    extra = 0
    fields = ["file", "name", "content_type", "size"]
    readonly_fields = ["content_type", "size"]


@admin.register(models.Visit)
class VisitAdmin(LedgerAdmin):
    ledger_kind = "visits"
    list_display = ["code", "enterprise", "visited_on", "kind", "flag", "lead"]
    list_filter = ["flag", "kind", "visited_on"]
    list_select_related = ["enterprise", "lead"]
    search_fields = ["code", "enterprise__name", "q_needs", "q_difficulties", "q_suggestions"]
    date_hierarchy = "visited_on"
    autocomplete_fields = ["enterprise", "project", "lead", "officers"]
    inlines = [VisitAttachmentInline]


class NeedEventInline(admin.TabularInline):
    """Read-only: the timeline is append-only (DESIGN §4.1)."""

    model = models.NeedEvent
    extra = 0
    fields = ["created_at", "author", "kind", "from_status", "to_status", "text"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Need)
class NeedAdmin(LedgerAdmin):
    ledger_kind = "needs"
    list_display = ["code", "title", "enterprise", "project", "category", "urgency", "status", "due_on", "handler"]
    list_filter = ["status", "category", "urgency", "source", "bureau", "lead_department"]
    list_select_related = ["enterprise", "project", "handler"]
    search_fields = ["code", "title", "description", "enterprise__name", "project__name"]
    autocomplete_fields = ["enterprise", "project", "visit", "handler", "assisting_departments"]
    readonly_fields = ["version", "created_at", "updated_at", "created_by"]
    inlines = [NeedEventInline]


@admin.register(models.NeedEvent)
class NeedEventAdmin(admin.ModelAdmin):
    list_display = ["need", "kind", "from_status", "to_status", "author", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["need", "author"]
    search_fields = ["need__code", "text"]

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
class PolicyAdmin(LedgerAdmin):
    ledger_kind = "policies"
    list_display = ["title", "issuer", "level", "kind", "delivery", "apply_from", "apply_until", "is_active"]
    list_filter = ["level", "kind", "delivery", "is_active"]
    search_fields = ["title", "issuer", "doc_number", "keywords"]
    filter_horizontal = ["regions", "industry_chains", "required_qualifications"]
    formfield_overrides = {django_models.URLField: {"assume_scheme": "https"}}


@admin.register(models.PolicyMatch)
class PolicyMatchAdmin(LedgerAdmin):
    list_display = ["policy", "enterprise", "need", "score", "status", "pushed_at", "granted_amount"]
    list_filter = ["status"]
    list_select_related = ["policy", "enterprise", "need"]
    search_fields = ["policy__title", "enterprise__name"]
    autocomplete_fields = ["policy", "enterprise", "need"]


@admin.register(models.Offering)
class OfferingAdmin(LedgerAdmin):
    ledger_kind = "offerings"
    list_display = ["name", "department", "kind", "contact_name", "available_until", "is_active"]
    list_filter = ["kind", "is_active", "department"]
    list_select_related = ["department__bureau"]
    search_fields = ["name", "description"]


@admin.register(models.ActionItem)
class ActionItemAdmin(LedgerAdmin):
    ledger_kind = "action-items"
    list_display = ["code", "title", "enterprise", "owner", "department", "due_on", "status"]
    list_filter = ["status", "department"]
    list_select_related = ["enterprise", "owner", "department"]
    search_fields = ["code", "title", "enterprise__name"]
    autocomplete_fields = ["need", "project", "enterprise", "offering", "owner"]


@admin.register(models.Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "text", "created_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
    search_fields = ["text", "recipient__username"]


@admin.register(models.ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "user", "status", "created_at", "imported_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["user"]
    search_fields = ["original_name", "user__username"]
    readonly_fields = ["user", "kind", "file", "original_name", "size", "status", "result", "created_at", "imported_at"]

    def has_add_permission(self, request):
        return False

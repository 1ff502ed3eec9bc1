"""Web page URLs (namespace ``crm``), one block per domain."""

from django.urls import path

from crm.views import dashboard, enterprises, home, policies, projects, search
from crm.views import lists as action_lists
from crm.views import needs as need_views
from crm.views import notifications as notification_views
from crm.views import pickers as picker_views
from crm.views import portal as portal_views
from crm.views import programmes as programme_views
from crm.views import reports as report_views
from crm.views import routine as routine_views
from crm.views import visits as visit_views
from crm.views.exports import (
    ContactExportView,
    EnterpriseYearExportView,
    ExportJobDetailView,
    ExportJobDownloadView,
    ExportJobStatusView,
    ListExportView,
)
from crm.views.imports import ImportConfirmView, ImportPreviewView, ImportStatusView, ImportTemplateView, ImportView

app_name = "crm"

urlpatterns = [
    # 工作台 and global search
    path("", home.HomeView.as_view(), name="home"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("search/suggest/", search.SearchSuggestView.as_view(), name="search-suggest"),
    path("pickers/<slug:kind>/", picker_views.PickerOptionsView.as_view(), name="picker"),
    # Enterprises and their contacts
    path("enterprises/", enterprises.EnterpriseListView.as_view(), name="enterprise-list"),
    path("enterprises/new/", enterprises.EnterpriseCreateView.as_view(), name="enterprise-create"),
    path("enterprises/<int:pk>/", enterprises.EnterpriseDetailView.as_view(), name="enterprise-detail"),
    path("enterprises/<int:pk>/edit/", enterprises.EnterpriseUpdateView.as_view(), name="enterprise-update"),
    path(
        "enterprises/<int:pk>/suggestions/",
        enterprises.EnterpriseSuggestionsView.as_view(),
        name="enterprise-suggestions",
    ),
    path(
        "enterprises/<int:enterprise_pk>/contacts/new/",
        enterprises.ContactCreateView.as_view(),
        name="contact-create",
    ),
    path("contacts/<int:pk>/edit/", enterprises.ContactUpdateView.as_view(), name="contact-update"),
    path("contacts/export/", ContactExportView.as_view(), name="contact-export"),
    path("enterprises/years/export/", EnterpriseYearExportView.as_view(), name="enterpriseyear-export"),
    # Projects
    path("projects/", projects.ProjectListView.as_view(), name="project-list"),
    # Growth programmes (DESIGN §11.7): cultivation board, milestone lag lists, yearly figures, commissioners
    path("cultivation/", programme_views.CultivationBoardView.as_view(), name="cultivation-board"),
    path("cultivation/new/", programme_views.CultivationCreateView.as_view(), name="cultivation-create"),
    path("cultivation/<int:pk>/move/", programme_views.CultivationMoveView.as_view(), name="cultivation-move"),
    path("projects/milestones/", programme_views.MilestoneLagView.as_view(), name="milestone-lag"),
    path("projects/<int:pk>/milestones/", programme_views.ProjectMilestonesView.as_view(), name="project-milestones"),
    path("projects/<int:pk>/progress/", programme_views.ProjectProgressView.as_view(), name="project-progress"),
    path("enterprises/<int:pk>/years/", programme_views.EnterpriseYearView.as_view(), name="enterprise-year"),
    path("commissioners/", programme_views.CommissionerListView.as_view(), name="commissioner-list"),
    path("projects/new/", projects.ProjectCreateView.as_view(), name="project-create"),
    path("projects/<int:pk>/", projects.ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<int:pk>/edit/", projects.ProjectUpdateView.as_view(), name="project-update"),
    # Visits (visit-list, visit-create at visits/new/, visit-detail)
    path("visits/", visit_views.VisitListView.as_view(), name="visit-list"),
    path("visits/new/", visit_views.VisitCreateView.as_view(), name="visit-create"),
    # Visit plans, the personal calendar feed, activities, the user's own page (DESIGN §11.1, §11.2)
    path("visits/plans/", routine_views.VisitPlanListView.as_view(), name="visitplan-list"),
    path("visits/plans/new/", routine_views.VisitPlanCreateView.as_view(), name="visitplan-create"),
    path("visits/plans/<int:pk>/cancel/", routine_views.VisitPlanCancelView.as_view(), name="visitplan-cancel"),
    path("visits/calendar.ics", routine_views.CalendarFeedView.as_view(), name="visit-calendar"),
    path("activities/", routine_views.ActivityListView.as_view(), name="activity-list"),
    path("activities/new/", routine_views.ActivityCreateView.as_view(), name="activity-create"),
    path("activities/<int:pk>/", routine_views.ActivityDetailView.as_view(), name="activity-detail"),
    path("activities/<int:pk>/edit/", routine_views.ActivityUpdateView.as_view(), name="activity-update"),
    path(
        "activities/<int:pk>/attachments/<int:attachment_pk>/",
        routine_views.ActivityAttachmentView.as_view(),
        name="activity-attachment",
    ),
    path("me/", routine_views.AccountView.as_view(), name="account"),
    path("visits/<int:pk>/", visit_views.VisitDetailView.as_view(), name="visit-detail"),
    path("visits/<int:pk>/edit/", visit_views.VisitUpdateView.as_view(), name="visit-update"),
    path("visits/<int:pk>/print/", visit_views.VisitPrintView.as_view(), name="visit-print"),
    path(
        "visits/<int:pk>/attachments/<int:attachment_pk>/",
        visit_views.VisitAttachmentView.as_view(),
        name="visit-attachment",
    ),
    # Needs (need-list, need-detail)
    path("needs/", need_views.NeedListView.as_view(), name="need-list"),
    path("needs/new/", need_views.NeedCreateView.as_view(), name="need-create"),
    path("needs/<int:pk>/", need_views.NeedDetailView.as_view(), name="need-detail"),
    path("needs/<int:pk>/events/", need_views.NeedEventCreateView.as_view(), name="need-event-create"),
    path(
        "needs/extension-requests/<int:pk>/<slug:decision>/",
        need_views.ExtensionDecisionView.as_view(),
        name="extension-request-decide",
    ),
    path("needs/<int:pk>/<slug:verb>/", need_views.NeedTransitionView.as_view(), name="need-transition"),
    # Reports sent upward (DESIGN §11.6)
    path("reports/", report_views.ReportListView.as_view(), name="report-list"),
    path("reports/<int:pk>/", report_views.ReportDetailView.as_view(), name="report-detail"),
    path("reports/<int:pk>/download/", report_views.ReportDownloadView.as_view(), name="report-download"),
    path("reports/<int:pk>/regenerate/", report_views.ReportRegenerateView.as_view(), name="report-regenerate"),
    path("reports/<int:pk>/<slug:verb>/", report_views.ReportTransitionView.as_view(), name="report-transition"),
    # Notifications (the bell)
    path("notifications/", notification_views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/read-all/", notification_views.NotificationReadAllView.as_view(), name="notification-read-all"),
    path("notifications/<int:pk>/read/", notification_views.NotificationReadView.as_view(), name="notification-read"),
    # Policies (policy-list, policy-detail)
    path("policies/", policies.PolicyListView.as_view(), name="policy-list"),
    path("policies/new/", policies.PolicyCreateView.as_view(), name="policy-create"),
    path("policies/<int:pk>/", policies.PolicyDetailView.as_view(), name="policy-detail"),
    path("policies/<int:pk>/edit/", policies.PolicyUpdateView.as_view(), name="policy-update"),
    path("policies/<int:pk>/push/", policies.PolicyPushView.as_view(), name="policy-push"),
    path("policy-matches/<int:pk>/status/", policies.PolicyMatchStatusView.as_view(), name="policymatch-update"),
    # Resource list and action list (offering-list, actionitem-list)
    path("offerings/", action_lists.OfferingListView.as_view(), name="offering-list"),
    path("offerings/new/", action_lists.OfferingCreateView.as_view(), name="offering-create"),
    path("offerings/<int:pk>/edit/", action_lists.OfferingUpdateView.as_view(), name="offering-update"),
    path("action-items/", action_lists.ActionItemListView.as_view(), name="actionitem-list"),
    path("action-items/new/", action_lists.ActionItemCreateView.as_view(), name="actionitem-create"),
    path("action-items/<int:pk>/edit/", action_lists.ActionItemUpdateView.as_view(), name="actionitem-update"),
    # Imports/exports (import), notifications (notification-list), dashboard (dashboard)
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("imports/", ImportView.as_view(), name="import"),
    path("imports/template/<slug:kind>/", ImportTemplateView.as_view(), name="import-template"),
    path("imports/<int:pk>/", ImportPreviewView.as_view(), name="import-preview"),
    path("imports/<int:pk>/confirm/", ImportConfirmView.as_view(), name="import-confirm"),
    path("imports/<int:pk>/status/", ImportStatusView.as_view(), name="import-status"),
    # Exports too long for one request: prepared by a background task (progress page, status, the file).
    path("exports/<int:pk>/", ExportJobDetailView.as_view(), name="export-detail"),
    path("exports/<int:pk>/status/", ExportJobStatusView.as_view(), name="export-status"),
    path("exports/<int:pk>/download/", ExportJobDownloadView.as_view(), name="export-download"),
    # Ledger downloads: exactly what each list shows (its filters and scope), without the pagination.
    path(
        "enterprises/export/",
        ListExportView.as_view(kind="enterprises", list_view=enterprises.EnterpriseListView),
        name="enterprise-export",
    ),
    path(
        "projects/export/",
        ListExportView.as_view(kind="projects", list_view=projects.ProjectListView),
        name="project-export",
    ),
    path(
        "visits/export/",
        ListExportView.as_view(kind="visits", list_view=visit_views.VisitListView),
        name="visit-export",
    ),
    path("needs/export/", ListExportView.as_view(kind="needs", list_view=need_views.NeedListView), name="need-export"),
    path(
        "policies/export/",
        ListExportView.as_view(kind="policies", list_view=policies.PolicyListView),
        name="policy-export",
    ),
    path(
        "offerings/export/",
        ListExportView.as_view(kind="offerings", list_view=action_lists.OfferingListView),
        name="offering-export",
    ),
    path(
        "action-items/export/",
        ListExportView.as_view(kind="action-items", list_view=action_lists.ActionItemListView),
        name="actionitem-export",
    ),
    path(
        "activities/export/",
        ListExportView.as_view(kind="activities", list_view=routine_views.ActivityListView),
        name="activity-export",
    ),
    # The enterprise's own page (企业服务码, DESIGN §11.5): public, by token; and the staff's pages for its links.
    path("e/<str:token>/", portal_views.PortalHomeView.as_view(), name="portal-home"),
    path("e/<str:token>/needs/new/", portal_views.PortalNeedCreateView.as_view(), name="portal-need-create"),
    path("e/<str:token>/needs/<int:pk>/rate/", portal_views.PortalNeedRateView.as_view(), name="portal-need-rate"),
    path(
        "e/<str:token>/policies/<int:pk>/answer/",
        portal_views.PortalMatchAnswerView.as_view(),
        name="portal-match-answer",
    ),
    path("contacts/<int:pk>/access-links/", portal_views.AccessLinkListView.as_view(), name="contact-access-links"),
    path(
        "contacts/<int:pk>/access-links/new/",
        portal_views.AccessLinkCreateView.as_view(),
        name="contact-access-link-create",
    ),
    path(
        "contacts/<int:pk>/access-links/send/",
        portal_views.AccessLinkSendView.as_view(),
        name="contact-access-link-send",
    ),
    path("access-links/<int:pk>/revoke/", portal_views.AccessLinkRevokeView.as_view(), name="access-link-revoke"),
    path(
        "needs/<int:pk>/attachments/<int:attachment_pk>/",
        portal_views.NeedAttachmentView.as_view(),
        name="need-attachment",
    ),
]

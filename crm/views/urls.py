"""Web page URLs (namespace ``crm``). One block per area; add your lines inside your area's block."""

from django.urls import path

from crm.views import enterprises, home, policies, projects, search
from crm.views import lists as action_lists

urlpatterns = [
    # 工作台 and global search
    path("", home.HomeView.as_view(), name="home"),
    path("search/", search.SearchView.as_view(), name="search"),
    # Enterprises and their contacts
    path("enterprises/", enterprises.EnterpriseListView.as_view(), name="enterprise-list"),
    path("enterprises/new/", enterprises.EnterpriseCreateView.as_view(), name="enterprise-create"),
    path("enterprises/<int:pk>/", enterprises.EnterpriseDetailView.as_view(), name="enterprise-detail"),
    path("enterprises/<int:pk>/edit/", enterprises.EnterpriseUpdateView.as_view(), name="enterprise-update"),
    path(
        "enterprises/<int:enterprise_pk>/contacts/new/",
        enterprises.ContactCreateView.as_view(),
        name="contact-create",
    ),
    path("contacts/<int:pk>/edit/", enterprises.ContactUpdateView.as_view(), name="contact-update"),
    # Projects
    path("projects/", projects.ProjectListView.as_view(), name="project-list"),
    path("projects/new/", projects.ProjectCreateView.as_view(), name="project-create"),
    path("projects/<int:pk>/", projects.ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<int:pk>/edit/", projects.ProjectUpdateView.as_view(), name="project-update"),
    # Visits (visit-list, visit-create at visits/new/, visit-detail)
    # Needs (need-list, need-detail)
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
]

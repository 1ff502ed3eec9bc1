"""API routes: ``/api/v1/…`` (one DefaultRouter), the OpenAPI schema and the Swagger UI.

Other areas add their collection with one line next to the others:
``router.register("visits", VisitViewSet, basename="visits")`` (the basename is the path).
"""

from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import DefaultRouter

from crm.api import accounts, clock, dashboard, engagement, enterprises, lists, organisation, policies
from crm.api import portal as portal_api
from crm.api import programmes as programme_api
from crm.api import reports as reports_api
from crm.api import routine as routine_api
from crm.api import search as search_api

app_name = "api"

router = DefaultRouter()
router.include_format_suffixes = False
router.register("enterprises", enterprises.EnterpriseViewSet, basename="enterprises")
router.register("contacts", enterprises.ContactViewSet, basename="contacts")
router.register("projects", enterprises.ProjectViewSet, basename="projects")
router.register("bureaus", organisation.BureauViewSet, basename="bureaus")
router.register("departments", organisation.DepartmentViewSet, basename="departments")
router.register("regions", organisation.RegionViewSet, basename="regions")
router.register("industry-chains", organisation.IndustryChainViewSet, basename="industry-chains")
router.register("qualifications", organisation.QualificationViewSet, basename="qualifications")
router.register("policies", policies.PolicyViewSet, basename="policies")
router.register("policy-matches", policies.PolicyMatchViewSet, basename="policy-matches")
router.register("offerings", lists.OfferingViewSet, basename="offerings")
router.register("action-items", lists.ActionItemViewSet, basename="action-items")
router.register("visits", engagement.VisitViewSet, basename="visits")
router.register("needs", engagement.NeedViewSet, basename="needs")
router.register("notifications", engagement.NotificationViewSet, basename="notifications")
router.register("visit-plans", routine_api.VisitPlanViewSet, basename="visit-plans")
router.register("activities", routine_api.ActivityViewSet, basename="activities")
router.register("extension-requests", clock.ExtensionRequestViewSet, basename="extension-requests")
router.register("access-links", portal_api.AccessLinkViewSet, basename="access-links")
router.register("reports", reports_api.ReportViewSet, basename="reports")
router.register("enterprise-years", programme_api.EnterpriseYearViewSet, basename="enterprise-years")
router.register("cultivations", programme_api.CultivationViewSet, basename="cultivations")
router.register("cultivation-targets", programme_api.CultivationTargetViewSet, basename="cultivation-targets")
router.register("project-milestones", programme_api.ProjectMilestoneViewSet, basename="project-milestones")
router.register("project-progress", programme_api.ProjectProgressViewSet, basename="project-progress")
router.register("commissioners", programme_api.CommissionerViewSet, basename="commissioners")
router.register(
    "commissioner-assignments", programme_api.CommissionerAssignmentViewSet, basename="commissioner-assignments"
)
router.register("service-logs", programme_api.ServiceLogViewSet, basename="service-logs")

v1 = [
    path("auth/token/", accounts.TokenView.as_view(), name="token"),
    path("auth/token/revoke/", accounts.TokenRevokeView.as_view(), name="token-revoke"),
    path("me/", accounts.MeView.as_view(), name="me"),
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("cadence/", routine_api.CadenceView.as_view(), name="cadence"),
    path("search/", search_api.SearchView.as_view(), name="search"),
    path(
        "needs/<int:pk>/policy-suggestions/",
        policies.NeedPolicySuggestionsView.as_view(),
        name="need-policy-suggestions",
    ),
    path(
        "enterprises/<int:pk>/policy-suggestions/",
        policies.EnterprisePolicySuggestionsView.as_view(),
        name="enterprise-policy-suggestions",
    ),
    path("contacts/<int:pk>/access-links/", portal_api.ContactAccessLinksView.as_view(), name="contact-access-links"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("v1/", include(v1)),
    # Schema and docs for signed-in users only; the docs' script is a separate file (no inline script: CSP).
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    path(
        "docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="crm/api/swagger_ui.html")
        ),
        name="docs",
    ),
]

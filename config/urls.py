from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("crm.api.urls")),
    path("", include("crm.urls")),
]
# Under /api/ the error pages answer JSON (DESIGN §8.3); elsewhere Django's HTML pages.
handler400 = "crm.views.errors.api_aware_bad_request"
handler403 = "crm.views.errors.api_aware_permission_denied"
handler404 = "crm.views.errors.api_aware_page_not_found"
handler500 = "crm.views.errors.api_aware_server_error"
# No static(MEDIA_URL) route, in DEBUG neither: attachments are served by the scoped view crm:visit-attachment only.

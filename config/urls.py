from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from crm.views.accounts import LogoutView
from crm.views.health import healthz

# Accounts: log in, log out and change one's password. No self-service password reset by e-mail: accounts
# belong to bureau staff, many without an e-mail address, and the system administrator resets passwords
# (admin → users); an open reset form would only add an unthrottled, enumerable mail-sending endpoint.
accounts = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include(accounts)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("crm.api.urls")),
    path("", include("crm.urls")),
]
# Under /api/ the error pages answer JSON (DESIGN §8.3); elsewhere Django's HTML pages.
handler400 = "crm.views.errors.api_aware_bad_request"
handler403 = "crm.views.errors.api_aware_permission_denied"
handler404 = "crm.views.errors.api_aware_page_not_found"
handler500 = "crm.views.errors.api_aware_server_error"
# No static(MEDIA_URL) in DEBUG either: uploaded files are served only by the views that check scope.

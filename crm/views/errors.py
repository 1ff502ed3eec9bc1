"""The site's error pages: under /api/ they answer JSON (DESIGN §8.3), elsewhere HTML pages in the UI's language.

templates/500.html stands alone (no base.html, no context processors: whatever failed may fail again);
``csrf_failure`` (settings.CSRF_FAILURE_VIEW) replaces Django's raw "CSRF验证失败" page with one that explains a
session that expired while a form was open, keeps the typed input (the draft crm/static/crm/forms.js saved in the
browser) and links to log in and return to the form.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse, QueryDict
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import defaults


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _json_error(message, status: int) -> JsonResponse:
    return JsonResponse({"detail": str(message)}, status=status, json_dumps_params={"ensure_ascii": False})


def api_aware_bad_request(request, exception=None):
    if _is_api(request):
        return _json_error(_("Bad request."), 400)
    return defaults.bad_request(request, exception)


def api_aware_permission_denied(request, exception=None):
    if _is_api(request):
        return _json_error(_("You do not have permission to perform this action."), 403)
    return defaults.permission_denied(request, exception)


def api_aware_page_not_found(request, exception=None):
    if _is_api(request):
        return _json_error(_("Not found."), 404)
    return defaults.page_not_found(request, exception)


def api_aware_server_error(request):
    if _is_api(request):
        return _json_error(_("Server error."), 500)
    return defaults.server_error(request)


def _return_path(request) -> str:
    """Where the refused form was: the same-site page it was posted from, else the path it was posted to.

    A refused log-in form returns to the page the log-in was for (its ``next``), never to the log-in page itself.
    """
    referer = request.headers.get("referer", "")
    candidates = []
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        if parts.path == resolve_url(settings.LOGIN_URL):
            candidates.append(QueryDict(parts.query).get("next", ""))
        else:
            candidates.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    if request.path != resolve_url(settings.LOGIN_URL):
        candidates.append(request.get_full_path())
    for candidate in candidates:
        if candidate.startswith("/") and url_has_allowed_host_and_scheme(candidate, allowed_hosts=None):
            return candidate
    return resolve_url("crm:home")


def csrf_failure(request, reason: str = ""):
    """A refused POST (expired session, stale page, cookies off) in plain Chinese; nothing typed is lost."""
    if _is_api(request):
        return _json_error(_("CSRF verification failed: reload the page and try again."), 403)
    return_to = _return_path(request)
    context = {
        "return_to": return_to,
        "login_url": redirect_to_login(return_to)["Location"],
        "signed_in": request.user.is_authenticated,
        "no_cookie": reason == "CSRF cookie not set.",
        "reason": reason if settings.DEBUG else "",
    }
    return render(request, "403_csrf.html", context, status=403)

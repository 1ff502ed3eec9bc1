"""The site's error pages: under /api/ they answer JSON (DESIGN §8.3), elsewhere Django's HTML pages."""

from django.http import JsonResponse
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

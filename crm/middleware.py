"""Request middleware: Chinese first (the UI language is zh-hans unless the user picked another one with the
language switch), idle sessions end, signed-in answers are never cached, a full disk gets a clear answer."""

import errno
import logging
import time
from dataclasses import asdict
from functools import partial

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParser
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.datastructures import ImmutableList
from django.utils.translation import gettext_lazy as _

from crm.reference import request_scope
from crm.services.visits import UNNAMED_UPLOAD

logger = logging.getLogger(__name__)


class ReferenceVersionsMiddleware:
    """Each request reads the versions of the reference data at most once (crm/reference.py), as the first thing
    that needs them asks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_scope():
            return self.get_response(request)


class DefaultLanguageMiddleware:
    """Drop the browser's Accept-Language so LocaleMiddleware falls back to LANGUAGE_CODE.

    Officers' phones and office PCs often run English-language browsers; the bureau works in Chinese. The
    language cookie set by the switch (``/i18n/setlang/``) still wins, and API clients, which ask for a
    language on purpose, keep their Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


# The Content-Security-Policy headers as django-csp builds them from the settings, per (report-only, with a nonce):
# building one costs ~0.1-0.2 ms of CPU (a copy and sort of every directive), on every answer. A nonce goes in
# where the mark stands.
_POLICIES: dict[tuple[bool, bool], str] = {}
_NONCE_MARK = "\x00csp-nonce\x00"


@receiver(setting_changed)
def _policies_forget(*, setting, **kwargs):
    if setting in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        _POLICIES.clear()


def _policy(parts: PolicyParts, *, report_only: bool) -> str:
    """``build_policy(**asdict(parts), report_only=...)``; made once when the policy is the settings' own."""
    if parts.config is not None or parts.update is not None or parts.replace is not None:
        return build_policy(**asdict(parts), report_only=report_only)  # a view's own policy (csp decorators)
    key = (report_only, bool(parts.nonce))
    policy = _POLICIES.get(key)
    if policy is None:
        policy = _POLICIES[key] = build_policy(nonce=_NONCE_MARK if parts.nonce else None, report_only=report_only)
    return policy.replace(_NONCE_MARK, parts.nonce) if parts.nonce else policy


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's ``CSPMiddleware`` (4.0) whose headers come from ``_policy``: ``process_response`` is the
    library's, with its two ``build_policy`` calls replaced."""

    def process_response(self, request, response):
        if response.status_code in (500, 404) and settings.DEBUG:
            return response  # the debug pages (as the library)
        for report_only, header, exempt, setting in (
            (False, HEADER, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (True, HEADER_REPORT_ONLY, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            parts = self.get_policy_parts(request=request, response=response, report_only=report_only)
            policy = _policy(parts, report_only=report_only)
            if (
                policy
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(
                    tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ())
                )
            ):
                response[header] = policy
        # As the library: after the header is written, reading the nonce is an error.
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


class IdleSessionMiddleware:
    """Sessions end after ``SESSION_COOKIE_AGE`` seconds without a request (idle timeout).

    The session's expiry is counted from its last save; this renews it for a signed-in user at most once a
    minute (instead of ``SESSION_SAVE_EVERY_REQUEST``, which would write the session on every request).
    """

    RENEW_AFTER_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and not session.is_empty() and user is not None and user.is_authenticated:
            now = int(time.time())
            if now - session.get("_renewed_at", 0) >= self.RENEW_AFTER_SECONDS:
                session["_renewed_at"] = now  # marks the session modified: SessionMiddleware saves it
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every answer to a signed-in user (session or token): no shared or browser
    cache keeps personal data (contacts' mobiles, needs) after the user left the office PC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class DiskFullMiddleware:
    """A full disk answers 507 with a plain message (JSON under /api/) instead of a generic 500. The request's
    transaction has rolled back by then and the storage removed any partial file (crm.storage)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not (isinstance(exception, OSError) and exception.errno == errno.ENOSPC):
            return None
        logger.error("Disk full while answering %s", request.path)
        message = _("The server's disk is full: nothing was saved. Please tell the system administrator.")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": str(message)}, status=507, json_dumps_params={"ensure_ascii": False})
        return render(request, "507.html", {"message": message}, status=507)


class _NamedFilesParser(MultiPartParser):
    """Django drops a file part named ".", ".." or "/" (nothing left after sanitising) without a word; here it
    arrives as ``UNNAMED_UPLOAD`` (followed by "." or ".." to show in the message), which the attachment check
    refuses with a message instead of saving the form without it (the API has its own parser for the same)."""

    def sanitize_file_name(self, file_name):
        name = super().sanitize_file_name(file_name)
        if name:
            return name
        return UNNAMED_UPLOAD + (file_name if file_name in {".", ".."} else "")


def _parse_named(request, meta, post_data):
    # HttpRequest.parse_file_upload with the parser above.
    request.upload_handlers = ImmutableList(request.upload_handlers, warning="Upload handlers are set.")
    return _NamedFilesParser(meta, post_data, request.upload_handlers, request.encoding).parse()


class NamedUploadsMiddleware:
    """A form view with ``keeps_unnamed_uploads = True`` (the visit form) gets every file the browser sent, an
    unusable name included, so it can refuse it with a message. Listed before ``CsrfViewMiddleware``, whose
    ``process_view`` reads ``request.POST`` (and so parses the body) first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "view_class", None)
        if (
            request.method == "POST"
            and request.content_type == "multipart/form-data"
            and getattr(view_class, "keeps_unnamed_uploads", False)
        ):
            request.parse_file_upload = partial(_parse_named, request)

"""API authentication: ``Authorization: Token <key>`` tokens that expire (``API_TOKEN_TTL``), and the session."""

from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import SAFE_METHODS

from crm.services.accounts import token_is_expired


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication; a token older than ``API_TOKEN_TTL`` answers 401."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_is_expired(token=token):
            raise exceptions.AuthenticationFailed(_("Token has expired; request a new one."))
        return user, token


class SessionUserAuthentication(SessionAuthentication):
    """DRF's session authentication (CSRF enforced as before), answering the signed-in ``User`` itself rather than
    Django's lazy proxy of it (``request.user`` of ``AuthenticationMiddleware``): a view, a permission and every row
    of a list serializer read the user's attributes many times per request, each read through the proxy costing two
    more calls. DRF puts the answer back on the Django request, so both name the same object."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user, auth = found
        if isinstance(user, LazyObject) and user._wrapped is not empty:  # set up by ``is_active`` above
            user = user._wrapped
        return user, auth

    def enforce_csrf(self, request):
        # Django's CSRF check accepts GET, HEAD and OPTIONS unread (CsrfViewMiddleware.process_view): DRF's copy of
        # the middleware, made and run for every session request (~10 µs), is kept for the methods it can refuse.
        if request.method in SAFE_METHODS:
            return
        super().enforce_csrf(request)

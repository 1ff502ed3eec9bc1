"""API authentication: ``Authorization: Token <key>`` tokens that expire (``API_TOKEN_TTL``)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from crm.services.accounts import token_is_expired


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication; a token older than ``API_TOKEN_TTL`` answers 401."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_is_expired(token=token):
            raise exceptions.AuthenticationFailed(_("Token has expired; request a new one."))
        return user, token

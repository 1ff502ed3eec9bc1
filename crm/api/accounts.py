"""API of the accounts (DESIGN §8.3, §9.3): ``POST auth/token/`` exchanges credentials for a token (throttled,
and locked out by django-axes after repeated failures); ``POST auth/token/revoke/`` ends the caller's token;
``GET me/`` is the signed-in user. Tokens expire after ``API_TOKEN_TTL`` and end when the password changes."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.base import CrmModelSerializer, CrmSerializer
from crm.api.throttles import CrmAnonRateThrottle
from crm.models import User
from crm.services.accounts import token_issue, tokens_revoke
from crm.validators import validate_no_control_chars


class MeSerializer(CrmModelSerializer):
    """The signed-in user: ``bureau`` and ``department`` as ids, ``roles`` as role codes."""

    roles = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "bureau", "department", "roles"]
        read_only_fields = fields


class TokenRequestSerializer(CrmSerializer):
    """Credentials exchanged for an API token."""

    username = serializers.CharField(max_length=150, validators=[validate_no_control_chars])
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(CrmSerializer):
    """Send it as ``Authorization: Token <key>``."""

    token = serializers.CharField(read_only=True)


class LoginRateThrottle(CrmAnonRateThrottle):
    """Login attempts per client address, at the ``login`` rate (DESIGN §9.3). The address is the real one:
    ``X-Forwarded-For`` counts only behind ``DJANGO_TRUSTED_PROXY_COUNT`` proxies (DRF's ``NUM_PROXIES``)."""

    scope = "login"


class TokenView(APIView):
    """``POST {"username", "password"}`` → 200 ``{"token"}``; wrong credentials → 400."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to log in with the username and password given.")]}
            )
        return Response({"token": token_issue(user=user).key})


class TokenRevokeView(APIView):
    """``POST`` with the token (or a session): the caller's token ends now → 204."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        tokens_revoke(user=request.user)
        return Response(status=204)


class MeView(APIView):
    """The signed-in user."""

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(request.user).data)

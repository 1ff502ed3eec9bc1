"""API of the accounts (DESIGN §8.3, §9.3): ``POST auth/token/`` exchanges credentials for a token (throttled);
``GET me/`` is the signed-in user."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from crm.models import User
from crm.validators import validate_no_control_chars


class MeSerializer(serializers.ModelSerializer):
    """The signed-in user: ``bureau`` and ``department`` as ids, ``roles`` as role codes."""

    roles = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "bureau", "department", "roles"]
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer):
    """Credentials exchanged for an API token."""

    username = serializers.CharField(max_length=150, validators=[validate_no_control_chars])
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    """Send it as ``Authorization: Token <key>``."""

    token = serializers.CharField(read_only=True)


class LoginRateThrottle(AnonRateThrottle):
    """Login attempts per client address, at the ``login`` rate (DESIGN §9.3)."""

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
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(APIView):
    """The signed-in user."""

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(request.user).data)

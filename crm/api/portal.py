"""企业服务码 links in the API (DESIGN §11.5).

``GET /api/v1/contacts/<id>/access-links/`` lists a contact's links; ``POST`` makes one and answers 201 with its
``url`` — the only time the token is ever shown (``{"send_sms": true}`` also sends it to the contact's mobile).
``GET /api/v1/access-links/`` (``?contact=<id>``) lists the links in your scope, never with a token;
``DELETE /api/v1/access-links/<id>/`` revokes one (204). Out of scope: 404.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.base import CrmModelSerializer, CrmSerializer
from crm.api.pagination import one_value
from crm.models import Contact, EnterpriseAccess
from crm.selectors.portal import access_links
from crm.services.portal import access_link_create, access_link_revoke, access_link_send, access_link_url
from crm.validators import is_valid_id


class AccessLinkSerializer(CrmModelSerializer):
    """A service link without its token (only a fingerprint of it is stored)."""

    enterprise = serializers.IntegerField(source="contact.enterprise_id", read_only=True)
    contact_name = serializers.CharField(source="contact.name", read_only=True)
    created_by_name = serializers.StringRelatedField(source="created_by", read_only=True)
    is_live = serializers.BooleanField(read_only=True)

    class Meta:
        model = EnterpriseAccess
        fields = [
            "id",
            "contact",
            "contact_name",
            "enterprise",
            "created_at",
            "created_by",
            "created_by_name",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "printed",
            "is_live",
        ]
        read_only_fields = fields


class AccessLinkCreatedSerializer(AccessLinkSerializer):
    url = serializers.CharField(read_only=True, help_text=_("The link, shown this once."))

    class Meta(AccessLinkSerializer.Meta):
        fields = [*AccessLinkSerializer.Meta.fields, "url"]
        read_only_fields = fields


class AccessLinkCreateSerializer(CrmSerializer):
    expires_at = serializers.DateTimeField(required=False, help_text=_("Default: 180 days from now."))
    send_sms = serializers.BooleanField(required=False, default=False, help_text=_("Also send it by SMS."))


def _origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


class ContactAccessLinksView(APIView):
    """A contact's service links; POST makes a new one (its URL is in this answer only)."""

    permission_classes = [IsAuthenticated]
    serializer_class = AccessLinkSerializer

    def _contact(self, request, pk) -> Contact:
        return get_object_or_404(Contact.objects.visible_to(request.user).select_related("enterprise"), pk=pk)

    @extend_schema(responses={200: AccessLinkSerializer(many=True)})
    def get(self, request, pk: int):
        contact = self._contact(request, pk)
        return Response(AccessLinkSerializer(access_links(user=request.user, contact=contact), many=True).data)

    @extend_schema(request=AccessLinkCreateSerializer, responses={201: AccessLinkCreatedSerializer})
    def post(self, request, pk: int):
        contact = self._contact(request, pk)
        body = AccessLinkCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data["send_sms"]:
            if "expires_at" in body.validated_data:
                raise exceptions.ValidationError({"expires_at": [_("A link sent by SMS has the default expiry.")]})
            access, token = access_link_send(user=request.user, contact=contact, base=_origin(request))
        else:
            access, token = access_link_create(
                user=request.user, contact=contact, expires_at=body.validated_data.get("expires_at")
            )
        access.url = access_link_url(token=token, base=_origin(request))
        return Response(AccessLinkCreatedSerializer(access).data, status=status.HTTP_201_CREATED)


class AccessLinkViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Service links in your scope, newest first (no tokens); DELETE revokes one."""

    serializer_class = AccessLinkSerializer
    permission_classes = [IsAuthenticated]
    queryset = EnterpriseAccess.objects.none()
    filter_backends = []
    empty_query_values = ("contact",)  # empty: no filter (crm/api/schema.py)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return EnterpriseAccess.objects.none()
        links = access_links(user=self.request.user)
        contact = one_value(self.request, "contact")
        if contact:
            if not is_valid_id(contact):
                raise exceptions.ValidationError({"contact": [_("Give a contact id.")]})
            links = links.filter(contact_id=int(contact))
        return links

    @extend_schema(parameters=[OpenApiParameter("contact", OpenApiTypes.INT)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_destroy(self, instance):
        access_link_revoke(user=self.request.user, access=instance)

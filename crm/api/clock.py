"""The need clock (DESIGN §11.4) in the API: extension requests (延期申请) and their decisions.

``POST /api/v1/needs/<id>/extend/`` (crm/api/engagement.py) creates a request and answers 202 with it;
``GET /api/v1/extension-requests/`` lists the requests of the needs in your scope (``?status=pending``),
``POST …/<id>/approve/`` and ``…/<id>/refuse/`` (``note``) decide one: 403 for the requester or someone who
may not decide it, 409 once it is decided, 400 for a refusal without a reason.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from crm.api.base import CrmModelSerializer, CrmSerializer, ScopedLinksMixin, ScopedRelatedField
from crm.api.pagination import one_value
from crm.choices import ExtensionStatus
from crm.models import ExtensionRequest, Need
from crm.services.needs import extension_request_approve, extension_request_refuse


class ExtensionRequestSerializer(CrmModelSerializer):
    """A request to move a need's deadline and, once decided, the decision."""

    need = ScopedRelatedField(model=Need, read_only=True)
    need_code = serializers.CharField(source="need.code", read_only=True)
    requested_by_name = serializers.StringRelatedField(source="requested_by", read_only=True)
    decided_by_name = serializers.StringRelatedField(source="decided_by", read_only=True, allow_null=True)

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "need",
            "need_code",
            "previous_due_on",
            "requested_due_on",
            "reason",
            "status",
            "requested_by",
            "requested_by_name",
            "requested_at",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class ExtensionDecisionSerializer(CrmSerializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=_("Optional for an approval; the reason for a refusal."),
    )


class ExtensionRequestViewSet(
    ScopedLinksMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Extension requests of the needs in your scope, newest first; managers (leaders for a manager's own
    request) approve or refuse them."""

    serializer_class = ExtensionRequestSerializer
    permission_classes = [IsAuthenticated]
    queryset = ExtensionRequest.objects.none()  # for the schema; the real one is scoped per user
    filter_backends = []
    empty_query_values = ("status",)  # empty: no filter (crm/api/schema.py)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExtensionRequest.objects.none()
        queryset = (
            ExtensionRequest.objects.visible_to(self.request.user)
            .select_related("need", "requested_by", "decided_by")
            .order_by("-requested_at", "-id")
        )
        status = one_value(self.request, "status")
        if status:
            if status not in ExtensionStatus.values:
                raise exceptions.ValidationError({"status": [_("Choose pending, approved or refused.")]})
            queryset = queryset.filter(status=status)
        return queryset

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=ExtensionStatus.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _decide(self, request, service):
        extension = self.get_object()
        body = ExtensionDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        extension = service(request=extension, user=request.user, note=body.validated_data.get("note", ""))
        return Response(self.get_serializer(extension).data)

    @extend_schema(request=ExtensionDecisionSerializer, responses={200: ExtensionRequestSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve: the need's deadline moves to the requested date; its original deadline stays."""
        return self._decide(request, extension_request_approve)

    @extend_schema(request=ExtensionDecisionSerializer, responses={200: ExtensionRequestSerializer})
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        """Refuse with a reason (``note``): the deadline stays."""
        return self._decide(request, extension_request_refuse)

"""API of the bureau's routine (DESIGN §11.1, §11.2): ``cadence``, ``visit-plans`` and ``activities``.

- ``GET /api/v1/cadence/?person=<user id>&status=due|missed|met&role=officer|leader&region=<code>``: the cadence
  rows of the user's scope (paginated);
- ``visit-plans``: CRUD (no delete) plus ``POST /visit-plans/<id>/cancel/`` ``{"reason"}``;
- ``activities``: with ``participants`` (``[{"enterprise", "attendees"}]``) and, when creating, ``needs``
  (``[{"enterprise", "category", "title", "description", "urgency"}]``) in one transaction.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from crm.api.base import (
    CODE_SCHEMA_PATTERN,
    CodeRelatedField,
    CrmModelSerializer,
    CrmSerializer,
    ScopedModelViewSet,
    ScopedRelatedField,
    UserRelatedField,
)
from crm.api.pagination import PageNumberPagination
from crm.choices import CadenceRole, CadenceStatus, NeedCategory, Urgency
from crm.filtersets import ActivityFilterSet, VisitPlanFilterSet
from crm.models import Activity, ActivityParticipant, Bureau, Enterprise, Need, Region, User, VisitPlan
from crm.selectors.cadence import cadence_query
from crm.services.activities import activity_create, activity_update
from crm.services.plans import visit_plan_cancel, visit_plan_create, visit_plan_update
from crm.validators import MAX_ID

# ---------------------------------------------------------------------------------------------------- cadence


class CadenceRowSerializer(CrmSerializer):
    """One (enterprise, liaison person) in the current period."""

    enterprise = serializers.IntegerField(source="enterprise_id")
    enterprise_name = serializers.CharField()
    person = serializers.IntegerField(source="person_id")
    role = serializers.ChoiceField(choices=CadenceRole.choices)
    tier = serializers.CharField()
    period = serializers.CharField(source="period_label", help_text="e.g. 2026-12 or 2026Q4")
    period_kind = serializers.CharField(source="period")
    required = serializers.IntegerField()
    done = serializers.IntegerField()
    remaining = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CadenceStatus.choices)
    due_by = serializers.DateField()


class CadenceQuerySerializer(CrmSerializer):
    person = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=CadenceStatus.choices, required=False)
    role = serializers.ChoiceField(choices=CadenceRole.choices, required=False)
    region = CodeRelatedField(queryset=Region.objects.all(), required=False)


class CadenceView(GenericAPIView):
    """The visit cadence (§11.1) of every enterprise and liaison person in your scope, soonest ``due_by`` first."""

    permission_classes = [IsAuthenticated]
    pagination_class = PageNumberPagination
    serializer_class = CadenceRowSerializer
    # Rows are (enterprise, person) pairs built by the cadence selector; the queryset only names the model for
    # the schema generator, which otherwise warns.
    queryset = Enterprise.objects.none()
    empty_query_values = ("person", "status", "role", "region")  # empty: no filter (crm/api/schema.py)

    @extend_schema(
        parameters=[
            OpenApiParameter("person", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, description="user id"),
            OpenApiParameter("status", str, enum=CadenceStatus.values),
            OpenApiParameter("role", str, enum=CadenceRole.values),
            OpenApiParameter("region", str, pattern=CODE_SCHEMA_PATTERN, description="a region code"),
        ],
        responses=CadenceRowSerializer(many=True),
    )
    def get(self, request):
        query = CadenceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        rows = cadence_query(
            user=request.user,
            person=params.get("person"),
            status=params.get("status"),
            role=params.get("role"),
            region=params["region"].code if params.get("region") else None,
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# ------------------------------------------------------------------------------------------------ visit plans


class VisitPlanSerializer(CrmModelSerializer):
    """A planned visit (走访计划); ``status`` changes by a visit (done) or ``cancel``."""

    enterprise = ScopedRelatedField(queryset=Enterprise.objects.all())
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    lead = UserRelatedField(required=False, allow_null=True)
    officers = UserRelatedField(many=True, required=False)
    visit = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    source_visit = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = VisitPlan
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "planned_on",
            "lead",
            "officers",
            "purpose",
            "status",
            "visit",
            "source_visit",
            "cancel_reason",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "cancel_reason"]


class CancelSerializer(CrmSerializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


def _plan_create(*, user, data):
    return visit_plan_create(user=user, **data)


def _plan_update(*, user, data, visitplan):
    return visit_plan_update(plan=visitplan, user=user, **data)


class VisitPlanViewSet(ScopedModelViewSet):
    """Planned visits in your scope; a visit by one of its people within 7 days of the date fulfils a plan."""

    model = VisitPlan
    serializer_class = VisitPlanSerializer
    filterset_class = VisitPlanFilterSet
    select_related = ("enterprise",)
    prefetch_related = (Prefetch("officers", queryset=User.objects.only("id")),)
    create_service = staticmethod(_plan_create)
    update_service = staticmethod(_plan_update)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @extend_schema(request=CancelSerializer, responses=VisitPlanSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a planned visit with a reason (400 without one)."""
        plan = self.get_object()
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        plan = visit_plan_cancel(plan=plan, user=request.user, reason=body.validated_data["reason"])
        return Response(self.get_serializer(plan).data)


# ------------------------------------------------------------------------------------------------- activities


class ParticipantSerializer(CrmSerializer):
    enterprise = ScopedRelatedField(queryset=Enterprise.objects.all())
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    attendees = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ActivityNeedSerializer(CrmSerializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    enterprise = ScopedRelatedField(queryset=Enterprise.objects.all())
    category = serializers.ChoiceField(choices=NeedCategory.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.NORMAL)
    status = serializers.CharField(read_only=True)


class ActivitySerializer(CrmModelSerializer):
    """A symposium, joint research trip, briefing … with its participants and the needs raised there."""

    bureaus = serializers.PrimaryKeyRelatedField(many=True, queryset=Bureau.objects.all(), required=False)
    lead = UserRelatedField(required=False, allow_null=True)
    officers = UserRelatedField(many=True, required=False)
    participants = ParticipantSerializer(many=True)
    needs = ActivityNeedSerializer(many=True, required=False, help_text=_("Needs raised (only when creating)."))
    counts_as_visit = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=_("Default: true for joint research.")
    )

    class Meta:
        model = Activity
        fields = [
            "id",
            "code",
            "kind",
            "title",
            "held_on",
            "place",
            "bureau",
            "bureaus",
            "lead",
            "officers",
            "participants",
            "summary",
            "counts_as_visit",
            "needs",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["code", "bureau"]

    def validate(self, attrs):
        if self.instance is not None and "needs" in attrs:
            raise serializers.ValidationError({"needs": [_("Needs are added with the activity or on their own.")]})
        return attrs


def _activity_create(*, user, data):
    return activity_create(user=user, **data)


def _activity_update(*, user, data, activity):
    if data.get("counts_as_visit") is None:
        data.pop("counts_as_visit", None)
    return activity_update(activity=activity, user=user, **data)


class ActivityViewSet(ScopedModelViewSet):
    """Activities in your scope (an enterprise of your county takes part, or your bureau organised or joined)."""

    model = Activity
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilterSet
    prefetch_related = (
        "bureaus",
        Prefetch("officers", queryset=User.objects.only("id")),
        Prefetch("participants", queryset=ActivityParticipant.objects.select_related("enterprise").order_by("id")),
        Prefetch("needs", queryset=Need.objects.order_by("id")),
    )
    create_service = staticmethod(_activity_create)
    update_service = staticmethod(_activity_update)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

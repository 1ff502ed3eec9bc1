"""API of policy matching (DESIGN §8.3, §4.3).

- ``policies`` (managers write, everyone reads), with ``policies/<id>/eligible-enterprises/`` (paginated,
  each enterprise as in the enterprises list) and ``policies/<id>/push/`` (managers; idempotent);
- ``policy-matches``: list/read; ``POST`` pushes one policy to one enterprise; ``PATCH`` follows the outcome
  (``status``, ``granted_amount``, ``note``);
- ``needs/<id>/policy-suggestions/`` and ``enterprises/<id>/policy-suggestions/``: eligible policies with an
  open window, ranked, each with ``policy``, ``score`` and ``reasons`` (paginated like every list).
"""

from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.base import (
    CodeRelatedField,
    CrmModelSerializer,
    CrmSerializer,
    IdRelatedField,
    NeedCategoriesField,
    ScopedModelViewSet,
    ScopedRelatedField,
)
from crm.api.enterprises import ENTERPRISE_PREFETCH, EnterpriseSerializer
from crm.api.pagination import PageNumberPagination
from crm.filtersets import EnterpriseFilterSet, PolicyFilterSet, PolicyMatchFilterSet
from crm.models import Department, Enterprise, IndustryChain, Need, Policy, PolicyMatch, Qualification, Region
from crm.paginator import PreparedRowsPaginator
from crm.permissions import is_manager
from crm.selectors import matching
from crm.services.policies import (
    match_next_statuses,
    policy_create,
    policy_delete,
    policy_match_update_status,
    policy_push,
    policy_update,
)
from crm.validators import MAX_ID

# ---------------------------------------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------------------------------------


class PolicySerializer(CrmModelSerializer):
    """A policy with its structured eligibility (every criterion optional: empty means no restriction)."""

    department = IdRelatedField(queryset=Department.objects.all(), required=False, allow_null=True)
    department_name = serializers.CharField(source="department.name", read_only=True, allow_null=True, default=None)
    need_categories = NeedCategoriesField()
    regions = CodeRelatedField(many=True, queryset=Region.objects.all(), required=False)
    industry_chains = CodeRelatedField(many=True, queryset=IndustryChain.objects.all(), required=False)
    required_qualifications = CodeRelatedField(many=True, queryset=Qualification.objects.all(), required=False)
    is_expired = serializers.BooleanField(read_only=True)
    closes_soon = serializers.BooleanField(read_only=True)
    window_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Policy
        fields = [
            "id",
            "title",
            "issuer",
            "doc_number",
            "level",
            "kind",
            "delivery",
            "published_on",
            "apply_from",
            "apply_until",
            "is_expired",
            "closes_soon",
            "window_open",
            "summary",
            "conditions_text",
            "support_text",
            "max_amount",
            "department",
            "department_name",
            "url",
            "need_categories",
            "keywords",
            "is_active",
            "regions",
            "industry_chains",
            "required_qualifications",
            "min_employees",
            "max_employees",
            "min_revenue",
            "max_revenue",
            "min_rd_expense",
            "min_rd_ratio",
            "min_years_established",
            "linked_only",
            "created_by",
            "created_at",
            "updated_at",
        ]


class EligibleQuerySerializer(CrmSerializer):
    include_expired = serializers.BooleanField(required=False, default=False)


class ReasonSerializer(CrmSerializer):
    """One criterion: passed or failed with the enterprise's value; scored reasons carry their ``points``."""

    criterion = serializers.CharField()
    name = serializers.CharField()
    passed = serializers.BooleanField()
    detail = serializers.CharField()
    points = serializers.IntegerField(allow_null=True)


class PolicyMatchSerializer(CrmModelSerializer):
    """A policy pushed to an enterprise (perhaps for one need), followed to its outcome."""

    policy = IdRelatedField(queryset=Policy.objects.all())
    policy_title = serializers.CharField(source="policy.title", read_only=True)
    enterprise = ScopedRelatedField(queryset=Enterprise.objects.all())
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    need = ScopedRelatedField(queryset=Need.objects.all(), required=False, allow_null=True)
    need_code = serializers.CharField(source="need.code", read_only=True, allow_null=True, default=None)
    reasons = ReasonSerializer(many=True, read_only=True)
    pushed_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    next_statuses = serializers.SerializerMethodField()

    class Meta:
        model = PolicyMatch
        fields = [
            "id",
            "policy",
            "policy_title",
            "enterprise",
            "enterprise_name",
            "need",
            "need_code",
            "score",
            "reasons",
            "status",
            "next_statuses",
            "pushed_by",
            "pushed_at",
            "granted_amount",
            "note",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["score", "pushed_at"]
        # A pair pushed again is answered by the (idempotent) push, not refused as a duplicate.
        validators = []

    def get_next_statuses(self, obj) -> list[str]:
        return match_next_statuses(obj)


class SuggestionSerializer(CrmSerializer):
    """A policy suggested for an enterprise or need: ``score`` 0–100 and every ``reason`` behind it."""

    policy = serializers.IntegerField(source="policy.pk")
    policy_title = serializers.CharField(source="policy.title")
    level = serializers.CharField(source="policy.level")
    kind = serializers.CharField(source="policy.kind")
    apply_until = serializers.DateField(source="policy.apply_until", allow_null=True)
    closes_soon = serializers.BooleanField(source="policy.closes_soon")
    max_amount = serializers.DecimalField(source="policy.max_amount", max_digits=14, decimal_places=2, allow_null=True)
    score = serializers.IntegerField()
    category_match = serializers.BooleanField()
    reasons = ReasonSerializer(many=True)
    match = serializers.IntegerField(source="match.pk", allow_null=True, default=None)
    match_status = serializers.CharField(allow_null=True)


class PushRequestSerializer(CrmSerializer):
    enterprises = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), allow_empty=False, max_length=1000
    )
    need = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PushResultSerializer(CrmSerializer):
    created = serializers.IntegerField()
    pushed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    matches = PolicyMatchSerializer(many=True)


# ---------------------------------------------------------------------------------------------------------
# Viewsets
# ---------------------------------------------------------------------------------------------------------


def _push_response(result, request):
    data = {
        "created": len(result.created),
        "pushed": len(result.pushed),
        "unchanged": len(result.unchanged),
        "matches": PolicyMatchSerializer(result.matches, many=True, context={"request": request}).data,
    }
    return Response(data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


def _resolve_need(request, need_id):
    if need_id is None:
        return None
    need = Need.objects.visible_to(request.user).select_related("enterprise", "project").filter(pk=need_id).first()
    if need is None:
        raise exceptions.ValidationError({"need": [_("This need does not exist or is outside your scope.")]})
    return need


class EligibleEnterprisesPaginator(PreparedRowsPaginator):
    """The eligible enterprises' pages, counted by ``matching.eligible_count`` (a policy without criteria: all
    enterprises less those gone, not a test of every row's status)."""

    @cached_property
    def count(self) -> int:
        return matching.eligible_count(self.object_list)


class EligibleEnterprisesPagination(PageNumberPagination):
    django_paginator_class = EligibleEnterprisesPaginator


class PolicyViewSet(ScopedModelViewSet):
    """The policy library (惠企政策): managers write, everyone reads."""

    model = Policy
    serializer_class = PolicySerializer
    empty_query_values = ("include_expired",)  # empty: not included (crm/api/schema.py)
    filterset_class = PolicyFilterSet
    select_related = ("department",)
    prefetch_related = matching.POLICY_PREFETCH
    create_service = staticmethod(policy_create)
    update_service = staticmethod(policy_update)
    delete_service = staticmethod(lambda *, user, instance: policy_delete(user=user, policy=instance))

    @extend_schema(
        responses={200: EnterpriseSerializer(many=True)},
        parameters=[
            OpenApiParameter("include_expired", bool, description="List them even when the window has closed."),
        ],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="eligible-enterprises",
        filterset_class=None,
        pagination_class=EligibleEnterprisesPagination,
        # The criteria are read by ``matching.criteria_of`` in one statement, not prefetched in three.
        prefetch_related=(),
    )
    def eligible_enterprises(self, request, pk=None):
        """Enterprises in your scope meeting the policy's criteria: one query, linked and assisted first."""
        policy = self.get_object()
        query = EligibleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        include_expired = query.validated_data["include_expired"]
        queryset = matching.policy_eligible_enterprises(
            policy=policy, user=request.user, include_expired=include_expired
        )
        filterset = EnterpriseFilterSet(request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        queryset = filterset.qs.select_related("region", "industry_chain").prefetch_related(*ENTERPRISE_PREFETCH)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(EnterpriseSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=PushRequestSerializer, responses={200: PushResultSerializer, 201: PushResultSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def push(self, request, pk=None):
        """Push the policy to enterprises (managers): idempotent, all or nothing; 201 when a match was created."""
        policy = self.get_object()
        if not is_manager(request.user):
            raise exceptions.PermissionDenied(_("Only managers push policies."))
        body = PushRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        need = _resolve_need(request, body.validated_data.get("need"))
        result = policy_push(
            user=request.user,
            policy=policy,
            enterprises=body.validated_data["enterprises"],
            need=need,
            note=body.validated_data.get("note", ""),
        )
        return _push_response(result, request)


class PolicyMatchViewSet(ScopedModelViewSet):
    """Policy pushes and their outcome: ``POST`` pushes one pair, ``PATCH`` moves the status (managers)."""

    model = PolicyMatch
    serializer_class = PolicyMatchSerializer
    filterset_class = PolicyMatchFilterSet
    select_related = ("policy", "enterprise", "need")
    list_related_only = ("policy__title", "policy__delivery", "enterprise__name", "need__code")  # next_statuses
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = policy_push(
            user=request.user,
            policy=data["policy"],
            enterprises=[data["enterprise"]],
            need=data.get("need"),
            note=data.get("note", ""),
        )
        match = result.matches[0]
        body = self.get_serializer(match).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    def perform_update(self, serializer):
        data = serializer.validated_data
        kwargs = {"status": data.get("status"), "note": data.get("note")}
        if "granted_amount" in data:
            kwargs["granted_amount"] = data["granted_amount"]
        serializer.instance = policy_match_update_status(user=self.request.user, match=serializer.instance, **kwargs)


# ---------------------------------------------------------------------------------------------------------
# Suggestions
# ---------------------------------------------------------------------------------------------------------


class SuggestionListView(APIView):
    pagination_class = PageNumberPagination

    def respond(self, request, suggestions):
        # Ranked without explanations; only the page shown is explained (a constant number of queries).
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(suggestions, request, view=self)
        matching.complete_suggestions(page)
        return paginator.get_paginated_response(SuggestionSerializer(page, many=True).data)


class NeedPolicySuggestionsView(SuggestionListView):
    """Eligible policies with an open window for the need's enterprise, the need's own category first."""

    @extend_schema(responses={200: SuggestionSerializer(many=True)})
    def get(self, request, pk: int):
        need = get_object_or_404(
            Need.objects.visible_to(request.user).select_related(
                "enterprise__region", "enterprise__industry_chain", "project__enterprise"
            ),
            pk=pk,
        )
        return self.respond(request, matching.need_policy_suggestions(need=need, user=request.user, explain=False))


class EnterprisePolicySuggestionsView(SuggestionListView):
    """Eligible policies with an open window for the enterprise, ranked against its open needs."""

    @extend_schema(responses={200: SuggestionSerializer(many=True)})
    def get(self, request, pk: int):
        enterprise = get_object_or_404(
            Enterprise.objects.visible_to(request.user).select_related("region", "industry_chain"), pk=pk
        )
        return self.respond(request, matching.enterprise_policy_suggestions(enterprise=enterprise, explain=False))

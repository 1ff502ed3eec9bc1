"""``GET /api/v1/search/?q=…`` (DESIGN §8.3): the global search, grouped by kind, scoped to the caller.

``{"enterprises": [...], "contacts": [...], "projects": [...], "visits": [...], "needs": [...],
"action_items": [...], "activities": [...], "policies": [...]}``, each item ``{"id", "code", "title", "url"}``
(``code`` null for the kinds without one), newest first, at most ``limit`` (default 20, at most 50) per kind.
An empty ``q`` answers every group empty; ``crm.selectors.search`` documents the matching.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.base import CrmSerializer
from crm.selectors.search import KIND_KEYS, MAX_QUERY_LENGTH, SEARCH_LIMIT, search_items
from crm.validators import validate_no_control_chars

DEFAULT_LIMIT = 20


class SearchQuerySerializer(CrmSerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY_LENGTH,
        validators=[validate_no_control_chars],
        help_text=_("Words (all must match): names, titles, codes, credit codes, mobiles, document numbers."),
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=SEARCH_LIMIT, default=DEFAULT_LIMIT)


class SearchItemSerializer(CrmSerializer):
    id = serializers.IntegerField()
    code = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    url = serializers.CharField()


SearchResultSerializer = type(
    "SearchResultSerializer",
    (CrmSerializer,),
    {key: SearchItemSerializer(many=True) for key in KIND_KEYS},
)


class SearchView(APIView):
    """The global search of the navbar, as JSON."""

    @extend_schema(parameters=[SearchQuerySerializer], responses=SearchResultSerializer)
    def get(self, request):
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return Response(search_items(user=request.user, query=data.get("q", ""), limit=data["limit"]))

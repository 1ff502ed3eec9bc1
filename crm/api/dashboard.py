"""``GET /api/v1/dashboard/``: the KPIs of DESIGN §8.5 for the signed-in user's scope.

The answer is ``crm.selectors.dashboard.dashboard_kpis`` rendered through ``DashboardSerializer`` (and kept with
them: ``dashboard_shown``), which also documents it in the OpenAPI schema. Rates are percentages (number, one
decimal, null when there is nothing to divide by); money is a decimal string with two places (万元);
dates are ISO strings.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.base import CODE_SCHEMA_PATTERN, CodeRelatedField, CrmSerializer
from crm.api.pagination import one_value
from crm.models import Region
from crm.selectors.dashboard import PeriodError, dashboard_shown, period_parse


class DashboardPeriodSerializer(CrmSerializer):
    quarter = serializers.CharField(help_text="The period asked for, e.g. 2026Q4 (kept for older clients).")
    quarter_start = serializers.DateField()
    year_start = serializers.DateField()
    label = serializers.CharField(help_text="2026Q4, 2026-11 or 2026")
    start = serializers.DateField()
    end = serializers.DateField()
    region = serializers.CharField(allow_null=True)


class DashboardLiaisonSerializer(CrmSerializer):
    person_id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField(help_text="officer or leader")
    enterprises = serializers.IntegerField()
    required = serializers.IntegerField(help_text="Visits the cadence rules ask for in the current periods.")
    done = serializers.IntegerField(help_text="Of those, made (at most the required number per enterprise).")
    percent = serializers.FloatField(allow_null=True)
    met = serializers.IntegerField()
    due = serializers.IntegerField()
    missed = serializers.IntegerField()


class DashboardBriefSerializer(CrmSerializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()


class DashboardRedFlagSerializer(CrmSerializer):
    enterprise = serializers.IntegerField()
    enterprise_name = serializers.CharField()
    flag = serializers.CharField()
    visit = serializers.IntegerField()
    visit_code = serializers.CharField()
    visited_on = serializers.DateField()
    note = serializers.CharField()
    needs = DashboardBriefSerializer(many=True)
    actions = DashboardBriefSerializer(many=True)


class DashboardCoverageSerializer(CrmSerializer):
    total = serializers.IntegerField(help_text="Linked or assisted operating enterprises.")
    visited = serializers.IntegerField(help_text="Of those, visited at least once this quarter.")
    percent = serializers.FloatField(allow_null=True)


class DashboardStaleEnterpriseSerializer(CrmSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    region = serializers.CharField()
    region_name = serializers.CharField()
    is_linked = serializers.BooleanField()
    is_assisted = serializers.BooleanField()
    last_visit = serializers.DateField(allow_null=True)
    days_since = serializers.IntegerField(allow_null=True)


class DashboardNotVisitedSerializer(CrmSerializer):
    days = serializers.IntegerField()
    count = serializers.IntegerField()
    enterprises = DashboardStaleEnterpriseSerializer(
        many=True, help_text="The first 10, longest without a visit first."
    )


class DashboardStatusCountSerializer(CrmSerializer):
    status = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class DashboardCategoryCountSerializer(CrmSerializer):
    category = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class DashboardNeedsSerializer(CrmSerializer):
    total = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    by_status = DashboardStatusCountSerializer(many=True)
    by_category = DashboardCategoryCountSerializer(many=True)


class DashboardOnTimeSerializer(CrmSerializer):
    closed = serializers.IntegerField(help_text="Closed needs with a deadline.")
    on_time = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class DashboardAnswerDaysSerializer(CrmSerializer):
    answered = serializers.IntegerField(help_text="Needs answered this year.")
    average = serializers.FloatField(allow_null=True, help_text="Working days from assignment to answer.")


class DashboardRatingSplitSerializer(CrmSerializer):
    rated = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class DashboardSatisfactionSerializer(CrmSerializer):
    rated = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    basically_satisfied = serializers.IntegerField()
    unsatisfied = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True, help_text="(satisfied + basically satisfied) / rated.")
    enterprise = DashboardRatingSplitSerializer(help_text="The enterprises' own ratings (企业服务码).")
    staff = DashboardRatingSplitSerializer(help_text="Ratings recorded by staff (return visits).")


class DashboardPoliciesSerializer(CrmSerializer):
    pushed = serializers.IntegerField()
    applying = serializers.IntegerField()
    granted = serializers.IntegerField()
    granted_amount = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="万元")


class DashboardOfficerSerializer(CrmSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    visits = serializers.IntegerField(help_text="Visits this quarter as lead or member.")
    needs_raised = serializers.IntegerField(help_text="Needs recorded this quarter.")
    actions_open = serializers.IntegerField()
    actions_overdue = serializers.IntegerField()


class DashboardCountySerializer(CrmSerializer):
    region = serializers.CharField()
    name = serializers.CharField()
    enterprises = serializers.IntegerField()
    visits = serializers.IntegerField(help_text="Visits this quarter.")
    open_needs = serializers.IntegerField()
    overdue_needs = serializers.IntegerField()


class DashboardCategorySeriesSerializer(CrmSerializer):
    categories = serializers.ListField(child=serializers.CharField())
    labels = serializers.ListField(child=serializers.CharField())
    data = serializers.ListField(child=serializers.IntegerField())


class DashboardMonthSeriesSerializer(CrmSerializer):
    labels = serializers.ListField(child=serializers.CharField(), help_text="YYYY-MM, the last 12 months.")
    data = serializers.ListField(child=serializers.IntegerField())


class DashboardFunnelSerializer(CrmSerializer):
    stages = serializers.ListField(child=serializers.CharField())
    labels = serializers.ListField(child=serializers.CharField())
    data = serializers.ListField(child=serializers.IntegerField(), help_text="Needs that reached each stage.")


class DashboardChartsSerializer(CrmSerializer):
    needs_by_category = DashboardCategorySeriesSerializer()
    visits_per_month = DashboardMonthSeriesSerializer()
    need_funnel = DashboardFunnelSerializer()


class DashboardRateSerializer(CrmSerializer):
    count = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class DashboardClockSerializer(CrmSerializer):
    """The need clock (DESIGN §11.4); see ``crm.selectors.dashboard.need_clock_kpis``."""

    accepted_on_time = DashboardRateSerializer(help_text="及时受理率: accepted by accept_due_on.")
    closed_on_time_original = DashboardRateSerializer(help_text="按期办结率 against original_due_on.")
    closed_on_time_extended = DashboardRateSerializer(help_text="按期办结率 against the extended due_on.")
    extended = DashboardRateSerializer(help_text="延期率: needs with an approved extension.")
    answer_days = DashboardAnswerDaysSerializer(help_text="Working days from creation to answer.")


class DashboardTargetSerializer(CrmSerializer):
    bureau_id = serializers.IntegerField()
    bureau = serializers.CharField()
    region = serializers.CharField(allow_null=True, help_text="The county's region; null for the city's target.")
    programme_code = serializers.CharField()
    programme = serializers.CharField()
    target = serializers.IntegerField()
    certified = serializers.IntegerField()
    pipeline = serializers.IntegerField(help_text="Still on the way (candidate … publicised).")
    failed = serializers.IntegerField()
    percent = serializers.IntegerField(allow_null=True)
    gap = serializers.IntegerField()


class DashboardProjectRatesSerializer(CrmSerializer):
    signed = serializers.IntegerField()
    started = serializers.IntegerField()
    start_rate = serializers.FloatField(allow_null=True, help_text="开工率, %")
    planned_investment = serializers.DecimalField(max_digits=16, decimal_places=2)
    investment_done = serializers.DecimalField(max_digits=16, decimal_places=2)
    investment_rate = serializers.FloatField(allow_null=True, help_text="投资完成率, %")


class DashboardLagSerializer(CrmSerializer):
    signed_not_started = serializers.IntegerField()
    started_not_completed = serializers.IntegerField()
    completed_not_producing = serializers.IntegerField()


class DashboardProgrammesSerializer(CrmSerializer):
    """Growth programmes (DESIGN §11.7): this year's targets, 开工率 / 投资完成率, the milestone lag counts."""

    year = serializers.IntegerField()
    targets = DashboardTargetSerializer(many=True)
    projects = DashboardProjectRatesSerializer()
    lag = DashboardLagSerializer()


class DashboardSerializer(CrmSerializer):
    today = serializers.DateField()
    period = DashboardPeriodSerializer()
    coverage = DashboardCoverageSerializer()
    not_visited = DashboardNotVisitedSerializer()
    needs = DashboardNeedsSerializer()
    on_time = DashboardOnTimeSerializer()
    answer_days = DashboardAnswerDaysSerializer()
    clock = DashboardClockSerializer()
    satisfaction = DashboardSatisfactionSerializer()
    policies = DashboardPoliciesSerializer()
    officers = DashboardOfficerSerializer(many=True)
    counties = DashboardCountySerializer(many=True)
    liaison_coverage = DashboardLiaisonSerializer(many=True)
    red_flags = DashboardRedFlagSerializer(many=True)
    charts = DashboardChartsSerializer()
    programmes = DashboardProgrammesSerializer()


class DashboardQuerySerializer(CrmSerializer):
    region = CodeRelatedField(queryset=Region.objects.all(), required=False)


def _data(kpis: dict) -> dict:
    """The answer's data (kept with the KPIs: a cached answer is not serialized again)."""
    return DashboardSerializer(kpis).data


class DashboardView(APIView):
    """The dashboard KPIs of the signed-in user's scope (every role)."""

    empty_query_values = ("period", "region")  # empty: the default (crm/api/schema.py)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period",
                str,
                pattern=r"^[0-9]{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$",
                description="2026Q4, 2026-11 or 2026 (default: this quarter)",
            ),
            OpenApiParameter("region", str, pattern=CODE_SCHEMA_PATTERN, description="a region code in your scope"),
        ],
        responses={200: DashboardSerializer},
    )
    def get(self, request):
        # An unknown region code is a 400 (not an empty dashboard); one outside your scope too, below.
        query = DashboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period, region = one_value(request, "period") or None, query.validated_data.get("region")
        region = region.code if region else None
        try:
            data = dashboard_shown(user=request.user, form="api", make=_data, period=period, region=region)
        except PeriodError:
            errors = {}
            try:
                period_parse(period, today=timezone.localdate())
            except PeriodError:
                errors["period"] = [_("Give the period as 2026Q4, 2026-11 or 2026.")]
            if not errors:
                errors["region"] = [_("Select a region in your scope.")]
            raise serializers.ValidationError(errors) from None
        return Response(data)

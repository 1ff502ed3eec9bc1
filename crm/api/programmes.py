"""API of the growth programmes (DESIGN §11.7).

- ``enterprise-years``: yearly figures; a create for an (enterprise, year) already stored updates it; the
  enterprise's current figures follow its latest year;
- ``cultivations`` with ``POST /cultivations/<id>/move/`` ``{"stage", "certified_on", "certificate_no",
  "next_step_on"}`` (已认定 adds or renews the qualification); ``cultivation-targets``;
- ``project-milestones`` (a create for a (project, kind) already stored changes its dates; the project's stage
  follows) and ``project-progress`` (one report per project and month);
- ``commissioners``, ``commissioner-assignments`` and ``service-logs``.
"""

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from crm.api.base import (
    CodeRelatedField,
    CrmModelSerializer,
    CrmSerializer,
    ScopedModelViewSet,
    ScopedRelatedField,
    UserRelatedField,
)
from crm.choices import CultivationStage, MilestoneKind
from crm.filtersets import (
    CommissionerAssignmentFilterSet,
    CommissionerFilterSet,
    CultivationFilterSet,
    CultivationTargetFilterSet,
    EnterpriseYearFilterSet,
    ProjectMilestoneFilterSet,
    ProjectProgressFilterSet,
    ServiceLogFilterSet,
)
from crm.models import (
    Bureau,
    Commissioner,
    CommissionerAssignment,
    Cultivation,
    CultivationTarget,
    Enterprise,
    EnterpriseYear,
    IndustryChain,
    Project,
    ProjectMilestone,
    ProjectProgress,
    Qualification,
    ServiceLog,
)
from crm.permissions import can_edit
from crm.selectors.programmes import commissioner_rows
from crm.services.programmes import (
    YEAR_FIELDS,
    commissioner_assignment_save,
    commissioner_save,
    cultivation_create,
    cultivation_move,
    cultivation_target_save,
    cultivation_update,
    enterprise_year_delete,
    enterprise_year_save,
    enterprise_year_update,
    project_milestone_save,
    project_progress_save,
    service_log_create,
)

# ---------------------------------------------------------------------------------------------- yearly figures


class EnterpriseYearSerializer(CrmModelSerializer):
    """One year of an enterprise's figures (年度数据); money in 万元."""

    enterprise = ScopedRelatedField(queryset=Enterprise.objects.all())

    class Meta:
        model = EnterpriseYear
        fields = ["id", "enterprise", "year", *YEAR_FIELDS, "created_by", "created_at", "updated_at"]
        read_only_fields = ["created_by"]
        validators = []  # (enterprise, year) stored already: the service updates it


def _year_create(*, user, data):
    data = dict(data)
    enterprise, year = data.pop("enterprise"), data.pop("year")
    return enterprise_year_save(user=user, enterprise=enterprise, year=year, data=data)


def _year_update(*, user, data, enterpriseyear):
    return enterprise_year_update(user=user, record=enterpriseyear, data=data)


def _year_delete(*, user, instance):
    enterprise_year_delete(user=user, record=instance)


class EnterpriseYearViewSet(ScopedModelViewSet):
    """Yearly figures of the enterprises in your scope."""

    model = EnterpriseYear
    serializer_class = EnterpriseYearSerializer
    filterset_class = EnterpriseYearFilterSet
    create_service = staticmethod(_year_create)
    update_service = staticmethod(_year_update)
    delete_service = staticmethod(_year_delete)


# ------------------------------------------------------------------------------------------------ cultivation


class CultivationSerializer(CrmModelSerializer):
    """An enterprise in a year's cultivation pool of a programme (a qualification code)."""

    enterprise = ScopedRelatedField(queryset=Enterprise.objects.all())
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    programme = CodeRelatedField(queryset=Qualification.objects.all())
    officer = UserRelatedField(required=False, allow_null=True)

    class Meta:
        model = Cultivation
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "year",
            "programme",
            "stage",
            "officer",
            "next_step_on",
            "notes",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_by"]


class MoveSerializer(CrmSerializer):
    stage = serializers.ChoiceField(choices=CultivationStage.choices)
    certified_on = serializers.DateField(required=False, allow_null=True, default=None)
    certificate_no = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    next_step_on = serializers.DateField(required=False, allow_null=True, default=None)


def _cultivation_update(*, user, data, cultivation):
    return cultivation_update(user=user, cultivation=cultivation, data=data)


class CultivationViewSet(ScopedModelViewSet):
    """The cultivation pool (培育库) of your scope."""

    model = Cultivation
    serializer_class = CultivationSerializer
    filterset_class = CultivationFilterSet
    select_related = ("enterprise", "programme", "officer")
    create_service = staticmethod(cultivation_create)
    update_service = staticmethod(_cultivation_update)

    @extend_schema(request=MoveSerializer, responses=CultivationSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the card to a stage; 已认定 (certified) adds or renews the enterprise's qualification."""
        card = self.get_object()
        if not can_edit(request.user, card):
            raise PermissionDenied
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        card = cultivation_move(user=request.user, cultivation=card, **body.validated_data)
        return Response(self.get_serializer(card).data)


class CultivationTargetSerializer(CrmModelSerializer):
    """A bureau's target of a programme for a year."""

    bureau = serializers.PrimaryKeyRelatedField(queryset=Bureau.objects.all())
    programme = CodeRelatedField(queryset=Qualification.objects.all())

    class Meta:
        model = CultivationTarget
        fields = ["id", "bureau", "year", "programme", "target"]
        validators = []


def _target_save(*, user, data, cultivationtarget=None):
    data = {
        "bureau": cultivationtarget.bureau if cultivationtarget else None,
        "year": cultivationtarget.year if cultivationtarget else None,
        "programme": cultivationtarget.programme if cultivationtarget else None,
        "target": cultivationtarget.target if cultivationtarget else None,  # a PATCH may leave it out
        **data,
    }
    if not user.sees_everything and data["bureau"] and data["bureau"].pk != user.bureau_id:
        raise PermissionDenied
    return cultivation_target_save(user=user, **data)


class CultivationTargetViewSet(ScopedModelViewSet):
    """Targets of your bureau (the city sees every bureau's)."""

    model = CultivationTarget
    serializer_class = CultivationTargetSerializer
    filterset_class = CultivationTargetFilterSet
    select_related = ("bureau", "programme")
    create_service = staticmethod(_target_save)
    update_service = staticmethod(_target_save)


# ------------------------------------------------------------------------------------------- project milestones


class ProjectMilestoneSerializer(CrmModelSerializer):
    """A planned and actual date of 签约, 开工, 竣工 or 投产."""

    project = ScopedRelatedField(queryset=Project.objects.all())
    kind = serializers.ChoiceField(choices=MilestoneKind.choices)

    class Meta:
        model = ProjectMilestone
        fields = ["id", "project", "kind", "planned_on", "actual_on", "created_at", "updated_at"]
        validators = []


def _milestone_save(*, user, data, projectmilestone=None):
    project = data.get("project") or projectmilestone.project
    kind = data.get("kind") or projectmilestone.kind
    if not can_edit(user, project):
        raise PermissionDenied
    current = {"planned_on": None, "actual_on": None}
    if projectmilestone is not None:
        current = {"planned_on": projectmilestone.planned_on, "actual_on": projectmilestone.actual_on}
    dates = {**current, **{k: v for k, v in data.items() if k in ("planned_on", "actual_on")}}
    return project_milestone_save(user=user, project=project, kind=kind, **dates)


class ProjectMilestoneViewSet(ScopedModelViewSet):
    """Milestones of the projects in your scope; the project's stage follows the furthest one reached."""

    model = ProjectMilestone
    serializer_class = ProjectMilestoneSerializer
    filterset_class = ProjectMilestoneFilterSet
    create_service = staticmethod(_milestone_save)
    update_service = staticmethod(_milestone_save)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class ProjectProgressSerializer(CrmModelSerializer):
    """A project's monthly report (``month`` is stored as its first day)."""

    project = ScopedRelatedField(queryset=Project.objects.all())
    reported_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = ProjectProgress
        fields = [
            "id",
            "project",
            "month",
            "investment_month",
            "investment_total",
            "blockers",
            "reported_by",
            "created_at",
        ]
        validators = []


def _progress_save(*, user, data, projectprogress=None):
    data = dict(data)
    project = data.pop("project", None) or projectprogress.project
    if projectprogress is not None:
        data.setdefault("month", projectprogress.month)
    return project_progress_save(user=user, project=project, data=data)


class ProjectProgressViewSet(ScopedModelViewSet):
    model = ProjectProgress
    serializer_class = ProjectProgressSerializer
    filterset_class = ProjectProgressFilterSet
    create_service = staticmethod(_progress_save)
    update_service = staticmethod(_progress_save)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


# ----------------------------------------------------------------------------------------------- commissioners


class CommissionerSerializer(CrmModelSerializer):
    """An S&T commissioner (科技特派员)."""

    industry_chain = CodeRelatedField(queryset=IndustryChain.objects.all(), required=False, allow_null=True)
    service_days = serializers.DecimalField(max_digits=8, decimal_places=1, read_only=True, default=Decimal("0"))

    class Meta:
        model = Commissioner
        fields = [
            "id",
            "name",
            "institution",
            "expertise",
            "industry_chain",
            "mobile",
            "serves_from",
            "serves_until",
            "is_active",
            "bureau",
            "service_days",
        ]
        read_only_fields = ["bureau"]


def _commissioner_update(*, user, data, commissioner):
    return commissioner_save(user=user, data=data, commissioner=commissioner)


class CommissionerViewSet(ScopedModelViewSet):
    model = Commissioner
    serializer_class = CommissionerSerializer
    filterset_class = CommissionerFilterSet
    select_related = ("industry_chain",)
    create_service = staticmethod(commissioner_save)
    update_service = staticmethod(_commissioner_update)

    def base_queryset(self):
        return commissioner_rows(queryset=super().base_queryset())

    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class CommissionerAssignmentSerializer(CrmModelSerializer):
    """A commissioner paired with an enterprise."""

    commissioner = ScopedRelatedField(queryset=Commissioner.objects.all())
    enterprise = ScopedRelatedField(queryset=Enterprise.objects.all())

    class Meta:
        model = CommissionerAssignment
        fields = ["id", "commissioner", "enterprise", "starts_on", "ends_on", "goals", "created_at"]


def _assignment_update(*, user, data, commissionerassignment):
    return commissioner_assignment_save(user=user, data=data, assignment=commissionerassignment)


class CommissionerAssignmentViewSet(ScopedModelViewSet):
    model = CommissionerAssignment
    serializer_class = CommissionerAssignmentSerializer
    filterset_class = CommissionerAssignmentFilterSet
    select_related = ("commissioner", "enterprise")
    create_service = staticmethod(commissioner_assignment_save)
    update_service = staticmethod(_assignment_update)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class ServiceLogSerializer(CrmModelSerializer):
    """A commissioner's service at the enterprise of an assignment."""

    assignment = ScopedRelatedField(queryset=CommissionerAssignment.objects.all())

    class Meta:
        model = ServiceLog
        fields = ["id", "assignment", "served_on", "days", "content", "enterprise_rating", "created_at"]


class ServiceLogViewSet(ScopedModelViewSet):
    model = ServiceLog
    serializer_class = ServiceLogSerializer
    filterset_class = ServiceLogFilterSet
    select_related = ("assignment",)
    create_service = staticmethod(service_log_create)
    http_method_names = ["get", "post", "head", "options"]

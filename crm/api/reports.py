"""Reports sent upward in the API (DESIGN §11.6): ``/api/v1/reports/``.

- ``GET`` lists the reports in your scope (``?kind=``, ``?period=``, ``?status=``, ``?bureau=``), newest period
  first; ``GET …/<id>/`` one, with its frozen ``snapshot``;
- ``POST`` ``{"kind", "period"}`` generates your bureau's report (a draft or returned one is generated again):
  201 with the report when its file was written at once, 202 when the file is queued (``file_url`` empty until
  the worker wrote it); 409 when the report is submitted or accepted (frozen);
- ``GET …/<id>/file/`` the file once written (404 before);
- ``POST …/<id>/submit/``, ``…/return/`` (``note``), ``…/accept/``: the county → city flow (403 for a role or
  bureau that may not, 409 for a status that does not allow it, 400 for a return without a note).
"""

from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from crm.api.base import CrmModelSerializer, CrmSerializer
from crm.choices import ReportKind, ReportStatus
from crm.models import Report
from crm.selectors.reports import report_list
from crm.services.reports import report_accept, report_generate, report_return, report_submit
from crm.tasks import report_render


class ReportSerializer(CrmModelSerializer):
    bureau_name = serializers.CharField(source="bureau.name", read_only=True)
    generated_by_name = serializers.StringRelatedField(source="generated_by", read_only=True)
    file_url = serializers.SerializerMethodField()
    ready = serializers.BooleanField(source="is_ready", read_only=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "period",
            "bureau",
            "bureau_name",
            "status",
            "generated_by",
            "generated_by_name",
            "generated_at",
            "ready",
            "filename",
            "file_url",
            "error",
            "submitted_by",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "return_note",
            "snapshot",
        ]
        read_only_fields = fields

    def get_file_url(self, report) -> str | None:
        if not report.file:
            return None
        request = self.context.get("request")
        path = f"/api/v1/reports/{report.pk}/file/"
        return request.build_absolute_uri(path) if request else path


class ReportCreateSerializer(CrmSerializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    period = serializers.CharField(max_length=7, help_text=_("A month (2026-11), a quarter (2026Q4) or a year (2026)."))


class ReportReturnSerializer(CrmSerializer):
    note = serializers.CharField(max_length=2000, allow_blank=True, required=False)


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reports of your bureau (the city's managers also see what the counties sent up)."""

    serializer_class = ReportSerializer
    permission_classes = [IsAuthenticated]
    queryset = Report.objects.none()  # for the schema; the real one is scoped per user
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        queryset = report_list(user=self.request.user)
        params = self.request.query_params
        checks = {"kind": ReportKind.values, "status": ReportStatus.values}
        for name, values in checks.items():
            value = params.get(name, "")
            if value:
                if value not in values:
                    raise exceptions.ValidationError(
                        {name: [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(values)}]}
                    )
                queryset = queryset.filter(**{name: value})
        if params.get("period"):
            queryset = queryset.filter(period=params["period"].strip().upper())
        if params.get("bureau"):
            if not params["bureau"].isdigit():
                raise exceptions.ValidationError({"bureau": [_("Give the bureau's id.")]})
            queryset = queryset.filter(bureau_id=int(params["bureau"]))
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=ReportKind.values),
            OpenApiParameter("status", OpenApiTypes.STR, enum=ReportStatus.values),
            OpenApiParameter("period", OpenApiTypes.STR),
            OpenApiParameter("bureau", OpenApiTypes.INT),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=ReportCreateSerializer,
        responses={201: ReportSerializer, 202: OpenApiResponse(ReportSerializer, description=_("The file is queued."))},
    )
    def create(self, request, *args, **kwargs):
        body = ReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = report_generate(
            user=request.user, kind=body.validated_data["kind"], period=body.validated_data["period"]
        )
        report_render.enqueue(report.pk)
        report.refresh_from_db()
        code = status.HTTP_201_CREATED if report.file else status.HTTP_202_ACCEPTED
        return Response(self.get_serializer(report).data, status=code)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        """The report's .xlsx or .docx, once written."""
        report = self.get_object()
        if not report.file:
            raise Http404
        response = FileResponse(report.file.open("rb"), as_attachment=True, filename=report.filename)
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send the report up (a county's goes to the city's managers)."""
        report = report_submit(report=self.get_object(), user=request.user)
        return Response(self.get_serializer(report).data)

    @extend_schema(request=ReportReturnSerializer, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_report(self, request, pk=None):
        """Return a county's submitted report with a note (city managers)."""
        report = self.get_object()
        body = ReportReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = report_return(report=report, user=request.user, note=body.validated_data.get("note", ""))
        return Response(self.get_serializer(report).data)

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept a county's submitted report (city managers): it joins the city's report of the period."""
        report = report_accept(report=self.get_object(), user=request.user)
        return Response(self.get_serializer(report).data)

"""API of visits, needs and notifications (DESIGN §8.3, §4.1, §4.2).

- ``visits``: the 登门三问 visit with its needs (``needs``, a list of ``{category, title, description,
  urgency}``, created with the visit in one transaction) and attachments (multipart ``attachments`` files);
- ``needs``: CRUD plus ``POST /needs/<id>/<verb>/`` for the transitions of §4.1 (body: ``version`` and the
  verb's fields) and ``GET/POST /needs/<id>/events/`` for the timeline, follow-up notes and instructions;
- ``notifications``: the signed-in user's notices; ``POST /notifications/<id>/read/`` marks one read.

Order of answers for a transition: out of scope 404, role 403, stale version or wrong status 409, fields 400.
"""

import json

from django import forms
from django.conf import settings
from django.db.models import Prefetch
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import DataAndFiles, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from crm.api.base import (
    CrmModelSerializer,
    CrmSerializer,
    ScopedLinksMixin,
    ScopedModelViewSet,
    ScopedRelatedField,
    UserRelatedField,
)
from crm.api.clock import ExtensionRequestSerializer
from crm.api.pagination import one_value
from crm.choices import NeedCategory, NeedEventKind, NeedStatus, Satisfaction, Urgency
from crm.filtersets import NeedFilterSet, VisitFilterSet
from crm.models import (
    ActionItem,
    Enterprise,
    ExtensionRequest,
    Need,
    NeedEvent,
    Notification,
    Project,
    User,
    Visit,
    VisitAttachment,
)
from crm.selectors.needs import need_escalation, needs_escalation_annotate
from crm.services.needs import (
    TRANSITIONS,
    VERBS,
    need_create,
    need_event_add,
    need_transition,
    need_update,
    need_verbs_reader,
    transition_data,
)
from crm.services.notifications import notification_mark_read, notifications_mark_all_read
from crm.services.visits import UNNAMED_UPLOAD, visit_create, visit_delete, visit_update
from crm.validators import COMMENT_MAX_LENGTH, MAX_ID, validate_no_control_chars

# ---------------------------------------------------------------------------------------------------------
# Visits
# ---------------------------------------------------------------------------------------------------------


class VisitNeedSerializer(CrmSerializer):
    """A need raised in the visit (written with the visit; read back with its code and status)."""

    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    category = serializers.ChoiceField(choices=NeedCategory.choices)
    title = serializers.CharField(max_length=200, validators=[validate_no_control_chars])
    description = serializers.CharField(
        max_length=20000, required=False, allow_blank=True, validators=[validate_no_control_chars]
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.NORMAL)
    status = serializers.CharField(read_only=True)


class VisitNeedsField(serializers.ListField):
    """A list of needs; in a multipart request it may also come as one JSON text."""

    child = VisitNeedSerializer()
    takes_related_list = True  # reads the needs from their manager or a list (``crm.api.base.light_prefetch``)

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            values = dictionary.getlist(self.field_name)
            if len(values) == 1 and isinstance(values[0], str):
                return values[0]
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else []
            except ValueError:
                raise serializers.ValidationError(_("Give the needs as a JSON list.")) from None
        return super().to_internal_value(data)

    def to_representation(self, data):
        return [
            {
                "id": n.pk,
                "code": n.code,
                "category": n.category,
                "title": n.title,
                "description": n.description,
                "urgency": n.urgency,
                "status": n.status,
            }
            for n in sorted(data.all() if hasattr(data, "all") else data, key=lambda n: n.pk)
        ]


class VisitAttachmentSerializer(CrmModelSerializer):
    """A photo or PDF attached to the visit."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = VisitAttachment
        fields = ["id", "name", "content_type", "size", "url", "created_at"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        """Served by the web app to users who can see the visit (not from the public media folder)."""
        request = self.context.get("request")
        url = reverse("crm:visit-attachment", args=[obj.visit_id, obj.pk])
        return request.build_absolute_uri(url) if request else url


class VisitSerializer(CrmModelSerializer):
    """A 登门三问 visit; ``needs`` raised in it and uploaded ``files`` are saved with it in one transaction."""

    enterprise = ScopedRelatedField(queryset=Enterprise.objects.all())
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    project = ScopedRelatedField(queryset=Project.objects.all(), required=False, allow_null=True)
    project_name = serializers.CharField(source="project.name", read_only=True, allow_null=True, default=None)
    lead = UserRelatedField(required=False, allow_null=True)
    lead_name = serializers.CharField(source="lead", read_only=True, allow_null=True, default=None)
    officers = UserRelatedField(many=True, required=False)
    needs = VisitNeedsField(help_text=_("Needs raised in the visit; created with it (only when creating)."))
    attachments = VisitAttachmentSerializer(many=True, read_only=True)
    files = serializers.ListField(
        child=serializers.FileField(max_length=200, allow_empty_file=True),
        write_only=True,
        required=False,
        max_length=20,
        help_text=_("Photos (JPEG, PNG, WebP, GIF, HEIC) or PDFs, each at most 10 MB (multipart)."),
    )

    class Meta:
        model = Visit
        fields = [
            "id",
            "code",
            "enterprise",
            "enterprise_name",
            "project",
            "project_name",
            "visited_on",
            "kind",
            "lead",
            "lead_name",
            "officers",
            "interviewee",
            "interviewee_title",
            "q_needs",
            "q_difficulties",
            "q_suggestions",
            "party_notes",
            "policies_briefed",
            "resolved_on_site",
            "flag",
            "next_visit_on",
            "needs",
            "attachments",
            "files",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["code"]

    def validate(self, attrs):
        if self.instance is not None and "needs" in attrs:
            raise serializers.ValidationError({"needs": [_("Needs are added with the visit or on their own.")]})
        return attrs


def _visit_create(*, user, data):
    data["attachments"] = data.pop("files", [])
    return visit_create(user=user, **data)


def _visit_update(*, user, data, visit):
    data["attachments"] = data.pop("files", [])
    return visit_update(visit=visit, user=user, **data)


VISIT_NEEDS = Prefetch("needs", queryset=Need.objects.order_by("id"))


class _NamedFilesDjangoParser(DjangoMultiPartParser):
    """Django drops a file part named ".", ".." or "/" without a word; here it arrives as ``UNNAMED_UPLOAD`` so the
    attachment check refuses it with a message instead of saving the visit without it."""

    def sanitize_file_name(self, file_name):
        return super().sanitize_file_name(file_name) or UNNAMED_UPLOAD


class NamedFilesMultiPartParser(MultiPartParser):
    """DRF's multipart parser with ``_NamedFilesDjangoParser`` (a sent file is never dropped silently)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data, files = _NamedFilesDjangoParser(meta, stream, request.upload_handlers, encoding).parse()
        except MultiPartParserError as exc:
            raise exceptions.ParseError(f"Multipart form parse error - {exc}") from exc
        return DataAndFiles(data, files)


class VisitViewSet(ScopedModelViewSet):
    """登门三问 visits in your scope: officers log them (with needs and photos) and edit their own."""

    model = Visit
    serializer_class = VisitSerializer
    filterset_class = VisitFilterSet
    select_related = ("enterprise", "project", "lead")
    list_related_only = ("enterprise__name", "project__name")
    prefetch_related = (
        Prefetch("officers", queryset=User.objects.only("id")),
        "attachments",
        VISIT_NEEDS,
    )
    create_service = staticmethod(_visit_create)
    update_service = staticmethod(_visit_update)
    delete_service = staticmethod(lambda *, user, instance: visit_delete(user=user, visit=instance))
    parser_classes = [
        NamedFilesMultiPartParser if parser is MultiPartParser else parser
        for parser in api_settings.DEFAULT_PARSER_CLASSES
    ]


# ---------------------------------------------------------------------------------------------------------
# Needs
# ---------------------------------------------------------------------------------------------------------


def _no_verbs(need: Need) -> list[str]:
    return []


class NeedSerializer(CrmModelSerializer):
    """A need (诉求); its status, assignment and deadline change only through the transition endpoints."""

    enterprise = ScopedRelatedField(queryset=Enterprise.objects.all(), required=False, allow_null=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True, allow_null=True, default=None)
    project = ScopedRelatedField(queryset=Project.objects.all(), required=False, allow_null=True)
    project_name = serializers.CharField(source="project.name", read_only=True, allow_null=True, default=None)
    visit = ScopedRelatedField(queryset=Visit.objects.all(), required=False, allow_null=True)
    bureau = serializers.PrimaryKeyRelatedField(read_only=True)
    bureau_name = serializers.CharField(source="bureau.name", read_only=True)
    lead_department = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    lead_department_name = serializers.CharField(
        source="lead_department.name", read_only=True, allow_null=True, default=None
    )
    assisting_departments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    handler = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    handler_name = serializers.CharField(source="handler", read_only=True, allow_null=True, default=None)
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, allow_blank=True, read_only=True)
    escalation = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Need
        fields = [
            "id",
            "code",
            "enterprise",
            "enterprise_name",
            "project",
            "project_name",
            "visit",
            "source",
            "category",
            "title",
            "description",
            "urgency",
            "status",
            "bureau",
            "bureau_name",
            "lead_department",
            "lead_department_name",
            "assisting_departments",
            "handler",
            "handler_name",
            "assigned_at",
            "accept_due_on",
            "accepted_at",
            "due_on",
            "original_due_on",
            "escalation",
            "resolution",
            "answered_at",
            "closed_at",
            "satisfaction",
            "version",
            "actions",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "code",
            "status",
            "assigned_at",
            "accept_due_on",
            "accepted_at",
            "due_on",
            "original_due_on",
            "resolution",
            "answered_at",
            "closed_at",
            "satisfaction",
            "version",
        ]

    @extend_schema_field({"type": "string", "enum": ["warning", "overdue", "supervision"], "nullable": True})
    def get_escalation(self, obj):
        if hasattr(obj, "escalation"):
            return obj.escalation
        return need_escalation(obj)

    def get_actions(self, obj) -> list[str]:
        """The transition verbs the signed-in user may use on this need now."""
        # One reader per serializer (one request, one user): the user's roles are worked out once, not per row.
        reader = self.__dict__.get("_verbs_reader")
        if reader is None:
            request = self.context.get("request")
            reader = self._verbs_reader = need_verbs_reader(user=request.user) if request else _no_verbs
        return reader(obj)

    def validate(self, attrs):
        if self.instance is None and not attrs.get("enterprise") and not attrs.get("project"):
            raise serializers.ValidationError(
                {"enterprise": [_("A need belongs to an enterprise or a project; give at least one.")]}
            )
        return attrs


def _schema_field(field: forms.Field) -> serializers.Field:
    """The OpenAPI face of one field of a verb's input (the input itself validates, in the service)."""
    options = {"required": field.required, "help_text": field.help_text or field.label}
    if isinstance(field, forms.ModelMultipleChoiceField):
        return serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), **options)
    if isinstance(field, forms.ModelChoiceField):
        return serializers.IntegerField(min_value=1, max_value=MAX_ID, allow_null=not field.required, **options)
    if isinstance(field, forms.DateField):
        return serializers.DateField(allow_null=not field.required, **options)
    if isinstance(field, forms.ChoiceField):
        return serializers.ChoiceField(choices=field.choices, **options)
    optional = not field.required  # an optional text reads null as "not given", as the input does
    return serializers.CharField(allow_blank=optional, allow_null=optional, max_length=field.max_length, **options)


def transition_request_serializer(verb: str) -> type[serializers.Serializer]:
    """Body of ``POST /needs/<id>/<verb>/`` for the schema: ``version`` and the fields of the verb's input."""
    fields = {
        "version": serializers.IntegerField(help_text=_("The version of the need as read; a stale one is a 409.")),
    }
    fields.update({name: _schema_field(field) for name, field in TRANSITIONS[verb].input.base_fields.items()})
    name = "".join(part.title() for part in verb.split("-")) + "Transition"
    doc = f"Body of the transition `{verb}`: the `version` read with the need and the verb's fields."
    return type(f"{name}Serializer", (CrmSerializer,), {**fields, "__doc__": doc})


@extend_schema_field(
    {
        "type": "string",
        "enum": NeedEventKind.values,
        "description": "Every kind is read back; only note and instruction are written (others: 400).",
    }
)
class NeedEventKindField(serializers.ChoiceField):
    """The event kind: any stored kind when read (status changes …), note or instruction when written."""


class NeedEventSerializer(CrmModelSerializer):
    """One entry of the timeline; ``POST`` adds a ``note`` (anyone) or an ``instruction`` (leaders)."""

    kind = NeedEventKindField(choices=[NeedEventKind.NOTE, NeedEventKind.INSTRUCTION])
    text = serializers.CharField(max_length=COMMENT_MAX_LENGTH, validators=[validate_no_control_chars])
    author = serializers.PrimaryKeyRelatedField(read_only=True)
    author_name = serializers.StringRelatedField(source="author", read_only=True)
    from_status = serializers.ChoiceField(choices=NeedStatus.choices, allow_blank=True, read_only=True)
    to_status = serializers.ChoiceField(choices=NeedStatus.choices, allow_blank=True, read_only=True)

    class Meta:
        model = NeedEvent
        fields = ["id", "need", "kind", "from_status", "to_status", "text", "author", "author_name", "created_at"]
        read_only_fields = ["id", "need", "from_status", "to_status", "author", "created_at"]

    def to_representation(self, instance):
        # Stored kinds include the status changes; the write-side choices only allow note and instruction.
        data = super().to_representation(instance)
        data["kind"] = instance.kind
        return data


def _transition_action(verb: str):
    def transition(self, request, pk=None):
        need = self.get_object()
        if not hasattr(request.data, "get"):
            raise exceptions.ValidationError({"non_field_errors": [_("Send the fields as a JSON object.")]})
        # The body goes to the service as it is: it checks the role (403) and the version and status (409)
        # before it parses the verb's input (400).
        updated = need_transition(
            need=need,
            user=request.user,
            verb=verb,
            version=request.data.get("version"),
            **transition_data(verb=verb, data=request.data),
        )
        if isinstance(updated, ExtensionRequest):
            # extend asks for a later deadline (DESIGN §11.4): the request waits for a manager's decision.
            return Response(
                ExtensionRequestSerializer(updated, context=self.get_serializer_context()).data,
                status=status.HTTP_202_ACCEPTED,
            )
        # A transfer may take the need out of the user's scope: answer with the need as it was written.
        fresh = self.get_queryset().filter(pk=updated.pk).first() or updated
        return Response(self.get_serializer(fresh).data)

    transition.__name__ = verb.replace("-", "_")
    transition.__doc__ = f"Transition `{verb}` (DESIGN §4.1): 403 role, 409 stale version or status, 400 fields."
    decorated = action(detail=True, methods=["post"], url_path=verb, url_name=verb, filterset_class=None)(transition)
    responses = {202: ExtensionRequestSerializer} if verb == "extend" else {200: NeedSerializer}
    return extend_schema(request=transition_request_serializer(verb), responses=responses)(decorated)


def _need_create(*, user, data):
    return need_create(user=user, **data)


class NeedViewSet(ScopedModelViewSet):
    """Needs in your scope (including those transferred to your bureau); managers edit, officers record."""

    model = Need
    serializer_class = NeedSerializer
    filterset_class = NeedFilterSet
    select_related = ("enterprise", "project", "lead_department", "handler", "bureau")
    list_related_only = (
        "enterprise__name",
        "project__name",
        "lead_department__name",
        "bureau__name",
        *User.name_fields_of("handler"),
    )
    prefetch_related = ("assisting_departments",)
    create_service = staticmethod(_need_create)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("visit", None)
        version = self.request.data.get("version") if hasattr(self.request.data, "get") else None
        serializer.instance = need_update(need=serializer.instance, user=self.request.user, version=version, **data)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            needs_escalation_annotate(page)
        return page

    accept = _transition_action("accept")
    reject = _transition_action("reject")
    assign = _transition_action("assign")
    start = _transition_action("start")
    answer = _transition_action("answer")
    return_visit = _transition_action("return-visit")
    reopen = _transition_action("reopen")
    transfer = _transition_action("transfer")
    extend = _transition_action("extend")

    @extend_schema(responses={200: NeedEventSerializer(many=True)}, request=None, methods=["GET"])
    @extend_schema(request=NeedEventSerializer, responses={201: NeedEventSerializer}, methods=["POST"])
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def events(self, request, pk=None):
        """The timeline (办理记录), oldest first; ``POST {"kind": "note"|"instruction", "text"}`` adds a follow-up."""
        need = self.get_object()
        if request.method == "POST":
            body = NeedEventSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            event = need_event_add(
                need=need,
                user=request.user,
                kind=body.validated_data["kind"],
                text=body.validated_data["text"],
            )
            return Response(NeedEventSerializer(event).data, status=status.HTTP_201_CREATED)
        events = NeedEvent.objects.filter(need=need).select_related("author").order_by("created_at", "id")
        return Response(NeedEventSerializer(events, many=True).data)


assert {name.replace("-", "_") for name in VERBS} <= set(vars(NeedViewSet)), "a transition verb lacks its action"


# ---------------------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------------------


class NotificationSerializer(CrmModelSerializer):
    """A notice to the signed-in user about a need or an action item (``null`` once out of the user's scope)."""

    need = ScopedRelatedField(model=Need, read_only=True, allow_null=True)
    action_item = ScopedRelatedField(model=ActionItem, read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "need", "action_item", "created_at", "read_at"]
        read_only_fields = fields


class NotificationViewSet(ScopedLinksMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your notifications, newest first; ``?unread=true`` for the unread ones only."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema; the real one is per user
    filter_backends = []
    empty_query_values = ("unread",)  # empty: no filter (crm/api/schema.py)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        queryset = Notification.objects.filter(recipient=self.request.user).order_by("-created_at", "-id")
        unread = one_value(self.request, "unread").lower()
        if unread in {"1", "true", "yes"}:
            queryset = queryset.filter(read_at__isnull=True)
        elif unread in {"0", "false", "no"}:
            queryset = queryset.filter(read_at__isnull=False)
        elif unread:
            raise exceptions.ValidationError({"unread": [_("Give true or false.")]})
        return queryset

    @extend_schema(parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark the notification read."""
        notification = self.get_object()
        notification = notification_mark_read(notification=notification, user=request.user)
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: {"type": "object", "properties": {"marked": {"type": "integer"}}}})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark all your notifications read."""
        return Response({"marked": notifications_mark_all_read(user=request.user)})

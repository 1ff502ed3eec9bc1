"""API of the resource and action lists (DESIGN §8.3, §4.4): ``offerings`` (资源清单; managers write, everyone
reads) and ``action-items`` (行动清单; managers create and assign, the owner changes the status and the result)."""

from rest_framework import serializers

from crm.api.base import (
    CrmModelSerializer,
    IdRelatedField,
    NeedCategoriesField,
    ScopedModelViewSet,
    ScopedRelatedField,
    UserRelatedField,
)
from crm.filtersets import ActionItemFilterSet, OfferingFilterSet
from crm.models import ActionItem, Department, Enterprise, Need, Offering, Project, User
from crm.services.lists import (
    action_item_create,
    action_item_delete,
    action_item_update,
    action_next_statuses,
    offering_create,
    offering_delete,
    offering_update,
)

# ---------------------------------------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------------------------------------


class OfferingSerializer(CrmModelSerializer):
    """Something a bureau department can offer enterprises (资源清单)."""

    department = IdRelatedField(
        queryset=Department.objects.all(),
        required=False,
        help_text="The offering department; on create it defaults to the creator's own department.",
    )
    department_name = serializers.CharField(source="department.name", read_only=True)
    need_categories = NeedCategoriesField()
    is_available = serializers.BooleanField(read_only=True)

    class Meta:
        model = Offering
        fields = [
            "id",
            "department",
            "department_name",
            "name",
            "kind",
            "description",
            "need_categories",
            "contact_name",
            "contact_phone",
            "available_until",
            "is_active",
            "is_available",
            "created_by",
            "created_at",
            "updated_at",
        ]


class ActionItemSerializer(CrmModelSerializer):
    """An action (行动清单) linking a resource to a need or project, with an owner and a due date."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    need = ScopedRelatedField(queryset=Need.objects.all(), required=False, allow_null=True)
    need_code = serializers.CharField(source="need.code", read_only=True, allow_null=True, default=None)
    project = ScopedRelatedField(queryset=Project.objects.all(), required=False, allow_null=True)
    project_name = serializers.CharField(source="project.name", read_only=True, allow_null=True, default=None)
    enterprise = ScopedRelatedField(model=Enterprise, read_only=True, allow_null=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True, allow_null=True, default=None)
    offering = ScopedRelatedField(queryset=Offering.objects.all(), required=False, allow_null=True)
    offering_name = serializers.CharField(source="offering.name", read_only=True, allow_null=True, default=None)
    owner = UserRelatedField()
    owner_name = serializers.StringRelatedField(source="owner", read_only=True)
    department = IdRelatedField(queryset=Department.objects.all(), required=False, allow_null=True)
    department_name = serializers.CharField(source="department.name", read_only=True, allow_null=True, default=None)
    is_overdue = serializers.BooleanField(read_only=True)
    next_statuses = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "code",
            "title",
            "need",
            "need_code",
            "project",
            "project_name",
            "enterprise",
            "enterprise_name",
            "offering",
            "offering_name",
            "owner",
            "owner_name",
            "department",
            "department_name",
            "due_on",
            "status",
            "next_statuses",
            "is_overdue",
            "result",
            "completed_on",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["code", "completed_on"]

    def get_next_statuses(self, obj) -> list[str]:
        return action_next_statuses(obj)


# ---------------------------------------------------------------------------------------------------------
# Viewsets
# ---------------------------------------------------------------------------------------------------------


class OfferingViewSet(ScopedModelViewSet):
    """The resource list (资源清单) of the departments: managers write, everyone reads."""

    model = Offering
    serializer_class = OfferingSerializer
    filterset_class = OfferingFilterSet
    select_related = ("department",)
    create_service = staticmethod(offering_create)
    update_service = staticmethod(offering_update)
    delete_service = staticmethod(lambda *, user, instance: offering_delete(user=user, offering=instance))


class ActionItemViewSet(ScopedModelViewSet):
    """The action list (行动清单): managers create and assign; the owner changes the status and the result."""

    model = ActionItem
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilterSet
    select_related = ("need", "project", "enterprise", "offering", "owner", "department")
    # The joined rows' columns the list shows (``*_code``/``*_name``, ``str(owner)``), not their thirty of text.
    list_related_only = (
        "need__code",
        "project__name",
        "enterprise__name",
        "offering__name",
        "department__name",
        *User.name_fields_of("owner"),
    )
    delete_service = staticmethod(lambda *, user, instance: action_item_delete(user=user, item=instance))

    def perform_create(self, serializer):
        serializer.instance = action_item_create(user=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = action_item_update(
            user=self.request.user, item=serializer.instance, data=dict(serializer.validated_data)
        )

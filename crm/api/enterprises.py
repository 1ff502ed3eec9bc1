"""API of enterprises, their contacts and projects (DESIGN §8.3, §3.1): scoped reads, service-backed writes;
reference data by ``code``, other relations by ``id``."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.api.base import (
    CodeRelatedField,
    CrmModelSerializer,
    ScopedModelViewSet,
    ScopedRelatedField,
    UserRelatedField,
)
from crm.filtersets import ContactFilterSet, EnterpriseFilterSet, ProjectFilterSet
from crm.models import (
    Contact,
    Enterprise,
    EnterpriseQualification,
    IndustryChain,
    Project,
    Qualification,
    Region,
    User,
)
from crm.services.enterprises import (
    contact_create,
    contact_update,
    enterprise_create,
    enterprise_delete,
    enterprise_update,
    project_create,
    project_delete,
    project_update,
)
from crm.validators import normalize_credit_code, validate_credit_code

# ---------------------------------------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------------------------------------


class QualificationCodeField(CodeRelatedField):
    """One element of ``qualifications``: written as a code, read from the (prefetched) through rows."""

    def to_representation(self, obj):
        return obj.qualification_id if isinstance(obj, EnterpriseQualification) else obj.pk


class EnterpriseQualificationSerializer(CrmModelSerializer):
    """A qualification the enterprise holds, with its certificate dates (read-only)."""

    code = serializers.CharField(source="qualification_id", read_only=True)
    name = serializers.CharField(source="qualification.name", read_only=True)
    is_expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = EnterpriseQualification
        fields = ["code", "name", "certified_on", "expires_on", "certificate_no", "is_expired"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "example": "914403001922038216"})
class CreditCodeField(serializers.CharField):
    """Upper-cased and stripped before the GB 32100 checks, so the message names the rule that failed."""

    def to_internal_value(self, data):
        return normalize_credit_code(super().to_internal_value(data))


class EnterpriseSerializer(CrmModelSerializer):
    """An enterprise; ``qualifications`` written as codes, ``qualification_details`` with certificate dates."""

    credit_code = CreditCodeField(
        validators=[validate_credit_code],
        help_text=_("Unified social credit code (18 characters, GB 32100-2015)."),
    )
    region = CodeRelatedField(queryset=Region.objects.all())
    region_name = serializers.CharField(source="region.name", read_only=True)
    industry_chain = CodeRelatedField(queryset=IndustryChain.objects.all(), required=False, allow_null=True)
    industry_chain_name = serializers.CharField(
        source="industry_chain.name", read_only=True, allow_null=True, default=None
    )
    qualifications = QualificationCodeField(
        many=True,
        queryset=Qualification.objects.all(),
        source="enterprise_qualifications",
        required=False,
        help_text=_("Qualification codes; a code written here has no certificate dates."),
    )
    qualification_details = EnterpriseQualificationSerializer(
        source="enterprise_qualifications", many=True, read_only=True
    )
    liaison_officers = UserRelatedField(many=True, required=False)
    liaison_leader = UserRelatedField(required=False, allow_null=True)
    bureau = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    rd_ratio = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "credit_code",
            "region",
            "region_name",
            "address",
            "legal_representative",
            "established_on",
            "industry_chain",
            "industry_chain_name",
            "main_products",
            "qualifications",
            "qualification_details",
            "employees",
            "rd_staff",
            "revenue",
            "rd_expense",
            "rd_ratio",
            "is_linked",
            "is_assisted",
            "liaison_officers",
            "liaison_leader",
            "party_organization",
            "party_members",
            "status",
            "bureau",
            "created_by",
            "created_at",
            "updated_at",
        ]

    def validate_credit_code(self, value):
        duplicates = Enterprise.objects.filter(credit_code=value)
        if self.instance is not None:
            duplicates = duplicates.exclude(pk=self.instance.pk)
        if duplicates.exists():
            raise serializers.ValidationError(Enterprise._meta.get_field("credit_code").error_messages["unique"])
        return value

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if "enterprise_qualifications" in values:
            values["qualifications"] = values.pop("enterprise_qualifications")
        return values


class ContactSerializer(CrmModelSerializer):
    """A contact person at an enterprise."""

    enterprise = ScopedRelatedField(queryset=Enterprise.objects.all())
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "name",
            "title",
            "mobile",
            "email",
            "is_primary",
            "created_by",
            "created_at",
            "updated_at",
        ]


class ProjectSerializer(CrmModelSerializer):
    """A project the bureau links with or assists (帮办项目)."""

    enterprise = ScopedRelatedField(queryset=Enterprise.objects.all(), required=False, allow_null=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True, allow_null=True, default=None)
    region = CodeRelatedField(queryset=Region.objects.all())
    region_name = serializers.CharField(source="region.name", read_only=True)
    industry_chain = CodeRelatedField(queryset=IndustryChain.objects.all(), required=False, allow_null=True)
    liaison_officers = UserRelatedField(many=True, required=False)
    liaison_leader = UserRelatedField(required=False, allow_null=True)
    bureau = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "enterprise",
            "enterprise_name",
            "region",
            "region_name",
            "industry_chain",
            "kind",
            "stage",
            "planned_investment",
            "description",
            "is_assisted",
            "liaison_officers",
            "liaison_leader",
            "status",
            "bureau",
            "created_by",
            "created_at",
            "updated_at",
        ]


# ---------------------------------------------------------------------------------------------------------
# Viewsets
# ---------------------------------------------------------------------------------------------------------


ENTERPRISE_PREFETCH = (
    Prefetch(
        "enterprise_qualifications",
        queryset=EnterpriseQualification.objects.select_related("qualification"),
    ),
    Prefetch("liaison_officers", queryset=User.objects.only("id")),
)


class EnterpriseViewSet(ScopedModelViewSet):
    """Enterprises in your scope; officers edit those they liaise with, managers all; officers never delete."""

    model = Enterprise
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilterSet
    select_related = ("region", "industry_chain")
    prefetch_related = ENTERPRISE_PREFETCH
    create_service = staticmethod(enterprise_create)
    update_service = staticmethod(enterprise_update)
    delete_service = staticmethod(lambda *, user, instance: enterprise_delete(user=user, enterprise=instance))


class ContactViewSet(ScopedModelViewSet):
    """Contacts of the enterprises in your scope."""

    model = Contact
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    select_related = ("enterprise",)
    create_service = staticmethod(contact_create)
    update_service = staticmethod(contact_update)


class ProjectViewSet(ScopedModelViewSet):
    """Projects in your scope (帮办项目)."""

    model = Project
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet
    select_related = ("enterprise", "region")
    prefetch_related = (Prefetch("liaison_officers", queryset=User.objects.only("id")),)
    create_service = staticmethod(project_create)
    update_service = staticmethod(project_update)
    delete_service = staticmethod(lambda *, user, instance: project_delete(user=user, project=instance))

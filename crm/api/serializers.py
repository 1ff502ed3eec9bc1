"""API serializers (DESIGN §8.3): reference data by ``code``, other relations by ``id``, enumerations by value.

Building blocks for every serializer of the API (other areas import them):

- ``CrmModelSerializer`` — a ModelSerializer that refuses control characters (NUL …) in every text field,
  caps text fields without a model ``max_length`` at ``TEXT_MAX_LENGTH`` and makes ``created_by``,
  ``created_at``, ``updated_at`` read-only;
- ``ScopedRelatedField`` — a relation by id that only accepts objects the requesting user can see
  (``Model.objects.visible_to(user)``); an id out of scope gets the same answer as one that does not exist;
- ``UserRelatedField`` — a user by id (active users; county users pick from their bureau and the city);
- ``CodeRelatedField`` — reference data (region, industry chain, qualification) by code.
"""

from django.db.models import BigIntegerField, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.filtersets import CODE_PATTERN, CODE_RE
from crm.models import (
    Bureau,
    Contact,
    Department,
    Enterprise,
    EnterpriseQualification,
    IndustryChain,
    Project,
    Qualification,
    Region,
    User,
)
from crm.validators import MAX_ID, normalize_credit_code, validate_credit_code, validate_no_control_chars

TEXT_MAX_LENGTH = 20000
INT32_MAX = 2**31 - 1
READ_ONLY_AUDIT = ("created_by", "created_at", "updated_at")


def add_text_validators(field: serializers.Field) -> None:
    """Refuse control characters in a writable text field (recursing into list children)."""
    if field.read_only:
        return
    if isinstance(field, serializers.ListField):
        add_text_validators(field.child)
        return
    if isinstance(field, serializers.CharField) and validate_no_control_chars not in field.validators:
        field.validators = [*field.validators, validate_no_control_chars]


class CrmModelSerializer(serializers.ModelSerializer):
    # Subclasses give their own docstring: it becomes the description of the OpenAPI component.

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.IntegerField) and not isinstance(model_field, BigIntegerField):
            # The same bound on SQLite and PostgreSQL (whose integer column holds 32 bits).
            limit = field_kwargs.get("max_value")
            field_kwargs["max_value"] = INT32_MAX if limit is None else min(limit, INT32_MAX)
        if (
            issubclass(field_class, serializers.CharField)
            and not field_kwargs.get("read_only")
            and field_kwargs.get("max_length") is None
        ):
            field_kwargs["max_length"] = TEXT_MAX_LENGTH
        return field_class, field_kwargs

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            add_text_validators(field)
        return fields

    def get_extra_kwargs(self):
        extra = super().get_extra_kwargs()
        declared = getattr(self.Meta, "fields", ())
        for name in READ_ONLY_AUDIT:
            if declared == serializers.ALL_FIELDS or name in declared:
                extra.setdefault(name, {})["read_only"] = True
        return extra


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A relation by integer id; a malformed or out-of-range id is a 400, never a database error."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            value = int(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= value <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(value)


class ScopedRelatedField(IdRelatedField):
    """Only objects the requesting user can see (``visible_to``); others answer "does not exist"."""

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return queryset.visible_to(request.user)


def users_selectable_by(user, *, keep=()):
    """Users a user may name (liaison officers, leads, owners): all for a city user, its own bureau's for a
    county user (as on the web forms: a county user does not hand work to city staff), plus ``keep`` (ids
    already set on the record being edited)."""
    users = User.objects.filter(is_active=True)
    if user is None or not user.is_authenticated:
        return users.none()
    if user.sees_everything:
        return users
    condition = Q(bureau_id=user.bureau_id) if user.bureau_id else Q(pk__in=[])
    keep = [pk for pk in keep if pk]
    if keep:
        condition |= Q(pk__in=keep)
    return users.filter(condition)


class UserRelatedField(IdRelatedField):
    """A user by id (see ``users_selectable_by``)."""

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", User.objects.all())
        super().__init__(**kwargs)

    def _current_ids(self) -> list[int]:
        """The users the edited record names in this field now (they stay selectable)."""
        field = self.parent if isinstance(self.parent, serializers.ManyRelatedField) else self
        instance = getattr(field.parent, "instance", None)
        if instance is None or not getattr(instance, "pk", None) or not field.source:
            return []
        if field is not self:
            return list(getattr(instance, field.source).values_list("pk", flat=True))
        return [getattr(instance, f"{field.source}_id", None)]

    def get_queryset(self):
        request = self.context.get("request")
        return users_selectable_by(getattr(request, "user", None), keep=self._current_ids())


class CodeRelatedField(serializers.SlugRelatedField):
    """Reference data by its code, e.g. ``"region": "320812"``."""

    default_error_messages = {
        "does_not_exist": _("Unknown code: {value}."),
        "invalid": _("Invalid code."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str | int) or isinstance(data, bool):
            self.fail("invalid")
        data = str(data).strip()
        # Codes are short and plain; anything else (NUL bytes break PostgreSQL) cannot exist.
        if not CODE_RE.match(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data[:32].encode("unicode_escape").decode())
        return super().to_internal_value(data)

    def to_representation(self, obj):
        # Reads the foreign key's raw value: no query for the related row.
        return obj.pk if hasattr(obj, "pk") else obj

    def get_attribute(self, instance):
        # A single foreign key: read the raw code (``region_id``) without loading the related row.
        if len(self.source_attrs) == 1:
            values = getattr(instance, "__dict__", {})
            attname = f"{self.source_attrs[0]}_id"
            if attname in values:
                return values[attname]
        return super().get_attribute(instance)


class QualificationCodeField(CodeRelatedField):
    """One element of ``qualifications``: written as a code, read from the (prefetched) through rows."""

    def to_representation(self, obj):
        return obj.qualification_id if isinstance(obj, EnterpriseQualification) else obj.pk


# ---------------------------------------------------------------------------------------------------------
# Reference data and organisation
# ---------------------------------------------------------------------------------------------------------


class ReferenceSerializer(CrmModelSerializer):
    """Region, industry chain and qualification: ``code`` (fixed once created), ``name``, ``sort_order``."""

    code = serializers.RegexField(rf"^{CODE_PATTERN}$", max_length=32)

    class Meta:
        fields = ["code", "name", "sort_order"]

    def validate_code(self, value):
        if self.instance is not None and value != self.instance.code:
            raise serializers.ValidationError(_("The code cannot be changed."))
        if self.instance is None and self.Meta.model.objects.filter(pk=value).exists():
            raise serializers.ValidationError(_("This code exists already."))
        return value


class RegionSerializer(ReferenceSerializer):
    """A region (区县), GB/T 2260 code or a functional-zone code such as ``320800-htz``."""

    class Meta(ReferenceSerializer.Meta):
        model = Region


class IndustryChainSerializer(ReferenceSerializer):
    """An industry chain (产业链)."""

    class Meta(ReferenceSerializer.Meta):
        model = IndustryChain


class QualificationSerializer(ReferenceSerializer):
    """An enterprise qualification (企业资质)."""

    class Meta(ReferenceSerializer.Meta):
        model = Qualification


class BureauSerializer(CrmModelSerializer):
    """A science & technology bureau (city or county)."""

    region = CodeRelatedField(queryset=Region.objects.all())

    class Meta:
        model = Bureau
        fields = ["id", "name", "level", "region"]


class DepartmentSerializer(CrmModelSerializer):
    """A department (处室) of a bureau."""

    bureau = IdRelatedField(queryset=Bureau.objects.all())
    bureau_name = serializers.CharField(source="bureau.name", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "bureau", "bureau_name", "name"]


class MeSerializer(serializers.ModelSerializer):
    """The signed-in user: ``bureau`` and ``department`` as ids, ``roles`` as role codes."""

    roles = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "bureau", "department", "roles"]
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer):
    """Credentials exchanged for an API token."""

    username = serializers.CharField(max_length=150, validators=[validate_no_control_chars])
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    """Send it as ``Authorization: Token <key>``."""

    token = serializers.CharField(read_only=True)


# ---------------------------------------------------------------------------------------------------------
# Enterprises, contacts, projects
# ---------------------------------------------------------------------------------------------------------


class EnterpriseQualificationSerializer(serializers.ModelSerializer):
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

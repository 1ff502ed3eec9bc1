"""API of the organisation and the reference data (DESIGN §8.3, §3): bureaus and their departments by id;
regions, industry chains and qualifications by ``code``. Written by administrators only."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.api.base import CodeRelatedField, CrmModelSerializer, IdRelatedField, ScopedModelViewSet
from crm.filtersets import (
    CODE_PATTERN,
    BureauFilterSet,
    DepartmentFilterSet,
    IndustryChainFilterSet,
    QualificationFilterSet,
    RegionFilterSet,
)
from crm.models import Bureau, Department, IndustryChain, Qualification, Region

# ---------------------------------------------------------------------------------------------------------
# Serializers
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


# ---------------------------------------------------------------------------------------------------------
# Viewsets
# ---------------------------------------------------------------------------------------------------------


class ReferenceViewSet(ScopedModelViewSet):
    """Regions, industry chains, qualifications: looked up by ``code``; written by administrators only."""

    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN


class RegionViewSet(ReferenceViewSet):
    """Regions (区县), by code; written by administrators."""

    model = Region
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet


class IndustryChainViewSet(ReferenceViewSet):
    """Industry chains (产业链), by code; written by administrators."""

    model = IndustryChain
    serializer_class = IndustryChainSerializer
    filterset_class = IndustryChainFilterSet


class QualificationViewSet(ReferenceViewSet):
    """Qualifications (企业资质), by code; written by administrators."""

    model = Qualification
    serializer_class = QualificationSerializer
    filterset_class = QualificationFilterSet


class BureauViewSet(ScopedModelViewSet):
    """Bureaus; written by administrators."""

    model = Bureau
    serializer_class = BureauSerializer
    filterset_class = BureauFilterSet


class DepartmentViewSet(ScopedModelViewSet):
    """Departments of the bureaus; written by administrators."""

    model = Department
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilterSet
    select_related = ("bureau",)

"""API views (DESIGN §8.3) and ``ScopedModelViewSet``, the base of every model endpoint.

How to add an endpoint for a model of your area::

    from crm.api.views import ScopedModelViewSet

    class VisitViewSet(ScopedModelViewSet):
        model = Visit                                   # reads go through Visit.objects.visible_to(user)
        serializer_class = VisitSerializer              # subclass crm.api.serializers.CrmModelSerializer
        filterset_class = VisitFilterSet                # from crm/filtersets.py
        select_related = ("enterprise", "lead")         # applied to every read (list and detail)
        prefetch_related = ("officers",)                # strings or Prefetch objects
        create_service = staticmethod(visit_create)     # (*, user, data) -> instance
        update_service = staticmethod(visit_update)     # (*, user, data, visit=instance) -> instance; see below
        # delete_service = staticmethod(...)            # (*, user, instance) -> None; default instance.delete()
        # http_method_names = ["get", "post", "head", "options"]   # e.g. to make it append-only

    # crm/api/urls.py (one line): router.register("visits", VisitViewSet, basename="visits")

What the base gives:

- scoping: ``get_queryset()`` is ``model.objects.visible_to(request.user)`` (``.all()`` for models
  without scoping) plus the declared joins; an object out of scope answers 404 — before any 403;
- permissions: ``IsAuthenticated`` + ``CrmModelPermission`` (``can_create`` on POST, ``can_edit`` on
  PUT/PATCH, ``can_delete`` on DELETE, from crm/permissions.py); officers never delete (403);
  ``@action`` methods check their own rules;
- filtering and ordering: ``filterset_class`` (``?ordering=`` is part of the FilterSet); pagination with
  ``page_size`` (≤ 200);
- writes: ``perform_create``/``perform_update`` call the services with the serializer's validated data
  (``update_service`` receives the instance under the keyword named by ``update_instance_kwarg``, by
  default the model name, e.g. ``visit=``); without a service a generic ``full_clean()`` + ``save()`` is
  used, which also sets ``created_by`` and, for models that have one, ``bureau`` to the creator's;
- errors: Django ``ValidationError`` from a service → 400 ``{field: [messages]}``; ``PermissionDenied`` →
  403; a row still referenced (PROTECT) → 409; an integrity error → 409 — never a 500
  (``translate_db_errors()`` and ``Conflict`` are reusable in ``@action`` methods).

Services whose signature differs (keyword fields instead of ``data``) are called from an overridden
``perform_create``/``perform_update``; set ``serializer.instance`` to the result.
Serializers: subclass ``crm.api.serializers.CrmModelSerializer`` (control characters refused in every text
field) and use ``ScopedRelatedField`` / ``UserRelatedField`` / ``CodeRelatedField`` for relations.
"""

from contextlib import contextmanager

from django.contrib.auth import authenticate
from django.db import IntegrityError, models, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from crm.api.permissions import CrmModelPermission
from crm.api.serializers import (
    CODE_PATTERN,
    BureauSerializer,
    ContactSerializer,
    DepartmentSerializer,
    EnterpriseSerializer,
    IndustryChainSerializer,
    MeSerializer,
    ProjectSerializer,
    QualificationSerializer,
    RegionSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from crm.filtersets import (
    BureauFilterSet,
    ContactFilterSet,
    DepartmentFilterSet,
    EnterpriseFilterSet,
    IndustryChainFilterSet,
    ProjectFilterSet,
    QualificationFilterSet,
    RegionFilterSet,
)
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
from crm.services.enterprises import (
    contact_create,
    contact_update,
    enterprise_create,
    enterprise_update,
    project_create,
    project_update,
)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the record.")
    default_code = "conflict"


@contextmanager
def translate_db_errors():
    """Database refusals become API errors: a row still referenced (PROTECT) → 409, an integrity error → 409.

    Django ``ValidationError`` passes through; the exception handler answers 400 with the fields named.
    """
    try:
        yield
    except (models.ProtectedError, models.RestrictedError) as exc:
        raise Conflict(_("This record is still referenced by other records and cannot be deleted.")) from exc
    except IntegrityError as exc:
        raise Conflict(_("The record conflicts with an existing one.")) from exc


def _field_names(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.get_fields()}


class ScopedModelViewSet(viewsets.ModelViewSet):
    """Base of every model endpoint: scoped reads, §5 permissions, FilterSet, service-backed writes.

    See the module docstring for how to subclass it.
    """

    model: type[models.Model] | None = None
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple = ()
    create_service = None
    update_service = None
    delete_service = None
    update_instance_kwarg: str | None = None

    permission_classes = [IsAuthenticated, CrmModelPermission]
    filter_backends = [DjangoFilterBackend]

    # --- reads -------------------------------------------------------------------------------------------

    def base_queryset(self):
        manager = self.model._default_manager
        queryset = manager.all()
        if hasattr(queryset, "visible_to"):
            return queryset.visible_to(self.request.user)
        return queryset

    def get_queryset(self):
        queryset = self.base_queryset()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        return queryset

    # --- writes ------------------------------------------------------------------------------------------

    def _instance_kwarg(self) -> str:
        return self.update_instance_kwarg or self.model._meta.model_name

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        with translate_db_errors():
            if self.create_service is not None:
                instance = type(self).create_service(user=self.request.user, data=data)
            else:
                instance = self.default_create(data)
        serializer.instance = instance

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        with translate_db_errors():
            if self.update_service is not None:
                instance = type(self).update_service(
                    user=self.request.user, data=data, **{self._instance_kwarg(): serializer.instance}
                )
            else:
                instance = self.default_update(serializer.instance, data)
        serializer.instance = instance

    def perform_destroy(self, instance):
        with translate_db_errors():
            if self.delete_service is not None:
                type(self).delete_service(user=self.request.user, instance=instance)
            else:
                with transaction.atomic():
                    instance.delete()

    # Generic writes for models without services (reference data, organisation).

    def _split_m2m(self, data: dict) -> tuple[dict, dict]:
        m2m = {f.name for f in self.model._meta.many_to_many}
        return {k: v for k, v in data.items() if k not in m2m}, {k: v for k, v in data.items() if k in m2m}

    @transaction.atomic
    def default_create(self, data: dict):
        plain, related = self._split_m2m(data)
        instance = self.model(**plain)
        fields = _field_names(self.model)
        user = self.request.user
        if "created_by" in fields:
            instance.created_by = user
        if "bureau" in fields and "bureau" not in plain and user.bureau_id:
            instance.bureau_id = user.bureau_id
        instance.full_clean()
        instance.save()
        for name, value in related.items():
            getattr(instance, name).set(value)
        return instance

    @transaction.atomic
    def default_update(self, instance, data: dict):
        plain, related = self._split_m2m(data)
        for name, value in plain.items():
            setattr(instance, name, value)
        instance.full_clean()
        instance.save()
        for name, value in related.items():
            getattr(instance, name).set(value)
        return instance


class ReferenceViewSet(ScopedModelViewSet):
    """Regions, industry chains, qualifications: looked up by ``code``; written by administrators only."""

    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN


# ---------------------------------------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------------------
# Authentication and the current user
# ---------------------------------------------------------------------------------------------------------


class LoginRateThrottle(AnonRateThrottle):
    """Login attempts per client address, at the ``login`` rate (DESIGN §9.3)."""

    scope = "login"


class TokenView(APIView):
    """``POST {"username", "password"}`` → 200 ``{"token"}``; wrong credentials → 400."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to log in with the username and password given.")]}
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(APIView):
    """The signed-in user."""

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(request.user).data)

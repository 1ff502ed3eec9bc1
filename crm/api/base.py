"""The base of every API endpoint (DESIGN §8.3): ``ScopedModelViewSet``, ``CrmModelSerializer`` and the
related fields, ``Conflict``. The API is laid out by domain (DESIGN §10): enterprises, organisation, accounts,
engagement, policies, lists, dashboard; service errors are mapped once, in crm/api/errors.py.

How to add an endpoint for a model of your area::

    from crm.api.base import ScopedModelViewSet

    class VisitViewSet(ScopedModelViewSet):
        model = Visit                                   # reads go through Visit.objects.visible_to(user)
        serializer_class = VisitSerializer              # subclass crm.api.base.CrmModelSerializer
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
- errors: views and ``@action`` methods call the services and let their errors go: the exception handler
  (crm/api/errors.py, the one mapping) answers Django ``ValidationError`` → 400 ``{field: [messages]}``;
  ``PermissionDenied`` / ``TransitionForbidden`` → 403; ``TransitionConflict``, a row still referenced
  (PROTECT) or an integrity error → 409 — never a 500.

Services whose signature differs (keyword fields instead of ``data``) are called from an overridden
``perform_create``/``perform_update``; set ``serializer.instance`` to the result.
Serializers: subclass ``CrmModelSerializer`` (control characters refused in every text
field) and use ``ScopedRelatedField`` / ``UserRelatedField`` / ``CodeRelatedField`` for relations.
"""

import copy
import datetime
import inspect
from collections.abc import Mapping

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import BigIntegerField, Q
from django.utils.translation import gettext_lazy as _
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import ISO_8601, exceptions, serializers, status, viewsets
from rest_framework.fields import SkipField
from rest_framework.permissions import IsAuthenticated
from rest_framework.relations import PKOnlyObject
from rest_framework.response import Response
from rest_framework.utils import html

from crm.api.pagination import ONE_VALUE
from crm.api.permissions import CrmModelPermission
from crm.choices import NeedCategory
from crm.filtersets import CODE_PATTERN, CODE_RE, filters_named, filterset_with
from crm.models import User
from crm.prepared import Prepared, Statements
from crm.querysets import scope_region
from crm.validators import MAX_ID, validate_no_control_chars

TEXT_MAX_LENGTH = 20000
# A reference-data code as a query parameter (``?region=320831``): the shape ``CodeRelatedField`` accepts.
CODE_SCHEMA_PATTERN = f"^{CODE_PATTERN}$"
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


class StrictStringMixin:
    """A text field that takes a JSON string only: DRF's ``CharField`` turns ``12`` or ``1.5`` into ``"12"`` and
    ``"1.5"``, although the schema says ``string``. Numbers (and everything else) are refused with "Not a valid
    string."; form data is always text, so uploads are unaffected."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


_STRICT_CLASSES: dict[type, type] = {}


def strict_string_field(field: serializers.Field) -> None:
    """Make a writable field strict about JSON types, so it takes what the schema says and nothing else: text
    (``CharField`` and its subclasses: e-mail, regex, slug, URL, credit code …: ``StrictStringMixin``), booleans
    (``StrictBooleanMixin``), decimals (``StrictDecimalMixin``), relations (``StrictRelatedMixin``) and lists of
    relations or choices (``StrictListMixin``), recursing into list children. The one place this is done:
    ``CrmSerializer`` and ``CrmModelSerializer`` call it for every field, declared or generated."""
    if field.read_only:
        return
    if isinstance(field, serializers.ListField):
        strict_string_field(field.child)
        return
    for kind, mixin in STRICT_MIXINS:
        if isinstance(field, kind):
            if not isinstance(field, mixin):
                _strict_class(field, mixin)
            return


class StrictBooleanMixin:
    """A boolean field that takes JSON ``true``/``false`` only: DRF's ``BooleanField`` also reads ``0``, ``1``,
    ``"yes"`` or ``"off"``, although the schema says ``boolean``. Form data and query strings are text, so there
    the usual words (``true``, ``1``, ``on`` …) still count."""

    def to_internal_value(self, data):
        if not isinstance(data, bool) and not _form_input(self):
            self.fail("invalid", input=str(data)[:32])
        return super().to_internal_value(data)


def _form_input(field: serializers.Field) -> bool:
    """The serializer reads form data (a multipart upload), where every value is text."""
    return html.is_html_input(getattr(field.root, "initial_data", None))


class StrictDecimalMixin:
    """A decimal field that takes a JSON string only (``"12.50"``), as it answers (``COERCE_DECIMAL_TO_STRING``)
    and as the schema says (``string``, ``format: decimal``): DRF's ``DecimalField`` also reads the JSON number
    ``12.5``, a binary float that may not hold the amount exactly."""

    def to_internal_value(self, data):
        if not isinstance(data, str) and not _form_input(self):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictRelatedMixin:
    """A relation that takes an id or code, or ``null`` where the field allows it: DRF reads ``""`` as ``null``
    (for HTML forms), although the schema has no empty string for it. Form data keeps that reading."""

    def run_validation(self, data=serializers.empty):
        if data == "" and not _form_input(self):
            # Raised, not ``self.fail``: the mixin is put on a field after its error messages were collected.
            raise serializers.ValidationError(_("This field may not be blank."), code="blank")
        return super().run_validation(data)


class StrictListMixin:
    """A list of relations or choices that takes a JSON array only: DRF's ``ManyRelatedField`` and
    ``MultipleChoiceField`` read any iterable, so ``{}`` passed as an empty list."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


# Field kinds and the mixin that makes each strict (first match wins; ``strict_string_field``).
STRICT_MIXINS: tuple[tuple[type, type], ...] = (
    (serializers.CharField, StrictStringMixin),
    (serializers.BooleanField, StrictBooleanMixin),
    (serializers.DecimalField, StrictDecimalMixin),
    (serializers.RelatedField, StrictRelatedMixin),
    (serializers.ManyRelatedField, StrictListMixin),
    (serializers.MultipleChoiceField, StrictListMixin),
)


def _strict_class(field: serializers.Field, mixin: type) -> None:
    base = type(field)
    strict = _STRICT_CLASSES.get(base)
    if strict is None:
        strict = _STRICT_CLASSES[base] = type(base.__name__, (mixin, base), {"__module__": __name__})
    field.__class__ = strict


class StrictCharField(StrictStringMixin, serializers.CharField):
    """A ``CharField`` that takes a JSON string only (for serializers outside crm/api)."""


class StrictStringsMixin:
    # Every writable text field of the serializer takes a JSON string only (``strict_string_field``). No docstring
    # here or on the bases below: drf-spectacular describes a component by the docstring its class inherits.

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            strict_string_field(field)
        return fields


# --- reading: the same answer as DRF's ``Serializer.to_representation``, with less work per row ---------------


class FastDateTimeField(serializers.DateTimeField):
    # The current time zone is read once per field instance (a serializer's fields live for one request), not
    # once per value: ``timezone.get_current_timezone()`` goes through a context-local lookup each time. An aware
    # datetime written in ISO 8601 (the API's format) is converted and written directly, as DRF's
    # ``enforce_timezone`` and ``to_representation`` do it; anything else takes DRF's path.

    def default_timezone(self):
        try:
            return self._default_timezone
        except AttributeError:
            self._default_timezone = super().default_timezone()
            return self._default_timezone

    def to_representation(self, value):
        try:
            zone = self._iso_zone
        except AttributeError:
            output_format = getattr(self, "format", serializers.api_settings.DATETIME_FORMAT)
            iso = isinstance(output_format, str) and output_format.lower() == ISO_8601
            zone = self._iso_zone = (
                (self.timezone if hasattr(self, "timezone") else self.default_timezone()) if iso else None
            )
        if zone is not None and type(value) is datetime.datetime and value.utcoffset() is not None:
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:
                return super().to_representation(value)  # DRF's error
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().to_representation(value)


_PLAIN, _FOREIGN_KEY, _MANY, _PATH, _METHOD = "plain", "fk", "m2m", "path", "method"
_ATTRIBUTE_KINDS: dict[tuple[type, str], tuple[str, ...] | None] = {}


def _attribute_kind(cls: type, name: str) -> tuple[str, ...] | None:
    """How ``getattr(instance, name)`` of a ``cls`` instance can be read from the instance itself: a plain value in
    its ``__dict__`` (``_PLAIN``; the class attribute, if any, is no data descriptor such as a property), a foreign
    key's raw value (``_FOREIGN_KEY``, with the attname and the key under which its related row, once loaded, is
    cached in ``_state.fields_cache``) or a prefetched many-to-many (``_MANY``); ``None``: ask
    ``getattr``. Cached per model class and name."""
    key = (cls, name)
    if key in _ATTRIBUTE_KINDS:
        return _ATTRIBUTE_KINDS[key]
    kind = None
    meta = getattr(cls, "_meta", None)
    model_field = None
    if meta is not None:
        try:
            model_field = meta.get_field(name)
        except FieldDoesNotExist:
            model_field = None
    if model_field is not None and model_field.is_relation:
        if model_field.concrete and (model_field.many_to_one or model_field.one_to_one):
            kind = (_FOREIGN_KEY, model_field.attname, model_field.cache_name)
        elif model_field.many_to_many and model_field.concrete:
            kind = (_MANY, name)
    else:
        descriptor = inspect.getattr_static(cls, name, None)
        if not (hasattr(descriptor, "__set__") or hasattr(descriptor, "__delete__")):
            kind = (_PLAIN, name)
    _ATTRIBUTE_KINDS[key] = kind
    return kind


_FIELD_GET_ATTRIBUTE = serializers.Field.get_attribute
_RELATED_GET_ATTRIBUTE = serializers.RelatedField.get_attribute
_MANY_GET_ATTRIBUTE = serializers.ManyRelatedField.get_attribute


_MISSING = object()


def _loaded_related(instance, name: str):
    """The related row of the foreign key ``name`` that ``instance`` holds already (``select_related``, an earlier
    read), as ``getattr`` would answer it; ``_MISSING`` when reading it could cost a query or is not a plain foreign
    key (``getattr`` then decides)."""
    key = (type(instance), name)
    kind = _ATTRIBUTE_KINDS[key] if key in _ATTRIBUTE_KINDS else _attribute_kind(*key)
    if kind is None or kind[0] != _FOREIGN_KEY or kind[2] != name:  # ``enterprise_id`` names the raw value
        return _MISSING
    state = instance.__dict__.get("_state")
    return _MISSING if state is None else state.fields_cache.get(name, _MISSING)


_NONE_ON_THE_WAY = object()


def _read_path(instance, attrs):
    """``getattr`` along ``attrs`` (``["enterprise", "name"]``) from what the rows hold: through loaded related rows
    to a plain value; ``_NONE_ON_THE_WAY`` when a loaded related row is ``None`` (``getattr`` would raise
    ``AttributeError``); ``_MISSING`` (``getattr`` then decides) for anything else — a row not loaded, a property, a
    callable, a deferred column."""
    for attr in attrs[:-1]:
        instance = _loaded_related(instance, attr)
        if instance is None:
            return _NONE_ON_THE_WAY
        if instance is _MISSING or callable(instance):
            return _MISSING
    last = attrs[-1]
    key = (type(instance), last)
    kind = _ATTRIBUTE_KINDS[key] if key in _ATTRIBUTE_KINDS else _attribute_kind(*key)
    if kind is None or kind[0] != _PLAIN:
        return _MISSING
    value = instance.__dict__.get(last, _MISSING)
    return _MISSING if callable(value) else value


def _field_reader(field) -> str | None:
    """Which shortcut (if any) reads this field exactly as its own ``get_attribute`` would: only fields that keep
    DRF's ``get_attribute`` and name one attribute of the instance, a dotted path (``enterprise.name``: ``_PATH``)
    through foreign keys to a plain value, or a ``SerializerMethodField`` (``_METHOD``)."""
    get_attribute = type(field).get_attribute
    if len(field.source_attrs) > 1 and get_attribute is _FIELD_GET_ATTRIBUTE:
        return _PATH
    if (
        not field.source_attrs
        and get_attribute is _FIELD_GET_ATTRIBUTE
        and type(field).to_representation is serializers.SerializerMethodField.to_representation
    ):
        return _METHOD  # ``get_<name>(instance)`` of the serializer
    if len(field.source_attrs) != 1:
        return None
    if get_attribute is _FIELD_GET_ATTRIBUTE:
        return _PLAIN
    if get_attribute is _RELATED_GET_ATTRIBUTE and field.use_pk_only_optimization():
        return _FOREIGN_KEY
    if get_attribute is _MANY_GET_ATTRIBUTE:
        return _MANY
    return None


# Fields whose ``to_representation`` of a value of exactly this type is the value itself (``str(text)``,
# ``int(number)``, ``True``/``False`` among DRF's true and false values, a primary key's ``value.pk`` of the raw
# key): a list row skips the call.
_IDENTITY_TYPES: dict = {
    serializers.CharField.to_representation: str,
    serializers.IntegerField.to_representation: int,
    serializers.BooleanField.to_representation: bool,
}
_RELATED = "related"


def _identity_type(field) -> type | None:
    render = type(field).to_representation
    if render is serializers.PrimaryKeyRelatedField.to_representation and field.pk_field is None:
        return int  # ``PKOnlyObject(pk=value).pk``
    return _IDENTITY_TYPES.get(render)


def _iso_date(field) -> bool:
    """The field writes a date as ``date.isoformat()`` (DRF's ``DateField`` in the ISO 8601 format)."""
    if type(field).to_representation is not serializers.DateField.to_representation:
        return False
    output_format = getattr(field, "format", serializers.api_settings.DATE_FORMAT)
    return isinstance(output_format, str) and output_format.lower() == ISO_8601


def _none_on_the_way(field) -> bool:
    """A dotted source with ``None`` on the way answers ``None``: what ``Field.get_attribute`` makes of the
    ``AttributeError`` for a field with ``default=None`` (outside a partial update) or, without a default, one that
    allows null. Other fields (a callable default, a skipped field, an error) take DRF's path."""
    if field.default is None:
        return not getattr(field.root, "partial", False)
    return field.default is serializers.empty and field.allow_null


def _read_step(field, reader: str | None, cls: type) -> tuple | None:
    """How a row of class ``cls`` gives the value of ``field`` (read by ``reader``) without ``get_attribute``:
    ``(_PLAIN, name)``, ``(_FOREIGN_KEY, attname)``, ``(_RELATED, name)`` (a loaded related row), ``(_MANY, name)``
    or ``(_PATH, (attrs, whether None on the way answers None))``; ``None``: DRF's path."""
    if reader is _PATH:
        return (_PATH, (field.source_attrs, _none_on_the_way(field)))
    if reader is _METHOD:
        return (_METHOD, getattr(field.parent, field.method_name))
    if reader is None:
        return None
    source = field.source_attrs[0]
    kind = _attribute_kind(cls, source)
    if kind is None:
        return None
    if reader == _PLAIN and kind[0] == _FOREIGN_KEY:
        # A foreign key read as its related row (``source="handler"``), once loaded.
        return (_RELATED, source) if kind[2] == source else None
    if kind[0] != reader:
        return None
    return (reader, kind[1])


class FastReadMixin:
    # ``to_representation`` as DRF's, but a list reads its rows without DRF's per-value detours: the readable
    # fields are listed once per serializer, how each is read is worked out once per serializer and row class, and a
    # value the instance holds itself (a column, a foreign key's id, a loaded related row, a prefetched
    # many-to-many) is read from it directly instead of through ``getattr`` chains, descriptors and related
    # managers. Anything else (methods, properties, deferred columns, rows not loaded) takes DRF's path.

    def _read_plan_for(self, cls: type) -> list:
        plans = self.__dict__.get("_read_plans")
        if plans is None:
            plans = self._read_plans = {}
            self._readers = [(field, _field_reader(field)) for field in self._readable_fields]
        plan = plans[cls] = [
            (
                field.field_name,
                field,
                field.source_attrs[0] if len(field.source_attrs) == 1 else None,
                _read_step(field, reader, cls),
                _identity_type(field),
                _iso_date(field),
            )
            for field, reader in self._readers
        ]
        return plan

    def to_representation(self, instance):
        values = getattr(instance, "__dict__", None)
        if values is None or isinstance(instance, Mapping):
            return super().to_representation(instance)
        cls = type(instance)
        plans = self.__dict__.get("_read_plans")
        plan = plans.get(cls) if plans is not None else None
        if plan is None:
            plan = self._read_plan_for(cls)
        light = values.get(LIGHT_RELATED)
        state = values.get("_state")
        ret = {}
        for name, field, single, step, same, iso_date in plan:
            if light is not None and single in light:
                # Filled for the page by ``light_prefetch`` (only for relations every reader of which takes it).
                related = light[single]
                ret[name] = list(related) if type(related) is RelatedKeys else field.to_representation(related)
                continue
            if step is not None:
                how, key = step
                value = _MISSING
                if how is _METHOD:
                    ret[name] = key(instance)  # as ``SerializerMethodField`` (``source="*"``: the instance itself)
                    continue
                if how is _PLAIN:
                    value = values.get(key, _MISSING)
                    if callable(value):
                        value = _MISSING
                elif how is _FOREIGN_KEY:
                    value = values.get(key, _MISSING)
                    if value is not _MISSING and value is not None and type(value) is not same:
                        ret[name] = field.to_representation(PKOnlyObject(pk=value))
                        continue
                elif how is _RELATED:
                    if state is not None:
                        value = state.fields_cache.get(key, _MISSING)
                        if callable(value):
                            value = _MISSING
                elif how is _PATH:
                    value = _read_path(instance, key[0])
                    if value is _NONE_ON_THE_WAY:
                        value = None if key[1] else _MISSING
                else:
                    prefetched = values.get("_prefetched_objects_cache")
                    if prefetched and key in prefetched and instance.pk is not None:
                        ret[name] = field.to_representation(prefetched[key])
                        continue
                if value is not _MISSING:
                    if value is None or type(value) is same:
                        ret[name] = value
                    elif iso_date and type(value) is datetime.date:
                        ret[name] = value.isoformat()
                    else:
                        ret[name] = field.to_representation(value)
                    continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            if type(attribute) is same:
                ret[name] = attribute
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check_for_none is None else field.to_representation(attribute)
        return ret


# --- lists: a page's related records, one query per relation, without Django's per-row managers -------------
#
# ``prefetch_related`` makes, for every row and relation, a related manager and a clone of its queryset to hold
# the rows (~1.5 ms per relation on a page of 20). A list page fills its relations itself instead: the keys of a
# many-to-many relation from its through table (no model instances), the rows of a reverse foreign key from one
# query, grouped by key in one pass, kept in the row's ``__dict__`` where ``FastReadMixin`` reads them. Only
# relations that every field of the serializer reading them takes as a plain list; others keep the prefetch.

LIGHT_RELATED = "_crm_light_related"


class RelatedKeys(tuple):
    # The keys of a row's related records, in the order the prefetch gives them (the related model's ordering).
    __slots__ = ()


_LIST_READERS = (serializers.ListSerializer.to_representation, serializers.ManyRelatedField.to_representation)


def _renders_keys(field) -> bool:
    """A many-related field that answers its records' keys and nothing else (``[3, 7]``, ``["320812"]``)."""
    if type(field).to_representation is not serializers.ManyRelatedField.to_representation:
        return False
    child = field.child_relation
    render = type(child).to_representation
    if render is serializers.PrimaryKeyRelatedField.to_representation:
        return child.pk_field is None
    return render is CodeRelatedField.to_representation


def _takes_list(field) -> bool:
    """The field renders a plain list of the related rows as it renders their related manager."""
    return type(field).to_representation in _LIST_READERS or getattr(field, "takes_related_list", False)


def _ordering_through(queryset, target: str) -> list[str] | None:
    """The ordering of ``queryset`` (of the related model) said from the through table whose foreign key to that
    model is ``target``; ``None`` when it cannot be (an expression, random order)."""
    query = queryset.query
    terms = query.order_by or (queryset.model._meta.ordering if query.default_ordering else ())
    pk_name = queryset.model._meta.pk.name
    ordering = []
    for term in terms:
        if not isinstance(term, str) or term == "?":
            return None
        sign, name = ("-", term[1:]) if term.startswith("-") else ("", term)
        ordering.append(f"{sign}{target}_id" if name in ("pk", pk_name) else f"{sign}{target}__{name}")
    return ordering


def _plain_queryset(queryset) -> bool:
    """A queryset of all the related model's rows: no filter, slice, distinct, annotation or extra."""
    query = queryset.query
    return not (
        query.where
        or query.distinct
        or query.annotations
        or query.extra
        or query.extra_order_by
        or query.low_mark
        or query.high_mark is not None
        or queryset._prefetch_related_lookups
    )


def _light_relation(model, lookup, readers) -> tuple | None:
    """How a list page fills the relation ``lookup`` of ``model`` read by the serializer fields ``readers``:
    ``("keys", through queryset, source, target)`` for a many-to-many read as keys, ``("rows", queryset, foreign
    key)`` for a reverse foreign key; ``None``: keep the prefetch."""
    if isinstance(lookup, models.Prefetch):
        if lookup.to_attr or lookup.prefetch_through != lookup.prefetch_to:
            return None
        name, queryset = lookup.prefetch_to, lookup.queryset
    else:
        name, queryset = lookup, None
    if "__" in name or not readers or any(len(field.source_attrs) != 1 for field in readers):
        return None
    try:
        relation = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    related = relation.related_model
    if queryset is None:
        queryset = related._default_manager.all()
    if queryset.model is not related:
        return None
    if relation.many_to_many and relation.concrete and all(_renders_keys(field) for field in readers):
        through = relation.remote_field.through
        source, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        ordering = _ordering_through(queryset, target)
        default = related._default_manager.all()
        if ordering is None or not _plain_queryset(queryset) or not _plain_queryset(default):
            return None
        keys = through._default_manager.order_by(*ordering).values_list(source, target)
        return ("keys", keys, source)
    if relation.one_to_many and relation.auto_created and all(_takes_list(field) for field in readers):
        foreign_key = relation.field
        if not foreign_key.target_field.primary_key:
            return None
        return ("rows", queryset, foreign_key)
    return None


class LightPlan:
    """Which of a viewset's prefetches a list page fills itself (``light``, by name) and which it keeps."""

    def __init__(self, model, lookups, serializer):
        fields = [field for field in serializer.fields.values() if not field.write_only]
        self.keep, self.light = [], {}
        if type(serializer).to_representation is not FastReadMixin.to_representation:
            # A serializer that writes (part of) its answer itself may read any relation of the row as Django's
            # related manager: it keeps every prefetch.
            self.keep = list(lookups)
            return
        for lookup in lookups:
            name = lookup.prefetch_to if isinstance(lookup, models.Prefetch) else lookup
            readers = [field for field in fields if field.source_attrs and field.source_attrs[0] == name]
            how = _light_relation(model, lookup, readers)
            if how is None:
                self.keep.append(lookup)
            else:
                self.light[name] = how


_LIGHT_PLANS: dict[tuple, LightPlan] = {}


def light_plan(view_class, model, lookups, serializer_class) -> LightPlan:
    """The ``LightPlan`` of a viewset class's list with a serializer class (made once)."""
    key = (view_class, serializer_class)
    plan = _LIGHT_PLANS.get(key)
    if plan is None:
        plan = _LIGHT_PLANS[key] = LightPlan(model, lookups, serializer_class())
    return plan


# The statement of a relation's query for a page of n rows, compiled once (``Prepared``): building and compiling the
# queryset cost ~1,500 calls a relation and page, SQLite's answer a fraction of it. Keyed by the plan's queryset
# (plans live as long as the process, ``_LIGHT_PLANS``) and n; ``None``: the statement cannot be prepared. Planned once
# per connection on PostgreSQL (``plan_once``): a page's related rows by its keys take one plan whatever the keys.
# The queryset is kept beside its statement: its ``id`` stays its own while kept.
_LIGHT_STATEMENTS = Statements()


def _related_rows(queryset: models.QuerySet, lookup: str, pks: list) -> list:
    """``list(queryset.filter(**{lookup: pks}))`` (``lookup`` ends in ``__in``), by a statement prepared per length
    of ``pks`` when the keys are integers and the queryset plain (others run as they are)."""
    query = queryset.query
    if query.annotations or query.extra or not all(type(pk) is int for pk in pks):
        return list(queryset.filter(**{lookup: pks}))  # ``Prepared`` sets no annotations on the rows
    key = (id(queryset), len(pks))
    found = _LIGHT_STATEMENTS.once(
        key,
        lambda: (
            queryset,
            Prepared.for_keys(lambda *keys: queryset.filter(**{lookup: keys}), len(pks), plan_once=True),
        ),
    )
    prepared = found[1]
    if prepared is not None:
        try:
            return prepared(*pks, using=queryset.db)
        except ValueError:  # not a shape ``Prepared`` runs (a prefetch on the queryset, a sample not found once)
            _LIGHT_STATEMENTS.keep(key, (queryset, None))
    return list(queryset.filter(**{lookup: pks}))


def light_prefetch(rows, light: dict) -> None:
    """Fill the relations ``light`` (of a ``LightPlan``) of a page's ``rows``: one query per relation."""
    if not rows:
        return
    by_pk = {row.pk: row for row in rows}
    for name, how in light.items():
        related = {pk: [] for pk in by_pk}
        if how[0] == "keys":
            _kind, keys, source = how
            for pk, key in _related_rows(keys, f"{source}__in", list(by_pk)):
                related[pk].append(key)
            related = {pk: RelatedKeys(found) for pk, found in related.items()}
        else:
            _kind, queryset, foreign_key = how
            attname = foreign_key.attname
            for obj in _related_rows(queryset, f"{attname}__in", list(by_pk)):
                pk = getattr(obj, attname)
                foreign_key.set_cached_value(obj, by_pk[pk])
                related[pk].append(obj)
        for pk, row in by_pk.items():
            row.__dict__.setdefault(LIGHT_RELATED, {})[name] = related[pk]


class CrmSerializer(FastReadMixin, StrictStringsMixin, serializers.Serializer):
    # Base of the API's plain serializers (requests of actions, computed answers).
    pass


_BUILT_FIELDS: dict[type, dict] = {}


def field_copy(field: serializers.Field) -> serializers.Field:
    """A copy of a built, unbound field, for one serializer: what ``copy.deepcopy`` gives, without building the
    field again from its arguments (DRF's ``__deepcopy__`` re-runs ``__init__`` on deep copies of them: most of a
    list's serializer set-up). A field keeps nothing of a request but its binding (``bind`` sets the name, source
    and parent on the copy) and what a serializer puts on it (new values, on the copy: strict class, validators);
    the fields it holds (a list's child, a many-relation's child relation) are copied too and hang from the copy;
    a nested serializer, which holds its own bound fields, is deep-copied as before."""
    if isinstance(field, serializers.BaseSerializer):
        return copy.deepcopy(field)
    # ``copy.copy`` of a field, without its detour through ``__reduce_ex__`` (fields have no ``__copy__``, no
    # ``__slots__``; ``Field.__new__`` only records the arguments, which the state copied next replaces).
    cls = type(field)
    new = cls.__new__(cls)
    new.__dict__.update(field.__dict__)
    for name in ("child", "child_relation"):
        inner = new.__dict__.get(name)
        if isinstance(inner, serializers.Field):
            inner = field_copy(inner)
            inner.parent = new  # bound to it as the original was (``field_name`` and ``source`` are set already)
            setattr(new, name, inner)
    return new


class BuiltFieldsMixin:
    # ``ModelSerializer.get_fields`` inspects the model and builds every field anew for each serializer (each
    # request): the fields it built for a class are kept, and each serializer gets a copy of them (``field_copy``).
    # What it reads — ``Meta``, the model, the extra kwargs — is the same for every instance of a class; the
    # serializers below adjust their copies (strict types, text validators) as before.

    def get_fields(self):
        built = _BUILT_FIELDS.get(type(self))
        if built is None:
            built = _BUILT_FIELDS[type(self)] = super().get_fields()
        return {name: field_copy(field) for name, field in built.items()}


class CrmModelSerializer(FastReadMixin, StrictStringsMixin, BuiltFieldsMixin, serializers.ModelSerializer):
    # Subclasses give their own docstring: it becomes the description of the OpenAPI component.

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: FastDateTimeField,
    }

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
    """Only objects the requesting user can see (``visible_to``); others answer "does not exist".

    Read back, a related record the user cannot open (a county enterprise's city project, the city enterprise
    of a need transferred to the county) is ``null``: the API names no record that answers 404 (the ``*_name``
    fields next to it still say what it is). A read-only field names its model with ``model=``.
    """

    def __init__(self, *, model=None, **kwargs):
        self.scoped_model = model
        super().__init__(**kwargs)

    def to_representation(self, value):
        pk = super().to_representation(value)
        # The request and whether its user sees every record are looked up once per field (a serializer's fields
        # live for one request; ``field_copy`` copies built fields, never used ones).
        try:
            request, sees_all = self._scope
        except AttributeError:
            request = self.context.get("request")
            sees_all = request is None or scope_region(request.user)[0]
            self._scope = (request, sees_all)
        if sees_all:
            return pk
        visible = visible_pks_check(request, self.related_model, {pk})
        return pk if visible is None or pk in visible else None

    @property
    def related_model(self):
        return self.scoped_model or self.queryset.model

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return queryset.visible_to(request.user)


def visible_pks_check(request, model, pks) -> set | None:
    """The pks of ``model`` among those checked so far in this request that the user may open (``None``: the
    user opens every one). Only ``pks`` not checked before cost a query (one for all of them)."""
    sees_all, _region = scope_region(request.user)
    if sees_all:
        return None
    cache = getattr(request._request, "_crm_visible_pks", None)
    if cache is None:
        cache = request._request._crm_visible_pks = {}
    checked, visible = cache.setdefault(model, (set(), set()))
    unchecked = set(pks) - checked - {None}
    if unchecked:
        visible.update(model.objects.visible_pks(request.user, unchecked))
        checked.update(unchecked)
    return visible


def visible_pks_prefetch(request, serializer, rows) -> None:
    """Check a page's related records for every ``ScopedRelatedField`` in one query per field, so a list's query
    count does not grow with its page size."""
    if request is None or not rows or scope_region(request.user)[0]:
        return  # (a user who sees everything opens every record: ``visible_pks_check``)
    for field in serializer.fields.values():
        if isinstance(field, ScopedRelatedField) and len(field.source_attrs) == 1:
            attname = f"{field.source_attrs[0]}_id"
            visible_pks_check(request, field.related_model, {getattr(row, attname, None) for row in rows})


class ScopedLinksMixin:
    """A list serializer's scoped links are checked for the whole page at once (``visible_pks_prefetch``), and the
    relations its queryset left to the page (``_light_related``, see ``ScopedModelViewSet.get_queryset``) are filled
    for the page (``light_prefetch``)."""

    _light_related: dict | None = None
    _light_serializer_class: type | None = None

    def get_serializer(self, *args, **kwargs):
        light = self._light_related
        if light and kwargs.get("many") and args and isinstance(args[0], models.QuerySet):
            args = (list(args[0]), *args[1:])  # an unpaginated list: its rows, to fill
        serializer = super().get_serializer(*args, **kwargs)
        if kwargs.get("many") and args and isinstance(args[0], list):
            if light and type(serializer.child) is self._light_serializer_class:
                light_prefetch([row for row in args[0] if isinstance(row, self.model)], light)
            visible_pks_prefetch(self.request, serializer.child, args[0])
        return serializer


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


class NeedCategoriesField(serializers.ListField):
    """A list of need-category values (DESIGN §3.1)."""

    child = serializers.ChoiceField(choices=NeedCategory.choices)

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", len(NeedCategory.values))
        super().__init__(**kwargs)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the record.")
    default_code = "conflict"


class QueryFilterBackend(DjangoFilterBackend):
    """The FilterSet of the view, built with the filters the query string names only.

    A filter whose parameter is absent filters nothing (django-filter skips empty values), yet building it costs:
    every filter copied, its form field made, a form class made and the fields copied again — most of the time of
    a list's filtering, for a FilterSet of twenty filters and a query naming one or two. Which filters a query
    names and the narrowed class: ``crm.filtersets.filters_named``/``filterset_with`` (the web lists use them too).
    The browsable form (``to_html``) keeps every filter."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        kwargs = self.get_filterset_kwargs(request, queryset, view)
        if filterset_class is getattr(view, "filterset_class", None):
            filterset_class = filterset_with(filterset_class, filters_named(filterset_class, kwargs["data"].keys()))
        self.repeated_refuse(kwargs["data"], filterset_class.base_filters)
        filterset = filterset_class(**kwargs)
        if not filterset.is_valid() and self.raise_exception:
            raise filter_utils.translate_validation(filterset.errors)
        return filterset.qs

    @staticmethod
    def repeated_refuse(data, filters) -> None:
        """A filter's parameter given twice is a 400 unless the filter takes several values (``qualifications``): the
        schema names one value, and the form would silently read the last (``?region=320812&region=``: no filter)."""
        repeated = {}
        for key in data:
            if len(data.getlist(key)) < 2:
                continue
            for name, model_filter in filters.items():
                if key == name or key.startswith(f"{name}_"):
                    widget = model_filter.extra.get("widget") or model_filter.field_class.widget
                    if key != name or not getattr(widget, "allow_multiple_selected", False):
                        repeated[key] = [ONE_VALUE]
        if repeated:
            raise exceptions.ValidationError(repeated)


def _field_names(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.get_fields()}


class ScopedModelViewSet(ScopedLinksMixin, viewsets.ModelViewSet):
    """Base of every model endpoint: scoped reads, §5 permissions, FilterSet, service-backed writes.

    See the module docstring for how to subclass it.
    """

    model: type[models.Model] | None = None
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple = ()
    # The columns of joined rows a list shows, e.g. ``("enterprise__name",)``: a joined model named here is read
    # with its key and these columns only (``only``) on the list, not with its thirty columns of text. The model's
    # own columns are all read. Name every column the list's serializer (and its methods) read of that model.
    list_related_only: tuple[str, ...] = ()
    create_service = None
    update_service = None
    delete_service = None
    update_instance_kwarg: str | None = None

    permission_classes = [IsAuthenticated, CrmModelPermission]
    filter_backends = [QueryFilterBackend]

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
            lookups = self.prefetch_related
            if getattr(self, "action", None) == "list":
                # The relations the list's serializer reads as plain lists are filled per page (``light_prefetch``).
                serializer_class = self.get_serializer_class()
                plan = light_plan(type(self), self.model, self.prefetch_related, serializer_class)
                lookups = plan.keep
                self._light_related, self._light_serializer_class = plan.light, serializer_class
            queryset = queryset.prefetch_related(*lookups)
        if self.list_related_only and getattr(self, "action", None) == "list":
            own = [field.name for field in self.model._meta.concrete_fields]
            queryset = queryset.only(*own, *self.list_related_only)
        return queryset

    # --- writes ------------------------------------------------------------------------------------------

    def _instance_kwarg(self) -> str:
        return self.update_instance_kwarg or self.model._meta.model_name

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if self.create_service is not None:
            instance = type(self).create_service(user=self.request.user, data=data)
        else:
            instance = self.default_create(data)
        serializer.instance = instance

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        instance = serializer.instance
        if getattr(instance, "_prefetched_objects_cache", None):
            instance._prefetched_objects_cache = {}
        # Answered by a fresh serializer: a PATCH one skips the fields that fall back to a default
        # (``offering_name`` of an item without an offering), and the answer is the whole record, as documented.
        return Response(self.get_serializer(instance).data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if self.update_service is not None:
            instance = type(self).update_service(
                user=self.request.user, data=data, **{self._instance_kwarg(): serializer.instance}
            )
        else:
            instance = self.default_update(serializer.instance, data)
        serializer.instance = instance

    def perform_destroy(self, instance):
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

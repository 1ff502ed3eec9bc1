"""One django-filter FilterSet per model, shared by the web list pages, the API and the exports (DESIGN §8.2/§8.3).

Conventions (the API contract of §8.3):

- every enumeration, boolean and foreign-key field filters under the field's own name
  (``?status=assigned``, ``?is_linked=true``, ``?region=320831``, ``?enterprise=12``, ``?owner=5``);
- reference data (region, industry chain, qualification) is given by its ``code``;
- date fields filter by range as ``<field>_after`` / ``<field>_before`` (inclusive);
- ``q`` is a free-text search (``icontains``; works with a single Chinese character);
- ``ordering`` takes one or more comma-separated parameters, ``-`` for descending; ``id`` breaks ties so
  pagination is stable.

Use in a view::

    filterset = EnterpriseFilterSet(request.GET, queryset=Enterprise.objects.visible_to(request.user),
                                    request=request)
    rows = filterset.qs          # filtered (invalid filters are ignored on the web; the API answers 400)
    filterset.form               # the filter form to render

Foreign keys to big tables (enterprises, projects, needs, users, policies) are plain number filters so that
rendering a form never loads a table; small reference tables are select boxes, scoped to what the user may
pick where that matters (departments and bureaus of a county user).
"""

import copy
import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db.models import BooleanField, Exists, Expression, F, Func, Model, OuterRef, Q, QuerySet
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.conf import settings as filter_settings
from django_filters.filters import FilterMethod
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from crm import reference
from crm.choices import (
    OPEN_ACTION_STATUSES,
    OPEN_NEED_STATUSES,
    ActionStatus,
    ActivityKind,
    BureauLevel,
    ChoicePairs,
    CultivationStage,
    EnterpriseStatus,
    MatchStatus,
    MilestoneKind,
    NeedCategory,
    NeedSource,
    NeedStatus,
    OfferingKind,
    PartyOrganization,
    PlanStatus,
    PolicyDelivery,
    PolicyKind,
    PolicyLevel,
    ProjectKind,
    ProjectStage,
    ProjectStatus,
    Satisfaction,
    Urgency,
    VisitFlag,
    VisitKind,
)
from crm.models import (
    ActionItem,
    Activity,
    ActivityParticipant,
    Bureau,
    Commissioner,
    CommissionerAssignment,
    Contact,
    Cultivation,
    CultivationTarget,
    Department,
    Enterprise,
    EnterpriseQualification,
    EnterpriseYear,
    IndustryChain,
    Need,
    Offering,
    Policy,
    PolicyMatch,
    Project,
    ProjectMilestone,
    ProjectProgress,
    Qualification,
    Region,
    ServiceLog,
    User,
    Visit,
    VisitPlan,
)
from crm.querysets import enterprise_search_q, open_q, overdue_q
from crm.selectors.search import enterprise_text_filter
from crm.validators import MAX_ID, validate_no_control_chars

# Reference-data codes (regions, chains, qualifications) are short and plain. Values that cannot be a code
# are refused before they reach the database (a NUL byte in a query is an error on PostgreSQL).
CODE_PATTERN = r"[0-9A-Za-z][0-9A-Za-z_.-]{0,31}"
CODE_RE = re.compile(rf"^{CODE_PATTERN}$")
EMPTY_CHOICE_LABEL = filter_settings.EMPTY_CHOICE_LABEL  # django-filter's "---------"

# ---------------------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------------------


class OrderingCSVField(django_filters.fields.BaseCSVField):
    """``ordering=`` names fields separated by commas; an empty name in the list (``,`` or ``name,``) is as invalid
    as an unknown one (the schema lists the names), where django-filter skipped it. ``ordering=`` alone: no order."""

    def clean(self, value):
        if value and any(item in self.empty_values for item in value):
            raise forms.ValidationError(_("Leave no empty item before, between or after the commas."), code="empty")
        return super().clean(value)


class StableOrderingFilter(django_filters.OrderingFilter):
    """An ``ordering`` filter that always ends with the primary key, so pages never overlap or skip rows."""

    base_field_class = OrderingCSVField

    def __init__(self, *args, nulls_last: tuple[str, ...] = (), **kwargs):
        self.nulls_last = set(nulls_last)  # fields whose empty values sort last either way (a need's deadline)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(param) for param in value if param]
        if not ordering:
            return qs
        if not any(o.lstrip("-") in ("id", "pk") for o in ordering):
            ordering.append("-pk" if ordering[0].startswith("-") else "pk")
        return qs.order_by(*[self._nulls_last(o) for o in ordering])

    def _nulls_last(self, ordering: str):
        name = ordering.lstrip("-")
        if name not in self.nulls_last:
            return ordering
        return F(name).desc(nulls_last=True) if ordering.startswith("-") else F(name).asc(nulls_last=True)


def _user(request):
    return getattr(request, "user", None)


def scoped_bureaus(request):
    """Bureaus a user may filter by: everything for city users; its own and the city bureau(s) for a county user."""
    qs = Bureau.objects.select_related("region")
    user = _user(request)
    if user is None or not user.is_authenticated or user.sees_everything:
        return qs
    return qs.filter(Q(pk=user.bureau_id) | Q(level=BureauLevel.CITY))


def scoped_departments(request):
    """Departments a user may filter by: the ones it may name (``Department.objects.assignable_by``)."""
    return Department.objects.select_related("bureau").assignable_by(_user(request))


class ReferenceChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """The options of a filter over reference data (regions, chains, qualifications, bureaus, departments) from the
    process's copy (crm/reference.py), when the field names the rows of its queryset (``reference_key``): no query
    and no model instances per request. The values are the primary keys themselves (the same HTML)."""

    def __iter__(self):
        field = self.field
        key = field.reference_key
        if key is None:
            yield from super().__iter__()
            return
        if field.empty_label is not None:
            yield ("", field.empty_label)
        if field.null_label is not None:
            yield (field.null_value, field.null_label)
        yield from self._reference_rows(key)

    def kept_rows(self) -> list[tuple] | None:
        """The options after the empty and null choices as the process keeps them: the same list until the rows or
        the language change, so its identity names them (form_tags' filter panel keys a field's HTML by it). None
        when they are not kept: Django's options, or outside a request's scope (read again on every call)."""
        key = self.field.reference_key
        if key is None or not reference.in_request():
            return None
        return self._reference_rows(key)

    def _reference_rows(self, key) -> list[tuple]:
        name = self.queryset.model.__name__
        return reference.memo(reference.MODEL_KINDS[name], (name, key), self._rows, by_language=True)

    def _rows(self) -> list[tuple]:
        field = self.field
        return [(field.prepare_value(obj), field.label_from_instance(obj)) for obj in self.queryset.iterator()]


class ReferenceChoiceMixin:
    """A choice field over reference data whose options come from ``ReferenceChoiceIterator``."""

    iterator = ReferenceChoiceIterator

    @property
    def reference_key(self):
        """The rows of the queryset: ``"all"`` for a model's whole table (``Region.objects.all()``), else None (Django's
        options)."""
        query = self.queryset.query
        plain = not (query.where or query.order_by or query.extra or query.annotations or query.select_related)
        return "all" if plain and query.default_ordering else None


class ScopedChoiceField(ReferenceChoiceMixin, django_filters.fields.ModelChoiceField):
    """A bureau or department filter; ``ScopedChoiceFilter`` names the user's scope of its queryset."""

    reference_key = None


class ScopedChoiceFilter(django_filters.ModelChoiceFilter):
    """A filter over ``scoped_bureaus`` or ``scoped_departments``: its options from the process's copy of the user's
    scope (both scope by ``reference.user_scope``)."""

    field_class = ScopedChoiceField

    @property
    def field(self):
        field = super().field
        field.reference_key = (self.queryset.__name__, reference.user_scope(_user(self.get_request())))
        return field


class CodeChoiceField(ReferenceChoiceMixin, django_filters.fields.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and not CODE_RE.match(str(value)):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        if type(value) is str and reference.in_request() and self.to_field_name is None and self.reference_key:
            # ``?region=320831`` of a request: the row from the process's copy of the table (a copy of it: the
            # caller's own instance), not one more query. An unknown code asks the database, as Django does.
            rows = reference.rows_by_key(self.queryset.model)
            if value in rows:
                return copy.copy(rows[value])
        return super().to_python(value)


class CodeMultipleChoiceField(ReferenceChoiceMixin, django_filters.fields.ModelMultipleChoiceField):
    def clean(self, value):
        # Nothing chosen: an empty list, not Django's ``queryset.none()``, which django-filter does not take for
        # empty: the filter's method walked it (a statement compiled to find nothing) on every enterprises list.
        if not value and not self.required:
            return []
        return super().clean(value)

    def _check_values(self, value):
        for item in value:
            if not CODE_RE.match(str(item)):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": str(item)[:32]}
                )
        return super()._check_values(value)


class CodeChoiceFilter(django_filters.ModelChoiceFilter):
    """Reference data by code, e.g. ``?region=320831``."""

    field_class = CodeChoiceField


class CodeMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = CodeMultipleChoiceField


def region_filter(field_name: str = "region", label=None):
    return CodeChoiceFilter(field_name=field_name, queryset=Region.objects.all(), label=label or _("region"))


class RowsOfRegion(Expression):
    """``<key> IN (SELECT id FROM crm_enterprise WHERE region_id = …)``: the rows whose enterprise lies in a region.

    The same rows as ``enterprise__region=<code>``, without joining the enterprise to every row. PostgreSQL plans
    it by cost: the first page walks the date index and checks each row's enterprise, a count starts from the
    region's enterprises. SQLite's planner does not weigh a LIMIT: it always starts from the region's enterprises
    and sorts every visit of the region (a tenth of the table) to show 20. So on SQLite the SQL depends on the
    query it is part of:

    - the first rows (``low_mark`` ≤ ``WALK_ROWS``) in the order of ``walk_order``, whose index also holds the
      key: ``+key IN (…)``; the ``+`` keeps SQLite from starting at the enterprises, so it walks that index and
      tests each key against the region's enterprises until the page is full;
    - rows already picked by primary key (the paginator's second query): a correlated ``EXISTS``, a lookup per
      row instead of listing the region's enterprises;
    - anything else (counts, exports, other orders, deep pages): the plain ``IN``."""

    conditional = True
    output_field = BooleanField()
    WALK_ROWS = 1_000

    def __init__(self, key: str, enterprises: QuerySet, *, walk_order: str):
        super().__init__()
        self.key, self.enterprises, self.walk_order = key, enterprises.order_by(), walk_order
        self.plain = self.walked = self.by_row = None

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        if self.plain is not None:  # already resolved (a lookup resolves its sides again when it is compiled)
            return self
        c = self.copy()
        keys = self.enterprises.values("pk")
        walked_key = Func(F(self.key), template="+%(expressions)s", output_field=self.enterprises.model._meta.pk)
        forms = (
            In(F(self.key), keys),
            In(walked_key, keys),
            Exists(self.enterprises.filter(pk=OuterRef(self.key))),
        )
        c.plain, c.walked, c.by_row = (
            f.resolve_expression(query, allow_joins, reuse, summarize, for_save) for f in forms
        )
        return c

    def get_source_expressions(self):
        return [self.plain, self.walked, self.by_row]

    def set_source_expressions(self, exprs):
        self.plain, self.walked, self.by_row = exprs

    def as_sql(self, compiler, connection):
        return compiler.compile(self.plain)

    def as_sqlite(self, compiler, connection):
        query = compiler.query
        if self.walks(query):
            return compiler.compile(self.walked)
        if self.picked_by_key(query):
            return compiler.compile(self.by_row)
        return compiler.compile(self.plain)

    def walks(self, query) -> bool:
        if not query.is_sliced or query.high_mark is None or query.low_mark > self.WALK_ROWS:
            return False
        ordering = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
        first = ordering[0] if ordering else None
        return isinstance(first, str) and first.lstrip("-") == self.walk_order

    @staticmethod
    def picked_by_key(query) -> bool:
        pk = query.get_meta().pk
        return any(
            isinstance(node, In) and getattr(node.lhs, "target", None) == pk and not hasattr(node.rhs, "as_sql")
            for node in query.where.children
        )


def chain_filter(field_name: str = "industry_chain", label=None):
    return CodeChoiceFilter(
        field_name=field_name, queryset=IndustryChain.objects.all(), label=label or _("industry chain")
    )


class IdFilter(django_filters.NumberFilter):
    """A whole positive number that fits a database key (anything else is a 400, never a 500).

    ``model`` names the model the id points to when the filter has a ``method`` (otherwise it is found from
    ``field_name``): the active-filter chip then shows the record's name instead of the number."""

    field_class = forms.IntegerField

    def __init__(self, *args, model=None, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        self.target_model = model  # (``self.model`` is the FilterSet's model, set by django-filter)
        super().__init__(*args, **kwargs)


def id_filter(field_name: str, label):
    """A foreign key to a big table (or to users), given by its id; renders as a number box."""
    return IdFilter(field_name=field_name, label=label)


class SafeDateRangeField(django_filters.fields.DateRangeField):
    """A date range whose ends are kept a day inside the calendar's limits: on a date-time field the day's
    start (or end) is converted to UTC, which overflows for 0001-01-01 or 9999-12-31 (a 500 otherwise)."""

    FIRST, LAST = dt.date(1, 1, 2), dt.date(9999, 12, 30)

    def compress(self, data_list):
        if data_list:
            data_list = [min(max(d, self.FIRST), self.LAST) if d else d for d in data_list]
        return super().compress(data_list)


class SafeDateFromToRangeFilter(django_filters.DateFromToRangeFilter):
    field_class = SafeDateRangeField


def date_range(field_name: str, label):
    """Gives ``<field_name>_after`` and ``<field_name>_before`` (both inclusive)."""
    return SafeDateFromToRangeFilter(field_name=field_name, label=label)


class YesNoAllSelect(forms.Select):
    """The widget of every yes/no filter: 全部 (no filter) / 是 / 否, never ``---------``."""

    CHOICES = ChoicePairs([("", _("All")), ("true", _("Yes")), ("false", _("No"))])

    def __init__(self, attrs=None):
        super().__init__(attrs, choices=self.CHOICES)

    def format_value(self, value):
        # The field's own values (True/False/None) and the URL's ("true", "1", "no" …) select the right option.
        text = str(value).strip().lower() if value is not None else ""
        if value is True or text in StrictNullBooleanField.TRUE:
            return ["true"]
        if value is False or text in StrictNullBooleanField.FALSE:
            return ["false"]
        return [""]


class StrictNullBooleanField(forms.NullBooleanField):
    """Empty means "any"; ``true/false`` (also ``1/0``, ``yes/no``) filter; anything else is invalid (400)."""

    TRUE = {"true", "1", "yes", "on"}
    FALSE = {"false", "0", "no", "off"}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", YesNoAllSelect())
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(_("Enter true or false."), code="invalid")

    def validate(self, value):
        pass


class BoolFilter(django_filters.BooleanFilter):
    field_class = StrictNullBooleanField


def bool_filter(field_name: str, label):
    return BoolFilter(field_name=field_name, label=label)


def choice_filter(field_name: str | None, choices, label, **kwargs):
    """A filter among ``choices`` (an enumeration's), given to its field as ``ChoicePairs``: taken as they are."""
    return django_filters.ChoiceFilter(field_name=field_name, choices=ChoicePairs(list(choices)), label=label, **kwargs)


def json_list_contains(field_name: str, value: str) -> Q:
    """``value`` is in the JSON list stored in ``field_name``; portable to SQLite and PostgreSQL.

    The value comes from a fixed set of choices (no quotes or wildcards), so matching the quoted JSON
    string inside the serialised list is exact.
    """
    return Q(**{f"{field_name}__icontains": f'"{value}"'})


@dataclass(frozen=True)
class FilterChip:
    """One active filter of a list, shown as a removable chip: ``label``: ``value``; ``remove_url`` is the same
    list without this filter (and back on page 1)."""

    name: str
    label: str
    value: str
    remove_url: str


def filter_value_is_set(value) -> bool:
    """A filter value that filters something (an empty queryset or range does not)."""
    if value is None or value == "":
        return False
    if isinstance(value, slice):
        return value.start is not None or value.stop is not None
    if isinstance(value, list | tuple | QuerySet):
        return len(value) > 0
    return True


def _related_model(model, path: str):
    """The model at the end of ``path`` (``enterprise``, ``assignment__enterprise``) from ``model``, or None."""
    for part in path.split("__"):
        try:
            model = model._meta.get_field(part).related_model
        except FieldDoesNotExist:
            return None
        if model is None:
            return None
    return model


def _choice_label(choices, value) -> str | None:
    for key, label in choices:
        if isinstance(label, list | tuple):  # an optgroup
            found = _choice_label(label, value)
            if found is not None:
                return found
        elif str(key) == str(value):
            return str(label)
    return None


def _filter_copy(filter_: django_filters.Filter) -> django_filters.Filter:
    """A filter of a FilterSet's ``base_filters`` ready for one FilterSet: its own ``extra`` and no form field yet."""
    copied = object.__new__(type(filter_))  # copy.copy's copy, without its reduce protocol (a dozen calls a filter)
    copied.__dict__.update(filter_.__dict__)
    copied.extra = filter_.extra.copy()
    copied.__dict__.pop("_field", None)
    if isinstance(copied.__dict__.get("filter"), FilterMethod):  # ``method=``: calls the method of the copy's parent
        copied.filter = FilterMethod(copied)
    return copied


# ``_all_first``'s choices per set of choices and language: (the set, its choices).
_ALL_FIRST: dict[tuple[int, str | None], tuple[ChoicePairs, ChoicePairs]] = {}


def _all_first(field: forms.ChoiceField) -> list | ChoicePairs:
    """A plain choice filter's options, 全部 first (``field.empty_label``): for a filter over ``ChoicePairs``
    (``choice_filter``), once per process, set of choices and language, labels as text, given to the widget as they
    are (the select writes each label as text: the lazy labels of an enumeration were each translated and escaped
    through Django's ``localize`` on every list)."""
    iterator = field.widget.choices
    pairs = getattr(iterator, "choices", None)
    if not isinstance(pairs, ChoicePairs) or field.null_label is not None:
        return [("", field.empty_label) if key == "" else (key, label) for key, label in iterator]
    key = (id(pairs), get_language())
    known = _ALL_FIRST.get(key)
    if known is None or known[0] is not pairs:
        known = _ALL_FIRST[key] = (pairs, ChoicePairs([("", str(field.empty_label)), *_as_text(pairs)]))
    return known[1]


def _as_text(pairs) -> list[tuple]:
    return [(key, _as_text(label) if isinstance(label, list | tuple) else str(label)) for key, label in pairs]


class SearchFilterSet(django_filters.FilterSet):
    """Adds ``q``: a case-insensitive substring search over ``search_fields`` (OR), and ``chips``: the active
    filters in words, each with the URL that removes it (the list pages show them above the table)."""

    search_fields: tuple[str, ...] = ()

    q = django_filters.CharFilter(
        method="filter_q", label=_("search"), max_length=100, validators=[validate_no_control_chars]
    )

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter deep-copies every filter (its label, choices and queryset too) for each FilterSet; a filter's
        # per-FilterSet state is its ``extra`` (a ModelChoiceFilter puts the request's queryset there), its form
        # field (made from ``extra``, widget deep-copied by the field) and ``model``/``parent``: copy just those.
        base_filters = self.base_filters
        self.base_filters = {}
        try:
            super().__init__(data, queryset, request=request, prefix=prefix)
        finally:
            del self.base_filters
        self.filters = {name: _filter_copy(filter_) for name, filter_ in base_filters.items()}
        model = self.queryset.model
        for filter_ in self.filters.values():
            filter_.model = model
            filter_.parent = self

    @property
    def form(self):
        """The filter form; an empty choice reads 全部 (no filter), never ``---------``."""
        if not hasattr(self, "_form"):
            form_class = self.form_class()
            if self.is_bound:
                form = form_class(self.data, prefix=self.form_prefix)
            else:
                form = form_class(prefix=self.form_prefix)
            # The fields of this FilterSet's own filters, made for it: as django-filter's form class declares them.
            form.fields = {name: filter_.field for name, filter_ in self.filters.items()}
            self._form = form
            for field in form.fields.values():
                if getattr(field, "empty_label", None) == EMPTY_CHOICE_LABEL:
                    field.empty_label = _("All")
                    if not isinstance(field, forms.ModelChoiceField):
                        # A plain choice field's widget holds its choices as a list made when the filter was built.
                        field.widget.choices = _all_first(field)
        return self._form

    @classmethod
    def form_class(cls) -> type:
        """The form of this FilterSet without fields, made once per FilterSet class: each FilterSet gives its form the
        fields its filters made. django-filter made a form class with them on every request (~0.1 ms of CPU, a
        class per request for the garbage collector), and Django deep-copied them into the form."""
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), {})
            cls._form_class = form_class
        return form_class

    def search_condition(self, value: str) -> Q:
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return condition

    def filter_q(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(self.search_condition(value))

    # -- active filters as chips ------------------------------------------------------------------------

    @cached_property
    def chips(self) -> list[FilterChip]:
        """The filters that filter something, in the order of the FilterSet, as ``FilterChip``s.

        Invalid values are left out (the filter panel shows their errors); ``ordering`` is not a filter."""
        form = self.form
        if not form.is_bound:
            return []
        if not hasattr(form, "cleaned_data"):
            self.is_valid()
        chips = []
        for name, value in form.cleaned_data.items():
            if name in {"ordering", "page", "page_size"} or name not in self.filters or not filter_value_is_set(value):
                continue
            text = self.chip_value(name, value)
            if name == "q":
                text = str(value).strip()
                if not text:
                    continue
            label = form.fields[name].label or self.filters[name].label or name
            chips.append(FilterChip(name, str(label), text, self.url_without(name)))
        return chips

    def chip_value(self, name: str, value) -> str:
        """A filter's cleaned value in words: 是/否, a choice's label, a record's name, a date range."""
        if isinstance(value, bool):
            return str(_("Yes") if value else _("No"))
        if isinstance(value, slice):
            # The range's ends are dates, or (a date range field) the start and end of those days.
            start, stop = (
                (timezone.localtime(d).date() if isinstance(d, dt.datetime) else d).isoformat() if d else None
                for d in (value.start, value.stop)
            )
            if start and stop:
                return f"{start} – {stop}"
            return str(_("from %(date)s") % {"date": start}) if start else str(_("until %(date)s") % {"date": stop})
        if isinstance(value, list | tuple | QuerySet):
            return "、".join(self.chip_value(name, item) for item in value)
        if isinstance(value, Model):
            return str(value)
        field = self.form.fields[name]
        choices = getattr(field, "choices", None)
        if choices is not None and not isinstance(field, forms.ModelChoiceField):
            label = _choice_label(choices, value)
            if label is not None:
                return label
        filter_ = self.filters[name]
        if isinstance(filter_, IdFilter):
            return self.record_name(filter_, value)
        return str(value)

    def record_name(self, filter_: "IdFilter", pk) -> str:
        """The name of the record an id filter points to, within the user's scope (else ``#<id>``)."""
        model = filter_.target_model or _related_model(self._meta.model, filter_.field_name)
        if model is None:
            return f"#{pk}"
        manager = model._default_manager
        user = _user(self.request)
        if hasattr(manager, "visible_to"):
            if user is None or not user.is_authenticated:
                return f"#{pk}"
            queryset = manager.visible_to(user)
        else:
            queryset = manager.all()
        record = queryset.filter(pk=pk).first()
        return str(record) if record is not None else f"#{pk}"

    def url_without(self, name: str) -> str:
        """The current list URL without filter ``name`` (all of its parameters) and without ``page``."""
        request = self.request
        params = request.GET.copy() if request is not None else self.data.copy()
        widget = self.form.fields[name].widget
        names = [self.form.add_prefix(name)]
        if hasattr(widget, "suffixes"):  # django-filter's ranges: ``<name>_after`` / ``<name>_before``
            names = [widget.suffixed(self.form.add_prefix(name), suffix) for suffix in widget.suffixes]
        elif isinstance(widget, forms.MultiWidget):
            names = [self.form.add_prefix(name) + suffix for suffix in widget.widgets_names]
        for key in [*names, "page"]:
            params.pop(key, None)
        path = request.path if request is not None else ""
        encoded = params.urlencode()
        return f"{path}?{encoded}" if encoded else path or "?"


class OverdueMixin:
    """``overdue=true`` keeps open rows whose ``due_on`` has passed; ``overdue=false`` the others."""

    open_statuses: tuple[str, ...] = ()

    def overdue_condition(self) -> Q:
        return overdue_q(self.open_statuses)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(self.overdue_condition()) if value else queryset.exclude(self.overdue_condition())


# ---------------------------------------------------------------------------------------------------------
# Organisation and reference data
# ---------------------------------------------------------------------------------------------------------


class RegionFilterSet(SearchFilterSet):
    search_fields = ("code", "name")
    ordering = StableOrderingFilter(fields=("code", "name", "sort_order"))

    class Meta:
        model = Region
        fields = []


class IndustryChainFilterSet(RegionFilterSet):
    class Meta:
        model = IndustryChain
        fields = []


class QualificationFilterSet(RegionFilterSet):
    class Meta:
        model = Qualification
        fields = []


class BureauFilterSet(SearchFilterSet):
    search_fields = ("name",)

    level = choice_filter("level", BureauLevel.choices, _("level"))
    region = region_filter()
    ordering = StableOrderingFilter(fields=("name", "level"))

    class Meta:
        model = Bureau
        fields = []


class DepartmentFilterSet(SearchFilterSet):
    search_fields = ("name",)

    bureau = ScopedChoiceFilter(queryset=scoped_bureaus, label=_("bureau"))
    ordering = StableOrderingFilter(fields=("name",))

    class Meta:
        model = Department
        fields = []


# ---------------------------------------------------------------------------------------------------------
# Enterprises, contacts, projects
# ---------------------------------------------------------------------------------------------------------


class EnterpriseFilterSet(SearchFilterSet):
    region = region_filter()
    industry_chain = chain_filter()
    qualifications = CodeMultipleChoiceFilter(
        queryset=Qualification.objects.all(),
        method="filter_qualifications",
        label=_("qualifications"),
    )
    qualification_valid = BoolFilter(method="filter_noop", label=_("qualification unexpired"))
    qualification_expiring = django_filters.NumberFilter(
        method="filter_qualification_expiring",
        label=_("qualification expiring within (days)"),
        min_value=0,
        max_value=3660,
    )
    status = choice_filter("status", EnterpriseStatus.choices, _("status"))
    party_organization = choice_filter("party_organization", PartyOrganization.choices, _("party organisation"))
    is_linked = bool_filter("is_linked", _("linked enterprise"))
    is_assisted = bool_filter("is_assisted", _("assisted enterprise"))
    bureau = ScopedChoiceFilter(queryset=scoped_bureaus, label=_("bureau"))
    liaison_officers = id_filter("liaison_officers", _("liaison officer"))
    liaison_leader = id_filter("liaison_leader", _("liaison leader"))
    created_by = id_filter("created_by", _("created by"))
    established_on = date_range("established_on", _("established on"))
    created_at = date_range("created_at", _("created at"))
    ordering = StableOrderingFilter(
        fields=(
            "name",
            "credit_code",
            "region",
            "employees",
            "revenue",
            "rd_expense",
            "established_on",
            "created_at",
            "updated_at",
        )
    )

    class Meta:
        model = Enterprise
        fields = []

    def search_condition(self, value: str) -> Q:
        return enterprise_search_q(value, contact_model=Contact)

    def filter_q(self, queryset, name, value):
        # The same matches as ``search_condition``, found through the global search's index (DESIGN §9.2).
        return enterprise_text_filter(queryset, value or "")

    def filter_qualifications(self, queryset, name, value):
        """Enterprises holding every given qualification (with ``qualification_valid=true``: unexpired)."""
        for qualification in value:
            held = EnterpriseQualification.objects.filter(enterprise=OuterRef("pk"), qualification=qualification)
            if self.form.cleaned_data.get("qualification_valid"):
                held = held.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=timezone.localdate()))
            queryset = queryset.filter(Exists(held))
        return queryset

    def filter_qualification_expiring(self, queryset, name, value):
        """Enterprises holding a qualification (of ``qualifications`` when given) that is still valid and expires
        within ``value`` days (DESIGN §11.7: the renewal list behind the 180/90/30-day reminders)."""
        if value is None:
            return queryset
        today = timezone.localdate()
        held = EnterpriseQualification.objects.filter(
            enterprise=OuterRef("pk"), expires_on__gte=today, expires_on__lte=today + dt.timedelta(days=int(value))
        )
        chosen = self.form.cleaned_data.get("qualifications")
        if chosen:
            held = held.filter(qualification__in=list(chosen))
        return queryset.filter(Exists(held))

    def filter_noop(self, queryset, name, value):
        # ``qualification_valid`` only qualifies ``qualifications`` (see above); it filters nothing by itself.
        return queryset


class ContactFilterSet(SearchFilterSet):
    search_fields = ("name", "title", "mobile", "email")

    enterprise = id_filter("enterprise", _("enterprise"))
    is_primary = bool_filter("is_primary", _("primary contact"))
    created_by = id_filter("created_by", _("created by"))
    ordering = StableOrderingFilter(fields=("name", "enterprise", "created_at", "updated_at"))

    class Meta:
        model = Contact
        fields = []


class ProjectFilterSet(SearchFilterSet):
    search_fields = ("name", "description", "enterprise__name")

    enterprise = id_filter("enterprise", _("enterprise"))
    region = region_filter()
    industry_chain = chain_filter()
    kind = choice_filter("kind", ProjectKind.choices, _("kind"))
    stage = choice_filter("stage", ProjectStage.choices, _("stage"))
    status = choice_filter("status", ProjectStatus.choices, _("status"))
    is_assisted = bool_filter("is_assisted", _("assisted project"))
    bureau = ScopedChoiceFilter(queryset=scoped_bureaus, label=_("bureau"))
    liaison_officers = id_filter("liaison_officers", _("liaison officer"))
    liaison_leader = id_filter("liaison_leader", _("liaison leader"))
    created_by = id_filter("created_by", _("created by"))
    created_at = date_range("created_at", _("created at"))
    ordering = StableOrderingFilter(
        fields=("name", "region", "stage", "planned_investment", "created_at", "updated_at")
    )

    class Meta:
        model = Project
        fields = []


# ---------------------------------------------------------------------------------------------------------
# Visits and needs
# ---------------------------------------------------------------------------------------------------------


class VisitFilterSet(SearchFilterSet):
    search_fields = (
        "code",
        "enterprise__name",
        "interviewee",
        "q_needs",
        "q_difficulties",
        "q_suggestions",
    )

    enterprise = id_filter("enterprise", _("enterprise"))
    project = id_filter("project", _("project"))
    region = CodeChoiceFilter(queryset=Region.objects.all(), method="filter_region", label=_("region"))
    industry_chain = chain_filter("enterprise__industry_chain")
    kind = choice_filter("kind", VisitKind.choices, _("kind"))
    flag = choice_filter("flag", VisitFlag.choices, _("flag"))
    lead = id_filter("lead", _("lead"))
    officers = id_filter("officers", _("officers"))
    officer = IdFilter(method="filter_officer", model=User, label=_("officer (lead or member)"))
    created_by = id_filter("created_by", _("created by"))
    visited_on = date_range("visited_on", _("visited on"))
    next_visit_on = date_range("next_visit_on", _("next visit on"))
    created_at = date_range("created_at", _("created at"))
    ordering = StableOrderingFilter(fields=("visited_on", "code", "enterprise__name", "flag", "created_at"))

    class Meta:
        model = Visit
        fields = []

    @extend_schema_field(OpenApiTypes.STR)
    def filter_region(self, queryset, name, value):
        """The visits of the region's enterprises, by the region stored on each visit (``Visit.region``, kept equal
        to ``enterprise__region``: crm/models/engagement.py): a count reads the region's entries of
        crm_visit_region_idx and the first page its first 20, where probing the visits of each of the region's
        ~7,000 enterprises took 20-35 ms."""
        if not value:
            return queryset
        return queryset.filter(region=value)

    def filter_officer(self, queryset, name, value):
        if value is None:
            return queryset
        # The ids of the visits led and of those joined, as one list (UNION ALL): both databases read each part from
        # its index. ``lead OR EXISTS(member)`` could use neither and tested every visit of the scope for the count
        # (SQLite ~110 ms, PostgreSQL ~320 ms on 300,000 visits, for an officer with three).
        led = Visit.objects.filter(lead_id=value).order_by().values("pk")
        joined = Visit.officers.through.objects.filter(user_id=value).order_by().values("visit_id")
        return queryset.filter(pk__in=led.union(joined, all=True))


class NeedFilterSet(OverdueMixin, SearchFilterSet):
    search_fields = ("code", "title", "description", "enterprise__name", "project__name")
    open_statuses = OPEN_NEED_STATUSES

    enterprise = id_filter("enterprise", _("enterprise"))
    project = id_filter("project", _("project"))
    visit = id_filter("visit", _("visit"))
    region = CodeChoiceFilter(queryset=Region.objects.all(), method="filter_region", label=_("region"))
    source = choice_filter("source", NeedSource.choices, _("source"))
    category = choice_filter("category", NeedCategory.choices, _("category"))
    urgency = choice_filter("urgency", Urgency.choices, _("urgency"))
    status = choice_filter("status", NeedStatus.choices, _("status"))
    satisfaction = choice_filter("satisfaction", Satisfaction.choices, _("satisfaction"))
    bureau = ScopedChoiceFilter(queryset=scoped_bureaus, label=_("bureau"))
    lead_department = ScopedChoiceFilter(queryset=scoped_departments, label=_("lead department"))
    assisting_departments = ScopedChoiceFilter(queryset=scoped_departments, label=_("assisting department"))
    handler = id_filter("handler", _("handler"))
    created_by = id_filter("created_by", _("created by"))
    open = BoolFilter(method="filter_open", label=_("open"))
    overdue = BoolFilter(method="filter_overdue", label=_("overdue"))
    due_on = date_range("due_on", _("due on"))
    created_at = date_range("created_at", _("created at"))
    answered_at = date_range("answered_at", _("answered at"))
    closed_at = date_range("closed_at", _("closed at"))
    ordering = StableOrderingFilter(
        fields=("created_at", "due_on", "code", "status", "urgency", "category", "updated_at"),
        nulls_last=("due_on",),  # by deadline: overdue first, needs without a deadline last
    )

    class Meta:
        model = Need
        fields = []

    @extend_schema_field(OpenApiTypes.STR)
    def filter_region(self, queryset, name, value):
        """The needs of the region's enterprises, and those without an enterprise of the region's projects.

        Keys, not joins: a count reads the region's needs from the enterprise index (joining both tables to
        every need made SQLite read all of them: 0.26 s for a county), and the first page in creation order
        walks crm_need_created_idx (``RowsOfRegion``) instead of sorting the region's needs."""
        if not value:
            return queryset
        of_enterprises = RowsOfRegion("enterprise", Enterprise.objects.filter(region=value), walk_order="created_at")
        of_projects = Q(enterprise__isnull=True, project__in=Project.objects.filter(region=value).values("pk"))
        return queryset.filter(Q(of_enterprises) | of_projects)

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        condition = open_q(OPEN_NEED_STATUSES)
        return queryset.filter(condition) if value else queryset.exclude(condition)


# ---------------------------------------------------------------------------------------------------------
# Policies and matches
# ---------------------------------------------------------------------------------------------------------


class PolicyFilterSet(SearchFilterSet):
    search_fields = ("title", "issuer", "doc_number", "keywords", "summary")

    level = choice_filter("level", PolicyLevel.choices, _("level"))
    kind = choice_filter("kind", PolicyKind.choices, _("kind"))
    delivery = choice_filter("delivery", PolicyDelivery.choices, _("delivery"))
    is_active = bool_filter("is_active", _("active"))
    linked_only = bool_filter("linked_only", _("linked enterprises only"))
    department = ScopedChoiceFilter(queryset=scoped_departments, label=_("responsible department"))
    regions = region_filter("regions", _("eligible region"))
    industry_chains = chain_filter("industry_chains", _("eligible industry chain"))
    required_qualifications = CodeChoiceFilter(
        field_name="required_qualifications",
        queryset=Qualification.objects.all(),
        label=_("required qualification"),
    )
    need_category = choice_filter(None, NeedCategory.choices, _("need category"), method="filter_need_category")
    open = BoolFilter(method="filter_open", label=_("application window open"))
    created_by = id_filter("created_by", _("created by"))
    published_on = date_range("published_on", _("published on"))
    apply_from = date_range("apply_from", _("application opens"))
    apply_until = date_range("apply_until", _("application closes"))
    ordering = StableOrderingFilter(
        fields=("published_on", "apply_until", "title", "level", "max_amount", "created_at", "updated_at")
    )

    class Meta:
        model = Policy
        fields = []

    def filter_need_category(self, queryset, name, value):
        return queryset.filter(json_list_contains("need_categories", value)) if value else queryset

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            # The condition itself, not ``pk IN (the open ones)``: one scan of the index instead of a subquery in
            # the count, the page's keys and its rows alike.
            return queryset.window_open()
        # Not open: the complement by key (``exclude`` of the condition would drop rows whose dates are null).
        return queryset.exclude(pk__in=Policy.objects.window_open().values("pk"))


class PolicyMatchFilterSet(SearchFilterSet):
    search_fields = ("policy__title", "enterprise__name", "note")

    policy = id_filter("policy", _("policy"))
    enterprise = id_filter("enterprise", _("enterprise"))
    need = id_filter("need", _("need"))
    status = choice_filter("status", MatchStatus.choices, _("status"))
    pushed_by = id_filter("pushed_by", _("pushed by"))
    region = region_filter("enterprise__region")
    created_by = id_filter("created_by", _("created by"))
    pushed_at = date_range("pushed_at", _("pushed at"))
    created_at = date_range("created_at", _("created at"))
    ordering = StableOrderingFilter(fields=("created_at", "pushed_at", "score", "status", "granted_amount"))

    class Meta:
        model = PolicyMatch
        fields = []


# ---------------------------------------------------------------------------------------------------------
# Resource list and action list
# ---------------------------------------------------------------------------------------------------------


class OfferingFilterSet(SearchFilterSet):
    search_fields = ("name", "description", "contact_name")

    department = ScopedChoiceFilter(queryset=scoped_departments, label=_("department"))
    bureau = ScopedChoiceFilter(field_name="department__bureau", queryset=scoped_bureaus, label=_("bureau"))
    kind = choice_filter("kind", OfferingKind.choices, _("kind"))
    is_active = bool_filter("is_active", _("active"))
    need_category = choice_filter(None, NeedCategory.choices, _("need category"), method="filter_need_category")
    created_by = id_filter("created_by", _("created by"))
    available_until = date_range("available_until", _("available until"))
    ordering = StableOrderingFilter(fields=("name", "kind", "available_until", "created_at", "updated_at"))

    class Meta:
        model = Offering
        fields = []

    def filter_need_category(self, queryset, name, value):
        return queryset.filter(json_list_contains("need_categories", value)) if value else queryset


class ActionItemFilterSet(OverdueMixin, SearchFilterSet):
    search_fields = ("code", "title", "result", "enterprise__name")
    open_statuses = OPEN_ACTION_STATUSES

    need = id_filter("need", _("need"))
    project = id_filter("project", _("project"))
    enterprise = id_filter("enterprise", _("enterprise"))
    offering = id_filter("offering", _("offering"))
    owner = id_filter("owner", _("owner"))
    department = ScopedChoiceFilter(queryset=scoped_departments, label=_("department"))
    status = choice_filter("status", ActionStatus.choices, _("status"))
    overdue = BoolFilter(method="filter_overdue", label=_("overdue"))
    created_by = id_filter("created_by", _("created by"))
    due_on = date_range("due_on", _("due on"))
    completed_on = date_range("completed_on", _("completed on"))
    created_at = date_range("created_at", _("created at"))
    ordering = StableOrderingFilter(fields=("due_on", "code", "status", "completed_on", "created_at", "updated_at"))

    class Meta:
        model = ActionItem
        fields = []


FILTERSETS = {
    "region": RegionFilterSet,
    "industrychain": IndustryChainFilterSet,
    "qualification": QualificationFilterSet,
    "bureau": BureauFilterSet,
    "department": DepartmentFilterSet,
    "enterprise": EnterpriseFilterSet,
    "contact": ContactFilterSet,
    "project": ProjectFilterSet,
    "visit": VisitFilterSet,
    "need": NeedFilterSet,
    "policy": PolicyFilterSet,
    "policymatch": PolicyMatchFilterSet,
    "offering": OfferingFilterSet,
    "actionitem": ActionItemFilterSet,
}
"""Model name (``Model._meta.model_name``) → its FilterSet, for generic list views and exports."""


class VisitPlanFilterSet(SearchFilterSet):
    search_fields = ("enterprise__name", "purpose")

    enterprise = id_filter("enterprise", _("enterprise"))
    status = choice_filter("status", PlanStatus.choices, _("status"))
    lead = id_filter("lead", _("lead"))
    person = IdFilter(method="filter_person", model=User, label=_("lead or officer"))
    region = region_filter("enterprise__region")
    planned_on = date_range("planned_on", _("planned on"))
    ordering = StableOrderingFilter(fields=("planned_on", "enterprise__name", "status"))

    class Meta:
        model = VisitPlan
        fields = []

    def filter_person(self, queryset, name, value):
        if value is None:
            return queryset
        member = VisitPlan.officers.through.objects.filter(visitplan_id=OuterRef("pk"), user_id=value)
        return queryset.filter(Q(lead_id=value) | Q(Exists(member)))


class ActivityFilterSet(SearchFilterSet):
    search_fields = ("code", "title", "place", "summary")

    kind = choice_filter("kind", ActivityKind.choices, _("kind"))
    lead = id_filter("lead", _("lead"))
    bureau = id_filter("bureau", _("organising bureau"))
    enterprise = IdFilter(method="filter_enterprise", model=Enterprise, label=_("participating enterprise"))
    counts_as_visit = bool_filter("counts_as_visit", _("counts as a visit"))
    held_on = date_range("held_on", _("held on"))
    ordering = StableOrderingFilter(fields=("held_on", "code", "title"))

    class Meta:
        model = Activity
        fields = []

    def filter_enterprise(self, queryset, name, value):
        if value is None:
            return queryset
        taking_part = ActivityParticipant.objects.filter(activity_id=OuterRef("pk"), enterprise_id=value)
        return queryset.filter(Exists(taking_part))


FILTERSETS["visitplan"] = VisitPlanFilterSet
FILTERSETS["activity"] = ActivityFilterSet


# ---------------------------------------------------------------------------------------------------------
# Growth programmes (DESIGN §11.7)
# ---------------------------------------------------------------------------------------------------------


class EnterpriseYearFilterSet(SearchFilterSet):
    search_fields = ("enterprise__name", "enterprise__credit_code")

    enterprise = id_filter("enterprise", _("enterprise"))
    year = django_filters.NumberFilter(field_name="year", label=_("year"), min_value=1990, max_value=2100)
    region = region_filter("enterprise__region")
    ordering = StableOrderingFilter(fields=("year", "enterprise__name", "revenue"))

    class Meta:
        model = EnterpriseYear
        fields = []


class CultivationFilterSet(SearchFilterSet):
    search_fields = ("enterprise__name", "notes")

    enterprise = id_filter("enterprise", _("enterprise"))
    year = django_filters.NumberFilter(field_name="year", label=_("year"), min_value=1990, max_value=2100)
    programme = CodeChoiceFilter(field_name="programme", queryset=Qualification.objects.all(), label=_("programme"))
    stage = choice_filter("stage", CultivationStage.choices, _("stage"))
    officer = id_filter("officer", _("officer"))
    region = region_filter("enterprise__region")
    next_step_on = date_range("next_step_on", _("next step on"))
    ordering = StableOrderingFilter(fields=("next_step_on", "enterprise__name", "stage", "year"))

    class Meta:
        model = Cultivation
        fields = []


class CultivationTargetFilterSet(SearchFilterSet):
    search_fields = ("bureau__name",)

    bureau = id_filter("bureau", _("bureau"))
    year = django_filters.NumberFilter(field_name="year", label=_("year"), min_value=1990, max_value=2100)
    programme = CodeChoiceFilter(field_name="programme", queryset=Qualification.objects.all(), label=_("programme"))
    ordering = StableOrderingFilter(fields=("year", "bureau__name"))

    class Meta:
        model = CultivationTarget
        fields = []


class ProjectMilestoneFilterSet(SearchFilterSet):
    search_fields = ("project__name",)

    project = id_filter("project", _("project"))
    kind = choice_filter("kind", MilestoneKind.choices, _("milestone"))
    region = region_filter("project__region")
    planned_on = date_range("planned_on", _("planned on"))
    actual_on = date_range("actual_on", _("actual date"))
    reached = BoolFilter(field_name="actual_on", lookup_expr="isnull", exclude=True, label=_("reached"))
    ordering = StableOrderingFilter(fields=("planned_on", "actual_on", "project__name"))

    class Meta:
        model = ProjectMilestone
        fields = []


class ProjectProgressFilterSet(SearchFilterSet):
    search_fields = ("project__name", "blockers")

    project = id_filter("project", _("project"))
    month = date_range("month", _("month"))
    ordering = StableOrderingFilter(fields=("month", "project__name"))

    class Meta:
        model = ProjectProgress
        fields = []


class CommissionerFilterSet(SearchFilterSet):
    search_fields = ("name", "institution", "expertise")

    industry_chain = chain_filter()
    is_active = bool_filter("is_active", _("active"))
    ordering = StableOrderingFilter(fields=("name", "serves_until"))

    class Meta:
        model = Commissioner
        fields = []


class CommissionerAssignmentFilterSet(SearchFilterSet):
    search_fields = ("commissioner__name", "enterprise__name", "goals")

    commissioner = id_filter("commissioner", _("S&T commissioner"))
    enterprise = id_filter("enterprise", _("enterprise"))
    starts_on = date_range("starts_on", _("starts on"))
    ordering = StableOrderingFilter(fields=("starts_on", "enterprise__name"))

    class Meta:
        model = CommissionerAssignment
        fields = []


class ServiceLogFilterSet(SearchFilterSet):
    search_fields = ("content",)

    assignment = id_filter("assignment", _("commissioner assignment"))
    enterprise = id_filter("assignment__enterprise", _("enterprise"))
    commissioner = id_filter("assignment__commissioner", _("S&T commissioner"))
    served_on = date_range("served_on", _("served on"))
    ordering = StableOrderingFilter(fields=("served_on",))

    class Meta:
        model = ServiceLog
        fields = []


# ---------------------------------------------------------------------------------------------------------
# A FilterSet narrowed to some of its filters
# ---------------------------------------------------------------------------------------------------------

_NARROWED: dict[tuple[type, tuple[str, ...]], type] = {}
_NARROWED_MAX = 512


def filters_named(filterset_class: type, keys) -> set[str]:
    """The filters of ``filterset_class`` that the query string's ``keys`` name: a key is a filter's name or starts
    with its name and ``_`` (the ``_after``/``_before``/``_min``/``_0`` parameters of range widgets)."""
    keys = list(keys)
    return {name for name in filterset_class.base_filters if any(k == name or k.startswith(f"{name}_") for k in keys)}


def filterset_with(filterset_class: type, names) -> type:
    """``filterset_class`` with only the filters ``names`` (in the class's order; made once per class and set).

    A filter whose parameter is absent filters nothing (django-filter skips empty values), yet building it costs:
    every filter deep-copied, its form field made, a form class made and the fields deep-copied again."""
    wanted = set(names)
    kept = tuple(name for name in filterset_class.base_filters if name in wanted)
    key = (filterset_class, kept)
    narrowed = _NARROWED.get(key)
    if narrowed is None:
        narrowed = type(filterset_class.__name__, (filterset_class,), {"__module__": filterset_class.__module__})
        narrowed.base_filters = {name: filterset_class.base_filters[name] for name in kept}
        if len(_NARROWED) < _NARROWED_MAX:
            _NARROWED[key] = narrowed
    return narrowed

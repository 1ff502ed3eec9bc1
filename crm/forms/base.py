"""Shared pieces of the web forms: ``style_form`` and ``BootstrapFormMixin`` give any form (FilterSet forms
too) the Bootstrap classes the templates expect; the staff, region and enterprise pickers. Forms stay thin:
validation comes from the models and the services."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm import reference
from crm.forms.renderers import RANGE_TEMPLATE, WrittenOptions
from crm.forms.widgets import (
    EMPTY_LABELS,
    PLACEHOLDERS,
    PairChoices,
    Picker,
    PickerMultiple,
    Select,
    SelectMultiple,
    use_picker,
)
from crm.models import Enterprise, Region, User
from crm.prepared import SAMPLE_KEY, Prepared, Statements
from crm.querysets import ScopedQuerySet, scope_region
from crm.selectors.pickers import picker_groups
from crm.validators import is_valid_id


def style_form(form: forms.BaseForm) -> forms.BaseForm:
    """Add Bootstrap classes to every widget of ``form`` (idempotent); mark invalid fields. Django's plain selects
    become the site's (``_WRITTEN_SELECTS``: the same HTML, options written from the choices)."""
    # Only look at errors already computed: reading ``form.errors`` here would validate too early.
    errors = form._errors or {}
    for name, field in form.fields.items():
        written = _WRITTEN_SELECTS.get(type(field.widget))
        if written is not None:
            field.widget = _rewidget(field.widget, written)
        if isinstance(field.widget, forms.MultiWidget):
            widgets = field.widget.widgets
            if field.widget.template_name == "django_filters/widgets/multiwidget.html":
                field.widget.template_name = RANGE_TEMPLATE  # "from – to" as one input group
            if isinstance(field, forms.DateField) or "Date" in type(field.widget).__name__:
                for sub in widgets:
                    sub.input_type = "date"
        else:
            widgets = [field.widget]
        for widget in widgets:
            _style_widget(widget, invalid=name in errors)
        _placeholder_empty_choice(field)
    return form


# Django's selects and the site's twins (crm.forms.widgets.OptionsFromChoices): a list's filter panel draws the
# reference data (regions, chains, qualifications, departments) in selects whose options Django builds as a dict each
# before the renderer writes them.
_WRITTEN_SELECTS = {forms.Select: Select, forms.SelectMultiple: SelectMultiple}


def _rewidget(old: forms.Select, widget_class: type) -> forms.Select:
    """``old``'s twin of ``widget_class``: its attributes, choices and flags (as ``use_picker`` moves them)."""
    widget = widget_class(old.attrs)
    widget.choices = old.choices
    widget.is_required = old.is_required
    widget.is_localized = old.is_localized
    return widget


def _placeholder_empty_choice(field: forms.Field) -> None:
    """Django's ``---------`` empty choice reads 请选择 (a picker's own placeholder where it has one)."""
    placeholder = field.widget.placeholder_text if isinstance(field.widget, Picker) else PLACEHOLDERS[None]
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label in EMPTY_LABELS - {""}:
            field.empty_label = placeholder
    elif isinstance(field, forms.ChoiceField) and not isinstance(field.widget, forms.RadioSelect):
        choices = list(field.choices)
        if choices and choices[0][0] == "" and str(choices[0][1]) in EMPTY_LABELS - {""}:
            field.choices = [("", placeholder), *choices[1:]]


def _style_widget(widget: forms.Widget, *, invalid: bool) -> None:
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        css = ""
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    classes = widget.attrs.get("class", "").split()
    if css and css not in classes:
        classes.append(css)
    if invalid and "is-invalid" not in classes:
        classes.append("is-invalid")
    if classes:
        widget.attrs["class"] = " ".join(classes)
    if isinstance(widget, forms.SelectMultiple) and not isinstance(widget, forms.CheckboxSelectMultiple | Picker):
        widget.attrs.setdefault("size", 4)
    if isinstance(widget, forms.DateInput) and not isinstance(widget, forms.DateTimeInput):
        widget.input_type = "date"
        widget.format = "%Y-%m-%d"


class BootstrapFormMixin:
    """Mix into a Form/ModelForm to get Bootstrap-styled widgets."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)

    def full_clean(self):
        super().full_clean()
        style_form(self)  # add is-invalid to the fields that failed


def staff_choices(user, *, role: str | None = None, include=()):
    """Active users an editor may pick: the editor's bureau (the whole city for city users), plus ``include``."""
    qs = User.objects.filter(is_active=True, bureau__isnull=False)
    if not user.sees_everything:
        qs = qs.filter(bureau_id=user.bureau_id)
    if role:
        qs = qs.filter(groups__name=role)
    extra = [u.pk for u in include if u is not None]
    if extra:
        qs = User.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk__in=extra))
    return qs.select_related("bureau").order_by("bureau__level", "name", "username").distinct()


def staff_filter_choices(user, empty_label) -> list[tuple]:
    """The choices of a list's staff filter (the visits' officer, the needs' handler): ``("", empty_label)``, then
    ``staff_choices`` as (id, name) pairs. Only the name fields are read, as tuples: two hundred people (with their
    bureaux and passwords, later as model instances) were built on every list page to print their names."""

    return [("", empty_label), *_staff_options(user).pairs]


def _staff_options(user) -> WrittenOptions:
    """The (id, name) pairs of ``staff_choices``, their options written once (``WrittenOptions``)."""

    def load():
        people = staff_choices(user).select_related(None).values_list("pk", *User.NAME_FIELDS)
        return WrittenOptions([(pk, User.shown_as(*names)) for pk, *names in people])

    # Once per process and scope until the staff change (crm/reference.py).
    return reference.memo((reference.ORGANISATION,), ("staff", reference.user_scope(user)), load)


def staff_filter_picker(user) -> Picker:
    """The staff filter of a list (the visits' officer, the needs' handler, the plans' person) as a picker over
    ``staff_filter_choices``, 全部 first: a name to pick, not an id to type; the people's options written once."""
    return Picker(
        choices=PairChoices([("", _("All"))], written=_staff_options(user)),
        attrs={"class": "form-select"},
        kind="staff",
        remote=False,
    )


def region_choices(user):
    """The regions a user may file records under: a county user only its own county."""
    if user.sees_everything:
        return Region.objects.all()
    return Region.objects.filter(code=user.bureau.region_id) if user.bureau_id else Region.objects.none()


def _staff_widget(picker_class, given):
    """The staff picker, unless a form asked for another kind of widget (a hidden input, radio buttons)."""
    if given is None or (isinstance(given, type) and given in (forms.Select, forms.SelectMultiple)):
        return picker_class(kind="staff", remote=False)
    if type(given) in (forms.Select, forms.SelectMultiple):
        return picker_class({k: v for k, v in given.attrs.items() if k != "size"}, kind="staff", remote=False)
    return given


class StaffChoiceIterator(forms.models.ModelChoiceIterator):
    """The options of a staff field as ``User.staff_labels`` pairs (values, no model instances); a field with its
    own ``label_from_instance`` or ``to_field_name`` gets Django's iterator."""

    def __iter__(self):
        field = self.field
        own_label = "label_from_instance" in vars(field) or (
            type(field).label_from_instance is not UserChoiceLabelMixin.label_from_instance
        )
        if field.to_field_name not in (None, User._meta.pk.name) or own_label:
            yield from super().__iter__()
            return
        if field.empty_label is not None:
            yield ("", field.empty_label)
        for pk, label in User.staff_labels(self.queryset):
            yield (forms.models.ModelChoiceIteratorValue(pk, None), label)


class UserChoiceLabelMixin:
    iterator = StaffChoiceIterator

    def label_from_instance(self, obj):
        return obj.staff_label


class UserChoiceField(UserChoiceLabelMixin, forms.ModelChoiceField):
    """A staff member, with the type-ahead picker (searching the rendered options: one bureau's staff)."""

    def __init__(self, *args, **kwargs):
        kwargs["widget"] = _staff_widget(Picker, kwargs.get("widget"))
        super().__init__(*args, **kwargs)


class UserMultipleChoiceField(UserChoiceLabelMixin, forms.ModelMultipleChoiceField):
    """Staff members, picked as removable chips (no Ctrl-click list box on a phone)."""

    def __init__(self, *args, **kwargs):
        kwargs["widget"] = _staff_widget(PickerMultiple, kwargs.get("widget"))
        super().__init__(*args, **kwargs)

    def _check_values(self, value):
        # A posted id beyond the 64-bit range would make the ``pk__in`` query fail (a 500): refuse it here.
        for pk in value if isinstance(value, list | tuple) else ():
            if str(pk).strip().lstrip("-").isdigit() and not is_valid_id(str(pk).strip().lstrip("-")):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


ENTERPRISE_CHOICE_LIMIT = 300


def limited_choices(field: forms.ModelChoiceField, current, user) -> list[tuple]:
    """Choices for an enterprise <select> that stay small at 100 000 enterprises: the enterprises the user
    liaises with (as officer or leader) under 我挂钩的企业, then the current value and the first ones by name
    under 其他企业 (validation still uses the whole scoped queryset, so a value posted by id is accepted; the
    type-ahead asks crm/views/pickers.py for more)."""
    # (id, name) pairs, not model instances: a few hundred enterprises are built on every form and list page.
    qs = field.queryset
    picked = list(_picked_enterprise(qs, current)) if is_valid_id(current) else []
    return _enterprise_choices(picked, list(_my_enterprises(qs, user.pk)), list(_first_enterprises(qs)))


def _picked_enterprise(qs, pk):
    return qs.filter(pk=pk).values_list("pk", "name")


def _my_enterprises(qs, user_id):
    # The ids of two indexed lookups in one UNION, then sorted: a join on the officers with OR and DISTINCT (or an
    # OR of the two) walked every enterprise by name at province scale (0.5 s for a user who liaises with none).
    officers = qs.model.liaison_officers.through.objects.filter(user_id=user_id).order_by().values("enterprise_id")
    leaders = qs.model.objects.filter(liaison_leader_id=user_id).order_by().values("pk")
    return qs.filter(pk__in=officers.union(leaders)).values_list("pk", "name")[:50]


def _first_enterprises(qs):
    return qs.values_list("pk", "name")[:ENTERPRISE_CHOICE_LIMIT]


def _enterprise_choices(picked: list, mine: list, rest: list) -> list[tuple]:
    """``limited_choices`` from its three reads: the current value's pair, the user's own enterprises, the first."""
    seen, others = {pk for pk, _name in mine}, []
    for pk, name in picked + rest:
        if pk not in seen:
            seen.add(pk)
            others.append((pk, name))
    choices: list[tuple] = [("", PLACEHOLDERS["enterprise"])]
    if mine:
        choices.append((str(picker_groups("enterprise")[0]["label"]), mine))
        if others:
            choices.append((str(picker_groups("enterprise")[1]["label"]), others))
    else:
        choices.extend(others)
    return choices


# ``visible_enterprise_choices``' three statements per scope (``scope_region``: the city, or one county's region).
_ENTERPRISE_CHOICE_STATEMENTS = Statements()


def visible_enterprise_choices(user, current) -> list[tuple]:
    """``limited_choices`` of the enterprises ``user`` may see (a list's enterprise filter), its three reads from
    statements compiled once per scope (``Prepared``): building the union of the user's enterprises and the other
    two queries cost ~2 ms of CPU on every visits list, the database a fifth of it. ``visible_to`` reads of a user
    only its scope (a user who sees nothing, or a scope with its own rule, is read by the ORM)."""
    scope = scope_region(user)
    sees_all, region = scope
    visible = Enterprise.objects.visible_to(user).only("id", "name")
    if not sees_all and (region is None or type(visible).extra_scope is not ScopedQuerySet.extra_scope):
        return limited_choices(forms.ModelChoiceField(queryset=visible), current, user)
    # Prepared once per connection on PostgreSQL (``plan_once``): parsed once; the key's row and the scope's first
    # names keep one generic plan, the user's own enterprises are still planned per user (PostgreSQL's choice).
    # Parsing and planning them cost the server ~0.4 ms of every visits list (pg_stat_statements, load test).
    picked, mine, first = _ENTERPRISE_CHOICE_STATEMENTS.once(
        scope,
        lambda: (
            Prepared(lambda pk: _picked_enterprise(visible, pk), SAMPLE_KEY, plan_once=True),
            Prepared(lambda user_id: _my_enterprises(visible, user_id), SAMPLE_KEY, repeated=True, plan_once=True),
            Prepared(lambda: _first_enterprises(visible), plan_once=True),
        ),
    )
    return _enterprise_choices(picked(int(current)) if is_valid_id(current) else [], mine(user.pk), first())


def enterprise_picker(field: forms.ModelChoiceField, current, user) -> forms.ModelChoiceField:
    """Give an enterprise field the enterprises ``user`` may see (its queryset, which validates) and the type-ahead
    picker with their ``limited_choices`` rendered (for use without JS), read by the statements compiled once per
    scope (``visible_enterprise_choices``)."""
    field.queryset = Enterprise.objects.visible_to(user).only("id", "name")
    choices = PairChoices(visible_enterprise_choices(user, current))
    field.widget = Picker(choices=choices, kind="enterprise", attrs=field.widget.attrs)
    field.widget.is_required = field.required
    return field


def project_picker(field: forms.ModelChoiceField, *, enterprise, current) -> forms.ModelChoiceField:
    """Give a project field the type-ahead picker narrowed by the form's ``enterprise`` field (a visit's, a need's):
    with an enterprise chosen it renders that enterprise's projects (and ``current``, so a refused value still
    shows), and crm/static/crm/pickers.js reloads them when the enterprise changes. Validation keeps the field's
    own queryset; the services refuse a project of another enterprise with their own message."""
    use_picker(field, kind="project", narrow_by="enterprise")
    if is_valid_id(enterprise):
        shown = Q(enterprise_id=int(enterprise))
        if is_valid_id(current):
            shown |= Q(pk=int(current))
        rows = field.queryset.filter(shown).values_list("pk", "name")
        field.widget.choices = [("", field.empty_label), *rows]
    return field

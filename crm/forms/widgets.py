"""The one picker widget of the web forms (issue 17): a plain ``<select>`` that crm/static/crm/pickers.js turns
into a type-ahead (Tom Select, vendored in crm/static/vendor/tom-select/).

- Without JavaScript it stays a working ``<select>`` with the options the form rendered (the current value, the
  user's own enterprises, the first ones by name), so a form can always be filled in and posted.
- With ``kind`` set, typing asks ``/pickers/<kind>/?q=…`` (crm/views/pickers.py, scoped by ``visible_to``) for
  more options; the user's own enterprises come first under their own heading.
- The empty choice reads as a Chinese placeholder (请选择企业) instead of Django's ``---------``.
- ``narrow_by="enterprise"``: the options are those of the value of that other field of the form (a visit's or a
  need's project picker offers the chosen enterprise's projects); the form renders them for the value it knows,
  pickers.js reloads them when that field changes.
- ``Picker(multiple=True)`` (``PickerMultiple``) is a multi-select that shows the picked entries as removable
  chips: no Ctrl-click list box on a phone.
"""

from django import forms
from django.forms.renderers import get_default_renderer
from django.forms.widgets import ChoiceWidget
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from crm.choices import ChoicePairs
from crm.forms.renderers import (
    OPTION_TEMPLATE,
    SELECT_TEMPLATE,
    SiteFormRenderer,
    WrittenOptions,
    choices_select_html,
)

PICKER_KINDS = ("enterprise", "project", "staff", "policy")

PLACEHOLDERS = {
    "enterprise": _("Choose an enterprise"),
    "project": _("Choose a project"),
    "staff": _("Choose a person"),
    "policy": _("Choose a policy"),
    None: _("Choose…"),
}
"""The placeholder (and the label of the empty choice) of each kind of picker."""

EMPTY_LABELS = {"", "---------"}


class PairChoices(ChoicePairs):
    """``ChoicePairs`` of a picker or a list's staff filter (the staff and enterprise pickers' rows, ~500 options on a
    list's filter panel: Django's normalizing of them was ~5 % of a visits list request). ``written``: pairs after
    ``pairs`` whose options the renderer writes once per process (``WrittenOptions``)."""

    def __init__(self, pairs: list, *, written: WrittenOptions | None = None):
        super().__init__(pairs if written is None else [*pairs, *written.pairs])
        self.head = pairs
        self.written = written


class OptionsFromChoices:
    """A ``<select>`` whose options the site's renderer writes straight from the widget's ``choices``
    (``choices_select_html``), without Django's dict per option (``ChoiceWidget.optgroups``): the same bytes.
    The pickers, and the plain selects of the reference-data filters (``Select``, ``SelectMultiple``)."""

    # The get_context whose output choices_select_html writes (a subclass that overrides it is drawn by Django).
    written_get_context = forms.Select.get_context

    def written_attrs(self, attrs) -> dict:
        """The select's own attributes, as ``get_context`` passes them on."""
        return attrs

    # ``relabel(value, label)`` for choices_select_html (the pickers' placeholder), or None: labels as they are.
    relabel = None

    def render(self, name, value, attrs=None, renderer=None):
        renderer = renderer or get_default_renderer()
        if not (isinstance(renderer, SiteFormRenderer) and self._plain()):
            return super().render(name, value, attrs, renderer)
        # Widget.get_context is the context of the select itself (name, value, attrs); ChoiceWidget's adds only the
        # options, Select's only ``multiple``.
        widget = forms.Widget.get_context(self, name, value, self.written_attrs(attrs))["widget"]
        if self.allow_multiple_selected:
            widget["attrs"]["multiple"] = True
        multiple = self.allow_multiple_selected
        html = choices_select_html(widget, self.choices, multiple=multiple, relabel=self.relabel)
        return mark_safe(html.strip())  # noqa: S308 (every part escaped by choices_select_html)

    def _plain(self) -> bool:
        """Django's select and option templates, options built by Django's own methods and this context: what
        ``choices_select_html`` writes."""
        cls = type(self)
        return (
            self.template_name == SELECT_TEMPLATE
            and self.option_template_name == OPTION_TEMPLATE
            and not self.option_inherits_attrs
            and self.checked_attribute == {"selected": True}
            and cls.optgroups is ChoiceWidget.optgroups
            and cls.create_option is ChoiceWidget.create_option
            and cls.get_context is cls.written_get_context
        )


class Select(OptionsFromChoices, forms.Select):
    """Django's select (same HTML, same ``widget_type``), its options written from the choices."""


class SelectMultiple(OptionsFromChoices, forms.SelectMultiple):
    """Django's multiple select (same HTML, same ``widget_type``), its options written from the choices."""


class Picker(OptionsFromChoices, forms.Select):
    """A type-ahead ``<select>``; see the module docstring. ``remote=False`` searches only the rendered options
    (small lists such as the staff of one bureau)."""

    allow_multiple_selected = False

    def __init__(
        self,
        attrs=None,
        choices=(),
        *,
        kind: str | None = None,
        placeholder=None,
        remote: bool = True,
        narrow_by: str | None = None,
    ):
        if kind is not None and kind not in PICKER_KINDS:
            raise ValueError(f"unknown picker kind {kind!r}")
        super().__init__(attrs, choices)
        self.kind = kind
        self.placeholder = placeholder
        self.remote = remote and kind is not None
        self.narrow_by = narrow_by

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.kind, copy.placeholder, copy.remote = self.kind, self.placeholder, self.remote
        copy.narrow_by = self.narrow_by
        return copy

    @property
    def placeholder_text(self) -> str:
        return str(self.placeholder or PLACEHOLDERS.get(self.kind, PLACEHOLDERS[None]))

    def picker_attrs(self, attrs) -> dict:
        """``attrs`` with the picker's ``data-*`` settings for pickers.js."""
        attrs = dict(attrs or {})
        attrs["data-picker"] = self.kind or "local"
        attrs["data-placeholder"] = self.placeholder_text
        attrs["data-no-results"] = str(_("No match"))
        attrs["data-remove-label"] = str(_("Remove"))
        if self.remote:
            attrs["data-picker-url"] = reverse("crm:picker", args=[self.kind])
        if self.narrow_by:
            attrs["data-picker-narrow"] = self.narrow_by
        if self.allow_multiple_selected:
            attrs.pop("size", None)
        return attrs

    def relabel(self, value, label):
        """The label of an option: the empty choice reads as the placeholder."""
        if type(value) is not int and isinstance(value, str) and not value:
            if label is None or str(label) in EMPTY_LABELS:
                return self.placeholder_text
        return label

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, self.picker_attrs(attrs))
        # Relabelled on the built options, not in a create_option override: that was one more Python call per
        # option (~500 on a list's filter panel, ~4 % of its CPU).
        for _group_name, options, _index in context["widget"]["optgroups"]:
            for option in options:
                option_value = option["value"]
                if type(option_value) is not int and not option_value:
                    option["label"] = self.relabel(option_value, option["label"])
        return context

    def written_attrs(self, attrs) -> dict:
        return self.picker_attrs(attrs)

    written_get_context = get_context


class PickerMultiple(Picker, forms.SelectMultiple):
    """The multi-select picker (picked entries shown as removable chips)."""

    allow_multiple_selected = True

    def __init__(
        self,
        attrs=None,
        choices=(),
        *,
        kind: str | None = None,
        placeholder=None,
        remote: bool = True,
        narrow_by: str | None = None,
    ):
        super().__init__(attrs, choices, kind=kind, placeholder=placeholder, remote=remote, narrow_by=narrow_by)
        self.attrs.pop("size", None)


def use_picker(
    field: forms.Field,
    *,
    kind: str | None = None,
    placeholder=None,
    remote: bool = True,
    narrow_by: str | None = None,
) -> forms.Field:
    """Give ``field`` the picker widget (keeping its choices and attributes); returns the field."""
    multiple = isinstance(field.widget, forms.SelectMultiple)
    widget_class = PickerMultiple if multiple else Picker
    old = field.widget
    attrs = {k: v for k, v in old.attrs.items() if k != "size"}
    widget = widget_class(attrs, kind=kind, placeholder=placeholder, remote=remote, narrow_by=narrow_by)
    widget.choices = old.choices
    widget.is_required = old.is_required
    field.widget = widget
    if hasattr(field, "empty_label") and not multiple and field.empty_label is not None:
        field.empty_label = widget.placeholder_text
    return field

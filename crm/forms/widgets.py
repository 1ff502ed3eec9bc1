"""The one picker widget of the web forms (issue 17): a plain ``<select>`` that crm/static/crm/pickers.js turns
into a type-ahead (Tom Select, vendored in crm/static/vendor/tom-select/).

- Without JavaScript it stays a working ``<select>`` with the options the form rendered (the current value, the
  user's own enterprises, the first ones by name), so a form can always be filled in and posted.
- With ``kind`` set, typing asks ``/pickers/<kind>/?q=…`` (crm/views/pickers.py, scoped by ``visible_to``) for
  more options; the user's own enterprises come first under their own heading.
- The empty choice reads as a Chinese placeholder (请选择企业) instead of Django's ``---------``.
- ``Picker(multiple=True)`` (``PickerMultiple``) is a multi-select that shows the picked entries as removable
  chips: no Ctrl-click list box on a phone.
"""

from django import forms
from django.urls import reverse
from django.utils.choices import normalize_choices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

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

_PLAIN_LABELS = (str, Promise, int)


def picker_choices(value):
    """``normalize_choices(value)`` (Django's), in one pass for the lists the pickers are given: ``(value, label)``
    pairs and ``(group, [(value, label), …])`` groups with text labels, as ``limited_choices`` and
    ``staff_filter_choices`` (crm/forms/base.py) build them on every page. Django's version calls itself for every
    option (hundreds of calls a page); anything else still goes to it."""
    if type(value) is not list:
        return normalize_choices(value)
    result = []
    for item in value:
        if type(item) is not tuple or len(item) != 2:
            return normalize_choices(value)
        key, label = item
        if isinstance(label, _PLAIN_LABELS):
            result.append(item)
        elif type(label) in (list, tuple) and all(
            type(option) is tuple and len(option) == 2 and isinstance(option[1], _PLAIN_LABELS) for option in label
        ):
            result.append((key, list(label)))
        else:
            return normalize_choices(value)
    return result


class Picker(forms.Select):
    """A type-ahead ``<select>``; see the module docstring. ``remote=False`` searches only the rendered options
    (small lists such as the staff of one bureau)."""

    allow_multiple_selected = False

    def __init__(self, attrs=None, choices=(), *, kind: str | None = None, placeholder=None, remote: bool = True):
        if kind is not None and kind not in PICKER_KINDS:
            raise ValueError(f"unknown picker kind {kind!r}")
        super().__init__(attrs, choices)
        self.kind = kind
        self.placeholder = placeholder
        self.remote = remote and kind is not None

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.kind, copy.placeholder, copy.remote = self.kind, self.placeholder, self.remote
        return copy

    @property
    def choices(self):
        return self._choices

    @choices.setter
    def choices(self, value):
        self._choices = picker_choices(value)

    @property
    def placeholder_text(self) -> str:
        return str(self.placeholder or PLACEHOLDERS.get(self.kind, PLACEHOLDERS[None]))

    def get_context(self, name, value, attrs):
        attrs = dict(attrs or {})
        attrs["data-picker"] = self.kind or "local"
        attrs["data-placeholder"] = self.placeholder_text
        attrs["data-no-results"] = str(_("No match"))
        attrs["data-remove-label"] = str(_("Remove"))
        if self.remote:
            attrs["data-picker-url"] = reverse("crm:picker", args=[self.kind])
        if self.allow_multiple_selected:
            attrs.pop("size", None)
        return super().get_context(name, value, attrs)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        if str(value) == "" and (label is None or str(label) in EMPTY_LABELS):
            label = self.placeholder_text
        return super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)

    def optgroups(self, name, value, attrs=None):
        """Django's ``ChoiceWidget.optgroups`` with ``create_option`` (above) written inline: the same option dicts,
        without two calls per option (a list's staff and enterprise pickers have five hundred). A subclass with its
        own ``create_option``, or options that inherit the widget's attributes, get Django's loop."""
        if self.option_inherits_attrs or type(self).create_option is not Picker.create_option:
            return super().optgroups(name, value, attrs)
        groups = []
        has_selected = False
        multiple = self.allow_multiple_selected
        input_type, template_name, checked = self.input_type, self.option_template_name, self.checked_attribute
        placeholder = None
        for index, (option_value, option_label) in enumerate(self.choices):
            if option_value is None:
                option_value = ""
            subgroup = []
            if isinstance(option_label, (list, tuple)):
                group_name, subindex, choices = option_value, 0, option_label
            else:
                group_name, subindex, choices = None, None, [(option_value, option_label)]
            groups.append((group_name, subgroup, index))
            for subvalue, sublabel in choices:
                text = str(subvalue)
                selected = (not has_selected or multiple) and text in value
                has_selected |= selected
                if text == "" and (sublabel is None or str(sublabel) in EMPTY_LABELS):
                    if placeholder is None:
                        placeholder = self.placeholder_text
                    sublabel = placeholder
                subgroup.append(
                    {
                        "name": name,
                        "value": subvalue,
                        "label": sublabel,
                        "selected": selected,
                        "index": str(index) if subindex is None else f"{index}_{subindex}",
                        "attrs": dict(checked) if selected else {},
                        "type": input_type,
                        "template_name": template_name,
                        "wrap_label": True,
                    }
                )
                if subindex is not None:
                    subindex += 1
        return groups


class PickerMultiple(Picker, forms.SelectMultiple):
    """The multi-select picker (picked entries shown as removable chips)."""

    allow_multiple_selected = True

    def __init__(self, attrs=None, choices=(), *, kind: str | None = None, placeholder=None, remote: bool = True):
        super().__init__(attrs, choices, kind=kind, placeholder=placeholder, remote=remote)
        self.attrs.pop("size", None)


def use_picker(field: forms.Field, *, kind: str | None = None, placeholder=None, remote: bool = True) -> forms.Field:
    """Give ``field`` the picker widget (keeping its choices and attributes); returns the field."""
    multiple = isinstance(field.widget, forms.SelectMultiple)
    widget_class = PickerMultiple if multiple else Picker
    old = field.widget
    attrs = {k: v for k, v in old.attrs.items() if k != "size"}
    widget = widget_class(attrs, kind=kind, placeholder=placeholder, remote=remote)
    widget.choices = old.choices
    widget.is_required = old.is_required
    field.widget = widget
    if hasattr(field, "empty_label") and not multiple and field.empty_label is not None:
        field.empty_label = widget.placeholder_text
    return field

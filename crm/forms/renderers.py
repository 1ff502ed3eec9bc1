"""The form renderer of the site (``FORM_RENDERER``): Django's template renderer, except that a ``<select>`` and a
plain ``<input>`` drawn with Django's own templates are written in Python.

Django renders a ``<select>`` with one ``{% include %}`` per option (and another for its attributes): the staff
picker of a list's filter panel (200+ people) and an enterprise picker (300 options) cost more than the rest of the
page. ``select_html`` writes the same bytes as django/forms/widgets/select.html + select_option.html + attrs.html
(tests/test_forms_renderers.py compares both on every kind of select); a widget with its own templates is still
rendered by them. ``input_html`` does the same for django/forms/widgets/input.html and the templates that only
include it (number, text, date, hidden…): a form of nine number fields paid 27 template renders. ``range_html``
writes crm/widgets/range.html (a list's "from – to" date filter: six template renders) when its two ends are such
inputs.
"""

import html
import re

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
# Django's input templates: input.html and those whose whole text is ``{% include ".../input.html" %}``.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input", "checkbox", "color", "date", "datetime", "email", "file", "hidden", "number", "password", "search",
        "tel", "text", "time", "url",
    )
)  # fmt: skip
# The "from – to" input group of a range filter (crm.forms.base.style_form gives it to django-filter's ranges).
RANGE_TEMPLATE = "crm/widgets/range.html"
# The input templates that only include input.html: included, each writes the input and two newlines (input.html's
# and its own).
INCLUDED_INPUT_TEMPLATES = INPUT_TEMPLATES - {"django/forms/widgets/input.html"}


def _as_text(value) -> str:
    """``{{ value|stringformat:'s' }}``: ``%s`` formatting, escaped unless already safe."""
    if type(value) is str:  # the common case, without Django's lazy-aware wrappers (thousands of calls a page)
        return html.escape(value)
    if type(value) is int:  # a primary key: digits need no escaping
        return str(value)
    if isinstance(value, SafeData):
        return conditional_escape(value)
    return conditional_escape("%s" % (str(value) if isinstance(value, tuple) else value))  # noqa: UP031


def _shown(value) -> str:
    """``{{ value }}``: localized, then escaped unless already safe."""
    if type(value) is str:
        return html.escape(value)
    return conditional_escape(localize(template_localtime(value)))


def _attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: `` name="value"``; ``True`` gives the bare name, ``False`` leaves it out."""
    if not attrs:  # most options have none
        return ""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_shown(name)}" if value is True else f' {_shown(name)}="{_as_text(value)}"')
    return "".join(parts)


def select_html(widget: dict) -> str:
    """The HTML of a select widget's context (``widget`` of ``Widget.get_context``), as Django's templates write it
    (the renderer strips the result, as Django's does)."""
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs_html(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            parts.append(
                f'\n  <option value="{_as_text(option["value"])}"{_attrs_html(option["attrs"])}>'
                f"{_shown(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class WrittenOptions:
    """``(pk, label)`` pairs kept per process (``crm.reference.memo``: the staff of a list's filter) whose
    ``<option>`` lines are written once: ``choices_select_html`` then writes only which of them are selected (some
    200 people and ~3,000 Python calls on every needs and visits list). Values are primary keys, labels text."""

    __slots__ = ("pairs", "_lines", "_texts", "_plain")

    def __init__(self, pairs: list[tuple[int, str]]):
        self.pairs = pairs
        self._lines = None

    def _written(self) -> list[tuple[str, str, str]]:
        # (value as text, the line, the line selected), as choices_select_html writes an option of an int value.
        if self._lines is None:
            lines = [
                (
                    text,
                    f'\n  <option value="{text}">{label}</option>\n',
                    f'\n  <option value="{text}" selected>{label}</option>\n',
                )
                for text, label in ((str(value), _shown(label)) for value, label in self.pairs)
            ]
            self._texts = frozenset(text for text, _line, _selected in lines)
            self._plain = "".join(line for _text, line, _selected in lines)
            self._lines = lines
        return self._lines

    def write(self, values, *, pick: bool, multiple: bool) -> tuple[str, bool]:
        """The options' HTML and whether one is selected: the first whose value is among ``values`` (each of them if
        ``multiple``) when ``pick`` (a single select whose option is selected already picks none)."""
        lines = self._written()
        if not pick or not any(value in self._texts for value in values):
            return self._plain, False
        parts, has_selected = [], False
        for text, line, selected_line in lines:
            selected = (not has_selected or multiple) and text in values
            has_selected |= selected
            parts.append(selected_line if selected else line)
        return "".join(parts), has_selected


def _plain_texts(pairs) -> tuple[bool, bool]:
    """Whether escaping leaves every label and every value of ``pairs`` that is text as it is (most are): one search
    of them all, not an escape of each (a visits list's enterprise filter has some 350)."""
    labels = [label for _value, label in pairs if type(label) is str]
    values = [value for value, _label in pairs if type(value) is str]
    return _SPECIAL.search("".join(labels)) is None, _SPECIAL.search("".join(values)) is None


_SPECIAL = re.compile("[&<>\"']")  # what html.escape changes


def choices_select_html(widget: dict, choices, *, multiple: bool, relabel=None) -> str:
    """``select_html`` of a select's context before its options were built: the options written straight from the
    widget's ``choices``, as Django's ``ChoiceWidget.optgroups`` + ``create_option`` mark them (the first option
    whose value is among ``widget["value"]`` selected, each of them if ``multiple``), without a dict per option
    (~500 on a list's filter panel). ``relabel(value, label)`` gives the label of an option with a falsy value
    (the picker's placeholder). tests/test_forms_renderers.py compares it with Django's templates."""
    values = widget["value"]
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs_html(widget["attrs"])}>']
    has_selected = False
    # PairChoices(head, written=…): the head's options, then the options written once.
    written = getattr(choices, "written", None)
    # Walked twice, so listed (by its iterator: list() would ask a model field's choices their len(), a count).
    pairs = list(iter(choices.head if written is not None else choices))
    plain = _plain_texts([pair for pair in pairs if not isinstance(pair[1], list | tuple)])
    for option_value, option_label in pairs:
        if option_value is None:
            option_value = ""
        if isinstance(option_label, list | tuple):
            group_name, group = option_value, option_label
            plain_labels, plain_values = _plain_texts(group)
            if group_name:
                parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        else:
            group_name, group = None, ((option_value, option_label),)
            plain_labels, plain_values = plain
        for value, label in group:
            text = str(value)
            selected = (not has_selected or multiple) and text in values
            has_selected |= selected
            shown_label = label if plain_labels and type(label) is str else None
            if relabel is not None and type(value) is not int and not value:
                label = relabel(value, label)
                shown_label = None
            if shown_label is None:
                shown_label = _shown(label)
            if type(value) is int or (plain_values and type(value) is str):
                shown_value = text
            else:
                shown_value = _as_text(value)
            parts.append(f'\n  <option value="{shown_value}"{" selected" if selected else ""}>{shown_label}</option>\n')
        if group_name:
            parts.append("\n  </optgroup>")
    if written is not None:
        options, selected = written.write(values, pick=not has_selected or multiple, multiple=multiple)
        parts.append(options)
    parts.append("\n</select>")
    return "".join(parts)


def input_html(widget: dict) -> str:
    """The HTML of an input widget's context, as django/forms/widgets/input.html + attrs.html write it."""
    value = widget["value"]
    shown_value = "" if value is None else f' value="{_as_text(value)}"'
    attrs = _attrs_html(widget["attrs"])
    return f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{shown_value}{attrs}>'


def range_html(widget: dict) -> str:
    """What crm/widgets/range.html writes for a range widget's context whose ends are plain inputs (the renderer
    strips the result, as Django's does)."""
    first, *rest = widget["subwidgets"]
    ends = "".join(f"{input_html(end)}\n\n" for end in rest)
    return (
        f'<div class="input-group input-group-range">{input_html(first)}\n\n'
        f'<span class="input-group-text px-1">–</span>{ends}</div>'
    )


def _plain_range(context) -> bool:
    widget = context.get("widget")
    if not isinstance(widget, dict) or not widget.get("subwidgets"):
        return False
    return all(
        isinstance(end, dict) and end.get("template_name") in INCLUDED_INPUT_TEMPLATES for end in widget["subwidgets"]
    )


def _plain_select(context) -> bool:
    widget = context.get("widget")
    if not isinstance(widget, dict) or "optgroups" not in widget:
        return False
    # A plain loop, not all() over a generator: one generator step per option (~500 on a list's filter panel).
    for _name, choices, _index in widget["optgroups"]:
        for option in choices:
            if option.get("template_name") != OPTION_TEMPLATE:
                return False
    return True


class SiteFormRenderer(DjangoTemplates):
    """Django's template renderer; plain ``<select>`` and ``<input>`` widgets and ranges of two inputs are written by
    ``select_html``, ``input_html`` and ``range_html`` (same output)."""

    def render(self, template_name, context, request=None):
        if template_name == SELECT_TEMPLATE and _plain_select(context):
            return mark_safe(select_html(context["widget"]).strip())  # noqa: S308 (every part is escaped above)
        if template_name in INPUT_TEMPLATES and isinstance(context.get("widget"), dict):
            return mark_safe(input_html(context["widget"]))  # noqa: S308 (every part is escaped above)
        if template_name == RANGE_TEMPLATE and _plain_range(context):
            return mark_safe(range_html(context["widget"]))  # noqa: S308 (input_html escapes every part)
        return super().render(template_name, context, request=request)

"""The site's form renderer writes plain <select> widgets in Python: byte for byte what Django's templates write."""

import datetime
import decimal

import pytest
from django import forms
from django.forms.models import ModelChoiceIteratorValue
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django_filters.widgets import DateRangeWidget, RangeWidget

from crm.forms import renderers
from crm.forms.base import style_form
from crm.forms.renderers import INPUT_TEMPLATES, RANGE_TEMPLATE, SiteFormRenderer, WrittenOptions
from crm.forms.widgets import PairChoices, Picker, PickerMultiple, Select, SelectMultiple
from crm.models import Department
from tests.factories import DepartmentFactory

CHOICES = [
    ("", "---------"),
    (1, "华新 <科技> & \"Co\" 'x'"),
    ("a&b", gettext_lazy("Visits")),
    ("safe", mark_safe("<b>bold</b>")),
    (3, 12345),
    (4, 1.5),
    (5, datetime.date(2026, 1, 2)),
]
GROUPED = [
    ("", "请选择"),
    ("我挂钩的企业", [(10, "甲"), (11, "乙 <b>")]),
    ("其他 & more", [(12, "丙"), ("13", "丁")]),
]


def both(widget: forms.Widget, name: str, value, attrs=None) -> tuple[str, str]:
    django_html = widget.render(name, value, attrs=attrs, renderer=DjangoTemplates())
    site_html = widget.render(name, value, attrs=attrs, renderer=SiteFormRenderer())
    return django_html, site_html


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.Select(choices=CHOICES), 1),
        (forms.Select(choices=CHOICES), "a&b"),
        (forms.Select(choices=CHOICES), None),
        (forms.Select(choices=GROUPED, attrs={"class": "form-select is-invalid", "required": True}), "13"),
        (forms.Select(choices=CHOICES, attrs={"disabled": True, "data-x": "<&>", "hidden": False}), 5),
        (forms.SelectMultiple(choices=CHOICES), [1, "safe"]),
        (forms.NullBooleanSelect(), True),
        (forms.NullBooleanSelect(), None),
        (Picker(choices=GROUPED, kind="enterprise", attrs={"class": "form-select"}), 11),
        (Picker(choices=CHOICES, kind="staff", remote=False), ""),
        (PickerMultiple(choices=GROUPED, kind="staff", remote=False), ["10", "12"]),
        (forms.Select(choices=[]), None),
        # Pickers write their options straight from the choices (choices_select_html): every shape of choice.
        (Picker(choices=CHOICES, kind="enterprise"), None),
        (Picker(choices=CHOICES, kind="policy", placeholder="挑一个 <b>"), "safe"),
        (
            Picker(choices=[(None, None), ("", "自定义"), (1, "甲"), (1, "甲again"), ("x", [(None, "n"), ("", "")])]),
            "1",
        ),
        (Picker(choices=[(0, "零"), ("", None), (True, "yes")], narrow_by="enterprise", kind="project"), "0"),
        (Picker(choices=GROUPED + [("", [(20, "无名组")])], kind="staff", attrs={"size": 4, "required": True}), 12),
        (Picker(choices=[(ModelChoiceIteratorValue(7, None), "seven"), ("", "---------")], kind="staff"), 7),
        (PickerMultiple(choices=CHOICES, kind="staff", attrs={"size": 4}), None),
        (PickerMultiple(choices=GROUPED, kind="enterprise"), ["10", "10", "13", ""]),
        (Picker(choices=[]), "1"),
        (Picker(choices=PairChoices(GROUPED), kind="enterprise"), 12),
        (Picker(choices=PairChoices([]), kind="staff"), None),
        # The site's twins of Django's selects (style_form gives them to every form): options from the choices too.
        (Select(choices=CHOICES), 1),
        (Select(choices=CHOICES), None),
        (Select(choices=GROUPED, attrs={"class": "form-select is-invalid", "required": True}), "13"),
        (Select(choices=[(None, None), ("", "自定义"), (1, "甲"), (1, "甲again"), ("x", [(None, "n")])]), "1"),
        (SelectMultiple(choices=CHOICES, attrs={"size": 4}), [1, "safe", ""]),
        (SelectMultiple(choices=GROUPED), ["10", "10", "13"]),
        (Select(choices=[]), None),
        (Select(choices=[("", "全部"), ("a", "甲"), ("b", "乙")]), "b"),
        (Select(choices=[("", "全部"), ("g", [("x&y", "甲"), ("z", "乙")]), ("h", [("q", "丙")])]), "x&y"),
        (Select(choices=[("", gettext_lazy("All")), ("320831", "盱眙"), ("320800", mark_safe("<i>淮安</i>"))]), None),
        (Select(choices=[("", gettext_lazy("All")), ("a", gettext_lazy("Visits")), ("b", "乙")]), "a"),
    ],
)
def test_select_html_is_what_the_templates_write(widget, value, english):
    django_html, site_html = both(widget, "field", value, attrs={"id": "id_field"})
    assert "<option" in django_html or not widget.choices
    assert site_html == django_html


@pytest.mark.parametrize("choices", [CHOICES, GROUPED, []])
def test_pair_choices_are_the_choices_django_normalizes_them_to(choices):
    given = PairChoices(choices)
    assert Picker(choices=given).choices is given  # taken as it is, not checked option by option
    assert list(given) == list(Picker(choices=choices).choices) == list(forms.Select(choices=choices).choices)
    assert len(given) == len(choices) and bool(given) is bool(choices)


def test_plain_text_labels_are_written_without_an_escape_each(monkeypatch, english):
    """Labels that escaping leaves as they are (most: names, translated enumerations) are written as they are, found
    by one search of them all, not escaped one by one; a group with one to escape is escaped, the others are not."""
    shown, calls = renderers._shown, []
    monkeypatch.setattr(renderers, "_shown", lambda value: calls.append(value) or shown(value))
    names = [(n, f"企业 {n}") for n in range(1, 51)]
    rest = [*names[10:], (99, "<b>")]
    for choices, escaped in (
        (names, []),
        ([("", "请选择"), ("我挂钩的企业", names[:10]), ("其他", names[10:])], []),
        ([("", "请选择"), ("我挂钩的企业", names[:10]), ("其他", rest)], rest),
    ):
        calls.clear()
        picker = Picker(choices=PairChoices(choices), kind="enterprise")
        site_html = picker.render("e", "3", renderer=SiteFormRenderer())
        assert [value for value in calls if str(value).startswith(("企业", "<b>"))] == [name for _pk, name in escaped]
        assert site_html == Picker(choices=choices, kind="enterprise").render("e", "3", renderer=DjangoTemplates())


@pytest.mark.django_db
def test_a_model_fields_options_are_read_once(django_assert_num_queries):
    DepartmentFactory(name="甲"), DepartmentFactory(name="乙 <b>")
    widget = Select()
    widget.choices = forms.ModelChoiceField(Department.objects.select_related("bureau").order_by("pk")).choices
    with django_assert_num_queries(1):  # the options, not a count before them
        assert "乙 &lt;b&gt;" in widget.render("department", None, renderer=SiteFormRenderer())


PEOPLE = [(2, "甲 <b>&"), (3, "乙"), (10, '丙 "q"')]


@pytest.mark.parametrize("multiple", [False, True])
@pytest.mark.parametrize("value", ["", None, "3", ["3", "10"], ["", "2"], "999", ["3", "3"]])
def test_options_written_once_are_what_the_templates_write(multiple, value, english):
    """The staff filter's people written once (``PairChoices(head, written=…)``): the same bytes as Django's
    templates for the same pairs, whichever option is picked, the head's or theirs, one or many."""
    widget_class = PickerMultiple if multiple else Picker
    head = [("", gettext_lazy("All"))]
    written = WrittenOptions(PEOPLE)
    for _render in range(2):  # the second render from the lines written by the first
        given = widget_class(choices=PairChoices(head, written=written), kind="staff", remote=False)
        django_html, _site = both(widget_class(choices=head + PEOPLE, kind="staff", remote=False), "person", value)
        site_html = given.render("person", value, renderer=SiteFormRenderer())
        assert site_html == django_html
        assert list(given.choices) == head + PEOPLE


def test_a_picker_with_its_own_option_template_is_rendered_by_the_templates(english):
    class Custom(Picker):
        option_template_name = "crm/widgets/not_an_option.html"

    widget = Custom(choices=CHOICES)
    assert not widget._plain()
    assert Picker(choices=CHOICES)._plain()


def test_widgets_with_their_own_templates_still_use_them(english):
    radio = forms.RadioSelect(choices=CHOICES[1:3])
    django_html, site_html = both(radio, "kind", 1)
    assert 'type="radio"' in site_html
    assert site_html == django_html


def test_the_site_uses_it(settings):
    assert settings.FORM_RENDERER == "crm.forms.renderers.SiteFormRenderer"


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "min": 0}), decimal.Decimal("12.50")),
        (forms.NumberInput(), None),
        (forms.NumberInput(attrs={"required": True, "disabled": False}), 0),
        (forms.TextInput(attrs={"placeholder": "华新 <科技> & \"Co\" 'x'", "maxlength": 20}), 'a<b>&"c"'),
        (forms.TextInput(), mark_safe("<b>bold</b>")),
        (forms.TextInput(), ""),
        (forms.EmailInput(attrs={"autocomplete": gettext_lazy("Visits")}), "x@example.com"),
        (forms.DateInput(attrs={"type": "date"}), datetime.date(2026, 1, 2)),
        (forms.DateTimeInput(), datetime.datetime(2026, 1, 2, 3, 4, 5)),
        (forms.TimeInput(), datetime.time(3, 4)),
        (forms.HiddenInput(), 12345),
        (forms.PasswordInput(render_value=True), "secret"),
        (forms.CheckboxInput(), True),
        (forms.CheckboxInput(attrs={"class": "form-check-input"}), False),
        (forms.URLInput(), "https://example.com/?a=1&b=2"),
        (forms.FileInput(), None),
    ],
)
def test_input_html_is_what_the_templates_write(widget, value, english):
    django_html, site_html = both(widget, "field", value, attrs={"id": "id_field"})
    assert django_html.startswith("<input")
    assert site_html == django_html


def test_input_templates_are_those_that_only_include_input_html():
    # A Django upgrade that gives one of them more than the include would be rendered wrongly: this fails then.
    for name in INPUT_TEMPLATES - {"django/forms/widgets/input.html"}:
        source = SiteFormRenderer().get_template(name).template.source.strip()
        assert source == '{% include "django/forms/widgets/input.html" %}', name


def _range(widget: forms.MultiWidget, attrs=None) -> forms.MultiWidget:
    widget.template_name = RANGE_TEMPLATE  # as style_form sets it on a filter's range
    for end in widget.widgets:
        end.attrs.update(attrs or {})
    return widget


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (_range(DateRangeWidget(), {"class": "form-control"}), None),
        (_range(DateRangeWidget(), {"class": "form-control is-invalid"}), [datetime.date(2026, 1, 2), "bad <x>"]),
        (_range(DateRangeWidget(attrs={"type": "date", "data-x": "<&>"})), ["2026-01-02", None]),
        (_range(RangeWidget(attrs={"step": 1})), [decimal.Decimal("1.5"), 3]),
        (_range(forms.MultiWidget([forms.TextInput(), forms.HiddenInput(), forms.NumberInput()])), ["a", "b", 3]),
    ],
)
def test_range_html_is_what_the_range_template_writes(widget, value, english):
    django_html, site_html = both(widget, "due_on", value, attrs={"id": "id_due_on"})
    assert django_html.startswith('<div class="input-group input-group-range"><input')
    assert site_html == django_html


def test_a_range_of_other_widgets_is_rendered_by_the_template(english):
    widget = _range(forms.MultiWidget([forms.Select(choices=CHOICES), forms.TextInput()]))
    django_html, site_html = both(widget, "kind", [1, "x"])
    assert "<select" in site_html
    assert site_html == django_html


class ReferenceForm(forms.Form):
    department = forms.ModelChoiceField(Department.objects.order_by("pk"), required=False)
    departments = forms.ModelMultipleChoiceField(Department.objects.order_by("pk"), required=False)
    kind = forms.ChoiceField(choices=[("", "---------"), ("a", "A & <b>")], required=False)
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], required=False, widget=forms.SelectMultiple)
    radio = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect, required=False)


@pytest.mark.django_db
@pytest.mark.parametrize("data", [None, {"department": "x", "departments": ["1"], "kind": "a", "many": ["a", "b"]}])
def test_style_form_gives_django_selects_the_site_twins_with_the_same_html(data, english):
    departments = [DepartmentFactory(name=name) for name in ("甲 <科>", "乙 & 丙")]
    if data:
        data = {**data, "departments": [str(departments[1].pk)]}
    site_form = style_form(ReferenceForm(data))
    style_form(site_form)  # idempotent
    assert type(site_form.fields["department"].widget) is Select
    assert type(site_form.fields["departments"].widget) is SelectMultiple
    assert type(site_form.fields["kind"].widget) is Select and type(site_form.fields["many"].widget) is SelectMultiple
    assert type(site_form.fields["radio"].widget) is forms.RadioSelect
    # The same form drawn by Django's own templates (a twin hands any other renderer to Django's select).
    django_form = style_form(ReferenceForm(data, renderer=DjangoTemplates()))
    for name in ("department", "departments", "kind", "many"):
        site_html = str(site_form[name])
        assert site_html == str(django_form[name])
        assert "<option" in site_html and site_form.fields[name].widget._plain()
    assert "甲 &lt;科&gt;" in str(site_form["department"])

"""``{% form_field %}`` writes byte for byte what the include crm/partials/_field.html writes, in every branch."""

import pytest
from django import forms
from django.core.validators import RegexValidator
from django.template import Context, Template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from crm.forms.widgets import Picker

INCLUDE = Template('{% include "crm/partials/_field.html" with field=field col=col %}')
INCLUDE_NO_COL = Template('{% include "crm/partials/_field.html" with field=field %}')
TAG = Template("{% load form_tags %}{% form_field field col=col %}")
TAG_NO_COL = Template("{% load form_tags %}{% form_field field %}")
LITERAL_INCLUDE = Template('{% include "crm/partials/_field.html" with field=field col="col-6 col-md-4" %}')
LITERAL_TAG = Template('{% load form_tags %}{% form_field field col="col-6 col-md-4" %}')


class SampleForm(forms.Form):
    name = forms.CharField(
        label="name <&> \"q\" 'x'",
        help_text="At most <b>5</b> letters & digits",
        max_length=5,
        validators=[RegexValidator(r"^\d+$", "Digits only."), RegexValidator(r"^a", "Starts with <a>.")],
    )
    note = forms.CharField(required=False, label=gettext_lazy("visits"), widget=forms.Textarea)
    agree = forms.BooleanField(required=False, label=mark_safe("<b>agree</b>"), help_text="Tick & go")
    must_agree = forms.BooleanField(label="must agree")
    secret = forms.CharField(widget=forms.HiddenInput, required=False)
    when = forms.DateField(help_text=gettext_lazy("Search"), label="")
    picks = forms.MultipleChoiceField(
        required=False, choices=[("a", "A <1>"), ("b", "B")], widget=forms.CheckboxSelectMultiple
    )
    who = forms.ChoiceField(required=False, choices=[("", "---"), ("1", "甲 & 乙")], widget=Picker(kind="staff"))
    safe_help = forms.IntegerField(required=False, help_text=mark_safe("<i>safe</i> help"), label="数量")


FORMS = {
    "unbound": lambda: SampleForm(initial={"secret": "s<&>", "name": "ab"}),
    "invalid": lambda: SampleForm(data={"name": "b<x>123", "when": "nope", "safe_help": "x", "secret": "<&>"}),
    "valid": lambda: SampleForm(data={"name": "123", "when": "2026-01-02", "must_agree": "on", "picks": ["a"]}),
    "no_auto_id": lambda: SampleForm(data={"name": "b"}, auto_id=False),
    "prefixed": lambda: SampleForm(data={"p-name": ""}, prefix="p", auto_id="f_%s"),
}


@pytest.mark.parametrize("form_kind", list(FORMS))
@pytest.mark.parametrize("name", list(SampleForm.base_fields))
@pytest.mark.parametrize("col", [None, "", "col-md-6", 'a<b>&"c"'])
def test_form_field_is_the_include(form_kind, name, col, english):
    field = FORMS[form_kind]()[name]
    if col is None:
        include_html = INCLUDE_NO_COL.render(Context({"field": field}))
        tag_html = TAG_NO_COL.render(Context({"field": field}))
        assert 'class="col-12 ' in include_html or field.is_hidden
    else:
        include_html = INCLUDE.render(Context({"field": field, "col": col}))
        tag_html = TAG.render(Context({"field": field, "col": col}))
    assert tag_html == include_html


@pytest.mark.parametrize("form_kind", list(FORMS))
@pytest.mark.parametrize("name", list(SampleForm.base_fields))
def test_form_field_with_a_literal_col_is_the_include(form_kind, name, english):
    field = FORMS[form_kind]()[name]
    assert LITERAL_TAG.render(Context({"field": field})) == LITERAL_INCLUDE.render(Context({"field": field}))


def test_the_branches_are_all_covered(english):
    """The cases above reach every branch of the include: guard against a sample form that stops doing so."""
    form = FORMS["invalid"]()
    render = lambda name: TAG.render(Context({"field": form[name], "col": "c"}))  # noqa: E731
    name = render("name")
    assert name.count("<div>") == 3  # several errors, each in its own <div>
    assert 'id="id_name_error" data-field="name" role="alert"' in name
    assert "Starts with &lt;a&gt;." in name and "Name &lt;&amp;&gt; &quot;q&quot; &#x27;x&#x27;" in name
    assert '<span class="text-danger" aria-hidden="true">*</span>' in name and "form-text" not in name
    assert '<div class="form-check mt-md-4">' in render("agree") and "<b>agree</b>" in render("agree")
    assert '<div class="form-text">Tick &amp; go</div>' in render("agree")
    assert "<i>safe</i> help" in TAG.render(Context({"field": FORMS["unbound"]()["safe_help"], "col": "c"}))
    assert "Visits</label>" in render("note") and "text-danger" not in render("note")
    assert render("secret") == '\n<input type="hidden" name="secret" value="&lt;&amp;&gt;" id="id_secret">\n'

"""form_tags.panel_fields writes the filter panel's fields as its loop of _field.html includes did, in every branch."""

import pytest
from django import forms
from django.utils.safestring import mark_safe

from crm.filtersets import NeedFilterSet, VisitFilterSet
from crm.forms.base import style_form
from tests.factories import UserFactory
from tests.template_helpers import rendered_alike

pytestmark = pytest.mark.django_db

# templates/crm/partials/_filter_panel.html's loop before it became {% panel_fields panel_fields %}.
OLD_LOOP = """{% for field in panel_fields %}
          {% if field.widget_type == "daterange" or field.widget_type == "datefromtorange" %}
            {% include "crm/partials/_field.html" with field=field col="col-12 col-md-8 col-xl-4" %}
          {% else %}
            {% include "crm/partials/_field.html" with field=field col="col-6 col-md-4 col-xl-2" %}
          {% endif %}
        {% endfor %}"""
NEW_LOOP = "{% load form_tags %}{% panel_fields panel_fields %}"


class EveryBranchForm(forms.Form):
    """A field for each branch of _field.html: hidden, checkbox, required, help text, errors, a safe label."""

    secret = forms.CharField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label="name <b>", help_text="Help & <hints>")
    flag = forms.BooleanField(label="flag", required=False)
    count = forms.IntegerField(label=mark_safe("<i>count</i>"), required=False, min_value=0)
    colour = forms.ChoiceField(choices=[("", "---------"), ("r", "Red & <blue>")], required=False)
    note = forms.CharField(label="", required=False)


def _fields(form):
    style_form(form)
    return [form[name] for name in form.fields]


@pytest.mark.parametrize(
    "data",
    [None, {"name": "x", "flag": "on", "count": "3", "colour": "r"}, {"count": "-1 <x>", "colour": "nope"}],
)
def test_every_branch_as_the_includes_wrote_it(data):
    rendered = rendered_alike(OLD_LOOP, NEW_LOOP, panel_fields=_fields(EveryBranchForm(data)))
    assert 'type="hidden"' in rendered and "form-check" in rendered


def test_the_list_filtersets_with_and_without_errors():
    user = UserFactory()
    for filterset_class, data, invalid in (
        (NeedFilterSet, {"due_on_after": "bad", "status": "zzz", "overdue": "true"}, True),
        (VisitFilterSet, {"visited_on_after": "2026-01-01", "kind": "nope"}, True),
        (NeedFilterSet, None, False),
    ):
        filterset = filterset_class(data, request=type("R", (), {"user": user, "GET": data or {}})())
        filterset.is_valid()
        rendered = rendered_alike(OLD_LOOP, NEW_LOOP, panel_fields=_fields(filterset.form))
        assert ("invalid-feedback" in rendered) is invalid


def test_no_fields_write_nothing():
    assert rendered_alike(OLD_LOOP, NEW_LOOP, panel_fields=[]) == ""
    assert rendered_alike(OLD_LOOP, NEW_LOOP, panel_fields=None) == ""

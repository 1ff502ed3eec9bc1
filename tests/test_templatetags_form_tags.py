# ruff: noqa: E501 - the replaced template text, byte for byte
"""form_tags.panel_fields writes the filter panel's fields as its loop of _field.html includes did, in every branch;
form_tags.filter_panel writes the whole panel as crm/partials/_filter_panel.html (and _filter_chips.html) did; a field
panel_fields keeps per process is written again for another scope, language, value, errors or reference list."""

import pytest
from django import forms
from django.utils.safestring import mark_safe

from crm import reference
from crm.choices import ChoicePairs, Role
from crm.filtersets import NeedFilterSet, VisitFilterSet
from crm.forms.base import style_form
from crm.models import Region
from crm.templatetags import form_tags
from tests.factories import (
    BureauFactory,
    DepartmentFactory,
    EnterpriseFactory,
    NeedFactory,
    RegionFactory,
    UserFactory,
    VisitFactory,
)
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

# A list's {% include "crm/partials/_filter_panel.html" with search_placeholder=search_placeholder %} before it became
# {% filter_panel search_placeholder %}: the panel's template with its include of _filter_chips.html written in.
OLD_PANEL = """{% load i18n crm_tags form_tags %}
{% comment %}
Filter panel for a FilteredListView. Renders the search box and ``panel_fields`` (the
view's ``filter_fields``); keeps the other filters, ``ordering`` and ``page_size`` as hidden inputs.
The active filters show as removable chips (``filterset.chips``, crm/filtersets.py); the panel opens by
itself only when one of its own fields is set (or invalid), not for filters that came from a drill-down link.
Usage: {% include "crm/partials/_filter_panel.html" with search_placeholder=_("…") %}
{% endcomment %}
<form method="get" class="card mb-3 filter-panel" id="filter-form" role="search">
  <div class="card-body py-2">
    <div class="d-flex gap-2 align-items-center">
      <div class="flex-grow-1">
        <label class="visually-hidden" for="{{ filter_form.q.id_for_label }}">{% translate "Search" %}</label>
        <input type="search" name="q" id="{{ filter_form.q.id_for_label }}" value="{{ filter_form.q.value|default:'' }}"
               class="form-control{% if filter_form.q.errors %} is-invalid{% endif %}" maxlength="100"
               placeholder="{{ search_placeholder|default:_('Search') }}">
      </div>
      <button class="btn btn-primary text-nowrap" type="submit" id="filter-submit"><i class="bi bi-search" aria-hidden="true"></i> {% translate "Filter" %}</button>
      {% with panel_open=filterset.chips|chips_in_panel:panel_fields %}
      <button class="btn btn-outline-secondary text-nowrap" type="button" data-bs-toggle="collapse" data-bs-target="#filter-fields"
              aria-expanded="{% if panel_open or filter_form.errors %}true{% else %}false{% endif %}" aria-controls="filter-fields" id="filter-toggle">
        <i class="bi bi-funnel" aria-hidden="true"></i><span class="d-none d-sm-inline"> {% translate "More filters" %}</span>
        {% if active_filter_count %}<span class="badge text-bg-primary">{{ active_filter_count }}</span>{% endif %}
      </button>
      {% endwith %}
    </div>
    {% if filter_form.q.errors %}<div class="invalid-feedback d-block">{{ filter_form.q.errors|join:" " }}</div>{% endif %}
    {% with chips=filterset.chips %}{% load i18n %}
{% comment %}
The active filters of a list as chips; each chip is a link to the same list without that filter.
Usage: {% include "crm/partials/_filter_chips.html" with chips=filterset.chips %}
{% endcomment %}
{% if chips %}
<div class="filter-chips d-flex flex-wrap align-items-center gap-2 mt-2" id="filter-chips">
  <span class="small text-body-secondary" id="filter-chips-label">{% translate "Filtered by" %}</span>
  <ul class="list-unstyled d-flex flex-wrap gap-2 mb-0" aria-labelledby="filter-chips-label">
    {% for chip in chips %}
    <li>
      <a class="btn btn-sm btn-outline-primary rounded-pill filter-chip" href="{{ chip.remove_url }}" data-filter="{{ chip.name }}"
         title="{% translate 'Remove this filter' %}">
        <span>{{ chip.label|capfirst }}：{{ chip.value }}</span>
        <i class="bi bi-x-lg" aria-hidden="true"></i><span class="visually-hidden">{% translate "Remove this filter" %}</span>
      </a>
    </li>
    {% endfor %}
  </ul>
  {% if chips|length > 1 %}<a class="btn btn-sm btn-link px-1" href="{{ request.path }}{% if request.GET.ordering %}?ordering={{ request.GET.ordering|urlencode }}{% endif %}">{% translate "Clear filters" %}</a>{% endif %}
</div>
{% endif %}
{% endwith %}
    <div class="collapse{% if filter_form.errors or filterset.chips|chips_in_panel:panel_fields %} show{% endif %}" id="filter-fields">
      <div class="row g-2 mt-1">
        {% panel_fields panel_fields %}{# each as crm/partials/_field.html writes it, without an include per field #}
      </div>
      <div class="d-flex gap-2 mt-1">
        <a class="btn btn-sm btn-link px-0" href="{{ request.path }}">{% translate "Clear filters" %}</a>
      </div>
    </div>
    {% for key, value in hidden_filter_params %}<input type="hidden" name="{{ key }}" value="{{ value }}">{% endfor %}
    {% if request.GET.ordering %}<input type="hidden" name="ordering" value="{{ request.GET.ordering }}">{% endif %}
    {% if request.GET.page_size %}<input type="hidden" name="page_size" value="{{ request.GET.page_size }}">{% endif %}
  </div>
</form>
"""
NEW_PANEL = "{% load form_tags %}{% filter_panel search_placeholder %}"


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


@pytest.mark.parametrize(
    "url",
    [
        "/enterprises/",
        "/enterprises/?region=zz!bad&is_linked=maybe&ordering=name&page_size=50",
        "/needs/?open=true&status=assigned&urgency=urgent&ordering=-due_on&page_size=50",
        "/needs/?q=%3Cx%3E%22&due_on_after=bad",
        "/visits/?kind=nope&q=a&ordering=visited_on",
        "/visits/plans/?status=planned",
        "/action-items/?overdue=true",
        "/activities/?q=%3Cb%3E",
    ],
)
def test_the_filter_panel_as_its_include_wrote_it(client, url):
    user = UserFactory(roles=[Role.MANAGER])
    enterprise = EnterpriseFactory()
    NeedFactory(enterprise=enterprise)
    VisitFactory(enterprise=enterprise)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    context = next(c for c in response.context if "panel_fields" in c).flatten()
    rendered = rendered_alike(OLD_PANEL, NEW_PANEL, **context)
    assert 'id="filter-form"' in rendered
    if "ordering=" in url and "&" in url.partition("?")[2]:
        assert 'name="ordering"' in rendered


def test_the_filter_panel_without_a_filterset_or_request():
    rendered = rendered_alike(OLD_PANEL, NEW_PANEL, search_placeholder="Name & code", panel_fields=[])
    assert "Name &amp; code" in rendered


# --- fields kept per process (panel_fields' _PANEL_FIELDS) ---------------------------------------------------------


@pytest.fixture
def kept(monkeypatch):
    """An empty store of kept fields, and the fields written (``field_html`` calls) since the last ``clear()``."""
    monkeypatch.setattr(form_tags, "_PANEL_FIELDS", type(form_tags._PANEL_FIELDS)())
    written = []
    field_html = form_tags.field_html

    def counted(field, col=""):
        written.append(field.name)
        return field_html(field, col)

    monkeypatch.setattr(form_tags, "field_html", counted)
    return written


def _panel_fields(client, url) -> list:
    response = client.get(url)
    assert response.status_code == 200
    return next(c for c in response.context if "panel_fields" in c)["panel_fields"]


def _written_alike(fields) -> str:
    """NEW_LOOP writes what the includes write, in both languages, inside a request's scope (where the reference rows
    are the process's copy: the fields over them are kept too)."""
    with reference.request_scope():
        return rendered_alike(OLD_LOOP, NEW_LOOP, panel_fields=fields)


def test_the_selects_and_ranges_are_written_once_per_key(client, kept):
    client.force_login(UserFactory(roles=[Role.MANAGER]))
    fields = _panel_fields(client, "/needs/?status=assigned&overdue=true")
    first = _written_alike(fields)
    # status, category, urgency (enumerations), lead_department (reference rows), handler (the staff picker), overdue
    # (yes/no) and due_on (a date range): written once per language, then kept.
    names = ["status", "category", "urgency", "lead_department", "handler", "overdue", "due_on"]
    assert sorted(kept) == sorted(names * 2) and len(form_tags._PANEL_FIELDS) == 2 * len(names)
    kept.clear()
    assert _written_alike(_panel_fields(client, "/needs/?status=assigned&overdue=true")) == first
    assert kept == []  # another request, the same fields: nothing written again


def test_a_field_over_choices_made_per_request_is_written_each_time(client, kept):
    client.force_login(UserFactory(roles=[Role.MANAGER]))
    fields = _panel_fields(client, "/visits/")
    _written_alike(fields)
    kept.clear()
    _written_alike(fields)
    assert kept == ["enterprise", "enterprise"]  # the enterprise picker: its options read per request


def test_another_scope_gets_its_own_staff_and_departments(client, kept):
    county = BureauFactory(county=True)
    DepartmentFactory(bureau=county, name="县高新科")
    UserFactory(username="county_colleague", name="县同事", bureau=county)
    UserFactory(username="city_colleague", name="市同事")
    manager = UserFactory(roles=[Role.MANAGER])
    county_officer = UserFactory(roles=[Role.OFFICER], bureau=county)
    client.force_login(manager)
    city_html = _written_alike(_panel_fields(client, "/needs/"))
    client.force_login(county_officer)
    county_html = _written_alike(_panel_fields(client, "/needs/"))
    assert "市同事" in city_html and "县同事" in city_html
    assert "县同事" in county_html and "市同事" not in county_html
    assert county_html != city_html


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("/needs/?status=assigned", "/needs/?status=closed"),
        ("/needs/?due_on_after=2026-01-01", "/needs/?due_on_after=2026-02-01"),
        ("/needs/?overdue=true", "/needs/?overdue=false"),
        ("/needs/?due_on_after=bad", "/needs/?due_on_after=2026-01-01"),
        ("/needs/?due_on_after=2026-01-01", "/needs/?due_on_after=bad"),
        ("/needs/?status=zzz", "/needs/"),
    ],
)
def test_a_kept_field_shows_the_value_and_errors_of_its_request(client, kept, first, then):
    client.force_login(UserFactory(roles=[Role.MANAGER]))
    before = _written_alike(_panel_fields(client, first))
    after = _written_alike(_panel_fields(client, then))
    assert after != before
    assert ("invalid-feedback" in after) is ("bad" in then or "zzz" in then)


def test_a_changed_reference_list_is_written_again(client, kept):
    RegionFactory(code="320812", name="清江浦区")
    client.force_login(UserFactory(roles=[Role.MANAGER]))
    assert "清江浦区" in _written_alike(_panel_fields(client, "/enterprises/"))
    region = Region.objects.get(code="320812")
    region.name = "新清江浦区"
    region.save()  # the regions' version changes: another copy of the rows
    assert "新清江浦区" in _written_alike(_panel_fields(client, "/enterprises/"))


class KeptForm(forms.Form):
    """A select over ``ChoicePairs`` (kept), its label given per form."""

    colour = forms.ChoiceField(choices=ChoicePairs([("", "All"), ("r", "Red & <blue>")]), required=False)


@pytest.mark.parametrize("safe_first", [False, True])
def test_a_label_is_escaped_as_its_own_kind_of_text(kept, safe_first):
    plain, safe = KeptForm({"colour": "r"}), KeptForm({"colour": "r"})
    plain.fields["colour"].label = "<b>colour</b> & co"
    safe.fields["colour"].label = mark_safe("<b>colour</b> & co")  # noqa: S308 (the test's own text)
    first, then = (safe, plain) if safe_first else (plain, safe)
    written = [_written_alike(_fields(form)) for form in (first, then)]
    assert len(form_tags._PANEL_FIELDS) == 4  # each label, each language
    assert ("<b>colour</b>" in written[0]) is safe_first and ("<b>colour</b>" in written[1]) is not safe_first
    assert "Red &amp; &lt;blue&gt;</option>" in written[0]


def test_a_kept_field_shows_its_own_errors(kept):
    valid, refused = KeptForm({"colour": "r"}), KeptForm({"colour": "r"})
    valid.is_valid(), refused.is_valid()
    refused.add_error("colour", "Not this colour")  # the same value and attributes: only the errors differ
    written = [_written_alike([form["colour"]]) for form in (valid, refused)]
    assert "Not this colour" not in written[0] and "Not this colour" in written[1]

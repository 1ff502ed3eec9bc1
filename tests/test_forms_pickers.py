"""The type-ahead pickers (issue 17): the one widget (crm/forms/widgets.py), its use in the forms, and the scoped
options endpoint /pickers/<kind>/ (crm/views/pickers.py, crm/selectors/pickers.py)."""

from unittest import mock

import pytest
from django import forms
from django.db.models.sql.compiler import SQLCompiler
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.urls import reverse

from crm import reference
from crm.forms import base, renderers
from crm.forms.base import UserChoiceField, UserMultipleChoiceField, limited_choices, visible_enterprise_choices
from crm.forms.engagement import NeedForm, VisitForm
from crm.forms.enterprises import ProjectForm
from crm.forms.programmes import CultivationForm
from crm.forms.renderers import SiteFormRenderer
from crm.forms.routine import VisitPlanForm
from crm.forms.widgets import Picker, PickerMultiple, use_picker
from crm.models import Enterprise, User
from crm.prepared import Statements
from tests.factories import EnterpriseFactory, PolicyFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def picker_url(kind, **params):
    return reverse("crm:picker", args=[kind]), params


# ------------------------------------------------------------------------------------------ the widget


def test_picker_renders_a_plain_select_with_the_endpoint_and_a_chinese_placeholder():
    widget = Picker(choices=[("", "---------"), (1, "甲公司")], kind="enterprise")
    html = widget.render("enterprise", None)
    assert html.startswith("<select")
    assert 'data-picker="enterprise"' in html
    assert f'data-picker-url="{reverse("crm:picker", args=["enterprise"])}"' in html
    assert 'data-placeholder="请选择企业"' in html
    assert '<option value="" selected>请选择企业</option>' in html
    assert "---------" not in html
    assert '<option value="1">甲公司</option>' in html  # works without JavaScript


def test_local_picker_has_no_endpoint_and_multiple_has_no_list_box_size():
    widget = PickerMultiple(choices=[(1, "张三"), (2, "李四")], kind="staff", remote=False, attrs={"size": 5})
    html = widget.render("officers", [2])
    assert "multiple" in html and 'data-picker="staff"' in html
    assert "data-picker-url" not in html
    assert "size=" not in html
    assert '<option value="2" selected>李四</option>' in html


@pytest.mark.parametrize("widget_class", [Picker, PickerMultiple])
def test_picker_writes_the_options_as_django_select_template_does(widget_class):
    """The site's form renderer writes a picker's options in Python (crm/forms/renderers.py): byte for byte what
    Django's select.html writes, groups, escaping, the chosen value and the attributes included."""
    choices = [
        ("", "---------"),
        ("我挂钩的企业", [(1, "甲 & 乙"), (2, '<b>"丙"</b>')]),
        ("其他企业", [(3, "丁")]),
        (4, "戊"),
    ]
    widget = widget_class(choices=choices, kind="enterprise", attrs={"class": "form-select", "required": True})
    value = [2, 4] if widget.allow_multiple_selected else 2
    fast = widget.render("enterprise", value, attrs={"id": "id_enterprise"})
    assert isinstance(get_default_renderer(), SiteFormRenderer)
    assert fast == widget.render("enterprise", value, attrs={"id": "id_enterprise"}, renderer=DjangoTemplates())
    assert "&lt;b&gt;&quot;丙&quot;&lt;/b&gt;" in fast and 'label="我挂钩的企业"' in fast


@pytest.mark.parametrize("widget_class", [Picker, PickerMultiple])
def test_only_an_empty_choice_without_a_label_of_its_own_reads_as_the_placeholder(widget_class):
    """The placeholder replaces the label of an empty value's option when that label is empty, None or Django's
    dashes, in a group too; a label of its own (a filter's 全部) and a non-empty value keep theirs."""
    choices = [
        ("", None),
        ("", "全部"),
        ("组", [("", "---------"), ("", ""), (0, "---------")]),
        ("x", ""),
    ]
    html = widget_class(choices=choices, kind="staff").render("who", None)
    assert html.count(">请选择人员</option>") == 3
    assert '<option value="">全部</option>' in html
    assert '<option value="0">---------</option>' in html and '<option value="x"></option>' in html


def test_picker_refuses_an_unknown_kind():
    with pytest.raises(ValueError):
        Picker(kind="bureaus")


def test_use_picker_keeps_choices_and_replaces_the_empty_label(officer):
    field = forms.ModelChoiceField(queryset=User.objects.all())
    use_picker(field, kind="staff", remote=False)
    assert isinstance(field.widget, Picker)
    html = field.widget.render("who", None)
    assert "请选择人员" in html and "officer" in html and "---------" not in html


def test_staff_fields_use_the_picker_by_default(officer):
    assert isinstance(UserChoiceField(queryset=User.objects.all()).widget, Picker)
    many = UserMultipleChoiceField(queryset=User.objects.all())
    assert isinstance(many.widget, PickerMultiple)
    # A form that asks for another widget keeps it.
    assert isinstance(UserChoiceField(queryset=User.objects.all(), widget=forms.HiddenInput).widget, forms.HiddenInput)


# ------------------------------------------------------------------------------------------ the forms


def test_visit_form_uses_the_pickers_with_own_enterprises_first(officer, enterprise, regions, city_bureau):
    other = EnterpriseFactory(name="阿尔法其他企业", region=regions["320812"], bureau=city_bureau)
    enterprise.liaison_officers.add(officer)
    form = VisitForm(user=officer)
    html = form.as_p()
    assert isinstance(form.fields["enterprise"].widget, Picker)
    assert isinstance(form.fields["lead"].widget, Picker)
    assert isinstance(form.fields["officers"].widget, PickerMultiple)
    assert 'data-picker="enterprise"' in html and 'data-picker="staff"' in html
    assert "---------" not in html
    mine = html.index('<optgroup label="我挂钩的企业">')
    others = html.index('<optgroup label="其他企业">')
    assert mine < html.index(enterprise.name) < others < html.index(other.name)


def test_limited_choices_without_own_enterprises_is_flat(officer, enterprise):
    field = forms.ModelChoiceField(queryset=Enterprise.objects.visible_to(officer))
    choices = limited_choices(field, None, officer)
    assert str(choices[0][1]) == "请选择企业"
    assert (enterprise.pk, enterprise.name) in choices


def test_visible_enterprise_choices_are_limited_choices_of_the_visible_enterprises(
    officer, manager, county_officer, enterprise, county_enterprise, regions
):
    enterprise.liaison_officers.add(officer)
    county_enterprise.liaison_officers.add(county_officer)
    nobody = UserFactory(username="no_bureau")  # sees nothing: read by the ORM
    for user in (officer, manager, county_officer, nobody):
        field = forms.ModelChoiceField(queryset=Enterprise.objects.visible_to(user).only("id", "name"))
        for current in (None, "", "abc", str(enterprise.pk), str(county_enterprise.pk), "99999999"):
            assert visible_enterprise_choices(user, current) == limited_choices(field, current, user), (user, current)


def test_visible_enterprise_choices_compile_their_statements_once_per_scope(
    monkeypatch, officer, manager, county_officer, enterprise
):
    """The visits list's enterprise filter: its statements compiled for the first user of a scope only (fails when
    every list compiles them)."""
    monkeypatch.setattr(base, "_ENTERPRISE_CHOICE_STATEMENTS", Statements())

    def compiled(user, current):
        with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as as_sql:
            visible_enterprise_choices(user, current)
        return as_sql.call_count

    assert compiled(officer, str(enterprise.pk)) > 0
    assert compiled(manager, str(enterprise.pk)) == 0  # the city's scope, another user
    assert compiled(manager, None) == 0
    assert compiled(county_officer, str(enterprise.pk)) > 0  # a county's scope: statements of its own
    assert compiled(county_officer, None) == 0
    assert compiled(county_officer, str(enterprise.pk)) == 0


@pytest.mark.parametrize("form_class", [CultivationForm, NeedForm, VisitForm, ProjectForm, VisitPlanForm])
def test_every_enterprise_picker_reads_the_statements_compiled_once(
    monkeypatch, officer, manager, enterprise, form_class
):
    """A form's enterprise picker (``enterprise_picker``): the enterprises the user may see, validated, and the choices
    of ``limited_choices`` from the statements compiled once per scope (fails when a form compiles its own)."""
    store = Statements()
    monkeypatch.setattr(base, "_ENTERPRISE_CHOICE_STATEMENTS", store)
    enterprise.liaison_officers.add(officer)
    for user in (officer, manager):
        visible = forms.ModelChoiceField(queryset=Enterprise.objects.visible_to(user).only("id", "name"))
        for current in (None, str(enterprise.pk)):
            form = form_class(user=user, initial={"enterprise": current})
            field = form.fields["enterprise"]
            assert list(field.widget.choices) == limited_choices(visible, current, user)
            assert list(field.queryset) == list(visible.queryset)
    assert list(store) == [(True, None)]  # the city's scope: the forms' statements, kept


def test_need_and_plan_forms_use_the_pickers(officer, enterprise):
    need_form = NeedForm(user=officer)
    assert need_form.fields["enterprise"].widget.kind == "enterprise"
    assert need_form.fields["project"].widget.kind == "project"
    plan_form = VisitPlanForm(user=officer)
    assert plan_form.fields["enterprise"].widget.kind == "enterprise"
    assert isinstance(plan_form.fields["officers"].widget, PickerMultiple)
    assert "---------" not in need_form.as_p() + plan_form.as_p()


@pytest.fixture
def two_enterprises_projects(enterprise, regions, city_bureau):
    other = EnterpriseFactory(name="淮安澄源新材料有限公司", region=regions["320812"], bureau=city_bureau)
    return {
        "own": ProjectFactory(name="本企业项目", enterprise=enterprise, region=regions["320812"]),
        "other": ProjectFactory(name="他企业项目", enterprise=other, region=regions["320812"]),
        "loose": ProjectFactory(name="无企业项目", enterprise=None, region=regions["320812"]),
    }


def project_options(form) -> list[str]:
    return [str(label) for value, label in form.fields["project"].widget.choices if value != ""]


def test_need_form_project_picker_offers_the_chosen_enterprises_projects(officer, enterprise, two_enterprises_projects):
    projects = two_enterprises_projects
    # No enterprise yet: any project in scope (a need may name a project alone).
    assert set(project_options(NeedForm(user=officer))) == {"本企业项目", "他企业项目", "无企业项目"}
    # An enterprise chosen (a link, or the form posted back): its projects only, narrowed again by pickers.js.
    form = NeedForm(user=officer, initial={"enterprise": enterprise.pk})
    assert project_options(form) == ["本企业项目"]
    assert 'data-picker-narrow="enterprise"' in str(form["project"])
    # A refused pair shows the picked project beside its error; validation accepts any project in scope, so that
    # need_create answers with its own message.
    data = {"enterprise": enterprise.pk, "project": projects["other"].pk, "source": "phone"}
    data |= {"category": "funding", "urgency": "normal", "title": "x"}
    form = NeedForm(data, user=officer)
    assert form.is_valid() and project_options(form) == ["他企业项目", "本企业项目"]


def test_visit_form_project_picker_is_narrowed_by_the_enterprise(officer, enterprise, two_enterprises_projects):
    assert project_options(VisitForm(user=officer)) == []
    form = VisitForm(user=officer, initial={"enterprise": enterprise.pk})
    assert project_options(form) == ["本企业项目"]
    assert isinstance(form.fields["project"].widget, Picker)
    html = str(form["project"])
    assert 'data-picker="project"' in html and 'data-picker-narrow="enterprise"' in html
    assert "data-projects-url" not in html  # one narrowing, crm/static/crm/pickers.js (visit_form.js is gone)


def test_visit_form_page_loads_tom_select_without_inline_script(client, officer, enterprise):
    client.force_login(officer)
    html = client.get(reverse("crm:visit-create")).content.decode()
    assert "vendor/tom-select/js/tom-select.complete.min.js" in html
    assert "crm/pickers.js" in html
    assert 'data-picker="enterprise"' in html


# ------------------------------------------------------------------------------------------ the endpoint


def test_endpoint_puts_own_enterprises_first_under_their_heading(client, officer, enterprise, regions, city_bureau):
    EnterpriseFactory(name="阿尔法淮安企业", region=regions["320812"], bureau=city_bureau)
    enterprise.liaison_officers.add(officer)
    client.force_login(officer)
    body = client.get(reverse("crm:picker", args=["enterprise"])).json()
    assert body["groups"] == [{"value": "mine", "label": "我挂钩的企业"}, {"value": "others", "label": "其他企业"}]
    rows = body["results"]
    assert rows[0] == {"value": enterprise.pk, "text": enterprise.name, "group": "mine"}
    assert [r["group"] for r in rows[1:]] == ["others"] * (len(rows) - 1)
    assert enterprise.pk not in [r["value"] for r in rows[1:]]  # not twice


def test_endpoint_searches_by_name_and_credit_code_with_spaces(client, officer, enterprise):
    client.force_login(officer)
    url = reverse("crm:picker", args=["enterprise"])
    assert [r["value"] for r in client.get(url, {"q": "清源"}).json()["results"]] == [enterprise.pk]
    spaced = " ".join(enterprise.credit_code[i : i + 6] for i in range(0, 18, 6))
    assert [r["value"] for r in client.get(url, {"q": spaced}).json()["results"]] == [enterprise.pk]
    assert client.get(url, {"q": "没有这家"}).json()["results"] == []


def test_county_officer_cannot_get_city_enterprises(client, county_officer, enterprise, county_enterprise):
    client.force_login(county_officer)
    url = reverse("crm:picker", args=["enterprise"])
    values = [r["value"] for r in client.get(url).json()["results"]]
    assert values == [county_enterprise.pk]
    assert client.get(url, {"q": enterprise.name}).json()["results"] == []
    assert client.get(url, {"id": enterprise.pk}).status_code == 404
    assert client.get(url, {"id": county_enterprise.pk}).json()["results"][0]["value"] == county_enterprise.pk


def test_endpoint_scopes_projects_staff_and_policies(
    client, county_officer, officer, enterprise, county_enterprise, regions
):
    city_project = ProjectFactory(name="城区项目", enterprise=enterprise, region=regions["320812"])
    county_project = ProjectFactory(name="金湖项目", enterprise=county_enterprise, region=regions["320831"])
    PolicyFactory(title="苏科贷贴息")
    client.force_login(county_officer)
    projects = client.get(reverse("crm:picker", args=["project"])).json()["results"]
    assert [p["value"] for p in projects] == [county_project.pk]
    assert client.get(reverse("crm:picker", args=["project"]), {"id": city_project.pk}).status_code == 404
    staff = client.get(reverse("crm:picker", args=["staff"])).json()["results"]
    assert [s["value"] for s in staff] == [county_officer.pk]  # not the city officer
    assert client.get(reverse("crm:picker", args=["staff"]), {"id": officer.pk}).status_code == 404
    policies = client.get(reverse("crm:picker", args=["policy"]), {"q": "苏科贷"}).json()["results"]
    assert [p["text"] for p in policies] == ["苏科贷贴息"]


def test_endpoint_narrows_projects_to_an_enterprise(client, officer, enterprise, regions, city_bureau):
    other = EnterpriseFactory(region=regions["320812"], bureau=city_bureau)
    mine = ProjectFactory(name="甲项目", enterprise=enterprise, region=regions["320812"])
    ProjectFactory(name="乙项目", enterprise=other, region=regions["320812"])
    client.force_login(officer)
    url = reverse("crm:picker", args=["project"])
    assert [p["value"] for p in client.get(url, {"enterprise": enterprise.pk}).json()["results"]] == [mine.pk]
    assert client.get(url, {"enterprise": "x"}).json()["results"] == []


@pytest.mark.parametrize("params", [{"id": "abc"}, {"id": "99999999999999999999999"}, {"q": "\x00" * 5}])
def test_endpoint_bad_input_is_never_a_500(client, officer, params):
    client.force_login(officer)
    response = client.get(reverse("crm:picker", args=["enterprise"]), params)
    assert response.status_code in (200, 404)


def test_endpoint_unknown_kind_and_anonymous(client, officer):
    assert client.get(reverse("crm:picker", args=["enterprise"])).status_code == 302  # to the login page
    client.force_login(officer)
    assert client.get(reverse("crm:picker", args=["bureau"])).status_code == 404


def test_endpoint_query_count_does_not_grow_with_enterprises(
    client, officer, regions, city_bureau, django_assert_max_num_queries
):
    for _ in range(30):
        EnterpriseFactory(region=regions["320812"], bureau=city_bureau).liaison_officers.add(officer)
    client.force_login(officer)
    with django_assert_max_num_queries(8):
        rows = client.get(reverse("crm:picker", args=["enterprise"])).json()["results"]
    assert len(rows) == 20 and {r["group"] for r in rows} == {"mine"}


def test_staff_options_are_the_staff_labels_read_as_values(officer, city_bureau, django_assert_num_queries):
    """The staff picker's options come from ``User.staff_labels`` (one query, no User instances): the same text
    as ``User.staff_label`` of each person, a name from first/last name or the login, no bureau without one."""
    UserFactory(username="wang", name="", first_name="五", last_name="王", bureau=city_bureau)
    UserFactory(username="login-only", name="", bureau=city_bureau)
    UserFactory(username="nobody", name="", bureau=None)
    people = User.objects.order_by("username")
    field = UserChoiceField(queryset=people)
    with django_assert_num_queries(1):
        options = [option for option in field.choices]  # noqa: C416 (list() would ask len(): a COUNT)
    expected = [(person.pk, person.staff_label) for person in people.select_related("bureau")]
    assert [(int(str(value)), label) for value, label in options[1:]] == expected
    labels = dict(expected)
    assert labels[User.objects.get(username="wang").pk] == f"五 王（{city_bureau.name}）"
    assert labels[User.objects.get(username="login-only").pk] == f"login-only（{city_bureau.name}）"
    assert labels[User.objects.get(username="nobody").pk] == "nobody"


def test_the_staff_filter_writes_its_people_once_per_process(manager, officer, city_bureau, english):
    """A list's staff filter (the needs' handler, the visits' officer) writes its ~200 people's options once per
    process and scope: a later request only marks the picked one, with the same HTML."""
    UserFactory.create_batch(30, bureau=city_bureau)

    def render(value):
        with reference.request_scope():
            return base.staff_filter_picker(manager).render("handler", value, renderer=SiteFormRenderer())

    first = render("")
    with mock.patch.object(renderers, "_shown", side_effect=renderers._shown) as shown:
        assert render("") == first
        picked = render(str(officer.pk))
    assert shown.call_count < 30  # the select's name, attributes and empty choice, not a name per person
    assert f'<option value="{officer.pk}" selected>' in picked and f'<option value="{officer.pk}">' in first
    assert picked.replace(" selected>", ">") == first.replace(" selected>", ">")


def test_a_staff_field_with_its_own_label_keeps_it(officer):
    field = UserChoiceField(queryset=User.objects.filter(pk=officer.pk))
    field.label_from_instance = lambda user: f"<{user.username}>"
    assert [label for _value, label in field.choices][1:] == [f"<{officer.username}>"]

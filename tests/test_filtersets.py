"""The FilterSets shared by the web list pages and the API (crm/filtersets.py)."""

import copy
import datetime as dt
from urllib.parse import urlencode

import django_filters
import pytest
from django import forms
from django.db import connection
from django.db.models import Q
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import timezone
from django.utils.translation import gettext_lazy, override

from crm.choices import ActionStatus, NeedCategory, NeedStatus
from crm.filtersets import (
    FILTERSETS,
    ActionItemFilterSet,
    DepartmentFilterSet,
    EnterpriseFilterSet,
    NeedFilterSet,
    OfferingFilterSet,
    PolicyFilterSet,
    ProjectFilterSet,
    VisitFilterSet,
    filters_named,
    filterset_with,
)
from crm.models import (
    ActionItem,
    Bureau,
    Contact,
    Department,
    Enterprise,
    EnterpriseQualification,
    Need,
    Offering,
    Policy,
    Project,
    Region,
    Visit,
)
from crm.querysets import enterprise_search_q
from crm.services.enterprises import enterprise_update
from tests.factories import credit_code

pytestmark = pytest.mark.django_db


def request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def run(filterset_class, params, user, queryset=None):
    model = filterset_class._meta.model
    queryset = queryset if queryset is not None else model.objects.visible_to(user)
    # A QueryDict, as in a request: multiple-value filters read lists from it.
    data = QueryDict(urlencode(params, doseq=True))
    filterset = filterset_class(data, queryset=queryset, request=request_for(user))
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs)


def test_every_model_has_a_filterset_with_q_and_ordering():
    for name, filterset_class in FILTERSETS.items():
        assert {"q", "ordering"} <= set(filterset_class.base_filters), name


def test_enterprise_search_by_one_or_two_chinese_characters(manager, enterprise, county_enterprise):
    assert run(EnterpriseFilterSet, {"q": "清"}, manager) == [enterprise]
    assert run(EnterpriseFilterSet, {"q": "金湖"}, manager) == [county_enterprise]


def test_enterprise_search_by_credit_code_and_contact_name(manager, enterprise, county_enterprise):
    Contact.objects.create(enterprise=county_enterprise, name="王小明")
    assert run(EnterpriseFilterSet, {"q": enterprise.credit_code[-6:].lower()}, manager) == [enterprise]
    assert run(EnterpriseFilterSet, {"q": "小明"}, manager) == [county_enterprise]


def test_enterprise_filters_by_field_names(manager, officer, enterprise, county_enterprise, qualifications):
    enterprise.liaison_officers.add(officer)
    EnterpriseQualification.objects.create(
        enterprise=county_enterprise, qualification=qualifications["hnte"], expires_on=dt.date(2000, 1, 1)
    )
    assert run(EnterpriseFilterSet, {"region": "320831"}, manager) == [county_enterprise]
    assert run(EnterpriseFilterSet, {"industry_chain": "green-food"}, manager) == [enterprise]
    assert run(EnterpriseFilterSet, {"liaison_officers": officer.pk}, manager) == [enterprise]
    assert run(EnterpriseFilterSet, {"qualifications": "hnte"}, manager) == [county_enterprise]
    # An expired certificate does not count when only valid qualifications are asked for.
    assert run(EnterpriseFilterSet, {"qualifications": "hnte", "qualification_valid": "true"}, manager) == []
    county_enterprise.is_linked = False
    county_enterprise.save()
    assert run(EnterpriseFilterSet, {"is_linked": "true"}, manager) == [enterprise]
    assert run(EnterpriseFilterSet, {"is_linked": "false"}, manager) == [county_enterprise]


def test_enterprise_ordering_is_stable_and_reversible(manager, regions, city_bureau):
    Enterprise.objects.bulk_create(
        [
            Enterprise(name="同名企业", credit_code=credit_code(100 + i), region=regions["320812"], employees=10)
            for i in range(3)
        ]
    )
    ids = [e.pk for e in run(EnterpriseFilterSet, {"ordering": "employees"}, manager)]
    assert ids == sorted(ids)
    ids_desc = [e.pk for e in run(EnterpriseFilterSet, {"ordering": "-employees"}, manager)]
    assert ids_desc == sorted(ids, reverse=True)


def test_invalid_values_make_the_filterset_invalid(manager):
    for params in (
        {"region": "999999"},
        {"status": "unknown"},
        {"established_on_after": "2026-02-30"},
        {"liaison_officers": "abc"},
        {"liaison_officers": str(2**70)},
        {"q": "a\x00b"},
        {"ordering": "password"},
    ):
        filterset = EnterpriseFilterSet(params, queryset=Enterprise.objects.all(), request=request_for(manager))
        assert not filterset.is_valid(), params


def test_date_range_names(manager, regions):
    Project.objects.create(name="早", region=regions["320812"])
    today = timezone.localdate().isoformat()
    assert len(run(ProjectFilterSet, {"created_at_after": today, "created_at_before": today}, manager)) == 1
    assert run(ProjectFilterSet, {"created_at_before": "2000-01-01"}, manager) == []


def test_visit_officer_means_lead_or_member(manager, officer, enterprise):
    led = Visit.objects.create(enterprise=enterprise, visited_on="2026-01-05", q_needs="x", lead=officer)
    member = Visit.objects.create(enterprise=enterprise, visited_on="2026-01-06", q_needs="y")
    member.officers.add(officer, manager)
    Visit.objects.create(enterprise=enterprise, visited_on="2026-01-07", q_needs="z", lead=manager)
    found = run(VisitFilterSet, {"officer": officer.pk}, manager)
    assert sorted(v.pk for v in found) == sorted([led.pk, member.pk])
    assert run(VisitFilterSet, {"visited_on_after": "2026-01-06", "visited_on_before": "2026-01-06"}, manager) == [
        member
    ]


def test_visit_officer_reads_the_visits_led_and_joined_by_their_indexes(manager, officer, enterprise):
    both = Visit.objects.create(enterprise=enterprise, visited_on="2026-01-05", q_needs="x", lead=officer)
    both.officers.add(officer)  # led and joined: found once
    Visit.objects.create(enterprise=enterprise, visited_on="2026-01-07", q_needs="z", lead=manager)
    assert run(VisitFilterSet, {"officer": officer.pk}, manager) == [both]
    if connection.vendor != "sqlite":
        return
    # ``lead OR EXISTS(member)`` tested every visit in scope (a full scan of 300,000 visits for each count).
    data = QueryDict(urlencode({"officer": officer.pk}))
    qs = VisitFilterSet(data, queryset=Visit.objects.all(), request=request_for(manager)).qs
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        plan = " ".join(str(row[-1]) for row in cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
    assert "SCAN crm_visit" not in plan.replace("SCAN crm_visit_", ""), plan


def test_need_overdue_handler_and_department(manager, officer, enterprise, city_bureau, city_department):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    late = Need.objects.create(
        enterprise=enterprise,
        category="rd",
        title="逾期",
        bureau=city_bureau,
        status=NeedStatus.ASSIGNED,
        due_on=yesterday,
        handler=officer,
        lead_department=city_department,
    )
    Need.objects.create(
        enterprise=enterprise, category="rd", title="已办结", bureau=city_bureau, status="closed", due_on=yesterday
    )
    Need.objects.create(enterprise=enterprise, category="talent", title="未到期", bureau=city_bureau)
    assert run(NeedFilterSet, {"overdue": "true"}, manager) == [late]
    assert late not in run(NeedFilterSet, {"overdue": "false"}, manager)
    assert run(NeedFilterSet, {"handler": officer.pk}, manager) == [late]
    assert run(NeedFilterSet, {"lead_department": city_department.pk}, manager) == [late]
    assert run(NeedFilterSet, {"status": "assigned"}, manager) == [late]
    assert len(run(NeedFilterSet, {"open": "true"}, manager)) == 2
    assert run(NeedFilterSet, {"region": "320812", "category": "talent"}, manager)[0].title == "未到期"


def test_department_choices_are_scoped_for_county_users(county_officer, city_department, county_department):
    third = Bureau.objects.create(
        name="盱眙县科技局", level="county", region=Region.objects.create(code="320830", name="盱眙县")
    )
    foreign = Department.objects.create(bureau=third, name="外县科室")
    filterset = NeedFilterSet({}, queryset=Need.objects.all(), request=request_for(county_officer))
    choices = set(filterset.form.fields["lead_department"].queryset)
    assert county_department in choices and city_department in choices
    assert foreign not in choices
    assert not DepartmentFilterSet(
        {"bureau": third.pk}, queryset=Department.objects.all(), request=request_for(county_officer)
    ).is_valid()


def test_policy_need_category_and_open_window(manager):
    today = timezone.localdate()
    open_policy = Policy.objects.create(
        title="研发奖补", issuer="市科技局", level="city", kind="funding", need_categories=["rd", "funding"]
    )
    closed = Policy.objects.create(
        title="过期政策",
        issuer="省科技厅",
        level="provincial",
        kind="funding",
        need_categories=["finance"],
        apply_until=today - dt.timedelta(days=1),
    )
    assert run(PolicyFilterSet, {"need_category": "rd"}, manager) == [open_policy]
    assert run(PolicyFilterSet, {"need_category": "finance"}, manager) == [closed]
    assert run(PolicyFilterSet, {"need_category": "ip"}, manager) == []
    assert run(PolicyFilterSet, {"open": "true"}, manager) == [open_policy]
    assert run(PolicyFilterSet, {"open": "false"}, manager) == [closed]
    assert run(PolicyFilterSet, {"q": "研发"}, manager) == [open_policy]


def test_offering_need_category(manager, city_department):
    funding = Offering.objects.create(
        department=city_department, name="科技计划", kind="funding_programme", need_categories=["funding"]
    )
    Offering.objects.create(department=city_department, name="专家团", kind="expert_team", need_categories=["rd"])
    assert run(OfferingFilterSet, {"need_category": "funding"}, manager) == [funding]


def test_action_item_overdue_and_owner(manager, officer, enterprise, city_bureau):
    need = Need.objects.create(enterprise=enterprise, category="rd", title="n", bureau=city_bureau)
    late = ActionItem.objects.create(title="迟", need=need, owner=officer, due_on=dt.date(2000, 1, 1))
    ActionItem.objects.create(title="完成", need=need, owner=officer, due_on=dt.date(2000, 1, 1), status="done")
    ActionItem.objects.create(title="未来", need=need, owner=manager, due_on=dt.date(2999, 1, 1))
    assert run(ActionItemFilterSet, {"overdue": "true"}, manager) == [late]
    assert len(run(ActionItemFilterSet, {"owner": officer.pk}, manager)) == 2
    assert run(ActionItemFilterSet, {"status": ActionStatus.DONE}, manager)[0].title == "完成"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite cannot match a partial index to bound params")
def test_open_and_overdue_action_items_walk_the_partial_index_on_postgresql(manager, officer, enterprise, city_bureau):
    need = Need.objects.create(enterprise=enterprise, category="rd", title="n", bureau=city_bureau)
    for i, status in enumerate(["planned", "in_progress", "done", "cancelled"] * 3):
        ActionItem.objects.create(
            title=f"行动{i}", need=need, owner=officer, due_on=dt.date(2000, 1, 1 + i), status=status
        )
    late = [item for item in ActionItem.objects.order_by("due_on", "id") if item.status in ("planned", "in_progress")]
    assert run(ActionItemFilterSet, {"overdue": "true"}, manager) == late
    rows = ActionItemFilterSet(QueryDict("overdue=true"), queryset=ActionItem.objects.visible_to(manager)).qs
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small would be read whole
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        sql, params = rows.values_list("pk", flat=True)[:20].query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "crm_action_open_due_idx" in plan and "Sort" not in plan, plan  # the page in order off the index


def test_forms_render_without_loading_big_tables(manager, enterprise, django_assert_max_num_queries):
    """Rendering the filter form must not list enterprises or users (number boxes), only small reference tables."""
    for filterset_class in FILTERSETS.values():
        filterset = filterset_class(
            {}, queryset=filterset_class._meta.model.objects.none(), request=request_for(manager)
        )
        with django_assert_max_num_queries(8):
            html = filterset.form.as_p()
        assert enterprise.name not in html


def test_enterprise_q_finds_what_the_text_search_finds(manager, enterprise, county_enterprise):
    """The list's ``q`` narrows through the global search's index first (DESIGN §9.2) and then finds exactly what
    ``enterprise_search_q`` finds: name, credit code (typed in groups too), legal representative, contact name."""
    Contact.objects.create(enterprise=county_enterprise, name="王小明")
    code = enterprise.credit_code
    grouped = f"{code[:4]} {code[4:10]} {code[10:]}"
    texts = ["清", "金湖", "小明", "王小明", code[-6:].lower(), code[:2], "9", code, enterprise.name[1:4], "无此企业"]
    for text in texts:
        expected = list(Enterprise.objects.filter(enterprise_search_q(text, contact_model=Contact)).order_by("pk"))
        found = sorted(run(EnterpriseFilterSet, {"q": text}, manager), key=lambda e: e.pk)
        assert found == expected, text
    assert run(EnterpriseFilterSet, {"q": grouped}, manager) == [enterprise]


def test_visits_by_region_are_the_visits_of_the_regions_enterprises_in_every_order_and_page(
    manager, county_officer, enterprise, county_enterprise
):
    # Two enterprises of each region, visits interleaved by date (and several on one day: ties break by id).
    other = Enterprise.objects.create(
        name="清江浦另一家", credit_code=credit_code(71, "320812"), region=enterprise.region
    )
    county_other = Enterprise.objects.create(
        name="金湖另一家", credit_code=credit_code(72, "320831"), region=county_enterprise.region
    )
    owners = [enterprise, county_enterprise, other, county_other, county_enterprise]
    for i in range(40):
        Visit.objects.create(enterprise=owners[i % 5], visited_on=dt.date(2026, 1, 1 + i % 9), q_needs=f"问{i}")
    for code in ("320812", "320831"):
        expected = Visit.objects.filter(enterprise__region=code)
        for ordering in ("", "-visited_on", "visited_on", "code", "-enterprise__name"):
            params = {"region": code, **({"ordering": ordering} if ordering else {})}
            filterset = VisitFilterSet(QueryDict(urlencode(params)), queryset=Visit.objects.visible_to(manager))
            assert filterset.is_valid(), filterset.errors
            rows = filterset.qs
            wanted = expected.order_by(*rows.query.order_by) if ordering else expected
            assert rows.count() == wanted.count() == (16 if code == "320812" else 24)
            assert rows.order_by()[:10].count() == 10  # a capped count
            for bottom, top in ((0, 5), (5, 10), (20, 30), (0, 100)):
                assert list(rows[bottom:top]) == list(wanted[bottom:top]), (code, ordering, bottom)
    # Within a county user's scope: its own region only; another region gives nothing.
    assert run(VisitFilterSet, {"region": "320831"}, county_officer) == list(
        Visit.objects.filter(enterprise__region="320831")
    )
    assert run(VisitFilterSet, {"region": "320812"}, county_officer) == []


def test_visits_by_region_follow_an_enterprise_moved_to_another_region(manager, enterprise, county_enterprise):
    """The filter reads the region stored on each visit: an enterprise that moves takes its visits along."""
    for i in range(3):
        Visit.objects.create(
            enterprise=(enterprise, county_enterprise)[i % 2], visited_on=dt.date(2026, 1, 1 + i), q_needs="问"
        )
    enterprise_update(user=manager, enterprise=enterprise, data={"region": county_enterprise.region})
    for code in ("320812", "320831"):
        assert run(VisitFilterSet, {"region": code}, manager) == list(Visit.objects.filter(enterprise__region=code))
    assert len(run(VisitFilterSet, {"region": "320831"}, manager)) == 3


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL plans by cost: a few rows may be read as a table")
def test_visits_by_region_are_read_from_the_region_index_on_sqlite(regions):
    """The count and the first pages (newest or oldest first) read the region's entries of crm_visit_region_idx
    alone: no probe of the visits of each enterprise of the region, no sort."""
    rows = VisitFilterSet(QueryDict("region=320831"), queryset=Visit.objects.all()).qs
    for query in (
        rows.order_by().values("pk"),
        rows.values("pk")[:20],
        rows.order_by("visited_on", "pk").values("pk")[40:60],
    ):
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
        assert plan == "SEARCH crm_visit USING COVERING INDEX crm_visit_region_idx (region_id=?)", plan


def test_needs_by_region_are_those_of_the_regions_enterprises_or_projects_in_every_order_and_page(
    manager, county_officer, enterprise, county_enterprise, city_bureau
):
    county_project = Project.objects.create(name="金湖项目", region=county_enterprise.region)
    city_project = Project.objects.create(name="清江浦项目", region=enterprise.region)
    owners = [
        {"enterprise": enterprise},
        {"enterprise": county_enterprise},
        {"project": county_project},  # no enterprise: the project's region counts
        {"project": city_project},
        {"enterprise": enterprise, "project": county_project},  # an enterprise: its region counts, not the project's
    ]
    for i in range(30):
        Need.objects.create(category="rd", title=f"诉求{i}", bureau=city_bureau, **owners[i % 5])
    for code, size in (("320812", 18), ("320831", 12), ("999999", None)):
        definition = Q(enterprise__region=code) | Q(enterprise__isnull=True, project__region=code)
        expected = Need.objects.filter(definition)
        for ordering in ("", "-created_at", "created_at", "code", "due_on"):
            params = {"region": code, **({"ordering": ordering} if ordering else {})}
            filterset = NeedFilterSet(QueryDict(urlencode(params)), queryset=Need.objects.visible_to(manager))
            if size is None:
                assert not filterset.is_valid()  # an unknown region is an invalid choice
                continue
            assert filterset.is_valid(), filterset.errors
            rows = filterset.qs
            wanted = expected.order_by(*rows.query.order_by) if ordering else expected
            assert rows.count() == wanted.count() == size
            for bottom, top in ((0, 5), (5, 10), (10, 30)):
                assert list(rows[bottom:top]) == list(wanted[bottom:top]), (code, ordering, bottom)
            keys = list(rows.values_list("pk", flat=True)[:5])
            assert list(rows.order_by().filter(pk__in=keys).order_by("pk")) == sorted(wanted[:5], key=lambda n: n.pk)
    county = Q(enterprise__region="320831") | Q(enterprise__isnull=True, project__region="320831")
    assert run(NeedFilterSet, {"region": "320831"}, county_officer) == list(
        Need.objects.visible_to(county_officer).filter(county)
    )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the planner hint is SQLite's; PostgreSQL plans by cost")
def test_needs_by_region_count_without_joins_and_walk_the_creation_index_on_sqlite(manager, regions):
    rows = NeedFilterSet(QueryDict("region=320831"), queryset=Need.objects.all()).qs
    assert "JOIN" not in str(rows.query)  # the count: the region's keys, not every need joined to both tables
    assert '+"crm_need"."enterprise_id" IN' in str(rows[:20].query)  # the first page walks crm_need_created_idx
    with connection.cursor() as cursor:
        sql, params = rows.values_list("pk", flat=True)[:20].query.sql_with_params()
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "crm_need_created_idx" in plan and "TEMP B-TREE" not in plan, plan


# --- a FilterSet's filters are its own (copied per FilterSet, not shared); a narrowed FilterSet -----------------


def test_two_filtersets_of_one_class_keep_their_own_filters(manager, county_manager, city_bureau, county_bureau):
    """The copies of the class's filters are per FilterSet: a method filter calls its own FilterSet, and the scoped
    bureau choices of one user's FilterSet are not another's."""
    city = EnterpriseFilterSet(QueryDict("q=x"), request=request_for(manager))
    county = EnterpriseFilterSet(QueryDict("q=y"), request=request_for(county_manager))
    assert city.filters["q"] is not county.filters["q"] is not EnterpriseFilterSet.base_filters["q"]
    assert city.filters["q"].filter.method.__self__ is city
    assert county.filters["q"].filter.method.__self__ is county
    city_bureaus = set(city.form.fields["bureau"].queryset)
    county_bureaus = set(county.form.fields["bureau"].queryset)
    assert county_bureau in city_bureaus
    assert county_bureau in county_bureaus and len(county_bureaus) <= len(city_bureaus)
    assert city.form.fields["bureau"] is not county.form.fields["bureau"]
    assert city.form.fields["bureau"].widget is not county.form.fields["bureau"].widget
    base = EnterpriseFilterSet.base_filters["bureau"]
    assert "_field" not in base.__dict__ and callable(base.extra["queryset"])  # the class's filter is left as it was


def test_filters_named_and_filterset_with(manager):
    names = filters_named(NeedFilterSet, ["status", "due_on_after", "page", "open"])
    assert names == {"status", "due_on", "open"}
    narrowed = filterset_with(NeedFilterSet, {"ordering", *names, "q"})
    assert list(narrowed.base_filters) == ["q", "status", "open", "due_on", "ordering"]  # the class's order
    assert filterset_with(NeedFilterSet, names | {"q", "ordering"}) is narrowed  # made once
    assert issubclass(narrowed, NeedFilterSet)
    filterset = narrowed(QueryDict("status=assigned&handler=5"), request=request_for(manager))
    assert filterset.is_valid()
    assert list(filterset.form.fields) == ["q", "status", "open", "due_on", "ordering"]


def test_a_filtersets_form_class_is_made_once_and_each_form_holds_its_filters_fields(manager):
    """One form class per FilterSet class (without fields of its own); each FilterSet's form holds the fields its own
    filters made, in their order, and validates with them."""
    one = NeedFilterSet(QueryDict("status=assigned"), request=request_for(manager))
    two = NeedFilterSet(QueryDict("status=bogus"), request=request_for(manager))
    assert type(one.form) is type(two.form)
    assert type(one.form).__name__ == "NeedFilterSetForm" and type(one.form).base_fields == {}
    assert list(one.form.fields) == list(NeedFilterSet.base_filters)
    assert all(one.form.fields[name] is filter_.field for name, filter_ in one.filters.items())
    assert one.form.fields["status"] is not two.form.fields["status"]
    assert one.is_valid() and one.form.cleaned_data["status"] == NeedStatus.ASSIGNED
    assert not two.is_valid() and list(two.errors) == ["status"]
    narrowed = filterset_with(NeedFilterSet, {"q", "status"})
    form = narrowed(QueryDict("status=new"), request=request_for(manager)).form
    assert type(form) is not type(one.form) and list(form.fields) == ["q", "status"]


def test_a_choice_filters_options_are_made_once_per_language(manager):
    """全部 first, then the enumeration's labels as text: one list per language for every FilterSet, which the select
    writes as it wrote the lazy labels."""
    with override("en"):
        first = NeedFilterSet(QueryDict("status=new"), request=request_for(manager)).form
        again = NeedFilterSet(QueryDict("open=true"), request=request_for(manager)).form
        english = list(first.fields["status"].widget.choices)
        expected = [("", "All"), *((value, str(label)) for value, label in NeedStatus.choices)]
        html = str(first["status"])
    with override("zh-hans"):
        chinese = NeedFilterSet(None, request=request_for(manager)).form.fields["status"].widget.choices
        assert list(chinese)[:2] == [("", "全部"), ("new", str(NeedStatus.NEW.label))]
    assert again.fields["status"].widget.choices is first.fields["status"].widget.choices is not chinese
    assert english == expected
    assert all(type(label) is str for _value, label in english)
    with override("en"):
        lazy = forms.Select(choices=[("", gettext_lazy("All")), *NeedStatus.choices])
        assert html == lazy.render("status", "new", attrs={"id": "id_status"})
    policy = PolicyFilterSet(None, request=request_for(manager)).form.fields["need_category"]
    assert list(policy.choices) == [("", policy.empty_label), *NeedCategory.choices]


def test_no_qualification_chosen_is_an_empty_filter(manager, monkeypatch):
    """No qualification chosen is an empty list, which django-filter skips as every empty filter: its method is not
    given an empty queryset to walk (a statement compiled to find nothing on every enterprises list)."""
    given = []
    monkeypatch.setattr(EnterpriseFilterSet, "filter_qualifications", lambda self, qs, name, value: given.append(value))
    filterset = EnterpriseFilterSet(QueryDict("is_linked=true"), request=request_for(manager))
    assert filterset.is_valid() and filterset.form.cleaned_data["qualifications"] == []
    assert filterset.qs is not None and given == []
    assert [chip.name for chip in filterset.chips] == ["is_linked"]
    assert not EnterpriseFilterSet(QueryDict("qualifications=x!"), request=request_for(manager)).is_valid()


def test_a_filtersets_filters_are_copied_without_the_copy_protocol(manager, monkeypatch):
    """Each FilterSet's filters are copies of the class's (its own ``extra``, ``model`` and ``parent``), made by writing
    their attributes into new instances, not by ``copy.copy``'s reduce protocol (a dozen calls a filter)."""
    copied, copy_copy = [], copy.copy
    monkeypatch.setattr(copy, "copy", lambda value: copied.append(value) or copy_copy(value))
    filterset = NeedFilterSet(QueryDict("status=new"), request=request_for(manager))
    assert not [value for value in copied if isinstance(value, django_filters.Filter)]
    for name, base in NeedFilterSet.base_filters.items():
        own = filterset.filters[name]
        assert type(own) is type(base) and own is not base and own.extra == base.extra and own.extra is not base.extra
        assert own.parent is filterset and own.model is Need and own.label == base.label

"""Scoping of DESIGN §5 for every role and both bureau levels."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.choices import (
    OPEN_ACTION_STATUSES,
    OPEN_NEED_STATUSES,
    ActionStatus,
    BureauLevel,
    NeedStatus,
    NotificationKind,
)
from crm.filtersets import ActionItemFilterSet, EnterpriseFilterSet, NeedFilterSet, PolicyFilterSet, scoped_departments
from crm.forms.policies import department_queryset
from crm.models import (
    ActionItem,
    Bureau,
    Contact,
    Department,
    Enterprise,
    IndustryChain,
    Need,
    NeedEvent,
    Notification,
    Policy,
    PolicyMatch,
    Project,
    Qualification,
    Region,
    Visit,
)
from crm.querysets import policy_expired_q
from crm.selectors.dashboard import _officers, dashboard_kpis
from crm.selectors.home import my_due_actions
from crm.selectors.matching import enterprise_eligible_policies
from crm.selectors.needs import OVERDUE, SUPERVISION, need_escalation, needs_overdue
from crm.selectors.search import search_enterprises
from crm.services.lists import action_item_department_check, action_items_remind_overdue
from crm.services.policies import policy_department_check, policy_push
from crm.templatetags.crm_tags import overdue as overdue_tag
from tests.factories import (
    DepartmentFactory,
    IndustryChainFactory,
    QualificationFactory,
    RegionFactory,
    make_user,
)
from tests.test_filtersets import request_for, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(enterprise, county_enterprise, regions, city_bureau, county_bureau, manager):
    city_project = Project.objects.create(name="城区项目", region=regions["320812"])
    county_project = Project.objects.create(name="金湖项目", region=regions["320831"])
    objs = {
        "enterprise": (enterprise, county_enterprise),
        "project": (city_project, county_project),
        "contact": (
            Contact.objects.create(enterprise=enterprise, name="张三"),
            Contact.objects.create(enterprise=county_enterprise, name="李四"),
        ),
        "visit": (
            Visit.objects.create(enterprise=enterprise, visited_on="2026-01-05", q_needs="x"),
            Visit.objects.create(enterprise=county_enterprise, visited_on="2026-01-05", q_needs="y"),
        ),
        "need": (
            Need.objects.create(enterprise=enterprise, category="rd", title="市", bureau=city_bureau),
            Need.objects.create(enterprise=county_enterprise, category="rd", title="县", bureau=county_bureau),
        ),
    }
    policy = Policy.objects.create(title="p", issuer="i", level="city", kind="funding")
    objs["policymatch"] = (
        PolicyMatch.objects.create(policy=policy, enterprise=enterprise),
        PolicyMatch.objects.create(policy=policy, enterprise=county_enterprise),
    )
    objs["actionitem"] = (
        ActionItem.objects.create(title="a", need=objs["need"][0], owner=manager, due_on="2026-12-01"),
        ActionItem.objects.create(title="b", project=county_project, owner=manager, due_on="2026-12-01"),
    )
    objs["needevent"] = (
        NeedEvent.objects.create(need=objs["need"][0], kind="note", text="a"),
        NeedEvent.objects.create(need=objs["need"][1], kind="note", text="b"),
    )
    return objs


MODELS = {
    "enterprise": Enterprise,
    "project": Project,
    "contact": Contact,
    "visit": Visit,
    "need": Need,
    "policymatch": PolicyMatch,
    "actionitem": ActionItem,
    "needevent": NeedEvent,
}


@pytest.mark.parametrize("role_fixture", ["officer", "manager", "leader", "admin_user"])
@pytest.mark.parametrize("name", list(MODELS))
def test_city_users_see_the_whole_city(request, world, role_fixture, name):
    user = request.getfixturevalue(role_fixture)
    visible = set(MODELS[name].objects.visible_to(user))
    assert set(world[name]) <= visible


@pytest.mark.parametrize("role_fixture", ["county_officer", "county_manager"])
@pytest.mark.parametrize("name", list(MODELS))
def test_county_users_see_only_their_county(request, world, role_fixture, name):
    user = request.getfixturevalue(role_fixture)
    if name == "actionitem":
        # Owned by the city manager: the county user sees it through the project's region only.
        pass
    visible = set(MODELS[name].objects.visible_to(user))
    city_obj, county_obj = world[name]
    assert county_obj in visible
    assert city_obj not in visible


@pytest.mark.parametrize("name", list(MODELS))
def test_region_subqueries_select_the_same_rows_without_joining(world, county_officer, county_bureau, name):
    """``visible_to(…, region_subqueries=True)`` (the dashboard's aggregates) keeps the scope's rows, a need
    transferred to the county included, and tests the region through ``fk IN (…)``: the needs join no table."""
    city_need = world["need"][0]
    city_need.bureau = county_bureau
    city_need.save()
    objects = MODELS[name].objects
    scoped = objects.visible_to(county_officer, region_subqueries=True)
    assert set(scoped) == set(objects.visible_to(county_officer)) != set()
    if name == "need":
        assert " JOIN " not in str(scoped.query)


def test_needs_transferred_to_a_county_are_visible_there(world, county_officer, county_bureau, officer):
    city_need = world["need"][0]
    assert city_need not in Need.objects.visible_to(county_officer)
    city_need.bureau = county_bureau
    city_need.save()
    assert city_need in Need.objects.visible_to(county_officer)
    assert city_need in Need.objects.visible_to(officer)  # the city still sees it
    assert world["needevent"][0] in NeedEvent.objects.visible_to(county_officer)


def test_users_without_a_bureau_or_anonymous_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    loner = make_user("loner", "officer", None)
    for model in MODELS.values():
        assert not model.objects.visible_to(loner).exists()
        assert not model.objects.visible_to(AnonymousUser()).exists()


def test_policies_are_shared_by_every_bureau(world, county_officer):
    assert Policy.objects.visible_to(county_officer).count() == 1


def test_scoping_is_a_single_query(world, county_officer, django_assert_num_queries):
    county_officer = type(county_officer).objects.select_related("bureau").get(pk=county_officer.pk)
    county_officer.roles  # noqa: B018 - warm the role cache
    with django_assert_num_queries(1):
        list(Need.objects.visible_to(county_officer))


# ---------------------------------------------------------------------------------------------------------
# One rule, one home (DESIGN §11.8): every place that applies a rule selects the same rows
# ---------------------------------------------------------------------------------------------------------


def _ids(rows) -> set[int]:
    return {row.pk for row in rows}


def test_window_open_and_current_agree_everywhere(enterprise, manager):
    """Queryset, model property, list filter ``open``, the suggestions, the policy list order and the push
    check all draw the same line around "open for application" and "current"."""
    import datetime as dt

    today = timezone.localdate()
    days = {None: None, "past": today - dt.timedelta(days=3), "today": today, "future": today + dt.timedelta(3)}
    n = 0
    for active in (True, False):
        for opens in ("past", "today", "future", None):
            for closes in ("past", "today", "future", None):
                start, end = days[opens], days[closes]
                if start and end and end < start:
                    continue
                n += 1
                Policy.objects.create(
                    title=f"政策{n}", issuer="局", level="city", kind="funding", is_active=active,
                    apply_from=start, apply_until=end,
                )  # fmt: skip
    policies = list(Policy.objects.all())
    window_open = _ids(Policy.objects.window_open())
    current = _ids(Policy.objects.current())
    expired = _ids(Policy.objects.filter(policy_expired_q()))
    assert window_open == {p.pk for p in policies if p.window_open}
    assert current == {p.pk for p in policies if p.is_current}
    assert expired == {p.pk for p in policies if p.is_expired}
    assert window_open and current - window_open and expired and set(_ids(policies)) - current - expired
    assert _ids(run(PolicyFilterSet, {"open": "true"}, manager)) == window_open
    assert _ids(run(PolicyFilterSet, {"open": "false"}, manager)) == _ids(policies) - window_open
    enterprise = Enterprise.objects.get(pk=enterprise.pk)
    assert _ids(enterprise_eligible_policies(enterprise=enterprise)) == window_open
    assert _ids(enterprise_eligible_policies(enterprise=enterprise, open_only=False)) == current
    for policy in policies:
        if not policy.is_current:
            with pytest.raises(ValidationError):
                policy_push(policy=policy, user=manager, enterprises=[enterprise.pk])


def test_overdue_action_items_agree_everywhere(manager, officer, enterprise, city_bureau):
    """The open statuses and "overdue": queryset, model property, filter, reminders, home and dashboard."""
    import datetime as dt

    today = timezone.localdate()
    need = Need.objects.create(enterprise=enterprise, category="rd", title="需", bureau=city_bureau)
    for status in ActionStatus.values:
        for due in (today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)):
            ActionItem.objects.create(title=status, need=need, owner=officer, due_on=due, status=status)
    items = list(ActionItem.objects.all())
    overdue = _ids(ActionItem.objects.overdue())
    assert (
        overdue == {i.pk for i in items if i.is_overdue} == _ids(run(ActionItemFilterSet, {"overdue": "true"}, manager))
    )
    assert len(overdue) == len(OPEN_ACTION_STATUSES)
    assert _ids(ActionItem.objects.open()) == {i.pk for i in items if i.status in OPEN_ACTION_STATUSES}
    assert _ids(my_due_actions(user=officer, limit=100)) == _ids(ActionItem.objects.open())
    action_items_remind_overdue()
    reminded = set(
        Notification.objects.filter(kind=NotificationKind.ACTION_OVERDUE).values_list("action_item", flat=True)
    )
    assert reminded == overdue
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    (row,) = [r for r in _officers(manager, quarter_start=quarter_start, today=today) if r["id"] == officer.pk]
    assert (row["actions_open"], row["actions_overdue"]) == (ActionItem.objects.open().count(), len(overdue))


def test_overdue_needs_agree_everywhere(manager, enterprise, city_bureau, city_department):
    """Open needs and "overdue": queryset, model property, filter, my work, escalation and dashboard."""
    import datetime as dt

    today = timezone.localdate()
    for status in NeedStatus.values:
        for due in (today - dt.timedelta(days=10), today - dt.timedelta(days=1), today, None):
            Need.objects.create(
                enterprise=enterprise, category="rd", title=status, bureau=city_bureau, status=status, due_on=due,
                handler=manager, lead_department=city_department,
            )  # fmt: skip
    needs = list(Need.objects.all())
    overdue = _ids(Need.objects.overdue())
    assert len(overdue) == 2 * len(OPEN_NEED_STATUSES)
    assert overdue == {n.pk for n in needs if n.is_overdue} == {n.pk for n in needs if overdue_tag(n)}
    assert overdue == _ids(run(NeedFilterSet, {"overdue": "true"}, manager))
    assert _ids(Need.objects.open()) == _ids(run(NeedFilterSet, {"open": "true"}, manager))
    assert overdue == _ids(needs_overdue(user=manager))
    assert overdue == {n.pk for n in needs if need_escalation(n, today=today) in (OVERDUE, SUPERVISION)}
    assert dashboard_kpis(user=manager, today=today, fresh=True)["needs"]["overdue"] == len(overdue)


def test_assignable_departments_agree_everywhere(regions, city_bureau, county_bureau, county_manager, manager):
    """Filter choices, form choices, the model check used by the services and the need assignment."""
    other = Bureau.objects.create(name="淮安区科技局", level=BureauLevel.COUNTY, region=regions["320803"])
    for bureau in (city_bureau, county_bureau, other):
        Department.objects.create(bureau=bureau, name="一科")
        Department.objects.create(bureau=bureau, name="二科")
    everything = _ids(Department.objects.all())
    for user, expected in (
        (manager, everything),
        (county_manager, _ids(Department.objects.exclude(bureau=other))),
    ):
        assert _ids(Department.objects.assignable_by(user)) == expected
        assert {d.pk for d in Department.objects.all() if d.assignable_by(user)} == expected
        assert _ids(scoped_departments(request_for(user))) == expected
        assert _ids(department_queryset(user)) == expected
        for department in Department.objects.all():
            if department.pk in expected:
                action_item_department_check(user=user, department=department)
            else:
                with pytest.raises(ValidationError):
                    action_item_department_check(user=user, department=department)
    assert _ids(Department.objects.for_bureau(county_bureau.pk)) == _ids(Department.objects.exclude(bureau=other))
    # Issue 11: the policies (and offerings) a county keeps name its own departments only, not the city's.
    kept = _ids(Department.objects.filter(bureau=county_bureau))
    assert _ids(Department.objects.kept_by(county_manager)) == kept
    for department in Department.objects.all():
        if department.pk in kept:
            policy_department_check(user=county_manager, department=department)
        else:
            with pytest.raises(ValidationError):
                policy_department_check(user=county_manager, department=department)


@pytest.mark.parametrize("query", ["清源", "91320812", "张", "王法人", "食品", "不存在"])
def test_enterprise_search_is_the_same_in_the_list_filter_and_the_navbar(query, manager, enterprise, county_enterprise):
    Enterprise.objects.filter(pk=county_enterprise.pk).update(legal_representative="王法人")
    Contact.objects.create(enterprise=enterprise, name="张三")
    assert _ids(run(EnterpriseFilterSet, {"q": query}, manager)) == _ids(search_enterprises(user=manager, query=query))
    assert _ids(Enterprise.objects.search(query)) == _ids(search_enterprises(user=manager, query=query))


@pytest.mark.django_db
def test_open_q_partial_selects_the_same_rows_and_lets_sqlite_read_the_partial_open_index(enterprise, city_bureau):
    """``open_q(..., partial=True)`` (``ConstantIn``) selects what ``status__in`` selects; on SQLite its statuses are
    written into the SQL, so the supervised list walks ``crm_need_open_due_idx`` (a partial index SQLite never
    matches to bound parameters) instead of reading every open need past the cutoff to sort them."""
    from django.db import connection
    from django.db.models import Q

    from crm.querysets import open_q

    for status in NeedStatus:
        Need.objects.create(
            code=f"SQ-{status}", title=status, enterprise=enterprise, bureau=city_bureau, status=status,
            due_on=timezone.localdate(),
        )  # fmt: skip
    bound = set(Need.objects.filter(Q(status__in=list(OPEN_NEED_STATUSES))))
    assert set(Need.objects.filter(open_q(OPEN_NEED_STATUSES, partial=True))) == bound
    assert set(Need.objects.filter(open_q(OPEN_NEED_STATUSES))) == bound
    assert len(bound) == len(OPEN_NEED_STATUSES)
    if connection.vendor != "sqlite":
        return
    sql, _params = Need.objects.filter(open_q(OPEN_NEED_STATUSES, partial=True)).query.sql_with_params()
    with connection.cursor() as cursor:  # the partial index's condition as SQLite keeps it
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'crm_need_open_due_idx'")
        condition = cursor.fetchone()[0].split(" WHERE ", 1)[1]
    assert condition.startswith('"status" IN (')
    assert condition.removeprefix('"status"') in sql  # the same literal list: SQLite may read the index


@pytest.mark.parametrize(
    ("model", "factory"),
    [
        (Region, RegionFactory),
        (IndustryChain, IndustryChainFactory),
        (Qualification, QualificationFactory),
        (Department, DepartmentFactory),
    ],
)
def test_choice_fields_read_small_tables_in_one_plain_select(model, factory):
    factory()
    # The labels of departments name their bureau: selected with them, as crm.filtersets.scoped_departments does.
    field = forms.ModelChoiceField(queryset=model.objects.select_related(*(["bureau"] if model is Department else [])))
    with CaptureQueriesContext(connection) as queries:
        options = [value for value, _label in field.choices if value != ""]
    # PostgreSQL: not through a server-side cursor (DECLARE, FETCH, CLOSE: three round trips).
    assert [q["sql"].split()[0] for q in queries] == ["SELECT"]
    assert [option.value for option in options] == list(model.objects.values_list("pk", flat=True))

"""crm.prepared: a queryset compiled once answers as the ORM does (objects, select_related, converters)."""

import datetime as dt
import threading
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.db.models import Count, F, Model
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_init

from crm import prepared as prepared_module
from crm.choices import Role
from crm.models import Notification, User
from crm.prepared import (
    SAMPLE_DAYS,
    SAMPLE_KEY,
    SAMPLE_REGION,
    SAMPLE_SCOPE,
    Prepared,
    Statements,
    instance_builder,
    sample_keys,
    statements_run,
)
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

SAMPLE = -918273645
USER_WITH_BUREAU = Prepared(lambda pk: User.objects.select_related("bureau", "department").filter(pk=pk), SAMPLE)


def test_model_rows_with_select_related_match_the_orm(manager, officer, django_assert_num_queries):
    with django_assert_num_queries(1):
        (user,) = USER_WITH_BUREAU(manager.pk)
        # select_related: the bureau and the department came with the row.
        assert user.bureau.name == manager.bureau.name
        assert user.department.name == manager.department.name
    expected = User.objects.get(pk=manager.pk)
    assert user == expected
    assert user.__dict__.keys() >= {f.attname for f in User._meta.concrete_fields}
    assert all(getattr(user, f.attname) == getattr(expected, f.attname) for f in User._meta.concrete_fields)
    assert user._state.adding is False and user._state.db == "default"
    # The same statement with another parameter value answers for that row.
    assert USER_WITH_BUREAU(officer.pk) == [officer]


def test_a_null_foreign_key_is_cached_as_none(django_assert_num_queries):
    lonely = UserFactory(bureau=None)
    with django_assert_num_queries(1):
        (user,) = USER_WITH_BUREAU(lonely.pk)
        assert user.bureau is None and user.department is None


def test_no_row_is_an_empty_list(manager):
    assert USER_WITH_BUREAU(manager.pk + 1000) == []


def test_values_list_rows_go_through_the_field_converters(manager):
    NotificationFactory(recipient=manager)
    created = Prepared(lambda pk: Notification.objects.filter(recipient=pk).values_list("created_at", "id"), SAMPLE)
    ((created_at, pk),) = created(manager.pk)
    assert isinstance(created_at, dt.datetime) and created_at.tzinfo is not None
    assert (created_at, pk) == Notification.objects.filter(recipient=manager).values_list("created_at", "id").get()


def test_aggregate_rows(manager, officer):
    NotificationFactory.create_batch(2, recipient=manager)
    counts = Prepared(
        lambda pk: (
            Notification.objects.filter(recipient=pk).values("recipient").annotate(n=Count("pk")).values_list("n")
        ),
        SAMPLE,
    )
    assert counts(manager.pk) == [(2,)]
    assert counts(officer.pk) == []


def test_string_parameters(manager):
    by_name = Prepared(lambda username: User.objects.filter(username=username, is_active=True), "sample name")
    assert by_name("manager") == [manager]
    assert by_name("nobody") == []


def test_a_parameter_missing_from_the_statement_is_refused(manager):
    # The sample never reaches the SQL: the statement could not take the value.
    broken = Prepared(lambda pk: User.objects.filter(is_active=True), SAMPLE)
    with pytest.raises(ValueError, match="exactly once"):
        broken(manager.pk)


def test_samples_must_be_distinct():
    with pytest.raises(ValueError, match="distinct"):
        Prepared(lambda a, b: User.objects.filter(pk=a, bureau=b), 1, 1)


def test_prefetch_related_is_refused(manager):
    prefetching = Prepared(lambda pk: User.objects.prefetch_related("groups").filter(pk=pk), SAMPLE)
    with pytest.raises(ValueError, match="prefetch_related"):
        prefetching(manager.pk)


def test_role_groups_are_model_rows(manager):
    groups = Prepared(lambda pk: Group.objects.filter(user=pk), SAMPLE)
    assert [g.name for g in groups(manager.pk)] == [Role.MANAGER]


def test_the_statement_runs_as_a_subquery(manager, officer, django_assert_num_queries):
    """``sql``: the compiled statement with the values put in, no query run; as a ``RawSQL`` subquery it selects what
    the queryset it was compiled from selects."""
    NotificationFactory.create_batch(2, recipient=manager)
    NotificationFactory(recipient=officer)
    recipients = Prepared(lambda pk: Notification.objects.filter(recipient=pk).values_list("id"), SAMPLE)
    recipients.sql(manager.pk)  # compiled
    with django_assert_num_queries(0):
        sql, params = recipients.sql(officer.pk)
    assert officer.pk in params and SAMPLE not in params
    for user in (manager, officer):
        inner = RawSQL(*recipients.sql(user.pk))
        expected = Notification.objects.filter(recipient=user)
        assert set(Notification.objects.filter(pk__in=inner)) == set(expected) and expected.exists()


def test_annotations_become_attributes_as_in_the_orm(manager, django_assert_num_queries):
    with_groups = Prepared(
        lambda pk: User.objects.filter(pk=pk).annotate(group_name=F("groups__name")).order_by("groups__name"), SAMPLE
    )
    manager.groups.add(Group.objects.get(name=Role.LEADER))
    expected = [(u, u.group_name) for u in with_groups.build(manager.pk)]
    with django_assert_num_queries(1):
        rows = with_groups(manager.pk)
    assert [(u, u.group_name) for u in rows] == expected == [(manager, Role.LEADER), (manager, Role.MANAGER)]


def test_for_keys_prepares_an_in_list_of_that_many_keys(manager, officer, django_assert_num_queries):
    users = Prepared.for_keys(lambda *keys: User.objects.filter(pk__in=keys).order_by("pk"), 2)
    with django_assert_num_queries(1):
        assert users(manager.pk, officer.pk) == sorted([manager, officer], key=lambda user: user.pk)
    sql, params = users.sql(officer.pk, manager.pk)
    assert sql.count("IN (") == 1 and sorted(params) == sorted([officer.pk, manager.pk])


def test_a_repeated_parameter_takes_the_value_in_every_place(manager, officer):
    # The same sample in two places: refused unless ``repeated``, then each place takes the value.
    build = lambda pk: User.objects.filter(pk=pk) | User.objects.filter(pk=pk, is_active=True)  # noqa: E731
    with pytest.raises(ValueError, match="exactly once"):
        Prepared(build, SAMPLE)(manager.pk)
    either = Prepared(build, SAMPLE, repeated=True)
    assert either(manager.pk) == [manager]
    assert either(officer.pk) == [officer]


def test_date_parameters_as_the_database_holds_them(manager):
    old, new = NotificationFactory.create_batch(2, recipient=manager)
    Notification.objects.filter(pk=old.pk).update(created_at=dt.datetime(2020, 5, 1, 12, tzinfo=dt.UTC))
    since = Prepared(
        lambda day: Notification.objects.filter(created_at__date__gte=day).order_by("id").values_list("id"),
        dt.date(1901, 1, 1),
    )
    assert since(dt.date(2020, 4, 30)) == [(old.pk,), (new.pk,)]
    assert since(dt.date(2020, 5, 2)) == [(new.pk,)]


def test_a_raw_statement_runs_with_its_parameters(manager, officer, django_assert_num_queries):
    # ``build`` may return (sql, params), as ``count_each_sql`` does: its rows are tuples.
    def build(pk):
        sql, params = User.objects.filter(pk=pk).values("username").query.sql_with_params()
        return f"SELECT ({sql}), 1", params

    username = Prepared(build, SAMPLE)
    with django_assert_num_queries(1):
        assert username(manager.pk) == [(manager.username, 1)]
    assert username(officer.pk) == [(officer.username, 1)]


def _instance_state(obj) -> tuple:
    """What a model instance holds: its values in order, its state and its cached related rows, recursively."""
    values = tuple((name, value) for name, value in obj.__dict__.items() if name != "_state")
    state = obj._state
    related = tuple((name, None if row is None else _instance_state(row)) for name, row in state.fields_cache.items())
    return type(obj), values, state.adding, state.db, related


@contextmanager
def _counted_inits(monkeypatch):
    """The model instances made through ``Model.__init__`` inside the block."""
    inits = []
    original = Model.__init__

    def counting(self, *args, **kwargs):
        inits.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Model, "__init__", counting)
    try:
        yield inits
    finally:
        monkeypatch.setattr(Model, "__init__", original)


def test_rows_are_built_without_model_init_and_hold_what_from_db_gives(manager, monkeypatch):
    # Rows and their joined rows (a deferred column among them) are written into the instances directly: the same
    # values, in the same order, the same state and related rows as Model.from_db makes them.
    def build(pk):
        columns = (f.name for f in User._meta.concrete_fields)
        return (
            User.objects.select_related("bureau", "department")
            .only(*columns, "bureau__name", "department__name")
            .filter(pk=pk)
        )

    prepared = Prepared(build, SAMPLE - 1)
    expected = list(build(manager.pk))
    prepared(manager.pk)  # compiled
    with _counted_inits(monkeypatch) as inits:
        got = prepared(manager.pk)
    assert [_instance_state(row) for row in got] == [_instance_state(row) for row in expected]
    assert got[0].bureau.get_deferred_fields() == expected[0].bureau.get_deferred_fields() != set()
    assert inits == []


def test_a_model_with_an_init_receiver_is_built_through_init(manager):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=User)
    try:
        (user,) = USER_WITH_BUREAU(manager.pk)
    finally:
        post_init.disconnect(receiver, sender=User)
    assert seen == [user]
    assert _instance_state(user) == _instance_state(
        User.objects.select_related("bureau", "department").get(pk=manager.pk)
    )


def _user_row(user, names) -> list:
    return [getattr(user, name) for name in names]


def test_instance_builder_makes_what_from_db_makes_without_model_init(manager, monkeypatch):
    # Some columns only (the others deferred), as the people of a page are read.
    names = [f.attname for f in User._meta.concrete_fields if f.attname in {"id", "username", "name", "bureau_id"}]
    values = _user_row(manager, names)
    expected = User.from_db("default", names, values)
    build = instance_builder(User, names)
    with _counted_inits(monkeypatch) as inits:
        built = build("default", values)
    assert inits == []
    assert _instance_state(built) == _instance_state(expected)
    assert built.get_deferred_fields() == expected.get_deferred_fields() != set()


def test_instance_builder_goes_through_from_db_for_a_model_with_an_init_receiver(manager):
    names = [f.attname for f in User._meta.concrete_fields]
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=User)
    try:
        built = instance_builder(User, names)("default", _user_row(manager, names))
    finally:
        post_init.disconnect(receiver, sender=User)
    assert seen == [built]
    assert _instance_state(built) == _instance_state(User.objects.get(pk=manager.pk))


def test_plan_once_statements_are_prepared_on_the_server(manager, prepared_on_server):
    planned = Prepared(lambda pk: User.objects.filter(pk=pk).values_list("username"), SAMPLE, plan_once=True)
    assert planned(manager.pk) == [(manager.username,)]
    sql, _params = planned.sql(manager.pk)
    others_sql, _params = USER_WITH_BUREAU.sql(manager.pk)
    USER_WITH_BUREAU(manager.pk)
    statements = prepared_on_server()
    assert sql.replace("%s", "$1") in statements
    assert others_sql.replace("%s", "$1") not in statements  # without plan_once: Django's cursor, as before


# --- Statements: the one store of what is compiled once per shape --------------------------------------------------


def test_statements_make_an_entry_once_and_keep_nothing_when_making_fails():
    store = Statements()
    made = []
    assert store.once("a", lambda: made.append("a") or "A") == "A"
    assert store.once("a", lambda: made.append("again") or "B") == "A"  # kept: not made again
    assert made == ["a"]
    store.keep("a", None)  # replaced (a shape found not to be preparable)
    assert store.once("a", lambda: "C") is None

    def failing():
        raise ValueError("not a shape Prepared runs")

    with pytest.raises(ValueError):
        store.once("b", failing)
    assert "b" not in store


def test_statements_are_bounded_emptied_when_full(monkeypatch):
    monkeypatch.setattr(prepared_module, "STATEMENTS_LIMIT", 3)
    store = Statements()
    for key in "abc":
        store.once(key, lambda key=key: key.upper())
    store.keep("c", "C2")  # replacing an entry of a full store keeps the others
    assert store == {"a": "A", "b": "B", "c": "C2"}
    assert store.once("d", lambda: "D") == "D"  # a new key in a full store: emptied first
    assert store == {"d": "D"}
    assert prepared_module.STATEMENTS_LIMIT == 3 and len(store) <= 3


def test_every_store_of_statements_is_one_bounded_store():
    """The modules keep what they compile once per shape in ``Statements`` (one bound), not in dicts of their own."""
    from crm import paginator
    from crm.api import base
    from crm.forms import base as form_base
    from crm.selectors import cadence, home, programmes, rows, watch
    from crm.selectors.matching import eligibility, suggestions
    from crm.templatetags import form_tags, programme_tags

    stores = (
        prepared_module._BUILDERS,
        paginator._ROWS_STATEMENTS,
        base._LIGHT_STATEMENTS,
        home._SHAPED_STATEMENTS,
        cadence._OWN_STATEMENTS,
        rows._PEOPLE_STATEMENTS,
        rows._ROWS_OF_STATEMENTS,
        watch._RED_FLAG_STATEMENTS,
        watch._ANSWERING,
        eligibility._CRITERIA_STATEMENTS,
        suggestions._RADAR_COUNTS_SQL,
        suggestions._RADAR_POLICIES,
        suggestions._UNTOLD_ELIGIBLE_SQL,
        form_base._ENTERPRISE_CHOICE_STATEMENTS,
        programmes._LAG_COUNTS,
        form_tags._PANEL_FIELDS,
        programme_tags._YEAR_FORM_FIELDS,
    )
    assert all(type(store) is Statements for store in stores)


def test_a_kept_statement_compiles_once_per_thread():
    """The store is shared by the threads of a process; the ``Prepared`` kept in it compiles per thread and
    database, once each."""
    store = Statements()
    built = []

    def build(pk):
        built.append(threading.get_ident())
        return User.objects.filter(pk=pk).values_list("username")

    def statement():
        return store.once("user", lambda: Prepared(build, SAMPLE_KEY))

    first = statement().sql(1)
    assert statement().sql(2)[0] == first[0] and len(built) == 1  # the same thread: compiled once
    found = []

    def in_another_thread():
        try:
            found.append((statement(), statement().sql(3), statement().sql(4)))
        finally:
            connections.close_all()  # the thread's own connections

    thread = threading.Thread(target=in_another_thread)
    thread.start()
    thread.join()
    (kept, (sql, params), _again) = found[0]
    assert kept is statement() and len(store) == 1  # one entry for every thread
    assert sql == first[0] and params == [3]
    assert len(built) == 2 and built[1] != built[0]  # the other thread compiled it once, for itself
    statement().sql(5)
    assert len(built) == 2


def test_sample_values_are_distinct():
    samples = [*sample_keys(3), SAMPLE_REGION, SAMPLE_SCOPE, *SAMPLE_DAYS]
    assert len(set(samples)) == len(samples) and sample_keys(3)[0] == SAMPLE_KEY
    assert Prepared.for_keys(lambda *pks: User.objects.filter(pk__in=pks), 3).samples == sample_keys(3)


def test_statements_run_gives_the_statement_the_orm_ran(manager, officer, django_assert_num_queries):
    """``aggregate()`` writes its statement as it runs it: captured once, it runs again as it is."""
    with django_assert_num_queries(1), statements_run("default") as ran:
        counted = User.objects.filter(pk__in=[manager.pk, officer.pk]).aggregate(n=Count("pk"))
    assert counted == {"n": 2} and len(ran) == 1
    (sql, params) = ran[0]
    assert isinstance(params, tuple) and manager.pk in params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.fetchone() == (2,)

"""Reference data read once per process (crm/reference.py): a request's filter panels, staff pickers and working-day
calendars come from the process's copy while the shared versions stand; every write path bumps the version of its
kind, so the next request of any process reads the rows again."""

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import reference
from crm.choices import Role
from crm.forms.base import staff_filter_choices
from crm.models import IndustryChain, Qualification, Region, User
from crm.selectors.cadence import Rules
from crm.workdays import WorkCalendar, holidays_read_once
from tests.factories import (
    BureauFactory,
    CadenceRuleFactory,
    DepartmentFactory,
    HolidayFactory,
    RegionFactory,
    make_user,
)

REFERENCE_TABLES = ("crm_region", "crm_industrychain", "crm_qualification", "crm_department", "crm_bureau")
ENTERPRISES = "/enterprises/?region=320831&is_linked=true"


def _tables_read(queries) -> set[str]:
    """The tables the statements read from (FROM, not a join)."""
    tables = REFERENCE_TABLES + ("crm_holiday", "crm_user")
    return {table for table in tables for q in queries if f'FROM "{table}"' in q["sql"]}


def _version(kind: str):
    return cache.get(reference._KEYS[kind])


def _versions_now() -> dict:
    with reference.request_scope():
        reference.memo((reference.REGIONS,), "test", lambda: None)
    return {kind: _version(kind) for kind in reference.KINDS}


# ------------------------------------------------------------------------------------------------ one read


LISTS = [ENTERPRISES, "/needs/?open=true", "/visits/?visited_on_after=2020-01-01"]


def _staff_statements(queries) -> list:
    return [q for q in queries if q["sql"].startswith('SELECT DISTINCT "crm_user"."id" AS "pk"')]


@pytest.mark.parametrize("path", LISTS)
def test_a_list_reads_its_reference_data_once_per_process(
    client, manager, qualifications, county_enterprise, need, path
):
    client.force_login(manager)
    with CaptureQueriesContext(connection) as first:
        assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get(path).status_code == 200
    assert len(second.captured_queries) < len(first.captured_queries)
    # The second request: neither the filters' options, the region of ?region=, the staff picker nor the holidays.
    assert _tables_read(second.captured_queries) <= {"crm_user"}
    assert not _staff_statements(second.captured_queries)


@pytest.mark.parametrize(("path", "statements"), [(ENTERPRISES, 7), ("/needs/?open=true", 6)])
def test_list_statements(
    client, manager, qualifications, county_enterprise, need, path, statements, django_assert_num_queries
):
    """The load test's lists as a second request: session, user, count, keys, rows, people or none, notices (the
    tests' locmem cache costs no statement for the versions, the database cache one)."""
    client.force_login(manager)
    client.get(path)
    with django_assert_num_queries(statements):
        client.get(path)


# ------------------------------------------------------------------------------------- changes are seen


def test_the_copy_is_reused_until_the_version_changes(client, manager, enterprise):
    client.force_login(manager)
    assert "金湖县" in client.get(ENTERPRISES).text
    Region.objects.filter(code="320831").update(name="金湖新区")  # no signal: no new version
    assert "金湖新区" not in client.get(ENTERPRISES).text  # the process's copy
    # Another process's write: its signal sets a new version in the shared cache.
    cache.set(reference._KEYS[reference.REGIONS], uuid.uuid4().hex, timeout=None)
    assert "金湖新区" in client.get(ENTERPRISES).text


def test_a_save_is_seen_on_the_next_request(client, manager, enterprise):
    client.force_login(manager)
    client.get(ENTERPRISES)
    region = Region.objects.get(code="320831")
    region.name = "金湖新区"
    region.save()
    page = client.get(ENTERPRISES).text
    assert "金湖新区" in page and "金湖县" not in page


def test_another_process_reads_the_rows_under_the_same_version(client, manager, enterprise):
    client.force_login(manager)
    client.get(ENTERPRISES)
    Region.objects.filter(code="320831").update(name="金湖新区")
    reference._MEMO.clear()  # a process started now: same shared versions, no copy yet
    assert "金湖新区" in client.get(ENTERPRISES).text


def test_a_lost_cache_never_brings_back_an_old_copy(client, manager, enterprise):
    client.force_login(manager)
    client.get(ENTERPRISES)
    Region.objects.filter(code="320831").update(name="金湖新区")
    cache.clear()  # evicted, or Redis restarted: the next reader makes a new version, not "1" again
    assert "金湖新区" in client.get(ENTERPRISES).text


def test_a_write_in_the_request_is_read_from_the_database_for_the_rest_of_it(manager):
    with reference.request_scope():
        assert reference.memo((reference.REGIONS,), "k", lambda: "old") == "old"
        assert reference.memo((reference.REGIONS,), "k", lambda: "new") == "old"
        RegionFactory(code="320899", name="新区")
        assert reference.memo((reference.REGIONS,), "k", lambda: "new") == "new"
        assert reference.memo((reference.REGIONS,), "k", lambda: "newer") == "newer"


def test_outside_a_request_every_call_reads(db):
    assert reference.memo((reference.REGIONS,), "k", lambda: 1) == 1
    assert reference.memo((reference.REGIONS,), "k", lambda: 2) == 2


def test_the_staff_choices_are_kept_per_scope(manager, county_officer, officer):
    with reference.request_scope():
        city = staff_filter_choices(manager, "All")
        county = staff_filter_choices(county_officer, "All")
    assert {pk for pk, _label in county[1:]} == {county_officer.pk}
    assert officer.pk in {pk for pk, _label in city[1:]}


def test_a_new_colleague_is_in_the_picker_of_the_next_request(manager, city_bureau, city_department):
    with reference.request_scope():
        before = staff_filter_choices(manager, "All")
    colleague = make_user("新同事", Role.OFFICER, city_bureau, city_department)
    with reference.request_scope():
        after = staff_filter_choices(manager, "All")
    assert (colleague.pk, "新同事") in after and (colleague.pk, "新同事") not in before


def test_holidays_read_once_per_process_and_again_after_a_change(db, django_assert_num_queries):
    day = dt.date(2030, 1, 7)  # a Monday
    with reference.request_scope(), django_assert_num_queries(1):
        assert WorkCalendar.for_range(start=day, end=day).is_workday(day)
        assert WorkCalendar.for_range(start=day, end=day).is_workday(day)
    with reference.request_scope(), django_assert_num_queries(0):
        assert WorkCalendar.for_range(start=day, end=day).is_workday(day)
    HolidayFactory(date=day)
    with reference.request_scope():
        assert not WorkCalendar.for_range(start=day, end=day).is_workday(day)


def test_holidays_read_once_per_process_inside_a_page_that_reads_them_once(db, django_assert_num_queries):
    """``holidays_read_once`` (the 工作台's cards) takes the process's copy too, not the table on every request."""
    day = dt.date(2030, 1, 7)  # a Monday
    with reference.request_scope(), holidays_read_once(), django_assert_num_queries(1):
        assert WorkCalendar.for_range(start=day, end=day).is_workday(day)
    with reference.request_scope(), holidays_read_once(), django_assert_num_queries(0):
        assert WorkCalendar.for_range(start=day, end=day).is_workday(day)
    HolidayFactory(date=day)
    with reference.request_scope(), holidays_read_once():
        assert not WorkCalendar.for_range(start=day, end=day).is_workday(day)


def test_cadence_rules_read_once_per_process_and_again_after_a_change(db, django_assert_num_queries):
    """The 工作台's 待走访 and the plans page read the bureaus' cadence rules from the process's copy."""
    rule = CadenceRuleFactory(min_visits=2)
    key = (rule.bureau_id, rule.tier, rule.role)
    today = dt.date(2030, 1, 7)
    with reference.request_scope(), django_assert_num_queries(1):
        assert Rules(today=today).own[key].required == 2
        assert Rules(today=today).own[key].required == 2
    with reference.request_scope(), django_assert_num_queries(0):
        assert Rules(today=today).own[key].required == 2
    _require(rule, 4)
    with reference.request_scope():
        assert Rules(today=today).own[key].required == 4
    with django_assert_num_queries(1):  # outside a request: the rows every time
        assert Rules(today=today).own[key].required == 4


# ------------------------------------------------------------------------------------ every write bumps


def _rename(obj):
    obj.name = f"{obj.name}新"
    obj.save()


def _deactivate(user):
    user.is_active = False
    user.save()


# kind, a row made before the versions are taken (or None), the write on it
WRITES = {
    "region saved": (reference.REGIONS, lambda: Region.objects.get(code="320831"), _rename),
    "region created": (reference.REGIONS, None, lambda _: RegionFactory(code="320899", name="新区")),
    "region deleted": (reference.REGIONS, lambda: Region.objects.get(code="320803"), lambda row: row.delete()),
    "chain saved": (reference.CHAINS, lambda: IndustryChain.objects.get(code="pcb"), _rename),
    "chain deleted": (reference.CHAINS, lambda: IndustryChain.objects.get(code="pcb"), lambda row: row.delete()),
    "qualification saved": (reference.QUALIFICATIONS, lambda: Qualification.objects.get(code="hnte"), _rename),
    "qualification deleted": (
        reference.QUALIFICATIONS,
        lambda: Qualification.objects.get(code="srdi"),
        lambda row: row.delete(),
    ),
    "bureau created": (reference.ORGANISATION, None, lambda _: BureauFactory(county=True, name="新科技局")),
    "bureau renamed": (reference.ORGANISATION, lambda: User.objects.get(username="officer").bureau, _rename),
    "department created": (reference.ORGANISATION, None, lambda _: DepartmentFactory(name="新处室")),
    "department deleted": (
        reference.ORGANISATION,
        lambda: DepartmentFactory(name="待撤处室"),
        lambda row: row.delete(),
    ),
    "user renamed": (reference.ORGANISATION, lambda: User.objects.get(username="officer"), _rename),
    "user deactivated": (reference.ORGANISATION, lambda: User.objects.get(username="officer"), _deactivate),
    "user deleted": (reference.ORGANISATION, lambda: make_user("gone", None, None), lambda row: row.delete()),
    "user's roles": (
        reference.ORGANISATION,
        lambda: User.objects.get(username="officer"),
        lambda row: row.groups.add(Group.objects.get(name=Role.LEADER)),
    ),
    "holiday created": (reference.HOLIDAYS, None, lambda _: HolidayFactory(date=dt.date(2030, 5, 1))),
    "holiday deleted": (
        reference.HOLIDAYS,
        lambda: HolidayFactory(date=dt.date(2030, 1, 1)),
        lambda row: row.delete(),
    ),
    "cadence rule created": (reference.CADENCE_RULES, None, lambda _: CadenceRuleFactory()),
    "cadence rule changed": (reference.CADENCE_RULES, CadenceRuleFactory, lambda row: _require(row, 3)),
    "cadence rule deleted": (reference.CADENCE_RULES, CadenceRuleFactory, lambda row: row.delete()),
}


def _require(rule, visits: int):
    rule.min_visits = visits
    rule.save()


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_bumps_its_kind(officer, chains, qualifications, write):
    kind, make, do = WRITES[write]
    row = make() if make else None
    before = _versions_now()
    do(row)
    after = {k: _version(k) for k in reference.KINDS}
    assert after[kind] != before[kind]
    assert all(after[k] == before[k] for k in reference.KINDS if k != kind)


def test_a_sign_in_bumps_nothing(client, officer):
    officer.set_password("pw-123456789")
    officer.save()
    before = _versions_now()
    assert client.login(username="officer", password="pw-123456789")
    assert {k: _version(k) for k in reference.KINDS} == before


def test_a_write_in_a_transaction_bumps_again_on_commit(regions, django_capture_on_commit_callbacks):
    before = _versions_now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _rename(Region.objects.get(code="320831"))
        during = _version(reference.REGIONS)
    assert len(callbacks) == 1
    assert before[reference.REGIONS] != during != _version(reference.REGIONS)


@pytest.mark.parametrize(
    ("command", "module", "function", "answer", "args"),
    [
        ("seed_demo", "seed_demo", "demo_seed", {"x": {"created": 0, "total": 0}}, []),
        ("seed_scale", "seed_scale", "scale_seed", {"_seconds": 0.0, "x": 0}, ["--no-analyze"]),
        ("restore", "restore", "restore_read", {"created_at": "now", "engine": "x"}, ["archive.tar.gz"]),
    ],
)
def test_the_commands_that_write_without_signals_bump_every_kind(
    db, monkeypatch, command, module, function, answer, args
):
    from importlib import import_module

    monkeypatch.setattr(import_module(f"crm.management.commands.{module}"), function, lambda **kw: answer)
    before = _versions_now()
    call_command(command, *args, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert all(_version(kind) != before[kind] for kind in reference.KINDS)


DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}}


def test_the_versions_on_the_database_cache_read_as_django_reads_them(db, settings, monkeypatch):
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache

    settings.CACHES = DATABASE_CACHE
    call_command("createcachetable", verbosity=0)  # (the test database's migration made none: locmem)
    backend = caches["default"]
    assert type(backend) is DatabaseCache
    keys = list(reference._KEYS.values())
    assert reference._cache_get_many(keys) == {} == backend.get_many(keys)
    backend.set(keys[0], "a1", timeout=None)
    backend.set(keys[2], {"any": ["value", 1]}, timeout=None)
    backend.set(keys[3], "short", timeout=60)
    assert (
        reference._cache_get_many(keys)
        == backend.get_many(keys)
        == {
            keys[0]: "a1",
            keys[2]: {"any": ["value", 1]},
            keys[3]: "short",
        }
    )
    # The versions of a request: one statement, not Django's get_many (which makes its SQL and converters each time).
    later = {key: f"v{n}" for n, key in enumerate(keys[4:])}  # every other kind's version
    backend.set_many({keys[1]: "b1", **later}, timeout=None)
    real = DatabaseCache.get_many
    monkeypatch.setattr(DatabaseCache, "get_many", lambda *args, **kwargs: pytest.fail("DatabaseCache.get_many"))
    with CaptureQueriesContext(connection) as queries:
        versions = reference._read_versions()
    assert len(queries) == 1
    assert versions == dict(
        zip(reference.KINDS, ["a1", "b1", {"any": ["value", 1]}, "short", *later.values()], strict=True)
    )
    # A row past its expiry: Django's get_many reads it (and deletes it), as before.
    monkeypatch.setattr(DatabaseCache, "get_many", real)
    backend.set(keys[1], "gone", timeout=-1)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE django_cache SET expires = %s WHERE cache_key = %s",
            [dt.datetime(2000, 1, 1, tzinfo=dt.UTC), backend.make_key(keys[1])],
        )
    found = reference._cache_get_many(keys)
    assert keys[1] not in found and keys[0] in found
    assert not backend.has_key(keys[1])


def test_the_versions_on_another_cache_are_its_get_many(db):
    keys = list(reference._KEYS.values())
    cache.set(keys[0], "v", timeout=None)
    assert reference._cache_get_many(keys) == cache.get_many(keys) == {keys[0]: "v"}


def test_the_versions_on_the_database_cache_are_read_by_a_statement_prepared_on_the_server(
    settings, prepared_on_server
):
    settings.CACHES = DATABASE_CACHE
    call_command("createcachetable", verbosity=0)
    reference._read_versions()
    assert any(s.startswith('SELECT "cache_key", "value", "expires" FROM "django_cache"') for s in prepared_on_server())

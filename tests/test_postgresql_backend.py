"""config/postgresql: the backend declares the 65,535 parameters of server-side binding, so that Django's batching
(and the imports' own statements) split what one statement could not carry; writes over an import's set split
their ``IN`` lists (``key_chunks``); a health check stands for a second while the server writes nothing."""

import time

import pytest
from django.db import connection, connections
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from config.postgresql.base import HEALTH_CHECK_INTERVAL, MAX_BOUND_PARAMS, DatabaseWrapper
from crm.models import ThrottleCounter, Visit
from crm.querysets import IN_LIST_KEYS, key_chunks
from crm.services.enterprises import REGION_FOLLOWERS, enterprise_regions_follow
from crm.services.visits import visit_officers_flag_refresh
from tests.factories import VisitFactory

# More keys than one bound statement takes.
PAST_THE_LIMIT = MAX_BOUND_PARAMS + 1


def _wrapper(**options) -> DatabaseWrapper:
    """A connection object of the backend (never opened): its features and operations only."""
    return DatabaseWrapper({"NAME": "crm", "OPTIONS": options}, alias="unopened")


def test_the_limit_is_declared_only_with_server_side_binding():
    assert _wrapper(server_side_binding=True).features.max_query_params == MAX_BOUND_PARAMS
    assert _wrapper().features.max_query_params is None
    assert _wrapper(server_side_binding=False).features.max_query_params is None


def test_parallel_query_is_read_from_the_connections_options():
    assert _wrapper(options="-c jit=off -c max_parallel_workers_per_gather=0").plans_in_parallel is False
    assert _wrapper(options="-c jit=off -c max_parallel_workers_per_gather=2").plans_in_parallel is True
    # Not set: the server's own setting (PostgreSQL's default plans in parallel).
    assert _wrapper(options="-c jit=off").plans_in_parallel is True
    assert _wrapper().plans_in_parallel is True


def test_bulk_batches_stay_within_the_limit():
    fields = [ThrottleCounter._meta.get_field(name) for name in ("period", "hits", "previous_hits", "expires")]
    pk = ThrottleCounter._meta.pk
    bound = _wrapper(server_side_binding=True).ops
    # bulk_create (and the collector): one parameter per field and row.
    assert bound.bulk_batch_size([pk, *fields], []) == MAX_BOUND_PARAMS // 5
    # bulk_update asks with [pk, pk, *fields] and sends WHEN pk = %s THEN %s per field plus the key per row.
    for n in (1, 2, 4):
        size = bound.bulk_batch_size([pk, pk, *fields[:n]], [])
        assert size * (2 * n + 1) <= MAX_BOUND_PARAMS < (size + 1) * (2 * n + 1)
    # Client-side binding: Django's own answer (no limit).
    assert _wrapper().ops.bulk_batch_size([pk, *fields], list(range(7))) == 7


def test_key_chunks():
    assert list(key_chunks([])) == []
    keys = list(range(2 * IN_LIST_KEYS + 1))
    assert [len(chunk) for chunk in key_chunks(iter(keys))] == [IN_LIST_KEYS, IN_LIST_KEYS, 1]
    assert [key for chunk in key_chunks(keys) for key in chunk] == keys


@pytest.fixture
def bound():
    """The test's connection with server-side binding on, whatever the settings (a new connection: the cursor class
    is chosen when connecting); the settings' own afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    options = connection.settings_dict["OPTIONS"]
    saved = dict(options)
    connection.close()
    options.update(server_side_binding=True, prepare_threshold=None)
    connection.features.__dict__.pop("max_query_params", None)
    yield
    connection.close()
    options.clear()
    options.update(saved)
    connection.features.__dict__.pop("max_query_params", None)


# A transaction of its own: the connection is closed and opened again with binding on.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("bound")
class TestPastTheLimitOnTheServer:
    """Through the real paths, with more parameters than one bound statement takes (each fails without the fix:
    "number of parameters must be between 0 and 65535")."""

    def test_the_connection_binds_on_the_server(self):
        assert connection.features.max_query_params == MAX_BOUND_PARAMS
        with connection.cursor() as cursor:
            assert type(cursor.cursor).__name__ == "ServerBindingCursor"

    def test_bulk_create_of_rows_with_expressions(self):
        # An expression in a row makes Django write VALUES (%s, …) per row instead of its UNNEST of one array per
        # column: 5 parameters a row.
        rows = [
            ThrottleCounter(key=f"k{i}", period=1, hits=Value(1), previous_hits=0, expires=9)
            for i in range(PAST_THE_LIMIT // 5 + 1)
        ]
        ThrottleCounter.objects.bulk_create(rows)
        assert ThrottleCounter.objects.filter(hits=1).count() == len(rows)

    def test_in_bulk(self):
        ThrottleCounter.objects.create(key="k1", period=1, hits=1, previous_hits=0, expires=9)
        found = ThrottleCounter.objects.in_bulk([f"k{i}" for i in range(PAST_THE_LIMIT)])
        assert list(found) == ["k1"]

    def test_visit_writes_over_an_imports_set(self, django_assert_max_num_queries):
        visit = VisitFactory()
        # Stale on purpose: both writes must reach the real visit among the keys.
        Visit.objects.filter(pk=visit.pk).update(officers_besides_lead=None, region=None)
        keys = [*range(-PAST_THE_LIMIT, 0), visit.pk]
        chunks = len(keys) // IN_LIST_KEYS + 1
        with django_assert_max_num_queries(2 * chunks):
            visit_officers_flag_refresh(visit_ids=keys)
        with django_assert_max_num_queries(len(REGION_FOLLOWERS) * chunks):
            enterprise_regions_follow(enterprise_ids=[*range(-PAST_THE_LIMIT, 0), visit.enterprise_id])
        visit.refresh_from_db()
        assert visit.officers_besides_lead is False
        assert visit.region_id == visit.enterprise.region_id is not None


COUNTER_KEY = 'SELECT "hits" FROM "crm_throttlecounter" WHERE "key" = %s'


@pytest.mark.django_db
def test_plan_once_cursor_prepares_its_statement_once_and_logs_it_with_its_values(prepared_on_server):
    ThrottleCounter.objects.create(key="k1", period=1, hits=7, previous_hits=0, expires=9)
    answers = []
    for key in ("k1", "k2", "k1"):
        with CaptureQueriesContext(connection) as queries, connection.plan_once_cursor() as cursor:
            cursor.execute(COUNTER_KEY, [key])
            answers.append(cursor.fetchall())
        # Logged and counted as any statement, with its values written in (as Django logs a bound one).
        assert [q["sql"] for q in queries] == [COUNTER_KEY.replace("%s", f"'{key}'")]
    assert answers == [[(7,)], [], [(7,)]]
    assert prepared_on_server().count(COUNTER_KEY.replace("%s", "$1")) == 1


@pytest.mark.django_db
def test_plan_once_cursor_prepares_nothing_without_a_threshold(prepared_on_server):
    # DJANGO_PG_PREPARE_THRESHOLD empty (a pooler in transaction mode): the values are bound, nothing is prepared.
    connection.ensure_connection()
    saved = connection.connection.prepare_threshold
    connection.connection.prepare_threshold = None
    try:
        with connection.plan_once_cursor() as cursor:
            cursor.execute(COUNTER_KEY, ["k1"])
            assert cursor.fetchall() == []
    finally:
        connection.connection.prepare_threshold = saved
    assert COUNTER_KEY.replace("%s", "$1") not in prepared_on_server()


@pytest.fixture
def health_checks(monkeypatch):
    """The answers of Django's health check (``is_usable``, its SELECT 1) on the test's connection, health checks on."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    wrapper = connections["default"]
    answers = []
    usable = type(wrapper).is_usable

    def is_usable(self):
        answers.append(usable(self))
        return answers[-1]

    monkeypatch.setattr(type(wrapper), "is_usable", is_usable)
    monkeypatch.setattr(wrapper, "health_check_enabled", True)
    wrapper.ensure_connection()
    return answers


def _request_statement():
    # As at a request's first statement: close_old_connections marked the connection unchecked.
    connections["default"].health_check_done = False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_recent_health_check_stands_while_the_server_wrote_nothing(health_checks):
    wrapper = connections["default"]
    wrapper.health_checked_at = time.monotonic()
    pids = {_request_statement() for _ in range(3)}
    assert health_checks == []  # Django sent SELECT 1 before each
    wrapper.health_checked_at = time.monotonic() - HEALTH_CHECK_INTERVAL
    pids.add(_request_statement())
    assert health_checks == [True]
    assert len(pids) == 1
    # Checked just now: the next request's check stands.
    _request_statement()
    assert health_checks == [True]


@pytest.mark.django_db(transaction=True)
def test_a_session_ended_by_the_server_is_checked_and_opened_again(health_checks):
    wrapper = connections["default"]
    pid = _request_statement()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    time.sleep(0.1)  # the server's message and end of file reach the socket
    wrapper.health_checked_at = time.monotonic()
    assert _request_statement() != pid
    assert health_checks == [False]


@pytest.mark.django_db
def test_plan_once_cursor_binds_every_integer_as_a_bigint(prepared_on_server):
    # psycopg types each integer by its size (smallint, integer, bigint) and prepares a statement per set of types:
    # one statement whatever the keys (fails with two prepared for one text).
    keys = 'SELECT "id" FROM "crm_bureau" WHERE "id" IN (%s, %s)'
    for values in ([1, 2], [1, 40_000], [2**31, 3]):
        with connection.plan_once_cursor() as cursor:
            cursor.execute(keys, values)
            assert cursor.fetchall() == []
    assert prepared_on_server().count(keys.replace("%s", "$1", 1).replace("%s", "$2")) == 1

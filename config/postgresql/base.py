"""Django's PostgreSQL backend (``ENGINE = "config.postgresql"``) that knows the parameter limit of server-side
binding (``DJANGO_PG_SERVER_SIDE_BINDING``, config/settings.py).

Bound on the server (psycopg's ``Cursor``), one statement carries at most 65,535 parameters (the protocol counts
them in 16 bits); with client-side binding the values are written into the SQL text and there is no limit.
Django 5.2 declares the limit for Oracle and SQLite only (ticket #36822), so on PostgreSQL ``bulk_create``,
``bulk_update`` and the deletion collector send one statement whatever its size and ``in_bulk`` does not split.
Declared here while binding is on, as the Oracle backend declares it: Django's own batching then splits those,
and the imports' hand-written statements (crm/sheets/resources/bulk.py) read the same ``max_query_params``.
With binding off nothing changes.

``plan_once_cursor``: a cursor for the statements pages run again and again whose plan depends little on their
values (the session's row by its key, the signed-in user by its id, the 工作台's cards: crm.prepared
``Prepared(plan_once=True)``). psycopg binds their values on the server and prepares them at their first execution
on a connection, so PostgreSQL parses them once per connection and, where its generic plan is estimated no dearer,
plans them once too (the user with its bureau, department and groups, a five-table join, cost ~0.5 ms of server CPU
to plan, more than its execution).

Health checks (``CONN_HEALTH_CHECKS``): Django sends ``SELECT 1`` at the first statement of every request, a round
trip (~0.15 ms of the app's CPU, ~0.5 ms of wall time and the server's CPU on the same cores) on a connection that
answered a few milliseconds before. Here a connection checked less than ``HEALTH_CHECK_INTERVAL`` ago whose socket
holds nothing from the server is taken as healthy: a server that ends the session (a restart, an idle timeout,
``pg_terminate_backend``) writes its error and closes the socket, which then reads as ready and gets Django's check.
"""

import re
import select
import time
from itertools import chain

from django.db import models
from django.db.backends.postgresql import base, features, operations
from django.db.backends.postgresql.psycopg_any import errors, register_tzloader
from django.utils.functional import cached_property
from psycopg.types.numeric import Int8Dumper

# The protocol's limit on the parameters of one bound statement (Bind message: a 16-bit count).
MAX_BOUND_PARAMS = 2**16 - 1
# Seconds a connection's health check (Django's SELECT 1) stands for while its socket stays quiet: a loaded worker
# sends one check a second instead of one per request; an idle one checks on every request, as Django.
HEALTH_CHECK_INTERVAL = 1.0


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self):
        return MAX_BOUND_PARAMS if self.connection.settings_dict["OPTIONS"].get("server_side_binding") is True else None


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        limit = self.connection.features.max_query_params
        if limit is None:
            return super().bulk_batch_size(fields, objs)
        fields = list(
            chain.from_iterable(f.fields if isinstance(f, models.CompositePrimaryKey) else [f] for f in fields)
        )
        if not fields:
            return len(objs)
        # bulk_update() asks with [pk, pk, *fields] but sends 2 parameters per field and row (WHEN pk = %s THEN %s)
        # plus the row's key in the IN list: sized as Oracle's would be, a batch of two or more fields passes the
        # limit.
        if len(fields) > 2 and fields[0] is fields[1] and fields[0].primary_key:
            return limit // (2 * (len(fields) - 2) + 1)
        return limit // len(fields)

    def last_executed_query(self, cursor, sql, params):
        # A statement of plan_once_cursor with its values, as Django writes one bound on the server (psycopg keeps no
        # text of a prepared statement's execution).
        if isinstance(cursor, PlanOnceCursor):
            try:
                return self.compose_sql(sql, params)
            except errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class PlanOnceCursor(base.ServerBindingCursor):
    """Django's server-binding cursor asking psycopg to prepare each statement it runs (``prepare=True``): prepared
    at its first execution on the connection, then executed by name. psycopg keeps the connection's prepared
    statements (and prepares again after a reconnection or a ``DEALLOCATE ALL``); with the connection's
    ``prepare_threshold`` None (``DJANGO_PG_PREPARE_THRESHOLD`` empty, a pooler in transaction mode) it prepares
    nothing and the statement is only bound on the server.

    Integers are bound as ``bigint``: psycopg gives each the smallest type that holds it and prepares a statement per
    set of types, so a page's keys (some under 32,768, some not) would prepare and plan one statement per mix of
    them instead of one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.adapters.register_dumper(int, Int8Dumper)

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def _nothing_to_read(pgconn) -> bool:
    """Whether the connection's socket has nothing from the server (no message, no end of file), without waiting."""
    poll = select.poll()
    poll.register(pgconn.socket, select.POLLIN | select.POLLPRI)
    return not poll.poll(0)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations
    # When the connection was opened or last passed Django's health check (time.monotonic()).
    health_checked_at = float("-inf")

    def connect(self):
        super().connect()
        self.health_checked_at = time.monotonic()

    def close_if_health_check_failed(self):
        """Django's health check, skipped while the last one is under ``HEALTH_CHECK_INTERVAL`` old and the server
        has written nothing since (the module's docstring)."""
        if self.connection is None or not self.health_check_enabled or self.health_check_done or self.pool:
            return super().close_if_health_check_failed()
        now = time.monotonic()
        if now - self.health_checked_at < HEALTH_CHECK_INTERVAL and not self.connection.broken:
            try:
                quiet = _nothing_to_read(self.connection.pgconn)
            except (OSError, errors.OperationalError):
                quiet = False
            if quiet:
                self.health_check_done = True
                return None
        super().close_if_health_check_failed()
        if self.connection is not None:
            self.health_checked_at = now
        return None

    @cached_property
    def plans_in_parallel(self) -> bool:
        """Whether PostgreSQL may plan this connection's statements in parallel: not when its options set
        ``max_parallel_workers_per_gather`` to 0 (``DJANGO_PG_PARALLEL_WORKERS``, 0 by default: config/settings.py);
        with the server's own setting it may."""
        found = re.search(r"max_parallel_workers_per_gather=(\d+)", self.settings_dict["OPTIONS"].get("options") or "")
        return found is None or int(found.group(1)) > 0

    def plan_once_cursor(self):
        """A ``PlanOnceCursor``, wrapped as ``cursor()`` wraps one (logged, counted by ``django_assert_num_queries``).
        Only for a statement whose plan depends little on its values (crm.prepared ``plan_once_cursor``): PostgreSQL
        keeps a generic plan of a prepared statement once it costs no more than the plans made for the values."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = PlanOnceCursor(self.connection)
            # As create_cursor: the time zone of the connection's loader, when it disagrees.
            if self.timezone != self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, base.Format.TEXT).timezone:
                register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)

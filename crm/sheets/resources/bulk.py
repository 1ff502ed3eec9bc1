"""Bulk writes of the imports without Django's per-value SQL compiler (DESIGN §8.4, issue 10: 10 000 rows ≤ 5 s).

``QuerySet.bulk_create`` compiles every cell through ``prepare_value``/``pre_save_val``/``get_db_prep_save``
(half of the import's time for 10 000 enterprises), and simple_history's ``bulk_history_create`` builds a
model instance per history row before compiling it the same way. Here the rows go out as plain parameter
lists: the records as multi-row ``INSERT`` statements (``RETURNING`` their keys, or on SQLite reading them
back; the keys are needed for the history, the many-to-many links and the after-create writes) and the
history rows with one ``executemany``. What the
ORM would have done per field is kept: ``pre_save`` where a field class defines it (``auto_now_add``
dates, files) and ``get_db_prep_save`` for every value whose type the database cannot take as it is.
Anything unusual (a database without ``RETURNING`` rows, a primary key already set, database defaults,
generated columns, custom history fields) takes the library path instead.
"""

from __future__ import annotations

import datetime
import decimal
import operator
import sqlite3

from django.conf import settings
from django.db import DatabaseError, connections, models, router
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history, get_change_reason_from_object

# Values of these exact types reach the driver as they are for these field types (their get_db_prep_save
# returns them unchanged on SQLite and PostgreSQL).
_TEXT = (str,)
_INTEGER = (int,)
_PASS_THROUGH = {
    "CharField": _TEXT,
    "TextField": _TEXT,
    "SlugField": _TEXT,
    "IntegerField": _INTEGER,
    "BigIntegerField": _INTEGER,
    "SmallIntegerField": _INTEGER,
    "PositiveIntegerField": _INTEGER,
    "PositiveBigIntegerField": _INTEGER,
    "PositiveSmallIntegerField": _INTEGER,
    "AutoField": _INTEGER,
    "BigAutoField": _INTEGER,
    "BooleanField": (bool,),
}
HISTORY_FIELDS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}


def _pass_through(field, connection) -> tuple:
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    if kind == "DecimalField" and _base_decimal_adapter(connection):
        return (decimal.Decimal,)  # to_python() of a Decimal is itself; the driver takes it
    return _PASS_THROUGH.get(kind, ())


def _base_decimal_adapter(connection) -> bool:
    adapter = type(connection.ops).adapt_decimalfield_value
    return adapter is BaseDatabaseOperations.adapt_decimalfield_value


_REPEATED = (datetime.date, datetime.datetime)  # dates repeat in a ledger; the history date is one value


def value_converter(field, connection):
    """value → database value for ``field``, with the common cases answered without a call into the ORM
    (dates and times are converted once per distinct value)."""
    plain = _pass_through(field, connection)
    prep = field.get_db_prep_save
    seen: dict = {}

    def convert(value):
        kind = type(value)
        if value is None or kind in plain:
            return value
        if kind in _REPEATED:
            try:
                return seen[value]
            except KeyError:
                seen[value] = converted = prep(value, connection=connection)
                return converted
        return prep(value, connection=connection)

    return convert


def _uses_pre_save(field) -> bool:
    return type(field).pre_save is not models.Field.pre_save


def _history_model(model):
    manager = getattr(model, "history", None)
    return getattr(manager, "model", None)


def _history_fields(history):
    """The historical model's columns to write, or None when it has fields this module does not know."""
    fields = [f for f in history._meta.concrete_fields if f.name != "history_id"]
    tracked = {f.attname for f in history.tracked_fields}
    extra = {f.name for f in fields if f.attname not in tracked and f.name not in HISTORY_FIELDS}
    if extra - {"history_relation"}:
        return None
    return fields


def _fast_insert_possible(model, objs, connection) -> bool:
    meta = model._meta
    if not connection.features.can_return_rows_from_bulk_insert or meta.parents:
        return False
    if not isinstance(meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
        return False
    if any(obj.pk is not None for obj in objs):
        return False
    for field in meta.concrete_fields:
        if getattr(field, "generated", False) or getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            return False
    history = _history_model(model)
    return history is None or _history_fields(history) is not None


class RowsInsert:
    """New records with their ``INSERT`` parameters built (``rows_insert_prepare``), outside the writing transaction:
    ``run`` then only executes SQL while it holds the database's write lock (issue 11: on SQLite, building the
    parameters of 50 000 rows inside the transaction kept officers waiting for 2.5 s more)."""

    def __init__(self, objs: list, model, *, batch_size: int = 1000) -> None:
        self.objs, self.model, self.batch_size = objs, model, batch_size
        self.connection = connections[router.db_for_write(model)]
        self.fast = bool(objs) and _fast_insert_possible(model, objs, self.connection)
        self.rows: list[list] = []
        if not self.fast:
            return
        connection, meta = self.connection, model._meta
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        # value_converter() per column, with its pass-through test made inline (no call for most values).
        checks = [(_pass_through(f, connection), value_converter(f, connection)) for f in fields]
        self.fields, self.checks = fields, checks
        # auto_now / auto_now_add: one timestamp for the whole import instead of one per row.
        stamps = {}
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                stamps[field.attname] = field.pre_save(objs[0], True)
        pre_saved = [(i, f) for i, f in enumerate(fields) if _uses_pre_save(f) and f.attname not in stamps]
        attnames = [f.attname for f in fields]
        quote = connection.ops.quote_name
        self.head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
        self.placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
        read = operator.attrgetter(*attnames) if len(attnames) > 1 else (lambda obj: (getattr(obj, attnames[0]),))
        rows = self.rows
        for obj in objs:
            for name, stamp in stamps.items():
                setattr(obj, name, stamp)
            values = read(obj)
            if pre_saved:
                values = list(values)
                for i, field in pre_saved:
                    values[i] = field.pre_save(obj, True)
            rows.append(
                [
                    value if value is None or type(value) in plain else convert(value)
                    for value, (plain, convert) in zip(values, checks, strict=True)
                ]
            )

    def refresh(self, attname: str) -> None:
        """Take ``attname`` from the objects again (a value set after preparing, e.g. codes reserved inside the
        writing transaction)."""
        if not self.fast:
            return
        index = next(i for i, f in enumerate(self.fields) if f.attname == attname)
        plain, convert = self.checks[index]
        for row, obj in zip(self.rows, self.objs, strict=True):
            value = getattr(obj, attname)
            row[index] = value if value is None or type(value) in plain else convert(value)

    def run(self, *, user=None, reason: str = "") -> None:
        """Insert the records (setting their keys) and, for a model with history, their "+" history rows."""
        objs, model, connection = self.objs, self.model, self.connection
        if not objs:
            return
        if not self.fast:
            if _history_model(model) is not None:
                bulk_create_with_history(
                    objs, model, batch_size=self.batch_size, default_user=user, default_change_reason=reason
                )
            else:
                model._default_manager.bulk_create(objs, batch_size=self.batch_size)
            return
        meta, rows = model._meta, self.rows
        returning, returning_params = connection.ops.return_insert_columns([meta.pk])
        max_params = connection.features.max_query_params
        per_row = len(self.fields)
        size = max(1, min(self.batch_size, max_params // per_row if max_params else self.batch_size))
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite" and connection.in_atomic_block:
                keys = _sqlite_insert(
                    cursor, connection, meta, connection.ops.quote_name, self.head, self.placeholder, rows
                )
            else:
                keys = []
                for start in range(0, len(rows), size):
                    chunk = rows[start : start + size]
                    sql = f"{self.head}{', '.join([self.placeholder] * len(chunk))} {returning}"
                    cursor.execute(sql, [value for row in chunk for value in row] + list(returning_params))
                    keys += [key for (key,) in cursor.fetchall()]
        for obj, key in zip(objs, keys, strict=True):
            obj.pk = key
            obj._state.adding = False
            obj._state.db = connection.alias
        if not history_rows_copy(objs, model, keys, user=user, reason=reason):
            history_rows_create(objs, model, history_type="+", user=user, reason=reason)


def sqlite_max_params(connection) -> int:
    """The bound parameters one SQLite statement takes: the library's real limit (32 766 since SQLite 3.32),
    not Django's conservative 999, which would cut 10 000 rows into 450 statements."""
    try:
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except (AttributeError, sqlite3.Error):  # no open connection object, or a Python without getlimit()
        return connection.features.max_query_params or 999


def _sqlite_insert(cursor, connection, meta, quote, head: str, placeholder: str, rows: list) -> list:
    """SQLite: multi-row INSERTs as long as SQLite allows (about 1 400 enterprises per statement).

    One statement per row (``executemany``) is several times slower and grows faster than the rows: every
    statement that writes a full-text index (the enterprise search, crm_search_*, filled by an INSERT
    trigger) makes FTS5 flush its pending terms into a new segment at the statement's savepoint, and the
    segments are merged again and again (3.3 s of CPU for 10 000 enterprises, 15 s for 50 000, against
    0.8 s and 4.6 s in statements of 1 400 rows). The transaction holds SQLite's single write lock from its
    first INSERT to its commit and AUTOINCREMENT keys only grow, so the highest ``len(rows)`` keys are
    these rows', in insertion order; they are checked to be consecutive all the same."""
    per_statement = max(1, sqlite_max_params(connection) // max(1, len(rows[0])))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        cursor.execute(head + ", ".join([placeholder] * len(chunk)), [value for row in chunk for value in row])
    pk = quote(meta.pk.column)
    cursor.execute(f"SELECT {pk} FROM {quote(meta.db_table)} ORDER BY {pk} DESC LIMIT %s", [len(rows)])
    keys = sorted(key for (key,) in cursor.fetchall())
    if len(keys) != len(rows) or keys[-1] - keys[0] != len(rows) - 1:
        raise DatabaseError("The new rows' keys could not be read back.")
    return keys


class RowsUpdate:
    """Fields ``names`` of existing ``objs`` with their parameters built now, written by ``run`` (their history
    rows are ``HistoryRows``'). Built outside the writing transaction, like ``RowsInsert``.

    Django's ``bulk_update()`` compiles a CASE WHEN per field and row (~30 s for 10 000 enterprises); here
    the values go out as plain parameters, in primary-key order. SQLite: ``UPDATE … FROM (VALUES …)`` with
    as many rows per statement as SQLite allows, for the reason ``_sqlite_insert`` gives (the enterprise
    search index's UPDATE trigger made one statement per row cost 6.6 s of CPU for 10 000 rows). Other
    databases: one parameterised UPDATE run with ``executemany``."""

    def __init__(self, objs: list, model, names: list[str]) -> None:
        self.model = model
        self.connection = connection = connections[router.db_for_write(model)]
        self.fields = [model._meta.get_field(name) for name in dict.fromkeys(names)]
        converters = [(value_converter(f, connection), f.attname) for f in self.fields]
        self.params = [
            [convert(getattr(obj, attname)) for convert, attname in converters] + [obj.pk]
            for obj in sorted(objs, key=lambda obj: obj.pk)
        ]

    def run(self) -> None:
        if not self.params:
            return
        connection, model_fields, params = self.connection, self.fields, self.params
        quote = connection.ops.quote_name
        table, pk = quote(self.model._meta.db_table), quote(self.model._meta.pk.column)
        with connection.cursor() as cursor:
            if connection.vendor != "sqlite":
                assignments = ", ".join(f"{quote(f.column)} = %s" for f in model_fields)
                cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", params)
                return
            # VALUES columns are called column1, column2, … in SQLite; the key is the last one.
            assignments = ", ".join(f"{quote(f.column)} = v.column{i}" for i, f in enumerate(model_fields, start=1))
            width = len(model_fields) + 1
            placeholder = "(" + ", ".join(["%s"] * width) + ")"
            per_statement = max(1, sqlite_max_params(connection) // width)
            for start in range(0, len(params), per_statement):
                chunk = params[start : start + per_statement]
                cursor.execute(
                    f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([placeholder] * len(chunk))}) AS v "
                    f"WHERE {table}.{pk} = v.column{width}",
                    [value for row in chunk for value in row],
                )


class HistoryRows:
    """One history row per object, as simple_history's ``bulk_history_create`` writes it, with the parameters
    built now and written by ``run`` with one executemany. For a history model with fields this module does not
    know, ``run`` leaves the update's "~" rows to simple_history (``bulk_update_with_history``)."""

    def __init__(
        self, objs: list, model, *, history_type: str, user=None, reason: str = "", batch_size: int = 1000, now=None
    ):
        self.objs, self.model, self.user, self.reason, self.batch_size = objs, model, user, reason, batch_size
        self.now = now or timezone.now()  # the history date of every row (an undo finds the rows by it)
        self.history = history = _history_model(model)
        self.rows: list[list] = []
        self.fields = None
        self.skip = history is None or not objs or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
        if self.skip:
            return
        self.fields = fields = _history_fields(history)
        if fields is None:
            return
        connection = connections[router.db_for_write(history)]
        now = self.now
        converters = [value_converter(f, connection) for f in fields]
        for obj in objs:
            history_user = getattr(obj, "_history_user", user or history.get_default_history_user(obj))
            special = {
                "history_date": getattr(obj, "_history_date", now),
                "history_change_reason": get_change_reason_from_object(obj) or reason,
                "history_type": history_type,
                "history_user_id": getattr(history_user, "pk", history_user),
                "history_relation_id": obj.pk,
            }
            self.rows.append(
                [
                    convert(special[f.attname] if f.attname in special else getattr(obj, f.attname))
                    for convert, f in zip(converters, fields, strict=True)
                ]
            )

    def run(self) -> None:
        if self.skip:
            return
        if self.fields is None:
            bulk_update_with_history(
                self.objs,
                self.model,
                [],
                batch_size=self.batch_size,
                default_user=self.user,
                default_change_reason=self.reason,
            )
            return
        connection = connections[router.db_for_write(self.history)]
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(self.history._meta.db_table)} ({', '.join(quote(f.column) for f in self.fields)}) "
            f"VALUES ({', '.join(['%s'] * len(self.fields))})"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, self.rows)


def history_rows_create(objs: list, model, *, history_type: str, user=None, reason: str = "", now=None) -> None:
    """One history row per object, as simple_history's ``bulk_history_create`` writes it, with executemany."""
    rows = HistoryRows(objs, model, history_type=history_type, user=user, reason=reason, now=now)
    if rows.fields is not None:
        rows.run()


_HISTORY_OVERRIDES = ("_history_user", "_history_date", "_change_reason")


def history_rows_copy(objs: list, model, keys: list, *, user=None, reason: str = "") -> bool:
    """The "+" history rows of records ``RowsInsert`` has just inserted, copied by the database itself:
    ``INSERT INTO <history> SELECT … FROM <table> WHERE pk IN (…)``. The rows hold exactly what was inserted
    (written by this transaction a moment ago), so the history row is what ``history_rows_create`` would write
    from the objects, without converting every value in Python again (a tenth of the import's time).

    Returns False, writing nothing, when the rows cannot be copied: history switched off or unknown history
    fields (``history_rows_create`` decides), no user given (simple_history's default user is asked per
    object), or an object carrying its own history user, date or change reason."""
    history = _history_model(model)
    if history is None or not objs or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return False
    fields = _history_fields(history)
    if fields is None or user is None:
        return False
    if any(hasattr(obj, name) for obj in objs for name in _HISTORY_OVERRIDES):
        return False
    connection = connections[router.db_for_write(history)]
    if connection.alias != router.db_for_write(model):
        return False
    meta = model._meta
    quote = connection.ops.quote_name
    pk = f"src.{quote(meta.pk.column)}"
    special = {
        "history_date": timezone.now(),
        "history_change_reason": reason,
        "history_type": "+",
        "history_user_id": getattr(user, "pk", user),
    }
    selected, params = [], []
    for field in fields:
        if field.attname in special:
            selected.append("%s")
            params.append(value_converter(field, connection)(special[field.attname]))
        elif field.attname == "history_relation_id":
            selected.append(pk)
        else:
            try:
                source = meta.get_field(field.name)
            except Exception:  # a history field without a field of that name on the model
                return False
            if source.attname != field.attname or not source.concrete:
                return False
            selected.append(f"src.{quote(source.column)}")
    head = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"SELECT {', '.join(selected)} FROM {quote(meta.db_table)} AS src WHERE {pk} IN "
    )
    if connection.vendor == "sqlite":
        per_statement = max(1, sqlite_max_params(connection) - len(params))
    else:
        per_statement = max(1, (connection.features.max_query_params or 10_000) - len(params))
    with connection.cursor() as cursor:
        for start in range(0, len(keys), per_statement):
            chunk = keys[start : start + per_statement]
            cursor.execute(f"{head}({', '.join(['%s'] * len(chunk))}) ORDER BY {pk}", [*params, *chunk])
    return True


def links_delete(through, pks: list, *, user=None, reason: str = "", now=None) -> None:
    """Delete through-table rows (many-to-many links an update removes). A through model with history
    (企业资质) gets its "-" history rows in one executemany and a single DELETE, instead of a history record
    saved per link by simple_history's post_delete (13 s for 2 600 links). Anything else, or a through model
    other rows refer to, is deleted by the ORM."""
    if not pks:
        return
    queryset = through._default_manager.filter(pk__in=pks)
    history = _history_model(through)
    if history is None or _history_fields(history) is None or through._meta.related_objects:
        queryset.delete()
        return
    connection = connections[router.db_for_write(through)]
    history_rows_create(list(queryset), through, history_type="-", user=user, reason=reason, now=now)
    quote = connection.ops.quote_name
    pk = quote(through._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(through._meta.db_table)} WHERE {pk} IN ({', '.join(['%s'] * len(pks))})", list(pks)
        )

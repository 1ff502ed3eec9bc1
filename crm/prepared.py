"""Queries of every request compiled to SQL once (the framework floor, issue 18).

Building and compiling a queryset costs the ORM far more than SQLite takes to answer it: ``select_related`` of the
signed-in user with its bureau and department spends ~0.5 ms in Python for a statement the database answers in
~0.04 ms, and every page and endpoint pays it. ``Prepared`` keeps the ORM's own SQL of a queryset of a fixed shape
(compiled on first use, per thread and database) and runs it with new parameter values; the rows become objects
through the ORM's own machinery (its converters and ``select_related`` populators, as ``ModelIterable`` does).
The statement is the ORM's, so it is the same on every backend, and it runs through Django's cursor (query logging
and ``django_assert_num_queries`` see it).

Parameters are the values a queryset compares with ``=``, ints or strings, which the ORM passes to the database
unchanged, or dates (as the database adapts them): ``build`` receives a distinct sample of each and the compiled
statement's parameters must hold each sample exactly once (with ``repeated``: at least once, each place taking the
value). The samples are this module's (``SAMPLE_KEY`` and friends); a user in a statement built once per shape of
user is a ``crm.selectors.scope.SampleUser``.

A statement of a shape known in advance is a module's constant; one per shape met at run time (a page length, a
kind of user) is kept in a ``Statements`` store, the one registry of them (bounded, ``STATEMENTS_LIMIT``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

# The sample values statements of a fixed shape are built with (``Prepared``'s samples), the one set of them: distinct
# from each other and from any key, code or day a query compares with. Keys: ``SAMPLE_KEY`` and ``sample_keys(n)``
# (``Prepared.for_keys``; a user's key, bureau and department: ``sample_keys(3)``).
SAMPLE_KEY = -(2**40)
SAMPLE_REGION = "\x00region"  # a region's code
SAMPLE_SCOPE = "\x00scope"  # the region of a user's scope, where a statement also holds a region asked for
SAMPLE_DAYS = (dt.date(1901, 1, 1), dt.date(1901, 1, 2))


def sample_keys(count: int) -> tuple[int, ...]:
    """``count`` distinct sample keys, ``SAMPLE_KEY`` first."""
    return tuple(SAMPLE_KEY - i for i in range(count))


# How many entries a ``Statements`` store keeps at the most (the one bound of every store).
STATEMENTS_LIMIT = 256
_MISSING = object()
_T = TypeVar("_T")


class Statements(dict):
    """What a module compiles once per shape of a query and keeps: its ``Prepared`` statements (or ``None``: the
    shape cannot be prepared), raw ``(sql, params)``, keyed by what fixes the SQL (a shape, a number of keys). The
    one store of them: a dict with one way to fill it (``once``, ``keep``) and one bound.

    Bounded: a store holding ``STATEMENTS_LIMIT`` entries is emptied before it keeps another (what was in it is
    compiled again when used again), so a process meeting shape after shape (page lengths, edited policies, days)
    does not grow without end; a process's usual shapes are far fewer. Emptied, not trimmed: nothing to do on a hit.

    Thread safety: a store is shared by the threads of a process. Reading and keeping an entry are one dict
    operation each (atomic under the GIL); two threads missing the same key both make it and the last one kept
    stays: the values are equivalent. A kept ``Prepared`` compiles per thread and database (it is safe to share)."""

    __slots__ = ()

    def once(self, key, make: Callable[[], _T]) -> _T:
        """The entry of ``key``: the one kept, or ``make()``, kept (nothing is kept when ``make`` raises)."""
        found = self.get(key, _MISSING)
        if found is _MISSING:
            found = make()
            self.keep(key, found)
        return found

    def keep(self, key, value) -> None:
        """Keep ``value`` for ``key`` (replacing the entry of ``key``), within ``STATEMENTS_LIMIT``."""
        if len(self) >= STATEMENTS_LIMIT and key not in self:
            self.clear()
        self[key] = value


class Prepared:
    """A queryset of a fixed shape (``build(*params)``), compiled once per thread and database: ``prepared(*values)``
    returns its rows (model instances, or tuples for ``values_list``) for the parameter values ``values``."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *samples: int | str | dt.date,
        repeated: bool = False,
        plan_once: bool = False,
    ):
        if len(set(samples)) != len(samples):
            raise ValueError("Prepared needs a distinct sample value per parameter.")
        self.build = build
        self.samples = samples
        self.repeated = repeated  # a parameter may stand in several places (a user's id in each part of a union)
        # Run through plan_once_cursor (below): only for a statement whose plan depends little on its values.
        self.plan_once = plan_once
        self._local = threading.local()

    @classmethod
    def for_keys(cls, build: Callable[..., QuerySet], count: int, *, plan_once: bool = False) -> Prepared:
        """``build(*keys)`` over ``count`` integer keys (a page's ``IN`` list), prepared: one statement per length,
        which the caller keeps (the API's related rows, the web lists' people)."""
        return cls(build, *sample_keys(count), plan_once=plan_once)

    def _compile(self, alias: str):
        queryset = self.build(*self.samples)
        if isinstance(queryset, tuple):  # a raw statement: its rows as they come
            sql, params = queryset
            return sql, list(params), self._positions(sql, list(params), alias), None, None, None
        if queryset._iterable_class not in (ModelIterable, ValuesListIterable) or queryset._prefetch_related_lookups:
            raise ValueError("Prepared runs a plain model or values_list queryset (no prefetch_related).")
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        positions = self._positions(sql, params, alias)
        # The converters of the selected columns (as results_iter finds them on every call): fixed by the statement.
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise ValueError("Prepared does not run statements selecting composite fields.")
        converters = compiler.get_converters(fields)
        klass_info = compiler.klass_info
        if queryset._iterable_class is ModelIterable:
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            init_list = [column[0].target.attname for column in compiler.select[start:end]]
            populators = get_related_populators(klass_info, compiler.select, alias)
            # Annotations become attributes of the object, as ModelIterable sets them.
            annotations = tuple(compiler.annotation_col_map.items())
            model = klass_info["model"]
            builders = _builders(model, init_list, populators)
            shape = (model, start, end, init_list, populators, annotations, builders)
        else:
            shape = None
        return sql, params, positions, compiler, converters, shape

    def _positions(self, sql: str, params: list, alias: str) -> list[list[int]]:
        """The places of each sample among the statement's parameters."""
        positions = []
        for sample in self.samples:
            sample = _adapted(sample, alias)
            found = [i for i, p in enumerate(params) if type(p) is type(sample) and p == sample]
            if not found or (len(found) > 1 and not self.repeated):
                raise ValueError(f"The compiled statement must hold the parameter {sample!r} exactly once: {sql}")
            positions.append(found)
        return positions

    def _compiled(self, using: str):
        compiled = getattr(self._local, using, None)
        if compiled is None:
            compiled = self._compile(using)
            setattr(self._local, using, compiled)
        return compiled

    def sql(self, *values: int | str, using: str = "default") -> tuple[str, list]:
        """The statement and its parameters for ``values``, to run inside another one (e.g. a ``RawSQL`` subquery)."""
        sql, params, positions, _compiler, _converters, _shape = self._compiled(using)
        params = list(params)
        for places, value in zip(positions, values, strict=True):
            value = _adapted(value, using)
            for position in places:
                params[position] = value
        return sql, params

    def __call__(self, *values: int | str, using: str = "default") -> list:
        sql, params = self.sql(*values, using=using)
        _sql, _params, _positions, compiler, converters, shape = self._compiled(using)
        connection = connections[using]
        with plan_once_cursor(connection) if self.plan_once else connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return []
        if converters:
            rows = compiler.apply_converters(rows, converters)
        if shape is None:
            return [tuple(row) for row in rows]
        model, start, end, init_list, populators, annotations, builders = shape
        if builders is not None and _signalled(builders[1]):
            builders = None  # a receiver of ``pre_init``/``post_init``: every row through ``Model.__init__``
        objects = []
        for row in rows:
            if builders is None:
                obj = model.from_db(using, init_list, row[start:end])
                for populator in populators:
                    populator.populate(row, obj)
            else:
                obj = builders[0](using, row[start:end])
                for populator in populators:
                    _populate(populator, row, obj, using)
            for attr_name, position in annotations:
                setattr(obj, attr_name, row[position])
            objects.append(obj)
        return objects


# --- rows into model instances: what ``Model.from_db`` makes, without ``Model.__init__``'s loop --------------------
#
# ``Model.__init__`` sends two signals and sets each column through ``setattr`` and the field's descriptor, for every
# row and every joined row (~100 instances on a page of needs with their enterprise, project, department, handler
# and bureau): most of a page's loading on SQLite. For a model that adds nothing to that (no ``__init__``,
# ``__setattr__`` or ``from_db`` of its own, plain column descriptors, no receiver of ``pre_init``/``post_init``) the
# instance is the same when its state and columns are written into its ``__dict__`` directly, in the same order.

# Column descriptors that keep a value set on a new instance as it is (the foreign key's only drops a cached related
# row, which a new instance has not).
_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)
# The builders, per model and columns (None: through ``from_db``).
_BUILDERS = Statements()


def _builder(model: type[Model], init_list) -> Callable | None:
    """``build(db, values)``: ``model.from_db(db, init_list, values)`` for rows read from the database, or None when
    ``model`` may do more in ``__init__`` than set its columns (it then goes through ``from_db``). Made once per
    model and columns."""
    return _BUILDERS.once((model, tuple(init_list)), lambda: _made_builder(model, init_list))


def _made_builder(model: type[Model], init_list) -> Callable | None:
    fields = model._meta.concrete_fields
    # ``from_db``: all the columns in their order, or those named (the others deferred: not set at all).
    attnames = tuple(field.attname for field in fields if len(init_list) == len(fields) or field.attname in init_list)
    own = [klass for klass in model.__mro__ if klass not in (Model, object)]
    plain = (
        model.from_db.__func__ is Model.from_db.__func__
        and not any("__init__" in vars(klass) or "__setattr__" in vars(klass) for klass in own)
        and len(attnames) == len(init_list)
        and all(type(_class_attribute(model, name)) in _PLAIN_DESCRIPTORS for name in attnames)
    )
    build = None
    if plain:
        new = object.__new__

        def build(db, values):
            obj = new(model)
            state = ModelState()
            state.adding = False
            state.db = db
            values_of = obj.__dict__
            values_of["_state"] = state
            values_of.update(zip(attnames, values, strict=True))
            return obj

    return build


def instance_builder(model: type[Model], init_list) -> Callable:
    """``build(db, values)``: the instance ``model.from_db(db, init_list, values)`` makes of a row read from the
    database, written into its ``__dict__`` where the model allows it (``_builder``; no receiver of ``pre_init`` or
    ``post_init`` now), else through ``from_db``. For a caller building rows of its own statement (the people of a
    page: ``crm.selectors.rows.people_prefetch``)."""
    build = _builder(model, init_list)
    if build is None or _signalled((model,)):
        init_list = list(init_list)
        return lambda db, values: model.from_db(db, init_list, values)
    return build


def _class_attribute(model: type, name: str):
    for klass in model.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


def _builders(model, init_list, populators) -> tuple[Callable, tuple[type, ...]] | None:
    """The builder of the statement's model and the models its populators make (the builders of which hang on
    them, ``_populate``), or None when one of them cannot be built without ``from_db``."""
    build = _builder(model, init_list)
    models = [model]
    pending = list(populators)
    while pending:
        populator = pending.pop()
        populator.crm_build = _builder(populator.model_cls, populator.init_list)
        if populator.crm_build is None:
            return None
        models.append(populator.model_cls)
        pending.extend(populator.related_populators)
    return None if build is None else (build, tuple(set(models)))


def _signalled(models) -> bool:
    return any(pre_init.has_listeners(model) or post_init.has_listeners(model) for model in models)


def _populate(populator, row, from_obj, db) -> None:
    """``RelatedPopulator.populate`` with the populator's builder (``_builders``) for ``from_db``."""
    if populator.reorder_for_init:
        obj_data = populator.reorder_for_init(row)
    else:
        obj_data = row[populator.cols_start : populator.cols_end]
    if obj_data[populator.pk_idx] is None:
        obj = None
    else:
        obj = populator.crm_build(db, obj_data)
        for inner in populator.related_populators:
            _populate(inner, row, obj, db)
    populator.local_setter(from_obj, obj)
    if obj is not None:
        populator.remote_setter(obj, from_obj)


def plan_once_cursor(connection):
    """A cursor for statements of every request whose plan depends little on their values (a row by a unique key, a
    user's own rows by indexed keys): on PostgreSQL ``connection.plan_once_cursor()`` (config/postgresql/base.py:
    prepared on the server and parsed once per connection; after five executions PostgreSQL keeps its generic plan
    where that is estimated no dearer than the plans made for the values, and plans per value otherwise), elsewhere
    ``connection.cursor()``. Not for a search (``LIKE '%…%'`` by a trigram index): its generic plan misleads."""
    make = getattr(connection, "plan_once_cursor", None)
    return make() if make is not None else connection.cursor()


@contextmanager
def statements_run(using: str) -> Iterator[list[tuple[str, tuple]]]:
    """The statements the ORM runs on database ``using`` inside the block, ``(sql, params)`` as it ran them: for a
    statement the ORM writes only as it runs it (``aggregate()`` wraps the query in its own), to keep and run again
    as it is (the ORM's text, run once: compiling it through ``Prepared`` would run it twice the first time)."""
    ran: list[tuple[str, tuple]] = []

    def keep(execute, sql, params, many, context):
        ran.append((sql, tuple(params)))
        return execute(sql, params, many, context)

    with connections[using].execute_wrapper(keep):
        yield ran


def _adapted(value, alias: str):
    """A date or a datetime as the database's parameters hold it (SQLite: its ISO text, a datetime's in UTC), any
    other value as it is."""
    if type(value) is dt.date:
        return connections[alias].ops.adapt_datefield_value(value)
    if type(value) is dt.datetime:
        return connections[alias].ops.adapt_datetimefield_value(value)
    return value

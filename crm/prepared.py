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
value).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

# Keys stand in for these samples when a statement over n keys is compiled (``Prepared.for_keys``): distinct, and
# no key or other value of a query.
SAMPLE_KEY = -(2**40)


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
        # Run through plan_once_cursor (below): only for a statement whose best plan is the same for every value.
        self.plan_once = plan_once
        self._local = threading.local()

    @classmethod
    def for_keys(cls, build: Callable[..., QuerySet], count: int) -> Prepared:
        """``build(*keys)`` over ``count`` integer keys (a page's ``IN`` list), prepared: one statement per length,
        which the caller keeps (the API's related rows, the web lists' people)."""
        return cls(build, *(SAMPLE_KEY - i for i in range(count)))

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
            shape = (klass_info["model"], start, end, init_list, populators, annotations)
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
        model, start, end, init_list, populators, annotations = shape
        objects = []
        for row in rows:
            obj = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for attr_name, position in annotations:
                setattr(obj, attr_name, row[position])
            objects.append(obj)
        return objects


def plan_once_cursor(connection):
    """A cursor for statements of every request whose best plan is the same for every value (a row by a unique key):
    on PostgreSQL ``connection.plan_once_cursor()`` (config/postgresql/base.py: prepared on the server, parsed and
    planned once per connection), elsewhere ``connection.cursor()``."""
    make = getattr(connection, "plan_once_cursor", None)
    return make() if make is not None else connection.cursor()


def _adapted(value, alias: str):
    """A date as the database's parameters hold it (SQLite: its ISO text), any other value as it is."""
    if type(value) is dt.date:
        return connections[alias].ops.adapt_datefield_value(value)
    return value

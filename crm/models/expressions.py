"""Database expressions the models store (generated columns), one home for each rule they compute.

``LocalDateOnOrBefore(moment, day)``: the local date (``settings.TIME_ZONE``) of the datetime column ``moment``
is on or before the date column ``day``, NULL while either is unset. Stored per row by the database
(``GeneratedField``), so every write path (services, imports, bulk inserts) keeps it right without code, and
the dashboard counts the needs closed or accepted in time with one index-only GROUP BY (DESIGN §8.5, §11.4).

A stored column must be immutable, so the zone's UTC offset is fixed in the expression: ``LOCAL_OFFSET`` is the
offset of ``settings.TIME_ZONE`` when it is the same all year (Asia/Shanghai, +08:00), else None (readers then
compute the comparison at query time, ``crm.selectors.dashboard``).
"""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db.models import BooleanField, F, Func


def _fixed_offset_seconds(zone_name: str) -> int | None:
    zone = zoneinfo.ZoneInfo(zone_name)
    offsets = {dt.datetime(2000, month, 1, tzinfo=zone).utcoffset() for month in (1, 7)}
    return int(offsets.pop().total_seconds()) if len(offsets) == 1 else None


LOCAL_OFFSET: int | None = _fixed_offset_seconds(settings.TIME_ZONE)


class LocalDateOnOrBefore(Func):
    """``local date of moment <= day`` with the local zone's fixed UTC offset ``offset`` (seconds)."""

    output_field = BooleanField(null=True)

    def __init__(self, moment: str, day: str, *, offset: int):
        if not 0 <= offset < 86400:
            # The SQLite form compares with the next local midnight in UTC text, which is on ``day`` itself.
            raise ValueError("LocalDateOnOrBefore needs a UTC offset from +00:00 to +23:59.")
        self.offset = offset
        super().__init__(F(moment), F(day))

    def as_sqlite(self, compiler, connection, **extra_context):
        # Datetimes are stored as UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]', whose text order is time order: the
        # moment is on or before ``day`` (local) when it is before the next local midnight, ``day`` + (24 h -
        # offset) in UTC ("24:00:00" sorts after every time of ``day``).
        hours, rest = divmod(86400 - self.offset, 3600)
        threshold = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
        template = f"(%(expressions)s || ' {threshold}')"
        return Func.as_sql(self, compiler, connection, template=template, arg_joiner=" < ", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        # timezone(interval, timestamptz) and the cast to date are immutable (a zone name would not be).
        moment, day = self.get_source_expressions()
        moment_sql, moment_params = compiler.compile(moment)
        day_sql, day_params = compiler.compile(day)
        sql = f"(({moment_sql} AT TIME ZONE INTERVAL '{self.offset:+d} seconds')::date <= {day_sql})"
        return sql, (*moment_params, *day_params)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError(f"LocalDateOnOrBefore is written for SQLite and PostgreSQL, not {connection.vendor}.")

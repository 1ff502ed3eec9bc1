"""Request counters of the API throttles (crm.api.throttles), shared by every process through the database.

One row per client key (``throttle_user_6``, ``throttle_anon_10.0.0.1``, ...): the hits of the current window and
of the window before, which the throttle weighs into a sliding-window estimate. A request costs one statement
(an upsert that returns both counts) instead of the six a ``DatabaseCache`` get-and-set of DRF's history list
took; rows of clients gone quiet are culled now and then, not on every request. On PostgreSQL the table is
UNLOGGED (migration 0032): the commit does not wait for a WAL flush, and a crash only resets the counts.
"""

import random

from django.db import connections, models
from django.utils.translation import gettext_lazy as _

from crm.prepared import plan_once_cursor

# One request in this many also deletes the expired rows (a client's row expires two windows after its last hit);
# 0: never (the test suite's setting, so that a random cull never adds a statement to a query count).
CULL_EVERY = 1000


class ThrottleCounterManager(models.Manager):
    def hit(self, *, key: str, window: int, now: float) -> tuple[int, int]:
        """Count one hit for ``key`` in the ``window``-second window containing ``now``; returns the hits of that
        window (this one included) and of the window before. One statement: concurrent hits never lose a count."""
        period = int(now // window)
        connection = connections[self.db]
        q = connection.ops.quote_name
        table = q(self.model._meta.db_table)
        key_col, period_col, hits_col, previous_col, expires_col = (
            q("key"),
            q("period"),
            q("hits"),
            q("previous_hits"),
            q("expires"),
        )
        # The SET expressions all read the row as it was. A late hit from an earlier window (clock skew between
        # machines) counts in the row's current window.
        sql = (
            f"INSERT INTO {table} ({key_col}, {period_col}, {hits_col}, {previous_col}, {expires_col}) "
            "VALUES (%s, %s, 1, 0, %s) "
            f"ON CONFLICT ({key_col}) DO UPDATE SET "
            f"{hits_col} = CASE WHEN {table}.{period_col} >= EXCLUDED.{period_col} "
            f"THEN {table}.{hits_col} + 1 ELSE 1 END, "
            f"{previous_col} = CASE WHEN {table}.{period_col} >= EXCLUDED.{period_col} THEN {table}.{previous_col} "
            f"WHEN {table}.{period_col} = EXCLUDED.{period_col} - 1 THEN {table}.{hits_col} ELSE 0 END, "
            f"{period_col} = CASE WHEN {table}.{period_col} >= EXCLUDED.{period_col} "
            f"THEN {table}.{period_col} ELSE EXCLUDED.{period_col} END, "
            f"{expires_col} = CASE WHEN {table}.{period_col} >= EXCLUDED.{period_col} "
            f"THEN {table}.{expires_col} ELSE EXCLUDED.{expires_col} END "
            f"RETURNING {hits_col}, {previous_col}"
        )
        with plan_once_cursor(connection) as cursor:  # every API request: parsed and planned once per connection
            cursor.execute(sql, [key, period, (period + 2) * window])
            hits, previous = cursor.fetchone()
        if CULL_EVERY and random.randrange(CULL_EVERY) == 0:
            self.cull(now=now)
        return hits, previous

    def unhit(self, *, key: str, window: int, now: float) -> None:
        """Take back the hit of a refused request (a client over its rate is not kept out by its own refusals)."""
        self.filter(key=key, period=int(now // window), hits__gt=0).update(hits=models.F("hits") - 1)

    def cull(self, *, now: float) -> int:
        """Delete the rows whose client made no request for two windows."""
        deleted, _rows = self.filter(expires__lt=now).delete()
        return deleted


class ThrottleCounter(models.Model):
    """Hits of one client key in the current and the previous throttle window (see the module docstring)."""

    key = models.CharField(
        _("key"),
        max_length=255,
        primary_key=True,
    )
    period = models.BigIntegerField(
        _("window number"),
        help_text=_("Seconds since the epoch divided by the window length."),
    )
    hits = models.PositiveIntegerField(
        _("hits in the window"),
        default=0,
    )
    previous_hits = models.PositiveIntegerField(
        _("hits in the window before"),
        default=0,
    )
    expires = models.BigIntegerField(
        _("expires"),
        help_text=_("Seconds since the epoch after which the row may be deleted."),
    )

    objects = ThrottleCounterManager()

    class Meta:
        verbose_name = _("throttle counter")
        verbose_name_plural = _("throttle counters")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"

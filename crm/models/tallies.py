"""Tallies the database keeps for the leaders' dashboard (DESIGN §8.5, §11.4), so that it reads a few thousand
tally rows instead of every answered need.

``AnswerTally``: the answered needs counted by (the local date their clock started, the local date they were
answered), once from arrival (``created``: every answered need) and once from assignment (``assigned``: the
answered needs that were assigned). The dashboard's average working days to answer are then
``Σ forward·(C(answered_on) − C(day)) / Σ answered`` with ``C`` the working-day count of the calendar
(crm/workdays.py): a holiday edit changes ``C``, not the tallies, so nothing goes stale.

Triggers on ``crm_need`` (``tally_triggers_sql``, installed by migration 0025) keep the rows right on every write
path: services, imports, ``update()``, bulk inserts, deletes. ``tally_rebuild_sql`` recounts them from the needs
(the migration and ``manage.py tallies_rebuild``). The local date uses the fixed UTC offset of
``settings.TIME_ZONE`` (``LOCAL_OFFSET``), as the need's generated clock flags do.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.choices import AnswerTallyKind


class AnswerTally(models.Model):
    """Answered needs whose clock started on ``day`` and that were answered on ``answered_on`` (local dates)."""

    kind = models.CharField(_("kind"), max_length=10, choices=AnswerTallyKind.choices)
    day = models.DateField(_("clock started on"))
    answered_on = models.DateField(_("answered on"))
    answered = models.IntegerField(_("answered"), default=0)
    # Of those, answered at or after the clock started (the others count 0 working days).
    forward = models.IntegerField(_("answered after the start"), default=0)

    class Meta:
        verbose_name = _("answer tally")
        verbose_name_plural = _("answer tallies")
        ordering = ["kind", "answered_on", "day"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "answered_on", "day"], name="crm_answertally_key"),
        ]
        # The dashboard's sums by answer date and by start date, each read from its index alone, in its order.
        indexes = [
            models.Index(fields=["kind", "answered_on", "answered", "forward"], name="crm_answertally_end_idx"),
            models.Index(fields=["kind", "day", "forward"], name="crm_answertally_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.day} → {self.answered_on}: {self.answered}"


TABLE = "crm_answertally"
_COLUMNS = f"{TABLE} (kind, day, answered_on, answered, forward)"
_UPSERT = (
    f"ON CONFLICT (kind, answered_on, day) DO UPDATE SET answered = {TABLE}.answered + excluded.answered, "
    f"forward = {TABLE}.forward + excluded.forward"
)


def _local_date(vendor: str, column: str, offset: int) -> str:
    """The SQL of the local date of a datetime column: the expression ``crm.selectors.dashboard._local_date``
    writes for a fixed offset."""
    if vendor == "sqlite":
        return f"date({column}, '{offset:+d} seconds')"
    return f"(({column}) AT TIME ZONE INTERVAL '{offset:+d} seconds')::date"


def _forward(vendor: str, end: str, start: str) -> str:
    return f"({end} >= {start})" if vendor == "sqlite" else f"({end} >= {start})::int"


def _contributions(vendor: str, row: str, sign: int, offset: int) -> list[tuple[str, str]]:
    """``(condition, INSERT … ON CONFLICT)`` adding ``sign`` times the row ``row`` (NEW or OLD) to the tallies."""
    answered = _local_date(vendor, f"{row}.answered_at", offset)
    statements = []
    for kind, start, condition in (
        (AnswerTallyKind.CREATED, f"{row}.created_at", f"{row}.answered_at IS NOT NULL"),
        (
            AnswerTallyKind.ASSIGNED,
            f"{row}.assigned_at",
            f"{row}.answered_at IS NOT NULL AND {row}.assigned_at IS NOT NULL",
        ),
    ):
        values = (
            f"'{kind.value}', {_local_date(vendor, start, offset)}, {answered}, {sign}, "
            f"{sign} * {_forward(vendor, f'{row}.answered_at', start)}"
        )
        statements.append((condition, f"INSERT INTO {_COLUMNS} SELECT {values} WHERE {condition} {_UPSERT};"))
    return statements


TRIGGERS = ("crm_need_tally_insert", "crm_need_tally_delete", "crm_need_tally_update")
_CHANGED = (
    "OLD.created_at IS NOT NEW.created_at OR OLD.answered_at IS NOT NEW.answered_at "
    "OR OLD.assigned_at IS NOT NEW.assigned_at"
)


def tally_triggers_sql(vendor: str, offset: int) -> list[str]:
    """The statements creating the triggers of ``crm_need`` that keep ``AnswerTally`` (SQLite or PostgreSQL)."""
    if vendor == "sqlite":
        add = " ".join(sql for _condition, sql in _contributions(vendor, "NEW", 1, offset))
        remove = " ".join(sql for _condition, sql in _contributions(vendor, "OLD", -1, offset))
        return [
            f"CREATE TRIGGER crm_need_tally_insert AFTER INSERT ON crm_need BEGIN {add} END;",
            f"CREATE TRIGGER crm_need_tally_delete AFTER DELETE ON crm_need BEGIN {remove} END;",
            "CREATE TRIGGER crm_need_tally_update AFTER UPDATE OF created_at, answered_at, assigned_at ON crm_need "
            f"WHEN {_CHANGED} BEGIN {remove} {add} END;",
        ]
    add = " ".join(sql for _condition, sql in _contributions(vendor, "NEW", 1, offset))
    remove = " ".join(sql for _condition, sql in _contributions(vendor, "OLD", -1, offset))
    return [
        "CREATE FUNCTION crm_need_tally() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {remove} END IF; "
        f"IF TG_OP <> 'DELETE' THEN {add} END IF; "
        "RETURN NULL; END $$;",
        "CREATE TRIGGER crm_need_tally_insert AFTER INSERT OR DELETE ON crm_need "
        "FOR EACH ROW EXECUTE FUNCTION crm_need_tally();",
        "CREATE TRIGGER crm_need_tally_update AFTER UPDATE OF created_at, answered_at, assigned_at ON crm_need "
        f"FOR EACH ROW WHEN ({_CHANGED.replace(' IS NOT ', ' IS DISTINCT FROM ')}) "
        "EXECUTE FUNCTION crm_need_tally();",
    ]


def tally_triggers_drop_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name};" for name in TRIGGERS]
    return [
        "DROP TRIGGER IF EXISTS crm_need_tally_insert ON crm_need;",
        "DROP TRIGGER IF EXISTS crm_need_tally_update ON crm_need;",
        "DROP FUNCTION IF EXISTS crm_need_tally();",
    ]


def tally_rebuild_sql(vendor: str, offset: int) -> list[str]:
    """The statements recounting ``AnswerTally`` from the needs (in one transaction: the caller's)."""
    parts = []
    for kind, start, condition in (
        (AnswerTallyKind.CREATED, "created_at", "answered_at IS NOT NULL"),
        (AnswerTallyKind.ASSIGNED, "assigned_at", "answered_at IS NOT NULL AND assigned_at IS NOT NULL"),
    ):
        forward = f"SUM(CASE WHEN answered_at >= {start} THEN 1 ELSE 0 END)"
        parts.append(
            f"SELECT '{kind.value}', {_local_date(vendor, start, offset)}, "
            f"{_local_date(vendor, 'answered_at', offset)}, COUNT(*), {forward} "
            f"FROM crm_need WHERE {condition} GROUP BY 2, 3"
        )
    return [f"DELETE FROM {TABLE};", f"INSERT INTO {_COLUMNS} {' UNION ALL '.join(parts)};"]


def tally_triggers_count_sql(vendor: str) -> str | None:
    """A scalar query counting the triggers that keep the tallies: ``TRIGGERS_EXPECTED[vendor]`` while they are in
    place (a later migration rebuilding ``crm_need`` on SQLite would drop them: readers then count from the needs,
    and ``manage.py tallies_rebuild`` puts them back). Readers add it to their tally query (no query of its own)."""
    names = ", ".join(f"'{name}'" for name in TRIGGERS)
    if vendor == "sqlite":
        return (
            f"SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'crm_need' AND name IN ({names})"
        )
    if vendor == "postgresql":
        return f"SELECT COUNT(*) FROM pg_trigger WHERE tgrelid = 'crm_need'::regclass AND tgname IN ({names})"
    return None


TRIGGERS_EXPECTED = {"sqlite": 3, "postgresql": 2}


def tally_triggers_present(connection) -> bool:
    """Whether the triggers keeping the tallies are in place (one query)."""
    sql = tally_triggers_count_sql(connection.vendor)
    if sql is None:
        return False
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0] == TRIGGERS_EXPECTED[connection.vendor]

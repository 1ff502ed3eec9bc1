"""The dashboard without its cache (DESIGN §9.2): the needs' grouped pass reads one index and nothing else, on both
databases, and sums the answered needs' working days itself (the separate pass over the answered needs is gone).

- SQLite: ``crm_need_kpi_idx`` (0028: nine group keys as expressions) is rebuilt on the selector's one packed key
  ``need_flags`` (one value compared per need instead of nine), status, satisfaction, rating, category, the scope
  columns and the summed columns (``answered_at``, ``assigned_at``, ``answer_workdays``,
  ``answer_workdays_assigned``). Only the index is dropped and created: no table is rebuilt, the search triggers
  of crm_need stay.
- PostgreSQL: an index of the same name holds the columns the group keys are computed from (the grouped columns as
  keys, the compared dates, the summed columns and the scope columns as INCLUDE): ~30 MB where the table is
  150 MB at province scale, so that the grouped pass is an index-only scan instead of reading the table. The
  selector counts with ``COUNT(*)`` for it (``COUNT(id)`` names a column outside the index).

Both outside the model state, like 0028's index.

- ``crm_ent_id_region_idx`` (enterprise id, region): the counts per county find each visit's and open need's region
  in this small index instead of the enterprise's wide row (SQLite: ~27 -> ~13 ms CPU for the visits' count).
"""

import importlib

from django.db import migrations, models

KPI_INDEX = "crm_need_kpi_idx"
SUMMED = ('"answered_at"', '"assigned_at"', '"answer_workdays"', '"answer_workdays_assigned"')

speed3 = importlib.import_module("crm.migrations.0028_dashboard_speed3")


def flags_expression(threshold: str) -> str:
    """``need_flags`` of crm/selectors/dashboard.py (``need_group_keys``) as the selector writes it on SQLite with
    the fixed offset of ``TIME_ZONE``: SQLite uses an index on an expression for the same expression only."""

    def by(moment: str, day: str) -> str:
        return f'("{moment}" < "{day}" || \' {threshold}\')'

    conditions = [
        *(f'"{name}" IS NULL' for name in ("original_due_on", "due_on", "closed_at", "accept_due_on")),
        '"accepted_at" IS NULL',
        '"answered_at" IS NULL',
        by("closed_at", "original_due_on"),
        by("closed_at", "due_on"),
        by("accepted_at", "accept_due_on"),
    ]
    bits = (f"CASE WHEN {condition} THEN {1 << index} ELSE 0 END" for index, condition in enumerate(conditions))
    return f"({' + '.join(bits)})"


def _sqlite_index(schema_editor, *, flags: bool) -> None:
    threshold = speed3._threshold()
    if threshold is None:  # 0028 made none: the selector then compares local dates, which no index serves
        return
    if flags:
        # The flags first, as 0028's expressions, so that no plain status query is drawn to this index.
        grouped = (flags_expression(threshold), '"status"', '"satisfaction"', '"rated_by_enterprise"', '"category"')
        columns = [*grouped, '"enterprise_id"', '"project_id"', '"bureau_id"', *SUMMED]
    else:
        columns = speed3.kpi_index_columns(threshold)
    schema_editor.execute(f'DROP INDEX IF EXISTS "{KPI_INDEX}"')
    schema_editor.execute(f'CREATE INDEX "{KPI_INDEX}" ON "crm_need" ({", ".join(columns)})')


def kpi_index_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _sqlite_index(schema_editor, flags=True)
    elif vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX "{KPI_INDEX}" ON "crm_need" ("status", "satisfaction", "rated_by_enterprise", "category") '
            'INCLUDE ("original_due_on", "due_on", "closed_at", "accept_due_on", "accepted_at", '
            f'{", ".join(SUMMED)}, "enterprise_id", "project_id", "bureau_id")'
        )


def kpi_index_drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _sqlite_index(schema_editor, flags=False)
    elif vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{KPI_INDEX}"')


def indexes_analyze(apps, schema_editor):
    """SQLite plans with the statistics of ANALYZE: without a row for them it looks each enterprise up by its rowid
    rather than in ``crm_ent_id_region_idx``, and the rebuilt ``crm_need_kpi_idx`` lost its row."""
    if schema_editor.connection.vendor == "sqlite":
        for index in (KPI_INDEX, "crm_ent_id_region_idx"):
            schema_editor.execute(f'ANALYZE "{index}"')


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0029_import_undo"),
    ]

    operations = [
        migrations.RunPython(kpi_index_create, kpi_index_drop, elidable=False),
        migrations.AddIndex(
            model_name="enterprise",
            index=models.Index(fields=["id", "region"], name="crm_ent_id_region_idx"),
        ),
        migrations.RunPython(indexes_analyze, migrations.RunPython.noop, elidable=False),
    ]

"""The dashboard's needs counted in one grouped pass (crm/selectors/dashboard.py, ``_need_counts``).

SQLite: ``crm_need_kpi_idx`` holds the needs' group keys (``need_group_keys``: the three deadline comparisons as
the selector writes them for the fixed offset of ``TIME_ZONE``, which dates are set, status, satisfaction, rating,
category), then the scope columns, so that the GROUP BY streams from the index alone instead of sorting 200 000 rows
(SQLite reads an indexed expression's value from the index). An index only (CREATE INDEX: no table rebuild),
outside the model state like the search triggers.
PostgreSQL groups by hashing and needs none. The index on the answered needs now covers this year's answer days.
"""

from django.db import migrations, models
from django.utils import timezone

from crm.workdays import fixed_offset

KPI_INDEX = "crm_need_kpi_idx"


def _threshold() -> str | None:
    """``HH:MM:SS`` UTC when the next local day starts (``_local_date_lte``), or None for a zone without a fixed
    offset east of UTC (the selector then compares local dates, which no index serves)."""
    seconds = fixed_offset(timezone.localdate())
    if seconds is None or not 0 <= seconds < 86400:
        return None
    hours, rest = divmod(86400 - seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def kpi_index_create(apps, schema_editor):
    threshold = _threshold()
    if schema_editor.connection.vendor != "sqlite" or threshold is None:
        return

    def by(moment: str, day: str) -> str:
        return f'("{moment}" < "{day}" || \' {threshold}\')'

    # The expressions first: an index starting with ``status`` would also draw the plain status queries (lists,
    # open needs by region), which the status indexes serve from the index alone. SQLite matches a GROUP BY to an
    # index whatever the order of its terms.
    columns = [
        by("closed_at", "original_due_on"),
        by("closed_at", "due_on"),
        by("accepted_at", "accept_due_on"),
        *(f'("{name}" IS NULL)' for name in ("original_due_on", "due_on", "closed_at", "accept_due_on")),
        '("accepted_at" IS NULL)',
        '("answered_at" IS NULL)',
        '"status"',
        '"satisfaction"',
        '"rated_by_enterprise"',
        '"category"',
        # Not grouped by: the scope columns of a county's dashboard, so that no need's row is read.
        '"enterprise_id"',
        '"project_id"',
        '"bureau_id"',
    ]
    schema_editor.execute(f'CREATE INDEX "{KPI_INDEX}" ON "crm_need" ({", ".join(columns)})')


def kpi_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{KPI_INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0028_answer_workdays"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="need",
            name="crm_need_answered_scope_idx",
        ),
        migrations.AddIndex(
            model_name="need",
            index=models.Index(
                fields=[
                    "answered_at",
                    "assigned_at",
                    "answer_workdays",
                    "answer_workdays_assigned",
                    "enterprise",
                    "project",
                    "bureau",
                ],
                name="crm_need_answered_scope_idx",
            ),
        ),
        migrations.RunPython(kpi_index_create, kpi_index_drop, elidable=False),
    ]

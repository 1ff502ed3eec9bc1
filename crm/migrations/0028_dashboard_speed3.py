"""The dashboard without its cache at province scale (DESIGN §9.2): stored working days to answer, the needs'
counts in one grouped pass, and indexes that let each of its reads use an index alone.

Only nullable columns (``ALTER TABLE ADD COLUMN``) and indexes: SQLite rebuilds no table, so the search triggers
of crm_need stay.

- ``Need.answer_workdays`` / ``answer_workdays_assigned``: the working days from receipt / from assignment to the
  answer on the holiday calendar, filled set-based by ``answer_workdays_fill`` (one UPDATE by weekday arithmetic,
  one per holiday row); then kept by the need services and every Holiday change (crm/services/needs.py).
- SQLite: ``crm_need_kpi_idx`` holds the needs' group keys (crm/selectors/dashboard.py, ``need_group_keys``: the
  three deadline comparisons as the selector writes them for the fixed offset of ``TIME_ZONE``, which dates are
  set, status, satisfaction, rating, category), then the scope columns, so that the GROUP BY streams from the index
  alone instead of sorting 200 000 rows (SQLite reads an indexed expression's value from the index). Outside the
  model state, like the search triggers. PostgreSQL groups by hashing and needs none.
- The answered needs' index covers the stored working days; visits, needs and action items get the indexes of the
  per-officer counts and of the cadence counts.
"""

from django.db import migrations, models
from django.utils import timezone

from crm.workdays import answer_workdays_fill, fixed_offset

KPI_INDEX = "crm_need_kpi_idx"


def answer_workdays_set(apps, schema_editor):
    answer_workdays_fill(apps.get_model("crm", "Need").objects.all(), holidays=apps.get_model("crm", "Holiday").objects)


def _threshold() -> str | None:
    """``HH:MM:SS`` UTC when the next local day starts (``_local_date_lte``), or None for a zone without a fixed
    offset east of UTC (the selector then compares local dates, which no index serves)."""
    seconds = fixed_offset(timezone.localdate())
    if seconds is None or not 0 <= seconds < 86400:
        return None
    hours, rest = divmod(86400 - seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def kpi_index_columns(threshold: str) -> list[str]:
    """The columns and expressions of the SQLite ``crm_need_kpi_idx`` (0030 replaces it: one packed key)."""

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
    return columns


def kpi_index_create(apps, schema_editor):
    threshold = _threshold()
    if schema_editor.connection.vendor != "sqlite" or threshold is None:
        return
    schema_editor.execute(f'CREATE INDEX "{KPI_INDEX}" ON "crm_need" ({", ".join(kpi_index_columns(threshold))})')


def kpi_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{KPI_INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0027_home_speed"),
    ]

    operations = [
        migrations.AddField(
            model_name="need",
            name="answer_workdays",
            field=models.PositiveIntegerField(
                blank=True, editable=False, null=True, verbose_name="working days taken to answer"
            ),
        ),
        migrations.AddField(
            model_name="need",
            name="answer_workdays_assigned",
            field=models.PositiveIntegerField(
                blank=True, editable=False, null=True, verbose_name="working days taken from assignment to answer"
            ),
        ),
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
        migrations.RemoveIndex(
            model_name="actionitem",
            name="crm_action_owner_idx",
        ),
        migrations.AddIndex(
            model_name="actionitem",
            index=models.Index(fields=["owner", "status", "due_on"], name="crm_action_owner_idx"),
        ),
        migrations.AddIndex(
            model_name="need",
            index=models.Index(fields=["created_by", "created_at"], name="crm_need_creator_created_idx"),
        ),
        migrations.RemoveIndex(
            model_name="visit",
            name="crm_visit_ent_date_idx",
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["enterprise", "-visited_on", "kind", "lead"], name="crm_visit_ent_date_idx"),
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["lead", "visited_on"], name="crm_visit_lead_date_idx"),
        ),
        migrations.RunPython(kpi_index_create, kpi_index_drop, elidable=False),
        # Last: on PostgreSQL the UPDATEs leave deferred trigger events on crm_need, after which the same
        # transaction may not create an index on it.
        migrations.RunPython(answer_workdays_set, migrations.RunPython.noop, elidable=False),
    ]

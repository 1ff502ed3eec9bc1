"""The visits of a region from their own index (issue 18): ``Visit.region``, the visit's enterprise's region, stored.

The lists' region filter counted a region's ~22,000 visits by probing the visits index once per enterprise of the
region (~7,000), 30-46 ms at p95. The column is kept by ``Visit.save`` and the imports (``Visit.region_derive``)
and by ``visits_region_follow`` when an enterprise moves, and filled here for every visit by one UPDATE. ADD COLUMN
of a nullable column and CREATE INDEX only (no table rebuild on SQLite: the FTS triggers stay). The index is
created after the fill, so that the fill does not write it row by row.
"""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
UPDATE crm_visit SET region_id = (
    SELECT e.region_id FROM crm_enterprise e WHERE e.id = crm_visit.enterprise_id
)
"""


def index_analyze(apps, schema_editor):
    """Statistics for the new column and index: SQLite plans with ANALYZE's rows (without one it may not pick the new
    index); PostgreSQL has none for a column added by ALTER TABLE until autovacuum analyzes the table."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute('ANALYZE "crm_visit_region_idx"')
    elif vendor == "postgresql":
        schema_editor.execute('ANALYZE "crm_visit"')


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0036_county_dashboard_speed"),
    ]

    operations = [
        migrations.AddField(
            model_name="visit",
            name="region",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="crm.region",
                verbose_name="region",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=True),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["region", "-visited_on", "-id"], name="crm_visit_region_idx"),
        ),
        migrations.RunPython(index_analyze, migrations.RunPython.noop, elidable=False),
    ]

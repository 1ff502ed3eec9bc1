"""The targets' progress counts each county's cultivation cards from their own index (issue 18): ``Cultivation.region``,
the card's enterprise's region, stored.

target_progress counted a county's cards of a year with ``enterprise_id IN`` (the county's ~7,000 enterprises), a set
built and probed per county on every board and dashboard. The column is kept as ``Visit.region`` is (0037):
``EnterpriseRegionStored`` on every save and ``enterprise_regions_follow`` when an enterprise moves; it is filled
here by one UPDATE. ADD COLUMN of a nullable column and CREATE INDEX only (no table rebuild on SQLite); the index is
created after the fill, so that the fill does not write it row by row.
"""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
UPDATE crm_cultivation SET region_id = (
    SELECT e.region_id FROM crm_enterprise e WHERE e.id = crm_cultivation.enterprise_id
)
"""


def index_analyze(apps, schema_editor):
    """Statistics for the new column and index: SQLite plans with ANALYZE's rows (without one it may not pick the new
    index); PostgreSQL has none for a column added by ALTER TABLE until autovacuum analyzes the table."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute('ANALYZE "crm_cult_region_idx"')
    elif vendor == "postgresql":
        schema_editor.execute('ANALYZE "crm_cultivation"')


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0038_home_speed7"),
    ]

    operations = [
        migrations.AddField(
            model_name="cultivation",
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
            model_name="cultivation",
            index=models.Index(fields=["year", "programme", "stage", "region"], name="crm_cult_region_idx"),
        ),
        migrations.RunPython(index_analyze, migrations.RunPython.noop, elidable=False),
    ]

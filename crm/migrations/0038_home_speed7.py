"""The 工作台's need cards of a leader read the open needs of their enterprises only (issue 18).

AddIndex only (no table rebuild on SQLite: the FTS triggers stay). SQLite picks a new index only once ANALYZE has
rows for it, so the migration analyzes it; PostgreSQL keeps statistics per column, which this index adds none of.
"""

from django.db import migrations, models


def index_analyze(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute('ANALYZE "crm_need_ent_open_idx"')


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0037_visit_region"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="need",
            index=models.Index(
                condition=models.Q(("status__in", ("new", "accepted", "assigned", "in_progress"))),
                fields=["enterprise", "due_on", "id", "status"],
                name="crm_need_ent_open_idx",
            ),
        ),
        migrations.RunPython(index_analyze, migrations.RunPython.noop, elidable=False),
    ]

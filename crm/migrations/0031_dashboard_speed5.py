"""The dashboard without its cache (DESIGN §9.2): the cadence counts as a visit's officer read the visits from an index.

``crm_visit_ent_date_idx`` gains ``id``, the key of the visit officer link table. PostgreSQL then walks the scope's
enterprises, their visits of the two periods (index only) and each visit's officers (the link table's (visit, user)
index) instead of reading every visit row of the two periods and hashing them with the whole link table (~43,000
visit rows, 300,000 links at province scale). SQLite's indexes already end with the row id: no plan changes there.
Both operations are plain DROP INDEX / CREATE INDEX (no table rebuild on SQLite: the FTS triggers stay).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0030_dashboard_speed4"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="visit",
            name="crm_visit_ent_date_idx",
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(
                fields=["enterprise", "-visited_on", "kind", "lead", "id"], name="crm_visit_ent_date_idx"
            ),
        ),
    ]

"""The dashboard without its cache (DESIGN §9.2): the counts as a visit's officer start from the few visits that have
an officer besides their lead.

``Visit.officers_besides_lead`` (nullable: None means not known and is read as "maybe") is kept by
``visit_officers_flag_refresh`` (crm/services/visits.py) and filled here by the same UPDATE for every visit. The
partial index ``crm_visit_others_idx`` holds the visits where it is true or not known: at province scale 10 of
300,000, where the dashboard's officer counts and the cadence counts probed the officer links of every visit of the
period (17,000-43,000 probes). ADD COLUMN of a nullable column and CREATE INDEX only (no table rebuild on SQLite:
the FTS triggers stay). The index is created after the fill, while it holds few rows.
"""

from django.db import migrations, models

FILL = """
UPDATE crm_visit SET officers_besides_lead = EXISTS(
    SELECT 1 FROM crm_visit_officers o
    WHERE o.visit_id = crm_visit.id AND o.user_id <> COALESCE(crm_visit.lead_id, 0)
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0033_home_speed6"),
    ]

    operations = [
        migrations.AddField(
            model_name="visit",
            name="officers_besides_lead",
            field=models.BooleanField(editable=False, null=True),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=True),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(
                condition=models.Q(
                    ("officers_besides_lead__isnull", True), ("officers_besides_lead", True), _connector="OR"
                ),
                fields=["visited_on", "enterprise", "kind", "lead", "id"],
                name="crm_visit_others_idx",
            ),
        ),
    ]

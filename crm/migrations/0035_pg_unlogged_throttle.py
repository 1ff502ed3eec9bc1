"""PostgreSQL: the API throttle counters (``crm_throttlecounter``) in an UNLOGGED table.

Every API request upserts its client's counter row in its own transaction, and the commit of a logged table waits
for the WAL to reach the disk: on the seed_scale benchmark server that flush took 4-5 ms of every API request
(backend CPU 260 µs, wall 4-5 ms p50, 10-12 ms p95; unlogged: 25 µs, 0.04 ms). The counters only rate-limit the
last minute: after a crash PostgreSQL empties an unlogged table, which resets the limits, and nothing else is lost.
SQLite (WAL, synchronous=NORMAL) does not flush on commit: nothing to do there.
"""

from django.db import migrations


def _persistence(apps, schema_editor, persistence):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("crm", "ThrottleCounter")._meta.db_table)
    schema_editor.execute(f"ALTER TABLE {table} SET {persistence}")


def forwards(apps, schema_editor):
    _persistence(apps, schema_editor, "UNLOGGED")


def backwards(apps, schema_editor):
    _persistence(apps, schema_editor, "LOGGED")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0034_visit_officers_flag"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

"""The needs' stored working days to answer (``Need.answer_workdays``, ``answer_workdays_assigned``), read by the
dashboard instead of running the holiday calendar over every answered need (DESIGN §9.2).

Nullable columns only (``ALTER TABLE ADD COLUMN``: SQLite keeps crm_need and its search triggers), filled
set-based by ``answer_workdays_fill`` (one UPDATE by weekday arithmetic, one per holiday row).
"""

from django.db import migrations, models

from crm.workdays import answer_workdays_fill


def fill(apps, schema_editor):
    answer_workdays_fill(apps.get_model("crm", "Need").objects.all(), holidays=apps.get_model("crm", "Holiday").objects)


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
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
    ]

"""List speed at province scale (DESIGN §9.2): the needs' status index also holds -id, the lists' tie-break, so
a status filter (``?status=assigned&overdue=true``) reads its first page from the index without sorting."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0017_cadence_speed"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="need",
            name="crm_need_status_idx",
        ),
        migrations.AddIndex(
            model_name="need",
            index=models.Index(fields=["status", "-created_at", "-id"], name="crm_need_status_idx"),
        ),
    ]

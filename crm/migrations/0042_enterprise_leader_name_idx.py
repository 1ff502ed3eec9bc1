"""The enterprises each user leads, in name order (issue 18): 我的企业 on the 工作台 (crm/selectors/home.py
my_enterprises) reads a leader's first ten from this index, not the ~2,000 they lead sorted by name.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0041_enterprise_leader_liaison_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="enterprise",
            index=models.Index(fields=["liaison_leader", "name", "id"], name="crm_ent_leader_name_idx"),
        ),
    ]

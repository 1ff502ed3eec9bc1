"""The enterprises a policy has told (issue 18): the 工作台's policy radar reads each policy's from this index alone
(PostgreSQL: 4-5 buffers a policy, ~100 through the policy's index and the rows for their status).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0042_enterprise_leader_name_idx"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="policymatch",
            index=models.Index(fields=["policy", "status", "enterprise"], name="crm_match_policy_told_idx"),
        ),
    ]

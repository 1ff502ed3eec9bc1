"""The enterprises whose name or legal representative holds a "~" (issue 18): the short-word grams of the search index
(0016) drop it, so the enterprise list's q of one or two Chinese characters on SQLite checks those few rows by LIKE,
read from this partial index, and takes every other match from the index alone (crm/selectors/search.py). The
condition has no parameter, so SQLite can prove the query's own implies it. On PostgreSQL an empty index, unused.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0039_cultivation_region"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="enterprise",
            index=models.Index(
                condition=models.Q(("name__contains", "~"), ("legal_representative__contains", "~"), _connector="OR"),
                fields=["id"],
                name="crm_ent_tilde_idx",
            ),
        ),
    ]

"""The dashboard's tallies (crm/models/tallies.py): put their triggers back and recount them from the needs."""

from django.db import connection, transaction

from crm.models import AnswerTally
from crm.models.expressions import LOCAL_OFFSET
from crm.models.tallies import tally_rebuild_sql, tally_triggers_drop_sql, tally_triggers_sql


@transaction.atomic
def tallies_rebuild() -> int:
    """Recreate the triggers of ``crm_need`` that keep ``AnswerTally`` and recount it, in one transaction (no
    need written meanwhile is missed); the number of tally rows."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for sql in [
            *tally_triggers_drop_sql(vendor),
            *tally_triggers_sql(vendor, LOCAL_OFFSET or 0),
            *tally_rebuild_sql(vendor, LOCAL_OFFSET or 0),
        ]:
            cursor.execute(sql)
    return AnswerTally.objects.count()

"""Change history (django-simple-history) as a manager reads it: who, when, which fields changed (DESIGN §9.3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

HISTORY_LIMIT = 20
HISTORY_TYPES = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}


def history_changes(*, obj: models.Model, limit: int = HISTORY_LIMIT) -> dict:
    """The latest ``limit`` history records of ``obj``, newest first, each with the labels of the fields it
    changed. One query: the records (with their users) are fetched together and compared in memory; one
    record beyond the limit is read as the baseline of the oldest one shown.

    Returns ``{"entries": [{"when", "user", "type", "type_label", "fields"}], "more": bool}``; a change
    record that altered no tracked field (a save without changes) is left out.
    """
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    more = len(records) > limit
    model_meta = obj._meta
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        fields = []
        if record.history_type == "~" and previous is not None:
            delta = record.diff_against(previous)
            fields = [str(model_meta.get_field(name).verbose_name) for name in delta.changed_fields]
            if not fields:
                continue
        entries.append(
            {
                "when": record.history_date,
                "user": record.history_user,
                "type": record.history_type,
                "type_label": HISTORY_TYPES.get(record.history_type, record.history_type),
                "fields": fields,
            }
        )
    return {"entries": entries, "more": more}

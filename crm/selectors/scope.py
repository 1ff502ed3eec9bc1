"""Which related records a page may link: a record the user sees can name one the user does not (a county
enterprise's city project, a need transferred from the city with the city enterprise it concerns). Pages link
only what ``visible_to`` lets the user open and show the rest as plain text; the API leaves its id out.
"""

from collections.abc import Iterable

LINK_FIELDS = ("enterprise", "project", "need", "visit")


def links_mark(rows: Iterable, *, user, fields: Iterable[str] = LINK_FIELDS) -> list:
    """Set ``row.opens`` on each row to the names of ``fields`` whose related record ``user`` may open.

    One query per field for all rows (none for a user who sees everything); a field the rows' model does not
    have is skipped.
    """
    rows = list(rows)
    if not rows:
        return rows
    for row in rows:
        row.opens = set()
    meta = rows[0]._meta
    names = {f.name for f in meta.get_fields()}
    for field in fields:
        if field not in names:
            continue
        model = meta.get_field(field).related_model
        ids = {getattr(row, f"{field}_id") for row in rows}
        visible = model._default_manager.visible_pks(user, ids)
        for row in rows:
            if getattr(row, f"{field}_id") in visible:
                row.opens.add(field)
    return rows

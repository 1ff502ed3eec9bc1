"""Reads for the rows of the web list pages that the ORM makes dear.

``prefetch_related`` of the people of twenty rows (a visit's officers, an enterprise's liaison officers) compiled
its own statement with an extra column per row, built every user whole (password, login dates and their
converters) and cost ~2.5 ms of a 15 ms list page at province scale (issue 18), to print names.
"""

from django.contrib.auth import get_user_model
from django.db.models import Model


def people_prefetch(rows: list[Model], relation: str) -> None:
    """``prefetch_related(relation)`` for ``rows`` (instances of one model; ``relation`` a many-to-many to users),
    read as the values ``str(user)`` shows: ``row.<relation>.all()`` then answers from memory (the row tags read it
    through ``related_rows``), in the prefetch's order (``User.Meta.ordering``). The users hold their key and
    ``User.NAME_FIELDS`` only."""
    rows = [row for row in rows if relation not in getattr(row, "_prefetched_objects_cache", ())]
    if not rows:  # none, or prefetched with the list (a DISTINCT list loads its page as it is)
        return
    user_model = get_user_model()
    field = type(rows[0])._meta.get_field(relation)
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    using = rows[0]._state.db
    shown = {user_model._meta.pk.attname, *user_model.NAME_FIELDS}
    names = [f.attname for f in user_model._meta.concrete_fields if f.attname in shown]  # from_db reads this order
    links = (
        field.remote_field.through.objects.using(using)
        .filter(**{f"{source}_id__in": [row.pk for row in rows]})
        .values_list(f"{source}_id", *(f"{target}__{name}" for name in names))
        .order_by(*(_through(target, name) for name in user_model._meta.ordering))
    )
    people: dict = {}
    for row_pk, *values in links:
        people.setdefault(row_pk, []).append(user_model.from_db(using, names, values))
    for row in rows:
        queryset = getattr(row, relation).get_queryset()
        queryset._result_cache = people.get(row.pk, [])
        queryset._prefetch_done = True
        if not hasattr(row, "_prefetched_objects_cache"):
            row._prefetched_objects_cache = {}
        row._prefetched_objects_cache[relation] = queryset


def _through(target: str, ordering: str) -> str:
    """An ordering of the user model (``"username"``, ``"-name"``) as seen from the through table."""
    descending = ordering.startswith("-")
    return f"{'-' if descending else ''}{target}__{ordering.removeprefix('-')}"

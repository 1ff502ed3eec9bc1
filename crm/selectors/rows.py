"""Reads for the rows of the web pages that the ORM makes dear.

``prefetch_related`` of the people of twenty rows (a visit's officers, an enterprise's liaison officers) compiled
its own statement with an extra column per row, built every user whole (password, login dates and their
converters) and a filtered queryset per row: ~2.5 ms of a 15 ms list page at province scale (issue 18), to print
names. The sections of a record's page (the 360° page) built and compiled a statement each on every request for a
database that answers it in a fraction of that (``rows_of``).
"""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet

from crm.prepared import SAMPLE_KEY, Prepared, Statements, instance_builder
from crm.querysets import scope_region
from crm.selectors.scope import SampleUser

# The statement of the people of a page of n rows of a relation, compiled once (``Prepared``, as the API's
# ``light_prefetch`` does) and planned once per connection (rows by their keys): keyed by (model, relation, n).
_PEOPLE_STATEMENTS = Statements()


def people_prefetch(rows: list[Model], relation: str) -> None:
    """``prefetch_related(relation)`` for ``rows`` (instances of one model with integer keys; ``relation`` a
    many-to-many to users), read as the values ``str(user)`` shows, by one statement prepared per number of rows.

    Each row's users (their key and ``User.NAME_FIELDS`` only), in the prefetch's order (``User.Meta.ordering``), go
    where ``prefetch_related`` puts them, as a list: the row tags read them there (``related_rows``); a filtered
    queryset per row cost more than the statement. Rows prefetched already are left as they are."""
    rows = [row for row in rows if relation not in getattr(row, "_prefetched_objects_cache", ())]
    if not rows:  # none, or prefetched with the list (a DISTINCT list loads its page as it is)
        return
    model = type(rows[0])
    key = (model, relation, len(rows))
    prepared = _PEOPLE_STATEMENTS.once(
        key, lambda: Prepared.for_keys(lambda *keys: _people(model, relation, keys), len(rows), plan_once=True)
    )
    build = instance_builder(get_user_model(), _user_columns())
    using = rows[0]._state.db
    people: dict = {row.pk: [] for row in rows}
    for row_pk, *values in prepared(*(row.pk for row in rows), using=using):
        people[row_pk].append(build(using, values))
    for row in rows:
        if not hasattr(row, "_prefetched_objects_cache"):
            row._prefetched_objects_cache = {}
        row._prefetched_objects_cache[relation] = people[row.pk]


def _user_columns() -> list[str]:
    """The user's key and ``NAME_FIELDS``, in the order of its columns (``Model.from_db`` reads them so)."""
    user_model = get_user_model()
    shown = {user_model._meta.pk.attname, *user_model.NAME_FIELDS}
    return [field.attname for field in user_model._meta.concrete_fields if field.attname in shown]


def _people(model: type[Model], relation: str, keys):
    """(row key, *the user's ``_user_columns``) of the users of the rows ``keys``, in the users' order."""
    user_model = get_user_model()
    field = model._meta.get_field(relation)
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    return (
        field.remote_field.through.objects.filter(**{f"{source}_id__in": keys})
        .values_list(f"{source}_id", *(f"{target}__{name}" for name in _user_columns()))
        .order_by(*(_through(target, name) for name in user_model._meta.ordering))
    )


def _through(target: str, ordering: str) -> str:
    """An ordering of the user model (``"username"``, ``"-name"``) as seen from the through table."""
    descending = ordering.startswith("-")
    return f"{'-' if descending else ''}{target}__{ordering.removeprefix('-')}"


# A user who sees everything, and nothing more: a statement built for it holds no value of a user, so it is the
# statement of every such user.
_SEES_EVERYTHING = SampleUser(sees_everything=True)
# ``rows_of``'s statements, one per ``build`` and ``shape``.
_ROWS_OF_STATEMENTS = Statements()


def rows_of(build: Callable[..., QuerySet], *shape, user, key: int, using: str = "default") -> list:
    """``list(build(user, key, *shape))``: the rows of record ``key`` (a section of its page) as ``user`` sees them.

    ``build`` is a module-level function reading through ``visible_to(user)`` and comparing ``key`` with ``=``;
    ``shape``, hashable values that fix its statement (a limit). For a user who sees everything (the city's staff:
    most requests) the statement is built once for a ``SampleUser`` who sees everything and compiled once per thread
    (``Prepared``), then run with ``key``; another user's is built as before.

    Planned once per connection on PostgreSQL (``plan_once``): a record's rows by its key take the same plan whatever
    the record (its key's index), and the 360° page's sections spent ~3 ms of the server's CPU planning them (the
    enterprise with its joins and the sections' EXISTS ~1.1 ms, its policy matches ~0.7 ms) for ~1 ms running them."""
    if not scope_region(user)[0]:
        return list(build(user, key, *shape))
    prepared = _ROWS_OF_STATEMENTS.once(
        (build, shape),
        lambda: Prepared(lambda sample: build(_SEES_EVERYTHING, sample, *shape), SAMPLE_KEY, plan_once=True),
    )
    return prepared(key, using=using)

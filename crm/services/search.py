"""Upkeep of the global search index (migration 0015; ``crm.selectors.search`` reads it).

The index is written by database triggers on every insert, update and delete, so there is nothing to call on a
normal write. After a bulk load (``seed_scale``) ``search_index_optimize`` merges each FTS5 table's segments
into one b-tree: a code's trigrams are common, and one segment keeps such a query under a millisecond.
"""

from django.db import connection

from crm.selectors.search import KINDS


def search_index_optimize() -> None:
    """Merge the SQLite search index's segments (nothing to do on PostgreSQL: pg_trgm GIN indexes)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for kind in KINDS:
            cursor.execute(f"INSERT INTO {kind.table}({kind.table}) VALUES ('optimize')")  # noqa: S608 (constants)

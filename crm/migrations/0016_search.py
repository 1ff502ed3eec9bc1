"""Global search index (DESIGN §8.3, §9.2: 1–2 Chinese characters included, ≤ 50 ms at province scale).

The index is kept by the database itself, so every write path keeps it right — services, ``bulk_create`` and
``bulk_update`` in imports and ``seed_scale``, the admin, ``loaddata``, raw SQL — and nothing in Python has to
remember it.

SQLite: one FTS5 table per searched model, ``crm_search_<model>`` (contentless, ``tokenize='trigram'``,
``rowid`` = the record's id), filled by AFTER INSERT / UPDATE OF / DELETE triggers. Two columns:

- ``body``: the searched fields joined by two spaces; a word of three or more characters is a trigram phrase
  there (an exact, case-insensitive substring).
- ``grams``: for the fields that hold Chinese text, every character as ``X~~`` and every pair of neighbouring
  characters as ``XY~``, concatenated in any order. A word of one or two characters is then a single trigram
  there (``澄`` → ``澄~~``, ``澄源`` → ``澄源~``): the trigram tokenizer cannot look up fewer than three
  characters itself. ``~`` is removed from the text first, so ``XY~`` (X, Y ≠ ``~``) occurs only as a pair
  token and ``X~~`` only as a character token. ``crm_search_n`` (1…200, the longest searched field) lets the
  trigger cut the text into characters without a recursive query, which triggers cannot hold.

PostgreSQL: no extra table; the selector matches with ``icontains`` and pg_trgm GIN indexes on
``UPPER(field::text)`` (the expression Django's ``icontains`` uses) serve it. Without the right to create the
extension the indexes are skipped and search still answers, by scanning.

Backwards: drops all of it. The triggers and tables are outside Django's model state on purpose (no model
field changes), so ``makemigrations`` sees nothing.
"""

from django.db import migrations, transaction

MAX_FIELD_LENGTH = 200
SEPARATOR = "'  '"

# model table -> (searched fields, fields with Chinese text for the short words)
SEARCHED = {
    "crm_enterprise": (("name", "credit_code", "legal_representative"), ("name", "legal_representative")),
    "crm_contact": (("name", "mobile", "email"), ("name",)),
    "crm_project": (("name",), ("name",)),
    "crm_visit": (("code", "interviewee"), ("interviewee",)),
    "crm_need": (("code", "title"), ("title",)),
    "crm_actionitem": (("code", "title"), ("title",)),
    "crm_activity": (("code", "title"), ("title",)),
    "crm_policy": (("title", "doc_number"), ("title", "doc_number")),
}


def fts_table(table: str) -> str:
    return "crm_search_" + table.removeprefix("crm_")


def body_sql(row: str, fields) -> str:
    return f" || {SEPARATOR} || ".join(f"coalesce({row}.{f}, '')" for f in fields)


def grams_sql(row: str, fields) -> str:
    text = f"replace({body_sql(row, fields)}, '~', '')"
    return (
        "(SELECT coalesce(group_concat(g, ''), '') FROM ("
        f"SELECT substr(t, n, 1) || '~~' AS g FROM crm_search_n, (SELECT {text} AS t) WHERE n <= length(t) "
        f"UNION SELECT substr(t, n, 2) || '~' FROM crm_search_n, (SELECT {text} AS t) WHERE n < length(t)))"
    )


def sqlite_statements(table: str) -> list[str]:
    fields, chinese = SEARCHED[table]
    fts = fts_table(table)
    watched = ", ".join(fields)
    insert = f"INSERT INTO {fts}(rowid, body, grams) VALUES (new.id, {body_sql('new', fields)}, {grams_sql('new', chinese)});"
    delete = (
        f"INSERT INTO {fts}({fts}, rowid, body, grams) "
        f"VALUES ('delete', old.id, {body_sql('old', fields)}, {grams_sql('old', chinese)});"
    )
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(body, grams, content='', tokenize='trigram')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {watched} ON {table} BEGIN {delete} {insert} END",
        # Backfill what is there already.
        f"INSERT INTO {fts}(rowid, body, grams) SELECT src.id, {body_sql('src', fields)}, {grams_sql('src', chinese)} "
        f"FROM {table} AS src",
        # One b-tree per index instead of the many segments a bulk fill leaves: a code's trigrams are common,
        # and reading them from one segment is what keeps a code query under a millisecond.
        f"INSERT INTO {fts}({fts}) VALUES ('optimize')",
    ]


def pg_indexes():
    for table, (fields, _chinese) in SEARCHED.items():
        for field in fields:
            yield f"{table}_{field}_trgm", table, field


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("CREATE TABLE crm_search_n (n integer PRIMARY KEY)")
            cursor.executemany(
                "INSERT INTO crm_search_n (n) VALUES (%s)", [(n,) for n in range(1, MAX_FIELD_LENGTH + 1)]
            )
            for table in SEARCHED:
                for statement in sqlite_statements(table):
                    cursor.execute(statement)
        elif connection.vendor == "postgresql":
            try:
                with transaction.atomic(using=connection.alias):
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:  # noqa: BLE001 (no right to create it: search works without the indexes, slower)
                return
            for name, table, field in pg_indexes():
                cursor.execute(
                    f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER(("{field}")::text)) gin_trgm_ops)'
                )


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in SEARCHED:
                fts = fts_table(table)
                for suffix in ("ai", "ad", "au"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
                cursor.execute(f"DROP TABLE IF EXISTS {fts}")
            cursor.execute("DROP TABLE IF EXISTS crm_search_n")
        elif connection.vendor == "postgresql":
            for name, _table, _field in pg_indexes():
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0015_routine_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

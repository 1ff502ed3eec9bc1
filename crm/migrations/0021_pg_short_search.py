"""Global search on PostgreSQL: words of one or two characters through an index (DESIGN §8.3, §9.2).

pg_trgm (migration 0016) cannot look up fewer than three characters: ``icontains`` of ``澄源`` walked every
enterprise, visit and need. This is PostgreSQL's counterpart of the ``grams`` column of SQLite's FTS5 tables.

Every searched table gets ``search_grams text[]``, a STORED GENERATED column: the upper-cased characters and
pairs of neighbouring characters of its searched fields (the same fields ``icontains`` looks in, so the records
found do not change), computed by the IMMUTABLE function ``crm_search_grams`` — PostgreSQL itself keeps it
current on every insert and update (services, bulk writes, the admin, raw SQL), and adding the column fills the
existing rows in one pass. A GIN index serves ``search_grams @> ARRAY[upper(word), ...]`` (the selector), and
a stored array keeps the other plan cheap too: for a common word the planner walks the primary key backwards
and tests each row's array, which is microseconds (evaluating the function per row took ~100 µs).

The fields are joined by a space and pairs holding white space are left out: a search word holds none, so no
pair straddles two fields. The column is outside Django's model state on purpose (Django never selects or
writes it), so ``makemigrations`` sees nothing. Nothing on SQLite. Backwards drops the columns and the function.
"""

from django.db import migrations

# model table -> searched fields, as crm.selectors.search.KINDS (the grams are made of all of them)
SEARCHED = {
    "crm_enterprise": ("name", "credit_code", "legal_representative"),
    "crm_contact": ("name", "mobile", "email"),
    "crm_project": ("name",),
    "crm_visit": ("code", "interviewee"),
    "crm_need": ("code", "title"),
    "crm_actionitem": ("code", "title"),
    "crm_activity": ("code", "title"),
    "crm_policy": ("title", "doc_number"),
}

FUNCTION = r"""
CREATE OR REPLACE FUNCTION crm_search_grams(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  u text := upper(t);
  grams text[] := '{}';
  c text;
  p text := ' ';
BEGIN
  FOR i IN 1..length(u) LOOP
    c := substr(u, i, 1);
    IF c !~ '\s' THEN
      grams := grams || c;
      IF p !~ '\s' THEN
        grams := grams || (p || c);
      END IF;
    END IF;
    p := c;
  END LOOP;
  RETURN grams;
END
$$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FUNCTION)
        for table, fields in SEARCHED.items():
            text = " || ' ' || ".join(f'"{field}"::text' for field in fields)
            cursor.execute(
                f'ALTER TABLE "{table}" ADD COLUMN search_grams text[] '
                f"GENERATED ALWAYS AS (crm_search_grams({text})) STORED"
            )
            cursor.execute(f'CREATE INDEX "{table}_search_grams" ON "{table}" USING gin (search_grams)')
            cursor.execute(f'ANALYZE "{table}"')  # the planner's element statistics: index or primary key walk


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in SEARCHED:
            cursor.execute(f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS search_grams')
        cursor.execute("DROP FUNCTION IF EXISTS crm_search_grams(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0020_dashboard_speed"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

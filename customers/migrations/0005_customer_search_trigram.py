"""Trigram indexes behind the customer search (PostgreSQL only).

The search is ``icontains`` on external id, name and email, which Django writes as
``UPPER(col::text) LIKE UPPER('%term%')``: a B-tree cannot serve a leading wildcard, so
every search read the whole table. A pg_trgm GIN index on exactly that expression can, for
terms of three characters or more. Skipped where pg_trgm is not installed or cannot be
(and on SQLite, whose lists are small): the search still works there, by scanning.
"""

from django.db import DatabaseError, migrations, transaction

COLUMNS = ("external_id", "name", "email")


def _index(column: str) -> str:
    return f"customer_search_{column}_trgm"


def _trigram_installed(schema_editor) -> bool:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return False
    try:
        # pg_trgm is a trusted extension: a database owner may create it, other roles may not.
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return False
    return True


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or not _trigram_installed(schema_editor):
        return
    for column in COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{_index(column)}" ON "customers_customer" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The extension stays: other objects may have come to use it.
    for column in COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{_index(column)}"')


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_interaction_lean_indexes"),
    ]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]

"""A covering index for "each customer's latest score" (dashboard, customer list).

PostgreSQL only: SQLite has no INCLUDE columns, and its data sets are small.
"""

from django.db import migrations

INDEX = "churnscore_latest_covering"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "scoring_churnscore" '
        '("customer_id", "scored_at" DESC, "id" DESC) INCLUDE ("probability", "risk_class")'
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [("scoring", "0002_role_permissions")]

    operations = [migrations.RunPython(create_index, drop_index)]

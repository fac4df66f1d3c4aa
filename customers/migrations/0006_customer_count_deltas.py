"""The number of customers, kept exact by PostgreSQL triggers (see CUSTOMER_COUNT_TABLE).

Statement-level triggers with transition tables add one row per INSERT or DELETE statement
(COPY and ``INSERT ... ON CONFLICT`` included: their transition table holds only the rows
actually inserted) and clear the rows on TRUNCATE. The triggers and the first row, the
count at migration time, are made in one transaction whose trigger creation locks out
writers, so no customer is missed or counted twice. Nothing on SQLite.
"""

from django.db import migrations

DELTAS = "customers_count_delta"  # customers.models.CUSTOMER_COUNT_TABLE, as of this migration
CUSTOMERS = "customers_customer"

CREATE = f"""
CREATE TABLE {DELTAS} (id bigserial PRIMARY KEY, delta bigint NOT NULL);
CREATE FUNCTION customers_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {DELTAS} (delta) SELECT count(*) FROM inserted HAVING count(*) > 0;
    RETURN NULL;
END $$;
CREATE FUNCTION customers_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {DELTAS} (delta) SELECT -count(*) FROM deleted HAVING count(*) > 0;
    RETURN NULL;
END $$;
CREATE FUNCTION customers_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {DELTAS};
    RETURN NULL;
END $$;
CREATE TRIGGER customers_count_insert AFTER INSERT ON {CUSTOMERS}
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION customers_count_inserted();
CREATE TRIGGER customers_count_delete AFTER DELETE ON {CUSTOMERS}
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION customers_count_deleted();
CREATE TRIGGER customers_count_truncate AFTER TRUNCATE ON {CUSTOMERS}
    FOR EACH STATEMENT EXECUTE FUNCTION customers_count_truncated();
INSERT INTO {DELTAS} (delta) SELECT count(*) FROM {CUSTOMERS};
"""

DROP = f"""
DROP TRIGGER IF EXISTS customers_count_insert ON {CUSTOMERS};
DROP TRIGGER IF EXISTS customers_count_delete ON {CUSTOMERS};
DROP TRIGGER IF EXISTS customers_count_truncate ON {CUSTOMERS};
DROP FUNCTION IF EXISTS customers_count_inserted();
DROP FUNCTION IF EXISTS customers_count_deleted();
DROP FUNCTION IF EXISTS customers_count_truncated();
DROP TABLE IF EXISTS {DELTAS};
"""


def create_count_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_count_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_customer_search_trigram"),
    ]

    operations = [migrations.RunPython(create_count_triggers, drop_count_triggers)]

"""Writes on the customer tables that are not part of an import (see ``importing``)."""

from django.db import connection

from customers.models import CUSTOMER_COUNT_TABLE


def customer_count_compact() -> int:
    """Fold the customer-count rows the PostgreSQL triggers wrote (``CUSTOMER_COUNT_TABLE``)
    into one row; returns how many rows were folded (0 on SQLite, which keeps none).

    Each bulk statement adds a row (a 100,000-customer seed adds a hundred), so the services
    that write many customers call this after them. It is one statement: a row that a
    concurrent transaction has added but not committed is outside its snapshot, so it is
    neither deleted nor summed, and stays as it is.
    """
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH folded AS (DELETE FROM {CUSTOMER_COUNT_TABLE} RETURNING delta) "
            f"INSERT INTO {CUSTOMER_COUNT_TABLE} (delta) "
            "SELECT sum(delta) FROM folded HAVING count(*) > 0 "
            "RETURNING (SELECT count(*) FROM folded)"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0

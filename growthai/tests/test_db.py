"""Upkeep after bulk writes: PostgreSQL plans with the new rows counted, not from before."""

import pytest
from django.db import connection, transaction

from customers.demo import demo_data_seed
from customers.importing.services import import_file
from customers.models import Customer, Product
from customers.tests.factories import CustomerFactory, ProductFactory
from customers.tests.test_import_support import SAMPLES, write_file
from growthai.db import tables_vacuum_analyze

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="VACUUM ANALYZE is PostgreSQL's"
)


def planner_rows(model) -> float:
    """The row count the planner believes (-1 or 0 before the table was ever analysed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        return cursor.fetchone()[0]


def test_it_runs_only_outside_a_transaction_and_only_on_postgresql(transactional_db):
    CustomerFactory.create_batch(37)
    with transaction.atomic():
        assert tables_vacuum_analyze(Customer) is False  # VACUUM cannot run in a transaction
    if connection.vendor != "postgresql":
        assert tables_vacuum_analyze(Customer) is False
        return
    assert planner_rows(Customer) != 37
    assert tables_vacuum_analyze(Customer) is True
    assert planner_rows(Customer) == 37


@on_postgresql
def test_seeding_demo_data_leaves_the_tables_analysed(transactional_db):
    demo_data_seed(customers=41, seed=5)

    assert planner_rows(Customer) == 41 == Customer.objects.count()


@on_postgresql
def test_a_committed_import_leaves_the_tables_analysed_and_a_rolled_back_one_does_not(
    transactional_db, tmp_path
):
    sample = SAMPLES["products"]
    imported = len(sample.rows)
    report = import_file(
        kind="products", path_or_file=write_file(tmp_path / "good.csv", sample.data())
    )
    assert report.committed and planner_rows(Product) == imported == Product.objects.count()

    ProductFactory.create_batch(3)
    rows = sample.copy_rows()
    column, value, _ = sample.bad_value
    rows[1][column] = value
    rejected = import_file(
        kind="products", path_or_file=write_file(tmp_path / "bad.csv", sample.data(rows))
    )

    assert not rejected.committed
    assert Product.objects.count() == imported + 3
    assert planner_rows(Product) == imported  # nothing was written, so nothing re-analysed

"""The number of customers kept by PostgreSQL triggers, and the list that counts with it."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from customers.demo import demo_data_seed
from customers.importing.services import import_file
from customers.models import CUSTOMER_COUNT_TABLE, Customer
from customers.selectors import KeptCustomerCount, customer_list
from customers.services import customer_count_compact
from customers.tests.factories import CustomerFactory
from customers.tests.test_customer_views import LIST_URL, listed_ids
from customers.tests.test_import_support import SAMPLES, write_file
from growthai.roles import Role

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the count is kept by PostgreSQL triggers"
)


# The SQL of a full count of the customer list, which the kept rows replace.
COUNTS_CUSTOMERS = 'COUNT(*) AS "__count" FROM "customers_customer"'


def kept() -> int:
    return KeptCustomerCount().count()


def kept_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {CUSTOMER_COUNT_TABLE}")
        return cursor.fetchone()[0]


def assert_exact() -> None:
    assert kept() == Customer.objects.count()


@on_postgresql
@pytest.mark.django_db
def test_every_kind_of_insert_and_delete_keeps_it_exact():
    assert kept() == 0
    first = CustomerFactory()
    CustomerFactory.create_batch(4)
    assert kept() == 5

    Customer.objects.bulk_create([Customer(external_id=f"B-{i}") for i in range(7)], batch_size=3)
    assert kept() == 12

    # An upsert: the existing customer is updated, not counted again.
    Customer.objects.bulk_create(
        [Customer(external_id=first.external_id, name="Renamed"), Customer(external_id="U-1")],
        update_conflicts=True,
        unique_fields=["external_id"],
        update_fields=["name"],
    )
    assert kept() == 13
    Customer.objects.bulk_create(
        [Customer(external_id="U-1"), Customer(external_id="I-1")], ignore_conflicts=True
    )
    assert kept() == 14

    first.delete()
    Customer.objects.filter(external_id__startswith="B-").delete()
    assert kept() == 6
    assert_exact()


@on_postgresql
@pytest.mark.django_db
def test_a_rolled_back_write_leaves_it_as_it_was():
    CustomerFactory.create_batch(2)
    with transaction.atomic():
        CustomerFactory.create_batch(3)
        Customer.objects.filter(pk=Customer.objects.first().pk).delete()
        assert kept() == 4
        transaction.set_rollback(True)

    assert kept() == 2
    assert_exact()


@on_postgresql
@pytest.mark.django_db
def test_truncating_the_customers_brings_it_to_zero():
    CustomerFactory.create_batch(3)
    with connection.cursor() as cursor:
        # Django's foreign keys are checked at commit; TRUNCATE wants those checks done.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE customers_customer CASCADE")

    assert kept() == 0
    CustomerFactory()
    assert kept() == 1


@on_postgresql
@pytest.mark.django_db
def test_compacting_folds_the_rows_into_one_and_keeps_the_sum():
    for size in (3, 2, 4):
        CustomerFactory.create_batch(size)
    Customer.objects.filter(pk=Customer.objects.first().pk).delete()
    rows = kept_rows()
    assert rows > 2

    assert customer_count_compact() == rows
    assert kept_rows() == 1
    assert kept() == 8
    assert_exact()


@on_postgresql
@pytest.mark.django_db
def test_an_import_keeps_it_exact_and_leaves_one_row(tmp_path):
    CustomerFactory.create_batch(2)
    sample = SAMPLES["customers"]
    report = import_file(
        kind="customers", path_or_file=write_file(tmp_path / "c.csv", sample.data())
    )

    assert report.committed
    assert kept() == 2 + len(sample.rows)
    assert kept_rows() == 1
    # Importing the same file again updates every customer and adds none.
    import_file(kind="customers", path_or_file=write_file(tmp_path / "c.csv", sample.data()))
    assert kept() == 2 + len(sample.rows)
    assert_exact()


@on_postgresql
def test_seeding_keeps_it_exact_and_leaves_one_row(transactional_db):
    demo_data_seed(customers=23, seed=3)

    assert kept() == 23 == Customer.objects.count()
    assert kept_rows() == 1


@on_postgresql
def test_writers_in_concurrent_transactions_do_not_wait_for_each_other(transactional_db):
    inserted, release = threading.Event(), threading.Event()
    failures = []

    def writer():
        try:
            with transaction.atomic():
                Customer.objects.create(external_id="T-1")
                inserted.set()
                release.wait(10)
        except Exception as error:  # reported by the main thread
            failures.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert inserted.wait(10)
        # A shared counter row would be locked by the open transaction until it ends.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            Customer.objects.create(external_id="T-2")
            Customer.objects.filter(external_id="T-2").delete()
            Customer.objects.create(external_id="T-3")
        assert kept() == 1  # the other transaction's customer is not committed yet
    finally:
        release.set()
        thread.join(10)

    assert not failures
    assert kept() == 2
    assert_exact()


@on_postgresql
@pytest.mark.django_db
def test_the_unfiltered_list_takes_its_count_from_the_kept_rows(
    client_as, django_assert_max_num_queries
):
    CustomerFactory.create_batch(7)
    client = client_as(Role.MARKETER)

    with django_assert_max_num_queries(6) as queries:
        html = client.get(LIST_URL).text
    sql = [q["sql"] for q in queries.captured_queries]

    assert "<strong>7</strong> customers" in html
    assert any(CUSTOMER_COUNT_TABLE in s for s in sql)
    assert not any(COUNTS_CUSTOMERS in s for s in sql)

    CustomerFactory(name="Zed Quill")
    with django_assert_max_num_queries(6) as queries:
        html = client.get(LIST_URL, {"q": "Zed Quill"}).text
    sql = [q["sql"] for q in queries.captured_queries]
    assert "<strong>1</strong> customer" in html
    assert any(COUNTS_CUSTOMERS in s for s in sql)
    assert not any(CUSTOMER_COUNT_TABLE in s for s in sql)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["external_id", "-churn_probability"])
def test_the_last_pages_match_the_plain_ordering_with_either_count(sort, client_as):
    """The deep pages read backwards from the count, so it must be exact on both backends."""
    Customer.objects.bulk_create(
        [Customer(external_id=f"C-{i:05d}", tenure_months=i % 13) for i in range(1105)]
    )
    Customer.objects.filter(external_id__lt="C-00005").delete()
    plain = list(customer_list(filters={"sort": sort}).values_list("external_id", flat=True))
    assert len(plain) == 1100

    client = client_as(Role.MARKETER)
    last_page = listed_ids(client.get(LIST_URL, {"sort": sort, "page": 22}))

    assert last_page == plain[1050:]


@on_postgresql
@pytest.mark.django_db
def test_a_dump_and_reload_of_the_customers_app_keeps_it_exact(tmp_path):
    """The kept rows are no model, so a dump holds none of them to reload on top."""
    CustomerFactory.create_batch(3)
    dump = tmp_path / "customers.json"
    call_command("dumpdata", "customers", output=str(dump), verbosity=0)
    Customer.objects.all().delete()
    assert kept() == 0

    call_command("loaddata", str(dump), verbosity=0)

    assert kept() == 3
    assert_exact()

"""Every kind: a good file writes exactly what it says; every bad file writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest

from customers.importing.errors import ImportFileError
from customers.importing.services import import_file
from customers.models import ContentItem, Customer, Interaction, Product, Segment
from customers.tests.test_import_support import (
    EXISTING_CUSTOMER,
    EXISTING_SKU,
    EXISTING_SLUG,
    ONE_MB,
    SAMPLES,
    counts,
    csv_bytes,
    db_snapshot,
    make_existing,
    write_file,
)

ALL_KINDS = list(SAMPLES)
# online_retail skips exact duplicate rows (counted) instead of rejecting them.
KINDS_WITH_IDS = [kind for kind, sample in SAMPLES.items() if sample.id_column]

UTC = dt.UTC


@pytest.fixture
def existing(db):
    return make_existing()


def run(kind: str, path, **kwargs):
    return import_file(kind=kind, path_or_file=path, **kwargs)


# --- good files ---------------------------------------------------------------------------


def test_telco_good_file(existing, tmp_path):
    sample = SAMPLES["telco"]
    report = run("telco", write_file(tmp_path / "telco.csv", sample.data()))

    assert report.committed
    assert report.rows_read == 2
    assert report.created == {"customers": 1}
    assert report.updated == {"customers": 1}
    assert report.rejected == []
    updated = Customer.objects.get(external_id=EXISTING_CUSTOMER)
    assert updated.name == EXISTING_CUSTOMER
    assert updated.tenure_months == 34
    assert updated.monthly_spend == Decimal("56.95")
    assert updated.churned is True
    assert updated.attributes["SeniorCitizen"] == 1
    assert updated.attributes["TotalCharges"] == 1889.5
    assert updated.attributes["gender"] == "Male"
    # Fields the Telco file does not carry are left alone.
    assert updated.email == "existing@example.com"
    assert updated.segment == existing.segment
    new = Customer.objects.get(external_id="7590-VHVEG")
    assert new.name == "7590-VHVEG"
    assert new.tenure_months == 0
    assert new.monthly_spend == Decimal("29.85")
    assert new.churned is None  # blank Churn: unknown
    assert new.attributes == {
        "gender": "Female",
        "SeniorCitizen": 0,
        "Partner": "Yes",
        "Dependents": "No",
        "PhoneService": "No",
        "MultipleLines": "No phone service",
        "InternetService": "DSL",
        "OnlineSecurity": "No",
        "OnlineBackup": "Yes",
        "DeviceProtection": "No",
        "TechSupport": "No",
        "StreamingTV": "No",
        "StreamingMovies": "No",
        "Contract": "Month-to-month",
        "PaperlessBilling": "Yes",
        "PaymentMethod": "Electronic check",
        "TotalCharges": None,  # " " in the published file
    }


def test_customers_good_file(existing, tmp_path):
    sample = SAMPLES["customers"]
    report = run("customers", write_file(tmp_path / "customers.csv", sample.data()))

    assert report.committed
    assert report.created == {"customers": 1, "segments": 1}
    assert report.updated == {"customers": 1}
    ann = Customer.objects.get(external_id=EXISTING_CUSTOMER)
    assert ann.name == "Ann Lee"
    assert ann.email == "ann@example.com"
    assert ann.segment == Segment.objects.get(name="Enterprise")
    assert ann.churned is True
    assert ann.tenure_months == 24
    # Attributes are typed per value; "007" keeps its leading zeros as text.
    assert ann.attributes == {"score": 3.5, "vip": True, "notes": "007"}
    # Columns the file does not map are left alone.
    assert ann.country == "France"
    assert ann.plan == "Legacy"
    bob = Customer.objects.get(external_id="C-2")
    assert bob.name == "Bob"
    assert bob.email == ""
    assert bob.segment is None
    assert bob.churned is None  # blank label: unknown
    assert bob.tenure_months is None
    assert bob.attributes == {"score": 12, "vip": False, "notes": None}


def test_products_good_file(existing, tmp_path):
    sample = SAMPLES["products"]
    report = run("products", write_file(tmp_path / "products.csv", sample.data()))

    assert report.committed
    assert report.created == {"products": 1}
    assert report.updated == {"products": 1}
    holder = Product.objects.get(sku=EXISTING_SKU)
    assert (holder.name, holder.description, holder.category, holder.price, holder.active) == (
        "Heart holder",
        "New description",
        "Home",
        Decimal("3.10"),
        True,
    )
    hose = Product.objects.get(sku="NEW-1")
    assert (hose.name, hose.description, hose.category, hose.price, hose.active) == (
        "Garden hose",
        "",
        "Garden",
        None,
        False,
    )


def test_content_good_file(existing, tmp_path):
    sample = SAMPLES["content"]
    report = run("content", write_file(tmp_path / "content.csv", sample.data()))

    assert report.committed
    assert report.created == {"content items": 1}
    assert report.updated == {"content items": 1}
    item = ContentItem.objects.get(slug=EXISTING_SLUG)
    assert (item.title, item.summary, item.body, item.kind, item.tags) == (
        "New title",
        "Short",
        "Body text",
        "video",
        ["retention", "onboarding"],
    )
    new = ContentItem.objects.get(slug="new-article")
    assert (new.title, new.summary, new.body, new.kind, new.tags) == (
        "New article",
        "",
        "",
        "article",
        ["a", "b"],
    )


def test_interactions_good_file(existing, tmp_path):
    sample = SAMPLES["interactions"]
    report = run("interactions", write_file(tmp_path / "interactions.csv", sample.data()))

    assert report.committed
    assert report.created == {"interactions": 3}
    new = Interaction.objects.exclude(pk=existing.interaction.pk).order_by("occurred_at")
    rows = [
        (
            i.customer_id,
            i.product_id,
            i.content_item_id,
            i.kind,
            i.quantity,
            i.value,
            i.occurred_at,
        )
        for i in new
    ]
    assert rows == [
        (
            existing.customer.pk,
            existing.product.pk,
            None,
            "purchase",
            2,
            Decimal("5.10"),
            dt.datetime(2024, 3, 1, 10, 0, tzinfo=UTC),
        ),
        (
            existing.customer.pk,
            None,
            existing.content.pk,
            "view",
            1,
            None,
            dt.datetime(2024, 3, 2, 0, 0, tzinfo=UTC),
        ),
        (
            existing.customer.pk,
            None,
            None,
            "support_ticket",
            1,
            None,
            dt.datetime(2024, 3, 3, 8, 30, tzinfo=UTC),
        ),
    ]
    refs = [i.source_ref for i in new]
    assert len(set(refs)) == 3
    assert all(ref and len(ref) <= 64 for ref in refs)


def test_online_retail_good_file(existing, tmp_path):
    sample = SAMPLES["online_retail"]
    report = run("online_retail", write_file(tmp_path / "retail.csv", sample.data()))

    assert report.committed
    assert report.rows_read == 8
    assert report.created == {"customers": 1, "products": 1, "interactions": 3}
    assert report.updated == {"customers": 1, "products": 1}
    assert report.skipped == {
        "exact duplicate row": 1,
        "non-product stock code (postage, fees, discounts, vouchers)": 2,
        "no CustomerID": 1,
        "bad-debt adjustment (A invoice)": 1,
    }
    assert report.notes == {"cancellations imported as returns": 1}
    assert report.rejected == []

    known = Customer.objects.get(external_id=EXISTING_CUSTOMER)
    assert known.country == "United Kingdom"
    assert known.name == "Existing Customer"  # a real name is not replaced by "Customer N"
    new_customer = Customer.objects.get(external_id="13047")
    assert (new_customer.name, new_customer.country) == ("Customer 13047", "United Kingdom")
    holder = Product.objects.get(sku=EXISTING_SKU)
    assert (holder.name, holder.price) == ("WHITE HANGING HEART T-LIGHT HOLDER", Decimal("2.55"))
    warmer = Product.objects.get(sku="22633")
    assert (warmer.name, warmer.price) == ("HAND WARMER UNION JACK", Decimal("1.85"))
    assert not Product.objects.filter(sku__in=["POST", "22634", "B", "gift_0001_20"]).exists()
    rows = [
        (i.customer.external_id, i.product.sku, i.kind, i.quantity, i.value, i.occurred_at)
        for i in Interaction.objects.exclude(pk=existing.interaction.pk).order_by("occurred_at")
    ]
    assert rows == [
        (
            EXISTING_CUSTOMER,
            EXISTING_SKU,
            "purchase",
            6,
            Decimal("15.30"),
            dt.datetime(2010, 12, 1, 8, 26, tzinfo=UTC),
        ),
        (
            "13047",
            "22633",
            "purchase",
            6,
            Decimal("11.10"),
            dt.datetime(2010, 12, 1, 8, 28, tzinfo=UTC),
        ),
        (
            "13047",
            "22633",
            "return",
            -2,
            Decimal("-3.70"),
            dt.datetime(2010, 12, 1, 9, 41, tzinfo=UTC),
        ),
    ]


# --- bad files: a clear message, and the database exactly as before -----------------------


def assert_file_error(kind, path, fragment, **kwargs):
    before = db_snapshot()
    with pytest.raises(ImportFileError) as caught:
        run(kind, path, **kwargs)
    assert fragment in caught.value.message
    assert db_snapshot() == before
    return caught.value.message


def assert_rolled_back(kind, path, expected_rejected, **kwargs):
    before = db_snapshot()
    report = run(kind, path, **kwargs)
    assert report.rejected == expected_rejected
    assert not report.committed
    assert report.created == {}
    assert report.updated == {}
    assert db_snapshot() == before
    return report


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_missing_column(existing, tmp_path, kind):
    sample = SAMPLES[kind]
    header = [column for column in sample.header if column != sample.missing_column]
    path = write_file(tmp_path / "missing.csv", csv_bytes(header, sample.rows))
    message = assert_file_error(
        kind, path, f"missing the required column(s) {sample.missing_column}"
    )
    assert f"Found: {', '.join(header)}." in message


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_value_that_does_not_parse(existing, tmp_path, kind):
    sample = SAMPLES[kind]
    rows = sample.copy_rows()
    column, value, reason = sample.bad_value
    rows[1][column] = value
    path = write_file(tmp_path / "bad.csv", sample.data(rows))
    assert_rolled_back(kind, path, [(3, reason)])


@pytest.mark.parametrize("kind", KINDS_WITH_IDS)
def test_duplicate_id_in_file(existing, tmp_path, kind):
    sample = SAMPLES[kind]
    rows = [*sample.copy_rows(), dict(sample.rows[0])]
    path = write_file(tmp_path / "dupes.csv", sample.data(rows))
    assert_rolled_back(kind, path, [(len(rows) + 1, sample.duplicate_reason)])


def test_online_retail_exact_duplicate_rows_are_skipped_and_counted(existing, tmp_path):
    sample = SAMPLES["online_retail"]
    rows = [sample.rows[1], sample.rows[1], sample.rows[1]]
    report = run("online_retail", write_file(tmp_path / "dupes.csv", sample.data(rows)))
    assert report.committed
    assert report.skipped == {"exact duplicate row": 2}
    assert report.created["interactions"] == 1
    assert Interaction.objects.filter(customer__external_id="13047").count() == 1


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize(
    "data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"], ids=["0-bytes", "bom", "blank"]
)
def test_empty_file(existing, tmp_path, kind, data):
    assert_file_error(kind, write_file(tmp_path / "empty.csv", data), "The file is empty.")


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_header_only(existing, tmp_path, kind):
    sample = SAMPLES[kind]
    path = write_file(tmp_path / "header.csv", sample.data([]))
    assert_file_error(kind, path, "The file has a header but no data rows.")


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_not_utf8(existing, tmp_path, kind):
    sample = SAMPLES[kind]
    rows = sample.copy_rows()
    rows[1][sample.text_column] = "Café"
    path = write_file(tmp_path / "latin1.csv", sample.data(rows, encoding="latin-1"))
    message = assert_file_error(kind, path, "The file is not UTF-8 text: byte 0xe9 near line")
    assert "CSV UTF-8" in message


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_gz_name_but_not_gzip(existing, tmp_path, kind):
    path = write_file(tmp_path / "data.csv.gz", SAMPLES[kind].data())
    assert_file_error(kind, path, "data.csv.gz has a .gz name but is not gzip-compressed")


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_truncated_gzip(existing, tmp_path, kind):
    path = write_file(tmp_path / "data.csv.gz", SAMPLES[kind].data() * 50, gz=True)
    path.write_bytes(path.read_bytes()[:-30])
    assert_file_error(kind, path, "data.csv.gz is not a valid gzip file")


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_one_megabyte_field(existing, tmp_path, kind):
    sample = SAMPLES[kind]
    rows = sample.copy_rows()
    rows[1][sample.long_column] = "x" * ONE_MB
    path = write_file(tmp_path / "huge.csv", sample.data(rows))
    reason = (
        f"{sample.long_column} is {ONE_MB:,} characters long; at most {sample.long_limit:,} allowed"
    )
    assert_rolled_back(kind, path, [(3, reason)])


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_wrong_number_of_fields(existing, tmp_path, kind):
    sample = SAMPLES[kind]
    data = sample.data() + b"only,three,fields\r\n"
    path = write_file(tmp_path / "ragged.csv", data)
    line = len(sample.rows) + 2
    expected = f"expected {len(sample.header)} fields but found 3 (a stray comma or quote?)"
    assert_rolled_back(kind, path, [(line, expected)])


def test_unknown_kind(existing, tmp_path):
    path = write_file(tmp_path / "x.csv", SAMPLES["products"].data())
    message = assert_file_error("suppliers", path, "Unknown kind 'suppliers'. Valid kinds: ")
    assert "telco, customers, products, content, interactions, online_retail" in message


def test_counts_unchanged_helper_sees_changes(existing, tmp_path):
    """The snapshot used above does notice a write (guards against a vacuous comparison)."""
    before = counts()
    run("products", write_file(tmp_path / "p.csv", SAMPLES["products"].data()))
    assert counts()["Product"] == before["Product"] + 1

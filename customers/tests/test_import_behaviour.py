"""Behaviour shared by all kinds: idempotency, partial mode, gzip, progress, real files."""

import csv
import gzip
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from customers.importing import parsing
from customers.importing.errors import ImportFileError, RowRejected
from customers.importing.services import import_file
from customers.models import Customer, Interaction, Product, Segment
from customers.tests.test_import_support import (
    EXISTING_CUSTOMER,
    EXISTING_SKU,
    SAMPLES,
    counts,
    csv_bytes,
    db_snapshot,
    make_existing,
    write_file,
)

ALL_KINDS = list(SAMPLES)
DATA_DIR = Path("/work/shared/data")
TELCO_FILE = DATA_DIR / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
RETAIL_FILE = DATA_DIR / "online_retail.csv.gz"


@pytest.fixture
def existing(db):
    return make_existing()


def run(kind: str, path, **kwargs):
    return import_file(kind=kind, path_or_file=path, **kwargs)


def without_timestamps(snapshot: dict) -> dict:
    return {
        model: [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]
        for model, rows in snapshot.items()
    }


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_reimport_is_idempotent(existing, tmp_path, kind):
    path = write_file(tmp_path / "data.csv", SAMPLES[kind].data())
    first = run(kind, path)
    after_first = db_snapshot()

    second = run(kind, path)

    assert first.committed and second.committed
    assert without_timestamps(db_snapshot()) == without_timestamps(after_first)
    assert sum(second.created.values()) == 0
    if "interactions" in first.created:
        assert second.skipped["already imported"] == first.created["interactions"]


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("name", ["data.csv.gz", "data.csv"], ids=["gz-name", "magic-only"])
def test_gzip_is_accepted(existing, tmp_path, kind, name):
    plain = run(kind, write_file(tmp_path / "plain.csv", SAMPLES[kind].data()))
    plain_state = without_timestamps(db_snapshot())
    with_gzip = run(kind, write_file(tmp_path / name, SAMPLES[kind].data(), gz=True))

    assert with_gzip.committed
    assert with_gzip.rows_read == plain.rows_read
    assert without_timestamps(db_snapshot()) == plain_state


def test_utf8_bom_and_crlf_are_accepted(existing, tmp_path):
    data = b"\xef\xbb\xbf" + SAMPLES["products"].data()
    report = run("products", write_file(tmp_path / "bom.csv", data))
    assert report.committed
    assert Product.objects.get(sku="NEW-1").name == "Garden hose"


def test_file_object_is_accepted_and_left_open(existing):
    handle = io.BytesIO(SAMPLES["products"].data())
    report = run("products", handle)
    assert report.committed
    assert not handle.closed


def test_missing_path_is_a_file_error(db, tmp_path):
    with pytest.raises(ImportFileError, match="There is no file"):
        run("products", tmp_path / "nope.csv")


def test_zip_file_is_a_file_error(db, tmp_path):
    path = write_file(tmp_path / "book.xlsx", b"PK\x03\x04rest-of-a-workbook")
    with pytest.raises(ImportFileError, match="ZIP archive or an Excel workbook"):
        run("products", path)


def test_partial_commits_good_rows_and_lists_every_bad_one(existing, tmp_path):
    data = (
        b"sku,name,price\r\n"
        b"OK-1,First,1.00\r\n"
        b"BAD-1,Second,abc\r\n"
        b"OK-2,Third,\r\n"
        b",No sku,2.00\r\n"
        b"OK-1,Again,3.00\r\n"
    )
    path = write_file(tmp_path / "p.csv", data)
    before = counts()

    report = run("products", path, partial=True)

    assert report.committed
    assert report.rejected == [
        (3, "price: 'abc' is not a number"),
        (5, "sku is required"),
        (6, "duplicate sku OK-1, first seen on line 2"),
    ]
    assert report.created == {"products": 2}
    assert counts()["Product"] == before["Product"] + 2
    assert Product.objects.get(sku="OK-1").name == "First"


def test_all_or_nothing_lists_every_bad_row(existing, tmp_path):
    rows = [{"sku": f"S{i}", "name": f"P{i}", "price": "x" if i % 2 else "1"} for i in range(9)]
    path = write_file(tmp_path / "p.csv", csv_bytes(["sku", "name", "price"], rows))
    before = db_snapshot()
    report = run("products", path, batch_size=2)
    assert [line for line, _ in report.rejected] == [3, 5, 7, 9]
    assert not report.committed
    assert db_snapshot() == before


def test_rejections_found_while_writing_roll_back_earlier_batches(existing, tmp_path):
    """Unknown references are found per batch, after earlier batches were written."""
    header = ["customer_id", "kind", "occurred_at", "sku", "content_slug"]
    rows = [
        {"customer_id": EXISTING_CUSTOMER, "kind": "view", "occurred_at": f"2024-01-0{i}"}
        for i in range(1, 6)
    ]
    rows += [
        {"customer_id": "NOBODY", "kind": "view", "occurred_at": "2024-02-01"},
        {
            "customer_id": EXISTING_CUSTOMER,
            "kind": "view",
            "occurred_at": "2024-02-02",
            "sku": "NOPE",
        },
        {
            "customer_id": EXISTING_CUSTOMER,
            "kind": "view",
            "occurred_at": "2024-02-03",
            "content_slug": "nope",
        },
        {
            "customer_id": EXISTING_CUSTOMER,
            "kind": "click",
            "occurred_at": "2024-02-04",
            "sku": EXISTING_SKU,
            "content_slug": "existing-content",
        },
    ]
    path = write_file(tmp_path / "i.csv", csv_bytes(header, rows))
    before = db_snapshot()

    report = run("interactions", path, batch_size=2)

    assert report.rejected == [
        (7, "unknown customer id NOBODY"),
        (8, "unknown sku NOPE"),
        (9, "unknown content_slug nope"),
        (10, "give a sku or a content_slug, not both"),
    ]
    assert not report.committed
    assert db_snapshot() == before

    partial = run("interactions", path, batch_size=2, partial=True)
    assert partial.committed
    assert partial.created == {"interactions": 5}
    assert len(partial.rejected) == 4


def test_line_numbers_count_physical_lines(existing, tmp_path):
    data = b'sku,name,description\r\nA1,First,"two\r\nlines"\r\n\r\nA2,,missing name\r\n'
    report = run("products", write_file(tmp_path / "p.csv", data))
    assert report.rejected == [(5, "name is required")]
    assert report.skipped == {"blank line": 1}


def test_unclosed_quote_is_a_file_error_not_a_swallowed_file(existing, tmp_path):
    data = b'sku,name\r\nA1,"never closed\r\nA2,Second\r\n'
    before = db_snapshot()
    with pytest.raises(ImportFileError, match="Line 2: a quoted field starts here"):
        run("products", write_file(tmp_path / "p.csv", data))
    assert db_snapshot() == before


def test_malformed_quoting_rejects_only_that_row(existing, tmp_path):
    data = b'sku,name\r\nA1,"quoted"trailing\r\nA2,Second\r\n'
    report = run("products", write_file(tmp_path / "p.csv", data), partial=True)
    assert report.rejected == [(2, "cannot be read as CSV: ',' expected after '\"'")]
    assert Product.objects.filter(sku="A2").exists()


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"id": "X1", "email": "not-an-email"}, "email: 'not-an-email' is not an email address"),
        ({"id": "X1", "monthly_spend": "1e20"}, "monthly_spend: 1E+20 is too large"),
        ({"id": "X1", "monthly_spend": "nan"}, "monthly_spend: 'nan' is not a number"),
        ({"id": "X1", "monthly_spend": "1,5"}, "monthly_spend: '1,5' is not a number"),
        ({"id": "X1", "tenure_months": "-3"}, "tenure_months: -3 is out of range"),
        ({"id": "X1", "signup_date": "31/12/2024"}, "signup_date: '31/12/2024' is not a date"),
        ({"id": "", "name": "No id"}, "id is required"),
        ({"id": "X1", "segment": "s" * 101}, "segment is 101 characters long; at most 100 allowed"),
        ({"id": "X1", "free": "f" * 1001}, "free is 1,001 characters long; at most 1,000 allowed"),
    ],
)
def test_customers_row_validation(existing, tmp_path, row, reason):
    header = [
        "id",
        "name",
        "email",
        "segment",
        "monthly_spend",
        "tenure_months",
        "signup_date",
        "free",
    ]
    path = write_file(tmp_path / "c.csv", csv_bytes(header, [row]))
    report = run("customers", path)
    assert len(report.rejected) == 1
    line, message = report.rejected[0]
    assert line == 2
    assert message.startswith(reason)


def test_customers_column_mapping_options(existing, tmp_path):
    data = (
        b"Customer No,Full name,Mail,Tier,Status,Country,Since\r\n"
        b"17850,Ann,ann@example.com,Gold,CANCELLED,Spain,2023-02-01\r\n"
        b"X2,Bob,,Gold,active,,\r\n"
        b"X3,Cy,,,,,\r\n"
    )
    options = {
        "id_column": "customer no",  # matched ignoring case
        "name_column": "Full name",
        "email_column": "Mail",
        "segment_column": "Tier",
        "label_column": "Status",
        "label_positive": "cancelled, lost",
        "signup_date_column": "Since",
    }
    report = run("customers", write_file(tmp_path / "c.csv", data), options=options)

    assert report.committed, report.rejected
    assert report.created == {"customers": 2, "segments": 1}
    ann = Customer.objects.get(external_id=EXISTING_CUSTOMER)
    assert (ann.name, ann.email, ann.segment.name, ann.churned, ann.country) == (
        "Ann",
        "ann@example.com",
        "Gold",
        True,
        "Spain",
    )
    assert str(ann.signup_date) == "2023-02-01"
    # Only free columns are attributes; none are left here, so the old ones are kept.
    assert ann.attributes == {"kept": True}
    assert Customer.objects.get(external_id="X2").churned is False
    assert Customer.objects.get(external_id="X3").churned is None
    assert Segment.objects.filter(name="Gold").count() == 1


def test_customers_named_column_must_exist(existing, tmp_path):
    path = write_file(tmp_path / "c.csv", b"id,name\r\n1,Ann\r\n")
    with pytest.raises(ImportFileError, match="missing the required column\\(s\\) Mail"):
        run("customers", path, options={"email_column": "Mail"})


def test_options_of_another_kind_are_refused(db, tmp_path):
    path = write_file(tmp_path / "p.csv", SAMPLES["products"].data())
    with pytest.raises(ImportFileError, match="do not apply to products files"):
        run("products", path, options={"id_column": "sku"})


def test_duplicate_header_column_is_a_file_error(db, tmp_path):
    path = write_file(tmp_path / "p.csv", b"sku,name,SKU\r\nA,B,C\r\n")
    with pytest.raises(ImportFileError, match="appears twice"):
        run("products", path)


def test_semicolon_file_gets_a_hint(db, tmp_path):
    path = write_file(tmp_path / "p.csv", b"sku;name\r\nA;B\r\n")
    with pytest.raises(ImportFileError, match="seems to use ';'"):
        run("products", path)


def test_progress_reports_bytes_of_the_compressed_file(existing, tmp_path):
    rows = [{"sku": f"S{i:05d}", "name": f"Product {i}"} for i in range(3000)]
    path = write_file(tmp_path / "p.csv.gz", csv_bytes(["sku", "name"], rows), gz=True)
    calls = []

    run("products", path, batch_size=500, progress=lambda *args: calls.append(args))

    size = path.stat().st_size
    assert len(calls) >= 6
    assert all(total == size for _, total, _ in calls)
    done = [done for done, _, _ in calls]
    assert done == sorted(done)
    assert done[-1] == size
    assert calls[-1][2] == "3,000 rows read"


def test_report_is_json_serialisable(existing, tmp_path):
    sample = SAMPLES["online_retail"]
    report = run("online_retail", write_file(tmp_path / "r.csv", sample.data()))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["kind"] == "online_retail"
    assert data["committed"] is True
    assert data["rows_skipped"] == 5
    assert isinstance(data["duration_seconds"], float)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", None),
        ("12", 12),
        ("-4", -4),
        ("3.5", 3.5),
        ("TRUE", True),
        ("false", False),
        ("yes", "yes"),
        ("007", "007"),
        ("1e5", "1e5"),
        ("nan", "nan"),
        ("1234567890123456", "1234567890123456"),
        (" padded ", "padded"),
    ],
)
def test_attribute_typing(value, expected):
    assert parsing.attribute(value, column="c") == expected


def test_decimal_rejects_values_the_column_cannot_hold():
    with pytest.raises(RowRejected, match="too large"):
        parsing.decimal("10000000000", column="c", max_digits=12, decimal_places=2)
    assert parsing.decimal("9999999999.994", column="c", max_digits=12, decimal_places=2) == (
        Decimal("9999999999.99")
    )


@pytest.mark.slow
def test_real_telco_file(db):
    report = run("telco", TELCO_FILE)
    assert report.committed
    assert report.rows_read == 7043
    assert report.rejected == []
    assert report.created == {"customers": 7043}
    assert Customer.objects.count() == 7043
    assert Customer.objects.filter(churned=True).count() == 1869
    assert Customer.objects.filter(churned=False).count() == 5174
    # The 11 blank TotalCharges (tenure 0) are stored as null.
    assert Customer.objects.filter(attributes__TotalCharges=None).count() == 11
    first = Customer.objects.get(external_id="7590-VHVEG")
    assert first.monthly_spend == Decimal("29.85")
    assert first.attributes["TotalCharges"] == 29.85


@pytest.mark.slow
def test_online_retail_sample(db, tmp_path):
    """The first 3,000 lines of the real file (2,999 rows), gzip as published."""
    with gzip.open(RETAIL_FILE, "rt", encoding="utf-8", newline="") as source:
        head = "".join(line for _, line in zip(range(3000), source, strict=False))
    path = write_file(tmp_path / "sample.csv.gz", head.encode(), gz=True)

    report = run("online_retail", path)

    assert report.committed
    assert report.rows_read == 2999
    assert report.rejected == []
    assert report.skipped == {
        "exact duplicate row": 44,
        "no CustomerID": 1080,
        "non-product stock code (postage, fees, discounts, vouchers)": 7,
    }
    assert report.notes == {"cancellations imported as returns": 25}
    assert report.created == {"customers": 93, "products": 923, "interactions": 1868}
    assert Interaction.objects.count() == 1868
    assert Interaction.objects.filter(kind="return").count() == 25
    assert Customer.objects.get(external_id="17850").country == "United Kingdom"
    # Every imported row's value is its quantity times its unit price, to the penny.
    with gzip.open(path, "rt", encoding="utf-8", newline="") as source:
        sample_rows = list(csv.DictReader(source))
    first = sample_rows[0]
    purchase = Interaction.objects.get(
        customer__external_id=first["CustomerID"],
        product__sku=first["StockCode"],
        occurred_at__minute=26,
    )
    assert purchase.value == Decimal("15.30")


def test_progress_is_reported_while_every_row_is_rejected(existing, tmp_path):
    rows = [{"sku": f"S{i}", "name": f"P{i}", "price": "x"} for i in range(1200)]
    path = write_file(tmp_path / "p.csv", csv_bytes(["sku", "name", "price"], rows))
    calls = []
    report = run("products", path, batch_size=500, progress=lambda *args: calls.append(args))
    assert report.rows_rejected == 1200
    assert [message for _, _, message in calls] == [
        "500 rows read",
        "1,000 rows read",
        "1,200 rows read",
    ]

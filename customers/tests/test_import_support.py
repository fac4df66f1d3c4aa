"""Shared data and helpers for the import tests (no tests here).

Every kind has a small good file whose first row touches a pre-existing row (updates it, or
refers to it), so that a rolled-back import shows as "that row did not change".
"""

import csv
import gzip
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from customers.models import ContentItem, Customer, Interaction, Product, Segment
from customers.tests.factories import (
    ContentItemFactory,
    CustomerFactory,
    InteractionFactory,
    ProductFactory,
    SegmentFactory,
)

EXISTING_CUSTOMER = "17850"
EXISTING_SKU = "85123A"
EXISTING_SLUG = "existing-content"
ONE_MB = 1024 * 1024

MODELS = (Segment, Customer, Product, ContentItem, Interaction)


def make_existing() -> SimpleNamespace:
    segment = SegmentFactory(name="Existing segment")
    customer = CustomerFactory(
        external_id=EXISTING_CUSTOMER,
        name="Existing Customer",
        email="existing@example.com",
        segment=segment,
        country="France",
        plan="Legacy",
        attributes={"kept": True},
        churned=None,
        monthly_spend=Decimal("10.00"),
        tenure_months=3,
    )
    product = ProductFactory(
        sku=EXISTING_SKU, name="Old name", description="Old description", price=Decimal("5.00")
    )
    content = ContentItemFactory(slug=EXISTING_SLUG, title="Old title", tags=["old"])
    interaction = InteractionFactory(customer=customer, product=product, source_ref="existing")
    return SimpleNamespace(
        segment=segment,
        customer=customer,
        product=product,
        content=content,
        interaction=interaction,
    )


def db_snapshot() -> dict[str, list[dict]]:
    """Every row of every import-touched table, every column."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def csv_bytes(header: list[str], rows: list[dict], *, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode(encoding)


def write_file(path: Path, data: bytes, *, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


TELCO_HEADER = [
    "customerID",
    "gender",
    "SeniorCitizen",
    "Partner",
    "Dependents",
    "tenure",
    "PhoneService",
    "MultipleLines",
    "InternetService",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
    "MonthlyCharges",
    "TotalCharges",
    "Churn",
]


def telco_row(customer_id: str, **overrides: str) -> dict[str, str]:
    row = {
        "customerID": customer_id,
        "gender": "Female",
        "SeniorCitizen": "0",
        "Partner": "Yes",
        "Dependents": "No",
        "tenure": "1",
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
        "MonthlyCharges": "29.85",
        "TotalCharges": "29.85",
        "Churn": "No",
    }
    row.update(overrides)
    return row


RETAIL_HEADER = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]


def retail_row(
    invoice: str,
    sku: str,
    description: str,
    quantity: str,
    date: str,
    price: str,
    customer: str,
    country: str = "United Kingdom",
) -> dict[str, str]:
    return dict(
        zip(
            RETAIL_HEADER,
            [invoice, sku, description, quantity, date, price, customer, country],
            strict=True,
        )
    )


@dataclass
class KindSample:
    kind: str
    header: list[str]
    rows: list[dict[str, str]]
    # A value that does not parse: (column, value, expected reason), put on the second row.
    bad_value: tuple[str, str, str]
    # Column that identifies a row, for the duplicate case (None: duplicates are skipped).
    id_column: str | None
    duplicate_reason: str
    long_column: str
    long_limit: int
    missing_column: str
    # A text column to put a non-ASCII character in, for the latin-1 case.
    text_column: str
    options: dict = field(default_factory=dict)

    def data(self, rows: list[dict] | None = None, *, encoding: str = "utf-8") -> bytes:
        return csv_bytes(self.header, self.rows if rows is None else rows, encoding=encoding)

    def copy_rows(self) -> list[dict[str, str]]:
        return [dict(row) for row in self.rows]


SAMPLES = {
    "telco": KindSample(
        kind="telco",
        header=TELCO_HEADER,
        rows=[
            telco_row(
                EXISTING_CUSTOMER,
                tenure="34",
                MonthlyCharges="56.95",
                TotalCharges="1889.5",
                Churn="Yes",
                SeniorCitizen="1",
                gender="Male",
            ),
            telco_row("7590-VHVEG", tenure="0", TotalCharges=" ", Churn=""),
        ],
        bad_value=("MonthlyCharges", "abc", "MonthlyCharges: 'abc' is not a number"),
        id_column="customerID",
        duplicate_reason=f"duplicate customer id {EXISTING_CUSTOMER}, first seen on line 2",
        long_column="gender",
        long_limit=1000,
        missing_column="MonthlyCharges",
        text_column="PaymentMethod",
    ),
    "customers": KindSample(
        kind="customers",
        header=[
            "id",
            "name",
            "email",
            "segment",
            "churned",
            "tenure_months",
            "score",
            "vip",
            "notes",
        ],
        rows=[
            {
                "id": EXISTING_CUSTOMER,
                "name": "Ann Lee",
                "email": "ann@example.com",
                "segment": "Enterprise",
                "churned": "Yes",
                "tenure_months": "24",
                "score": "3.5",
                "vip": "true",
                "notes": "007",
            },
            {"id": "C-2", "name": "Bob", "tenure_months": "", "score": "12", "vip": "FALSE"},
        ],
        bad_value=("tenure_months", "ten", "tenure_months: 'ten' is not a whole number"),
        id_column="id",
        duplicate_reason=f"duplicate customer id {EXISTING_CUSTOMER}, first seen on line 2",
        long_column="name",
        long_limit=200,
        missing_column="id",
        text_column="name",
    ),
    "products": KindSample(
        kind="products",
        header=["sku", "name", "description", "category", "price", "active"],
        rows=[
            {
                "sku": EXISTING_SKU,
                "name": "Heart holder",
                "description": "New description",
                "category": "Home",
                "price": "3.10",
                "active": "yes",
            },
            {"sku": "NEW-1", "name": "Garden hose", "category": "Garden", "active": "no"},
        ],
        bad_value=("price", "cheap", "price: 'cheap' is not a number"),
        id_column="sku",
        duplicate_reason=f"duplicate sku {EXISTING_SKU}, first seen on line 2",
        long_column="name",
        long_limit=255,
        missing_column="name",
        text_column="description",
    ),
    "content": KindSample(
        kind="content",
        header=["slug", "title", "summary", "body", "kind", "tags"],
        rows=[
            {
                "slug": EXISTING_SLUG,
                "title": "New title",
                "summary": "Short",
                "body": "Body text",
                "kind": "Video",
                "tags": "retention; onboarding",
            },
            {"slug": "new-article", "title": "New article", "tags": "a,b,a"},
        ],
        # Content has no number columns: an unknown choice is its "value that does not parse".
        bad_value=(
            "kind",
            "blog",
            "kind: unknown value 'blog'; expected one of article, video, podcast",
        ),
        id_column="slug",
        duplicate_reason=f"duplicate slug {EXISTING_SLUG}, first seen on line 2",
        long_column="title",
        long_limit=255,
        missing_column="title",
        text_column="summary",
    ),
    "interactions": KindSample(
        kind="interactions",
        header=[
            "customer_id",
            "sku",
            "content_slug",
            "kind",
            "quantity",
            "value",
            "occurred_at",
            "ref",
        ],
        rows=[
            {
                "customer_id": EXISTING_CUSTOMER,
                "sku": EXISTING_SKU,
                "kind": "purchase",
                "quantity": "2",
                "value": "5.10",
                "occurred_at": "2024-03-01T10:00:00Z",
                "ref": "order-1",
            },
            {
                "customer_id": EXISTING_CUSTOMER,
                "content_slug": EXISTING_SLUG,
                "kind": "view",
                "occurred_at": "2024-03-02",
            },
            {
                "customer_id": EXISTING_CUSTOMER,
                "kind": "support_ticket",
                "quantity": "1",
                "occurred_at": "2024-03-03 09:30:00+01:00",
            },
        ],
        bad_value=("quantity", "two", "quantity: 'two' is not a whole number"),
        id_column="ref",
        duplicate_reason="duplicate ref order-1, first seen on line 2",
        long_column="customer_id",
        long_limit=64,
        missing_column="occurred_at",
        text_column="kind",
    ),
    "online_retail": KindSample(
        kind="online_retail",
        header=RETAIL_HEADER,
        rows=[
            retail_row(
                "536365",
                EXISTING_SKU,
                "WHITE HANGING HEART T-LIGHT HOLDER ",
                "6",
                "2010-12-01 08:26:00",
                "2.55",
                EXISTING_CUSTOMER,
            ),
            retail_row(
                "536366",
                "22633",
                "HAND WARMER UNION JACK",
                "6",
                "2010-12-01 08:28:00",
                "1.85",
                "13047",
            ),
            retail_row(
                "C536379",
                "22633",
                "HAND WARMER UNION JACK",
                "-2",
                "2010-12-01 09:41:00",
                "1.85",
                "13047",
            ),
            retail_row(
                "536366",
                "22633",
                "HAND WARMER UNION JACK",
                "6",
                "2010-12-01 08:28:00",
                "1.85",
                "13047",
            ),
            retail_row("536367", "POST", "POSTAGE", "1", "2010-12-01 09:00:00", "18.00", "13047"),
            retail_row(
                "536368", "22634", "CHILDS BREAKFAST SET", "1", "2010-12-01 09:02:00", "9.95", ""
            ),
            retail_row(
                "A563185", "B", "Adjust bad debt", "1", "2011-08-12 14:50:00", "11062.06", ""
            ),
            retail_row(
                "536370",
                "gift_0001_20",
                "Gift voucher",
                "1",
                "2010-12-01 09:05:00",
                "17.02",
                "12583",
                "France",
            ),
        ],
        bad_value=("Quantity", "six", "Quantity: 'six' is not a whole number"),
        id_column=None,
        duplicate_reason="",
        long_column="Description",
        long_limit=255,
        missing_column="UnitPrice",
        text_column="Description",
    ),
}

"""One importer per kind of file: how its header is read, how a row is checked, how a batch
is written.

An importer sees each row twice: ``parse`` checks it on its own (types, lengths, duplicates
within the file) and ``write`` stores a batch of good rows, resolving what needs the
database (foreign keys, created or updated). Both reject a row by raising or recording a
reason against its line number.
"""

import datetime as dt
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, ClassVar, NamedTuple

from django.db import connection, models

from customers.models import ContentItem, Customer, Interaction, Product, Segment

from . import parsing
from .errors import ImportFileError, RowRejected, RowSkipped
from .report import ImportReport

# Joins a row's fields before hashing; a control character no sane CSV value contains.
FIELD_SEPARATOR = "\x1f"
# Rows per INSERT statement inside one batch; keeps statements a sensible size.
INSERT_CHUNK = 1000
# Rows per "pk of these keys" lookup (SQLite allows 32,766 parameters per statement).
LOOKUP_CHUNK = 5000


def _max_length(model: type[models.Model], field: str) -> int:
    return model._meta.get_field(field).max_length


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ref(prefix: str, *parts: str) -> str:
    """A stable source_ref (<= 64 chars) from a row's natural key."""
    digest = hashlib.sha1(FIELD_SEPARATOR.join(parts).encode()).hexdigest()
    return f"{prefix}:{digest}"


def _upsert(
    model: type[models.Model],
    objs: list[models.Model],
    *,
    key: str,
    update_fields: list[str],
    report: ImportReport,
    label: str,
) -> None:
    """Insert new rows and update existing ones, matched on the unique ``key``, in bulk."""
    if not objs:
        return
    keys = [getattr(obj, key) for obj in objs]
    existing: set[str] = set()
    for chunk in _chunks(keys, LOOKUP_CHUNK):
        existing.update(model.objects.filter(**{f"{key}__in": chunk}).values_list(key, flat=True))
    model.objects.bulk_create(
        objs,
        batch_size=INSERT_CHUNK,
        update_conflicts=True,
        unique_fields=[key],
        update_fields=[*update_fields, "updated_at"],
    )
    report.count_created(label, len(keys) - len(existing))
    report.count_updated(label, len(existing))


class KeyMap:
    """Natural key -> pk for one model, looked up once per key for the whole import."""

    def __init__(self, model: type[models.Model], field: str) -> None:
        self.model = model
        self.field = field
        self.pks: dict[str, int | None] = {}

    def resolve(self, keys: Iterable[str]) -> dict[str, int | None]:
        unknown = [key for key in set(keys) if key not in self.pks]
        for chunk in _chunks(unknown, LOOKUP_CHUNK):
            found = dict(
                self.model.objects.filter(**{f"{self.field}__in": chunk}).values_list(
                    self.field, "pk"
                )
            )
            for key in chunk:
                self.pks[key] = found.get(key)
        return self.pks

    def add(self, pairs: Iterable[tuple[str, int]]) -> None:
        self.pks.update(pairs)


class Importer:
    kind: ClassVar[str]
    label: ClassVar[str]
    # Shown on the upload page and in ``import_data --help``.
    help_text: ClassVar[str]
    option_names: ClassVar[tuple[str, ...]] = ()
    # key -> column name in the header; matched ignoring case and surrounding spaces.
    required_columns: ClassVar[dict[str, str]] = {}
    optional_columns: ClassVar[dict[str, str]] = {}

    def __init__(self, *, options: dict[str, Any], report: ImportReport) -> None:
        unknown = sorted(key for key, value in options.items() if key not in self.option_names)
        if unknown:
            accepted = ", ".join(self.option_names) or "none"
            raise ImportFileError(
                f"Option(s) {', '.join(unknown)} do not apply to {self.kind} files "
                f"(accepted: {accepted})."
            )
        self.options = options
        self.report = report
        self.header: list[str] = []
        # key -> position in the row, for the mapped columns present in this file.
        self.col: dict[str, int] = {}

    def columns(self) -> tuple[dict[str, str], dict[str, str]]:
        return dict(self.required_columns), dict(self.optional_columns)

    def bind_header(self, header: list[str]) -> None:
        positions: dict[str, int] = {}
        for position, name in enumerate(header):
            folded = name.casefold()
            if not folded:
                continue
            if folded in positions:
                raise ImportFileError(f"The column {name!r} appears twice in the header.")
            positions[folded] = position
        required, optional = self.columns()
        missing = [name for name in required.values() if name.casefold() not in positions]
        if missing:
            found = ", ".join(name for name in header if name) or "nothing"
            hint = ""
            if len(header) == 1 and ";" in header[0]:
                hint = " The file seems to use ';' between columns; save it with commas."
            raise ImportFileError(
                f"The header is missing the required column(s) {', '.join(missing)}. "
                f"Found: {found}.{hint}"
            )
        self.header = header
        for key, name in {**optional, **required}.items():
            if name.casefold() in positions:
                self.col[key] = positions[name.casefold()]

    def unmapped_positions(self) -> list[int]:
        """Columns of the file that no field is mapped to, in file order."""
        mapped = set(self.col.values())
        return [i for i, name in enumerate(self.header) if name and i not in mapped]

    def parse(self, line: int, values: list[str]) -> Any:
        raise NotImplementedError

    def write(self, batch: list[Any], *, write: bool) -> None:
        """Store ``batch``; with ``write=False`` only check what needs the database."""
        raise NotImplementedError

    def finish(self, *, write: bool) -> None:
        """Called once after the last batch."""


class TelcoImporter(Importer):
    kind = "telco"
    label = "IBM Telco churn customers"
    help_text = (
        "The IBM Telco Customer Churn CSV exactly as published (21 columns). customerID "
        "becomes the customer id and name, Churn (Yes/No, blank = unknown) the churn label, "
        "MonthlyCharges the monthly spend, tenure the tenure in months; every other column is "
        "kept as a customer attribute."
    )
    required_columns = {
        name: name
        for name in (
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
        )
    }
    attribute_types: ClassVar[dict[str, Any]] = {
        "SeniorCitizen": parsing.attribute_int,
        "TotalCharges": parsing.attribute_float,
    }
    mapped: ClassVar[frozenset[str]] = frozenset(
        {"customerID", "tenure", "MonthlyCharges", "Churn"}
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: dict[str, int] = {}

    def bind_header(self, header: list[str]) -> None:
        super().bind_header(header)
        self.attribute_columns = [
            (
                position,
                self.header[position],
                self.attribute_types.get(self.header[position], parsing.attribute_text),
            )
            for position in range(len(self.header))
            if self.header[position] and self.header[position] not in self.mapped
        ]

    def parse(self, line: int, values: list[str]) -> Customer:
        col = self.col
        external_id = parsing.text(
            values[col["customerID"]],
            column="customerID",
            max_length=_max_length(Customer, "external_id"),
            required=True,
        )
        tenure = parsing.integer(values[col["tenure"]], column="tenure", min_value=0)
        spend = parsing.decimal(
            values[col["MonthlyCharges"]], column="MonthlyCharges", max_digits=12, decimal_places=2
        )
        churn = values[col["Churn"]].strip().lower()
        if churn not in {"yes", "no", ""}:
            raise RowRejected(f"Churn: {parsing.excerpt(churn)} is not Yes, No or blank")
        attributes = {
            name: parse(values[position], column=name)
            for position, name, parse in self.attribute_columns
        }
        if external_id in self.seen:
            raise RowRejected(
                f"duplicate customer id {external_id}, first seen on line {self.seen[external_id]}"
            )
        self.seen[external_id] = line
        return Customer(
            external_id=external_id,
            name=external_id,
            tenure_months=tenure,
            monthly_spend=spend,
            churned={"yes": True, "no": False}.get(churn),
            attributes=attributes,
        )

    def write(self, batch: list[Customer], *, write: bool) -> None:
        if write:
            _upsert(
                Customer,
                batch,
                key="external_id",
                update_fields=["name", "tenure_months", "monthly_spend", "churned", "attributes"],
                report=self.report,
                label="customers",
            )


class CustomerRow(NamedTuple):
    line: int
    customer: Customer
    segment: str | None


class CustomersImporter(Importer):
    kind = "customers"
    label = "Customers (any CSV, with a column mapping)"
    help_text = (
        "Any customers CSV. The id column is required (default name 'id'). The columns name, "
        "email, segment (created by name), churned (the churn label), country, plan, "
        "tenure_months, monthly_spend and signup_date (YYYY-MM-DD) are used when present, "
        "under these names or the names you map. Churn label: a value in the churned list "
        "(default yes,true,1,churned,y; any case) is churned, any other value is not, blank is "
        "unknown. Every other column is kept as an attribute, typed per value: whole numbers "
        "(no leading zeros), decimals, true/false, otherwise text; blank is empty. Matched on "
        "id: an existing customer is updated."
    )
    # option -> (field, column used when the option is not given)
    mapping: ClassVar[dict[str, tuple[str, str]]] = {
        "name_column": ("name", "name"),
        "email_column": ("email", "email"),
        "segment_column": ("segment", "segment"),
        "label_column": ("churned", "churned"),
        "country_column": ("country", "country"),
        "plan_column": ("plan", "plan"),
        "tenure_column": ("tenure_months", "tenure_months"),
        "monthly_spend_column": ("monthly_spend", "monthly_spend"),
        "signup_date_column": ("signup_date", "signup_date"),
    }
    option_names = ("id_column", *mapping, "label_positive")
    default_positive = ("yes", "true", "1", "churned", "y")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        positive = self.options.get("label_positive") or self.default_positive
        if isinstance(positive, str):
            positive = positive.split(",")
        self.positive = frozenset(word.strip().lower() for word in positive if word.strip())
        self.seen: dict[str, int] = {}
        self.segments = KeyMap(Segment, "name")

    def columns(self) -> tuple[dict[str, str], dict[str, str]]:
        required = {"external_id": (self.options.get("id_column") or "id").strip()}
        optional = {}
        for option, (field, default) in self.mapping.items():
            chosen = (self.options.get(option) or "").strip()
            if chosen:
                # A column the user named must exist; a default one is used if present.
                required[field] = chosen
            else:
                optional[field] = default
        return required, optional

    def bind_header(self, header: list[str]) -> None:
        super().bind_header(header)
        self.attribute_columns = [(i, self.header[i]) for i in self.unmapped_positions()]
        self.update_fields = [field for field in self.col if field != "external_id"]
        if self.attribute_columns:
            self.update_fields.append("attributes")

    def _column(self, field: str) -> str:
        return self.header[self.col[field]]

    def parse(self, line: int, values: list[str]) -> CustomerRow:
        col = self.col
        fields: dict[str, Any] = {}
        external_id = parsing.text(
            values[col["external_id"]],
            column=self._column("external_id"),
            max_length=_max_length(Customer, "external_id"),
            required=True,
        )
        for field in ("name", "country", "plan"):
            if field in col:
                fields[field] = parsing.text(
                    values[col[field]],
                    column=self._column(field),
                    max_length=_max_length(Customer, field),
                )
        if "email" in col:
            fields["email"] = parsing.email(
                values[col["email"]],
                column=self._column("email"),
                max_length=_max_length(Customer, "email"),
            )
        if "tenure_months" in col:
            fields["tenure_months"] = parsing.integer(
                values[col["tenure_months"]], column=self._column("tenure_months"), min_value=0
            )
        if "monthly_spend" in col:
            fields["monthly_spend"] = parsing.decimal(
                values[col["monthly_spend"]],
                column=self._column("monthly_spend"),
                max_digits=12,
                decimal_places=2,
            )
        if "signup_date" in col:
            fields["signup_date"] = parsing.date(
                values[col["signup_date"]], column=self._column("signup_date")
            )
        if "churned" in col:
            label = values[col["churned"]].strip().lower()
            fields["churned"] = (label in self.positive) if label else None
        segment = None
        if "segment" in col:
            segment = parsing.text(
                values[col["segment"]],
                column=self._column("segment"),
                max_length=_max_length(Segment, "name"),
            )
        fields["attributes"] = {
            name: parsing.attribute(values[position], column=name)
            for position, name in self.attribute_columns
        }
        if external_id in self.seen:
            raise RowRejected(
                f"duplicate customer id {external_id}, first seen on line {self.seen[external_id]}"
            )
        self.seen[external_id] = line
        return CustomerRow(line, Customer(external_id=external_id, **fields), segment or None)

    def write(self, batch: list[CustomerRow], *, write: bool) -> None:
        if not write:
            return
        names = {row.segment for row in batch if row.segment}
        known = self.segments.resolve(names)
        new_names = sorted(name for name in names if known.get(name) is None)
        if new_names:
            Segment.objects.bulk_create(
                [Segment(name=name) for name in new_names], ignore_conflicts=True
            )
            self.segments.pks.update(
                Segment.objects.filter(name__in=new_names).values_list("name", "pk")
            )
            self.report.count_created("segments", len(new_names))
        for row in batch:
            if "segment" in self.col:
                row.customer.segment_id = self.segments.pks[row.segment] if row.segment else None
        _upsert(
            Customer,
            [row.customer for row in batch],
            key="external_id",
            update_fields=[*self.update_fields],
            report=self.report,
            label="customers",
        )


class ProductsImporter(Importer):
    kind = "products"
    label = "Products"
    help_text = (
        "Columns sku and name (required), description, category, price (a number, blank = "
        "none) and active (yes/no, true/false or 1/0; blank = yes). Matched on sku: an "
        "existing product is updated."
    )
    required_columns = {"sku": "sku", "name": "name"}
    optional_columns = {
        "description": "description",
        "category": "category",
        "price": "price",
        "active": "active",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: dict[str, int] = {}

    def bind_header(self, header: list[str]) -> None:
        super().bind_header(header)
        self.update_fields = [field for field in self.col if field != "sku"]

    def parse(self, line: int, values: list[str]) -> Product:
        col = self.col
        sku = parsing.text(
            values[col["sku"]], column="sku", max_length=_max_length(Product, "sku"), required=True
        )
        fields: dict[str, Any] = {
            "name": parsing.text(
                values[col["name"]],
                column="name",
                max_length=_max_length(Product, "name"),
                required=True,
            )
        }
        if "description" in col:
            fields["description"] = parsing.text(
                values[col["description"]],
                column="description",
                max_length=parsing.TEXT_MAX_CHARS,
            )
        if "category" in col:
            fields["category"] = parsing.text(
                values[col["category"]],
                column="category",
                max_length=_max_length(Product, "category"),
            )
        if "price" in col:
            fields["price"] = parsing.decimal(
                values[col["price"]],
                column="price",
                max_digits=12,
                decimal_places=2,
                min_value=Decimal(0),
            )
        if "active" in col:
            fields["active"] = parsing.boolean(values[col["active"]], column="active", default=True)
        if sku in self.seen:
            raise RowRejected(f"duplicate sku {sku}, first seen on line {self.seen[sku]}")
        self.seen[sku] = line
        return Product(sku=sku, **fields)

    def write(self, batch: list[Product], *, write: bool) -> None:
        if write:
            _upsert(
                Product,
                batch,
                key="sku",
                update_fields=self.update_fields,
                report=self.report,
                label="products",
            )


class ContentImporter(Importer):
    kind = "content"
    label = "Content items"
    help_text = (
        "Columns slug and title (required), summary, body, kind (article, video or podcast; "
        "blank = article) and tags (separated by ';' or ','). Matched on slug: an existing "
        "item is updated."
    )
    required_columns = {"slug": "slug", "title": "title"}
    optional_columns = {"summary": "summary", "body": "body", "kind": "kind", "tags": "tags"}
    kinds: ClassVar[list[str]] = list(ContentItem.Kind.values)
    TAG_MAX_CHARS = 100

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: dict[str, int] = {}

    def bind_header(self, header: list[str]) -> None:
        super().bind_header(header)
        self.update_fields = [field for field in self.col if field != "slug"]

    def _tags(self, value: str) -> list[str]:
        separator = ";" if ";" in value else ","
        tags = []
        for tag in value.split(separator):
            tag = tag.strip()
            if len(tag) > self.TAG_MAX_CHARS:
                raise RowRejected(
                    f"tags: a tag is {len(tag):,} characters long; "
                    f"at most {self.TAG_MAX_CHARS} allowed"
                )
            if tag and tag not in tags:
                tags.append(tag)
        return tags

    def parse(self, line: int, values: list[str]) -> ContentItem:
        col = self.col
        slug = parsing.slug(
            values[col["slug"]], column="slug", max_length=_max_length(ContentItem, "slug")
        )
        fields: dict[str, Any] = {
            "title": parsing.text(
                values[col["title"]],
                column="title",
                max_length=_max_length(ContentItem, "title"),
                required=True,
            )
        }
        for field in ("summary", "body"):
            if field in col:
                fields[field] = parsing.text(
                    values[col[field]], column=field, max_length=parsing.TEXT_MAX_CHARS
                )
        if "kind" in col:
            fields["kind"] = parsing.choice(
                values[col["kind"]],
                column="kind",
                choices=self.kinds,
                default=ContentItem.Kind.ARTICLE,
            )
        if "tags" in col:
            fields["tags"] = self._tags(values[col["tags"]])
        if slug in self.seen:
            raise RowRejected(f"duplicate slug {slug}, first seen on line {self.seen[slug]}")
        self.seen[slug] = line
        return ContentItem(slug=slug, **fields)

    def write(self, batch: list[ContentItem], *, write: bool) -> None:
        if write:
            _upsert(
                ContentItem,
                batch,
                key="slug",
                update_fields=self.update_fields,
                report=self.report,
                label="content items",
            )


class InteractionRow(NamedTuple):
    line: int
    customer: str
    sku: str
    slug: str
    kind: str
    quantity: int
    value: Decimal | None
    occurred_at: dt.datetime
    ref: str


# The order of the tuples handed to _insert_interactions.
INTERACTION_FIELDS = (
    "customer",
    "product",
    "content_item",
    "kind",
    "quantity",
    "value",
    "occurred_at",
    "source_ref",
)
STAGE_TABLE = "import_interaction_stage"
STAGE_COLUMNS = (
    "customer_id, product_id, content_item_id, kind, quantity, value, occurred_at, source_ref"
)


def _insert_interactions_orm(rows: list[tuple]) -> int:
    existing: set[str] = set()
    for chunk in _chunks([row[-1] for row in rows], LOOKUP_CHUNK):
        existing.update(
            Interaction.objects.filter(source_ref__in=chunk).values_list("source_ref", flat=True)
        )
    new = [
        Interaction(
            customer_id=customer,
            product_id=product,
            content_item_id=content_item,
            kind=kind,
            quantity=quantity,
            value=value,
            occurred_at=occurred_at,
            source_ref=ref,
        )
        for customer, product, content_item, kind, quantity, value, occurred_at, ref in rows
        if ref not in existing
    ]
    # ignore_conflicts as well: a concurrent import of the same file may have won the race.
    Interaction.objects.bulk_create(new, batch_size=INSERT_CHUNK, ignore_conflicts=True)
    return len(new)


def _insert_interactions_postgresql(rows: list[tuple]) -> int:
    """COPY into a temporary table, then one INSERT ... ON CONFLICT DO NOTHING.

    Cheaper than bulk_create for the hundreds of thousands of rows of a transactions file:
    no model instances, no SQL text holding 5,000 rows of literals, and no look-up of the
    source_refs beforehand (the insert's row count says how many were new).
    """
    meta = Interaction._meta
    columns = ", ".join(
        connection.ops.quote_name(meta.get_field(name).column) for name in INTERACTION_FIELDS
    )
    with connection.cursor() as cursor:
        # Dropped at commit or rollback; created on the first batch of each import.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE_TABLE} ("
            "customer_id bigint, product_id bigint, content_item_id bigint, kind text, "
            "quantity integer, value numeric(14, 2), occurred_at timestamptz, source_ref text"
            ") ON COMMIT DROP"
        )
        cursor.execute(f"TRUNCATE {STAGE_TABLE}")
        with cursor.copy(f"COPY {STAGE_TABLE} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "
            f"SELECT {STAGE_COLUMNS} FROM {STAGE_TABLE} ON CONFLICT (source_ref) DO NOTHING"
        )
        return cursor.rowcount


def _insert_interactions(rows: list[tuple], *, report: ImportReport) -> None:
    """Insert rows shaped as INTERACTION_FIELDS (with pks), skipping source_refs already in."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        created = _insert_interactions_postgresql(rows)
    else:
        created = _insert_interactions_orm(rows)
    report.count_created("interactions", created)
    if created < len(rows):
        report.skip("already imported", len(rows) - created)


class InteractionsImporter(Importer):
    kind = "interactions"
    label = "Interactions"
    help_text = (
        "Columns customer_id (an imported customer's id), kind (view, click, add_to_cart, "
        "purchase, return, support_ticket, email_open, email_click) and occurred_at (ISO date "
        "or date-time) are required; sku or content_slug (an imported product or content "
        "item, not both), quantity (default 1), value and ref (your own unique id for the "
        "row) are optional. Importing the same rows again adds nothing."
    )
    required_columns = {"customer_id": "customer_id", "kind": "kind", "occurred_at": "occurred_at"}
    optional_columns = {
        "sku": "sku",
        "content_slug": "content_slug",
        "quantity": "quantity",
        "value": "value",
        "ref": "ref",
    }
    kinds: ClassVar[list[str]] = list(Interaction.Kind.values)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen_refs: dict[str, int] = {}
        self.seen_rows: set[str] = set()
        self.customers = KeyMap(Customer, "external_id")
        self.products = KeyMap(Product, "sku")
        self.content = KeyMap(ContentItem, "slug")

    def _optional(self, values: list[str], key: str) -> str:
        return values[self.col[key]] if key in self.col else ""

    def parse(self, line: int, values: list[str]) -> InteractionRow:
        col = self.col
        customer = parsing.text(
            values[col["customer_id"]],
            column="customer_id",
            max_length=_max_length(Customer, "external_id"),
            required=True,
        )
        sku = parsing.text(
            self._optional(values, "sku"), column="sku", max_length=_max_length(Product, "sku")
        )
        slug = parsing.text(
            self._optional(values, "content_slug"),
            column="content_slug",
            max_length=_max_length(ContentItem, "slug"),
        )
        if sku and slug:
            raise RowRejected("give a sku or a content_slug, not both")
        kind = parsing.choice(values[col["kind"]], column="kind", choices=self.kinds)
        quantity = parsing.integer(self._optional(values, "quantity"), column="quantity")
        value = parsing.decimal(
            self._optional(values, "value"), column="value", max_digits=14, decimal_places=2
        )
        occurred_at = parsing.aware_datetime(
            values[col["occurred_at"]], column="occurred_at", required=True
        )
        quantity = 1 if quantity is None else quantity
        own_ref = parsing.text(self._optional(values, "ref"), column="ref", max_length=200)
        if own_ref:
            if own_ref in self.seen_refs:
                raise RowRejected(
                    f"duplicate ref {own_ref}, first seen on line {self.seen_refs[own_ref]}"
                )
            self.seen_refs[own_ref] = line
            ref = _ref("ix-ref", own_ref)
        else:
            # Led by the time for the same reason as online_retail's refs (index locality).
            stamp = occurred_at.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
            ref = _ref(
                f"ix:{stamp}",
                customer,
                sku,
                slug,
                kind,
                str(quantity),
                "" if value is None else str(value),
                occurred_at.astimezone(dt.UTC).isoformat(),
            )
            if ref in self.seen_rows:
                raise RowSkipped("duplicate row")
            self.seen_rows.add(ref)
        return InteractionRow(line, customer, sku, slug, kind, quantity, value, occurred_at, ref)

    def write(self, batch: list[InteractionRow], *, write: bool) -> None:
        customers = self.customers.resolve(row.customer for row in batch)
        products = self.products.resolve(row.sku for row in batch if row.sku)
        content = self.content.resolve(row.slug for row in batch if row.slug)
        good: list[tuple] = []
        for row in batch:
            if customers.get(row.customer) is None:
                self.report.reject(row.line, f"unknown customer id {row.customer}")
            elif row.sku and products.get(row.sku) is None:
                self.report.reject(row.line, f"unknown sku {row.sku}")
            elif row.slug and content.get(row.slug) is None:
                self.report.reject(row.line, f"unknown content_slug {row.slug}")
            else:
                good.append(
                    (
                        customers[row.customer],
                        products[row.sku] if row.sku else None,
                        content[row.slug] if row.slug else None,
                        row.kind,
                        row.quantity,
                        row.value,
                        row.occurred_at,
                        row.ref,
                    )
                )
        if write:
            _insert_interactions(good, report=self.report)


# Plain strings: a database adapter may write an Enum member by its name, not its value.
KIND_PURCHASE = str(Interaction.Kind.PURCHASE.value)
KIND_RETURN = str(Interaction.Kind.RETURN.value)


class RetailRow(NamedTuple):
    customer: str
    country: str
    sku: str
    name: str
    price: Decimal
    kind: str
    quantity: int
    value: Decimal
    occurred_at: dt.datetime
    ref: str


class OnlineRetailImporter(Importer):
    kind = "online_retail"
    label = "UCI Online Retail transactions"
    help_text = (
        "The UCI Online Retail CSV (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, "
        "UnitPrice, CustomerID, Country), plain or gzip. Creates customers, products and "
        "purchases; cancellations (C invoices) become returns. Rows without a CustomerID, "
        "non-product codes (postage, fees, discounts, vouchers), bad-debt adjustments and "
        "exact duplicate rows are skipped and counted."
    )
    required_columns = {
        name: name
        for name in (
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
        )
    }
    # Postage, manual corrections, bank charges, fees, commissions, discounts, samples,
    # carriage, bad debt and gift vouchers: money movements, not products a customer chose.
    NON_PRODUCT_CODES = frozenset(
        {"POST", "DOT", "M", "BANK CHARGES", "AMAZONFEE", "CRUK", "D", "S", "PADS", "B", "C2"}
    )
    DATE_CACHE_SIZE = 50_000

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Digests of every row read, to find exact duplicates: ~100 bytes per row.
        self.seen: set[bytes] = set()
        self.dates: dict[str, tuple[dt.datetime, str]] = {}
        self.customer_pks: dict[str, int] = {}
        self.product_pks: dict[str, int] = {}
        # Latest values seen in the file and the values last written, so each customer and
        # product is written once when first met and once more at the end if it changed.
        self.customer_latest: dict[str, str] = {}
        self.customer_written: dict[str, str] = {}
        self.product_latest: dict[str, tuple[str, Decimal]] = {}
        self.product_written: dict[str, tuple[str, Decimal]] = {}
        self.max_customer = _max_length(Customer, "external_id")
        self.max_sku = _max_length(Product, "sku")
        self.max_name = _max_length(Product, "name")
        self.max_country = _max_length(Customer, "country")

    def bind_header(self, header: list[str]) -> None:
        super().bind_header(header)
        col = self.col
        self.positions = tuple(
            col[key]
            for key in (
                "InvoiceNo",
                "StockCode",
                "Description",
                "Quantity",
                "InvoiceDate",
                "UnitPrice",
                "CustomerID",
                "Country",
            )
        )

    def _occurred_at(self, value: str) -> tuple[dt.datetime, str]:
        """The invoice time, and its UTC minute as digits to lead the row's source_ref."""
        cached = self.dates.get(value)
        if cached is None:
            moment = parsing.aware_datetime(value, column="InvoiceDate", required=True)
            cached = (moment, moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M"))
            if len(self.dates) >= self.DATE_CACHE_SIZE:
                self.dates.clear()
            self.dates[value] = cached
        return cached

    def parse(self, line: int, values: list[str]) -> RetailRow:
        digest = hashlib.sha1(FIELD_SEPARATOR.join(values).encode()).digest()
        if digest in self.seen:
            raise RowSkipped("exact duplicate row")
        self.seen.add(digest)
        p_invoice, p_stock, p_name, p_qty, p_date, p_price, p_customer, p_country = self.positions
        invoice = values[p_invoice].strip()
        if invoice[:1] in ("A", "a"):
            raise RowSkipped("bad-debt adjustment (A invoice)")
        customer = values[p_customer].strip()
        if not customer:
            raise RowSkipped("no CustomerID")
        sku = values[p_stock].strip()
        if sku.upper() in self.NON_PRODUCT_CODES or sku.lower().startswith("gift_"):
            raise RowSkipped("non-product stock code (postage, fees, discounts, vouchers)")
        if not invoice:
            raise RowRejected("InvoiceNo is required")
        if customer.endswith(".0"):
            # Spreadsheet tools write the integer ids as floats.
            customer = customer[:-2]
        if len(customer) > self.max_customer:
            raise RowRejected(f"CustomerID is {len(customer):,} characters long")
        if len(sku) > self.max_sku:
            raise RowRejected(
                f"StockCode is {len(sku):,} characters long; at most {self.max_sku} allowed"
            )
        name = parsing.text(values[p_name], column="Description", max_length=self.max_name)
        country = parsing.text(values[p_country], column="Country", max_length=self.max_country)
        quantity = parsing.integer(values[p_qty], column="Quantity", required=True)
        price = parsing.decimal(
            values[p_price], column="UnitPrice", max_digits=12, decimal_places=3, required=True
        )
        occurred_at, stamp = self._occurred_at(values[p_date])
        if quantity == 0:
            raise RowSkipped("zero quantity")
        value = parsing.bounded_decimal(
            quantity * price, column="Quantity * UnitPrice", max_digits=14, decimal_places=2
        )
        cancelled = invoice[:1] in ("C", "c")
        if cancelled:
            self.report.note("cancellations imported as returns")
        kind = KIND_RETURN if cancelled or quantity < 0 else KIND_PURCHASE
        return RetailRow(
            customer,
            country,
            sku,
            name,
            price,
            kind,
            quantity,
            value,
            occurred_at,
            # Led by the time, so that a file in time order inserts into the end of the
            # unique index instead of all over it: several times less I/O on big imports.
            f"retail:{stamp}:{digest.hex()}",
        )

    def _remember_latest(self, row: RetailRow) -> None:
        self.customer_latest[row.customer] = row.country
        previous = self.product_latest.get(row.sku)
        name = row.name or (previous[0] if previous else "") or row.sku
        # Cancellations and free lines carry no price worth showing in the catalogue.
        price = row.price if row.price > 0 or previous is None else previous[1]
        self.product_latest[row.sku] = (name, price)

    def _write_customers(self, keys: list[str], *, count: bool) -> None:
        objs = [
            Customer(external_id=key, name=f"Customer {key}", country=self.customer_latest[key])
            for key in keys
        ]
        if count:
            _upsert(
                Customer,
                objs,
                key="external_id",
                update_fields=["country"],
                report=self.report,
                label="customers",
            )
        else:
            Customer.objects.bulk_create(
                objs,
                batch_size=INSERT_CHUNK,
                update_conflicts=True,
                unique_fields=["external_id"],
                update_fields=["country", "updated_at"],
            )
        for key in keys:
            self.customer_written[key] = self.customer_latest[key]

    def _write_products(self, keys: list[str], *, count: bool) -> None:
        objs = []
        for key in keys:
            name, price = self.product_latest[key]
            price = parsing.bounded_decimal(
                price, column="UnitPrice", max_digits=12, decimal_places=2
            )
            objs.append(Product(sku=key, name=name, price=price))
        if count:
            _upsert(
                Product,
                objs,
                key="sku",
                update_fields=["name", "price"],
                report=self.report,
                label="products",
            )
        else:
            Product.objects.bulk_create(
                objs,
                batch_size=INSERT_CHUNK,
                update_conflicts=True,
                unique_fields=["sku"],
                update_fields=["name", "price", "updated_at"],
            )
        for key in keys:
            self.product_written[key] = self.product_latest[key]

    def write(self, batch: list[RetailRow], *, write: bool) -> None:
        for row in batch:
            self._remember_latest(row)
        if not write:
            return
        new_customers = [
            key
            for key in dict.fromkeys(row.customer for row in batch)
            if key not in self.customer_pks
        ]
        new_products = [
            key for key in dict.fromkeys(row.sku for row in batch) if key not in self.product_pks
        ]
        if new_customers:
            self._write_customers(new_customers, count=True)
            for chunk in _chunks(new_customers, LOOKUP_CHUNK):
                self.customer_pks.update(
                    Customer.objects.filter(external_id__in=chunk).values_list("external_id", "pk")
                )
        if new_products:
            self._write_products(new_products, count=True)
            for chunk in _chunks(new_products, LOOKUP_CHUNK):
                self.product_pks.update(
                    Product.objects.filter(sku__in=chunk).values_list("sku", "pk")
                )
        customer_pks, product_pks = self.customer_pks, self.product_pks
        _insert_interactions(
            [
                (
                    customer_pks[row.customer],
                    product_pks[row.sku],
                    None,
                    row.kind,
                    row.quantity,
                    row.value,
                    row.occurred_at,
                    row.ref,
                )
                for row in batch
            ],
            report=self.report,
        )

    def finish(self, *, write: bool) -> None:
        if not write:
            return
        changed = [
            key
            for key, country in self.customer_latest.items()
            if self.customer_written.get(key) != country
        ]
        self._write_customers(changed, count=False)
        changed = [
            key
            for key, latest in self.product_latest.items()
            if self.product_written.get(key) != latest
        ]
        self._write_products(changed, count=False)


IMPORTERS: dict[str, type[Importer]] = {
    importer.kind: importer
    for importer in (
        TelcoImporter,
        CustomersImporter,
        ProductsImporter,
        ContentImporter,
        InteractionsImporter,
        OnlineRetailImporter,
    )
}


def importer_class(kind: str) -> type[Importer]:
    try:
        return IMPORTERS[kind]
    except KeyError:
        raise ImportFileError(
            f"Unknown kind {kind!r}. Valid kinds: {', '.join(IMPORTERS)}."
        ) from None

"""The database as a feature table, as of a given moment: one code path for training and scoring.

``customer_table`` reads customers (one query) and their interactions before ``as_of`` (one
grouped aggregate query) into a *raw* table; ``customer_behaviour`` + ``customer_record`` +
``table_from_records`` do the same for one loaded customer (the per-request path).
``spec_infer`` decides, on training rows only, which raw columns become features and how
they are typed; the resulting spec is stored with the model, and ``spec_encode`` /
``spec_apply`` turn any raw table into the model's matrix with exactly the
training columns, types and categories.

No leakage: interactions at or after ``as_of`` are filtered out in SQL, customers who signed
up after ``as_of`` are left out, and the label (``churned``/``churned_at``) is returned
beside the features, never inside them. Attribute keys that look like a label are dropped.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from customers.models import Customer, Interaction, Segment

SPEC_FORMAT = 1
OTHER = "(other)"
ATTRIBUTE_PREFIX = "a:"

# A category value needs this many training rows to keep its own level; rarer ones share
# OTHER. Bounded levels keep trees from splitting on noise and the artifact small.
MIN_CATEGORY_ROWS = 5
MIN_CATEGORY_SHARE = 0.002
MAX_CATEGORIES = 50
# Rare values remembered so scoring can tell "rare at training" (-> OTHER) from "never seen"
# (-> missing, reported); past this many, the rest are treated as never seen.
MAX_REMEMBERED_RARE = 2000
# A text column where nearly every row has its own value (names, e-mails, free text) carries
# no pattern a model can reuse.
NEAR_UNIQUE_SHARE = 0.9
NEAR_UNIQUE_MIN_VALUES = 20
# Share of non-blank values that must parse as numbers for a column to be numeric; the rest
# (e.g. Telco's " " TotalCharges) become missing.
NUMERIC_SHARE = 0.95

ID_LIKE_NAME = re.compile(r"(?:^|[_\-\s.])(?:id|uuid|guid)$|^(?:uuid|guid)", re.I)
ID_LIKE_CAMEL = re.compile(r"[a-z0-9](?:ID|Id)$")
LABEL_LIKE_NAME = re.compile(r"churn", re.I)

FIELD_LABELS = {
    "tenure_months": "Tenure months",
    "monthly_spend": "Monthly spend",
    "plan": "Plan",
    "segment": "Segment",
    "country": "Country",
    "signup_age_days": "Days since signup",
}
BEHAVIOUR_LABELS = {
    "recency_days": "Days since last activity",
    "days_since_first_activity": "Days since first activity",
    "days_since_last_purchase": "Days since last purchase",
    "events": "Interactions",
    "purchases": "Purchases",
    "monetary": "Purchase value",
    "avg_order_value": "Average order value",
    "events_last_30": "Interactions in last 30 days",
    "events_prev_60": "Interactions in the 60 days before",
    "activity_trend": "Activity trend (30 vs prior 60 days)",
    "purchases_last_30": "Purchases in last 30 days",
    "distinct_items": "Distinct products",
    "returns": "Returns",
    "support_tickets": "Support tickets",
    "email_opens": "Email opens",
    "email_clicks": "Email clicks",
    "email_click_rate": "Email click rate",
}
FIELD_NUMERIC = ("tenure_months", "monthly_spend", "signup_age_days")
FIELD_CATEGORICAL = ("plan", "segment", "country")
COUNT_COLUMNS = (
    "events",
    "purchases",
    "monetary",
    "events_last_30",
    "events_prev_60",
    "purchases_last_30",
    "distinct_items",
    "returns",
    "support_tickets",
    "email_opens",
    "email_clicks",
)


class CustomerTable:
    """Raw feature columns (index: customer pk) with the label kept apart from them.

    ``columns`` holds the raw columns as arrays; ``raw`` is the same as a DataFrame, built
    on first use (scoring one customer never needs it, and building it costs more than
    the prediction)."""

    def __init__(self, *, columns: dict[str, np.ndarray], pks: list, external_ids, labels, as_of):
        self.columns = columns
        self.pks = pks
        self._external_ids = external_ids
        self._labels = labels
        self.as_of = as_of

    @cached_property
    def index(self) -> pd.Index:
        return pd.Index(self.pks, name="customer_id")

    @cached_property
    def raw(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns, index=self.index)

    @cached_property
    def external_ids(self) -> pd.Series:
        return pd.Series(self._external_ids, index=self.index, dtype="object")

    @cached_property
    def labels(self) -> pd.Series:  # True / False / None (unknown)
        return pd.Series(self._labels, index=self.index, dtype="object")

    def __len__(self) -> int:
        return len(self.pks)


@dataclass
class ApplyReport:
    """What ``spec_apply`` had to turn into missing values: {feature label: {value: rows}}."""

    unknown: dict[str, dict[str, int]] = field(default_factory=dict)

    def merge(self, other: ApplyReport) -> None:
        for label, values in other.unknown.items():
            target = self.unknown.setdefault(label, {})
            for value, count in values.items():
                target[value] = target.get(value, 0) + count

    def as_messages(self) -> list[str]:
        return [
            f"{label}: unknown value{'s' if len(values) > 1 else ''} "
            + ", ".join(f"'{value}'" for value in sorted(values))
            + " treated as missing"
            for label, values in sorted(self.unknown.items())
        ]


class FeatureError(Exception):
    """The data cannot be turned into features (nothing usable, no rows...)."""


# --- Reading the database ---------------------------------------------------------------


def customer_table(
    *,
    as_of: dt.datetime | None = None,
    customer_ids: Iterable[int] | None = None,
    pk_range: tuple[int, int] | None = None,
) -> CustomerTable:
    """Customers (all, the given pks, or pks in ``[lo, hi]``) as raw features as of ``as_of``.

    Two queries whatever the number of customers: the customer rows, and one grouped
    aggregate over their interactions before ``as_of``.
    """
    as_of = as_of or timezone.now()
    customers = Customer.objects.order_by("pk")
    interactions = Interaction.objects.filter(occurred_at__lt=as_of)
    if customer_ids is not None:
        ids = list(customer_ids)
        customers = customers.filter(pk__in=ids)
        interactions = interactions.filter(customer_id__in=ids)
    if pk_range is not None:
        lo, hi = pk_range
        customers = customers.filter(pk__gte=lo, pk__lte=hi)
        interactions = interactions.filter(customer_id__gte=lo, customer_id__lte=hi)
    # A customer who signed up after as_of did not exist then.
    customers = customers.exclude(signup_date__gt=as_of.date())

    records = [
        dict(zip(CUSTOMER_COLUMNS, row, strict=True))
        for row in customers.values_list(*CUSTOMER_QUERY_FIELDS)
    ]
    behaviour = behaviour_rows(as_of=as_of, interactions=interactions)
    return table_from_records(records, as_of=as_of, behaviour=behaviour)


def customer_record(customer: Customer) -> dict:
    """The record ``table_from_records`` takes, from a loaded ``Customer``; the segment's
    name comes from the instance when it was joined in, else from a per-process cache."""
    if customer.segment_id is None:
        segment = None
    elif Customer.segment.is_cached(customer):
        segment = customer.segment.name
    else:
        segment = segment_name(customer.segment_id)
    return {
        "pk": customer.pk,
        "external_id": customer.external_id,
        "tenure_months": customer.tenure_months,
        "monthly_spend": customer.monthly_spend,
        "plan": customer.plan,
        "segment": segment,
        "country": customer.country,
        "signup_date": customer.signup_date,
        "attributes": customer.attributes,
        "churned": customer.churned,
    }


_SEGMENT_NAMES: dict[int, tuple[str, float]] = {}
SEGMENT_CACHE_SECONDS = 60.0


def segment_name(segment_id: int) -> str | None:
    # Segments are few and rarely renamed; a minute-old name is fine for a score.
    cached = _SEGMENT_NAMES.get(segment_id)
    if cached is not None and time.monotonic() - cached[1] < SEGMENT_CACHE_SECONDS:
        return cached[0]
    name = Segment.objects.filter(pk=segment_id).values_list("name", flat=True).first()
    _SEGMENT_NAMES[segment_id] = (name, time.monotonic())
    return name


CUSTOMER_QUERY_FIELDS = (
    "pk",
    "external_id",
    "tenure_months",
    "monthly_spend",
    "plan",
    "segment__name",
    "country",
    "signup_date",
    "attributes",
    "churned",
)
CUSTOMER_COLUMNS = (
    "pk",
    "external_id",
    "tenure_months",
    "monthly_spend",
    "plan",
    "segment",
    "country",
    "signup_date",
    "attributes",
    "churned",
)
AGGREGATE_COLUMNS = (
    "events",
    "last_at",
    "first_at",
    "last_purchase_at",
    "purchases",
    "monetary",
    "events_last_30",
    "events_prev_60",
    "purchases_last_30",
    "distinct_items",
    "returns",
    "support_tickets",
    "email_opens",
    "email_clicks",
)


def behaviour_rows(*, as_of: dt.datetime, interactions) -> dict[int, tuple]:
    """Per-customer aggregates of ``interactions`` (already limited to before ``as_of``),
    ``{customer pk: values in AGGREGATE_COLUMNS order}``, from one grouped query.
    Customers without interactions are absent."""
    return {row[0]: row[1:] for row in behaviour_queryset(as_of=as_of, interactions=interactions)}


def behaviour_queryset(*, as_of: dt.datetime, interactions):
    kind = Interaction.Kind
    recent_start = as_of - dt.timedelta(days=30)
    previous_start = as_of - dt.timedelta(days=90)
    purchase = Q(kind=kind.PURCHASE)
    aggregates = (
        interactions.order_by()
        .values("customer_id")
        .annotate(
            events=Count("pk"),
            last_at=Max("occurred_at"),
            first_at=Min("occurred_at"),
            last_purchase_at=Max("occurred_at", filter=purchase),
            purchases=Count("pk", filter=purchase),
            monetary=Sum("value", filter=purchase),
            events_last_30=Count("pk", filter=Q(occurred_at__gte=recent_start)),
            events_prev_60=Count(
                "pk", filter=Q(occurred_at__gte=previous_start, occurred_at__lt=recent_start)
            ),
            purchases_last_30=Count("pk", filter=purchase & Q(occurred_at__gte=recent_start)),
            distinct_items=Count("product_id", distinct=True),
            returns=Count("pk", filter=Q(kind=kind.RETURN)),
            support_tickets=Count("pk", filter=Q(kind=kind.SUPPORT_TICKET)),
            email_opens=Count("pk", filter=Q(kind=kind.EMAIL_OPEN)),
            email_clicks=Count("pk", filter=Q(kind=kind.EMAIL_CLICK)),
        )
        .values_list("customer_id", *AGGREGATE_COLUMNS)
    )
    return aggregates


_SENTINEL_AS_OF = dt.datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)
_SENTINEL_PK = 987_654_321_012
_single_sql: dict[str, tuple[str, list]] = {}


def customer_behaviour(*, customer_id: int, as_of: dt.datetime) -> dict[int, tuple]:
    """``behaviour_rows`` of one customer. On PostgreSQL the SQL is built by the ORM once
    per process (with sentinel values, then re-parameterised): building the 14-aggregate
    query took longer than running it, on the path of every single-customer score."""
    interactions = Interaction.objects.filter(occurred_at__lt=as_of, customer_id=customer_id)
    if connection.vendor != "postgresql":
        return behaviour_rows(as_of=as_of, interactions=interactions)
    if connection.alias not in _single_sql:
        sentinel = behaviour_queryset(
            as_of=_SENTINEL_AS_OF,
            interactions=Interaction.objects.filter(
                occurred_at__lt=_SENTINEL_AS_OF, customer_id=_SENTINEL_PK
            ),
        )
        sql, params = sentinel.query.sql_with_params()
        recipe = []
        for param in params:
            if param == _SENTINEL_PK:
                recipe.append(("pk", None))
            elif isinstance(param, dt.datetime):
                recipe.append(("as_of", param - _SENTINEL_AS_OF))
            else:
                recipe.append(("value", param))
        _single_sql[connection.alias] = (sql, recipe)
    sql, recipe = _single_sql[connection.alias]
    params = [
        customer_id if kind == "pk" else as_of + value if kind == "as_of" else value
        for kind, value in recipe
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def _days_before(as_of: dt.datetime, moments: list) -> np.ndarray:
    return np.array(
        [(as_of - m).total_seconds() / 86400.0 if m is not None else np.nan for m in moments],
        dtype="float64",
    )


def table_from_records(
    records: list[dict], *, as_of: dt.datetime, behaviour: dict[int, tuple] | None = None
) -> CustomerTable:
    """Build the raw frame from customer dicts (``pk``, the model fields, ``attributes``).

    Used for stored customers and for the CLI's customer-from-flags alike, so both go
    through the same typing and derived columns. Columns are built as arrays and the frame
    once: scoring one customer must stay well under a few milliseconds.
    """
    n = len(records)
    columns: dict[str, np.ndarray] = {
        "tenure_months": np.array([_to_float(r.get("tenure_months")) for r in records], "float64"),
        "monthly_spend": np.array([_to_float(r.get("monthly_spend")) for r in records], "float64"),
    }
    for name in FIELD_CATEGORICAL:
        columns[name] = _object_array([_clean_text(r.get(name)) for r in records])
    as_of_date = as_of.date()
    columns["signup_age_days"] = np.array(
        [
            float((as_of_date - r["signup_date"]).days) if r.get("signup_date") else np.nan
            for r in records
        ],
        dtype="float64",
    )

    attributes = [
        r.get("attributes") if isinstance(r.get("attributes"), dict) else {} for r in records
    ]
    keys: dict[str, None] = {}
    for attrs in attributes:
        for key in attrs:
            keys.setdefault(key)
    for key in keys:
        columns[f"{ATTRIBUTE_PREFIX}{key}"] = _object_array([a.get(key) for a in attributes])

    behaviour = behaviour or {}
    missing = (0, None, None, None, 0, None, 0, 0, 0, 0, 0, 0, 0, 0)
    rows = [behaviour.get(r["pk"], missing) for r in records]
    values = dict(zip(AGGREGATE_COLUMNS, zip(*rows, strict=True), strict=True)) if rows else {}
    for name in COUNT_COLUMNS:
        column = values.get(name, ())
        columns[name] = np.array(
            [_to_float(v) if v is not None else 0.0 for v in column], "float64"
        )
    columns["recency_days"] = _days_before(as_of, values.get("last_at", ()))
    columns["days_since_first_activity"] = _days_before(as_of, values.get("first_at", ()))
    columns["days_since_last_purchase"] = _days_before(as_of, values.get("last_purchase_at", ()))
    if n == 0:
        for name in (
            *COUNT_COLUMNS,
            "recency_days",
            "days_since_first_activity",
            "days_since_last_purchase",
        ):
            columns[name] = np.zeros(0, dtype="float64")

    with np.errstate(divide="ignore", invalid="ignore"):
        purchases = columns["purchases"]
        columns["avg_order_value"] = np.where(
            purchases > 0, columns["monetary"] / purchases, np.nan
        )
        columns["activity_trend"] = np.log(
            (columns["events_last_30"] + 1.0) / (columns["events_prev_60"] / 2.0 + 1.0)
        )
        opens = columns["email_opens"]
        columns["email_click_rate"] = np.where(opens > 0, columns["email_clicks"] / opens, np.nan)

    return CustomerTable(
        columns=columns,
        pks=[r["pk"] for r in records],
        external_ids=[r.get("external_id", "") for r in records],
        labels=[r.get("churned") for r in records],
        as_of=as_of,
    )


def _object_array(values: list) -> np.ndarray:
    # np.array() would turn a list of lists (a JSON array attribute) into a 2-D array.
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _to_float(value) -> float:
    if value is None or value == "":
        return np.nan
    try:
        number = float(value)
    except (TypeError, ValueError):
        return np.nan
    return number if math.isfinite(number) else np.nan


def _clean_text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# --- Deciding the features (training) ---------------------------------------------------


def humanize(name: str) -> str:
    """``PaymentMethod`` / ``payment_method`` -> "Payment method"; acronyms stay ("StreamingTV")."""
    words = [
        w for w in re.split(r"[_\-\s]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", name) if w
    ]
    if not words:
        return name
    words = [w if (w.isupper() and len(w) > 1) else w.lower() for w in words]
    text = " ".join(words)
    return text[0].upper() + text[1:]


def column_label(column: str) -> str:
    if column.startswith(ATTRIBUTE_PREFIX):
        return humanize(column[len(ATTRIBUTE_PREFIX) :])
    return FIELD_LABELS.get(column) or BEHAVIOUR_LABELS.get(column) or humanize(column)


def column_source(column: str) -> str:
    if column.startswith(ATTRIBUTE_PREFIX):
        return "attribute"
    if column in FIELD_LABELS:
        return "field"
    return "behaviour"


def is_id_like(key: str) -> bool:
    return bool(ID_LIKE_NAME.search(key) or ID_LIKE_CAMEL.search(key))


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _is_number_like(value) -> bool:
    if isinstance(value, bool | int | float | np.integer | np.floating):
        return True
    if isinstance(value, str):
        try:
            return math.isfinite(float(value.strip()))
        except ValueError:
            return False
    return False


def infer_attribute_kind(values: pd.Series) -> str:
    """ "numeric" when (nearly) every non-blank value is a number, bool or numeric text."""
    present = [v for v in values.tolist() if not _is_missing(v)]
    if not present:
        return "empty"
    numeric = sum(1 for v in present if _is_number_like(v))
    return "numeric" if numeric / len(present) >= NUMERIC_SHARE else "categorical"


def _number(value) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, dict | list):
        return np.nan
    return _to_float(value.strip() if isinstance(value, str) else value)


def _category(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    return str(value).strip() or None


def numeric_array(values) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype.kind in "fiub":
        return values.astype("float64")
    return np.array([_number(v) for v in values.tolist()], dtype="float64")


def numeric_values(values: pd.Series) -> pd.Series:
    return pd.Series(numeric_array(values.to_numpy()), index=values.index, dtype="float64")


def categorical_values(values: pd.Series) -> pd.Series:
    return pd.Series([_category(v) for v in values.tolist()], index=values.index, dtype="object")


def spec_infer(raw: pd.DataFrame, *, as_of: dt.datetime | None = None) -> dict:
    """Choose and type the feature columns from the training rows of a raw frame.

    Returns a JSON-able spec: ``columns`` (name, label, source, kind, categories, rare values)
    and ``dropped`` ({column: reason}), which explains every raw column left out.
    """
    if raw.empty:
        raise FeatureError("There are no customers to build features from.")
    columns: list[dict] = []
    dropped: dict[str, str] = {}
    n_rows = len(raw)
    for name in raw.columns:
        source = column_source(name)
        key = name[len(ATTRIBUTE_PREFIX) :] if source == "attribute" else name
        label = column_label(name)
        values = raw[name]
        if source == "attribute":
            if LABEL_LIKE_NAME.search(key):
                dropped[name] = "looks like the churn label (would leak it)"
                continue
            if is_id_like(key):
                dropped[name] = "identifier-like name"
                continue
            kind = infer_attribute_kind(values)
            if kind == "empty":
                dropped[name] = "no values"
                continue
        elif name in FIELD_CATEGORICAL:
            kind = "categorical"
        else:
            kind = "numeric"

        if kind == "numeric":
            numbers = numeric_values(values)
            if numbers.nunique(dropna=False) <= 1:
                dropped[name] = "constant"
                continue
            present_numbers = numbers.dropna()
            if (
                source == "attribute"
                and len(present_numbers) >= NEAR_UNIQUE_MIN_VALUES
                and (present_numbers % 1 == 0).all()
                and present_numbers.nunique() / len(present_numbers) > 0.99
            ):
                dropped[name] = "every row has its own whole number (identifier-like)"
                continue
            columns.append(
                {"name": name, "key": key, "label": label, "source": source, "kind": "numeric"}
            )
            continue

        texts = categorical_values(values)
        present = texts.dropna()
        counts = present.value_counts()
        if counts.empty:
            dropped[name] = "no values"
            continue
        if len(counts) == 1 and len(present) == n_rows:
            dropped[name] = "constant"
            continue
        if len(counts) >= NEAR_UNIQUE_MIN_VALUES and len(counts) / len(present) > NEAR_UNIQUE_SHARE:
            dropped[name] = "nearly every row has its own value (identifier or free text)"
            continue
        min_rows = max(MIN_CATEGORY_ROWS, math.ceil(MIN_CATEGORY_SHARE * n_rows))
        frequent = counts[counts >= min_rows]
        # Ties broken by the value so the same data always gives the same levels.
        ordered = sorted(frequent.items(), key=lambda item: (-item[1], item[0]))
        kept = sorted(value for value, _ in ordered[:MAX_CATEGORIES])
        rare = sorted(set(counts.index) - set(kept))
        if not kept:
            dropped[name] = "every value is too rare to learn from"
            continue
        if len(kept) == 1 and not rare and len(present) == n_rows:
            dropped[name] = "constant"
            continue
        categories = [*kept, OTHER] if rare else kept
        columns.append(
            {
                "name": name,
                "key": key,
                "label": label,
                "source": source,
                "kind": "categorical",
                "categories": categories,
                "rare": rare[:MAX_REMEMBERED_RARE],
            }
        )
    if not columns:
        raise FeatureError(
            "No usable feature: every column is constant, empty or an identifier. "
            "Import customer fields, attributes or interactions first."
        )
    return {
        "format": SPEC_FORMAT,
        "as_of": as_of.isoformat() if as_of else None,
        "columns": columns,
        "dropped": dropped,
    }


def spec_feature_names(spec: dict) -> list[str]:
    return [column["name"] for column in spec["columns"]]


# --- Applying the spec (training and scoring) -------------------------------------------


def spec_encode(
    spec: dict, raw: pd.DataFrame | dict[str, np.ndarray]
) -> tuple[np.ndarray, ApplyReport]:
    """The model's matrix for ``raw`` (a frame, or ``CustomerTable.columns``) as float32:
    the spec's columns in its order, numbers as they are, categories as their index in the
    training levels (what XGBoost's categorical splits read). A value never seen in
    training becomes missing and is reported; a value rare in training counts as OTHER."""
    report = ApplyReport()
    n = len(raw) if isinstance(raw, pd.DataFrame) else len(next(iter(raw.values()), ()))
    matrix = np.full((n, len(spec["columns"])), np.nan, dtype="float32")
    for j, column in enumerate(spec["columns"]):
        name = column["name"]
        if name not in raw:
            continue
        values = np.asarray(raw[name])
        if column["kind"] == "numeric":
            matrix[:, j] = numeric_array(values)
            continue
        codes = {value: float(i) for i, value in enumerate(column["categories"])}
        if OTHER in codes:
            other = codes[OTHER]
            for value in column.get("rare", ()):
                codes[value] = other
        texts = [_category(v) for v in values.tolist()]
        encoded = [codes.get(t, np.nan) if t is not None else np.nan for t in texts]
        matrix[:, j] = encoded
        unknown = [
            t for t, code in zip(texts, encoded, strict=True) if t is not None and code != code
        ]
        if unknown:
            counts: dict[str, int] = {}
            for value in unknown:
                counts[value] = counts.get(value, 0) + 1
            report.unknown[column["label"]] = counts
    return matrix, report


def spec_apply(spec: dict, raw: pd.DataFrame) -> tuple[pd.DataFrame, ApplyReport]:
    """``spec_encode`` as a DataFrame: numeric float32, categorical pandas ``category`` with
    the training levels (training, the baseline and the holdout evaluation use this)."""
    matrix, report = spec_encode(spec, raw)
    data = {}
    for j, column in enumerate(spec["columns"]):
        if column["kind"] == "numeric":
            data[column["name"]] = matrix[:, j]
        else:
            codes = np.nan_to_num(matrix[:, j], nan=-1).astype("int64")
            data[column["name"]] = pd.Categorical.from_codes(codes, categories=column["categories"])
    return pd.DataFrame(data, index=raw.index), report


def spec_feature_types(spec: dict) -> list[str]:
    return ["c" if c["kind"] == "categorical" else "float" for c in spec["columns"]]


def training_labels(table: CustomerTable) -> pd.Series:
    """0/1 labels of customers whose outcome is known; unknown (None) rows are left out."""
    known = table.labels[table.labels.notna()]
    return known.astype(bool).astype("int8")

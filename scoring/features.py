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

Training goes one step further (``label_as_of``): a churned customer with a ``churned_at``
date is seen as of that date (minus ``CHURN_LABEL_GAP_DAYS``), not as of today. As of today
every leaver would look inactive since leaving, so "days since last activity" would restate
the label instead of predicting it. The same functions take the per-customer moments
(``as_of_by_customer``); scoring passes none and sees everyone as of one moment.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from django.db import connection
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
# A blank behavioural value is not an unknown: it means no such event fell inside the
# behaviour window. Drivers say so instead of "missing".
BEHAVIOUR_BLANK_MEANS = {
    "recency_days": "no activity",
    "days_since_first_activity": "no activity",
    "days_since_last_purchase": "no purchase",
    "avg_order_value": "no purchase",
    "email_click_rate": "no email opened",
}
# Ages in days, kept to the fraction of a day; drivers show them in whole days ("= 91").
DAY_COUNT_FEATURES = frozenset(
    {"recency_days", "days_since_first_activity", "days_since_last_purchase", "signup_age_days"}
)
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

    def __init__(
        self,
        *,
        columns: dict[str, np.ndarray],
        pks: list,
        external_ids,
        labels,
        as_of,
        as_of_by_customer: Mapping[int, dt.datetime] | None = None,
    ):
        self.columns = columns
        self.pks = pks
        self._external_ids = external_ids
        self._labels = labels
        self.as_of = as_of
        # Customers whose features are as of their own moment rather than ``as_of``.
        self.as_of_by_customer = dict(as_of_by_customer or {})

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
    as_of_by_customer: Mapping[int, dt.datetime] | None = None,
    lookback: dt.timedelta | None = None,
) -> CustomerTable:
    """Customers (all, the given pks, or pks in ``[lo, hi]``) as raw features as of ``as_of``.

    ``as_of_by_customer`` ({pk: moment}) moves some customers' as-of earlier (training uses
    it for churned customers, see ``label_as_of``); moments after ``as_of`` are clamped to
    it. Every feature of such a customer (interactions, recency, signup age) is then as of
    its own moment, through the same code and the same query as everyone else's.

    ``lookback`` limits the interactions to that window before each customer's as-of (the
    model's ``lookback_days``, see ``lookback_for_training``); None reads all history.

    Two queries whatever the number of customers: the customer rows, and one grouped
    aggregate over their interactions before their as-of.
    """
    as_of = as_of or timezone.now()
    own = {pk: min(moment, as_of) for pk, moment in (as_of_by_customer or {}).items()}
    customers = Customer.objects.order_by("pk")
    if customer_ids is not None:
        customer_ids = list(customer_ids)
        customers = customers.filter(pk__in=customer_ids)
    if pk_range is not None:
        lo, hi = pk_range
        customers = customers.filter(pk__gte=lo, pk__lte=hi)
    # A customer who signed up after (their) as_of did not exist then.
    customers = customers.exclude(signup_date__gt=as_of.date())

    records = [
        dict(zip(CUSTOMER_COLUMNS, row, strict=True))
        for row in customers.values_list(*CUSTOMER_QUERY_FIELDS)
    ]
    if own:
        records = [
            r
            for r in records
            if r["pk"] not in own
            or r["signup_date"] is None
            or r["signup_date"] <= own[r["pk"]].date()
        ]
    behaviour = behaviour_rows(
        as_of=as_of,
        customer_ids=customer_ids,
        pk_range=pk_range,
        as_of_by_customer=own,
        lookback=lookback,
    )
    return table_from_records(records, as_of=as_of, behaviour=behaviour, as_of_by_customer=own)


def label_as_of(
    *, as_of: dt.datetime, gap_days: float = 0, customer_ids: Iterable[int] | None = None
) -> dict[int, dt.datetime]:
    """The training as-of of each churned customer with a ``churned_at`` date, ``{pk:
    moment}``: the start of that day minus ``gap_days``, never after ``as_of``.

    Computed as of today, a churned customer's features restate the label (no activity
    since they left, so "days since last activity" is the time since churning); as of the
    churn date they show the customer before leaving, as a customer scored today is seen.
    Customers without a date (Telco-style tables) keep the common ``as_of``.
    """
    gap = dt.timedelta(days=gap_days)
    zone = timezone.get_default_timezone()
    churned = Customer.objects.filter(churned=True, churned_at__isnull=False)
    if customer_ids is not None:
        churned = churned.filter(pk__in=list(customer_ids))
    return {
        pk: min(dt.datetime.combine(churned_at, dt.time(0), tzinfo=zone) - gap, as_of)
        for pk, churned_at in churned.values_list("pk", "churned_at")
    }


# The activity-trend windows reach 90 days back; a shorter lookback would empty them.
MIN_LOOKBACK = dt.timedelta(days=90)
# Share of training customers whose window may start before the data does.
LOOKBACK_SHORTFALL_SHARE = 0.02


def lookback_for_training(
    *,
    as_of: dt.datetime,
    as_of_by_customer: Mapping[int, dt.datetime] | None = None,
    customers: int,
) -> dt.timedelta | None:
    """The behaviour window for a training set: the longest one that the interaction data
    covers for all but ``LOOKBACK_SHORTFALL_SHARE`` of the ``customers`` training rows.

    Churned customers are seen as of their churn date and the others as of today
    (``label_as_of``), but interaction data starts on one calendar date for everyone. Over
    all history, a customer who left early has less of it than one still here: "days since
    first activity" and every lifetime total would measure when the customer was seen, and
    so restate the label. Over a window of equal length for everyone, they cannot. The
    window is stored with the model (``spec["lookback_days"]``) and scoring reads the same.
    None when there are no interactions.
    """
    first = Interaction.objects.order_by("occurred_at").values_list("occurred_at", flat=True)[:1]
    data_start = next(iter(first), None)
    if data_start is None:
        return None
    moments = list((as_of_by_customer or {}).values())
    spans = [(moment - data_start).total_seconds() for moment in moments]
    spans += [(as_of - data_start).total_seconds()] * max(0, customers - len(moments))
    if not spans:
        return None
    # The span of the first customer past the allowed shortfall covers all later ones.
    allowed_short = int(LOOKBACK_SHORTFALL_SHARE * len(spans))
    covered = dt.timedelta(seconds=float(np.partition(spans, allowed_short)[allowed_short]))
    # Whole days, so the window reads well on the model page.
    return max(MIN_LOOKBACK, dt.timedelta(days=math.floor(covered.total_seconds() / 86400)))


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


RECENT_WINDOW = dt.timedelta(days=30)
PREVIOUS_WINDOW = dt.timedelta(days=90)
_DATETIME_POSITIONS = frozenset(
    i for i, name in enumerate(AGGREGATE_COLUMNS) if name.endswith("_at")
)


def behaviour_rows(
    *,
    as_of: dt.datetime,
    customer_ids: Iterable[int] | None = None,
    pk_range: tuple[int, int] | None = None,
    as_of_by_customer: Mapping[int, dt.datetime] | None = None,
    lookback: dt.timedelta | None = None,
) -> dict[int, tuple]:
    """Per-customer aggregates of the interactions before each customer's as-of (its moment
    in ``as_of_by_customer``, else ``as_of``), within ``lookback`` of it when given, as
    ``{customer pk: values in AGGREGATE_COLUMNS order}``, from one grouped query. Customers
    without interactions are absent."""
    sql, params = behaviour_sql(
        as_of=as_of,
        customer_ids=customer_ids,
        pk_range=pk_range,
        as_of_by_customer=as_of_by_customer,
        lookback=lookback,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        return {row[0]: tuple(row[1:]) for row in rows}
    # SQLite returns aggregated datetimes as text.
    convert = connection.ops.convert_datetimefield_value
    return {
        row[0]: tuple(
            convert(value, None, connection)
            if i in _DATETIME_POSITIONS and isinstance(value, str)
            else value
            for i, value in enumerate(row[1:])
        )
        for row in rows
    }


def behaviour_sql(
    *,
    as_of: dt.datetime,
    customer_ids: Iterable[int] | None = None,
    pk_range: tuple[int, int] | None = None,
    as_of_by_customer: Mapping[int, dt.datetime] | None = None,
    lookback: dt.timedelta | None = None,
) -> tuple[str, list]:
    """The grouped aggregate query of ``behaviour_rows``, for PostgreSQL and SQLite alike.

    Without ``as_of_by_customer`` the three cut-offs (as-of, 30 and 90 days before) are
    parameters. With it, the mapping is joined to the interactions as arrays (``unnest``
    on PostgreSQL, a JSON array through ``json_each`` on SQLite) and each cut-off is the
    customer's own, or the common one for customers not in the mapping: still one query
    whatever the number of distinct dates. Moments must not be after ``as_of``.
    """
    adapt = connection.ops.adapt_datetimefield_value
    ids = None if customer_ids is None else list(customer_ids)
    mapped = bool(as_of_by_customer)
    sql, slots = _behaviour_template(
        connection.vendor,
        mapped=mapped,
        ids=None if ids is None else len(ids),
        ranged=pk_range is not None,
        windowed=lookback is not None,
    )
    values: dict = {
        "as_of": adapt(as_of),
        "recent": adapt(as_of - RECENT_WINDOW),
        "previous": adapt(as_of - PREVIOUS_WINDOW),
    }
    if lookback is not None:
        values["window_start"] = adapt(as_of - lookback)
    if pk_range is not None:
        values["lo"], values["hi"] = pk_range
    if mapped:
        pks = list(as_of_by_customer)
        moments = [as_of_by_customer[pk] for pk in pks]
        columns = [
            pks,
            [adapt(m) for m in moments],
            [adapt(m - RECENT_WINDOW) for m in moments],
            [adapt(m - PREVIOUS_WINDOW) for m in moments],
        ]
        if lookback is not None:
            columns.append([adapt(m - lookback) for m in moments])
        if connection.vendor == "postgresql":
            for i, column in enumerate(columns):
                values[f"mapping{i}"] = column
        else:
            values["mapping"] = json.dumps([list(row) for row in zip(*columns, strict=True)])
    params = []
    for slot in slots:
        if isinstance(slot, tuple):  # ("kind", value) or ("id", position)
            params.append(slot[1] if slot[0] == "kind" else ids[slot[1]])
        else:
            params.append(values[slot])
    return sql, params


@functools.lru_cache(maxsize=64)
def _behaviour_template(
    vendor: str, *, mapped: bool, ids: int | None, ranged: bool, windowed: bool
):
    """SQL text of ``behaviour_sql`` and what each of its parameters is; built once per
    shape (the per-request path of one customer must not pay for building it)."""
    quote = connection.ops.quote_name
    column = Interaction._meta.get_field
    customer = f"i.{quote(column('customer').column)}"
    occurred = f"i.{quote(column('occurred_at').column)}"
    kind = f"i.{quote(column('kind').column)}"
    value = f"i.{quote(column('value').column)}"
    product = f"i.{quote(column('product').column)}"
    slots: list = []

    # Fragments are built in the order they appear in the SQL, so their parameters are too.
    def param(slot) -> str:
        slots.append(slot)
        return "%s"

    def cutoff(name: str, slot: str) -> str:
        return f"COALESCE(m.{name}, {param(slot)})" if mapped else param(slot)

    def only(kind_value: str) -> str:
        return f"{kind} = {param(('kind', str(kind_value)))}"

    def recent() -> str:
        return cutoff("recent_start", "recent")

    kinds = Interaction.Kind
    select = ", ".join(
        [
            customer,
            "COUNT(*)",
            f"MAX({occurred})",
            f"MIN({occurred})",
            f"MAX({occurred}) FILTER (WHERE {only(kinds.PURCHASE)})",
            f"COUNT(*) FILTER (WHERE {only(kinds.PURCHASE)})",
            f"SUM({value}) FILTER (WHERE {only(kinds.PURCHASE)})",
            f"COUNT(*) FILTER (WHERE {occurred} >= {recent()})",
            f"COUNT(*) FILTER (WHERE {occurred} >= {cutoff('previous_start', 'previous')}"
            f" AND {occurred} < {recent()})",
            f"COUNT(*) FILTER (WHERE {only(kinds.PURCHASE)} AND {occurred} >= {recent()})",
            f"COUNT(DISTINCT {product})",
            f"COUNT(*) FILTER (WHERE {only(kinds.RETURN)})",
            f"COUNT(*) FILTER (WHERE {only(kinds.SUPPORT_TICKET)})",
            f"COUNT(*) FILTER (WHERE {only(kinds.EMAIL_OPEN)})",
            f"COUNT(*) FILTER (WHERE {only(kinds.EMAIL_CLICK)})",
        ]
    )
    source = f"{quote(Interaction._meta.db_table)} i"
    if mapped:
        names = ["customer_id", "as_of", "recent_start", "previous_start"]
        names += ["window_start"] if windowed else []
        if vendor == "postgresql":
            types = ["bigint"] + ["timestamptz"] * (len(names) - 1)
            arrays = ", ".join(f"{param(f'mapping{i}')}::{t}[]" for i, t in enumerate(types))
            mapping = f"unnest({arrays}) AS m({', '.join(names)})"
        else:
            extracted = ", ".join(
                f"json_extract(value, '$[{i}]') AS {n}" for i, n in enumerate(names)
            )
            mapping = f"(SELECT {extracted} FROM json_each({param('mapping')})) m"
        source += f" LEFT JOIN {mapping} ON m.customer_id = {customer}"
    # The plain bound first (it can use the index on occurred_at), then each customer's own.
    where = [f"{occurred} < {param('as_of')}"]
    if mapped:
        where.append(f"{occurred} < COALESCE(m.as_of, {param('as_of')})")
    if windowed:
        where.append(f"{occurred} >= {cutoff('window_start', 'window_start')}")
    if ids is not None:
        if ids:
            where.append(f"{customer} IN ({', '.join(param(('id', i)) for i in range(ids))})")
        else:
            where.append("1 = 0")
    if ranged:
        where.append(f"{customer} >= {param('lo')} AND {customer} <= {param('hi')}")
    sql = f"SELECT {select} FROM {source} WHERE {' AND '.join(where)} GROUP BY {customer}"
    return sql, tuple(slots)


def customer_behaviour(
    *, customer_id: int, as_of: dt.datetime, lookback: dt.timedelta | None = None
) -> dict[int, tuple]:
    """``behaviour_rows`` of one customer (the per-request path)."""
    return behaviour_rows(as_of=as_of, customer_ids=[customer_id], lookback=lookback)


def _days_before(as_ofs: list[dt.datetime], moments: list) -> np.ndarray:
    return np.array(
        [
            (a - m).total_seconds() / 86400.0 if m is not None else np.nan
            for a, m in zip(as_ofs, moments, strict=True)
        ],
        dtype="float64",
    )


def table_from_records(
    records: list[dict],
    *,
    as_of: dt.datetime,
    behaviour: dict[int, tuple] | None = None,
    as_of_by_customer: Mapping[int, dt.datetime] | None = None,
) -> CustomerTable:
    """Build the raw frame from customer dicts (``pk``, the model fields, ``attributes``).

    Used for stored customers and for the CLI's customer-from-flags alike, so both go
    through the same typing and derived columns. Columns are built as arrays and the frame
    once: scoring one customer must stay well under a few milliseconds. Time-based columns
    (signup age, recency) are as of each customer's moment in ``as_of_by_customer``, else
    ``as_of``; ``behaviour`` must have been aggregated as of the same moments.
    """
    n = len(records)
    if as_of_by_customer:
        as_ofs = [as_of_by_customer.get(r["pk"], as_of) for r in records]
    else:
        as_ofs = [as_of] * n
    columns: dict[str, np.ndarray] = {
        "tenure_months": np.array([_to_float(r.get("tenure_months")) for r in records], "float64"),
        "monthly_spend": np.array([_to_float(r.get("monthly_spend")) for r in records], "float64"),
    }
    for name in FIELD_CATEGORICAL:
        columns[name] = _object_array([_clean_text(r.get(name)) for r in records])
    columns["signup_age_days"] = np.array(
        [
            float((a.date() - r["signup_date"]).days) if r.get("signup_date") else np.nan
            for a, r in zip(as_ofs, records, strict=True)
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
    for name, moments in (
        ("recency_days", "last_at"),
        ("days_since_first_activity", "first_at"),
        ("days_since_last_purchase", "last_purchase_at"),
    ):
        columns[name] = _days_before(as_ofs, values.get(moments, [None] * n))
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
        as_of_by_customer=as_of_by_customer,
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


def spec_infer(
    raw: pd.DataFrame,
    *,
    as_of: dt.datetime | None = None,
    lookback: dt.timedelta | None = None,
) -> dict:
    """Choose and type the feature columns from the training rows of a raw frame.

    Returns a JSON-able spec: ``columns`` (name, label, source, kind, categories, rare values),
    ``dropped`` ({column: reason}), which explains every raw column left out, and
    ``lookback_days``, the behaviour window ``raw`` was read with (scoring reads the same).
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
        "lookback_days": None if lookback is None else lookback.total_seconds() / 86400.0,
        "columns": columns,
        "dropped": dropped,
    }


def spec_lookback(spec: dict) -> dt.timedelta | None:
    """The behaviour window a model was trained with (None: all history, older models)."""
    days = spec.get("lookback_days")
    return None if days is None else dt.timedelta(days=days)


def spec_blank_texts(spec: dict) -> list[str]:
    """Per column, how a driver shows a blank value: for behaviour, the missing event and
    the window it was looked for in; otherwise "missing"."""
    days = spec.get("lookback_days")
    window = f" in the last {days:g} days" if days is not None else ""
    return [
        BEHAVIOUR_BLANK_MEANS[name] + window if name in BEHAVIOUR_BLANK_MEANS else "missing"
        for name in spec_feature_names(spec)
    ]


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

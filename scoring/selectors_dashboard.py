"""Reads of the executive dashboard: a handful of grouped queries, whatever the data size.

The heart is one grouped query over every (filtered) customer joined to their latest churn
score (``LatestChurnScore``, one row per scored customer). Python folds its few dozen
rows (segment x risk class x probability decile) into the KPIs, the histogram, the risk
counts and the segment table. Every figure counts current customers only: one known to
have churned scores high (the model learnt churn from such customers) but is no longer a
risk, and their spend is no longer at risk; they are only counted, as ``kpis["churned"]``.
On PostgreSQL the result is cached for ``DASHBOARD_CACHE_SECONDS`` (300) under a stamp of
the data (newest score, newest customer, latest draft change, latest promotion), so a new
scoring run or draft shows at once while repeated views cost one cheap query; edits of
existing customers (a churn label set, say) show within the TTL.
"""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncDate

from campaigns.models import EmailDraft
from customers.models import Customer, Segment
from customers.selectors import current_customers_q
from scoring.models import ChurnModel, ChurnScore, LatestChurnScore
from scoring.selectors import churn_model_active

BUCKETS = 10
RISKS = ("high", "medium", "low")
TOP_LIMIT = 10
TREND_DAYS = 180
# How long one request may hold the recompute of a cache entry before another takes over.
LOCK_SECONDS = 30
FUNNEL_STEPS = (
    # (key, label, statuses a draft has passed the step in)
    (
        "drafted",
        "Drafted",
        ("pending_review", "approved", "sending", "sent", "rejected", "skipped"),
    ),
    ("approved", "Approved", ("approved", "sending", "sent", "skipped")),
    ("sent", "Sent", ("sent",)),
)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _where(filters: dict) -> tuple[str, list]:
    clauses, params = ["1 = 1"], []
    if filters.get("segment") is not None:
        clauses.append("c.segment_id = %s")
        params.append(filters["segment"])
    for key in ("country", "plan"):
        if filters.get(key):
            clauses.append(f"c.{key} = %s")
            params.append(filters[key])
    return " AND ".join(clauses), params


def _bucket_sql() -> str:
    whens = " ".join(f"WHEN l.probability < {(i + 1) / BUCKETS} THEN {i}" for i in range(BUCKETS))
    return f"CASE WHEN l.probability IS NULL THEN NULL {whens} ELSE {BUCKETS - 1} END"


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@contextmanager
def _without_jit():
    """PostgreSQL: the scans of every latest score are one-off queries that JIT compilation
    slows down (by about 0.7 s on 100,000 customers); turned off for this transaction only."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def _grouped_rows(filters: dict) -> list[tuple]:
    where, params = _where(filters)
    sql = f"""
        SELECT c.segment_id, l.risk_class, {_bucket_sql()} AS bucket,
               CASE WHEN c.churned THEN 1 ELSE 0 END AS gone,
               COUNT(*), COUNT(l.probability), SUM(l.probability),
               SUM(c.monthly_spend * l.probability)
        FROM {_q(Customer._meta.db_table)} c
        LEFT JOIN {_q(LatestChurnScore._meta.db_table)} l ON l.customer_id = c.id
        WHERE {where}
        GROUP BY 1, 2, 3, 4
    """
    return _fetch(sql, params)


def _top_at_risk(filters: dict) -> list[dict]:
    where, params = _where(filters)
    sql = f"""
        SELECT c.id, c.external_id, c.name, s.name, c.country, c.plan, c.monthly_spend,
               l.probability, l.risk_class
        FROM {_q(LatestChurnScore._meta.db_table)} l
        JOIN {_q(Customer._meta.db_table)} c ON c.id = l.customer_id
        LEFT JOIN {_q(Segment._meta.db_table)} s ON s.id = c.segment_id
        WHERE {where} AND (c.churned IS NULL OR NOT c.churned)
        ORDER BY l.probability DESC, c.id
        LIMIT {TOP_LIMIT}
    """
    keys = (
        "id",
        "external_id",
        "name",
        "segment",
        "country",
        "plan",
        "monthly_spend",
        "probability",
        "risk",
    )
    rows = [dict(zip(keys, row, strict=True)) for row in _fetch(sql, params)]
    for row in rows:
        spend = float(row["monthly_spend"] or 0)
        row["monthly_spend"] = None if row["monthly_spend"] is None else spend
        row["revenue_at_risk"] = round(spend * row["probability"], 2)
    return rows


def _customer_q(filters: dict, prefix: str = "customer__") -> Q:
    q = Q()
    if filters.get("segment") is not None:
        q &= Q(**{f"{prefix}segment_id": filters["segment"]})
    for key in ("country", "plan"):
        if filters.get(key):
            q &= Q(**{f"{prefix}{key}": filters[key]})
    return q


def _trend(filters: dict) -> list[dict]:
    rows = (
        ChurnScore.objects.filter(_customer_q(filters), current_customers_q("customer__"))
        .annotate(day=TruncDate("scored_at"))
        .values("day")
        .annotate(mean=Avg("probability"), scores=Count("id"))
        .order_by("-day")[:TREND_DAYS]
    )
    return [
        {"day": row["day"].isoformat(), "mean": row["mean"], "scores": row["scores"]}
        for row in reversed(list(rows))
    ]


def _funnel(filters: dict) -> list[dict]:
    counts = EmailDraft.objects.filter(_customer_q(filters)).aggregate(
        **{
            key: Count("id", filter=Q(status__in=statuses))
            for key, _label, statuses in FUNNEL_STEPS
        }
    )
    first = counts["drafted"] or 0
    return [
        {
            "key": key,
            "label": label,
            "count": counts[key],
            "share": (counts[key] / first) if first else None,
        }
        for key, label, _statuses in FUNNEL_STEPS
    ]


def _model_summary(model: ChurnModel | None) -> dict | None:
    if model is None:
        return None
    metrics = model.metrics or {}
    holdout = (metrics.get("holdout") or {}).get("model") or {}
    cv = (metrics.get("cv") or {}).get("model") or {}
    auc, source = holdout.get("roc_auc"), "holdout"
    if auc is None:
        auc, source = cv.get("roc_auc"), "cross-validated"
    return {"pk": model.pk, "version": model.version, "roc_auc": auc, "auc_source": source}


def _fold(rows: list[tuple], segment_names: dict[int, str]) -> dict:
    histogram = [0] * BUCKETS
    risk_counts = dict.fromkeys(RISKS, 0)
    segments: dict = {}
    customers = scored = churned = 0
    prob_sum = revenue = 0.0
    for segment_id, risk, bucket, gone, count, n_scored, p_sum, r_sum in rows:
        if gone:
            churned += count
            continue
        customers += count
        seg = segments.setdefault(
            segment_id,
            {
                "segment_id": segment_id,
                "segment": segment_names.get(segment_id, "No segment")
                if segment_id is not None
                else "No segment",
                "customers": 0,
                "scored": 0,
                "high": 0,
                "prob_sum": 0.0,
                "revenue_at_risk": 0.0,
            },
        )
        seg["customers"] += count
        if not n_scored:
            continue
        scored += n_scored
        prob_sum += float(p_sum or 0)
        revenue += float(r_sum or 0)
        histogram[bucket] += n_scored
        if risk in risk_counts:
            risk_counts[risk] += n_scored
        seg["scored"] += n_scored
        seg["prob_sum"] += float(p_sum or 0)
        seg["revenue_at_risk"] += float(r_sum or 0)
        if risk == "high":
            seg["high"] += n_scored
    segment_rows = []
    for seg in segments.values():
        prob = seg.pop("prob_sum")
        seg["mean_probability"] = prob / seg["scored"] if seg["scored"] else None
        seg["high_share"] = seg["high"] / seg["scored"] if seg["scored"] else None
        seg["revenue_at_risk"] = round(seg["revenue_at_risk"], 2)
        segment_rows.append(seg)
    segment_rows.sort(key=lambda s: (-s["revenue_at_risk"], s["segment"].casefold()))
    return {
        "kpis": {
            "customers": customers,
            "scored": scored,
            "churned": churned,
            "at_risk": risk_counts["high"],
            "at_risk_share": risk_counts["high"] / scored if scored else None,
            "revenue_at_risk": round(revenue, 2),
            "predicted_churn_rate": prob_sum / scored if scored else None,
        },
        "histogram": [
            {"from": i / BUCKETS, "to": (i + 1) / BUCKETS, "count": n}
            for i, n in enumerate(histogram)
        ],
        "risk_counts": [{"risk": risk, "count": risk_counts[risk]} for risk in RISKS],
        "segments": segment_rows,
    }


def _stamp() -> str:
    """What moves whenever the dashboard's numbers may, in one query of index probes: the
    newest score, customer and model promotion, the latest draft change (PostgreSQL only). Edits of
    existing customers (spend, segment) show within ``DASHBOARD_CACHE_SECONDS``."""
    tables = {
        "scores": _q(ChurnScore._meta.db_table),
        "customers": _q(Customer._meta.db_table),
        "drafts": _q(EmailDraft._meta.db_table),
        "models": _q(ChurnModel._meta.db_table),
    }
    sql = """
        SELECT (SELECT MAX(id) FROM {scores}), (SELECT MAX(id) FROM {customers}),
               (SELECT MAX(updated_at) FROM {drafts}), (SELECT MAX(promoted_at) FROM {models}),
               current_database(), CAST(%s AS regclass)::oid
    """.format(**tables)
    with connection.cursor() as cursor:
        # The table's oid changes when the database is re-created (a test run), where the
        # sequences start again and the other parts could repeat.
        cursor.execute(sql, [ChurnScore._meta.db_table])
        return repr(cursor.fetchone())


def _cache_seconds() -> int:
    # PostgreSQL only: its sequences never go back, so the stamp names one state of the data.
    # SQLite reuses ids after a rollback (every test), where a stale hit could show.
    if connection.vendor != "postgresql":
        return 0
    return int(getattr(settings, "DASHBOARD_CACHE_SECONDS", 300))


def _key(*parts) -> str:
    raw = json.dumps(parts, default=str, sort_keys=True)
    return "dashboard:v1:" + hashlib.sha256(raw.encode()).hexdigest()


def dashboard_data(*, filters: dict, segment_names: dict[int, str]) -> dict:
    """Everything the dashboard draws for ``filters`` (keys ``segment`` (pk), ``country``,
    ``plan``; missing or None: any). Plain data, so it caches and serialises as it is.

    Cached (PostgreSQL) under the filters and the data stamp. When the stamp moves, one
    request recomputes while concurrent ones get the previous figures for those filters
    (or wait for the new ones when there are none), so a new scoring run never sends every
    client into the same full scan at once."""
    filters = {key: filters.get(key) for key in ("segment", "country", "plan")}
    seconds = _cache_seconds()
    if not seconds:
        return _compute(filters, segment_names)
    key = _key(filters, _stamp(), connection.vendor)
    if (cached := cache.get(key)) is not None:
        return cached
    last_key, lock_key = _key(filters, "last"), key + ":lock"
    if not cache.add(lock_key, 1, LOCK_SECONDS):
        if (stale := cache.get(last_key)) is not None:
            return stale
        deadline = time.monotonic() + LOCK_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if (cached := cache.get(key)) is not None:
                return cached
    try:
        data = _compute(filters, segment_names)
        cache.set(key, data, seconds)
        cache.set(last_key, data, seconds * 10)
    finally:
        cache.delete(lock_key)
    return data


def _compute(filters: dict, segment_names: dict[int, str]) -> dict:
    with _without_jit():
        data = _fold(_grouped_rows(filters), segment_names)
        data["top_at_risk"] = _top_at_risk(filters) if data["kpis"]["scored"] else []
    data["trend"] = _trend(filters) if data["kpis"]["scored"] else []
    data["funnel"] = _funnel(filters)
    data["model"] = _model_summary(churn_model_active())
    data["any_scores"] = bool(data["kpis"]["scored"]) or ChurnScore.objects.exists()
    return data

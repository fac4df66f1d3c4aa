"""The only place campaigns reach into churn scoring and recommendations.

Drafting must work when a customer was never scored, when no recommendation model was
built, or when either app fails: every function here answers "nothing known" instead of
raising, and logs why.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import QuerySet, Value

from customers.models import Customer

logger = logging.getLogger(__name__)


def _driver_dict(driver: Any) -> dict:
    if isinstance(driver, dict):
        keep = ("feature", "label", "value", "direction", "text", "contribution")
        return {key: driver[key] for key in keep if key in driver}
    return {"text": str(driver)}


def _score_dict(score: Any) -> dict:
    model = getattr(score, "model", None)
    version = getattr(model, "version", None)
    scored_at = getattr(score, "scored_at", None)
    return {
        "probability": round(float(score.probability), 4),
        "risk_class": str(score.risk_class or ""),
        "drivers": [_driver_dict(d) for d in (getattr(score, "drivers", None) or [])][:5],
        "model": f"v{version}" if version is not None else str(getattr(score, "model", "") or ""),
        "scored_at": scored_at.isoformat() if scored_at else None,
    }


def latest_scores(*, customer_ids: list[int]) -> dict[int, dict]:
    """The latest stored churn score of each customer, as plain dicts (absent: never scored)."""
    try:
        from scoring.selectors import latest_scores as scoring_latest_scores

        scores = scoring_latest_scores(customer_ids=customer_ids)
    except Exception:
        logger.warning("Churn scores unavailable; drafting without them", exc_info=True)
        return {}
    return {customer_id: _score_dict(score) for customer_id, score in scores.items()}


def live_score(*, customer: Customer) -> dict | None:
    """Score one customer now with the active model, storing nothing (None: no model)."""
    try:
        from scoring.services import customer_score

        result = customer_score(customer=customer, save=False)
    except Exception as exc:
        logger.info("No live churn score for customer %s: %s", customer.pk, exc)
        return None
    version = getattr(result, "model_version", None)
    return {
        "probability": round(float(result.probability), 4),
        "risk_class": str(result.risk_class),
        "drivers": [_driver_dict(d) for d in (result.drivers or [])][:5],
        "model": f"v{version}" if version is not None else "",
        "scored_at": None,
        "live": True,
    }


def recommended_items(*, customer_id: int, kind: str, n: int) -> list[dict]:
    """Up to ``n`` recommended products or content items: name, reason, score."""
    if n <= 0:
        return []
    try:
        from recommendations.services import recommend_for_customer

        items = recommend_for_customer(customer_id=customer_id, kind=kind, n=n)
    except Exception as exc:
        logger.info("No %s recommendations for customer %s: %s", kind, customer_id, exc)
        return []
    result = []
    for item in list(items)[:n]:
        name = getattr(item, "name", None) or getattr(item, "title", None) or ""
        if not name and isinstance(item, dict):
            name = item.get("name") or item.get("title") or ""
        reason = getattr(item, "reason", None)
        if reason is None and isinstance(item, dict):
            reason = item.get("reason")
        score = getattr(item, "score", None)
        if score is None and isinstance(item, dict):
            score = item.get("score")
        if name:
            result.append(
                {
                    "name": str(name)[:200],
                    "reason": str(reason or "")[:200],
                    "score": round(float(score), 4) if score is not None else None,
                }
            )
    return result


def with_churn_risk(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """``queryset`` annotated with ``churn_probability`` and ``churn_risk`` (latest score)."""
    try:
        from scoring.selectors import customers_with_churn_risk

        return customers_with_churn_risk(queryset)
    except Exception:
        logger.warning("Churn scores unavailable; targeting ignores them", exc_info=True)
        return queryset.annotate(churn_probability=Value(None), churn_risk=Value(None))

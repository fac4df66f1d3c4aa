"""Reads of the churn-scoring app, for its own pages and for the customer pages."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, FloatField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from customers.models import Customer
from growthai.progress import progress_get
from scoring.models import ChurnModel, ChurnScore, LatestChurnScore, ScoringRun, TrainingRun

HISTORY_LIMIT = 30


def customers_with_churn_risk(queryset: QuerySet[Customer] | None = None) -> QuerySet[Customer]:
    """``queryset`` annotated with its latest ``churn_probability``, ``churn_risk`` and
    ``churn_scored_at`` (None when never scored), so a list can filter on
    ``churn_risk="high"`` and order by ``churn_probability``. One join on
    ``LatestChurnScore``, whose indexes serve the risk filter and the probability sort."""
    queryset = Customer.objects.all() if queryset is None else queryset
    return queryset.annotate(
        churn_probability=F("latest_churn_score__probability"),
        churn_risk=F("latest_churn_score__risk_class"),
        churn_scored_at=F("latest_churn_score__scored_at"),
    )


def latest_scores_with_risk(risk_class: str) -> QuerySet[LatestChurnScore]:
    """The latest scores in one risk class: one per customer, so as many as customers."""
    return LatestChurnScore.objects.filter(risk_class=risk_class)


def latest_scores(*, customer_ids: Iterable[int]) -> dict[int, ChurnScore]:
    """The most recent score of each given customer (absent when never scored), one query."""
    ids = list(customer_ids)
    if not ids:
        return {}
    latest = LatestChurnScore.objects.filter(customer_id__in=ids).values("score_id")
    scores = ChurnScore.objects.filter(pk__in=latest).select_related("model")
    return {score.customer_id: score for score in scores}


def score_history(*, customer: Customer, limit: int = HISTORY_LIMIT) -> list[ChurnScore]:
    """The customer's latest ``limit`` scores, oldest first (the order a chart reads)."""
    scores = list(
        ChurnScore.objects.filter(customer=customer)
        .select_related("model")
        .order_by("-scored_at", "-pk")[:limit]
    )
    return scores[::-1]


def sparkline_points(
    scores: list[ChurnScore], *, width: int = 160, height: int = 36, margin: int = 3
) -> str:
    """SVG polyline points for a probability history (y: 0 at the bottom, 1 at the top),
    ``margin`` inside the box: a line at 0 % or 100 % drawn on the edge was cut in half by
    it, and a high-risk customer's steady history looked like an empty box."""
    if len(scores) < 2:
        return ""
    step = (width - 2 * margin) / (len(scores) - 1)
    span = height - 2 * margin
    return " ".join(
        f"{margin + i * step:.1f},{margin + (1 - score.probability) * span:.1f}"
        for i, score in enumerate(scores)
    )


def customer_churn_panel(*, customer: Customer) -> dict:
    """Context for ``scoring/_customer_churn_panel.html``."""
    history = score_history(customer=customer)
    return {
        "churn_customer": customer,
        "churn_score": history[-1] if history else None,
        "churn_history": history,
        "churn_sparkline": sparkline_points(history),
    }


# --- The model pages ----------------------------------------------------------------------


def churn_model_list() -> QuerySet[ChurnModel]:
    """Versions, newest first, with their CV and holdout ROC-AUC pulled out of the metrics
    JSON by the database (the full metrics and spec stay unloaded)."""
    return (
        ChurnModel.objects.defer("feature_spec", "metrics", "params")
        .select_related("previous_active")
        .annotate(
            cv_auc=Cast(KT("metrics__cv__model__roc_auc"), FloatField()),
            holdout_auc=Cast(KT("metrics__holdout__model__roc_auc"), FloatField()),
        )
        .order_by("-version")
    )


def churn_model_get(*, pk: int) -> ChurnModel:
    return ChurnModel.objects.get(pk=pk)


def churn_model_active() -> ChurnModel | None:
    return (
        ChurnModel.objects.filter(status=ChurnModel.Status.ACTIVE)
        .select_related("previous_active")
        .first()
    )


def churn_model_featured(*, pk: int | None = None) -> ChurnModel | None:
    """The version the page shows: the requested one, else the active, else the newest."""
    if pk is not None:
        return ChurnModel.objects.filter(pk=pk).first()
    return churn_model_active() or ChurnModel.objects.order_by("-version").first()


def training_runs_recent(*, limit: int = 10) -> list[TrainingRun]:
    return list(TrainingRun.objects.select_related("created_by", "model")[:limit])


def training_run_status(*, run: TrainingRun | None) -> dict | None:
    """A run with its live progress (from the shared cache) for the polling partial."""
    if run is None:
        return None
    progress = None if run.is_finished else progress_get(run.progress_key)
    elapsed = None
    if run.started_at:
        elapsed = ((run.finished_at or timezone.now()) - run.started_at).total_seconds()
    return {"run": run, "progress": progress, "elapsed": elapsed}


def training_run_latest() -> TrainingRun | None:
    return TrainingRun.objects.select_related("created_by", "model").first()


def scoring_run_latest() -> ScoringRun | None:
    return ScoringRun.objects.select_related("model").first()


def chart_data(model: ChurnModel | None) -> dict:
    """What the charts draw for one version, from its stored metrics (empty lists when
    a metric is missing, which the page shows as an empty state)."""
    if model is None:
        return {}
    metrics = model.metrics or {}
    cv = metrics.get("cv", {})
    ours, baseline = cv.get("model", {}), cv.get("baseline", {})
    return {
        "version": model.version,
        "roc": {
            "model": ours.get("roc_curve") or [],
            "baseline": baseline.get("roc_curve") or [],
        },
        "calibration": {
            "model": ours.get("calibration_curve") or [],
            "baseline": baseline.get("calibration_curve") or [],
        },
        "lift": {
            "model": ours.get("lift_curve") or [],
            "baseline": baseline.get("lift_curve") or [],
        },
        "importance": (metrics.get("feature_importance") or [])[:15],
    }


METRIC_ROWS = [
    ("roc_auc", "ROC-AUC", "higher is better"),
    ("pr_auc", "PR-AUC", "higher is better"),
    ("brier", "Brier score", "lower is better"),
    ("log_loss", "Log-loss", "lower is better"),
    ("lift_top_decile", "Lift in top decile", "higher is better"),
]


def metric_table(model: ChurnModel | None) -> list[dict]:
    """Rows of the metrics-versus-baseline table: cross-validated and holdout values."""
    if model is None:
        return []
    metrics = model.metrics or {}
    cv, holdout = metrics.get("cv", {}), metrics.get("holdout", {})
    return [
        {
            "label": label,
            "hint": hint,
            "cv_model": cv.get("model", {}).get(key),
            "cv_baseline": cv.get("baseline", {}).get(key),
            "holdout_model": holdout.get("model", {}).get(key),
            "holdout_baseline": holdout.get("baseline", {}).get(key),
        }
        for key, label, hint in METRIC_ROWS
    ]

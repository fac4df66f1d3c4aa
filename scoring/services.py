"""Writes of the churn-scoring app: training runs, the model registry, scoring runs, scores.

Promotion rule (automatic, after every training): customers whose external id hashes into
the holdout share (``CHURN_HOLDOUT_PERCENT``, 20% by default) are never trained on. The new
model and the active model are both evaluated on the *current* labelled holdout rows, built
with the same as-of moments (churned customers' own, see ``features.label_as_of``); the new
model becomes active when its ROC-AUC is at least the active one's minus
``CHURN_PROMOTION_TOLERANCE`` (0.002). With no active model, a trained model is promoted.
When the comparison cannot be made (holdout with one class, active model file unreadable),
the new model stays a candidate and the note says why; an Admin can then promote it by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from customers.models import Customer
from growthai.db import tables_vacuum_analyze
from growthai.progress import progress_set
from scoring.features import (
    ApplyReport,
    CustomerTable,
    FeatureError,
    customer_behaviour,
    customer_record,
    customer_table,
    label_as_of,
    lookback_for_training,
    spec_apply,
    spec_infer,
    table_from_records,
)
from scoring.models import ChurnModel, ChurnScore, LatestChurnScore, ScoringRun, TrainingRun
from scoring.runtime import (
    LoadedChurnModel,
    ModelUnavailable,
    Predictions,
    active_model,
    artifact_pack,
    model_load,
    sha256,
)
from scoring.training import (
    SearchSettings,
    baseline_predict,
    binary_metrics,
    fit_churn_model,
)

logger = logging.getLogger(__name__)


class TrainingError(Exception):
    """Training cannot go ahead; the message tells an Admin why and what to do."""


class ScoringError(Exception):
    """Scoring cannot go ahead (no usable model); nothing was written."""


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- Holdout ----------------------------------------------------------------------------


def is_holdout(external_id: str) -> bool:
    """Stable across runs, processes and databases: a hash of the external id, not a draw."""
    digest = hashlib.sha256(str(external_id).encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10_000 < _setting("CHURN_HOLDOUT_PERCENT", 20) * 100


def holdout_mask(external_ids: pd.Series) -> pd.Series:
    return pd.Series([is_holdout(e) for e in external_ids], index=external_ids.index, dtype=bool)


# --- Training ---------------------------------------------------------------------------


def search_settings(options: dict | None = None) -> SearchSettings:
    """The search's settings: ``options`` (from the command line or the page) over the
    CHURN_* settings over ``SearchSettings``' own defaults."""
    options = options or {}
    defaults = SearchSettings()
    return SearchSettings(
        folds=int(_setting("CHURN_CV_FOLDS", defaults.folds)),
        seed=int(_setting("CHURN_SEED", defaults.seed)),
        max_configs=int(
            options.get("max_configs") or _setting("CHURN_SEARCH_MAX_CONFIGS", defaults.max_configs)
        ),
        time_budget_seconds=float(
            options.get("time_budget_seconds")
            or _setting("CHURN_SEARCH_SECONDS", defaults.time_budget_seconds)
        ),
        nthread=int(_setting("CHURN_NTHREAD", defaults.nthread)),
        cv_repeats=int(_setting("CHURN_CV_REPEATS", defaults.cv_repeats)),
        repeat_max_rows=int(_setting("CHURN_CV_REPEAT_MAX_ROWS", defaults.repeat_max_rows)),
    )


def training_data_check(y: pd.Series, *, what: str = "labelled customers") -> None:
    """Refuse data a model cannot honestly be trained on, saying what is missing."""
    min_rows = _setting("CHURN_MIN_LABELLED", 50)
    min_class = _setting("CHURN_MIN_PER_CLASS", 10)
    n = len(y)
    if n == 0:
        raise TrainingError(
            "No customer has a known churn label (churned yes/no), so there is nothing to "
            "learn from. Import customers with a label column first."
        )
    positives = int(y.sum())
    negatives = n - positives
    if positives == 0 or negatives == 0:
        only = "churned" if negatives == 0 else "stayed"
        raise TrainingError(
            f"All {n} {what} {only}: a model needs customers who churned and customers who stayed."
        )
    if n < min_rows:
        raise TrainingError(f"Only {n} {what}; at least {min_rows} are needed to train.")
    if min(positives, negatives) < min_class:
        raise TrainingError(
            f"Too few examples of one outcome among the {what}: {positives} churned and "
            f"{negatives} stayed; at least {min_class} of each are needed."
        )


def promotion_decide(*, new_auc: float | None, active_auc: float | None) -> bool:
    if new_auc is None or active_auc is None:
        return False
    return new_auc >= active_auc - _setting("CHURN_PROMOTION_TOLERANCE", 0.002)


@dataclass
class _Evaluation:
    metrics: dict
    baseline: dict
    active: dict | None = None
    decision: dict = field(default_factory=dict)


def _holdout_evaluation(
    *, table: CustomerTable, rows: pd.Index, y: np.ndarray, candidate: LoadedChurnModel, fitted
) -> _Evaluation:
    raw = table.raw.loc[rows]
    X, _ = spec_apply(candidate.spec, raw)
    new = binary_metrics(y, candidate.probabilities(X)) if len(rows) else {"rows": 0}
    baseline = binary_metrics(y, baseline_predict(fitted.baseline, X)) if len(rows) else {"rows": 0}
    evaluation = _Evaluation(metrics=new, baseline=baseline)
    decision = {
        "rule": "promote when new holdout ROC-AUC >= active holdout ROC-AUC - "
        f"{_setting('CHURN_PROMOTION_TOLERANCE', 0.002)}",
        "holdout_rows": len(rows),
        "new_roc_auc": new.get("roc_auc"),
    }
    current = ChurnModel.objects.filter(status=ChurnModel.Status.ACTIVE).first()
    if current is None:
        decision |= {"promote": True, "reason": "No model was active."}
    else:
        decision["active_version"] = current.version
        try:
            loaded = model_load(current)
        except ModelUnavailable as exc:
            decision |= {"promote": False, "reason": f"{exc} Promote by hand if this one is fine."}
        else:
            if new.get("roc_auc") is None:
                decision |= {
                    "promote": False,
                    "reason": "The holdout has too few labelled customers of each outcome to "
                    "compare models; promote by hand.",
                }
            else:
                X_active, _ = spec_apply(loaded.spec, raw)
                evaluation.active = binary_metrics(y, loaded.probabilities(X_active))
                active_auc = evaluation.active.get("roc_auc")
                promote = promotion_decide(new_auc=new["roc_auc"], active_auc=active_auc)
                decision |= {
                    "active_roc_auc": active_auc,
                    "promote": promote,
                    "reason": (
                        f"Holdout ROC-AUC {new['roc_auc']:.4f} vs v{current.version}'s "
                        f"{active_auc:.4f}: "
                        + ("not worse, promoted." if promote else "worse, kept as candidate.")
                    ),
                }
    evaluation.decision = decision
    return evaluation


def churn_model_train(
    *,
    as_of: dt.datetime | None = None,
    options: dict | None = None,
    progress=None,
    training_run: TrainingRun | None = None,
) -> ChurnModel:
    """Train a new version on the labelled, non-holdout customers and register it.

    Raises ``TrainingError`` (nothing written) when the data cannot support a model.
    """
    options = options or {}
    started = time.monotonic()
    as_of = as_of or timezone.now()
    # Churned customers with a churn date are seen as of that date, everyone else as of
    # as_of: see scoring.features.label_as_of.
    gap_days = float(_setting("CHURN_LABEL_GAP_DAYS", 0))
    own_as_of = label_as_of(as_of=as_of, gap_days=gap_days)
    lookback = lookback_for_training(
        as_of=as_of,
        as_of_by_customer=own_as_of,
        customers=Customer.objects.filter(churned__isnull=False).count(),
    )
    table = customer_table(as_of=as_of, as_of_by_customer=own_as_of, lookback=lookback)
    known = table.labels.notna()
    all_labels = table.labels[known].astype(bool).astype("int8")
    training_data_check(all_labels)
    holdout = holdout_mask(table.external_ids)
    train_rows = table.raw.index[known & ~holdout]
    holdout_rows = table.raw.index[known & holdout]
    y_train = all_labels.loc[train_rows]
    training_data_check(y_train, what="labelled customers outside the holdout")

    try:
        spec = spec_infer(table.raw.loc[train_rows], as_of=as_of, lookback=lookback)
    except FeatureError as exc:
        raise TrainingError(str(exc)) from exc
    X_train, _ = spec_apply(spec, table.raw.loc[train_rows])
    fitted = fit_churn_model(
        X_train, y_train.to_numpy(), spec=spec, settings=search_settings(options), progress=progress
    )
    candidate = LoadedChurnModel(booster=fitted.booster, calibrator=fitted.calibrator, spec=spec)
    evaluation = _holdout_evaluation(
        table=table,
        rows=holdout_rows,
        y=all_labels.loc[holdout_rows].to_numpy(),
        candidate=candidate,
        fitted=fitted,
    )
    promote = evaluation.decision["promote"] and options.get("promote", True)
    if evaluation.decision["promote"] and not promote:
        evaluation.decision["reason"] += " (Automatic promotion was switched off for this run.)"
        evaluation.decision["promote"] = False

    metrics = {
        "cv": {"model": fitted.cv_metrics, "baseline": fitted.baseline_cv_metrics},
        "holdout": {
            "model": evaluation.metrics,
            "baseline": evaluation.baseline,
            "active": evaluation.active,
        },
        "promotion": evaluation.decision,
        "search": fitted.search,
        "feature_importance": fitted.feature_importance,
        "data": {
            "customers": len(table.raw),
            "labelled": int(known.sum()),
            "unlabelled": int((~known).sum()),
            "training_rows": len(train_rows),
            "holdout_rows": len(holdout_rows),
            "label_as_of": {
                "gap_days": gap_days,
                "customers": sum(pk in table.as_of_by_customer for pk in table.pks),
            },
        },
        "training_seconds": round(time.monotonic() - started, 2),
    }
    return _churn_model_register(
        fitted=fitted,
        spec=spec,
        as_of=as_of,
        metrics=metrics,
        y_train=y_train,
        promote=promote,
        training_run=training_run,
    )


def _churn_model_register(
    *, fitted, spec, as_of, metrics, y_train, promote, training_run
) -> ChurnModel:
    for attempt in range(3):
        version = (ChurnModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        data = artifact_pack(
            booster=fitted.booster,
            calibrator=fitted.calibrator,
            spec=spec,
            meta={"version": version, "as_of": as_of.isoformat()},
        )
        name = default_storage.save(
            f"churn_models/churn-model-v{version}-{uuid.uuid4().hex[:8]}.zip", ContentFile(data)
        )
        try:
            with transaction.atomic():
                model = ChurnModel.objects.create(
                    version=version,
                    as_of=as_of,
                    feature_spec=spec,
                    params={**fitted.params, "calibration": fitted.calibrator["method"]},
                    metrics=metrics,
                    training_rows=len(y_train),
                    training_positives=int(y_train.sum()),
                    artifact=name,
                    artifact_sha256=sha256(data),
                    promotion_note=metrics["promotion"]["reason"],
                )
                if promote:
                    _promote_locked(model)
                if training_run is not None:
                    _training_run_finish(
                        training_run, status=TrainingRun.Status.SUCCEEDED, model=model
                    )
            return model
        except IntegrityError:
            default_storage.delete(name)
            if attempt == 2:
                raise
        except Exception:
            default_storage.delete(name)
            raise
    raise AssertionError("unreachable")


# --- Registry: promote and roll back ----------------------------------------------------


def _promote_locked(model: ChurnModel) -> ChurnModel:
    current = (
        ChurnModel.objects.select_for_update()
        .filter(status=ChurnModel.Status.ACTIVE)
        .exclude(pk=model.pk)
        .first()
    )
    now = timezone.now()
    if current is not None:
        current.status = ChurnModel.Status.RETIRED
        current.retired_at = now
        current.save(update_fields=["status", "retired_at"])
    model.status = ChurnModel.Status.ACTIVE
    model.promoted_at = now
    model.retired_at = None
    if current is not None:
        model.previous_active = current
    model.save(update_fields=["status", "promoted_at", "retired_at", "previous_active"])
    return model


def churn_model_promote(*, model: ChurnModel) -> ChurnModel:
    """Make ``model`` the active version; refused (nothing changes) if its file is unusable."""
    model_load(model)  # raises ModelUnavailable with a clear message
    with transaction.atomic():
        model = ChurnModel.objects.select_for_update().get(pk=model.pk)
        if model.status == ChurnModel.Status.ACTIVE:
            return model
        _promote_locked(model)
        model.promotion_note = "Promoted by hand."
        model.save(update_fields=["promotion_note"])
    return model


def churn_model_rollback() -> ChurnModel:
    """Return to the version that was active before the current one; the current one retires."""
    with transaction.atomic():
        current = (
            ChurnModel.objects.select_for_update().filter(status=ChurnModel.Status.ACTIVE).first()
        )
        if current is None:
            raise ModelUnavailable("No model is active, so there is nothing to roll back.")
        target = current.previous_active
        if target is None:
            raise ModelUnavailable(
                f"v{current.version} has no earlier active version to roll back to."
            )
        model_load(target)
        target = ChurnModel.objects.select_for_update().get(pk=target.pk)
        now = timezone.now()
        current.status = ChurnModel.Status.RETIRED
        current.retired_at = now
        current.save(update_fields=["status", "retired_at"])
        target.status = ChurnModel.Status.ACTIVE
        target.promoted_at = now
        target.retired_at = None
        target.promotion_note = f"Restored by rolling back v{current.version}."
        target.save(update_fields=["status", "promoted_at", "retired_at", "promotion_note"])
    return target


# --- Training runs ----------------------------------------------------------------------


def training_run_in_progress() -> TrainingRun | None:
    return (
        TrainingRun.objects.filter(
            status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING]
        )
        .order_by("-created_at")
        .first()
    )


def training_run_create(
    *,
    created_by=None,
    trigger: str = TrainingRun.Trigger.MANUAL,
    options: dict | None = None,
    enqueue: bool = True,
) -> TrainingRun:
    """A queued run; with ``enqueue`` its task is sent once the transaction commits."""
    run = TrainingRun.objects.create(created_by=created_by, trigger=trigger, options=options or {})
    progress_set(run.progress_key, done=0, total=None, message="Waiting for a worker")
    if enqueue:
        from scoring.tasks import train_churn_model

        transaction.on_commit(lambda: train_churn_model.delay(run.pk))
    return run


def _training_run_finish(run: TrainingRun, *, status: str, model=None, error: str = "") -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.error = error
    run.model = model
    run.save(update_fields=["status", "finished_at", "error", "model"])
    progress_set(
        run.progress_key,
        done=1,
        total=1,
        message="Finished" if status == TrainingRun.Status.SUCCEEDED else "Failed",
    )


def _claim(model_class, run_id: int, stale_after: float):
    """Lock the run, re-check it, mark it running; None when it is not ours to run."""
    with transaction.atomic():
        run = model_class.objects.select_for_update().get(pk=run_id)
        if run.is_finished:
            return None
        # A redelivered message of a run another worker is still working on.
        if (
            run.status == model_class.Status.RUNNING
            and run.started_at
            and (timezone.now() - run.started_at).total_seconds() < stale_after
        ):
            return None
        run.status = model_class.Status.RUNNING
        run.started_at = timezone.now()
        run.error = ""
        run.save(update_fields=["status", "started_at", "error"])
    return run


def training_run_execute(*, run_id: int) -> TrainingRun:
    """Run a queued training run to its end; safe to call again for the same run."""
    run = _claim(TrainingRun, run_id, _setting("CHURN_TRAIN_TIME_LIMIT", 1800))
    if run is None:
        return TrainingRun.objects.get(pk=run_id)

    def progress(done: int, total: int, message: str) -> None:
        progress_set(run.progress_key, done=done, total=total, message=message)

    progress(0, 1, "Reading customers and building features")
    as_of = run.options.get("as_of")
    try:
        churn_model_train(
            as_of=dt.datetime.fromisoformat(as_of) if as_of else None,
            options=run.options,
            progress=progress,
            training_run=run,
        )
    except TrainingError as exc:
        _training_run_finish(run, status=TrainingRun.Status.FAILED, error=str(exc))
    except SoftTimeLimitExceeded:
        _training_run_finish(
            run, status=TrainingRun.Status.FAILED, error="Training took longer than its time limit."
        )
    except Exception as exc:
        logger.exception("Training run %s failed", run_id)
        _training_run_finish(
            run,
            status=TrainingRun.Status.FAILED,
            error=f"Training failed unexpectedly ({exc.__class__.__name__}: {exc}).",
        )
    run.refresh_from_db()
    return run


# --- Scoring ----------------------------------------------------------------------------


@dataclass
class ScoreResult:
    probability: float
    risk_class: str
    drivers: list[dict]
    model_version: int | None
    unknown_values: list[str]
    score: ChurnScore | None = None


def _loaded_active() -> LoadedChurnModel:
    try:
        return active_model()
    except ModelUnavailable as exc:
        raise ScoringError(str(exc)) from exc


def customer_score(*, customer: Customer, save: bool = False) -> ScoreResult:
    """Score one stored customer in-process with the active model.

    The customer's own fields come from the instance given (no query); its interactions
    from one aggregate query: this is the path a page or an API call takes per request."""
    loaded = _loaded_active()
    now = timezone.now()
    if customer.signup_date and customer.signup_date > now.date():
        raise ScoringError(f"Customer {customer.external_id} has not signed up yet.")
    behaviour = customer_behaviour(customer_id=customer.pk, as_of=now, lookback=loaded.lookback)
    table = table_from_records([customer_record(customer)], as_of=now, behaviour=behaviour)
    predictions = loaded.predict(table.columns)
    result = ScoreResult(
        probability=float(predictions.probabilities[0]),
        risk_class=predictions.risk_classes[0],
        drivers=predictions.drivers[0],
        model_version=loaded.version,
        unknown_values=predictions.report.as_messages(),
    )
    if save:
        result.score = churn_score_create(
            customer=customer,
            model_id=loaded.model_id,
            probability=result.probability,
            risk_class=result.risk_class,
            drivers=result.drivers,
            scored_at=now,
        )
    return result


def churn_score_create(
    *,
    customer: Customer,
    model_id: int,
    probability: float,
    risk_class: str,
    drivers: list[dict] | None = None,
    scored_at: dt.datetime,
) -> ChurnScore:
    """Store one score and make it the customer's latest, unless a newer one is stored.

    Every score must be written through here or ``_chunk_store`` (batches): the lists read
    the current risk from ``LatestChurnScore``, which these keep in step with the scores."""
    with transaction.atomic():
        score = ChurnScore.objects.create(
            customer=customer,
            model_id=model_id,
            probability=probability,
            risk_class=risk_class,
            drivers=drivers or [],
            scored_at=scored_at,
        )
        _latest_scores_advance(scores=ChurnScore.objects.filter(pk=score.pk))
    return score


def record_score(*, record: dict) -> ScoreResult:
    """Score a customer that is not stored (the CLI's flags), through the same features."""
    loaded = _loaded_active()
    table = table_from_records([{"pk": 0, **record}], as_of=timezone.now())
    predictions = loaded.predict(table.columns)
    return ScoreResult(
        probability=float(predictions.probabilities[0]),
        risk_class=predictions.risk_classes[0],
        drivers=predictions.drivers[0],
        model_version=loaded.version,
        unknown_values=predictions.report.as_messages(),
    )


def scoring_run_create(*, created_by=None, enqueue: bool = True) -> ScoringRun:
    run = ScoringRun.objects.create(created_by=created_by)
    if enqueue:
        from scoring.tasks import score_customers

        transaction.on_commit(lambda: score_customers.delay(run.pk))
    return run


def _scoring_run_finish(run: ScoringRun, *, status: str, error: str = "") -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.error = error
    run.save(
        update_fields=["status", "finished_at", "error", "customers_scored", "unknown_categories"]
    )
    progress_set(run.progress_key, done=1, total=1, message=status)


def _pk_chunks(chunk_size: int) -> list[tuple[int, int]]:
    pks = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    return [
        (pks[i], pks[min(i + chunk_size, len(pks)) - 1]) for i in range(0, len(pks), chunk_size)
    ]


def scoring_run_execute(*, run_id: int, chunk_size: int | None = None) -> ScoringRun:
    """Score every customer with the active model, chunk by chunk, in bulk.

    Every score of the run carries the run's ``scored_at``; a chunk replaces what the same
    run wrote for it before, so a redelivered task does not duplicate scores. If no model is
    usable the run fails and no score is touched.
    """
    run = _claim(ScoringRun, run_id, _setting("CHURN_SCORE_TIME_LIMIT", 1800))
    if run is None:
        return ScoringRun.objects.get(pk=run_id)
    try:
        loaded = _loaded_active()
    except ScoringError as exc:
        _scoring_run_finish(run, status=ScoringRun.Status.FAILED, error=str(exc))
        return run
    if run.scored_at is None or run.model_id != loaded.model_id:
        run.scored_at = timezone.now()
    run.model_id = loaded.model_id
    run.customers_scored = 0
    run.save(update_fields=["scored_at", "model", "customers_scored"])

    chunk_size = chunk_size or _setting("CHURN_SCORE_CHUNK_SIZE", 5000)
    chunks = _pk_chunks(chunk_size)
    unknown: dict[str, dict[str, int]] = {}
    try:
        # Closed on any way out, so the prediction thread is never left running.
        predicted = _chunks_predicted(loaded=loaded, chunks=chunks, scored_at=run.scored_at)
        with closing(predicted) as chunks_done:
            for i, (pk_range, table, predictions) in enumerate(chunks_done):
                progress_set(
                    run.progress_key, done=i, total=len(chunks), message=f"Scoring chunk {i + 1}"
                )
                run.customers_scored += _chunk_store(
                    loaded=loaded,
                    pk_range=pk_range,
                    scored_at=run.scored_at,
                    table=table,
                    predictions=predictions,
                )
                for label, values in predictions.report.unknown.items():
                    target = unknown.setdefault(label, {})
                    for value, count in values.items():
                        target[value] = target.get(value, 0) + count
        run.unknown_categories = unknown
        _scoring_run_finish(run, status=ScoringRun.Status.SUCCEEDED)
        latest_scores_vacuum()
    except SoftTimeLimitExceeded:
        _scoring_run_finish(
            run, status=ScoringRun.Status.FAILED, error="Scoring took longer than its time limit."
        )
    except Exception as exc:
        logger.exception("Scoring run %s failed", run_id)
        _scoring_run_finish(
            run,
            status=ScoringRun.Status.FAILED,
            error=f"Scoring failed unexpectedly ({exc.__class__.__name__}: {exc}).",
        )
    return run


def latest_scores_vacuum() -> bool:
    """VACUUM ANALYZE the latest-score table after a full run rewrote every row of it.

    Until vacuumed, its index-only scans (the high-risk count, deep pages of the list) must
    visit the heap for each of the 100,000 dead and new rows, which made them 2-3 times
    slower in the dashboard benchmark; autovacuum gets there, but minutes later. PostgreSQL
    only, and only outside a transaction (VACUUM cannot run in one). True when it ran."""
    return tables_vacuum_analyze(LatestChurnScore)


def churn_scores_write(
    *, loaded: LoadedChurnModel, pk_range: tuple[int, int], scored_at: dt.datetime
) -> tuple[int, ApplyReport]:
    """Score the customers with pks in ``pk_range`` and store one score each, in this
    thread; a full run (``scoring_run_execute``) pipelines the same three steps."""
    table = _chunk_read(loaded=loaded, pk_range=pk_range, scored_at=scored_at)
    if not len(table):
        return 0, ApplyReport()
    predictions = _chunk_predict(loaded=loaded, table=table)
    written = _chunk_store(
        loaded=loaded,
        pk_range=pk_range,
        scored_at=scored_at,
        table=table,
        predictions=predictions,
    )
    return written, predictions.report


def _chunks_predicted(
    *, loaded: LoadedChurnModel, chunks: list[tuple[int, int]], scored_at: dt.datetime
) -> Iterator[tuple[tuple[int, int], CustomerTable, Predictions]]:
    """Each chunk with customers, its feature table and its predictions, in order.

    Pipelined: a worker thread predicts one chunk (XGBoost releases the GIL) while this
    thread reads the next one and the caller writes the one before, so on two cores the
    database work and TreeSHAP no longer wait for each other. Only this thread touches the
    database."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="churn-predict")
    try:
        waiting = None
        for pk_range in chunks:
            table = _chunk_read(loaded=loaded, pk_range=pk_range, scored_at=scored_at)
            if not len(table):
                continue
            future = pool.submit(_chunk_predict, loaded=loaded, table=table)
            if waiting:
                yield waiting[0], waiting[1], waiting[2].result()
            waiting = (pk_range, table, future)
        if waiting:
            yield waiting[0], waiting[1], waiting[2].result()
    finally:
        # On an error or the time limit: drop the queued chunk, finish the running one.
        pool.shutdown(wait=True, cancel_futures=True)


def _chunk_read(
    *, loaded: LoadedChurnModel, pk_range: tuple[int, int], scored_at: dt.datetime
) -> CustomerTable:
    return customer_table(as_of=scored_at, pk_range=pk_range, lookback=loaded.lookback)


def _chunk_predict(*, loaded: LoadedChurnModel, table: CustomerTable) -> Predictions:
    # One large prediction per chunk: here threads pay off, unlike in training.
    threads = _setting("CHURN_PREDICT_NTHREAD", 0) or os.cpu_count() or 1
    return loaded.predict(table.columns, nthread=threads)


def _chunk_store(
    *,
    loaded: LoadedChurnModel,
    pk_range: tuple[int, int],
    scored_at: dt.datetime,
    table: CustomerTable,
    predictions: Predictions,
) -> int:
    """Store one score per customer of the chunk, replacing what the same run wrote."""
    rows = [
        (int(pk), loaded.model_id, float(probability), risk, drivers, scored_at)
        for pk, probability, risk, drivers in zip(
            table.pks,
            predictions.probabilities,
            predictions.risk_classes,
            predictions.drivers,
            strict=True,
        )
    ]
    lo, hi = pk_range
    with transaction.atomic():
        # A redelivered run replaces what it wrote for this chunk before. The latest-score
        # rows pointing at those scores go first: scores do not cascade to them.
        LatestChurnScore.objects.filter(
            model_id=loaded.model_id,
            scored_at=scored_at,
            customer_id__gte=lo,
            customer_id__lte=hi,
        ).delete()
        replaced, _ = ChurnScore.objects.filter(
            model_id=loaded.model_id,
            scored_at=scored_at,
            customer_id__gte=lo,
            customer_id__lte=hi,
        ).delete()
        if connection.vendor == "postgresql":
            _scores_copy(rows)
        else:
            ChurnScore.objects.bulk_create(
                [
                    ChurnScore(
                        customer_id=pk,
                        model_id=model_id,
                        probability=probability,
                        risk_class=risk,
                        drivers=drivers,
                        scored_at=moment,
                    )
                    for pk, model_id, probability, risk, drivers, moment in rows
                ],
                batch_size=2000,
            )
        in_chunk = {"customer_id__gte": lo, "customer_id__lte": hi}
        _latest_scores_advance(
            scores=ChurnScore.objects.filter(
                model_id=loaded.model_id, scored_at=scored_at, **in_chunk
            )
        )
        if replaced:
            # A customer whose replaced score was not written again (no longer signed up,
            # say) falls back to its newest remaining score.
            _latest_scores_advance(
                scores=ChurnScore.objects.filter(**in_chunk).exclude(
                    customer_id__in=LatestChurnScore.objects.filter(**in_chunk).values(
                        "customer_id"
                    )
                )
            )
    return len(rows)


def _scores_copy(rows: list[tuple]) -> None:
    """PostgreSQL COPY: ten times faster than INSERTs for the nightly 100k rows."""
    table = ChurnScore._meta.db_table
    columns = ", ".join(
        ChurnScore._meta.get_field(name).column
        for name in ("customer", "model", "probability", "risk_class", "drivers", "scored_at")
    )
    with connection.cursor() as cursor:
        raw_cursor = cursor.cursor  # psycopg's own cursor, for its COPY support
        with raw_cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for pk, model_id, probability, risk, drivers, moment in rows:
                copy.write_row((pk, model_id, probability, risk, json.dumps(drivers), moment))


def _q(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _latest_scores_advance(*, scores: QuerySet[ChurnScore]) -> None:
    """Point each customer's ``LatestChurnScore`` at its newest score among ``scores``,
    unless it already holds a newer one.

    One statement on PostgreSQL and SQLite alike. It only moves forward, by ``scored_at``
    then id, so writers racing each other (a nightly run, a score from a page) end with
    the newest score whatever order they commit in; the row lock taken by the upsert
    orders them."""
    among, params = scores.order_by().values("pk").query.sql_with_params()
    table, latest = _q(ChurnScore), _q(LatestChurnScore)
    columns = "customer_id, id, model_id, probability, risk_class, scored_at"
    sql = f"""
        INSERT INTO {latest} AS latest
            (customer_id, score_id, model_id, probability, risk_class, scored_at)
        SELECT {columns} FROM (
            SELECT {columns}, ROW_NUMBER() OVER (
                PARTITION BY customer_id ORDER BY scored_at DESC, id DESC) AS rn
            FROM {table} WHERE id IN ({among})
        ) ranked WHERE rn = 1
        ON CONFLICT (customer_id) DO UPDATE SET
            score_id = excluded.score_id,
            model_id = excluded.model_id,
            probability = excluded.probability,
            risk_class = excluded.risk_class,
            scored_at = excluded.scored_at
        WHERE (latest.scored_at, latest.score_id) < (excluded.scored_at, excluded.score_id)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)

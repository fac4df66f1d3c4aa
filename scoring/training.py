"""Fitting the churn model on a feature matrix: no database here, so the product and the
benchmarks run exactly the same procedure.

``fit_churn_model`` does, on the rows it is given and nothing else:

1. stratified k-fold split (fixed seed), shared by every candidate and the baseline;
2. a seeded, time-boxed random search over XGBoost settings (the first candidate is a sane
   default), each scored by its mean fold ROC-AUC with early stopping on the fold, over
   ``cv_repeats`` differently seeded k-fold splits on small tables; among candidates within
   0.0005 of the best, the cheapest to score (trees x leaves x depth^2, the TreeSHAP cost)
   wins;
3. calibration of the winner's out-of-fold margins from the first split: Platt and centred
   isotonic are compared by cross-fitted Brier score (each fold calibrated by a map fitted on
   the other folds), the better one is refitted on all out-of-fold margins. Both maps are
   strictly increasing, so calibration never changes which customer ranks above which;
4. the final booster on all rows with the winner's settings and the mean early-stopped
   number of rounds (+10% for the larger training set);
5. a logistic-regression baseline (impute, one-hot, scale) on the same folds.

Reported CV metrics use the cross-fitted calibrated out-of-fold predictions, so no row is
scored by a model (or a calibration map) that saw its label.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from scoring.features import spec_feature_names

PROBABILITY_FLOOR = 1e-4
ISOTONIC_MIN_ROWS = 500
CENTRED_ISOTONIC = "centred isotonic"
MISSING_CATEGORY = "(missing)"

Progress = Callable[[int, int, str], None]


@dataclass
class SearchSettings:
    folds: int = 5
    seed: int = 42
    max_configs: int = 20
    time_budget_seconds: float = 120.0
    early_stopping_rounds: int = 50
    # Scoring cost (TreeSHAP drivers for every customer, every night) grows with the trees:
    # 100k customers x 1000 depth-2 trees took 20-28 s of TreeSHAP on two cores, over the
    # 30 s budget of a full re-score; beyond ~600 rounds the gains on our data sets were in
    # the fourth decimal (the search then prefers higher learning rates).
    max_rounds: int = 600
    nthread: int = 1
    # On small tables the settings' fold ROC-AUCs differ by less than the noise of one
    # split, so the search averages the k folds of this many splits (other seeds). On Telco
    # (5,600 training rows) three splits chose better settings in 20 of 30 outer folds and
    # worse in 7, +0.0008 ROC-AUC over split seeds 1-6; above repeat_max_rows one split is
    # kept, as the folds are large enough and repeats would only eat the time budget.
    cv_repeats: int = 3
    repeat_max_rows: int = 10_000


@dataclass
class FittedChurnModel:
    booster: xgb.Booster
    calibrator: dict
    params: dict
    search: list[dict]
    cv_metrics: dict
    baseline: Pipeline
    baseline_cv_metrics: dict
    feature_importance: list[dict]
    oof_probabilities: np.ndarray = field(repr=False)


# --- Calibration ------------------------------------------------------------------------


def sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(values, dtype="float64")))


def calibrator_fit(margins: np.ndarray, y: np.ndarray, *, method: str) -> dict:
    margins = np.asarray(margins, dtype="float64")
    if method == "platt":
        model = LogisticRegression(C=1e6, max_iter=1000)
        model.fit(margins.reshape(-1, 1), y)
        return {"method": "platt", "a": float(model.coef_[0, 0]), "b": float(model.intercept_[0])}
    if method == CENTRED_ISOTONIC:
        x, y_values = _centred_isotonic_knots(margins, np.asarray(y, dtype="float64"))
        return {"method": CENTRED_ISOTONIC, "x": x.tolist(), "y": y_values.tolist()}
    raise ValueError(f"unknown calibration method {method!r}")


def _centred_isotonic_knots(margins: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centred isotonic regression (Oron & Flournoy, 2017): the isotonic fit's flat blocks
    reduced to one knot each, at the block's mean margin, so the map interpolates between
    knots and rises strictly. Plain isotonic regression gives every customer in a block the
    same probability: on Telco (outer split seeds 1-4) it was picked in 2 of 20 outer folds
    and cost 0.0006 and 0.0020 ROC-AUC there, and a risk-sorted list lost its order inside
    each block."""
    order = np.argsort(margins, kind="stable")
    x, target = margins[order], y[order]
    fitted = IsotonicRegression(y_min=0.0, y_max=1.0).fit(x, target).predict(x)
    starts = np.flatnonzero(np.r_[True, np.diff(fitted) > 0])
    sizes = np.diff(np.r_[starts, len(x)])
    centres = np.add.reduceat(x, starts) / sizes
    return centres, fitted[starts]


def _centred_isotonic_apply(calibrator: dict, margins: np.ndarray) -> np.ndarray:
    """Linear between knots and, past the outer knots, along the outermost segments (a flat
    tail would tie the highest- or lowest-risk customers); clipped to the probability floor."""
    x = np.asarray(calibrator["x"], dtype="float64")
    y = np.asarray(calibrator["y"], dtype="float64")
    probabilities = np.interp(margins, x, y)
    if len(x) >= 2:
        below, above = margins < x[0], margins > x[-1]
        probabilities[below] = y[0] + (margins[below] - x[0]) * (y[1] - y[0]) / (x[1] - x[0])
        probabilities[above] = y[-1] + (margins[above] - x[-1]) * (y[-1] - y[-2]) / (x[-1] - x[-2])
    return probabilities


def calibrator_apply(calibrator: dict, margins: np.ndarray) -> np.ndarray:
    margins = np.asarray(margins, dtype="float64")
    method = calibrator.get("method")
    if method == "platt":
        probabilities = sigmoid(calibrator["a"] * margins + calibrator["b"])
    elif method == CENTRED_ISOTONIC:
        probabilities = _centred_isotonic_apply(calibrator, margins)
    elif method == "isotonic":  # stored by versions trained before centred isotonic
        probabilities = np.interp(margins, calibrator["x"], calibrator["y"])
    elif method == "none":
        probabilities = sigmoid(margins)
    else:
        raise ValueError(f"unknown calibration method {method!r}")
    return np.clip(probabilities, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)


def _cross_fitted(margins, y, folds, method) -> np.ndarray:
    calibrated = np.empty(len(y), dtype="float64")
    for train_idx, valid_idx in folds:
        calibrator = calibrator_fit(margins[train_idx], y[train_idx], method=method)
        calibrated[valid_idx] = calibrator_apply(calibrator, margins[valid_idx])
    return calibrated


def calibrator_choose(margins, y, folds) -> tuple[dict, np.ndarray, dict]:
    """The calibration map with the better cross-fitted Brier score, refitted on all rows,
    with the cross-fitted probabilities (for honest metrics) and each method's Brier."""
    methods = ["platt"] + ([CENTRED_ISOTONIC] if len(y) >= ISOTONIC_MIN_ROWS else [])
    candidates = {m: _cross_fitted(margins, y, folds, m) for m in methods}
    briers = {m: float(brier_score_loss(y, p)) for m, p in candidates.items()}
    best = min(methods, key=lambda m: (briers[m], m != "platt"))
    return calibrator_fit(margins, y, method=best), candidates[best], briers


# --- Metrics ----------------------------------------------------------------------------


def _downsample(xs, ys, points: int = 60) -> list[list[float]]:
    if len(xs) <= points:
        idx = np.arange(len(xs))
    else:
        idx = np.unique(np.linspace(0, len(xs) - 1, points).round().astype(int))
    return [[round(float(xs[i]), 4), round(float(ys[i]), 4)] for i in idx]


def binary_metrics(y: np.ndarray, probabilities: np.ndarray, *, bins: int = 10) -> dict:
    """ROC-AUC, PR-AUC, Brier, log-loss, top-decile lift and the chart curves, JSON-able.

    With one class only, the ranking metrics are None (they are undefined)."""
    y = np.asarray(y, dtype="int8")
    p = np.clip(
        np.asarray(probabilities, dtype="float64"), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR
    )
    n, positives = len(y), int(y.sum())
    result: dict = {"rows": n, "positives": positives, "base_rate": positives / n if n else None}
    if n == 0:
        return result
    result["brier"] = float(brier_score_loss(y, p))
    two_classes = 0 < positives < n
    result["log_loss"] = float(log_loss(y, p, labels=[0, 1]))
    if not two_classes:
        result.update(roc_auc=None, pr_auc=None, lift_top_decile=None)
        return result
    result["roc_auc"] = float(roc_auc_score(y, p))
    result["pr_auc"] = float(average_precision_score(y, p))
    fpr, tpr, _ = roc_curve(y, p)
    result["roc_curve"] = _downsample(fpr, tpr)

    order = np.argsort(-p, kind="stable")
    deciles = np.array_split(order, min(bins, n))
    base_rate = positives / n
    lift = []
    captured = 0
    for i, rows in enumerate(deciles, start=1):
        captured += int(y[rows].sum())
        rate = float(y[rows].mean()) if len(rows) else 0.0
        lift.append(
            {
                "decile": i,
                "lift": round(rate / base_rate, 4),
                "cumulative_gain": round(captured / positives, 4),
            }
        )
    result["lift_curve"] = lift
    result["lift_top_decile"] = lift[0]["lift"]

    quantile_bins = np.array_split(np.argsort(p, kind="stable"), min(bins, n))
    result["calibration_curve"] = [
        {
            "predicted": round(float(p[rows].mean()), 4),
            "observed": round(float(y[rows].mean()), 4),
            "rows": len(rows),
        }
        for rows in quantile_bins
        if len(rows)
    ]
    return result


# --- The baseline -----------------------------------------------------------------------


def _baseline_frame(X: pd.DataFrame) -> pd.DataFrame:
    frame = {}
    for name in X.columns:
        column = X[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            frame[name] = column.astype("object").where(column.notna(), MISSING_CATEGORY)
        else:
            frame[name] = column.astype("float64")
    return pd.DataFrame(frame, index=X.index)


def baseline_pipeline(X: pd.DataFrame, *, seed: int) -> Pipeline:
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    numeric = [c for c in X.columns if c not in categorical]
    transformers = []
    if numeric:
        transformers.append(
            (
                "numeric",
                Pipeline(
                    [
                        (
                            "impute",
                            SimpleImputer(
                                strategy="median", add_indicator=True, keep_empty_features=True
                            ),
                        ),
                        ("scale", StandardScaler()),
                    ]
                ),
                numeric,
            )
        )
    if categorical:
        transformers.append(("categorical", OneHotEncoder(handle_unknown="ignore"), categorical))
    return Pipeline(
        [
            ("columns", ColumnTransformer(transformers)),
            ("model", LogisticRegression(max_iter=2000, random_state=seed)),
        ]
    )


def baseline_fit(X: pd.DataFrame, y: np.ndarray, *, seed: int) -> Pipeline:
    pipeline = baseline_pipeline(X, seed=seed)
    pipeline.fit(_baseline_frame(X), y)
    return pipeline


def baseline_predict(pipeline: Pipeline, X: pd.DataFrame) -> np.ndarray:
    return pipeline.predict_proba(_baseline_frame(X))[:, 1]


# --- XGBoost ----------------------------------------------------------------------------


def base_params(settings: SearchSettings) -> dict:
    params = {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "tree_method": "hist",
        "seed": settings.seed,
        "verbosity": 0,
    }
    if settings.nthread:
        params["nthread"] = settings.nthread
    return params


def search_candidates(settings: SearchSettings, *, negative_to_positive: float) -> list[dict]:
    """Seeded candidates; the first is a conventional default so that even a one-candidate
    search (tests, tiny budgets) trains something reasonable.

    The space leans to shallow, strongly regularised trees with small learning rates:
    customer tables are small and mostly additive, where deep trees overfit (on Telco,
    depth 2-3 beat 4-6 in every fold)."""
    rng = np.random.default_rng(settings.seed)
    ratio = max(1.0, float(negative_to_positive))
    weights = sorted({1.0, round(math.sqrt(ratio), 4), round(ratio, 4)})

    def log_uniform(low: float, high: float) -> float:
        return float(math.exp(rng.uniform(math.log(low), math.log(high))))

    candidates = [
        {
            "max_depth": 2,
            "learning_rate": 0.1,
            "min_child_weight": 5.0,
            "subsample": 0.8,
            "colsample_bytree": 0.6,
            "reg_lambda": 5.0,
            "reg_alpha": 0.0,
            "gamma": 0.0,
            "scale_pos_weight": round(math.sqrt(ratio), 4),
        }
    ]
    while len(candidates) < settings.max_configs:
        candidates.append(
            {
                "max_depth": int(rng.choice([1, 2, 2, 3, 3, 4, 5])),
                "learning_rate": round(log_uniform(0.01, 0.15), 4),
                "min_child_weight": round(log_uniform(1.0, 50.0), 3),
                "subsample": round(float(rng.uniform(0.5, 1.0)), 3),
                "colsample_bytree": round(float(rng.uniform(0.3, 1.0)), 3),
                "reg_lambda": round(log_uniform(0.5, 50.0), 3),
                "reg_alpha": round(float(rng.choice([0.0, log_uniform(0.01, 2.0)])), 4),
                "gamma": round(float(rng.choice([0.0, rng.uniform(0.0, 2.0)])), 3),
                "scale_pos_weight": float(rng.choice(weights)),
            }
        )
    return candidates


def dmatrix(X: pd.DataFrame, y: np.ndarray | None = None, *, nthread: int = 1) -> xgb.DMatrix:
    return xgb.DMatrix(X, label=y, enable_categorical=True, missing=np.nan, nthread=nthread)


def stratified_folds(
    y: np.ndarray, *, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y))


# Candidates whose CV ROC-AUC is this close count as tied: the cheaper one to score wins.
AUC_TIE = 0.0005


def scoring_cost(depth: int, rounds: float) -> float:
    """Relative TreeSHAP cost: trees x leaves x depth squared, as XGBoost computes it (the
    drivers of deeper trees). The look-up tables used up to depth 3 cost far less and grow
    more slowly with depth, but they too favour fewer, shallower trees, which is all the
    tie rule (AUC_TIE) needs."""
    return round(rounds * (2**depth) * depth**2, 1)


def search_repeats(settings: SearchSettings, *, rows: int) -> int:
    """How many k-fold splits the search averages over for a table of ``rows``."""
    return max(1, settings.cv_repeats) if rows <= settings.repeat_max_rows else 1


def fit_churn_model(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    spec: dict,
    settings: SearchSettings | None = None,
    progress: Progress | None = None,
) -> FittedChurnModel:
    settings = settings or SearchSettings()
    # BLAS threads (the baseline's solver) contend like XGBoost's on a small shared machine.
    with threadpool_limits(limits=max(1, settings.nthread)):
        return _fit_churn_model(X, y, spec=spec, settings=settings, progress=progress)


def _fit_churn_model(X, y, *, spec, settings: SearchSettings, progress) -> FittedChurnModel:
    y = np.asarray(y, dtype="int8")
    positives = int(y.sum())
    repeats = search_repeats(settings, rows=len(y))
    splits = [
        stratified_folds(y, folds=settings.folds, seed=settings.seed + repeat)
        for repeat in range(repeats)
    ]
    # Calibration and the baseline use the first split: one out-of-fold prediction per row.
    folds = splits[0]
    fold_data = [
        (dmatrix(X.iloc[tr], y[tr]), dmatrix(X.iloc[va], y[va]), va, repeat == 0)
        for repeat, split in enumerate(splits)
        for tr, va in split
    ]
    candidates = search_candidates(settings, negative_to_positive=(len(y) - positives) / positives)
    steps = len(candidates) + 3

    def report(done: int, message: str) -> None:
        if progress:
            progress(done, steps, message)

    started = time.monotonic()
    search: list[dict] = []
    oofs: list[np.ndarray] = []
    for i, candidate in enumerate(candidates):
        if i and time.monotonic() - started > settings.time_budget_seconds:
            break
        report(i, f"Trying settings {i + 1} of up to {len(candidates)}")
        params = base_params(settings) | candidate
        oof = np.zeros(len(y), dtype="float64")
        rounds, fold_aucs = [], []
        for dtrain, dvalid, valid_idx, first_split in fold_data:
            booster = xgb.train(
                params,
                dtrain,
                num_boost_round=settings.max_rounds,
                evals=[(dvalid, "valid")],
                early_stopping_rounds=settings.early_stopping_rounds,
                verbose_eval=False,
            )
            best_iteration = booster.best_iteration
            margins = booster.predict(
                dvalid, output_margin=True, iteration_range=(0, best_iteration + 1)
            )
            if first_split:
                oof[valid_idx] = margins
            rounds.append(best_iteration + 1)
            fold_aucs.append(float(roc_auc_score(y[valid_idx], margins)))
        entry = {
            "params": candidate,
            "cv_roc_auc": round(float(np.mean(fold_aucs)), 5),
            "mean_rounds": float(np.mean(rounds)),
        }
        entry["scoring_cost"] = scoring_cost(candidate["max_depth"], entry["mean_rounds"])
        search.append(entry)
        oofs.append(oof)

    top = max(entry["cv_roc_auc"] for entry in search)
    chosen = min(
        (i for i, entry in enumerate(search) if entry["cv_roc_auc"] >= top - AUC_TIE),
        key=lambda i: search[i]["scoring_cost"],
    )
    best = search[chosen] | {"oof": oofs[chosen]}
    search[chosen]["chosen"] = True
    report(len(candidates), "Calibrating")
    calibrator, oof_probabilities, calibration_briers = calibrator_choose(best["oof"], y, folds)
    n_rounds = max(1, min(settings.max_rounds, round(best["mean_rounds"] * 1.1)))
    final_params = base_params(settings) | best["params"]
    report(len(candidates) + 1, "Training the final model")
    booster = xgb.train(final_params, dmatrix(X, y), num_boost_round=n_rounds)

    report(len(candidates) + 2, "Training the logistic-regression baseline")
    baseline_oof = np.empty(len(y), dtype="float64")
    for train_idx, valid_idx in folds:
        fold_model = baseline_fit(X.iloc[train_idx], y[train_idx], seed=settings.seed)
        baseline_oof[valid_idx] = baseline_predict(fold_model, X.iloc[valid_idx])
    baseline = baseline_fit(X, y, seed=settings.seed)

    cv_metrics = binary_metrics(y, oof_probabilities)
    cv_metrics["calibration_method"] = calibrator["method"]
    cv_metrics["calibration_brier"] = calibration_briers
    return FittedChurnModel(
        booster=booster,
        calibrator=calibrator,
        params=final_params
        | {"n_rounds": n_rounds, "folds": settings.folds, "cv_repeats": repeats},
        search=[{k: v for k, v in entry.items() if k != "oof"} for entry in search],
        cv_metrics=cv_metrics,
        baseline=baseline,
        baseline_cv_metrics=binary_metrics(y, baseline_oof),
        feature_importance=feature_importance(booster, X, spec=spec, seed=settings.seed),
        oof_probabilities=oof_probabilities,
    )


def feature_importance(
    booster: xgb.Booster, X: pd.DataFrame, *, spec: dict, seed: int, sample: int = 5000
) -> list[dict]:
    """Mean absolute TreeSHAP contribution per original feature, as a share of the total."""
    if len(X) > sample:
        X = X.sample(sample, random_state=seed)
    contributions = booster.predict(dmatrix(X), pred_contribs=True)[:, :-1]
    mean_abs = np.abs(contributions).mean(axis=0)
    total = float(mean_abs.sum()) or 1.0
    labels = {c["name"]: c["label"] for c in spec["columns"]}
    names = spec_feature_names(spec)
    rows = [
        {"feature": name, "label": labels[name], "importance": round(float(v) / total, 5)}
        for name, v in zip(names, mean_abs, strict=True)
    ]
    return sorted(rows, key=lambda r: -r["importance"])

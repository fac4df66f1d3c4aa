import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone
from sklearn.metrics import roc_auc_score

from customers.models import Customer, Interaction
from customers.tests.factories import CustomerFactory
from scoring.models import ChurnModel
from scoring.runtime import model_load
from scoring.services import (
    TrainingError,
    churn_model_train,
    holdout_mask,
    is_holdout,
)
from scoring.tests.data import make_customers
from scoring.training import (
    CENTRED_ISOTONIC,
    PROBABILITY_FLOOR,
    binary_metrics,
    calibrator_apply,
    calibrator_fit,
)


def test_training_end_to_end_learns_the_signal_and_stores_metrics(trained_model):
    model = trained_model
    assert model.version == 1
    assert model.status == ChurnModel.Status.ACTIVE
    cv, holdout = model.metrics["cv"], model.metrics["holdout"]
    assert cv["model"]["roc_auc"] > 0.75
    assert cv["baseline"]["roc_auc"] > 0.7
    assert holdout["model"]["roc_auc"] > 0.7
    for key in (
        "roc_auc",
        "pr_auc",
        "brier",
        "log_loss",
        "lift_top_decile",
        "calibration_curve",
        "roc_curve",
        "lift_curve",
    ):
        assert key in cv["model"] and key in cv["baseline"], key
    assert cv["model"]["calibration_method"] in {"platt", CENTRED_ISOTONIC}
    assert model.params["scale_pos_weight"] > 0
    assert model.params["n_rounds"] >= 1
    assert model.metrics["search"] and "cv_roc_auc" in model.metrics["search"][0]
    importance = model.metrics["feature_importance"]
    assert importance[0]["label"] in {
        "Contract",
        "Tenure months",
        "Monthly spend",
        "Internet service",
        "Total charges",
    }
    assert {"a:account_id", "a:note"} <= set(model.feature_spec["dropped"])
    assert model.feature_spec["columns"]
    loaded = model_load(model)
    assert loaded.spec == model.feature_spec


def test_unknown_labels_and_holdout_are_never_trained_on(trained_model):
    labels = Customer.objects.values_list("external_id", "churned")
    trainable = [e for e, churned in labels if churned is not None and not is_holdout(e)]
    unknown = [e for e, churned in labels if churned is None]
    assert unknown
    assert trained_model.training_rows == len(trainable)
    data = trained_model.metrics["data"]
    assert data["unlabelled"] == len(unknown)
    assert data["training_rows"] + data["holdout_rows"] + data["unlabelled"] == data["customers"]


def test_holdout_is_stable_and_about_a_fifth():
    ids = [f"CUST-{i}" for i in range(5000)]
    share = np.mean([is_holdout(e) for e in ids])
    assert 0.18 < share < 0.22
    import pandas as pd

    assert holdout_mask(pd.Series(ids[:50])).tolist() == [is_holdout(e) for e in ids[:50]]


def _assert_nothing_written():
    assert not ChurnModel.objects.exists()


def test_no_labels(db):
    for _ in range(60):
        CustomerFactory(churned=None)
    with pytest.raises(TrainingError, match="No customer has a known churn label"):
        churn_model_train()
    _assert_nothing_written()


def test_one_class_only(db):
    for _ in range(60):
        CustomerFactory(churned=False)
    with pytest.raises(TrainingError, match="stayed: a model needs customers who churned"):
        churn_model_train()
    _assert_nothing_written()


def test_too_few_rows(db):
    make_customers(30)
    with pytest.raises(TrainingError, match="at least 50 are needed"):
        churn_model_train()
    _assert_nothing_written()


def test_too_few_of_one_class(db):
    for i in range(80):
        CustomerFactory(churned=i < 5, tenure_months=i)
    with pytest.raises(TrainingError, match="at least 10 of each"):
        churn_model_train()
    _assert_nothing_written()


def test_failed_training_keeps_the_active_model(trained_model):
    Customer.objects.update(churned=False)
    with pytest.raises(TrainingError):
        churn_model_train()
    trained_model.refresh_from_db()
    assert trained_model.status == ChurnModel.Status.ACTIVE
    assert ChurnModel.objects.count() == 1


def test_metrics_are_undefined_not_wrong_with_one_class():
    metrics = binary_metrics(np.array([0, 0, 0]), np.array([0.1, 0.2, 0.3]))
    assert metrics["roc_auc"] is None and metrics["brier"] is not None


def _calibration_sample(n: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    margins = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * margins))).astype(int)
    return margins, y


def test_calibrators_rise_strictly_and_are_json():
    margins, y = _calibration_sample()
    for method in ("platt", CENTRED_ISOTONIC):
        calibrator = calibrator_fit(margins, y, method=method)
        assert json.loads(json.dumps(calibrator)) == calibrator
        grid = np.linspace(-3, 3, 200)
        p = calibrator_apply(calibrator, grid)
        assert np.all(np.diff(p) >= 0) and p.min() > 0 and p.max() < 1
        # Strictly rising wherever the probability floor and ceiling do not clip it.
        inside = (p > PROBABILITY_FLOOR) & (p < 1 - PROBABILITY_FLOOR)
        assert inside.sum() > 150, method
        assert np.all(np.diff(p[inside]) > 0), method
        # Past the training margins it never turns back (the tails themselves: next test).
        outside = calibrator_apply(calibrator, np.array([-3.6, -3.5, 3.5, 3.6]))
        assert outside[0] <= outside[1] < outside[2] <= outside[3]


def test_centred_isotonic_tails_extend_the_outer_segments_instead_of_going_flat():
    knots = {"method": CENTRED_ISOTONIC, "x": [0.0, 1.0, 2.0], "y": [0.3, 0.4, 0.6]}

    p = calibrator_apply(knots, np.array([-1.0, -0.5, 0.5, 2.5, 3.0]))

    assert p == pytest.approx([0.2, 0.25, 0.35, 0.7, 0.8])


def test_centred_isotonic_keeps_the_ranking_that_plain_isotonic_flattens():
    margins, y = _calibration_sample()
    centred = calibrator_apply(calibrator_fit(margins, y, method=CENTRED_ISOTONIC), margins)
    inside = (centred > PROBABILITY_FLOOR) & (centred < 1 - PROBABILITY_FLOOR)
    assert inside.mean() > 0.9
    assert len(np.unique(centred[inside])) == inside.sum()
    assert roc_auc_score(y, centred) == pytest.approx(roc_auc_score(y, margins), abs=1e-4)
    flat = np.interp(margins, *_plain_isotonic_knots(margins, y))
    assert len(np.unique(flat)) < len(margins) / 10
    # It still calibrates: predicted and observed rates agree by decile.
    for rows in np.array_split(np.argsort(margins), 10):
        assert abs(centred[rows].mean() - y[rows].mean()) < 0.05
    assert abs(centred.mean() - y.mean()) < 0.01


def _plain_isotonic_knots(margins, y):
    from sklearn.isotonic import IsotonicRegression

    model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(margins, y)
    return model.X_thresholds_, model.y_thresholds_


def test_versions_calibrated_with_plain_isotonic_still_score():
    margins, y = _calibration_sample()
    x, y_values = _plain_isotonic_knots(margins, y)
    stored = {"method": "isotonic", "x": x.tolist(), "y": y_values.tolist()}
    p = calibrator_apply(stored, np.array([-2.0, 0.0, 2.0]))
    assert np.all(np.diff(p) >= 0) and p[0] < p[2]
    assert np.allclose(p, np.clip(np.interp([-2.0, 0.0, 2.0], x, y_values), 1e-4, 1 - 1e-4))


def test_calibration_choice_is_between_strictly_rising_maps():
    from scoring.training import calibrator_choose, stratified_folds

    margins, y = _calibration_sample()
    calibrator, cross_fitted, briers = calibrator_choose(
        margins, y, stratified_folds(y, folds=5, seed=1)
    )
    assert set(briers) == {"platt", CENTRED_ISOTONIC}
    assert calibrator["method"] == min(briers, key=briers.get)
    assert len(cross_fitted) == len(y)


def test_search_prefers_the_cheaper_model_when_tied():
    from scoring.training import scoring_cost

    assert scoring_cost(2, 600) < scoring_cost(3, 300) < scoring_cost(6, 100)


# --- Churned customers are seen as of their churn date ----------------------------------


def _capture_training_matrix(monkeypatch) -> list:
    from scoring import services

    seen = []
    real = services.fit_churn_model

    def capturing(X, y, **kwargs):
        seen.append((X.copy(), np.asarray(y).copy()))
        return real(X, y, **kwargs)

    monkeypatch.setattr(services, "fit_churn_model", capturing)
    return seen


def test_events_after_churned_at_never_reach_the_training_matrix(db, monkeypatch):
    make_customers(200, seed=3, signal=2.0)
    now = timezone.now().replace(microsecond=0)
    churned = list(Customer.objects.filter(churned=True))
    Customer.objects.filter(churned=True).update(churned_at=(now - dt.timedelta(days=60)).date())
    events = [
        Interaction(customer=customer, kind="view", occurred_at=now - dt.timedelta(days=days))
        for customer in Customer.objects.all()
        for days in (70, 90)
    ]
    Interaction.objects.bulk_create(events)
    seen = _capture_training_matrix(monkeypatch)
    first = churn_model_train(as_of=now)
    assert first.metrics["data"]["label_as_of"]["customers"] == len(churned)
    # Leavers' activity after leaving (the days before as_of) must not change their rows.
    Interaction.objects.bulk_create(
        [
            Interaction(
                customer=customer,
                kind="purchase",
                value=Decimal("50"),
                occurred_at=now - dt.timedelta(days=days),
            )
            for customer in churned
            for days in (59, 30, 1)
        ]
    )
    churn_model_train(as_of=now)
    (X1, y1), (X2, y2) = seen
    pd.testing.assert_frame_equal(X1, X2)
    assert (y1 == y2).all()
    assert X1.loc[y1 == 1, "recency_days"].min() == pytest.approx(10.0, abs=1.0)


@pytest.mark.slow
def test_demo_data_model_is_realistic_not_restating_the_label(db, settings):
    from customers.demo import demo_data_seed

    settings.CHURN_SEARCH_MAX_CONFIGS = 2
    demo_data_seed(customers=1500, seed=7)
    model = churn_model_train()
    auc = model.metrics["cv"]["model"]["roc_auc"]
    # As of today every leaver looked inactive since leaving: CV ROC-AUC 0.98, led by days
    # since last activity. Seen as of their churn date, the signal is the real one.
    assert 0.7 < auc < 0.96
    importance = {row["feature"]: row["importance"] for row in model.metrics["feature_importance"]}
    assert importance["recency_days"] < 0.15
    assert model.metrics["feature_importance"][0]["feature"] != "recency_days"


# --- Repeated splits in the search --------------------------------------------------------


def _synthetic_training_frame(rows: int = 400, seed: int = 3):
    from scoring.features import spec_apply, spec_infer

    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, rows).astype(float)
    spend = rng.uniform(20, 120, rows).round(2)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], rows)
    logit = -0.04 * tenure + 0.02 * spend + np.where(contract == "Month-to-month", 1.0, -1.0)
    y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-(logit - 0.5)))).astype(int)
    raw = pd.DataFrame(
        {"tenure_months": tenure, "monthly_spend": spend, "a:Contract": contract},
        index=pd.RangeIndex(rows),
    )
    spec = spec_infer(raw)
    X, _ = spec_apply(spec, raw)
    return X, y, spec


def test_search_repeats_splits_on_small_tables_only():
    from scoring.training import SearchSettings, search_repeats

    settings = SearchSettings(cv_repeats=3, repeat_max_rows=10_000)
    assert search_repeats(settings, rows=10_000) == 3
    assert search_repeats(settings, rows=10_001) == 1
    assert search_repeats(SearchSettings(cv_repeats=0), rows=100) == 1


def test_repeated_splits_average_more_folds_but_calibrate_on_the_first_split():
    from scoring.training import SearchSettings, fit_churn_model

    X, y, spec = _synthetic_training_frame()
    common = {"folds": 3, "max_configs": 1, "seed": 7, "repeat_max_rows": 10_000}
    one = fit_churn_model(X, y, spec=spec, settings=SearchSettings(cv_repeats=1, **common))
    three = fit_churn_model(X, y, spec=spec, settings=SearchSettings(cv_repeats=3, **common))

    assert one.params["cv_repeats"] == 1 and three.params["cv_repeats"] == 3
    # The one candidate is scored over 9 folds instead of 3: another mean ROC-AUC.
    assert three.search[0]["cv_roc_auc"] != one.search[0]["cv_roc_auc"]
    # Out-of-fold predictions, calibration and the reported CV metrics come from the first
    # split alone, the same rows and models in both runs.
    np.testing.assert_allclose(three.oof_probabilities, one.oof_probabilities)
    assert three.cv_metrics["roc_auc"] == one.cv_metrics["roc_auc"]
    assert three.baseline_cv_metrics["roc_auc"] == one.baseline_cv_metrics["roc_auc"]


def test_search_settings_read_the_settings_and_the_run_options(settings):
    from scoring.services import search_settings

    settings.CHURN_CV_REPEATS = 2
    settings.CHURN_CV_REPEAT_MAX_ROWS = 500
    settings.CHURN_CV_FOLDS = 4
    settings.CHURN_SEED = 9
    settings.CHURN_SEARCH_MAX_CONFIGS = 7
    chosen = search_settings()
    assert (chosen.cv_repeats, chosen.repeat_max_rows) == (2, 500)
    assert (chosen.folds, chosen.seed, chosen.max_configs) == (4, 9, 7)
    # A training run's options (the train_churn flags) override the search size only.
    chosen = search_settings({"max_configs": 3, "time_budget_seconds": 12.5})
    assert (chosen.max_configs, chosen.time_budget_seconds, chosen.folds) == (3, 12.5, 4)

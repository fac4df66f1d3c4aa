import numpy as np
import pytest

from customers.models import Customer
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
from scoring.training import binary_metrics, calibrator_apply, calibrator_fit


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
    assert cv["model"]["calibration_method"] in {"platt", "isotonic"}
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


def test_calibrators_are_monotone_and_json():
    rng = np.random.default_rng(0)
    margins = rng.normal(size=2000)
    y = (rng.random(2000) < 1 / (1 + np.exp(-2 * margins))).astype(int)
    for method in ("platt", "isotonic"):
        calibrator = calibrator_fit(margins, y, method=method)
        grid = np.linspace(-3, 3, 50)
        p = calibrator_apply(calibrator, grid)
        assert np.all(np.diff(p) >= 0)
        assert p.min() > 0 and p.max() < 1


def test_search_prefers_the_cheaper_model_when_tied():
    from scoring.training import scoring_cost

    assert scoring_cost(2, 600) < scoring_cost(3, 300) < scoring_cost(6, 100)

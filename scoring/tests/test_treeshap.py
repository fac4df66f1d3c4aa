"""The look-up TreeSHAP gives XGBoost's own contributions, on every kind of split."""

import json

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from django.utils import timezone

from scoring.features import customer_table
from scoring.runtime import model_load
from scoring.treeshap import WIDE_MAX_ROWS, table_treeshap

FEATURE_TYPES = ["float", "float", "c", "float", "c"]


def _data(seed: int, rows: int = 3000) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Numbers and categories, both with missing values, and an interaction; returns the
    training frame, labels and the float32 code matrix the product scores."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "tenure": rng.normal(size=rows).astype("float32"),
            "tickets": rng.integers(0, 20, rows).astype("float32"),
            "plan": pd.Categorical.from_codes(rng.integers(-1, 6, rows), categories=list("uvwxyz")),
            "spend": rng.normal(size=rows).astype("float32"),
            "region": pd.Categorical.from_codes(rng.integers(0, 3, rows), categories=list("pqr")),
        }
    )
    frame.loc[rng.random(rows) < 0.1, "tenure"] = np.nan
    frame.loc[rng.random(rows) < 0.05, "tickets"] = np.nan
    signal = (
        frame["tenure"].fillna(0)
        + (frame["plan"].cat.codes == 2)
        + 0.1 * frame["tickets"].fillna(3)
        + frame["spend"] * frame["tenure"].fillna(1)
    )
    labels = (signal + rng.normal(size=rows) > 0.8).astype(int).to_numpy()
    codes = np.column_stack(
        [
            frame[c].cat.codes.replace(-1, np.nan).to_numpy(dtype="float32")
            if frame[c].dtype.name == "category"
            else frame[c].to_numpy()
            for c in frame.columns
        ]
    ).astype("float32")
    return frame, labels, codes


def _booster(frame, labels, *, depth: int, rounds: int, seed: int, onehot: int) -> xgb.Booster:
    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": depth,
        "learning_rate": 0.1,
        "subsample": 0.8,
        "colsample_bytree": 0.7,
        "max_cat_to_onehot": onehot,
        "seed": seed,
    }
    matrix = xgb.DMatrix(frame, label=labels, enable_categorical=True, missing=np.nan)
    return xgb.train(params, matrix, num_boost_round=rounds)


def _xgboost_contributions(booster: xgb.Booster, codes: np.ndarray) -> np.ndarray:
    matrix = xgb.DMatrix(
        codes,
        feature_names=booster.feature_names,
        feature_types=FEATURE_TYPES,
        enable_categorical=True,
        missing=np.nan,
    )
    return booster.predict(matrix, pred_contribs=True)


def _split_kinds(booster: xgb.Booster) -> set[str]:
    trees = json.loads(booster.save_raw(raw_format="json"))["learner"]["gradient_booster"]
    kinds = set()
    for tree in trees["model"]["trees"]:
        for node, left in enumerate(tree["left_children"]):
            if left == -1:
                continue
            categorical = tree["split_type"][node] == 1
            kinds.add("categorical" if categorical else "numeric")
            side = "left" if tree["default_left"][node] else "right"
            kinds.add(f"{'categorical' if categorical else 'numeric'} missing {side}")
    return kinds


@pytest.mark.parametrize(
    ("depth", "rounds", "onehot"), [(1, 60, 4), (2, 300, 1), (2, 200, 8), (3, 120, 1)]
)
def test_contributions_equal_xgboosts_treeshap(depth, rounds, onehot):
    frame, labels, codes = _data(seed=depth * 10 + onehot)
    booster = _booster(frame, labels, depth=depth, rounds=rounds, seed=depth, onehot=onehot)
    # The model must exercise every case the tables handle, or the comparison proves little.
    assert {"numeric missing left", "numeric missing right", "categorical"} <= _split_kinds(booster)
    table = table_treeshap(booster)
    assert table is not None
    reference = _xgboost_contributions(booster, codes)
    many = table.contributions(codes)  # one tree at a time
    few = table.contributions(codes[:WIDE_MAX_ROWS])  # all trees at once
    single = table.contributions(codes[7:8])
    assert len(codes) > WIDE_MAX_ROWS
    np.testing.assert_allclose(many, reference, atol=2e-5)
    np.testing.assert_allclose(few, reference[:WIDE_MAX_ROWS], atol=2e-5)
    np.testing.assert_allclose(single, reference[7:8], atol=2e-5)
    margins = booster.inplace_predict(frame, predict_type="margin")
    np.testing.assert_allclose(many.sum(axis=1), margins, atol=5e-5)


def test_values_exactly_on_a_threshold_go_where_xgboost_sends_them():
    frame, labels, codes = _data(seed=3)
    booster = _booster(frame, labels, depth=2, rounds=100, seed=3, onehot=4)
    model = json.loads(booster.save_raw(raw_format="json"))
    trees = model["learner"]["gradient_booster"]["model"]["trees"]
    on_threshold = codes[:400].copy()
    numeric = [j for j, kind in enumerate(FEATURE_TYPES) if kind == "float"]
    rng = np.random.default_rng(0)
    for row in on_threshold:
        tree = trees[rng.integers(len(trees))]
        for node, left in enumerate(tree["left_children"]):
            feature = tree["split_indices"][node]
            if left != -1 and feature in numeric:
                row[feature] = np.float32(tree["split_conditions"][node])
    table = table_treeshap(booster)
    for rows in (on_threshold, np.tile(on_threshold, (3, 1))):  # few rows, then many
        np.testing.assert_allclose(
            table.contributions(rows), _xgboost_contributions(booster, rows), atol=2e-5
        )


def test_unseen_category_codes_and_all_missing_rows_match_xgboost():
    frame, labels, codes = _data(seed=5)
    booster = _booster(frame, labels, depth=2, rounds=80, seed=5, onehot=1)
    odd = codes[:600].copy()
    odd[:200, 2] = 40.0  # a code beyond every split's set
    odd[200:400] = np.nan
    table = table_treeshap(booster)
    reference = _xgboost_contributions(booster, odd)
    np.testing.assert_allclose(table.contributions(odd), reference, atol=2e-5)
    np.testing.assert_allclose(table.contributions(odd[:300]), reference[:300], atol=2e-5)


def test_deeper_trees_fall_back_to_xgboosts_treeshap():
    frame, labels, _ = _data(seed=9, rows=1500)
    assert table_treeshap(_booster(frame, labels, depth=4, rounds=20, seed=9, onehot=4)) is None


def test_a_trained_model_scores_through_the_tables_with_xgboosts_drivers(trained_model):
    loaded = model_load(trained_model)
    assert loaded.has_table_shap
    table = customer_table(as_of=timezone.now())
    X, _ = loaded.encode(table.columns)
    X = np.vstack([X, np.full((2, X.shape[1]), np.nan, dtype=np.float32)])  # blank rows too
    ours = loaded.contributions(X)
    theirs = loaded.contributions(X, use_table=False)
    np.testing.assert_allclose(ours, theirs, atol=2e-5)
    ours_drivers = [[d["text"] for d in row] for row in loaded.drivers(X, ours)]
    their_drivers = [[d["text"] for d in row] for row in loaded.drivers(X, theirs)]
    assert ours_drivers == their_drivers
    assert sum(map(len, ours_drivers)) > len(X)
    predicted = loaded.predict(table.columns)
    np.testing.assert_allclose(predicted.probabilities, loaded.probabilities(X[:-2]), atol=1e-5)

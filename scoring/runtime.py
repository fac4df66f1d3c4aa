"""A trained model at prediction time: its artifact format, loading, predicting, drivers, and
the per-process cache of the active model.

The artifact is a zip of plain data — the booster in XGBoost's UBJSON format, the calibration
map and the feature spec as JSON — so loading one never runs code from the file.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import zipfile
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import xgboost as xgb
from django.conf import settings
from django.db import connection

from scoring.features import (
    DAY_COUNT_FEATURES,
    ApplyReport,
    spec_blank_texts,
    spec_encode,
    spec_feature_names,
    spec_feature_types,
    spec_lookback,
)
from scoring.training import calibrator_apply
from scoring.treeshap import TableTreeShap, table_treeshap

logger = logging.getLogger(__name__)

ARTIFACT_FORMAT = 1
MAX_DRIVERS = 5


class ModelUnavailable(Exception):
    """No model can be used: none is active, or its file is missing or corrupt."""


# --- Artifact ---------------------------------------------------------------------------


def artifact_pack(*, booster: xgb.Booster, calibrator: dict, spec: dict, meta: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.ubj", bytes(booster.save_raw(raw_format="ubj")))
        archive.writestr("calibrator.json", json.dumps(calibrator))
        archive.writestr("spec.json", json.dumps(spec))
        archive.writestr("meta.json", json.dumps({"format": ARTIFACT_FORMAT, **meta}))
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def artifact_unpack(data: bytes, *, expected_sha256: str | None = None) -> LoadedChurnModel:
    if expected_sha256 and sha256(data) != expected_sha256:
        raise ModelUnavailable("the model file does not match its checksum (corrupt or replaced)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            meta = json.loads(archive.read("meta.json"))
            if meta.get("format") != ARTIFACT_FORMAT:
                raise ModelUnavailable(f"unsupported model file format {meta.get('format')!r}")
            calibrator = json.loads(archive.read("calibrator.json"))
            spec = json.loads(archive.read("spec.json"))
            booster = xgb.Booster()
            booster.load_model(bytearray(archive.read("model.ubj")))
    except ModelUnavailable:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, xgb.core.XGBoostError) as exc:
        raise ModelUnavailable(f"the model file cannot be read ({exc.__class__.__name__})") from exc
    return LoadedChurnModel(
        booster=booster,
        calibrator=calibrator,
        spec=spec,
        model_id=meta.get("model_id"),
        version=meta.get("version"),
    )


# --- Predicting -------------------------------------------------------------------------


def risk_class(probability: float) -> str:
    if probability >= settings.CHURN_RISK_HIGH:
        return "high"
    if probability >= settings.CHURN_RISK_MEDIUM:
        return "medium"
    return "low"


@dataclass
class Predictions:
    probabilities: np.ndarray
    risk_classes: list[str]
    drivers: list[list[dict]]
    report: ApplyReport


@dataclass
class LoadedChurnModel:
    booster: xgb.Booster
    calibrator: dict
    spec: dict
    model_id: int | None = None
    version: int | None = None

    def __post_init__(self) -> None:
        self.booster.set_param({"nthread": 1})  # single rows: threads cost more than they save
        self._labels = [c["label"] for c in self.spec["columns"]]
        self._names = spec_feature_names(self.spec)
        self._types = spec_feature_types(self.spec)
        self._categories = [c.get("categories") for c in self.spec["columns"]]
        self._blank_texts = spec_blank_texts(self.spec)
        self._whole_days = [name in DAY_COUNT_FEATURES for name in self._names]
        self.lookback = spec_lookback(self.spec)

    def encode(self, raw: pd.DataFrame | dict) -> tuple[np.ndarray, ApplyReport]:
        return spec_encode(self.spec, raw)

    def probabilities(self, X) -> np.ndarray:
        """Calibrated probabilities for a matrix from ``encode`` (or a ``spec_apply`` frame)."""
        margins = self.booster.inplace_predict(X, predict_type="margin")
        return calibrator_apply(self.calibrator, margins)

    def predict(
        self, raw: pd.DataFrame | dict, *, with_drivers: bool = True, nthread: int | None = None
    ) -> Predictions:
        X, report = self.encode(raw)
        threads = nthread or 1
        if threads != 1:
            self.booster.set_param({"nthread": threads})
        try:
            if with_drivers:
                contributions = self.contributions(X, nthread=threads)
                margins = contributions.sum(axis=1)
                drivers = self.drivers(X, contributions)
            else:
                margins = self.booster.inplace_predict(X, predict_type="margin")
                drivers = [[] for _ in range(len(X))]
        finally:
            if threads != 1:
                self.booster.set_param({"nthread": 1})
        probabilities = calibrator_apply(self.calibrator, margins)
        return Predictions(
            probabilities=probabilities,
            risk_classes=[risk_class(p) for p in probabilities],
            drivers=drivers,
            report=report,
        )

    def contributions(
        self, X: np.ndarray, *, nthread: int = 1, use_table: bool = True
    ) -> np.ndarray:
        """Per-feature TreeSHAP contributions of each row, the bias last; they add up to
        the margin. ``use_table=False`` asks XGBoost's own TreeSHAP (benchmarks, tests)."""
        if use_table and self._table_shap is not None:
            return self._table_shap.contributions(X)
        matrix = xgb.DMatrix(
            X,
            feature_names=self._names,
            feature_types=self._types,
            enable_categorical=True,
            missing=np.nan,
            nthread=nthread,
        )
        return self.booster.predict(matrix, pred_contribs=True)

    @cached_property
    def _table_shap(self) -> TableTreeShap | None:
        # Built on the first drivers asked for, not at load: training's holdout check loads
        # a candidate only for its probabilities. None for deeper trees (XGBoost's TreeSHAP).
        return table_treeshap(self.booster)

    @property
    def has_table_shap(self) -> bool:
        return self._table_shap is not None

    def drivers(self, X: np.ndarray, contributions: np.ndarray) -> list[list[dict]]:
        """The strongest per-feature contributions of each row, as readable sentences."""
        values = contributions[:, :-1]
        k = min(MAX_DRIVERS, values.shape[1])
        # argpartition then a sort of the k kept: cheaper than sorting every column.
        magnitude = np.abs(values)
        if values.shape[1] > k:
            top = np.argpartition(-magnitude, k - 1, axis=1)[:, :k]
        else:
            top = np.tile(np.arange(values.shape[1]), (len(values), 1))
        order = np.argsort(-np.take_along_axis(magnitude, top, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        result = []
        for row, indices in enumerate(top.tolist()):
            row_drivers = []
            for j in indices:
                contribution = float(values[row, j])
                if abs(contribution) < 1e-6:
                    continue
                shown = self._display(j, X[row, j])
                direction = "raises" if contribution > 0 else "lowers"
                row_drivers.append(
                    {
                        "feature": self._names[j],
                        "label": self._labels[j],
                        "value": shown,
                        "contribution": round(contribution, 4),
                        "direction": direction,
                        "text": f"{self._labels[j]} = {shown} {direction} risk",
                    }
                )
            result.append(row_drivers)
        return result

    def _display(self, j: int, value: float) -> str:
        # The encoded matrix is float32, whose NaN is no Python float.
        if np.isnan(value):
            return self._blank_texts[j]
        categories = self._categories[j]
        if categories is not None:
            return str(categories[int(value)])
        number = float(value)
        if self._whole_days[j]:
            return str(round(number))
        return str(int(number)) if number.is_integer() else f"{number:.2f}"


# --- The active model, once per process -------------------------------------------------

_lock = threading.Lock()
_ACTIVE_SQL = "SELECT id, artifact_sha256 FROM scoring_churnmodel WHERE status = %s LIMIT 1"
_cached: dict = {"key": None, "model": None}


def active_model() -> LoadedChurnModel:
    """The active model, loaded on first use and again only when another version (or a new
    file) becomes active: each call costs one indexed query for the active row's id."""
    from scoring.models import ChurnModel

    # Plain SQL: this runs on every single-customer score, and the ORM's query building
    # cost more than the query.
    with connection.cursor() as cursor:
        cursor.execute(_ACTIVE_SQL, [ChurnModel.Status.ACTIVE])
        row = cursor.fetchone()
    row = tuple(row) if row else None
    if row is None:
        raise ModelUnavailable("No churn model is active yet: train one on the Churn models page.")
    if _cached["key"] == row and _cached["model"] is not None:
        return _cached["model"]
    with _lock:
        if _cached["key"] != row or _cached["model"] is None:
            model = ChurnModel.objects.get(pk=row[0])
            loaded = model_load(model)
            _cached.update(key=row, model=loaded)
        return _cached["model"]


def model_load(model) -> LoadedChurnModel:
    """Read and check one ``ChurnModel``'s artifact; ``ModelUnavailable`` says what is wrong."""
    try:
        with model.artifact.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise ModelUnavailable(
            f"The file of churn model v{model.version} is missing ({model.artifact.name})."
        ) from exc
    try:
        loaded = artifact_unpack(data, expected_sha256=model.artifact_sha256)
    except ModelUnavailable as exc:
        raise ModelUnavailable(
            f"The file of churn model v{model.version} is unusable: {exc}."
        ) from exc
    loaded.model_id, loaded.version = model.pk, model.version
    return loaded


def active_model_forget() -> None:
    with _lock:
        _cached.update(key=None, model=None)

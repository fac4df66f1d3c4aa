"""``POST /api/predict/churn``: the original ``/predict``, on the active churn model.

The body has the original Telco CLI's fields (the ``predict_churn`` command's flags), each
mapped to the customer field or attribute the Telco import fills, so a prediction goes
through exactly the feature code a stored customer does.
"""

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError, ValidationError
from pydantic import ConfigDict

from campaigns.services import offer_for_prediction
from growthai.api import BODY_ERRORS, ErrorOut, requires
from growthai.roles import ALL_ROLES
from scoring import services
from scoring.features import ATTRIBUTE_PREFIX
from scoring.runtime import ModelUnavailable, active_model
from scoring.telco import (
    TELCO_FLAGS,
    TELCO_MARKERS,
    allowed_values,
)

router = Router()


class PredictChurnIn(Schema):
    model_config = ConfigDict(extra="forbid")

    gender: str = Field(max_length=64, examples=["Female"])
    senior_citizen: Literal[0, 1]
    partner: str = Field(max_length=64, examples=["Yes"])
    dependents: str = Field(max_length=64, examples=["No"])
    tenure: int = Field(ge=0, le=1200, description="months", examples=[12])
    phone_service: str = Field(max_length=64, examples=["Yes"])
    multiple_lines: str = Field(max_length=64, examples=["Yes"])
    internet_service: str = Field(max_length=64, examples=["Fiber optic"])
    online_security: str = Field(max_length=64, examples=["No"])
    online_backup: str = Field(max_length=64, examples=["Yes"])
    device_protection: str = Field(max_length=64, examples=["No"])
    tech_support: str = Field(max_length=64, examples=["No"])
    streaming_tv: str = Field(max_length=64, examples=["Yes"])
    streaming_movies: str = Field(max_length=64, examples=["No"])
    contract: str = Field(max_length=64, examples=["Month-to-month"])
    paperless_billing: str = Field(max_length=64, examples=["Yes"])
    payment_method: str = Field(max_length=64, examples=["Electronic check"])
    monthly_charges: float = Field(ge=0, allow_inf_nan=False, examples=[89.9])
    total_charges: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="default: monthly_charges * tenure"
    )
    include_offer: bool = Field(False, description="also return a personalised offer")
    name: str | None = Field(None, max_length=200, description="personalises the offer")


class PredictChurnOut(Schema):
    probability: float
    risk_class: str
    model_version: int | None
    drivers: list[dict]
    warnings: list[str]
    offer: dict | None = None


def _telco_record(payload: PredictChurnIn, columns: dict) -> dict:
    """The CLI's validation and mapping: allowed values come from the model when it has them."""
    values = payload.dict(exclude={"include_offer", "name"})
    errors = []
    for flag, (target, kind, fallback) in TELCO_FLAGS.items():
        if kind != "choice":
            continue
        allowed = allowed_values(columns.get(target), fallback)
        by_lower = {value.lower(): value for value in allowed}
        text = " ".join(str(values[flag]).split())
        if text.lower() not in by_lower:
            errors.append(
                {
                    "loc": ["body", "payload", flag],
                    "msg": f"{text!r} is not an allowed value; use one of: {', '.join(allowed)}",
                    "type": "value_error",
                }
            )
        else:
            values[flag] = by_lower[text.lower()]
    if errors:
        raise ValidationError(errors)
    if values["total_charges"] is None:
        values["total_charges"] = round(values["monthly_charges"] * values["tenure"], 2)
    record = {"external_id": "api", "attributes": {}}
    for flag, value in values.items():
        target = TELCO_FLAGS[flag][0]
        if target.startswith(ATTRIBUTE_PREFIX):
            record["attributes"][target[len(ATTRIBUTE_PREFIX) :]] = value
        else:
            record[target] = value
    return record


@router.post(
    "/predict/churn",
    response={200: PredictChurnOut, 409: ErrorOut, 503: ErrorOut, **BODY_ERRORS},
    auth=requires(*ALL_ROLES),
)
def predict_churn(request: HttpRequest, payload: PredictChurnIn):
    """Churn probability, risk class and drivers for the given customer attributes (nothing
    is stored). Invalid values and unknown fields answer 422; ``include_offer: true`` adds
    the personalised retention offer. 503 when no churn model is active; 409 when the
    active one was not trained on Telco-style data. Roles: all."""
    try:
        model = active_model()
    except ModelUnavailable as exc:
        raise HttpError(503, f"No churn model is available: {exc}") from exc
    columns = {c["name"]: c for c in model.spec["columns"]}
    if not TELCO_MARKERS & (set(columns) | set(model.spec.get("dropped", {}))):
        raise HttpError(
            409,
            f"The active churn model (v{model.version}) was not trained on Telco-style data, "
            "so these fields do not apply to it.",
        )
    record = _telco_record(payload, columns)
    try:
        result = services.record_score(record=record)
    except services.ScoringError as exc:
        raise HttpError(503, str(exc)) from exc
    offer = None
    if payload.include_offer:
        profile = {**record, "name": payload.name or "", "plan": ""}
        offer = offer_for_prediction(
            probability=result.probability,
            risk_class=result.risk_class,
            drivers=result.drivers,
            profile=profile,
        )
    return {
        "probability": round(result.probability, 6),
        "risk_class": result.risk_class,
        "model_version": result.model_version,
        "drivers": result.drivers,
        "warnings": result.unknown_values,
        "offer": offer,
    }

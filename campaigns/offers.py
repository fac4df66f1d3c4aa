"""The retention offer matched to a churn prediction (the original ``POST /predict`` answer).

Rules, not a model: an offer is a commercial promise, so it must be predictable and
explainable to the reviewer. The email writer (Gemini or the template) then words it for
the customer.
"""

from __future__ import annotations

from collections.abc import Iterable

THEMES = (
    # (theme, words in a driver's feature/label/text that point at it)
    ("contract", ("contract", "month-to-month", "month_to_month", "commitment", "annual")),
    ("price", ("charge", "price", "spend", "bill", "cost", "fee", "payment")),
    ("support", ("support", "ticket", "complaint", "tech", "help")),
    ("returns", ("return", "refund")),
    ("inactivity", ("recency", "inactive", "last_", "days_since", "activity", "engagement")),
    ("new", ("tenure", "signup", "new customer")),
)

OFFERS = {
    # (risk, theme) -> (kind, headline, details, discount percent, months)
    ("high", "contract"): (
        "plan_switch",
        "Two months free when you switch to an annual plan",
        "Move to a 12-month plan and the first two months are on us; you can keep every "
        "service you have today.",
        0,
        2,
    ),
    ("high", "price"): (
        "discount",
        "25% off your next 3 months",
        "A 25% discount on your monthly bill for the next three months.",
        25,
        3,
    ),
    ("high", "support"): (
        "service",
        "A free priority-support session and 20% off next month",
        "A dedicated specialist reviews your setup with you, and next month's bill is 20% lower.",
        20,
        1,
    ),
    ("high", None): (
        "discount",
        "20% off your next 3 months",
        "A 20% discount on your monthly bill for the next three months.",
        20,
        3,
    ),
    ("medium", "contract"): (
        "plan_switch",
        "One month free when you switch to an annual plan",
        "Move to a 12-month plan and the first month is on us.",
        0,
        1,
    ),
    ("medium", "support"): (
        "service",
        "A free check-in with our support team",
        "A specialist calls at a time that suits you to make sure everything works as it should.",
        0,
        0,
    ),
    ("medium", None): (
        "discount",
        "10% off your next 2 months",
        "A 10% discount on your monthly bill for the next two months.",
        10,
        2,
    ),
    ("low", None): (
        "loyalty",
        "A thank-you reward for staying with us",
        "A loyalty credit on your next bill, as thanks for being a customer.",
        5,
        1,
    ),
    ("former", None): (
        "winback",
        "30% off your first 3 months back with us",
        "Rejoin and your monthly bill is 30% lower for the first three months.",
        30,
        3,
    ),
    ("unknown", None): (
        "discount",
        "10% off your next month",
        "A 10% discount on your next monthly bill.",
        10,
        1,
    ),
}


def _risk_from(probability: float | None, risk_class: str | None) -> str:
    if risk_class in ("low", "medium", "high"):
        return risk_class
    if probability is None:
        return "unknown"
    from django.conf import settings

    if probability >= getattr(settings, "CHURN_RISK_HIGH", 0.6):
        return "high"
    if probability >= getattr(settings, "CHURN_RISK_MEDIUM", 0.3):
        return "medium"
    return "low"


def _driver_text(driver) -> str:
    if isinstance(driver, dict):
        return " ".join(
            str(driver.get(key, "")) for key in ("feature", "label", "text", "value")
        ).lower()
    return str(driver).lower()


def _raises_risk(driver) -> bool:
    if isinstance(driver, dict):
        direction = str(driver.get("direction", "")).lower()
        if direction:
            return direction in ("raises", "up", "increases", "+")
        contribution = driver.get("contribution")
        if isinstance(contribution, int | float):
            return contribution > 0
    return True


def driver_themes(drivers: Iterable) -> list[str]:
    """Themes of the drivers that raise the risk, strongest driver first, no repeats."""
    themes: list[str] = []
    for driver in drivers or []:
        if not _raises_risk(driver):
            continue
        text = _driver_text(driver)
        for theme, words in THEMES:
            if theme not in themes and any(word in text for word in words):
                themes.append(theme)
                break
    return themes


def offer_for(
    *,
    probability: float | None,
    risk_class: str | None,
    drivers: Iterable | None,
    profile: dict | None = None,
) -> dict:
    risk = _risk_from(probability, risk_class)
    themes = driver_themes(drivers or [])
    plan = (profile or {}).get("plan") or ""
    if (profile or {}).get("former_customer"):
        # A churn risk no longer applies to someone who has already left: invite them back.
        kind, headline, details, percent, months = OFFERS[("former", None)]
        rationale = "Already churned: a win-back offer to welcome them back."
    else:
        chosen_theme = next((t for t in themes if (risk, t) in OFFERS), None)
        kind, headline, details, percent, months = OFFERS[(risk, chosen_theme)]
        if chosen_theme:
            rationale = f"{risk.capitalize()} churn risk, driven mostly by {chosen_theme}."
        elif risk == "unknown":
            rationale = "No churn score yet: a modest general offer."
        else:
            rationale = (
                f"{risk.capitalize()} churn risk with no driver that calls for a special offer."
            )
    if kind == "plan_switch" and "annual" in str(plan).lower():
        # Already on an annual plan: a switch offer would make no sense to them.
        kind, headline, details, percent, months = OFFERS[
            (risk if risk != "low" else "medium", None)
        ]
        rationale += " Already on an annual plan, so a discount instead of a plan switch."
    return {
        "kind": kind,
        "headline": headline,
        "details": details,
        "discount_percent": percent,
        "duration_months": months,
        "risk_class": risk,
        "probability": probability,
        "themes": themes,
        "rationale": rationale,
        "source": "rules",
    }

"""Synthetic customers with a learnable churn signal, written in bulk for fast tests."""

import datetime as dt
from decimal import Decimal

import numpy as np
from django.utils import timezone

from customers.models import Customer, Interaction, Segment

CONTRACTS = ["Month-to-month", "One year", "Two year"]
PAYMENTS = [
    "Electronic check",
    "Mailed check",
    "Bank transfer (automatic)",
    "Credit card (automatic)",
]
INTERNET = ["DSL", "Fiber optic", "No"]
YES_NO = ["Yes", "No"]


def telco_like_attributes(rng: np.random.Generator, tenure: int, monthly: float) -> dict:
    """The columns of the Telco CSV that the import keeps as attributes."""
    total = round(monthly * tenure, 2) if tenure else None  # Telco's blank TotalCharges
    return {
        "gender": str(rng.choice(["Female", "Male"])),
        "SeniorCitizen": int(rng.random() < 0.16),
        "Partner": str(rng.choice(YES_NO)),
        "Dependents": str(rng.choice(YES_NO)),
        "PhoneService": str(rng.choice(YES_NO, p=[0.9, 0.1])),
        "MultipleLines": str(rng.choice(["Yes", "No", "No phone service"])),
        "InternetService": str(rng.choice(INTERNET)),
        "OnlineSecurity": str(rng.choice(["Yes", "No", "No internet service"])),
        "OnlineBackup": str(rng.choice(["Yes", "No", "No internet service"])),
        "DeviceProtection": str(rng.choice(["Yes", "No", "No internet service"])),
        "TechSupport": str(rng.choice(["Yes", "No", "No internet service"])),
        "StreamingTV": str(rng.choice(["Yes", "No", "No internet service"])),
        "StreamingMovies": str(rng.choice(["Yes", "No", "No internet service"])),
        "Contract": str(rng.choice(CONTRACTS, p=[0.55, 0.21, 0.24])),
        "PaperlessBilling": str(rng.choice(YES_NO)),
        "PaymentMethod": str(rng.choice(PAYMENTS)),
        "TotalCharges": total,
    }


def make_customers(
    n: int = 300,
    *,
    seed: int = 7,
    prefix: str = "S",
    unknown_share: float = 0.0,
    interactions: bool = False,
    signal: float = 1.0,
) -> list[Customer]:
    """``n`` customers whose churn depends on contract, tenure and spend (and, with
    ``interactions``, on recent activity); ``unknown_share`` of them have churned=None."""
    rng = np.random.default_rng(seed)
    segment, _ = Segment.objects.get_or_create(name="Consumer")
    customers = []
    for i in range(n):
        tenure = int(rng.integers(0, 72))
        monthly = float(np.round(rng.uniform(18, 118), 2))
        attributes = telco_like_attributes(rng, tenure, monthly)
        attributes["account_id"] = 100_000 + i  # identifier-like: must be left out
        attributes["note"] = f"free text {i} {rng.integers(1e9)}"  # near-unique text
        logit = (
            -1.2
            + 2.2 * (attributes["Contract"] == "Month-to-month")
            - 0.04 * tenure
            + 0.015 * (monthly - 65)
            + 0.8 * (attributes["InternetService"] == "Fiber optic")
        ) * signal
        churned = bool(rng.random() < 1 / (1 + np.exp(-logit)))
        label = None if rng.random() < unknown_share else churned
        customers.append(
            Customer(
                external_id=f"{prefix}{i:05d}",
                name=f"Customer {i}",
                segment=segment,
                country=str(rng.choice(["United Kingdom", "France", "Germany"])),
                plan=str(rng.choice(["Basic", "Plus"])),
                signup_date=dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1500))),
                tenure_months=tenure,
                monthly_spend=Decimal(str(monthly)),
                attributes=attributes,
                churned=label,
                # Like the Telco CSV: a label without a churn date (see label_as_of).
                churned_at=None,
            )
        )
    created = Customer.objects.bulk_create(customers)
    if interactions:
        now = timezone.now()
        rows = []
        for customer in created:
            churny = customer.churned is True
            count = int(rng.integers(0, 4) if churny else rng.integers(3, 12))
            for _ in range(count):
                days = float(rng.uniform(40, 200) if churny else rng.uniform(1, 120))
                rows.append(
                    Interaction(
                        customer=customer,
                        kind=str(rng.choice(["view", "purchase", "email_open", "email_click"])),
                        value=Decimal("12.50"),
                        occurred_at=now - dt.timedelta(days=days),
                    )
                )
        Interaction.objects.bulk_create(rows)
    return created

"""The original churn CLI's Telco fields, shared by ``predict_churn`` and the JSON API.

Each field maps to the customer field or attribute the Telco import fills, so a customer
described by these fields goes through exactly the feature code a stored customer does.
"""

from scoring.features import OTHER

# flag -> (where the Telco import puts it, kind, allowed values when the model has none)
YES_NO = ["No", "Yes"]
INTERNET_EXTRAS = ["No", "No internet service", "Yes"]
TELCO_FLAGS: dict[str, tuple[str, str, list[str] | None]] = {
    "gender": ("a:gender", "choice", ["Female", "Male"]),
    "senior_citizen": ("a:SeniorCitizen", "flag01", ["0", "1"]),
    "partner": ("a:Partner", "choice", YES_NO),
    "dependents": ("a:Dependents", "choice", YES_NO),
    "tenure": ("tenure_months", "count", None),
    "phone_service": ("a:PhoneService", "choice", YES_NO),
    "multiple_lines": ("a:MultipleLines", "choice", ["No", "No phone service", "Yes"]),
    "internet_service": ("a:InternetService", "choice", ["DSL", "Fiber optic", "No"]),
    "online_security": ("a:OnlineSecurity", "choice", INTERNET_EXTRAS),
    "online_backup": ("a:OnlineBackup", "choice", INTERNET_EXTRAS),
    "device_protection": ("a:DeviceProtection", "choice", INTERNET_EXTRAS),
    "tech_support": ("a:TechSupport", "choice", INTERNET_EXTRAS),
    "streaming_tv": ("a:StreamingTV", "choice", INTERNET_EXTRAS),
    "streaming_movies": ("a:StreamingMovies", "choice", INTERNET_EXTRAS),
    "contract": ("a:Contract", "choice", ["Month-to-month", "One year", "Two year"]),
    "paperless_billing": ("a:PaperlessBilling", "choice", YES_NO),
    "payment_method": (
        "a:PaymentMethod",
        "choice",
        [
            "Bank transfer (automatic)",
            "Credit card (automatic)",
            "Electronic check",
            "Mailed check",
        ],
    ),
    "monthly_charges": ("monthly_spend", "amount", None),
    "total_charges": ("a:TotalCharges", "amount", None),
}
OPTIONAL_FLAGS = {"total_charges"}
TELCO_MARKERS = {"a:Contract", "a:PaymentMethod", "a:InternetService", "a:TechSupport"}


def allowed_values(column: dict | None, fallback: list[str] | None) -> list[str]:
    """The values a field accepts: the categories the model saw, else the published ones."""
    if column is None or column.get("kind") != "categorical":
        return list(fallback or [])
    values = [v for v in column.get("categories", []) if v != OTHER]
    return sorted({*values, *column.get("rare", [])})

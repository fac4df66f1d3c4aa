from django import template

from scoring import selectors

register = template.Library()

RUN_BADGES = {
    "queued": "badge-muted",
    "running": "",
    "succeeded": "badge-success",
    "failed": "badge-danger",
}
MODEL_BADGES = {"active": "badge-success", "candidate": "", "retired": "badge-muted"}
RISK_BADGES = {"high": "badge-danger", "medium": "badge-warning", "low": "badge-success"}


@register.filter
def run_badge(status: str) -> str:
    return RUN_BADGES.get(status, "badge-muted")


@register.filter
def model_badge(status: str) -> str:
    return MODEL_BADGES.get(status, "badge-muted")


@register.filter
def risk_badge(risk: str) -> str:
    return RISK_BADGES.get(risk, "badge-muted")


@register.filter
def percent(probability) -> str:
    if probability is None:
        return "—"
    return f"{float(probability) * 100:.0f}%"


@register.inclusion_tag("scoring/_customer_churn_panel.html")
def churn_panel(customer):
    """``{% churn_panel customer %}``: the churn panel for the customer detail page, which
    fetches its own data so the page's view needs no change."""
    return selectors.customer_churn_panel(customer=customer)

"""``{% load campaigns %}`` — the retention panel for the customer page, and draft badges."""

from django import template

from campaigns import selectors
from growthai.roles import Role, user_has_role

register = template.Library()

STATUS_BADGES = {
    "queued": "badge-muted",
    "drafting": "badge-muted",
    "pending_review": "badge-warning",
    "approved": "badge-success",
    "sending": "badge",
    "sent": "badge-success",
    "rejected": "badge-danger",
    "failed": "badge-danger",
    "skipped": "badge-muted",
}


@register.filter
def draft_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "badge-muted")


@register.filter
def percent(value) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return "—"


@register.inclusion_tag("campaigns/_retention_panel.html", takes_context=True)
def retention_panel(context, customer):
    """The customer page's "Draft a retention email" / "Prediction and offer" panel."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        **selectors.customer_retention_panel(customer=customer),
        "can_edit": bool(user) and user_has_role(user, Role.MARKETER, Role.ADMIN),
        "csrf_token": context.get("csrf_token"),
    }

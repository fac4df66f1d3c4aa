"""The snapshot a draft is written from: profile, churn score and drivers, recommended
items, offer, campaign guidelines. Stored on the draft, so the review shows exactly what the
writer saw even after the customer is re-scored."""

from __future__ import annotations

from decimal import Decimal
from email.utils import parseaddr

from django.conf import settings

from campaigns import integrations
from campaigns.models import Campaign
from campaigns.offers import offer_for
from customers.models import Customer

MAX_ATTRIBUTES = 20
MAX_ATTRIBUTE_CHARS = 200


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return value[:MAX_ATTRIBUTE_CHARS]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)[:MAX_ATTRIBUTE_CHARS]


def customer_profile(customer: Customer) -> dict:
    name = (customer.name or "").strip()
    attributes = {
        str(key)[:60]: _plain(value)
        for key, value in list((customer.attributes or {}).items())[:MAX_ATTRIBUTES]
    }
    return {
        "id": customer.pk,
        "external_id": customer.external_id,
        "name": name,
        "first_name": name.split()[0] if name else "",
        "email": customer.email,
        "segment": customer.segment.name if customer.segment_id else "",
        "country": customer.country,
        "plan": customer.plan,
        "tenure_months": customer.tenure_months,
        "monthly_spend": _plain(customer.monthly_spend),
        "attributes": attributes,
        # Drafts for customers who have already left are worded as win-back emails.
        "former_customer": bool(customer.churned),
    }


def campaign_offer(campaign: Campaign) -> dict | None:
    text = (campaign.offer or "").strip()
    if not text:
        return None
    headline, _, details = text.partition("\n")
    return {
        "kind": "campaign",
        "headline": headline.strip()[:200],
        "details": details.strip()[:500],
        "source": "campaign",
        "rationale": "The offer set on the campaign.",
    }


def draft_context(
    *, campaign: Campaign, customer: Customer, churn: dict | None = None, live: bool = False
) -> dict:
    """Everything a provider needs for one customer. ``churn``: a score already looked up
    (bulk), else the latest stored one; ``live`` also scores in-process when never scored."""
    if churn is None:
        churn = integrations.latest_scores(customer_ids=[customer.pk]).get(customer.pk)
    if churn is None and live:
        churn = integrations.live_score(customer=customer)
    profile = customer_profile(customer)
    per_kind = settings.DRAFT_RECOMMENDATIONS_PER_KIND
    recommendations = {
        "products": integrations.recommended_items(
            customer_id=customer.pk, kind="product", n=per_kind
        ),
        "content": integrations.recommended_items(
            customer_id=customer.pk, kind="content", n=per_kind
        ),
    }
    offer = campaign_offer(campaign) or offer_for(
        probability=churn["probability"] if churn else None,
        risk_class=churn["risk_class"] if churn else None,
        drivers=churn["drivers"] if churn else [],
        profile=profile,
    )
    return {
        "customer": profile,
        "churn": churn,
        "recommendations": recommendations,
        "offer": offer,
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "goal": campaign.goal,
            "brand_voice": campaign.brand_voice,
            "sender_name": parseaddr(settings.DEFAULT_FROM_EMAIL)[0],
        },
    }

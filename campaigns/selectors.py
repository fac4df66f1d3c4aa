"""Reads of the campaigns app: targeting, campaign pages, the review queue, one draft."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, Q, QuerySet

from campaigns import integrations
from campaigns.context import customer_profile
from campaigns.models import Campaign, DraftEvent, EmailDraft
from customers.models import Customer
from customers.selectors import current_customers_q

Status = EmailDraft.Status


def campaign_recipients(
    *,
    campaign: Campaign | None = None,
    segment_ids: Iterable[int] | None = None,
    risk_class: str = "",
    min_probability: float | None = None,
    max_recipients: int | None = None,
) -> QuerySet[Customer]:
    """Customers a campaign (or the given target) reaches, riskiest first, annotated with
    ``churn_probability`` and ``churn_risk``. Opted-out customers, customers without an
    address and customers who have already churned are never among them."""
    if campaign is not None:
        segment_ids = list(campaign.segments.values_list("pk", flat=True))
        risk_class = campaign.risk_class
        min_probability = campaign.min_probability
        max_recipients = campaign.max_recipients
    queryset = _targeted(
        Customer.objects.filter(current_customers_q(), email_opt_out=False).exclude(email=""),
        segment_ids=segment_ids,
        risk_class=risk_class,
        min_probability=min_probability,
    )
    queryset = queryset.order_by(F("churn_probability").desc(nulls_last=True), "pk")
    if max_recipients:
        pks = list(queryset.values_list("pk", flat=True)[:max_recipients])
        queryset = queryset.filter(pk__in=pks)
    return queryset


def recipient_summary(
    *,
    segment_ids: Iterable[int] | None = None,
    risk_class: str = "",
    min_probability: float | None = None,
    max_recipients: int | None = None,
) -> dict:
    """How many customers a target reaches, how many it leaves out for opting out (or
    having no address), and how many because they have already churned."""
    segment_ids = list(segment_ids or [])
    target = {
        "segment_ids": segment_ids,
        "risk_class": risk_class,
        "min_probability": min_probability,
    }
    matching = campaign_recipients(**target)
    count = matching.count()
    excluded = _targeted(
        Customer.objects.filter(current_customers_q() & (Q(email_opt_out=True) | Q(email=""))),
        **target,
    )
    churned = _targeted(Customer.objects.filter(churned=True), **target)
    return {
        "matching": count,
        "recipients": min(count, max_recipients) if max_recipients else count,
        "capped": bool(max_recipients and count > max_recipients),
        "excluded": excluded.count(),
        "churned": churned.count(),
        "sample": list(matching[:10]),
    }


def _targeted(
    queryset: QuerySet[Customer],
    *,
    segment_ids: Iterable[int] | None,
    risk_class: str,
    min_probability: float | None,
) -> QuerySet[Customer]:
    segment_ids = list(segment_ids or [])
    if segment_ids:
        queryset = queryset.filter(segment_id__in=segment_ids)
    queryset = integrations.with_churn_risk(queryset)
    if risk_class:
        queryset = queryset.filter(churn_risk=risk_class)
    if min_probability is not None:
        queryset = queryset.filter(churn_probability__gte=min_probability)
    return queryset


def campaign_list(*, kind: str = Campaign.Kind.TARGETED) -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(kind=kind)
        .select_related("created_by")
        .annotate(
            n_drafts=Count("drafts"),
            n_pending=Count("drafts", filter=Q(drafts__status=Status.PENDING_REVIEW)),
            n_sent=Count("drafts", filter=Q(drafts__status=Status.SENT)),
        )
        .order_by("-created_at", "-pk")
    )


def campaign_get(*, pk: int) -> Campaign:
    return Campaign.objects.select_related("created_by").get(pk=pk)


def campaign_status_counts(*, campaign: Campaign) -> dict:
    """Drafts per status, plus ``total``, ``in_flight`` (a worker still has work) and
    ``live`` (the page should keep polling)."""
    counts = dict.fromkeys(Status.values, 0)
    for row in (
        EmailDraft.objects.filter(campaign=campaign).values("status").annotate(n=Count("pk"))
    ):
        counts[row["status"]] = row["n"]
    in_flight = sum(counts[s] for s in EmailDraft.IN_FLIGHT)
    total = sum(counts.values())
    rows = [{"status": s, "label": label, "count": counts[s]} for s, label in Status.choices]
    return {
        "by_status": counts,
        "rows": rows,
        "total": total,
        "in_flight": in_flight,
        "done_share": round(100 * (total - in_flight) / total) if total else 0,
        "live": in_flight > 0,
    }


def campaign_drafts(*, campaign: Campaign, status: str = "") -> QuerySet[EmailDraft]:
    queryset = EmailDraft.objects.filter(campaign=campaign).select_related("customer")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by(F("churn_probability").desc(nulls_last=True), "pk")


def review_queue(*, campaign_id: int | None = None, risk_class: str = "") -> QuerySet[EmailDraft]:
    """Drafts waiting for a reviewer, riskiest customer first."""
    queryset = EmailDraft.objects.filter(status=Status.PENDING_REVIEW).select_related(
        "customer", "campaign"
    )
    if campaign_id:
        queryset = queryset.filter(campaign_id=campaign_id)
    if risk_class:
        queryset = queryset.filter(risk_class=risk_class)
    return queryset.order_by(F("churn_probability").desc(nulls_last=True), "pk")


def review_campaign_choices() -> list[tuple[int, str]]:
    """Campaigns that have drafts waiting for review, for the queue's filter."""
    return list(
        Campaign.objects.filter(drafts__status=Status.PENDING_REVIEW)
        .distinct()
        .order_by("-created_at")
        .values_list("pk", "name")
    )


def draft_get(*, pk: int) -> EmailDraft:
    return EmailDraft.objects.select_related(
        "campaign", "customer", "customer__segment", "reviewed_by"
    ).get(pk=pk)


def draft_events(*, draft: EmailDraft) -> list[DraftEvent]:
    return list(DraftEvent.objects.filter(draft=draft).select_related("actor").order_by("at", "pk"))


def draft_neighbours(*, draft: EmailDraft) -> dict:
    """The next pending draft in the queue after this one, for keyboard-quick review."""
    next_draft = review_queue().exclude(pk=draft.pk).values_list("pk", flat=True).first()
    return {"next_pending_id": next_draft}


def customer_prediction_with_offer(*, customer: Customer) -> dict:
    """A churn prediction with its personalised offer (the original ``POST /predict``).

    The latest stored score; if the customer was never scored, a live score from the active
    model (nothing stored); with no model at all, the offer for an unknown risk.
    """
    from campaigns.services import offer_for_prediction

    churn = integrations.latest_scores(customer_ids=[customer.pk]).get(customer.pk)
    if churn is None:
        churn = integrations.live_score(customer=customer)
    profile = customer_profile(customer)
    offer = offer_for_prediction(
        probability=churn["probability"] if churn else None,
        risk_class=churn["risk_class"] if churn else None,
        drivers=churn["drivers"] if churn else [],
        profile=profile,
    )
    return {"customer": customer, "churn": churn, "offer": offer}


def customer_retention_panel(*, customer: Customer) -> dict:
    """What the customer page's retention panel shows: the open draft, the recent ones."""
    drafts = list(
        EmailDraft.objects.filter(customer=customer)
        .select_related("campaign")
        .order_by("-created_at", "-pk")[:5]
    )
    open_draft = next((d for d in drafts if d.status not in EmailDraft.FINAL), None)
    return {"retention_customer": customer, "retention_drafts": drafts, "open_draft": open_draft}


__all__ = [
    "campaign_drafts",
    "campaign_get",
    "campaign_list",
    "campaign_recipients",
    "campaign_status_counts",
    "customer_prediction_with_offer",
    "customer_retention_panel",
    "draft_events",
    "draft_get",
    "draft_neighbours",
    "recipient_summary",
    "review_campaign_choices",
    "review_queue",
]

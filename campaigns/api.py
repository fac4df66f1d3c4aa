"""``POST /api/campaigns/generate`` (queue retention drafts) and ``GET /api/drafts/{id}``."""

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict, model_validator

from campaigns import services
from campaigns.models import Campaign, EmailDraft
from customers.models import Customer
from growthai.api import AUTH_ERRORS, BODY_ERRORS, MAX_ID, ErrorOut, field_error, requires
from growthai.roles import ALL_ROLES, Role

router = Router()

MAX_CUSTOMERS = 100


class GenerateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customer_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, min_length=1, max_length=MAX_CUSTOMERS, description="customer primary keys"
    )
    campaign_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="alone: start drafting the campaign for its whole target; with "
        "customer_ids: draft those customers into it",
    )

    @model_validator(mode="after")
    def _one_target(self):
        if self.customer_ids is None and self.campaign_id is None:
            raise ValueError("Give customer_ids, campaign_id or both.")
        return self


class SkippedOut(Schema):
    customer_id: int
    reason: str


class GenerateOut(Schema):
    draft_ids: list[int]
    skipped: list[SkippedOut]


class DraftOut(Schema):
    id: int
    status: str
    campaign_id: int
    customer_id: int
    subject: str
    body: str
    offer: str
    churn_probability: float | None
    risk_class: str
    error: str
    rejection_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime
    sent_at: dt.datetime | None


@router.post(
    "/campaigns/generate",
    response={202: GenerateOut, 404: ErrorOut, 409: ErrorOut, **BODY_ERRORS},
    auth=requires(Role.MARKETER, Role.ADMIN),
)
def campaigns_generate(request: HttpRequest, payload: GenerateIn):
    """Queue retention drafts: for ``customer_ids`` (each into its own single-customer
    campaign, or into ``campaign_id``), or for a whole campaign's target. Answers 202 with
    the draft ids; follow each with ``GET /api/drafts/{id}``. Customers who opted out or
    have no address are listed in ``skipped``. Roles: Marketer, Admin."""
    if (
        payload.campaign_id is not None
        and not Campaign.objects.filter(pk=payload.campaign_id).exists()
    ):
        raise HttpError(404, f"No campaign {payload.campaign_id}.")
    if payload.customer_ids is None:
        try:
            services.campaign_start_drafting(campaign_id=payload.campaign_id, user=request.auth)
        except services.CampaignActionError as exc:
            raise HttpError(409, str(exc)) from exc
        ids = EmailDraft.objects.filter(campaign_id=payload.campaign_id).order_by("pk")
        return Status(202, {"draft_ids": list(ids.values_list("pk", flat=True)), "skipped": []})
    wanted = list(dict.fromkeys(payload.customer_ids))
    found = set(Customer.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise field_error("customer_ids", f"No customer with id {', '.join(map(str, missing))}.")
    draft_ids, skipped = [], []
    for customer_id in wanted:
        try:
            draft = services.draft_generate_for_customer(
                customer_id=customer_id, user=request.auth, campaign_id=payload.campaign_id
            )
        except services.CampaignActionError as exc:
            skipped.append({"customer_id": customer_id, "reason": str(exc)})
            continue
        draft_ids.append(draft.pk)
    return Status(202, {"draft_ids": draft_ids, "skipped": skipped})


@router.get(
    "/drafts/{int:draft_id}",
    response={200: DraftOut, 404: ErrorOut, **AUTH_ERRORS},
    auth=requires(*ALL_ROLES),
)
def draft_status(request: HttpRequest, draft_id: int):
    """A draft's status (queued, generating, pending_review, approved, sent, …) and text.
    Roles: all."""
    draft = EmailDraft.objects.filter(pk=draft_id).first() if draft_id <= MAX_ID else None
    if draft is None:
        raise HttpError(404, f"No draft {draft_id}.")
    return draft

"""``GET /api/customers`` and ``GET /api/customers/{ref}``."""

import datetime as dt
import math
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from customers import selectors
from customers.models import Customer, Segment
from growthai.api import (
    AUTH_ERRORS,
    MAX_ID,
    ErrorOut,
    field_error,
    reject_unknown_params,
    requires,
)
from growthai.roles import ALL_ROLES
from scoring.selectors import latest_scores

router = Router()

MAX_LIMIT = 100
RiskFilter = Literal["high", "medium", "low", "unscored"]
SortKey = Literal[tuple(selectors.customer_sort_keys())]  # type: ignore[valid-type]


class CustomerFilters(Schema):
    q: str | None = Field(None, max_length=200, description="search in id, name and email")
    segment: str | None = Field(None, max_length=100, description="segment id or name")
    country: str | None = Field(None, max_length=64)
    plan: str | None = Field(None, max_length=64)
    risk: RiskFilter | None = Field(None, description="latest churn risk class")
    sort: SortKey | None = Field(None, description="a field, '-' first for descending")
    limit: int = Field(25, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)
    page: int | None = Field(None, ge=1, description="1-based; overrides offset")


class ChurnOut(Schema):
    probability: float
    risk_class: str
    scored_at: dt.datetime
    model_version: int | None = None
    drivers: list[dict] = []


class CustomerOut(Schema):
    id: int
    external_id: str
    name: str
    email: str
    segment: str | None
    country: str
    region: str
    plan: str
    signup_date: dt.date | None
    tenure_months: int | None
    monthly_spend: float | None
    churned: bool | None
    churn_probability: float | None
    churn_risk: str | None


class CustomerDetailOut(CustomerOut):
    attributes: dict
    email_opt_out: bool
    churn: ChurnOut | None


class CustomerPageOut(Schema):
    count: int
    limit: int
    offset: int
    page: int
    pages: int
    items: list[CustomerOut]


def _customer_out(customer: Customer) -> dict:
    spend = customer.monthly_spend
    return {
        "id": customer.pk,
        "external_id": customer.external_id,
        "name": customer.name,
        "email": customer.email,
        "segment": customer.segment.name if customer.segment else None,
        "country": customer.country,
        "region": customer.region,
        "plan": customer.plan,
        "signup_date": customer.signup_date,
        "tenure_months": customer.tenure_months,
        "monthly_spend": float(spend) if spend is not None else None,
        "churned": customer.churned,
        "churn_probability": getattr(customer, "churn_probability", None),
        "churn_risk": getattr(customer, "churn_risk", None),
    }


def _segment_id(value: str) -> int:
    segment = Segment.objects.filter(name=value).values_list("pk", flat=True).first()
    if segment is None and value.isdigit() and int(value) <= MAX_ID:
        segment = Segment.objects.filter(pk=int(value)).values_list("pk", flat=True).first()
    if segment is None:
        raise field_error("segment", f"No segment {value!r}.", where="query")
    return segment


@router.get("/customers", response={200: CustomerPageOut, **AUTH_ERRORS}, auth=requires(*ALL_ROLES))
def customer_list(request: HttpRequest, filters: Query[CustomerFilters]):
    """Customers matching the filters, with their latest churn risk. Paginated with
    ``limit`` and ``offset`` or ``page``. Unknown parameters and filter values answer 422.
    Roles: all."""
    reject_unknown_params(request, CustomerFilters.model_fields)
    # Paging is not filtering: the selector takes the filters alone, so that an unfiltered
    # list gets the unfiltered shortcuts (the kept count of all customers).
    values = filters.dict(exclude={"limit", "offset", "page"})
    if values["segment"]:
        values["segment"] = _segment_id(values["segment"])
    limit = filters.limit
    offset = (filters.page - 1) * limit if filters.page else filters.offset
    queryset = selectors.customer_list(filters=values)
    count = queryset.count()
    items = [_customer_out(c) for c in queryset[offset : offset + limit]]
    return {
        "count": count,
        "limit": limit,
        "offset": offset,
        "page": offset // limit + 1,
        "pages": max(1, math.ceil(count / limit)),
        "items": items,
    }


def customer_resolve(ref: str | int, *, by: str = "auto") -> Customer:
    """The customer ``ref`` names: a primary key or an external id (see the detail endpoint)."""
    ref = str(ref).strip()
    queryset = Customer.objects.select_related("segment")
    customer = None
    if by in ("auto", "pk") and ref.isdigit() and int(ref) <= MAX_ID:
        customer = queryset.filter(pk=int(ref)).first()
    if customer is None and by in ("auto", "external_id"):
        customer = queryset.filter(external_id=ref).first()
    if customer is None:
        raise Customer.DoesNotExist(f"No customer {ref!r}.")
    return customer


@router.get(
    "/customers/{ref}",
    response={200: CustomerDetailOut, 404: ErrorOut, **AUTH_ERRORS},
    auth=requires(*ALL_ROLES),
)
def customer_detail(
    request: HttpRequest, ref: str, by: Literal["auto", "pk", "external_id"] = "auto"
):
    """A customer's profile, attributes, latest churn score and its drivers.

    ``ref`` is the primary key or the external id: with ``by=auto`` (the default) a number is
    tried as a primary key first, then as an external id; ``by=pk`` or ``by=external_id``
    forces one. Roles: all."""
    customer = customer_resolve(ref, by=by)
    score = latest_scores(customer_ids=[customer.pk]).get(customer.pk)
    out = _customer_out(customer)
    out["churn_probability"] = score.probability if score else None
    out["churn_risk"] = score.risk_class if score else None
    out["attributes"] = customer.attributes
    out["email_opt_out"] = customer.email_opt_out
    out["churn"] = (
        {
            "probability": score.probability,
            "risk_class": score.risk_class,
            "scored_at": score.scored_at,
            "model_version": score.model.version if score.model_id else None,
            "drivers": score.drivers or [],
        }
        if score
        else None
    )
    return out

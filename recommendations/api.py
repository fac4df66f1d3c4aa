"""``POST /api/recommend``: products and content for one customer, each with its reason."""

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from pydantic import ConfigDict

from customers.api import customer_resolve
from growthai.api import BODY_ERRORS, ErrorOut, requires
from growthai.roles import ALL_ROLES
from recommendations import services

router = Router()


class RecommendIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customer_id: int | str = Field(
        description="primary key or external id (a number is tried as a primary key first)"
    )
    n: int = Field(10, ge=1, le=50, description="items per kind")
    kinds: list[Literal["product", "content"]] = Field(
        default=["product", "content"], min_length=1, max_length=2
    )


class RecommendationOut(Schema):
    item_id: int
    kind: str
    name: str
    score: float
    reason: str
    reason_code: str


class RecommendOut(Schema):
    customer_id: int
    external_id: str
    products: list[RecommendationOut] | None
    content: list[RecommendationOut] | None
    messages: dict[str, str]


@router.post(
    "/recommend",
    response={200: RecommendOut, 404: ErrorOut, 409: ErrorOut, **BODY_ERRORS},
    auth=requires(*ALL_ROLES),
)
def recommend(request: HttpRequest, payload: RecommendIn):
    """The ``n`` best products and content items for the customer, best first, each with
    the reason it was picked. 404 for an unknown customer. Roles: all."""
    customer = customer_resolve(payload.customer_id)
    out = {
        "customer_id": customer.pk,
        "external_id": customer.external_id,
        "products": None,
        "content": None,
        "messages": {},
    }
    for kind in dict.fromkeys(payload.kinds):
        try:
            items = services.recommend_for_customer(customer_id=customer.pk, kind=kind, n=payload.n)
        except services.UnknownCustomer as exc:
            raise HttpError(404, str(exc)) from exc
        except services.RecommendationError as exc:
            raise HttpError(409, str(exc)) from exc
        key = "products" if kind == "product" else "content"
        out[key] = [
            {
                "item_id": item.item_id,
                "kind": item.kind,
                "name": item.name,
                "score": item.score,
                "reason": item.reason,
                "reason_code": item.reason_code,
            }
            for item in items
        ]
        if items.message:
            out["messages"][key] = items.message
    return out

"""Read-side queries of the recommendation engine and the catalogue pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from customers.models import ContentItem, Customer, Interaction, Product
from growthai.progress import progress_get
from recommendations.models import BehaviourModel, ItemEmbedding, RebuildRun


@dataclass(frozen=True)
class CustomerHistory:
    """A customer's recent interactions with items, as parallel columns."""

    item_kinds: np.ndarray  # "product" / "content"
    item_ids: np.ndarray
    kinds: np.ndarray
    ages_days: np.ndarray


def customer_history(
    *, customer_id: int, now: dt.datetime, limit: int | None = None
) -> CustomerHistory:
    """The customer's most recent item interactions before ``now`` (at most ``limit``), plus
    every earlier purchase, so that an old purchase is still known as bought."""
    limit = limit or getattr(settings, "RECOMMENDATIONS_HISTORY_LIMIT", 500)
    base = Interaction.objects.filter(customer_id=customer_id, occurred_at__lt=now).filter(
        Q(product__isnull=False) | Q(content_item__isnull=False)
    )
    recent = list(
        base.order_by("-occurred_at").values_list(
            "product_id", "content_item_id", "kind", "occurred_at"
        )[:limit]
    )
    if len(recent) == limit:
        oldest = recent[-1][3]
        # Purchases behind the window still exclude what was bought; they come aggregated
        # to one row per product, dated by the last one.
        older = (
            base.filter(occurred_at__lt=oldest, kind=Interaction.Kind.PURCHASE)
            .values_list("product_id")
            .annotate(last=Max("occurred_at"))
        )
        recent.extend((product_id, None, "purchase", last) for product_id, last in older)
    if not recent:
        empty = np.zeros(0)
        return CustomerHistory(
            item_kinds=empty.astype(object),
            item_ids=empty.astype(np.int64),
            kinds=empty.astype(object),
            ages_days=empty,
        )
    product_ids, content_ids, kinds, moments = zip(*recent, strict=True)
    is_product = np.fromiter((pk is not None for pk in product_ids), dtype=bool)
    item_ids = np.fromiter(
        (p if p is not None else c for p, c in zip(product_ids, content_ids, strict=True)),
        dtype=np.int64,
    )
    now_ts = now.timestamp()
    ages = (now_ts - np.fromiter((m.timestamp() for m in moments), dtype=np.float64)) / 86400.0
    return CustomerHistory(
        item_kinds=np.where(is_product, "product", "content").astype(object),
        item_ids=item_ids,
        kinds=np.array(kinds, dtype=object),
        ages_days=ages,
    )


def customer_cohorts(*, customer: Customer) -> dict[str, str]:
    """The customer's value of each cohort field, for cold-start popularity."""
    values: dict[str, str] = {}
    for name in getattr(settings, "RECOMMENDATIONS_COHORT_FIELDS", []):
        value = cohort_value(customer, name)
        if value:
            values[name] = value
    return values


def cohort_value(customer: Customer, name: str) -> str:
    if name == "segment":
        return customer.segment.name if customer.segment_id else ""
    if name.startswith("attributes."):
        attributes = customer.attributes if isinstance(customer.attributes, dict) else {}
        value = attributes.get(name.removeprefix("attributes."))
        return "" if value is None or isinstance(value, dict | list) else str(value)
    value = getattr(customer, name, "")
    return "" if value is None else str(value)


def cohort_labels(*, fields: list[str]) -> dict[str, dict[int, str]]:
    """``{field: {customer id: value}}`` over every customer, for the behavioural build."""
    labels: dict[str, dict[int, str]] = {name: {} for name in fields}
    if not fields:
        return labels
    for customer in (
        Customer.objects.select_related("segment")
        .only("id", "segment__name", "country", "region", "plan", "attributes")
        .iterator(chunk_size=5000)
    ):
        for name in fields:
            value = cohort_value(customer, name)
            if value:
                labels[name][customer.pk] = value
    return labels


def behaviour_model_latest() -> BehaviourModel | None:
    return BehaviourModel.objects.filter(status=BehaviourModel.Status.READY).order_by("-id").first()


def rebuild_run_latest() -> RebuildRun | None:
    return RebuildRun.objects.order_by("-created_at", "-pk").first()


def rebuild_run_status(*, run: RebuildRun | None) -> dict | None:
    if run is None:
        return None
    return {"run": run, "progress": progress_get(f"recommendations-rebuild-{run.pk}")}


def embedding_count() -> int:
    return ItemEmbedding.objects.count()


# --- Catalogue pages -------------------------------------------------------------------


def product_list(*, query: str = "", category: str = "") -> QuerySet[Product]:
    products = Product.objects.all()
    if query := query.strip():
        products = products.filter(
            Q(name__icontains=query) | Q(sku__icontains=query) | Q(description__icontains=query)
        )
    if category:
        products = products.filter(category=category)
    return products.order_by("name", "pk")


def product_categories() -> list[str]:
    return list(
        Product.objects.exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )


def product_get(*, pk: int) -> Product:
    """Raises ``Product.DoesNotExist``."""
    return Product.objects.get(pk=pk)


def content_list(*, query: str = "", kind: str = "") -> QuerySet[ContentItem]:
    items = ContentItem.objects.all()
    if query := query.strip():
        items = items.filter(
            Q(title__icontains=query) | Q(summary__icontains=query) | Q(slug__icontains=query)
        )
    if kind:
        items = items.filter(kind=kind)
    return items.order_by("title", "pk")


def content_get(*, pk: int) -> ContentItem:
    """Raises ``ContentItem.DoesNotExist``."""
    return ContentItem.objects.get(pk=pk)


def item_interaction_summary(
    *, product: Product | None = None, content: ContentItem | None = None
) -> dict:
    """Interactions with one product or content item: ``total``, distinct ``customers``,
    ``purchases`` and ``views``, in one aggregate query."""
    if product is not None:
        interactions = Interaction.objects.filter(product=product)
    else:
        interactions = Interaction.objects.filter(content_item=content)
    return interactions.aggregate(
        total=Count("id"),
        customers=Count("customer_id", distinct=True),
        purchases=Count("id", filter=Q(kind=Interaction.Kind.PURCHASE)),
        views=Count("id", filter=Q(kind=Interaction.Kind.VIEW)),
    )

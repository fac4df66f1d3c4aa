"""Writes and the public entry points of the recommendation engine.

- ``recommend_for_customer`` / ``recommend_similar_items``: ranked items with reasons, for the
  pages, the campaigns and the API;
- ``item_embeddings_refresh``: embed the catalogue text that changed since the last run;
- ``behaviour_model_build``: learn item-to-item similarity and popularity from interactions;
- ``rebuild_run_create`` / ``rebuild_run_execute``: the same two as one tracked job, run by
  a Celery worker, the schedule or ``manage.py build_recommendations``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from customers.models import ContentItem, Customer, Interaction, Product
from growthai.progress import progress_set
from recommendations import behaviour, embeddings, ranking, runtime, selectors
from recommendations.embeddings import EmbeddingModelUnavailable
from recommendations.models import (
    BehaviourModel,
    CatalogueVersion,
    ItemEmbedding,
    ItemKind,
    RebuildRun,
)

logger = logging.getLogger(__name__)

__all__ = [
    "EmbeddingModelUnavailable",
    "Recommendation",
    "RecommendationError",
    "RecommendationList",
    "UnknownCustomer",
    "UnknownItem",
    "behaviour_model_build",
    "item_embeddings_refresh",
    "rebuild_run_create",
    "rebuild_run_execute",
    "recommend_for_customer",
    "recommend_similar_items",
]

KINDS = (ItemKind.PRODUCT.value, ItemKind.CONTENT.value)
WRITE_BATCH = 500
# Behaviour models kept (with their files) after a build: the new one and one to compare.
KEEP_BEHAVIOUR_MODELS = 2
ProgressCallback = Callable[[str, int, int], None]


class RecommendationError(Exception):
    """A recommendation request cannot be answered; the message says why."""


class UnknownCustomer(RecommendationError):
    pass


class UnknownItem(RecommendationError):
    pass


@dataclass(frozen=True)
class Recommendation:
    item_id: int
    kind: str  # "product" or "content"
    name: str
    score: float
    reason: str
    # behaviour, semantic, revisit, popular_segment, popular_cohort or popular
    reason_code: str

    def get_absolute_url(self) -> str:
        name = "customers:product_detail" if self.kind == "product" else "customers:content_detail"
        return reverse(name, args=[self.item_id])


class RecommendationList(list):
    """The ranked recommendations, best first; ``message`` explains an empty list."""

    def __init__(self, items=(), *, message: str = "") -> None:
        super().__init__(items)
        self.message = message


def _setting(name: str, default):
    return getattr(settings, name, default)


def _blend() -> ranking.Blend:
    return ranking.Blend.from_dict(_setting("RECOMMENDATIONS_BLEND", None))


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise RecommendationError(f"Unknown item kind {kind!r}: use 'product' or 'content'.")


def _empty_message(catalogue: ranking.Catalogue, kind: str) -> str:
    start, stop = catalogue.spans[kind]
    label = "products" if kind == "product" else "content items"
    if stop == start:
        return f"The catalogue has no {label} yet."
    if not catalogue.active[start:stop].any():
        return f"All {label} are inactive."
    if catalogue.behaviour_model_id is None and not catalogue.has_embeddings():
        return (
            "Recommendations have not been built yet: run `manage.py build_recommendations` "
            "or wait for the scheduled rebuild."
        )
    return f"No {label} to recommend yet."


def _to_recommendations(
    catalogue: ranking.Catalogue, ranked: list[ranking.Ranked], kind: str
) -> list[Recommendation]:
    return [
        Recommendation(
            item_id=int(catalogue.ids[item.row]),
            kind=kind,
            name=catalogue.names[item.row],
            score=round(float(item.score), 6),
            reason=item.reason,
            reason_code=item.reason_code,
        )
        for item in ranked
    ]


def recommend_for_customer(
    *,
    customer_id: int,
    kind: str = "product",
    n: int = 10,
    as_of: dt.datetime | None = None,
    exclude_purchased: bool | None = None,
) -> RecommendationList:
    """The ``n`` best items of ``kind`` for the customer, each with its score and reason.

    ``as_of`` ranks on the history before that moment (evaluation, replays); by default now.
    ``exclude_purchased`` defaults to ``RECOMMENDATIONS_EXCLUDE_PURCHASED``: products already
    bought and content already read are left out. Raises ``UnknownCustomer``.
    """
    _check_kind(kind)
    try:
        customer = Customer.objects.select_related("segment").get(pk=customer_id)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise UnknownCustomer(f"No customer with id {customer_id!r}.") from None
    if exclude_purchased is None:
        exclude_purchased = _setting("RECOMMENDATIONS_EXCLUDE_PURCHASED", True)
    catalogue = runtime.catalogue_get()
    now = as_of or timezone.now()
    history = selectors.customer_history(customer_id=customer.pk, now=now)
    profile = ranking.profile_build(
        catalogue,
        item_kinds=history.item_kinds,
        item_ids=history.item_ids,
        kinds=history.kinds,
        ages_days=history.ages_days,
        kind_weights=_setting("RECOMMENDATIONS_KIND_WEIGHTS", {}),
        half_life_days=_setting("RECOMMENDATIONS_HALF_LIFE_DAYS", 60.0),
        cohorts=selectors.customer_cohorts(customer=customer),
    )
    ranked = ranking.rank(
        catalogue,
        profile,
        kind=kind,
        n=max(0, int(n)),
        blend=_blend(),
        max_per_category=_setting("RECOMMENDATIONS_MAX_PER_CATEGORY", 0),
        exclude_consumed=exclude_purchased,
    )
    items = _to_recommendations(catalogue, ranked, kind)
    return RecommendationList(items, message="" if items else _empty_message(catalogue, kind))


def recommend_similar_items(
    *, kind: str, item_id: int, n: int = 6, target_kind: str | None = None
) -> RecommendationList:
    """Items of ``target_kind`` (default: the same kind) most like one product or content
    item, by co-engagement and by meaning. Raises ``UnknownItem``."""
    _check_kind(kind)
    target_kind = target_kind or kind
    _check_kind(target_kind)
    model = Product if kind == "product" else ContentItem
    try:
        exists = model.objects.filter(pk=int(item_id)).exists()
    except (TypeError, ValueError):
        exists = False
    if not exists:
        raise UnknownItem(f"No {kind} with id {item_id!r}.")
    catalogue = runtime.catalogue_get()
    row = catalogue.row_of(kind, int(item_id))
    if row is None:  # created between the two queries above
        return RecommendationList(message="This item is too new to compare yet.")
    ranked = ranking.similar_rank(catalogue, row=row, kind=target_kind, n=n, blend=_blend())
    items = _to_recommendations(catalogue, ranked, target_kind)
    message = ""
    if not items:
        message = (
            "Nothing similar yet: similar items appear once the catalogue text is embedded "
            "and customers have interacted with it."
        )
    return RecommendationList(items, message=message)


# --- Embeddings ----------------------------------------------------------------------


def _catalogue_texts() -> dict[tuple[str, int], str]:
    texts: dict[tuple[str, int], str] = {}
    for pk, name, description, category in Product.objects.values_list(
        "id", "name", "description", "category"
    ).iterator(chunk_size=5000):
        texts[("product", pk)] = embeddings.product_text(
            name=name, description=description, category=category
        )
    for pk, title, summary, tags in ContentItem.objects.values_list(
        "id", "title", "summary", "tags"
    ).iterator(chunk_size=5000):
        texts[("content", pk)] = embeddings.content_text(
            title=title, summary=summary, tags=tags if isinstance(tags, list) else []
        )
    return texts


def catalogue_version_bump(*, name: str) -> None:
    version, _ = CatalogueVersion.objects.get_or_create(name=name)
    CatalogueVersion.objects.filter(pk=version.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )


def item_embeddings_refresh(*, progress: ProgressCallback | None = None) -> dict:
    """Embed every product and content item whose text (or the model) changed since its
    vector was stored, and drop the vectors of deleted items.

    Nothing changed costs two reads and no model load. Raises ``EmbeddingModelUnavailable``
    when there is text to embed and the model cannot be loaded.
    """
    started = time.monotonic()
    name = embeddings.model_name()
    texts = _catalogue_texts()
    hashes = {key: embeddings.text_hash(text) for key, text in texts.items()}
    stored = {
        (kind, item_id): (text_hash, stored_model)
        for kind, item_id, text_hash, stored_model in ItemEmbedding.objects.values_list(
            "item_kind", "item_id", "text_hash", "model_name"
        )
    }
    todo = [key for key, digest in hashes.items() if stored.get(key) != (digest, name)]
    gone = [key for key in stored if key not in texts]

    embedded = 0
    if todo:
        todo.sort()
        chunk = max(WRITE_BATCH, 1)
        for begin in range(0, len(todo), chunk):
            keys = todo[begin : begin + chunk]
            vectors = embeddings.encode([texts[key] for key in keys])
            rows = [
                ItemEmbedding(
                    item_kind=kind,
                    item_id=item_id,
                    model_name=name,
                    text_hash=hashes[(kind, item_id)],
                    dimensions=vectors.shape[1],
                    vector=embeddings.vector_to_bytes(vector),
                )
                for (kind, item_id), vector in zip(keys, vectors, strict=True)
            ]
            # Each chunk is committed on its own: a run stopped half-way keeps its work.
            with transaction.atomic():
                ItemEmbedding.objects.bulk_create(
                    rows,
                    update_conflicts=True,
                    unique_fields=["item_kind", "item_id"],
                    update_fields=["model_name", "text_hash", "dimensions", "vector", "updated_at"],
                )
                catalogue_version_bump(name=runtime.EMBEDDINGS_VERSION)
            embedded += len(rows)
            if progress is not None:
                progress("embeddings", embedded, len(todo))
    if gone:
        with transaction.atomic():
            for kind in KINDS:
                ids = [item_id for item_kind, item_id in gone if item_kind == kind]
                for begin in range(0, len(ids), WRITE_BATCH):
                    ItemEmbedding.objects.filter(
                        item_kind=kind, item_id__in=ids[begin : begin + WRITE_BATCH]
                    ).delete()
            catalogue_version_bump(name=runtime.EMBEDDINGS_VERSION)
    seconds = time.monotonic() - started
    return {
        "model": name,
        "items": len(texts),
        "embedded": embedded,
        "unchanged": len(texts) - embedded,
        "removed": len(gone),
        "seconds": round(seconds, 2),
    }


# --- Behavioural model ---------------------------------------------------------------


def _interaction_columns(*, as_of: dt.datetime, kind_weights: dict[str, float]) -> dict:
    """Every weighted interaction before ``as_of`` as numpy columns: customer id, item key
    (see ``behaviour.item_keys``), the weight of its kind and its age in days."""
    kinds = [kind for kind, weight in kind_weights.items() if weight]
    codes = {kind: i for i, kind in enumerate(kinds)}
    queryset = Interaction.objects.filter(occurred_at__lt=as_of, kind__in=kinds).filter(
        Q(product__isnull=False) | Q(content_item__isnull=False)
    )
    customers: list[int] = []
    keys: list[int] = []
    kind_codes: list[int] = []
    ages: list[float] = []
    for customer_id, product_id, content_id, kind, occurred_at in queryset.values_list(
        "customer_id", "product_id", "content_item_id", "kind", "occurred_at"
    ).iterator(chunk_size=20_000):
        customers.append(customer_id)
        keys.append((product_id << 1) if product_id is not None else (content_id << 1) | 1)
        kind_codes.append(codes[kind])
        ages.append((as_of - occurred_at).total_seconds())
    base = np.asarray([kind_weights[kind] for kind in kinds], dtype=np.float64)
    return {
        "customers": np.asarray(customers, dtype=np.int64),
        "keys": np.asarray(keys, dtype=np.int64),
        "base_weights": base[np.asarray(kind_codes, dtype=np.int64)] if kind_codes else base[:0],
        "ages_days": np.asarray(ages, dtype=np.float64) / 86400.0,
    }


def behaviour_model_build(
    *, as_of: dt.datetime | None = None, progress: ProgressCallback | None = None
) -> BehaviourModel:
    """Learn the behavioural model from interactions before ``as_of`` (default now), store
    it and make it the one every process ranks with."""
    as_of = as_of or timezone.now()
    kind_weights = dict(_setting("RECOMMENDATIONS_KIND_WEIGHTS", {}))
    fields = list(_setting("RECOMMENDATIONS_COHORT_FIELDS", []))
    parameters = {
        "kind_weights": kind_weights,
        "half_life_days": _setting("RECOMMENDATIONS_HALF_LIFE_DAYS", 60.0),
        "popularity_half_life_days": _setting("RECOMMENDATIONS_POPULARITY_HALF_LIFE_DAYS", 14.0),
        "neighbours": _setting("RECOMMENDATIONS_NEIGHBOURS", 100),
        "cohort_fields": fields,
    }
    model = BehaviourModel.objects.create(as_of=as_of, parameters=parameters)
    started = time.monotonic()
    try:
        if progress is not None:
            progress("behaviour", 0, 3)
        columns = _interaction_columns(as_of=as_of, kind_weights=kind_weights)
        labels = selectors.cohort_labels(fields=fields)
        if progress is not None:
            progress("behaviour", 1, 3)
        artifact = behaviour.behaviour_build(
            customers=columns["customers"],
            keys=columns["keys"],
            base_weights=columns["base_weights"],
            ages_days=columns["ages_days"],
            half_life_days=float(parameters["half_life_days"]),
            popularity_half_life_days=float(parameters["popularity_half_life_days"]),
            neighbours=int(parameters["neighbours"]),
            cohort_labels=labels,
        )
        if progress is not None:
            progress("behaviour", 2, 3)
        model.artifact.save(
            f"behaviour-{model.pk}.npz", ContentFile(artifact.to_bytes()), save=False
        )
        model.status = BehaviourModel.Status.READY
        model.stats = {**artifact.stats, "seconds": round(time.monotonic() - started, 2)}
        model.finished_at = timezone.now()
        model.save(update_fields=["artifact", "status", "stats", "finished_at"])
        if progress is not None:
            progress("behaviour", 3, 3)
    except BaseException as exc:
        model.status = BehaviourModel.Status.FAILED
        model.error = str(exc) or exc.__class__.__name__
        model.finished_at = timezone.now()
        model.save(update_fields=["status", "error", "finished_at"])
        raise
    _behaviour_models_prune()
    return model


def _behaviour_models_prune() -> None:
    keep = list(
        BehaviourModel.objects.filter(status=BehaviourModel.Status.READY)
        .order_by("-id")
        .values_list("id", flat=True)[:KEEP_BEHAVIOUR_MODELS]
    )
    old = BehaviourModel.objects.exclude(id__in=keep).exclude(status=BehaviourModel.Status.BUILDING)
    for model in old:
        if model.artifact:
            try:
                default_storage.delete(model.artifact.name)
            except OSError:
                logger.warning("Could not delete %s", model.artifact.name, exc_info=True)
        model.delete()


# --- Rebuild runs --------------------------------------------------------------------


def rebuild_run_in_progress() -> RebuildRun | None:
    return (
        RebuildRun.objects.filter(status__in=[RebuildRun.Status.QUEUED, RebuildRun.Status.RUNNING])
        .order_by("-pk")
        .first()
    )


def rebuild_run_create(
    *,
    embeddings: bool = True,
    behaviour: bool = True,
    trigger: str = RebuildRun.Trigger.MANUAL,
    created_by=None,
    enqueue: bool = True,
) -> RebuildRun:
    """Record a rebuild and, with ``enqueue``, queue it for a worker once committed."""
    if not (embeddings or behaviour):
        raise RecommendationError("Nothing to rebuild: choose embeddings, behaviour or both.")
    run = RebuildRun.objects.create(
        embeddings=embeddings, behaviour=behaviour, trigger=trigger, created_by=created_by
    )
    if enqueue:
        from recommendations.tasks import rebuild_recommendations

        # After commit: a worker that picks the message up must find the row.
        transaction.on_commit(lambda: rebuild_recommendations.delay(run.pk))
    return run


def rebuild_run_execute(*, run_id: int, progress: ProgressCallback | None = None) -> RebuildRun:
    """Run a queued rebuild. A finished run is left alone, so a message delivered twice does
    not rebuild twice; so is one another worker is running, unless it has been running
    longer than a task may run (its worker died; both parts are safe to repeat)."""
    with transaction.atomic():
        run = RebuildRun.objects.select_for_update().get(pk=run_id)
        if run.is_finished:
            return run
        limit = dt.timedelta(seconds=_setting("RECOMMENDATIONS_TASK_TIME_LIMIT", 1800) + 60)
        if (
            run.status == RebuildRun.Status.RUNNING
            and run.started_at is not None
            and timezone.now() - run.started_at < limit
        ):
            return run
        run.status = RebuildRun.Status.RUNNING
        run.started_at = timezone.now()
        run.error = ""
        run.save(update_fields=["status", "started_at", "error"])

    key = f"recommendations-rebuild-{run.pk}"
    parts = int(run.embeddings) + int(run.behaviour)

    def report_progress(stage: str, done: int, total: int) -> None:
        index = 0 if stage == "embeddings" or not run.embeddings else 1
        fraction = (index + (done / total if total else 1.0)) / parts
        progress_set(key, done=round(fraction * 1000), total=1000, message=stage)
        if progress is not None:
            progress(stage, done, total)

    report: dict = {}
    try:
        if run.embeddings:
            report["embeddings"] = item_embeddings_refresh(progress=report_progress)
        if run.behaviour:
            model = behaviour_model_build(progress=report_progress)
            report["behaviour"] = {"model_id": model.pk, **model.stats}
            run.behaviour_model = model
        run.status = RebuildRun.Status.SUCCEEDED
    except (EmbeddingModelUnavailable, RecommendationError) as exc:
        run.status = RebuildRun.Status.FAILED
        run.error = str(exc)
    except SoftTimeLimitExceeded:
        run.status = RebuildRun.Status.FAILED
        run.error = "The rebuild took longer than RECOMMENDATIONS_TASK_TIME_LIMIT and stopped."
    except Exception as exc:
        logger.exception("Recommendations rebuild #%s failed", run.pk)
        run.status = RebuildRun.Status.FAILED
        run.error = f"{exc.__class__.__name__}: {exc}"
    run.report = report
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "report", "finished_at", "behaviour_model"])
    progress_set(key, done=1000, total=1000, message=run.status)
    return run

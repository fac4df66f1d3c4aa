"""The in-memory catalogue each process ranks against, and when to reload it.

Loading it (every item, every stored vector, the behavioural artifact) takes a few hundred
milliseconds for thousands of items; ranking against it takes a few. So a process keeps one
copy and, on every call, compares a version made of counters and aggregates (one small
query) with the version it loaded; any change to the catalogue, the embeddings or the
behavioural model reloads it.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

from customers.models import ContentItem, Product
from recommendations import embeddings, selectors
from recommendations.behaviour import KIND_CODES, BehaviourArtifact, split_keys
from recommendations.models import BehaviourModel, CatalogueVersion, ItemEmbedding
from recommendations.ranking import CONTENT, PRODUCT, Catalogue

logger = logging.getLogger(__name__)

EMBEDDINGS_VERSION = "embeddings"

_cached: Catalogue | None = None
_checked_at = 0.0
_lock = threading.Lock()


def _version_parts() -> list[tuple[str, list]]:
    quote = connection.ops.quote_name
    versions = quote(CatalogueVersion._meta.db_table)
    models = quote(BehaviourModel._meta.db_table)
    products = quote(Product._meta.db_table)
    content = quote(ContentItem._meta.db_table)
    # Only table names are interpolated, and they come from model metadata.
    return [
        (f"SELECT MAX(version) FROM {versions} WHERE name = %s", [EMBEDDINGS_VERSION]),
        (f"SELECT MAX(id) FROM {models} WHERE status = %s", [BehaviourModel.Status.READY]),
        (f"SELECT COUNT(*) FROM {products}", []),
        (f"SELECT MAX(updated_at) FROM {products}", []),
        (f"SELECT COUNT(*) FROM {content}", []),
        (f"SELECT MAX(updated_at) FROM {content}", []),
    ]


def _version(values) -> tuple:
    return (embeddings.model_name(), *[str(value) for value in values])


def catalogue_version() -> tuple:
    """Everything whose change must reload the catalogue, in one round trip.

    Product and content changes show through their row count and latest ``updated_at``
    (an edit, an import, a deletion); ``QuerySet.update()`` bypasses ``updated_at`` and so
    is seen at the next change or embeddings refresh.
    """
    parts = _version_parts()
    sql = "SELECT " + ", ".join(f"({part})" for part, _ in parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, [param for _, params in parts for param in params])
        row = cursor.fetchone()
    return _version(row)


def catalogue_get(*, version: tuple | None = None) -> Catalogue:
    """The current catalogue, reloaded only when its version changed.

    The version is read at most once per ``RECOMMENDATIONS_VERSION_CHECK_SECONDS`` per
    process (0: on every call): a campaign ranking for thousands of customers in a row
    should not pay a query per customer to learn that nothing changed.
    """
    global _cached, _checked_at
    interval = float(getattr(settings, "RECOMMENDATIONS_VERSION_CHECK_SECONDS", 0) or 0)
    cached = _cached
    now = time.monotonic()
    if version is None and cached is not None and interval > 0 and now - _checked_at < interval:
        return cached
    version = version if version is not None else catalogue_version()
    _checked_at = now
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        if _cached is not None and _cached.version == version:
            return _cached
        loaded = catalogue_load(version=version)
        _cached = loaded
        return loaded


def catalogue_forget() -> None:
    """Drop this process's copy (tests, or after changing settings at run time)."""
    global _cached
    with _lock:
        _cached = None


def artifact_read(model: BehaviourModel) -> BehaviourArtifact | None:
    try:
        with default_storage.open(model.artifact.name, "rb") as handle:
            return BehaviourArtifact.from_bytes(handle.read())
    except (OSError, ValueError, KeyError):
        # A missing or unreadable file must not take recommendations down: the semantic
        # and cohort signals still work, and the next build writes a new artifact.
        logger.warning("Behaviour model #%s is unreadable", model.pk, exc_info=True)
        return None


def catalogue_load(
    *, version: tuple = (), behaviour_model: BehaviourModel | None = None
) -> Catalogue:
    """Build the catalogue from the database, ``behaviour_model`` (default: the latest
    ready one) and the stored embeddings of the configured model."""
    products = list(Product.objects.order_by("id").values_list("id", "name", "category", "active"))
    contents = list(
        ContentItem.objects.order_by("id").values_list("id", "title", "kind", "tags", "active")
    )
    n_products = len(products)
    size = n_products + len(contents)
    ids = np.empty(size, dtype=np.int64)
    names: list[str] = []
    topics: list[str] = []
    content_kinds: list[str] = []
    active = np.zeros(size, dtype=bool)
    category_codes: dict[str, int] = {}
    categories = np.full(size, -1, dtype=np.int32)

    def category_code(label: str) -> int:
        label = (label or "").strip().casefold()
        if not label:
            return -1
        return category_codes.setdefault(label, len(category_codes))

    for row, (pk, name, category, is_active) in enumerate(products):
        ids[row] = pk
        names.append(name or "")
        topics.append(category or "")
        content_kinds.append("")
        active[row] = is_active
        categories[row] = category_code(category)
    for offset, (pk, title, kind, tags, is_active) in enumerate(contents):
        row = n_products + offset
        first_tag = str(tags[0]) if isinstance(tags, list) and tags else ""
        ids[row] = pk
        names.append(title or "")
        topics.append(first_tag)
        content_kinds.append(kind or "")
        active[row] = is_active
        categories[row] = category_code(first_tag)

    catalogue = Catalogue(
        ids=ids,
        spans={PRODUCT: (0, n_products), CONTENT: (n_products, size)},
        names=names,
        categories=categories,
        content_kinds=content_kinds,
        topics=topics,
        active=active,
        embeddings=np.zeros((size, 0), dtype=np.float32),
        neighbours=sp.csr_matrix((size, size), dtype=np.float32),
        popularity=np.zeros(size, dtype=np.float32),
        version=version,
    )
    _attach_embeddings(catalogue)
    model = behaviour_model or selectors.behaviour_model_latest()
    if model is not None:
        artifact = artifact_read(model)
        if artifact is not None:
            _attach_behaviour(catalogue, artifact)
            catalogue.behaviour_model_id = model.pk
    return catalogue


def _attach_embeddings(catalogue: Catalogue) -> None:
    rows_by_kind: dict[str, list[tuple[int, bytes]]] = {PRODUCT: [], CONTENT: []}
    dims = 0
    for kind, item_id, vector, width in ItemEmbedding.objects.filter(
        model_name=embeddings.model_name()
    ).values_list("item_kind", "item_id", "vector", "dimensions"):
        if kind in rows_by_kind:
            rows_by_kind[kind].append((item_id, vector))
            dims = dims or width
    matrix = np.zeros((catalogue.size, dims), dtype=np.float32)
    for kind, pairs in rows_by_kind.items():
        if not pairs:
            continue
        item_ids = np.fromiter((pk for pk, _ in pairs), dtype=np.int64, count=len(pairs))
        rows = catalogue.rows_of(kind, item_ids)
        for row, (_, vector) in zip(rows.tolist(), pairs, strict=True):
            if row >= 0:
                values = embeddings.vector_from_bytes(vector)
                if len(values) == dims:
                    matrix[row] = values
    catalogue.embeddings = matrix


def _attach_behaviour(catalogue: Catalogue, artifact: BehaviourArtifact) -> None:
    """Re-index the artifact (built over the items known at build time) onto the rows of
    the catalogue as it is now: items added since have no behaviour yet, deleted ones go."""
    kinds, item_ids = split_keys(artifact.keys)
    mapping = np.full(len(artifact.keys), -1, dtype=np.int64)
    for kind, code in KIND_CODES.items():
        mask = kinds == code
        if mask.any():
            mapping[mask] = catalogue.rows_of(kind, item_ids[mask])
    size = catalogue.size

    coo = artifact.neighbours.tocoo()
    rows, cols = mapping[coo.row], mapping[coo.col]
    keep = (rows >= 0) & (cols >= 0)
    catalogue.neighbours = sp.csr_matrix(
        (coo.data[keep], (rows[keep], cols[keep])), shape=(size, size), dtype=np.float32
    )
    popularity = np.zeros(size, dtype=np.float32)
    known = mapping >= 0
    popularity[mapping[known]] = artifact.popularity[known]
    catalogue.popularity = popularity

    cohorts = {}
    for name, cohort in artifact.cohorts.items():
        matrix = cohort["matrix"].tocoo()
        cols = mapping[matrix.col]
        keep = cols >= 0
        remapped = sp.csr_matrix(
            (matrix.data[keep], (matrix.row[keep], cols[keep])),
            shape=(len(cohort["values"]), size),
            dtype=np.float32,
        )
        cohorts[name] = ({value: i for i, value in enumerate(cohort["values"])}, remapped)
    catalogue.cohorts = cohorts

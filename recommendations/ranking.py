"""The hybrid ranker: pure functions over an in-memory catalogue, no database.

Three signals, each scaled to [0, 1] over the candidates, are blended with the weights of
``RECOMMENDATIONS_BLEND``:

- behaviour: sum over the customer's engaged items of (their weight x the item-to-item
  similarity learnt from interactions), divided by its maximum;
- semantic: cosine between the customer's taste vector (the weighted mean of the
  embeddings of what they engaged with) and each item, negatives at zero, divided by
  its maximum; this is what lets a product nobody has bought yet be recommended;
- popularity: a prior (log of decayed distinct customers, scaled by the best seller).

A customer with no usable history gets what is popular among customers sharing their
segment, country, plan... (``RECOMMENDATIONS_COHORT_FIELDS``), with the global popularity
as a tie-break. Every recommendation names the signal that contributed most, in words.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from recommendations.behaviour import event_weights

PRODUCT = "product"
CONTENT = "content"
KINDS = (PRODUCT, CONTENT)

# Interaction kinds from the weakest to the strongest commitment: the reason for a
# recommendation names the strongest thing the customer did with the source item.
VERB_ORDER = ("view", "email_click", "click", "add_to_cart", "purchase")
CONTENT_VERBS = {"article": "read", "video": "watched", "podcast": "listened to"}
CONTENT_PLURALS = {"article": "articles", "video": "videos", "podcast": "podcasts"}
# Product interactions that mean "already has it" and content interactions that mean
# "already seen it": such items are not recommended again unless asked.
CONSUMED_PRODUCT_KINDS = frozenset({"purchase"})
CONSUMED_CONTENT_KINDS = frozenset({"view", "click", "email_click"})
REVISIT = "You looked at it recently"
REVISIT_REASONS = {"add_to_cart": "You added it to your basket", "purchase": "You bought it before"}
# Candidates looked at before the diversity cap: enough to fill a capped list.
CANDIDATE_FACTOR = 8
# Cold start: weight of each cohort field by its position in RECOMMENDATIONS_COHORT_FIELDS,
# and of the global popularity that breaks ties and covers customers in no cohort.
COHORT_DECAY = 0.5
COLD_GLOBAL_WEIGHT = 0.1


_controller: ThreadpoolController | None = None
_controller_lock = threading.Lock()
Fn = TypeVar("Fn", bound=Callable)


def single_threaded_blas(fn: Fn) -> Fn:
    """Run ``fn`` with one BLAS thread. Its products are small (thousands x 384); split over
    threads on a busy two-core machine they wait for a free core and run 10-100 times
    slower (measured: 0.15 ms single-threaded, 10-25 ms with two threads under load)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        global _controller
        if _controller is None:
            with _controller_lock:
                if _controller is None:
                    _controller = ThreadpoolController()
        with _controller.limit(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@dataclass
class Catalogue:
    """Every item of both kinds, products first, with what the ranker needs per row."""

    ids: np.ndarray  # int64 item id per row
    spans: dict[str, tuple[int, int]]  # kind -> [start, stop) rows
    names: list[str]
    categories: np.ndarray  # int32 code per row, -1 for none
    content_kinds: list[str]  # article / video / podcast; "" for products
    topics: list[str]  # first tag of a content item, category of a product
    active: np.ndarray  # bool
    embeddings: np.ndarray  # float32 rows x dims, L2-normalised, zero when missing
    neighbours: sp.csr_matrix  # rows x rows behavioural similarity
    popularity: np.ndarray  # float32 in [0, 1]
    cohorts: dict[str, tuple[dict[str, int], sp.csr_matrix]] = field(default_factory=dict)
    version: tuple = ()
    behaviour_model_id: int | None = None

    @property
    def size(self) -> int:
        return len(self.ids)

    def kind_of(self, row: int) -> str:
        for kind, (start, stop) in self.spans.items():
            if start <= row < stop:
                return kind
        raise IndexError(row)

    def row_of(self, kind: str, item_id: int) -> int | None:
        start, stop = self.spans[kind]
        ids = self.ids[start:stop]
        pos = int(np.searchsorted(ids, item_id))
        if pos < len(ids) and ids[pos] == item_id:
            return start + pos
        return None

    def rows_of(self, kind: str, item_ids: np.ndarray) -> np.ndarray:
        """Rows of the given ids, -1 where the id is unknown."""
        start, stop = self.spans[kind]
        ids = self.ids[start:stop]
        item_ids = np.asarray(item_ids, dtype=np.int64)
        if len(ids) == 0:
            return np.full(len(item_ids), -1, dtype=np.int64)
        pos = np.clip(np.searchsorted(ids, item_ids), 0, len(ids) - 1)
        found = ids[pos] == item_ids
        return np.where(found, pos + start, -1)

    def has_embeddings(self) -> bool:
        return bool(self.embeddings.size) and bool(np.any(self.embeddings))


@dataclass
class Profile:
    """What one customer engaged with, as catalogue rows and decayed weights."""

    rows: np.ndarray  # int64 catalogue rows with a positive weight
    weights: np.ndarray  # float64, > 0
    verbs: dict[int, str]  # row -> strongest interaction kind with it
    consumed: np.ndarray  # int64 rows bought (products) or already seen (content)
    cohorts: dict[str, str] = field(default_factory=dict)  # field -> value, for cold start

    @property
    def is_cold(self) -> bool:
        return len(self.rows) == 0


@dataclass(frozen=True)
class Blend:
    behaviour: float = 1.0
    semantic: float = 0.75
    popularity: float = 0.8

    @classmethod
    def from_dict(cls, values: dict | None) -> Blend:
        values = values or {}
        return cls(
            behaviour=float(values.get("behaviour", cls.behaviour)),
            semantic=float(values.get("semantic", cls.semantic)),
            popularity=float(values.get("popularity", cls.popularity)),
        )


@dataclass(frozen=True)
class Ranked:
    row: int
    score: float
    reason_code: str
    reason: str


def profile_build(
    catalogue: Catalogue,
    *,
    item_kinds: np.ndarray,
    item_ids: np.ndarray,
    kinds: np.ndarray,
    ages_days: np.ndarray,
    kind_weights: dict[str, float],
    half_life_days: float,
    cohorts: dict[str, str] | None = None,
) -> Profile:
    """Turn a customer's interactions (parallel columns) into a profile.

    Interactions with items missing from the catalogue are dropped; the weights of one item
    add up, and items whose returns cancelled their purchases drop out of the taste but stay
    "consumed" (bought once, not to be pushed again).
    """
    item_kinds = np.asarray(item_kinds).astype(str)
    kinds = np.asarray(kinds).astype(str)
    rows = np.full(len(item_kinds), -1, dtype=np.int64)
    for kind in KINDS:
        mask = item_kinds == kind
        if mask.any():
            rows[mask] = catalogue.rows_of(kind, np.asarray(item_ids)[mask])
    known = rows >= 0
    rows, kinds, ages = rows[known], kinds[known], np.asarray(ages_days, dtype=np.float64)[known]
    item_kinds = item_kinds[known]

    consumed_mask = ((item_kinds == PRODUCT) & np.isin(kinds, list(CONSUMED_PRODUCT_KINDS))) | (
        (item_kinds == CONTENT) & np.isin(kinds, list(CONSUMED_CONTENT_KINDS))
    )
    consumed = np.unique(rows[consumed_mask])

    weights = event_weights(kinds, ages, kind_weights=kind_weights, half_life_days=half_life_days)
    unique_rows, inverse = np.unique(rows, return_inverse=True)
    totals = np.bincount(inverse, weights=weights, minlength=len(unique_rows))
    keep = totals > 0
    strength = np.full(len(kinds), -1, dtype=np.int64)
    for level, kind in enumerate(VERB_ORDER):
        strength[kinds == kind] = level
    strongest = np.full(len(unique_rows), -1, dtype=np.int64)
    np.maximum.at(strongest, inverse, strength)
    verbs = {
        int(row): VERB_ORDER[level]
        for row, level in zip(unique_rows.tolist(), strongest.tolist(), strict=True)
        if level >= 0
    }
    return Profile(
        rows=unique_rows[keep],
        weights=totals[keep],
        verbs=verbs,
        consumed=consumed,
        cohorts=dict(cohorts or {}),
    )


def _scaled(values: np.ndarray) -> np.ndarray:
    values = np.clip(values, 0.0, None)
    top = values.max() if values.size else 0.0
    return values / top if top > 0 else values


@single_threaded_blas
def signal_scores(
    catalogue: Catalogue, profile: Profile, *, kind: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Behaviour, semantic and popularity scores of every item of ``kind``, each in [0, 1]."""
    start, stop = catalogue.spans[kind]
    size = stop - start
    behaviour = np.zeros(size)
    semantic = np.zeros(size)
    if len(profile.rows):
        if catalogue.neighbours.nnz:
            picked = catalogue.neighbours[profile.rows][:, start:stop]
            behaviour = _scaled(np.asarray(picked.T @ profile.weights).ravel())
        # float32 throughout: a float64 operand would make numpy copy the whole matrix.
        weights = profile.weights.astype(np.float32)
        taste = weights @ catalogue.embeddings[profile.rows]
        norm = float(np.linalg.norm(taste))
        if norm > 0:
            taste /= np.float32(norm)
            semantic = _scaled(catalogue.embeddings[start:stop] @ taste)
    popularity = catalogue.popularity[start:stop].astype(np.float64)
    return behaviour, semantic, popularity


def cohort_scores(catalogue: Catalogue, profile: Profile, *, kind: str) -> np.ndarray:
    """Cold-start scores: fields x items of ``kind``, the last row the global popularity."""
    start, stop = catalogue.spans[kind]
    rows = []
    weight = 1.0
    for name, (values, matrix) in catalogue.cohorts.items():
        value = profile.cohorts.get(name)
        row = np.zeros(stop - start)
        if value is not None and value in values:
            row = weight * matrix[values[value], start:stop].toarray().ravel()
        rows.append(row)
        weight *= COHORT_DECAY
    rows.append(COLD_GLOBAL_WEIGHT * catalogue.popularity[start:stop])
    return np.vstack(rows)


@single_threaded_blas
def rank(
    catalogue: Catalogue,
    profile: Profile,
    *,
    kind: str,
    n: int,
    blend: Blend,
    max_per_category: int = 0,
    exclude_consumed: bool = True,
) -> list[Ranked]:
    """The top ``n`` items of ``kind`` for the profile, best first, with their reasons."""
    if kind not in catalogue.spans:
        raise ValueError(f"unknown kind {kind!r}")
    start, stop = catalogue.spans[kind]
    if n <= 0 or stop == start:
        return []
    allowed = catalogue.active[start:stop].copy()
    if exclude_consumed and len(profile.consumed):
        own = profile.consumed[(profile.consumed >= start) & (profile.consumed < stop)]
        allowed[own - start] = False

    cold = profile.is_cold
    if cold:
        parts = cohort_scores(catalogue, profile, kind=kind)
    else:
        behaviour, semantic, popularity = signal_scores(catalogue, profile, kind=kind)
        parts = np.vstack(
            [
                blend.behaviour * behaviour,
                blend.semantic * semantic,
                blend.popularity * popularity,
            ]
        )
    scores = parts.sum(axis=0)
    scores[~allowed] = -np.inf
    chosen = _diverse_top(catalogue, scores, start=start, n=n, max_per_category=max_per_category)
    if cold:
        return [_cold_reason(catalogue, profile, parts, local, start) for local in chosen]
    return _warm_reasons(catalogue, profile, parts, chosen, start)


def _diverse_top(
    catalogue: Catalogue, scores: np.ndarray, *, start: int, n: int, max_per_category: int
) -> list[int]:
    """Positions (relative to ``start``) of the best-scoring items, at most
    ``max_per_category`` per category. The cap gives way only when too few categories are
    left to fill the list, so a small catalogue still gets ``n`` items."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) == 0:
        return []
    k = min(len(positive), max(n * CANDIDATE_FACTOR, 50))
    top = positive[np.argpartition(-scores[positive], k - 1)[:k]]
    # Ties (common in cold start) break on the row, so results are stable between calls.
    order = top[np.lexsort((top, -scores[top]))]
    if max_per_category <= 0:
        return order[:n].tolist()
    chosen: list[int] = []
    skipped: list[int] = []
    per_category: dict[int, int] = {}
    categories = catalogue.categories
    for local in order.tolist():
        category = int(categories[start + local])
        if category >= 0 and per_category.get(category, 0) >= max_per_category:
            skipped.append(local)
            continue
        per_category[category] = per_category.get(category, 0) + 1
        chosen.append(local)
        if len(chosen) == n:
            return chosen
    if len(chosen) < n:
        chosen.extend(skipped[: n - len(chosen)])
    return chosen


def _source_phrase(catalogue: Catalogue, row: int, verb_kind: str | None) -> str:
    name = catalogue.names[row]
    if catalogue.kind_of(row) == CONTENT:
        verb = CONTENT_VERBS.get(catalogue.content_kinds[row], "read")
        return f"you {verb} “{name}”"
    if verb_kind == "purchase":
        return f"you bought {name}"
    if verb_kind == "add_to_cart":
        return f"you added {name} to your basket"
    return f"you viewed {name}"


def _warm_reasons(
    catalogue: Catalogue, profile: Profile, parts: np.ndarray, chosen: list[int], start: int
) -> list[Ranked]:
    if not chosen:
        return []
    targets = np.asarray(chosen) + start
    # Which engaged item explains each pick: the largest weight x similarity.
    link = None
    if catalogue.neighbours.nnz:
        link = (catalogue.neighbours[profile.rows][:, targets]).toarray()
        link *= profile.weights[:, None]
    cosine = catalogue.embeddings[profile.rows] @ catalogue.embeddings[targets].T
    results = []
    for column, local in enumerate(chosen):
        row = start + local
        contributions = parts[:, local]
        score = float(contributions.sum())
        winner = int(np.argmax(contributions))
        own = profile.verbs.get(row)
        if own is not None:
            # An item the customer looked at (or left in the basket) ranks high through its
            # likeness to itself; saying so is truer than naming some other item.
            results.append(Ranked(row, score, "revisit", REVISIT_REASONS.get(own, REVISIT)))
        elif winner == 0 and link is not None and link[:, column].max() > 0:
            source = int(profile.rows[int(np.argmax(link[:, column]))])
            phrase = _source_phrase(catalogue, source, profile.verbs.get(source))
            results.append(Ranked(row, score, "behaviour", f"Because {phrase}"))
        elif winner == 1 and cosine[:, column].max() > 0:
            source = int(profile.rows[int(np.argmax(cosine[:, column]))])
            results.append(
                Ranked(row, score, "semantic", _semantic_reason(catalogue, profile, source))
            )
        else:
            results.append(_popular_reason(catalogue, profile, row, score))
    return results


def _semantic_reason(catalogue: Catalogue, profile: Profile, source: int) -> str:
    if catalogue.kind_of(source) == CONTENT:
        content_kind = catalogue.content_kinds[source]
        verb = CONTENT_VERBS.get(content_kind, "read")
        plural = CONTENT_PLURALS.get(content_kind, "articles")
        topic = catalogue.topics[source] or f"“{catalogue.names[source]}”"
        return f"Like the {plural} you {verb} on {topic}"
    return f"Similar to {catalogue.names[source]}{_product_suffix(profile.verbs.get(source))}"


def _product_suffix(verb_kind: str | None) -> str:
    if verb_kind == "purchase":
        return ", which you bought"
    if verb_kind == "add_to_cart":
        return ", which you added to your basket"
    return ", which you viewed"


def _popular_reason(catalogue: Catalogue, profile: Profile, row: int, score: float) -> Ranked:
    segment = profile.cohorts.get("segment")
    cohort = catalogue.cohorts.get("segment")
    if segment and cohort and segment in cohort[0] and cohort[1][cohort[0][segment], row] > 0:
        return Ranked(row, score, "popular_segment", f"Popular in your segment ({segment})")
    return Ranked(row, score, "popular", "Popular with other customers")


COHORT_PHRASES = {
    "segment": ("popular_segment", "Popular in your segment ({value})"),
    "country": ("popular_cohort", "Popular with customers in {value}"),
    "region": ("popular_cohort", "Popular with customers in {value}"),
    "plan": ("popular_cohort", "Popular with customers on the {value} plan"),
}


def cohort_phrase(name: str, value: str) -> tuple[str, str]:
    if name in COHORT_PHRASES:
        code, template = COHORT_PHRASES[name]
        return code, template.format(value=value)
    label = name.removeprefix("attributes.").replace("_", " ")
    return "popular_cohort", f"Popular with customers whose {label} is {value}"


def _cold_reason(
    catalogue: Catalogue, profile: Profile, parts: np.ndarray, local: int, start: int
) -> Ranked:
    contributions = parts[:, local]
    score = float(contributions.sum())
    winner = int(np.argmax(contributions))
    names = list(catalogue.cohorts)
    if winner < len(names) and contributions[winner] > 0:
        name = names[winner]
        code, text = cohort_phrase(name, profile.cohorts[name])
        return Ranked(start + local, score, code, text)
    return Ranked(start + local, score, "popular", "Popular with customers right now")


@single_threaded_blas
def similar_rank(
    catalogue: Catalogue,
    *,
    row: int,
    kind: str,
    n: int,
    blend: Blend,
) -> list[Ranked]:
    """Items of ``kind`` most like the item at ``row``, by behaviour and by meaning."""
    start, stop = catalogue.spans[kind]
    if n <= 0 or stop == start:
        return []
    behaviour = np.zeros(stop - start)
    if catalogue.neighbours.nnz:
        behaviour = _scaled(catalogue.neighbours[row, start:stop].toarray().ravel())
    semantic = _scaled(catalogue.embeddings[start:stop] @ catalogue.embeddings[row])
    parts = np.vstack([blend.behaviour * behaviour, blend.semantic * semantic])
    scores = parts.sum(axis=0)
    scores[~catalogue.active[start:stop]] = -np.inf
    if start <= row < stop:
        scores[row - start] = -np.inf
    positive = np.flatnonzero(scores > 0)
    if len(positive) == 0:
        return []
    top = positive[np.lexsort((positive, -scores[positive]))][:n]
    name = catalogue.names[row]
    source_is_content = catalogue.kind_of(row) == CONTENT
    results = []
    for local in top.tolist():
        score = float(scores[local])
        if parts[0, local] >= parts[1, local]:
            if source_is_content:
                text = f"Customers who read “{name}” also chose this"
            else:
                text = f"Often chosen together with {name}"
            results.append(Ranked(start + local, score, "behaviour", text))
        else:
            label = f"“{name}”" if source_is_content else name
            results.append(Ranked(start + local, score, "semantic", f"Similar to {label}"))
    return results

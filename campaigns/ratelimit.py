"""A token bucket shared by every worker process and thread that calls the language model.

With Redis (REDIS_URL) the bucket is a hash updated by one Lua script, atomic across
machines, timed by the Redis server's clock. Without Redis everything runs on one machine
(the filesystem broker), and the bucket is a small JSON file updated under ``flock``.

Besides tokens, the bucket holds a "paused until": a 429 with Retry-After tells every
worker to hold off, not only the one that got it.
"""

from __future__ import annotations

import fcntl
import json
import threading
import time
from pathlib import Path

from django.conf import settings


class RateLimited(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limit: next request possible in {wait:.1f}s")
        self.wait = wait


_LUA_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'paused_until')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
local paused_until = tonumber(state[3]) or 0
if now < paused_until then
  return tostring(paused_until - now)
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
return tostring(wait)
"""

_LUA_PAUSE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local until_ts = now + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'paused_until')) or 0
if until_ts > current then
  redis.call('HSET', KEYS[1], 'paused_until', tostring(until_ts))
end
redis.call('EXPIRE', KEYS[1], 3600)
return 1
"""


class RedisBucket:
    def __init__(self, url: str, key: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.key = key
        self._take = self.client.register_script(_LUA_TAKE)
        self._pause = self.client.register_script(_LUA_PAUSE)

    def try_take(self, *, rate: float, capacity: float) -> float:
        return float(self._take(keys=[self.key], args=[rate, capacity]))

    def pause(self, seconds: float) -> None:
        self._pause(keys=[self.key], args=[seconds])

    def reset(self) -> None:
        self.client.delete(self.key)


class FileBucket:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def _update(self, change) -> float:
        with open(self.path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(0)
                raw = handle.read()
                try:
                    state = json.loads(raw) if raw else {}
                except ValueError:
                    state = {}
                result = change(state, time.time())
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps(state))
                handle.flush()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return result

    def try_take(self, *, rate: float, capacity: float) -> float:
        def take(state: dict, now: float) -> float:
            paused_until = float(state.get("paused_until", 0))
            if now < paused_until:
                return paused_until - now
            tokens = float(state.get("tokens", capacity))
            ts = float(state.get("ts", now))
            tokens = min(capacity, tokens + max(0.0, now - ts) * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate
            state.update(tokens=tokens, ts=now)
            return wait

        return self._update(take)

    def pause(self, seconds: float) -> None:
        def pause(state: dict, now: float) -> float:
            state["paused_until"] = max(float(state.get("paused_until", 0)), now + seconds)
            return 0.0

        self._update(pause)

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)


_buckets: dict[tuple, RedisBucket | FileBucket] = {}
_buckets_lock = threading.Lock()


def bucket(name: str = "gemini") -> RedisBucket | FileBucket:
    redis_url = getattr(settings, "REDIS_URL", "")
    key = (name, redis_url, str(settings.VAR_DIR))
    with _buckets_lock:
        if key not in _buckets:
            if redis_url:
                _buckets[key] = RedisBucket(redis_url, f"growthai:ratelimit:{name}")
            else:
                _buckets[key] = FileBucket(Path(settings.VAR_DIR) / "ratelimit" / f"{name}.json")
        return _buckets[key]


def limits() -> tuple[float, float] | None:
    """(tokens per second, capacity), or None when the limit is off."""
    per_minute = settings.GEMINI_REQUESTS_PER_MINUTE
    if not per_minute or per_minute <= 0:
        return None
    capacity = settings.GEMINI_RATE_BURST or max(1, per_minute // 6)
    return per_minute / 60.0, float(capacity)


def acquire(*, name: str = "gemini", max_wait: float | None = None) -> float:
    """Take one token, sleeping while none is free; returns the seconds waited.

    Raises ``RateLimited`` when the wait would exceed ``max_wait`` (GEMINI_RATE_WAIT_MAX):
    better to hand the draft back to the queue than to hold a worker slot for minutes.
    """
    rate_capacity = limits()
    if rate_capacity is None:
        return 0.0
    rate, capacity = rate_capacity
    max_wait = settings.GEMINI_RATE_WAIT_MAX if max_wait is None else max_wait
    store = bucket(name)
    started = time.monotonic()
    while True:
        wait = store.try_take(rate=rate, capacity=capacity)
        if wait <= 0:
            return time.monotonic() - started
        waited = time.monotonic() - started
        if waited + wait > max_wait:
            raise RateLimited(wait)
        time.sleep(wait)


def pause(seconds: float, *, name: str = "gemini") -> None:
    """Make every worker wait ``seconds`` before its next request (a Retry-After)."""
    if seconds > 0:
        bucket(name).pause(seconds)

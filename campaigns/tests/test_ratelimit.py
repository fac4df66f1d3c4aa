"""The shared token bucket: file-backed without Redis, Redis-backed with it."""

import datetime as dt
import multiprocessing
import time
from email.utils import format_datetime

import pytest
from django.utils import timezone

from campaigns import ratelimit
from campaigns.providers.gemini import parse_retry_after

REDIS_URL_BUCKETS = ["file", "redis"]


@pytest.fixture(params=REDIS_URL_BUCKETS)
def bucket(request, settings, tmp_path):
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("REDIS_URL not set: the Redis bucket is tested in the Redis run")
        store = ratelimit.RedisBucket(settings.REDIS_URL, f"growthai:test-bucket:{time.time_ns()}")
    else:
        store = ratelimit.FileBucket(tmp_path / "bucket.json")
    yield store
    store.reset()


def _take_all(store, n, rate, capacity) -> float:
    started = time.monotonic()
    for _ in range(n):
        while (wait := store.try_take(rate=rate, capacity=capacity)) > 0:
            time.sleep(wait)
    return time.monotonic() - started


def test_bucket_spaces_requests_at_the_rate(bucket):
    # 10 per second, burst of 1: the first is free, the next five wait 0.1 s each.
    elapsed = _take_all(bucket, 6, rate=10.0, capacity=1.0)
    assert 0.45 <= elapsed < 1.5


def _worker(store, n, queue):
    queue.put(_take_all(store, n, rate=10.0, capacity=1.0))


def test_bucket_is_shared_across_processes(bucket):
    """Two processes taking 5 tokens each share one budget of 10/s: about 0.9 s in all,
    not the 0.4 s each would need alone."""
    queue = multiprocessing.get_context("fork").Queue()
    started = time.monotonic()
    procs = [
        multiprocessing.get_context("fork").Process(target=_worker, args=(bucket, 5, queue))
        for _ in range(2)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(20)
    elapsed = time.monotonic() - started
    assert all(proc.exitcode == 0 for proc in procs)
    assert elapsed >= 0.85


def test_pause_holds_everyone_off(bucket):
    bucket.pause(0.5)
    wait = bucket.try_take(rate=100.0, capacity=10.0)
    assert 0.3 < wait <= 0.5


def test_acquire_is_off_without_a_limit(settings):
    settings.GEMINI_REQUESTS_PER_MINUTE = 0
    assert ratelimit.acquire() == 0.0


def test_acquire_gives_up_past_the_longest_wait(settings):
    settings.GEMINI_REQUESTS_PER_MINUTE = 1
    settings.GEMINI_RATE_BURST = 1
    ratelimit.bucket().reset()
    ratelimit.acquire()
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.acquire(max_wait=0.2)
    assert caught.value.wait > 30
    ratelimit.bucket().reset()


def test_retry_after_forms():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = format_datetime(timezone.now() + dt.timedelta(seconds=30), usegmt=True)
    assert 25 <= parse_retry_after(later) <= 30

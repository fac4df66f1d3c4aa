"""Start a real Celery worker process against the test database and the configured broker."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from growthai.celery import app

BASE_DIR = Path(settings.BASE_DIR)


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "growthai.settings.test"
    env["GROWTHAI_VAR_DIR"] = str(settings.VAR_DIR)
    env["GROWTHAI_WORKER_DB_NAME"] = str(connection.settings_dict["NAME"])
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def running_worker(
    *,
    queues: str = "cpu,io",
    concurrency: int = 1,
    log_path: Path | None = None,
    ready_timeout: float = 60.0,
) -> Iterator[subprocess.Popen]:
    """Run ``celery worker`` until the block ends; wait until it is consuming."""
    app.control.purge()  # messages left by earlier tests must not reach this worker
    log_path = log_path or Path(settings.VAR_DIR) / f"worker-{time.time_ns()}.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "growthai",
            "worker",
            "-Q",
            queues,
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=BASE_DIR,
        env=worker_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{log_path.read_text()[-4000:]}")
            if " ready." in log_path.read_text():
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(
                f"worker not ready in {ready_timeout}s:\n{log_path.read_text()[-4000:]}"
            )
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")

"""A real Celery worker for the io queue, with the pool and options the campaigns tests need.

``growthai.tests.worker.running_worker`` starts the default (prefork) pool; drafting ships
with a threads pool, and the recovery test needs an embedded beat, so this variant takes
``pool`` and extra arguments. Environment and readiness check are the shared helper's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from growthai.celery import app
from growthai.tests.worker import BASE_DIR, worker_env


@contextmanager
def io_worker(
    *,
    name: str,
    pool: str = "threads",
    concurrency: int = 8,
    beat: bool = False,
    purge: bool = True,
    ready_timeout: float = 60.0,
) -> Iterator[subprocess.Popen]:
    if purge:
        app.control.purge()
    var = Path(settings.VAR_DIR)
    log_path = var / f"worker-{name}-{time.time_ns()}.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "growthai",
        "worker",
        "-Q",
        "io",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{name}-{os.getpid()}@%h",
    ]
    if beat:
        command += ["-B", "--schedule", str(var / f"beat-{name}-{time.time_ns()}")]
    log = open(log_path, "w")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=worker_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc.log_path = log_path
    try:
        deadline = time.monotonic() + ready_timeout
        while " ready." not in log_path.read_text():
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{log_path.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker not ready:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.2)
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


def kill_hard(proc: subprocess.Popen) -> None:
    """SIGKILL the worker and every process it started: a crash, not a shutdown."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []

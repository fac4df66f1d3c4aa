"""Benchmark: 1,000 retention drafts through real Celery workers against a fake Gemini.

    .venv/bin/python benchmarks/bench_campaigns.py [--drafts 1000] [--latency 0.5]

PostgreSQL and Redis, as in production: DATABASE_URL's server (default
postgres://postgres@127.0.0.1:5432) with its own database ``growthai_bench_campaigns``
(created and migrated when missing), REDIS_URL default redis://127.0.0.1:6379/9 (flushed
before each configuration). The fake Gemini server (campaigns/tests/fake_gemini.py, its own
process) answers every generateContent after ``--latency`` seconds, like a real model call.

Each configuration starts its io worker(s), queues the drafts through
``campaign_start_drafting`` and times until every draft is pending review. Checked after
each: drafts per second, duplicates (drafted events beyond one per draft), lost drafts (not
pending review), provider calls (counted by the fake server; must equal the drafts).

Configurations, in the same run:
- baseline: ``--pool prefork --concurrency 2`` (one process per core);
- shipped: ``--pool threads --concurrency 32``, one process, and two such processes.

Prints a table and writes benchmarks/results/campaigns.json. Target: >= 20 drafts/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_FILE = ROOT / "benchmarks" / "results" / "campaigns.json"
BENCH_DB = "growthai_bench_campaigns"
DEFAULT_DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
TARGET_PER_SECOND = 20.0
CONFIGS = [
    {"name": "baseline: prefork x2", "pool": "prefork", "concurrency": 2, "processes": 1},
    {"name": "shipped: threads x32", "pool": "threads", "concurrency": 32, "processes": 1},
    {
        "name": "shipped, 2 processes: threads x32 each",
        "pool": "threads",
        "concurrency": 32,
        "processes": 2,
    },
]


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql", "psql"}:
        sys.exit("bench_campaigns.py measures PostgreSQL: DATABASE_URL must be postgres://")
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def ensure_database(url: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{BENCH_DB}"')


def start_fake_gemini(latency: float, log: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "campaigns.tests.fake_gemini", "--delay", str(latency)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=open(log, "w"),  # noqa: SIM115 - lives as long as the process
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    line = proc.stdout.readline().strip()
    if not line.startswith("listening "):
        proc.kill()
        sys.exit(f"fake Gemini did not start: {line!r} {log.read_text()[-2000:]}")
    return proc, line.split(" ", 1)[1]


def fake_requests(base_url: str) -> int:
    with urllib.request.urlopen(base_url + "_stats", timeout=5) as response:
        return json.loads(response.read())["requests"]


def start_workers(config: dict, env: dict, var: Path) -> list[subprocess.Popen]:
    procs = []
    for index in range(config["processes"]):
        log = var / f"worker-{config['pool']}-{config['processes']}-{index}.log"
        handle = open(log, "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "growthai",
                "worker",
                "-Q",
                "io",
                "--pool",
                config["pool"],
                "--concurrency",
                str(config["concurrency"]),
                "--loglevel",
                "INFO",  # as deployed; also how readiness is seen
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"bench{index}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc.log = log
        procs.append(proc)
    deadline = time.monotonic() + 90
    for proc in procs:
        while " ready." not in proc.log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_workers(procs)
                sys.exit(f"worker did not start:\n{proc.log.read_text()[-3000:]}")
            time.sleep(0.2)
    return procs


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--drafts", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.5, help="fake model latency, s")
    parser.add_argument("--timeout", type=float, default=900, help="per configuration, s")
    parser.add_argument("--only", help="run only configurations whose name contains this")
    args = parser.parse_args()

    url = database_url()
    ensure_database(url)
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    var = Path(tempfile.mkdtemp(prefix="growthai-bench-campaigns-"))
    fake, fake_url = start_fake_gemini(args.latency, var / "fake-gemini.log")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "growthai.settings.local",
        "DEBUG": "false",
        "GROWTHAI_VAR_DIR": str(var),
        "GEMINI_API_KEY": "bench-key",
        "GEMINI_BASE_URL": fake_url,
        "GEMINI_MODEL": "gemini-bench",
        "GEMINI_TIMEOUT_SECONDS": "30",
        # High enough not to be the bottleneck, but every request still takes a token from
        # the shared Redis bucket.
        "GEMINI_REQUESTS_PER_MINUTE": "12000",
        "GEMINI_RATE_BURST": "200",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import connection

    from campaigns.models import Campaign, DraftEvent, EmailDraft, Provider
    from campaigns.services import campaign_start_drafting
    from customers.models import Customer, Segment

    call_command("migrate", verbosity=0, interactive=False)
    segment, _ = Segment.objects.get_or_create(name="Bench campaigns")
    have = Customer.objects.filter(segment=segment).count()
    if have < args.drafts:
        Customer.objects.bulk_create(
            [
                Customer(
                    external_id=f"BENCH-C-{i:06d}",
                    name=f"Bench Customer{i}",
                    email=f"bench{i}@example.com",
                    segment=segment,
                    plan="Monthly",
                    tenure_months=i % 60,
                )
                for i in range(have, args.drafts)
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )

    results = []
    try:
        for config in CONFIGS:
            if args.only and args.only not in config["name"]:
                continue
            redis.Redis.from_url(redis_url).flushdb()
            procs = start_workers(config, env, var)
            try:
                requests_before = fake_requests(fake_url)
                campaign = Campaign.objects.create(
                    name=f"bench {config['name']} {time.time():.0f}",
                    provider=Provider.GEMINI,
                    max_recipients=args.drafts,
                )
                campaign.segments.set([segment])
                started = time.perf_counter()
                queued = campaign_start_drafting(campaign_id=campaign.pk, user=None)
                published = time.perf_counter() - started
                deadline = time.monotonic() + args.timeout
                done = 0
                while time.monotonic() < deadline:
                    done = campaign.drafts.filter(status=EmailDraft.Status.PENDING_REVIEW).count()
                    if done >= queued:
                        break
                    time.sleep(0.25)
                seconds = time.perf_counter() - started
                time.sleep(1.0)  # a duplicate, if any, has time to land
            finally:
                stop_workers(procs)
            drafted = DraftEvent.objects.filter(draft__campaign=campaign, kind="drafted")
            duplicates = drafted.count() - drafted.values("draft").distinct().count()
            lost = campaign.drafts.exclude(status=EmailDraft.Status.PENDING_REVIEW).count()
            calls = fake_requests(fake_url) - requests_before
            row = {
                **config,
                "drafts": queued,
                "seconds": round(seconds, 2),
                "publish_seconds": round(published, 2),
                "drafts_per_second": round(done / seconds, 2),
                "duplicates": duplicates,
                "lost": lost,
                "provider_calls": calls,
            }
            results.append(row)
            print(
                f"{config['name']}: {row['drafts_per_second']}/s, "
                f"{duplicates} dup, {lost} lost, {calls} calls",
                flush=True,
            )
            connection.close()
    finally:
        fake.terminate()

    header = (
        f"{'configuration':42} {'drafts':>6} {'seconds':>8} {'drafts/s':>9} "
        f"{'dup':>4} {'lost':>5} {'calls':>6}"
    )
    print()
    print(f"1,000 drafts, fake Gemini latency {args.latency * 1000:.0f} ms, {os.cpu_count()} cores")
    print(header)
    print("-" * len(header))
    for row in results:
        print(
            f"{row['name']:42} {row['drafts']:>6} {row['seconds']:>8.1f} "
            f"{row['drafts_per_second']:>9.1f} {row['duplicates']:>4} {row['lost']:>5} "
            f"{row['provider_calls']:>6}"
        )
    baseline = next((r for r in results if r["pool"] == "prefork"), None)
    shipped = next((r for r in results if r["name"].startswith("shipped: ")), None)
    summary = {}
    if baseline and shipped:
        summary["speedup"] = round(shipped["drafts_per_second"] / baseline["drafts_per_second"], 1)
        print(f"\nshipped vs baseline: {summary['speedup']}x")
    ok = all(r["duplicates"] == 0 and r["lost"] == 0 for r in results)
    if shipped:
        ok = ok and shipped["drafts_per_second"] >= TARGET_PER_SECOND
        print(f"target >= {TARGET_PER_SECOND:.0f} drafts/s: {'met' if ok else 'NOT met'}")
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(
        json.dumps(
            {
                "benchmark": "campaigns",
                "drafts": args.drafts,
                "latency_seconds": args.latency,
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "target_drafts_per_second": TARGET_PER_SECOND,
                "worker_command": "celery -A growthai worker -Q io --pool threads "
                "--concurrency 32 -n io@%h",
                "results": results,
                **summary,
                "ok": ok,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS_FILE.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

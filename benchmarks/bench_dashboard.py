"""Benchmark: the executive dashboard and the customer list under 10 concurrent clients.

    .venv/bin/python benchmarks/bench_dashboard.py [--requests 300] [--seconds 60]
        [--database growthai_bench_churn] [--paths /customers/ '/customers/?risk=high' ...]

Runs against ``--database`` (default ``growthai_bench_churn``: the 100,000 demo customers
and their churn scores left by ``bench_churn.py``; when no score exists, the scoring run
service re-scores them) on the server of ``DATABASE_URL`` (default the local one). By
default it loads the dashboard (unfiltered and one segment) and the customer list in its
common variants: first page, sorted by churn risk, high risk only, a search, a deep page.
A Manager user ``bench-dashboard-manager`` is created once and signed in through a session
made in-process; its cookie is shared by the clients.

The app is served by gunicorn from the venv on 127.0.0.1:8765 (DATABASE_URL at the bench
database, REDIS_URL for the cache, DEBUG off); 10 Python threads with ``requests`` issue
``--requests`` requests per URL, or stop after ``--seconds``. Each URL is warmed up first
(one request, which fills the dashboard cache, then 3 from each client; not measured).
Reported: requests/s, p50, p95, max.

Also measured in-process: the dashboard's uncached computation (``dashboard_data`` with the
cache off), the cost of a cache miss after a new scoring run.

Prints a table and writes benchmarks/results/dashboard.json. Target: p95 <= 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS_FILE = ROOT / "benchmarks" / "results" / "dashboard.json"
BENCH_DB = "growthai_bench_churn"
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
CUSTOMER_PATHS = [
    "/customers/",
    "/customers/?sort=-churn_probability",
    "/customers/?risk=high",
    "/customers/?q=walker",
    "/customers/?page=2000",
]
HOST, PORT = "127.0.0.1", 8765
CLIENTS = 10
TARGET_P95_MS = 300.0
USERNAME = "bench-dashboard-manager"


def bench_url(database: str = BENCH_DB) -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql", "psql"}:
        sys.exit("bench_dashboard.py measures PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    return urlunsplit(parts._replace(path=f"/{database}"))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthai.settings.local")
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    from django.core.management import call_command

    # The database may come from an older checkout: bring it to this one's schema.
    call_command("migrate", verbosity=0, interactive=False)


def ensure_scores() -> dict:
    from customers.models import Customer
    from scoring.models import ChurnScore

    customers = Customer.objects.count()
    if not ChurnScore.objects.exists():
        from scoring.services import scoring_run_create, scoring_run_execute

        run = scoring_run_create(enqueue=False)
        scoring_run_execute(run_id=run.pk)
    return {"customers": customers, "scores": ChurnScore.objects.count()}


def session_cookie() -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    user, _ = User.objects.get_or_create(username=USERNAME)
    user.groups.add(Group.objects.get(name="Manager"))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def uncached_dashboard(runs: int = 3) -> dict:
    from django.test import override_settings

    from customers.selectors import customer_filter_options
    from scoring.selectors_dashboard import dashboard_data

    names = {int(pk): name for pk, name in customer_filter_options()["segments"]}
    timings = []
    with override_settings(DASHBOARD_CACHE_SECONDS=0):
        for _ in range(runs):
            start = time.perf_counter()
            dashboard_data(filters={}, segment_names=names)
            timings.append((time.perf_counter() - start) * 1000)
    return {
        "runs_ms": [round(t, 1) for t in timings],
        "median_ms": round(statistics.median(timings), 1),
    }


def start_server(url: str) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "growthai.settings.local",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "growthai.wsgi",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            "4",
            "--worker-class",
            "gthread",
            "--threads",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    import requests

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://{HOST}:{PORT}/healthz", timeout=2).status_code < 500:
                return process
        except requests.RequestException:
            time.sleep(0.3)
    process.terminate()
    sys.exit("gunicorn did not start")


def load(path: str, cookie: str, *, total: int, seconds: float) -> dict:
    import requests

    url = f"http://{HOST}:{PORT}{path}"
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + seconds

    def client():
        nonlocal issued
        with requests.Session() as http:
            http.cookies.set("sessionid", cookie)
            while True:
                with lock:
                    if issued >= total or time.monotonic() > deadline:
                        return
                    issued += 1
                start = time.perf_counter()
                response = http.get(url, timeout=60, allow_redirects=False)
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        errors.append(response.status_code)

    def warm():
        with requests.Session() as http:
            http.cookies.set("sessionid", cookie)
            for _ in range(3):
                status = http.get(url, timeout=120, allow_redirects=False).status_code
                if status != 200:
                    errors.append(status)

    # Warm-up, not measured: one request fills the cache, then every worker serves a few.
    warm_ups = [threading.Thread(target=warm) for _ in range(CLIENTS)]
    warm()
    for thread in warm_ups:
        thread.start()
    for thread in warm_ups:
        thread.join()
    if errors:
        sys.exit(f"{path} answered {errors} during warm-up")
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return {
        "path": path,
        "requests": len(latencies),
        "errors": len(errors),
        "seconds": round(wall, 2),
        "requests_per_second": round(len(latencies) / wall, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "max_ms": round(ordered[-1], 1),
        "meets_target": pct(0.95) <= TARGET_P95_MS and not errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per URL")
    parser.add_argument("--seconds", type=float, default=60.0, help="per URL, at most")
    parser.add_argument("--database", default=BENCH_DB, help="database name on the server")
    parser.add_argument("--paths", nargs="+", help="only these paths (default: every variant)")
    args = parser.parse_args()

    url = bench_url(args.database)
    setup_django(url)
    data = ensure_scores()
    cookie = session_cookie()
    from customers.models import Segment

    segment = Segment.objects.order_by("pk").first()
    uncached = uncached_dashboard()
    paths = ["/dashboard/", *CUSTOMER_PATHS]
    if segment:
        paths.insert(1, f"/dashboard/?segment={segment.pk}")
    paths = args.paths or paths
    load_before = os.getloadavg()
    server = start_server(url)
    try:
        rows = [load(path, cookie, total=args.requests, seconds=args.seconds) for path in paths]
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(
        f"\n{data['customers']:,} customers, {data['scores']:,} churn scores; "
        f"{CLIENTS} clients; gunicorn 4 workers x 2 threads on {os.cpu_count()} CPUs"
    )
    print(
        f"load average (1 min) before the run: {load_before[0]:.1f}, after: "
        f"{os.getloadavg()[0]:.1f} (other jobs share this host)"
    )
    print(f"dashboard computed without the cache (in-process): {uncached['median_ms']} ms median")
    header = (
        f"{'path':<38}{'requests':>9}{'errors':>8}{'req/s':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  target"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['path']:<38}{row['requests']:>9}{row['errors']:>8}{row['requests_per_second']:>8}"
            f"{row['p50_ms']:>9}{row['p95_ms']:>9}{row['max_ms']:>9}  "
            f"{'ok' if row['meets_target'] else 'MISSED'} (p95 <= {TARGET_P95_MS:.0f})"
        )
    result = {
        "benchmark": "dashboard",
        "database": args.database,
        "data": data,
        "clients": CLIENTS,
        "server": "gunicorn 4 workers x 2 threads (gthread), 127.0.0.1:8765",
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "python": platform.python_version(),
        "target_p95_ms": TARGET_P95_MS,
        "dashboard_uncached_in_process": uncached,
        "results": rows,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {RESULTS_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""Benchmark: import the full UCI Online Retail file on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anything .venv/bin/python \
        benchmarks/bench_import.py

Uses its own database, ``growthai_bench`` on the same server (created and migrated when
missing, emptied before every run). Each measurement runs in a child process so its peak
RSS is its own (the kernel's rusage of that child, as ``RUSAGE_CHILDREN`` reports it):

- parse-only: gunzip + csv.reader over every row, the floor for any import;
- copy: raw psycopg COPY of every row into an UNLOGGED staging table, the write ceiling;
- import: ``customers.importing.services.import_file(kind="online_retail")``.

Prints a table and writes benchmarks/results/import.json. Targets: the import under 60 s
and under 1 GB peak RSS.
"""

import argparse
import csv
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATA_FILE = Path("/work/shared/data/online_retail.csv.gz")
RESULTS_FILE = ROOT / "benchmarks" / "results" / "import.json"
BENCH_DB = "growthai_bench"
TARGET_SECONDS = 60
TARGET_PEAK_MB = 1024


def bench_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def admin_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def require_postgres() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql", "psql"}:
        sys.exit(
            "bench_import.py measures PostgreSQL: set DATABASE_URL to a postgres:// URL "
            "(the benchmark uses its own database, growthai_bench, on that server)."
        )
    return url


def ensure_database(url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(url), autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{BENCH_DB}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = bench_url(url)
    os.environ["DJANGO_SETTINGS_MODULE"] = "growthai.settings.local"
    # The benchmark's progress writes should not need a Redis server.
    os.environ.setdefault("GROWTHAI_VAR_DIR", tempfile.mkdtemp(prefix="growthai-bench-"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- the measured work, each run in its own child process -------------------------------


def child_parse() -> int:
    rows = 0
    with gzip.open(DATA_FILE, "rt", encoding="utf-8", newline="") as text:
        for _ in csv.reader(text):
            rows += 1
    return rows - 1


def child_copy(url: str) -> int:
    import psycopg

    with psycopg.connect(bench_url(url)) as connection:
        connection.execute("DROP TABLE IF EXISTS bench_retail_staging")
        connection.execute(
            """
            CREATE UNLOGGED TABLE bench_retail_staging (
                invoice_no text, stock_code text, description text, quantity integer,
                invoice_date timestamp, unit_price numeric(12, 3), customer_id integer,
                country text
            )
            """
        )
        with (
            connection.cursor() as cursor,
            cursor.copy("COPY bench_retail_staging FROM STDIN (FORMAT csv, HEADER true)") as copy,
            open(DATA_FILE, "rb") as raw,
            gzip.GzipFile(fileobj=raw) as unzipped,
        ):
            while chunk := unzipped.read(1024 * 1024):
                copy.write(chunk)
        rows = connection.execute("SELECT count(*) FROM bench_retail_staging").fetchone()[0]
        connection.execute("DROP TABLE bench_retail_staging")
    return rows


def child_import(url: str, batch_size: int) -> dict:
    setup_django(url)
    from customers.importing.services import import_file

    report = import_file(
        kind="online_retail", path_or_file=DATA_FILE, batch_size=batch_size, partial=False
    )
    summary = report.to_dict()
    summary["rejected"] = summary["rejected"][:20]
    return summary


def run_child(mode: str, batch_size: int) -> dict:
    """Run one measurement in a fresh interpreter; time it and read its own peak RSS."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, __file__, "--child", mode, "--batch-size", str(batch_size)],
            stdout=out,
            env=os.environ.copy(),
        )
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would mix in earlier children.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if process.returncode != 0:
        sys.exit(f"The {mode} run failed (exit {process.returncode}):\n{output}")
    result = json.loads(output.strip().splitlines()[-1])
    # ru_maxrss is in kilobytes on Linux.
    result.update(
        seconds=round(seconds, 2),
        # The child's own CPU time; the database server's work is in the wall time only.
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2),
        peak_mb=round(usage.ru_maxrss / 1024, 1),
    )
    return result


def empty_tables(url: str) -> None:
    import psycopg

    with psycopg.connect(bench_url(url)) as connection:
        connection.execute(
            "TRUNCATE customers_interaction, customers_customer, customers_product, "
            "customers_contentitem, customers_segment RESTART IDENTITY CASCADE"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=["parse", "copy", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()
    url = require_postgres()

    if args.child == "parse":
        print(json.dumps({"rows": child_parse()}))
        return
    if args.child == "copy":
        print(json.dumps({"rows": child_copy(url)}))
        return
    if args.child == "import":
        report = child_import(url, args.batch_size)
        print(json.dumps({"rows": report["rows_read"], "report": report}))
        return

    ensure_database(url)
    print(f"Migrating {BENCH_DB}...", file=sys.stderr)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        check=True,
        env={
            **os.environ,
            "DATABASE_URL": bench_url(url),
            "DJANGO_SETTINGS_MODULE": "growthai.settings.local",
        },
    )
    empty_tables(url)

    load_before = f"{os.getloadavg()[0]:.2f}"
    results = {}
    for mode in ("parse", "copy", "import"):
        print(f"Running {mode}...", file=sys.stderr)
        results[mode] = run_child(mode, args.batch_size)

    names = {
        "parse": "parse only (gunzip + csv)",
        "copy": "psycopg COPY (unlogged)",
        "import": "import_file(online_retail)",
    }
    print(f"\n{'name':<30} {'seconds':>9} {'rows/s':>10} {'peak MB':>9} {'client CPU s':>13}")
    for mode, result in results.items():
        rate = result["rows"] / result["seconds"] if result["seconds"] else 0
        result["rows_per_second"] = round(rate)
        print(
            f"{names[mode]:<30} {result['seconds']:>9.2f} {rate:>10,.0f} "
            f"{result['peak_mb']:>9.1f} {result['cpu_seconds']:>13.2f}"
        )
    # Other work on the machine (or the server) shows up as wall time: say how busy it was.
    print(f"Load average before / after: {load_before} / {os.getloadavg()[0]:.2f}")

    report = results["import"]["report"]
    print("\nImport report:")
    for label in ("created", "updated", "skipped", "notes"):
        print(f"  {label}: {report[label]}")
    print(f"  rejected: {report['rows_rejected']}, committed: {report['committed']}")
    within = (
        results["import"]["seconds"] < TARGET_SECONDS
        and results["import"]["peak_mb"] < TARGET_PEAK_MB
    )
    print(
        f"\nTarget (< {TARGET_SECONDS} s, < {TARGET_PEAK_MB} MB): {'met' if within else 'MISSED'}"
    )

    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(
        json.dumps(
            {
                "file": str(DATA_FILE),
                "database": "postgresql",
                "batch_size": args.batch_size,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "target": {"seconds": TARGET_SECONDS, "peak_mb": TARGET_PEAK_MB},
                "target_met": within,
                "load_average_before": float(load_before),
                "load_average_after": round(os.getloadavg()[0], 2),
                "results": {names[mode]: result for mode, result in results.items()},
            },
            indent=2,
        )
        + "\n"
    )
    print(f"Wrote {RESULTS_FILE.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()

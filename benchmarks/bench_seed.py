"""Benchmark: ``demo_data_seed(customers=100_000)`` on PostgreSQL.

    .venv/bin/python benchmarks/bench_seed.py [--customers N] [--seed S]

Uses its own database, ``growthai_bench_seed``, on the server DATABASE_URL points at
(default postgres://postgres@127.0.0.1:5432/growthai_bench_seed; only the server part of
DATABASE_URL is used, so ``run_all.py``'s shared default does not collide with other
benchmarks). The database is created and migrated when missing and its demo tables are
emptied before the run. Each measurement runs in a child process so its peak RSS is its own:

- generate: the numpy generation alone (customers and events as arrays), no database;
- build: generation plus the Django model instances ``bulk_create`` would get, no database;
- copy: the same interaction rows written with psycopg COPY into a copy of the interaction
  table (same indexes and checks, no foreign keys): the write ceiling for PostgreSQL;
- seed: ``customers.demo.demo_data_seed``, the real thing, in one transaction;
- reset: ``customers.demo.demo_data_delete`` of what the seed wrote.

Prints a table and writes benchmarks/results/seed.json. Target: the seed within a few
minutes (under 10) and under 1 GB peak RSS.
"""

import argparse
import datetime as dt
import io
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
RESULTS_FILE = ROOT / "benchmarks" / "results" / "seed.json"
BENCH_DB = "growthai_bench_seed"
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
AS_OF = dt.date(2026, 11, 1)  # fixed, so every run writes identical rows
TARGET_SECONDS = 600
TARGET_PEAK_MB = 1024


def server_url(database: str) -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql", "psql"}:
        sys.exit("bench_seed.py measures PostgreSQL: DATABASE_URL must be a postgres:// URL.")
    return urlunsplit(parts._replace(path=f"/{database}"))


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(server_url("postgres"), autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{BENCH_DB}"')


def django_env() -> dict:
    return {
        **os.environ,
        "DATABASE_URL": server_url(BENCH_DB),
        "DJANGO_SETTINGS_MODULE": "growthai.settings.local",
        # Nothing here needs the app's cache or broker folders; keep them out of var/.
        "GROWTHAI_VAR_DIR": os.environ.get("GROWTHAI_VAR_DIR")
        or tempfile.mkdtemp(prefix="growthai-bench-"),
    }


def setup_django() -> None:
    os.environ.update(django_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- the measured work, each run in its own child process -------------------------------


def child_generate(customers: int, seed: int) -> dict:
    setup_django()
    from customers.demo import demo_data_generate

    events = 0
    for chunk in demo_data_generate(customers=customers, seed=seed, as_of=AS_OF):
        events += len(chunk.event_kind)
    return {"customers": customers, "interactions": events}


def child_build(customers: int, seed: int) -> dict:
    setup_django()
    import numpy as np

    from customers.demo import (
        _chunks_generate,
        catalogue_build,
        customer_objects_build,
        interaction_objects_build,
    )

    catalogue = catalogue_build(seed=seed, as_of=AS_OF)
    prices = [p.price for p in catalogue.products]
    events = 0
    for chunk in _chunks_generate(customers=customers, seed=seed, catalogue=catalogue):
        customer_objects_build(chunk=chunk, as_of=AS_OF, segment_ids=[1, 2, 3, 4])
        for start in range(0, len(chunk.event_kind), 5000):
            events += len(
                interaction_objects_build(
                    chunk=chunk,
                    as_of=AS_OF,
                    customer_ids=np.arange(chunk.size) + 1,
                    product_ids=np.arange(len(catalogue.products)) + 1,
                    content_ids=np.arange(len(catalogue.content)) + 1,
                    product_prices=prices,
                    start=start,
                    stop=start + 5000,
                )
            )
    return {"customers": customers, "interactions": events}


def child_copy(customers: int, seed: int) -> dict:
    setup_django()
    import numpy as np
    from django.db import connection, transaction

    from customers.demo import (
        EVENT_KIND_NAMES,
        VALUE_CODES,
        _chunks_generate,
        _cutoff,
        catalogue_build,
    )

    catalogue = catalogue_build(seed=seed, as_of=AS_OF)
    prices = catalogue.product_prices
    cutoff = int(_cutoff(AS_OF).timestamp())
    kinds = np.array(EVENT_KIND_NAMES)
    events = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_seed_interaction")
        cursor.execute(
            "CREATE TABLE bench_seed_interaction (LIKE customers_interaction INCLUDING ALL)"
        )
        copy_sql = (
            "COPY bench_seed_interaction (customer_id, product_id, content_item_id, kind, "
            "quantity, value, occurred_at) FROM STDIN"
        )
        for chunk in _chunks_generate(customers=customers, seed=seed, catalogue=catalogue):
            product = chunk.event_product
            value = np.where(
                np.isin(chunk.event_kind, VALUE_CODES),
                np.char.mod("%.2f", prices[np.maximum(product, 0)] * chunk.event_quantity),
                "\\N",
            )
            occurred = (cutoff - chunk.event_seconds_ago).astype("datetime64[s]").astype(str)
            columns = [
                (chunk.event_customer + chunk.start + 1).astype(str),
                np.where(product >= 0, (product + 1).astype(str), "\\N"),
                np.where(chunk.event_content >= 0, (chunk.event_content + 1).astype(str), "\\N"),
                kinds[chunk.event_kind],
                chunk.event_quantity.astype(str),
                value,
                np.char.add(occurred, "+00"),
            ]
            text = io.StringIO()
            text.writelines("\t".join(row) + "\n" for row in zip(*columns, strict=True))
            with cursor.cursor.copy(copy_sql) as copy:
                copy.write(text.getvalue())
            events += len(chunk.event_kind)
        cursor.execute("DROP TABLE bench_seed_interaction")
    return {"customers": customers, "interactions": events}


def child_seed(customers: int, seed: int) -> dict:
    setup_django()
    from customers.demo import demo_data_seed

    summary = demo_data_seed(customers=customers, seed=seed, as_of=AS_OF)
    return {
        "customers": summary.customers,
        "interactions": summary.interactions,
        "churn_rate": round(summary.churn_rate, 4),
        "unknown": summary.unknown,
        "products": summary.products,
        "content_items": summary.content_items,
    }


def child_reset(customers: int, seed: int) -> dict:
    setup_django()
    from customers.demo import demo_data_delete

    deleted = demo_data_delete()
    return {"customers": deleted["customers"], "interactions": deleted["interactions"]}


CHILDREN = {
    "generate": child_generate,
    "build": child_build,
    "copy": child_copy,
    "seed": child_seed,
    "reset": child_reset,
}
NAMES = {
    "generate": "numpy generation only",
    "build": "generation + model objects",
    "copy": "psycopg COPY (ceiling)",
    "seed": "demo_data_seed",
    "reset": "demo_data_delete (reset)",
}


def run_child(mode: str, customers: int, seed: int) -> dict:
    """Run one measurement in a fresh interpreter; time it and read its own peak RSS."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        command = [sys.executable, __file__, f"--child={mode}", f"--customers={customers}"]
        process = subprocess.Popen(
            [*command, f"--seed={seed}"],
            stdout=out,
            env=os.environ.copy(),
        )
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would mix in earlier children.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if returncode != 0:
        sys.exit(f"The {mode} run failed (exit {returncode}):\n{output}")
    result = json.loads(output.strip().splitlines()[-1])
    rows = result["customers"] + result["interactions"]
    result.update(
        seconds=round(seconds, 2),
        rows_per_second=round(rows / seconds) if seconds else 0,
        peak_mb=round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
    )
    return result


def empty_tables() -> None:
    import psycopg

    with psycopg.connect(server_url(BENCH_DB)) as connection:
        connection.execute(
            "TRUNCATE customers_interaction, customers_customer, customers_product, "
            "customers_contentitem, customers_segment RESTART IDENTITY CASCADE"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(CHILDREN[args.child](args.customers, args.seed)))
        return

    ensure_database()
    print(f"Migrating {BENCH_DB}...", file=sys.stderr)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        check=True,
        env=django_env(),
    )
    empty_tables()

    results = {}
    for mode in ("generate", "build", "copy", "seed", "reset"):
        print(f"Running {mode} ({args.customers:,} customers)...", file=sys.stderr)
        results[mode] = run_child(mode, args.customers, args.seed)

    print(
        f"\n{'name':<30} {'customers':>10} {'interactions':>13} {'seconds':>9} "
        f"{'rows/s':>9} {'peak MB':>8}"
    )
    for mode, result in results.items():
        print(
            f"{NAMES[mode]:<30} {result['customers']:>10,} {result['interactions']:>13,} "
            f"{result['seconds']:>9.2f} {result['rows_per_second']:>9,} {result['peak_mb']:>8.1f}"
        )
    seed = results["seed"]
    write_seconds = seed["seconds"] - results["generate"]["seconds"]
    print(
        f"\nWrite cost (seed minus numpy generation): {write_seconds:.1f} s; "
        f"churn rate {seed['churn_rate']:.1%}, {seed['unknown']:,} unknown labels."
    )
    within = seed["seconds"] < TARGET_SECONDS and seed["peak_mb"] < TARGET_PEAK_MB
    print(f"Target (< {TARGET_SECONDS} s, < {TARGET_PEAK_MB} MB): {'met' if within else 'MISSED'}")

    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(
        json.dumps(
            {
                "database": "postgresql",
                "customers": args.customers,
                "seed": args.seed,
                "as_of": AS_OF.isoformat(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "target": {"seconds": TARGET_SECONDS, "peak_mb": TARGET_PEAK_MB},
                "target_met": within,
                "write_seconds": round(write_seconds, 2),
                "results": {NAMES[mode]: result for mode, result in results.items()},
            },
            indent=2,
        )
        + "\n"
    )
    print(f"Wrote {RESULTS_FILE.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()

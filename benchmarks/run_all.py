"""Run every benchmarks/bench_*.py in turn (or the ones named), then print where the JSON went.

The benchmarks measure on PostgreSQL; DATABASE_URL defaults to the local server. Each script
prints its own table (ours next to its baselines, measured in the same run) and writes
benchmarks/results/<name>.json.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "names", nargs="*", help="benchmarks to run, e.g. import seed (default: all)"
    )
    args = parser.parse_args()

    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        wanted = {
            f"bench_{name.removeprefix('bench_').removesuffix('.py')}.py" for name in args.names
        }
        unknown = wanted - {s.name for s in scripts}
        if unknown:
            known = ", ".join(s.stem.removeprefix("bench_") for s in scripts)
            print(
                f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {known}",
                file=sys.stderr,
            )
            return 2
        scripts = [s for s in scripts if s.name in wanted]

    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/growthai_bench")
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent, env=env)
        print(f"--- {script.stem}: exit {code} in {time.perf_counter() - started:.1f}s", flush=True)
        if code:
            failed.append(script.stem)
    print(f"\nJSON results in {HERE / 'results'}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

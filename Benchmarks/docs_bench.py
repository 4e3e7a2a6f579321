#!/usr/bin/env python3
"""Times `strata docs generate --no-catalog` and the generated site's first render in headless Chromium on
generated dbt-style projects (../shared/bench/gen_project.py, the same projects compile_bench.py uses).

For each size: docs generation wall time and peak memory (median of --runs), the site's size on disk, and the
first render: the page records `performance.now()` once its data is loaded, the list is built and the whole
lineage graph is drawn (`data-render-ms` on <body>), read with `chromium --dump-dom` (median of --runs).

Usage: Benchmarks/docs_bench.py [--sizes 1000 10000] [--runs 5] [--strata .build/release/strata]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compile_bench import ROOT, ensure_project, find_generator  # noqa: E402


def chromium_render_ms(index):
    profile = tempfile.mkdtemp(prefix="strata-bench-chromium-")
    try:
        proc = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                               "--user-data-dir=" + profile, "--window-size=1280,800", "--virtual-time-budget=20000",
                               "--dump-dom", "file://" + index], capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    m = re.search(r'data-render-ms="(\d+)"', proc.stdout)
    drawn = re.search(r'data-drawn="(\d+)"', proc.stdout)
    if not m:
        sys.exit("the site did not render:\n" + proc.stdout[:2000] + proc.stderr[-2000:])
    return int(m.group(1)), int(drawn.group(1)) if drawn else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--strata", default=os.path.join(ROOT, ".build", "release", "strata"))
    args = ap.parse_args()
    if not os.path.exists(args.strata):
        sys.exit(f"{args.strata} missing: run `swift build -c release --product strata` first")
    gen = find_generator()
    print(f"machine: {os.cpu_count()} cores; strata: {args.strata}")
    print(f"{'models':>7} {'nodes':>6} {'generate s':>11} {'min':>6} {'max':>6} {'peak MiB':>9} {'site MB':>8} {'render ms':>10} {'drawn':>6}")
    for n in args.sizes:
        project = ensure_project(gen, n)
        walls, peaks = [], []
        for _ in range(args.runs + 1):
            start = time.perf_counter()
            proc = subprocess.run(["/usr/bin/time", "-f", "%M", args.strata, "docs", "generate", "--no-catalog", "--project-dir", project],
                                  capture_output=True, text=True)
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                sys.exit(f"docs generate failed:\n{proc.stdout}\n{proc.stderr}")
            walls.append(wall)
            peaks.append(int(proc.stderr.strip().splitlines()[-1]) / 1024)
        walls, peaks = walls[1:], peaks[1:]   # the first run warms the page cache
        docs = os.path.join(project, "target", "docs")
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(docs) for f in fs) / 1e6
        nodes = int(re.search(r"(\d+) nodes", proc.stdout).group(1))
        renders = [chromium_render_ms(os.path.join(docs, "index.html")) for _ in range(args.runs)]
        print(f"{n:>7} {nodes:>6} {statistics.median(walls):>11.3f} {min(walls):>6.3f} {max(walls):>6.3f} {statistics.median(peaks):>9.1f} "
              f"{size:>8.1f} {statistics.median(r[0] for r in renders):>10.0f} {renders[0][1]:>6}")


if __name__ == "__main__":
    main()

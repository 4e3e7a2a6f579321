#!/usr/bin/env python3
"""Times `strata compile` on generated dbt-style projects (../shared/bench/gen_project.py).

Each size is generated once into .build/bench/<N>. Three modes are timed: "cold" runs start with target/
removed, so every compiled file is created anew; "warm" runs find target/ from the previous compile
(unchanged files are not rewritten); "one-file" runs edit one staging model before each compile. Prints the median and spread of wall time and peak memory (GNU
time's maximum resident set size) for each size and mode.

Usage: Benchmarks/compile_bench.py [--sizes 1000 10000] [--runs 5] [--strata .build/release/strata]
"""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_generator():
    for candidate in (os.path.join(ROOT, "..", "shared", "bench", "gen_project.py"),
                      os.environ.get("STRATA_GEN_PROJECT", "")):
        if candidate and os.path.exists(candidate):
            return os.path.abspath(candidate)
    sys.exit("gen_project.py not found: expected ../shared/bench/gen_project.py or STRATA_GEN_PROJECT")


def ensure_project(gen, n):
    """The generated project of n models under .build/bench/<n>, generated once."""
    project = os.path.join(ROOT, ".build", "bench", str(n))
    if not os.path.exists(os.path.join(project, "dbt_project.yml")):
        subprocess.run([sys.executable, gen, "--models", str(n), "--out", project], check=True, capture_output=True)
    return project


def run_once(strata, project, cold):
    if cold:
        shutil.rmtree(os.path.join(project, "target"), ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", strata, "compile", "--project-dir", project],
                          capture_output=True, text=True, env={**os.environ, "STRATA_TIMINGS": "1"})
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"strata compile failed on {project}:\n{proc.stdout}\n{proc.stderr}")
    lines = proc.stderr.strip().splitlines()
    peak_kb = int(lines[-1])
    # "timings: load 0.5, compile 0.5 (macros 0.0, parse 0.1, graph 0.2, render 0.2, link 0.05), write 0.8"
    phases = {}
    for line in lines:
        if line.startswith("timings:"):
            for part in line[len("timings:"):].replace("(", ",").replace(")", "").split(","):
                name, _, value = part.strip().rpartition(" ")
                if name:
                    phases[name] = float(value)
    return wall, peak_kb / 1024, phases


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
    print(f"{'models':>7} {'mode':>5} {'median s':>9} {'min s':>7} {'max s':>7} {'peak MiB':>9}   median phases (s)")
    for n in args.sizes:
        project = ensure_project(gen, n)
        run_once(args.strata, project, cold=True)  # fill the page cache with the project's files
        for mode in ("cold", "warm", "one-file"):
            results = []
            for i in range(args.runs):
                if mode == "one-file":
                    # one model edited between compiles, as while developing
                    edited = sorted(glob.glob(os.path.join(project, "models", "staging", "*.sql")))[0]
                    with open(edited, "a") as f:
                        f.write(f"\n-- edit {i}\n")
                results.append(run_once(args.strata, project, cold=(mode == "cold")))
            walls = [w for w, _, _ in results]
            peaks = [m for _, m, _ in results]
            names = list(results[0][2].keys())
            phases = "  ".join(f"{k} {statistics.median(r[2].get(k, 0) for r in results):.3f}" for k in names)
            print(f"{n:>7} {mode:>5} {statistics.median(walls):>9.3f} {min(walls):>7.3f} {max(walls):>7.3f} {statistics.median(peaks):>9.1f}   {phases}")


if __name__ == "__main__":
    main()

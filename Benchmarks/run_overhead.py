#!/usr/bin/env python3
"""Per-model overhead of `strata run`: wall time beyond the database's own statement time.

A private server (its own directory under .build/bench-overhead) runs with pg_stat_statements and
track_planning on. For each size N (100, 1,000 small models: half views, half tables, each `select` of a few
literal rows, in 10 layers) and each thread count, the statistics are reset, `strata run` is timed
(STRATA_TIMINGS=1 gives load and compile), and the database time is the sum of execution and planning time of
every statement the run sent (catalog queries, DDL, the models' own SQL). With one thread:

    overhead per model = (wall - load - compile - database time) / N

which is what Strata itself costs per model: process start, planning, the round trips, building SQL text,
libpq, scheduling. With 4 threads the wall time per model is reported (database time overlaps).

Usage: Benchmarks/run_overhead.py [--sizes 100 1000] [--threads 1 4] [--runs 3]
"""
import argparse, os, re, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRATA = os.environ.get("STRATA_BIN") or os.path.join(ROOT, ".build", "release", "strata")


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def psql(conninfo, sql):
    return sh("psql", conninfo, "-X", "-A", "-t", "-q", "-c", sql).strip()


def make_project(path, n):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(os.path.join(path, "models"))
    with open(os.path.join(path, "strata.yml"), "w") as f:
        f.write("name: overhead\n")
    per_layer = max(1, n // 10)
    for i in range(n):
        layer = i // per_layer
        kind = "table" if i % 2 else "view"
        if layer == 0:
            body = "select g as id, g * 2 as v from generate_series(1, 10) g"
        else:
            up = (layer - 1) * per_layer + (i % per_layer)
            body = f"select id, v + 1 as v from {{{{ ref('m{up:05d}') }}}}"
        with open(os.path.join(path, "models", f"m{i:05d}.sql"), "w") as f:
            f.write(f"{{{{ config(materialized='{kind}') }}}}\n{body}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not os.path.exists(STRATA):
        sys.exit(f"{STRATA} missing: run `swift build -c release --product strata` first")
    server = os.path.join(ROOT, ".build", "bench-overhead", "server")
    conninfo = sh(STRATA, "server", "start", "--server-dir", server).strip().splitlines()[-1].removeprefix("running: ")
    if psql(conninfo, "show shared_preload_libraries") != "pg_stat_statements":
        psql(conninfo, "alter system set shared_preload_libraries = 'pg_stat_statements'")
        sh(STRATA, "server", "stop", "--server-dir", server)
        conninfo = sh(STRATA, "server", "start", "--server-dir", server).strip().splitlines()[-1].removeprefix("running: ")
    psql(conninfo, "create extension if not exists pg_stat_statements")
    psql(conninfo, "alter system set pg_stat_statements.track_planning = on")
    psql(conninfo, "select pg_reload_conf()")
    print(f"machine: {os.cpu_count()} cores; PostgreSQL {psql(conninfo, 'show server_version')}")
    print(f"{'models':>6} {'threads':>7} {'wall s':>7} {'load+compile s':>14} {'db s':>6} {'per model ms':>12} {'overhead/model ms':>17} {'peak MiB':>9}")
    for n in args.sizes:
        project = os.path.join(ROOT, ".build", "bench-overhead", f"p{n}")
        make_project(project, n)
        sh(STRATA, "run", "--project-dir", project, "--database-url", conninfo)   # create everything once
        for threads in args.threads:
            rows = []
            for _ in range(args.runs):
                psql(conninfo, "select pg_stat_statements_reset()")
                start = time.perf_counter()
                proc = subprocess.run(["/usr/bin/time", "-f", "peak %M", STRATA, "run", "--project-dir", project, "--database-url", conninfo,
                                       "--threads", str(threads)], capture_output=True, text=True, env={**os.environ, "STRATA_TIMINGS": "1"})
                wall = time.perf_counter() - start
                if proc.returncode != 0:
                    sys.exit(proc.stdout + proc.stderr)
                m = re.search(r"timings: load ([\d.]+), compile ([\d.]+)", proc.stderr)
                front = float(m.group(1)) + float(m.group(2))
                db = float(psql(conninfo, "select coalesce(sum(total_exec_time + total_plan_time), 0) / 1000 from pg_stat_statements "
                                          "where query not like '%pg_stat_statements%'"))
                peak = int(re.search(r"peak (\d+)", proc.stderr).group(1)) / 1024
                rows.append((wall, front, db, peak))
            wall, front, db, peak = (statistics.median(r[i] for r in rows) for i in range(4))
            overhead = (wall - front - db) / n * 1000 if threads == 1 else float("nan")
            print(f"{n:>6} {threads:>7} {wall:>7.2f} {front:>14.2f} {db:>6.2f} {wall / n * 1000:>12.2f} {overhead:>17.2f} {peak:>9.1f}")
    sh(STRATA, "server", "stop", "--server-dir", server)


if __name__ == "__main__":
    main()

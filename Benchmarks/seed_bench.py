#!/usr/bin/env python3
"""Seed 1,000,000 rows x 8 columns with `strata seed`, side by side with `psql \\copy` of the same file into a
table of the same types, on Strata's private PostgreSQL; alternating runs, medians, ratio (issue target: 1.3x).

Usage: Benchmarks/seed_bench.py [--rows 1000000] [--runs 5]
"""
import argparse, datetime, os, random, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRATA = os.path.join(ROOT, ".build", "release", "strata")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    project = os.path.join(ROOT, ".build", "bench-seed")
    os.makedirs(os.path.join(project, "seeds"), exist_ok=True)
    with open(os.path.join(project, "strata.yml"), "w") as f:
        f.write("name: seedbench\n")
    csv = os.path.join(project, "seeds", "big.csv")
    r, base = random.Random(1), datetime.date(2022, 1, 1)
    statuses = ["placed", "shipped", "completed", "returned", "cancelled"]
    with open(csv, "w") as f:
        f.write("id,customer_id,product_id,order_date,status,quantity,amount,updated_at\n")
        for i in range(1, args.rows + 1):
            d = r.randrange(1000)
            f.write(f"{i},{r.randrange(1, 5000)},{r.randrange(1, 500)},{base + datetime.timedelta(days=d)},{statuses[r.randrange(5)]},"
                    f"{r.randrange(1, 10)},{r.randrange(100, 100000) / 100:.2f},{base + datetime.timedelta(days=d)} 12:{r.randrange(60):02d}:00\n")
    subprocess.run([STRATA, "server", "start", "--project-dir", project], check=True, capture_output=True)
    socket = os.path.join(project, ".strata", "postgres", "run")
    psql = ["psql", "-h", socket, "-U", "postgres", "-d", "strata", "-q", "-v", "ON_ERROR_STOP=1"]
    subprocess.run(psql + ["-c", "drop table if exists public.psql_big; create table public.psql_big (id integer, customer_id integer, "
                   "product_id integer, order_date date, status text, quantity integer, amount numeric, updated_at timestamp)"], check=True)
    strata_t, psql_t, peaks = [], [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", STRATA, "seed", "--project-dir", project], check=True, capture_output=True, text=True)
        strata_t.append(time.perf_counter() - start)
        peaks.append(int(proc.stderr.strip().splitlines()[-1]) / 1024)
        subprocess.run(psql + ["-c", "truncate public.psql_big"], check=True)
        start = time.perf_counter()
        subprocess.run(psql + ["-c", f"\\copy public.psql_big from '{csv}' with (format csv, header true)"], check=True)
        psql_t.append(time.perf_counter() - start)
    s, p = statistics.median(strata_t), statistics.median(psql_t)
    print(f"{args.rows} rows x 8 columns ({os.path.getsize(csv) / 1e6:.0f} MB), {args.runs} runs alternating")
    print(f"strata seed {s:.2f} s (peak {statistics.median(peaks):.0f} MiB)   psql \\copy {p:.2f} s   ratio {s / p:.2f}")
    subprocess.run([STRATA, "server", "stop", "--project-dir", project], capture_output=True)


if __name__ == "__main__":
    main()

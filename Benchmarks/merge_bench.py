#!/usr/bin/env python3
"""Incremental merge: 10,000 changed or new rows into a 1,000,000-row table. Times `strata run` of an incremental
model (unique_key, incremental_strategy='merge') against the single hand-written MERGE of the same rows into a
copy of the same table, on Strata's private PostgreSQL; alternating, medians, ratio (issue target: 1.2x).

Usage: Benchmarks/merge_bench.py [--rows 1000000] [--changes 10000] [--runs 5]
"""
import argparse, os, statistics, subprocess, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRATA = os.path.join(ROOT, ".build", "release", "strata")
COLUMNS = "event_id, user_id, event_type, amount, created_at, updated_at"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--changes", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    project = os.path.join(ROOT, ".build", "bench-merge")
    os.makedirs(os.path.join(project, "models"), exist_ok=True)
    with open(os.path.join(project, "strata.yml"), "w") as f:
        f.write("name: mergebench\n")
    with open(os.path.join(project, "models", "sources.yml"), "w") as f:
        f.write("sources:\n  - name: src\n    schema: bench_src\n    tables:\n      - name: events\n")
    with open(os.path.join(project, "models", "events_merge.sql"), "w") as f:
        f.write("{{ config(materialized='incremental', unique_key='event_id', incremental_strategy='merge') }}\n"
                f"select {COLUMNS} from {{{{ source('src', 'events') }}}}\n"
                "{% if is_incremental() %}where updated_at > (select max(updated_at) from {{ this }}){% endif %}\n")
    subprocess.run([STRATA, "server", "start", "--project-dir", project], check=True, capture_output=True)
    socket = os.path.join(project, ".strata", "postgres", "run")
    psql = ["psql", "-h", socket, "-U", "postgres", "-d", "strata", "-q", "-v", "ON_ERROR_STOP=1", "-c"]
    subprocess.run(psql + [f"""
        drop schema if exists bench_src cascade; create schema bench_src;
        create table bench_src.events as
          select g as event_id, g % 50000 as user_id, (array['view','click','buy'])[1 + g % 3] as event_type,
                 (g % 1000) / 10.0 as amount, timestamp '2024-01-01' + g * interval '1 second' as created_at,
                 timestamp '2024-01-01' + g * interval '1 second' as updated_at
          from generate_series(1, {args.rows}) g;
        alter table bench_src.events add primary key (event_id);
        drop table if exists public.events_merge; drop table if exists public.hand;"""], check=True)
    subprocess.run([STRATA, "run", "--project-dir", project], check=True, capture_output=True)  # builds the 1M-row table
    subprocess.run(psql + ["create table public.hand as select * from public.events_merge; analyze public.hand; analyze public.events_merge"], check=True)
    half = args.changes // 2
    strata_t, hand_t = [], []
    peaks = []
    for run in range(args.runs):
        # the same 10k changes for both: half updates of existing rows, half new rows
        subprocess.run(psql + [f"""
            update bench_src.events set amount = amount + 1, updated_at = now() + interval '{run} day'
              where event_id in (select event_id from bench_src.events order by random() limit {half});
            insert into bench_src.events
              select m + g, g % 50000, 'buy', 1, now(), now() + interval '{run} day'
              from (select max(event_id) m from bench_src.events) x, generate_series(1, {half}) g;"""], check=True)
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", STRATA, "run", "--project-dir", project], check=True, capture_output=True, text=True)
        strata_t.append(time.perf_counter() - start)
        peaks.append(int(proc.stderr.strip().splitlines()[-1]) / 1024)
        start = time.perf_counter()
        subprocess.run(psql + [f"""
            merge into public.hand as d
            using (select {COLUMNS} from bench_src.events where updated_at > (select max(updated_at) from public.hand)) as s
            on s.event_id = d.event_id
            when matched then update set event_id = s.event_id, user_id = s.user_id, event_type = s.event_type, amount = s.amount,
                 created_at = s.created_at, updated_at = s.updated_at
            when not matched then insert ({COLUMNS}) values (s.event_id, s.user_id, s.event_type, s.amount, s.created_at, s.updated_at)"""],
            check=True)
        hand_t.append(time.perf_counter() - start)
    same = subprocess.run(psql + ["select (select count(*) from (select * from public.hand except select * from public.events_merge) x)"],
                          capture_output=True, text=True).stdout
    s, h = statistics.median(strata_t), statistics.median(hand_t)
    print(f"merge {args.changes} changed/new rows into {args.rows} rows, {args.runs} runs alternating")
    print(f"strata run {s:.2f} s (peak {statistics.median(peaks):.0f} MiB)   hand-written MERGE {h:.2f} s   ratio {s / h:.2f}")
    print(f"rows in the hand-merged table missing from Strata's: {same.strip()}")
    subprocess.run([STRATA, "server", "stop", "--project-dir", project], capture_output=True)


if __name__ == "__main__":
    main()

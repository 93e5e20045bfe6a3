#!/usr/bin/python3
"""Benchmark "Historical join, three views" (issue 4) and the offline store's memory bound.

10,000,000 feature rows x 10 float features in three views (a: 4M rows, b: 4M, c: 2M; ingested
as five CSV batches of 2M rows, 250,000 entities, 30 days), then a historical request of
1,000,000 entity rows for all 30 features, on 2 threads. Ingest and the historical request run
in separate processes so that each one's peak resident set is its own; both are compared with
the bound documented in docs/feature-store.md ("Memory").

  /usr/bin/python3 bench/features/memory_bound.py [--build-dir build] [--work DIR]
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd

FILES = 5
ROWS = 2_000_000
ENTITIES = 250_000
ENTITY_ROWS = 1_000_000
FEATURES = 10


def generate(work):
    rng = np.random.default_rng(7)
    start = np.datetime64("2024-01-01T00:00:00", "s")
    span = 30 * 86400
    paths = []
    for i in range(FILES):
        path = os.path.join(work, f"mem-features-{i}.csv")
        paths.append(path)
        if os.path.exists(path):
            continue
        t0 = time.perf_counter()
        ts = start + rng.integers(0, span, ROWS).astype("timedelta64[s]")
        df = pd.DataFrame({"entity_id": rng.integers(0, ENTITIES, ROWS),
                           "event_timestamp": np.datetime_as_string(ts, unit="s", timezone="UTC")})
        for f in range(FEATURES):
            df[f"f{f}"] = np.round(rng.random(ROWS) * 100, 4)
        df.to_csv(path, index=False)
        print(f"generated {path} in {time.perf_counter() - t0:.1f} s", flush=True)
    ents = os.path.join(work, "mem-entities.csv")
    if not os.path.exists(ents):
        ts = start + rng.integers(86400, span + 86400, ENTITY_ROWS).astype("timedelta64[s]")
        pd.DataFrame({"entity_id": rng.integers(0, ENTITIES, ENTITY_ROWS),
                      "event_timestamp": np.datetime_as_string(ts, unit="s", timezone="UTC"),
                      "label": rng.integers(0, 2, ENTITY_ROWS)}).to_csv(ents, index=False)
    return paths, ents


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads([l for l in out.stdout.splitlines() if l.startswith("{")][-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--work", default="/tmp/plinth-bench-features")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    binary = os.path.join(args.build_dir, "bench", "plinth_bench_features_historical")
    if not os.path.exists(binary):
        sys.exit(f"{binary} is missing: build the target plinth_bench_features_historical")
    os.makedirs(args.work, exist_ok=True)
    paths, ents = generate(args.work)
    store = os.path.join(args.work, "mem-store")
    ingest_args = ["--ingest", f"a:{paths[0]},{paths[1]}", "--ingest", f"b:{paths[2]},{paths[3]}",
                   "--ingest", f"c:{paths[4]}"]
    common = [binary, "--work", store, "--threads", str(args.threads)] + ingest_args
    ingest = run(common)
    hist = run(common + ["--skip-ingest", "1", "--entities", ents,
                         "--out", os.path.join(args.work, "mem-out.csv")])

    # The documented bounds (docs/feature-store.md, "Memory").
    mib = 1 << 20
    batch_bytes = os.path.getsize(paths[0])
    ingest_bound = 64 * mib + batch_bytes + ROWS * (9 * FEATURES + 64)
    ent_bytes = os.path.getsize(ents)
    views, nf = 3, 3 * FEATURES
    hist_bound = (64 * mib + ent_bytes + ENTITY_ROWS * (48 + 32 * views + 9 * nf) +
                  args.threads * 2 * 65536 * (16 + 9 * FEATURES))
    print(f"three views: {ingest['rows_in']:,} feature rows ({FILES} batches) in "
          f"{ingest['ingest_s']:.2f} s ({ingest['rows_in'] / ingest['ingest_s']:,.0f} rows/s), "
          f"store {ingest['segment_bytes'] / 1e6:.0f} MB on disk")
    print(f"  ingest peak RSS {ingest['max_rss_mb']:.0f} MB (bound for a {ROWS:,}-row batch: "
          f"{ingest_bound / mib:.0f} MB)")
    print(f"  historical: {hist['rows_out']:,} entity rows x {nf} features in {hist['historical_s']:.2f} s "
          f"(read {hist['historical_read_s']:.2f}, join {hist['historical_join_s']:.2f}, "
          f"write {hist['historical_write_s']:.2f}); peak RSS {hist['max_rss_mb']:.0f} MB "
          f"(bound {hist_bound / mib:.0f} MB)")
    ok = ingest["max_rss_mb"] * mib <= ingest_bound and hist["max_rss_mb"] * mib <= hist_bound
    print("within the documented bounds" if ok else "OVER the documented bound")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

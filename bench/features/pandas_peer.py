#!/usr/bin/python3
"""The pandas peer of the "Historical join, single view" benchmark.

What a data scientist writes for a point-in-time join without a feature store: read both CSVs,
parse the timestamps, sort by time, merge_asof(direction="backward", by=entity, tolerance=TTL),
put the rows back in their original order, write CSV. Prints one JSON line of phase timings.

  /usr/bin/python3 pandas_peer.py --features F.csv --entities E.csv --out O.csv [--ttl-seconds N]
"""

import argparse
import json
import resource
import time

import numpy as np
import pandas as pd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", required=True)
    ap.add_argument("--entities", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ttl-seconds", type=int, default=86400)
    args = ap.parse_args()

    t = [time.perf_counter()]
    feats = pd.read_csv(args.features)
    ents = pd.read_csv(args.entities)
    t.append(time.perf_counter())  # read_csv
    feats["_t"] = pd.to_datetime(feats["event_timestamp"], utc=True)
    feats = feats.drop(columns=["event_timestamp"])
    ents["_t"] = pd.to_datetime(ents["event_timestamp"], utc=True)
    ents["_row"] = np.arange(len(ents))
    t.append(time.perf_counter())  # to_datetime
    feats = feats.sort_values("_t", kind="mergesort")  # stable: the last written wins ties
    ents = ents.sort_values("_t", kind="mergesort")
    t.append(time.perf_counter())  # sort
    merged = pd.merge_asof(ents, feats, on="_t", by="entity_id", direction="backward",
                           allow_exact_matches=True,
                           tolerance=pd.Timedelta(seconds=args.ttl_seconds))
    t.append(time.perf_counter())  # merge_asof
    merged = merged.sort_values("_row").drop(columns=["_t", "_row"])
    t.append(time.perf_counter())  # original order
    merged.to_csv(args.out, index=False)
    t.append(time.perf_counter())  # to_csv

    names = ["read_csv_s", "to_datetime_s", "sort_s", "merge_asof_s", "reorder_s", "to_csv_s"]
    out = {n: t[i + 1] - t[i] for i, n in enumerate(names)}
    out["total_s"] = t[-1] - t[0]
    out["rows_out"] = len(merged)
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(out))


if __name__ == "__main__":
    main()

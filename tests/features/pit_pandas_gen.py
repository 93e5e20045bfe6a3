#!/usr/bin/python3
"""Random point-in-time join cases with the expected answer computed by pandas.

Writes, into --out:
  spec.json        entities and feature views to apply (the registry's JSON form), and the
                   ingest order: [{"view": ..., "file": ...}, ...]
  <view>_<i>.csv   feature batches, ingested in the listed order
  entities.csv     entity rows: join keys, event_timestamp, and pass-through columns
  refs.txt         the feature refs to request, one per line
  expected.csv     the training set, computed with pandas.merge_asof(direction="backward",
                   by=<join keys>, tolerance=<TTL>) per view

The data is built to hit the edges: ties between an entity row's time and a feature row's time,
entity rows exactly TTL after a feature row (included) and 1 ms later (excluded), several rows
for one (entity, time) inside a batch and across batches (the last written wins), nulls in
feature rows, entities with no features, and every accepted timestamp form (RFC 3339 with Z, an
offset, milliseconds, a space for the T, no offset; epoch seconds, fractional epoch seconds,
epoch milliseconds).

The expected CSV uses plinth's documented cell format (docs/feature-store.md): entity cells as
given, floats as Python's repr (what pandas' to_csv writes), ints in decimal, bools as
true/false, nulls empty, quoting as Python's csv module (QUOTE_MINIMAL).

Run with Debian's python3-pandas: /usr/bin/python3 pit_pandas_gen.py --out DIR --seed N
"""

import argparse
import csv
import datetime
import json
import os
import random
import sys

try:
    import numpy as np
    import pandas as pd
except ImportError as e:  # the GoogleTest reports this exit code with the fix
    print(f"pandas is missing ({e}); apt-get install python3-pandas", file=sys.stderr)
    sys.exit(3)

BASE_MS = 1_700_000_000_000
SPAN_S = 40_000

ENTITIES = [
    {"name": "driver", "join_keys": [{"name": "driver_id", "type": "int"}]},
    {"name": "zone", "join_keys": [{"name": "zone", "type": "string"}]},
    {"name": "route", "join_keys": [{"name": "origin", "type": "string"},
                                    {"name": "hour", "type": "int"}]},
]

VIEWS = [
    {"name": "driver_stats", "entities": ["driver"], "ttl_seconds": 3600,
     "features": [{"name": "conv_rate", "type": "float"}, {"name": "trips", "type": "int"},
                  {"name": "active", "type": "bool"}, {"name": "tier", "type": "string"}]},
    {"name": "zone_stats", "entities": ["zone"], "ttl_seconds": 0,
     "features": [{"name": "demand", "type": "float"}, {"name": "surge", "type": "float"}]},
    {"name": "route_stats", "entities": ["route"], "ttl_seconds": 600,
     "features": [{"name": "eta", "type": "float"}, {"name": "legs", "type": "int"}]},
]

REFS = ["driver_stats:conv_rate", "zone_stats:surge", "driver_stats:trips", "route_stats:eta",
        "driver_stats:tier", "driver_stats:active", "zone_stats:demand", "route_stats:legs"]


def join_keys(view):
    keys = []
    for ename in view["entities"]:
        keys += [k["name"] for k in next(e for e in ENTITIES if e["name"] == ename)["join_keys"]]
    return keys


def render_ts(ms, rng):
    """One of the accepted forms for the instant `ms` (milliseconds since the epoch)."""
    k = rng.randrange(8)
    sec, milli = divmod(ms, 1000)
    utc = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=sec)
    frac = f".{milli:03d}" if milli else ""
    if k == 0 and milli == 0:
        return str(sec)                                      # epoch seconds
    if k == 1:
        return str(ms)                                       # epoch milliseconds
    if k == 2 and milli:
        return f"{sec}.{milli:03d}"                          # fractional epoch seconds
    if k == 3:
        local = utc + datetime.timedelta(hours=2)            # an offset
        return local.strftime("%Y-%m-%dT%H:%M:%S") + frac + "+02:00"
    if k == 4:
        return utc.strftime("%Y-%m-%d %H:%M:%S") + frac      # naive: UTC
    if k == 5:
        local = utc - datetime.timedelta(hours=5, minutes=30)
        return local.strftime("%Y-%m-%dT%H:%M:%S") + frac + "-05:30"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def key_values(view_name, rng):
    if view_name == "driver_stats":
        return {"driver_id": rng.randrange(1, 40)}
    if view_name == "zone_stats":
        return {"zone": rng.choice(["north", "south", "east", "west", "z,1", 'q"t', "ctr"])}
    return {"origin": rng.choice(["a", "b", "c"]), "hour": rng.randrange(0, 4)}


def feature_values(view, rng):
    out = {}
    for f in view["features"]:
        if rng.random() < 0.1:
            out[f["name"]] = None
            continue
        t = f["type"]
        if t == "float":
            out[f["name"]] = rng.choice([round(rng.uniform(-100, 100), rng.randrange(0, 6)),
                                         rng.uniform(0, 1), 1e-7 * rng.randrange(1, 9),
                                         float(rng.randrange(0, 3)) * 1e17, 0.1 + 0.2])
        elif t == "int":
            out[f["name"]] = rng.randrange(-1000, 1000)
        elif t == "bool":
            out[f["name"]] = rng.random() < 0.5
        else:
            out[f["name"]] = rng.choice(["gold", "silver", "has,comma", 'say "hi"', "x"])
    return out


def cell_text(value, typ):
    """A feature value as a CSV batch cell (None: an empty cell, read as null)."""
    if value is None:
        return ""
    if typ == "float":
        return repr(value)
    if typ == "bool":
        return random.choice(["true", "True", "1"]) if value else random.choice(["false", "0"])
    return str(value)


def out_text(value, typ):
    """A feature value as plinth writes it in a training set."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if typ == "float":
        return repr(float(value))
    if typ == "int":
        return str(int(value))
    if typ == "bool":
        return "true" if bool(value) else "false"
    return str(value)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--entity-rows", type=int, default=1500)
    ap.add_argument("--feature-rows", type=int, default=600, help="per view")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    ingests = []
    frames = {}     # view -> DataFrame of every written row, in write order
    feature_times = {}
    for view in VIEWS:
        keys = join_keys(view)
        rows = []
        nbatches = 3
        for b in range(nbatches):
            batch_rows = []
            for _ in range(args.feature_rows // nbatches):
                r = key_values(view["name"], rng)
                # Whole seconds half of the time, so that times collide.
                ms = BASE_MS + rng.randrange(0, SPAN_S) * 1000 + (rng.randrange(0, 1000) if rng.random() < 0.3 else 0)
                r["_ms"] = ms
                r.update(feature_values(view, rng))
                batch_rows.append(r)
                # A second row for the same (entity, time), in the same batch or a later one.
                if rng.random() < 0.15:
                    dup = dict(r)
                    dup.update(feature_values(view, rng))
                    batch_rows.append(dup)
            if b > 0 and rows:
                # Rewrite some earlier (entity, time) pairs in a later batch.
                for old in rng.sample(rows, min(10, len(rows))):
                    dup = {k: old[k] for k in keys + ["_ms"]}
                    dup.update(feature_values(view, rng))
                    batch_rows.append(dup)
            rng.shuffle(batch_rows)
            fname = f"{view['name']}_{b}.csv"
            with open(os.path.join(args.out, fname), "w", newline="") as fh:
                w = csv.writer(fh, lineterminator="\n")
                cols = keys + ["event_timestamp"] + [f["name"] for f in view["features"]]
                w.writerow(cols)
                types = {f["name"]: f["type"] for f in view["features"]}
                for r in batch_rows:
                    w.writerow([str(r[k]) for k in keys] + [render_ts(r["_ms"], rng)] +
                               [cell_text(r[f], types[f]) for f in types])
            ingests.append({"view": view["name"], "file": fname})
            rows += batch_rows
        frames[view["name"]] = rows
        feature_times[view["name"]] = rows

    # Entity rows: random, plus exact ties and TTL edges against written feature rows.
    ent_rows = []
    for i in range(args.entity_rows):
        r = {}
        for view in VIEWS:
            r.update(key_values(view["name"], rng))
        kind = rng.randrange(6)
        if kind <= 1:
            ms = BASE_MS + rng.randrange(-2000, SPAN_S + 5000) * 1000 + rng.randrange(0, 1000)
        else:
            view = rng.choice(VIEWS)
            src = rng.choice(feature_times[view["name"]])
            for k in join_keys(view):
                r[k] = src[k]
            ttl_ms = view["ttl_seconds"] * 1000
            if kind == 2:
                ms = src["_ms"]                       # the same instant: included
            elif kind == 3:
                ms = src["_ms"] + ttl_ms              # exactly TTL later: included
            elif kind == 4:
                ms = src["_ms"] + ttl_ms + 1          # 1 ms past the TTL: excluded
            else:
                ms = src["_ms"] - 1                   # just before
        if rng.random() < 0.05:
            r["driver_id"] = 999                      # an entity with no features
        r["_ms"] = ms
        r["label"] = str(rng.randrange(0, 2))
        r["note"] = rng.choice(["plain", "with,comma", 'a "quote"', "x y"])
        r["_ts"] = render_ts(ms, rng)
        ent_rows.append(r)

    ent_cols = ["driver_id", "zone", "event_timestamp", "label", "origin", "hour", "note"]
    with open(os.path.join(args.out, "entities.csv"), "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(ent_cols)
        for r in ent_rows:
            w.writerow([str(r[c]) if c != "event_timestamp" else r["_ts"] for c in ent_cols])

    # pandas: one merge_asof per view.
    left_all = pd.DataFrame({
        "_row": np.arange(len(ent_rows)),
        "_t": np.array([r["_ms"] for r in ent_rows], dtype="int64"),
        "driver_id": [r["driver_id"] for r in ent_rows],
        "zone": [r["zone"] for r in ent_rows],
        "origin": [r["origin"] for r in ent_rows],
        "hour": [r["hour"] for r in ent_rows],
    })
    results = {}
    for view in VIEWS:
        keys = join_keys(view)
        dtypes = {"float": "float64", "int": "Int64", "bool": "boolean", "string": "object"}
        right = pd.DataFrame({k: [r[k] for r in frames[view["name"]]] for k in keys})
        right["_ft"] = np.array([r["_ms"] for r in frames[view["name"]]], dtype="int64")
        for f in view["features"]:
            vals = [r[f["name"]] for r in frames[view["name"]]]
            right[f["name"]] = pd.array(vals, dtype=dtypes[f["type"]]) if f["type"] != "float" \
                else np.array([np.nan if v is None else v for v in vals], dtype="float64")
        right = right.sort_values("_ft", kind="mergesort")   # stable: write order breaks ties
        left = left_all[["_row", "_t"] + keys].sort_values("_t", kind="mergesort")
        ttl = view["ttl_seconds"] * 1000
        merged = pd.merge_asof(left, right, left_on="_t", right_on="_ft", by=keys,
                               direction="backward", allow_exact_matches=True,
                               tolerance=ttl if ttl else None)
        results[view["name"]] = merged.sort_values("_row").reset_index(drop=True)

    types = {(v["name"], f["name"]): f["type"] for v in VIEWS for f in v["features"]}
    with open(os.path.join(args.out, "expected.csv"), "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(ent_cols + [ref.split(":")[1] for ref in REFS])
        for i, r in enumerate(ent_rows):
            row = [str(r[c]) if c != "event_timestamp" else r["_ts"] for c in ent_cols]
            for ref in REFS:
                vname, fname = ref.split(":")
                row.append(out_text(results[vname].at[i, fname], types[(vname, fname)]))
            w.writerow(row)

    with open(os.path.join(args.out, "refs.txt"), "w") as fh:
        fh.write("\n".join(REFS) + "\n")
    with open(os.path.join(args.out, "spec.json"), "w") as fh:
        json.dump({"entities": ENTITIES, "views": VIEWS, "ingests": ingests}, fh, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Trains the demo's demand-forecasting model and registers it in plinth if it passes the gate.

A seeded synthetic year of hourly city-wide bookings (hour of day, day of week, temperature,
rain -> bookings) is split in time (the last 20% validates). XGBoost is trained (hist,
reg:squarederror); params, per-round train/validation RMSE and the final MAPE are logged to a
plinth run, the model is saved as JSON and logged as the run's artifact `model/model.json`.
The model is registered (flavor xgboost, with lineage to the run) only if the validation MAPE is
below the gate (0.15, ADR-16); otherwise the script says why and exits 1.

With --training-set it trains per zone instead, on a training set the feature store produced
(a point-in-time join of examples/zone_data.py's history: hour, day_of_week, bookings as the
label, and the zone_demand features), and records the file's SHA-256 as the data version.
--unit-bug trains on bookings_mean_24h as a 24-hour total instead of a mean: a model that passes
its own gate but sees means in production (the demo's deliberately bad version).

    /usr/bin/python3 examples/train_xgboost.py --data-dir plinth-data
    /usr/bin/python3 examples/train_xgboost.py --url http://127.0.0.1:8080 --token "$TOKEN"

Needs Debian's python3-numpy and python3-xgboost; the plinth client is taken from
../clients/python. Exit codes: 0 registered, 1 gate not passed, 2 a plinth or usage error.
"""

import argparse
import hashlib
import pathlib
import sys
import tempfile

import numpy as np
import xgboost as xgb

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "clients" / "python"))
import plinth  # noqa: E402

FEATURES = ["hour", "day_of_week", "temperature", "rain"]
ZONE_FEATURES = ["hour", "day_of_week", "temperature", "rain", "bookings_lag_1h",
                 "bookings_mean_24h"]
ZONE_LABEL = "bookings"
GATE_MAPE = 0.15


def make_demand(seed, days=365):
    """Hourly bookings for one city over `days` days: (X with FEATURES as columns, y).

    Demand has morning and evening peaks, quieter weekends, more riders when warm and fewer
    in rain, times multiplicative noise of about 7%. Same seed, same data.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(days * 24)
    hour = t % 24
    day = t // 24
    dow = day % 7  # 0 = Monday
    temperature = (11 + 9 * np.sin(2 * np.pi * (day - 105) / 365)
                   + 4 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0, 2, t.size))
    raining = rng.random(t.size) < 0.15
    rain = np.where(raining, rng.exponential(2.0, t.size), 0.0)

    profile = (0.35 + 0.9 * np.exp(-((hour - 8) ** 2) / 4) + 1.0 * np.exp(-((hour - 18) ** 2) / 6)
               + 0.3 * np.exp(-((hour - 13) ** 2) / 8))
    weekday = np.select([dow == 5, dow == 6], [0.85, 0.75], 1.0)
    warmth = np.clip(1 + 0.012 * (temperature - 12), 0.6, 1.4)
    wet = np.exp(-0.12 * rain)
    noise = rng.lognormal(0, 0.07, t.size)
    bookings = np.maximum(1, np.round(80 * profile * weekday * warmth * wet * noise))

    X = np.column_stack([hour, dow, temperature, rain]).astype(np.float32)
    return X, bookings.astype(np.float32)


def read_training_set(path):
    """(X with ZONE_FEATURES as columns, y, `sha256:<hex>` of the file) from a training-set CSV,
    in event-time order so that the split below is in time. Empty cells (no feature value within
    the view's TTL) become NaN, which XGBoost treats as missing."""
    raw = pathlib.Path(path).read_bytes()
    lines = raw.decode().splitlines()
    header = lines[0].split(",")
    missing = [c for c in ZONE_FEATURES + [ZONE_LABEL, "event_timestamp"] if c not in header]
    if missing:
        raise OSError(f"{path} lacks the columns {missing}")
    rows = sorted((line.split(",") for line in lines[1:] if line),
                  key=lambda r: r[header.index("event_timestamp")])
    cols = [header.index(c) for c in ZONE_FEATURES]
    X = np.array([[float(r[c]) if r[c] else np.nan for c in cols] for r in rows], dtype=np.float32)
    y = np.array([float(r[header.index(ZONE_LABEL)]) for r in rows], dtype=np.float32)
    return X, y, "sha256:" + hashlib.sha256(raw).hexdigest()


def data_version(X, y):
    """`sha256:<hex>` of the data set's bytes, recorded as the run's and the version's lineage."""
    digest = hashlib.sha256(np.ascontiguousarray(X).tobytes() + np.ascontiguousarray(y).tobytes())
    return "sha256:" + digest.hexdigest()


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="plinth server, e.g. http://127.0.0.1:8080")
    p.add_argument("--token", help="a token with the scientist role or above")
    p.add_argument("--data-dir", help="a server's data dir: read its url and admin token there")
    p.add_argument("--experiment", default="demand-forecast")
    p.add_argument("--model", default="demand")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--rounds", type=int, default=100)
    p.add_argument("--gate", type=float, default=GATE_MAPE, help="register only if MAPE < this")
    p.add_argument("--training-set", help="train on this training-set CSV (see above)")
    p.add_argument("--unit-bug", action="store_true",
                   help="train on bookings_mean_24h x 24 (needs --training-set)")
    args = p.parse_args(argv)
    if not args.data_dir and not (args.url and args.token):
        p.error("give --data-dir, or --url and --token")
    if args.unit_bug and not args.training_set:
        p.error("--unit-bug needs --training-set")
    return args


def main(argv=None):
    args = parse_args(argv)
    client = (plinth.Client.from_data_dir(args.data_dir) if args.data_dir
              else plinth.Client(args.url, args.token))

    if args.training_set:
        features = ZONE_FEATURES
        X, y, version_of_data = read_training_set(args.training_set)
    else:
        features = FEATURES
        X, y = make_demand(args.seed)
        version_of_data = data_version(X, y)
    if args.unit_bug:
        X[:, features.index("bookings_mean_24h")] *= 24
    split = int(len(y) * 0.8)  # train on the first 80% in time, validate on the rest
    dtrain = xgb.DMatrix(X[:split], label=y[:split], feature_names=features)
    dvalid = xgb.DMatrix(X[split:], label=y[split:], feature_names=features)
    params = {"objective": "reg:squarederror", "tree_method": "hist", "max_depth": 6,
              "eta": 0.1, "subsample": 0.9, "min_child_weight": 1, "seed": args.seed}

    with client.start_run(experiment_name=args.experiment, name=f"xgboost-seed{args.seed}",
                          tags={"script": "examples/train_xgboost.py"},
                          data_version=version_of_data) as run:
        run.log_params({**params, "num_boost_round": args.rounds, "rows_train": split,
                        "rows_valid": len(y) - split, "features": ",".join(features),
                        "unit_bug": args.unit_bug})
        evals_result = {}
        booster = xgb.train(params, dtrain, num_boost_round=args.rounds,
                            evals=[(dtrain, "train"), (dvalid, "valid")],
                            evals_result=evals_result, verbose_eval=False)
        for step, (tr, va) in enumerate(zip(evals_result["train"]["rmse"],
                                            evals_result["valid"]["rmse"])):
            run.log_metrics({"train_rmse": tr, "valid_rmse": va}, step=step)

        pred = booster.predict(dvalid)
        mape = float(np.mean(np.abs(pred - y[split:]) / np.abs(y[split:])))
        rmse = float(evals_result["valid"]["rmse"][-1])
        run.log_metrics({"mape": mape, "rmse": rmse}, step=args.rounds)

        with tempfile.TemporaryDirectory() as tmp:
            model_file = pathlib.Path(tmp) / "model.json"
            booster.save_model(str(model_file))
            run.log_artifact(model_file, "model/model.json")

        passed = mape < args.gate
        run.set_tags({"gate": "passed" if passed else "failed"})

    print(f"run {run.id}: validation MAPE {mape:.4f} (gate < {args.gate}), RMSE {rmse:.2f}")
    if not passed:
        print(f"not registered: MAPE {mape:.4f} is not below the gate {args.gate}")
        return 1

    version = client.register_model(
        args.model, "xgboost", run_id=run.id, artifact_path="model/model.json",
        metrics={"mape": mape, "rmse": rmse},
        params={**params, "num_boost_round": args.rounds},
        data_version=version_of_data, signature=[(f, "float") for f in features],
        description=f"XGBoost demand model (seed {args.seed}), validation MAPE {mape:.4f}")
    print(f"registered {version['model']} version {version['version']} ({version['status']})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (plinth.PlinthError, OSError) as e:
        print(f"train_xgboost: {e}", file=sys.stderr)
        sys.exit(2)

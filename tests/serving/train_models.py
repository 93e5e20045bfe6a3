#!/usr/bin/python3
"""Trains the XGBoost models that the tests in tests/serving/ check plinth's runtimes against.

Usage: /usr/bin/python3 train_models.py OUT_DIR

Everything is seeded. For every model it writes OUT_DIR/<name>.json and OUT_DIR/<name>.ubj (the two
formats Python xgboost saves), the rows to predict (<name>.x.f32, row-major little-endian float32)
and XGBoost's own predictions for them (<name>.pred.f32), and lists them in OUT_DIR/manifest.json.
The prediction rows mix ordinary rows, rows with some NaN, all-NaN rows and rows whose values sit
exactly on split thresholds (to pin down `value < threshold`).
"""

import json
import os
import sys

import numpy as np
import xgboost as xgb

N_TRAIN = 1500
N_FEATURES = 8


def make_data(rng, n, nan_share):
    x = rng.normal(size=(n, N_FEATURES)).astype(np.float32)
    x[:, 3] = np.round(x[:, 3] * 4) / 4  # a coarse feature: many ties, exact thresholds
    if nan_share > 0:
        x[rng.random(x.shape) < nan_share] = np.nan
    return x


def signal(x):
    z = np.nan_to_num(x, nan=0.0)
    return 1.5 * z[:, 0] - 2.0 * z[:, 1] * (z[:, 2] > 0) + np.sin(z[:, 3] * 2) + 0.5 * z[:, 4] ** 2


def thresholds(booster):
    """Split conditions per feature, read back from the saved model."""
    out = {}
    model = json.loads(booster.save_raw("json"))
    gb = model["learner"]["gradient_booster"]
    trees = gb.get("model", gb.get("gbtree", {}).get("model", {})).get("trees", [])
    for tree in trees:
        for node, left in enumerate(tree["left_children"]):
            if left != -1 and not tree.get("split_type", [0] * (node + 1))[node]:
                feature = tree["split_indices"][node]
                out.setdefault(feature, []).append(tree["split_conditions"][node])
    return out


def prediction_rows(rng, booster):
    rows = [make_data(rng, 300, 0.0), make_data(rng, 200, 0.15)]
    rows.append(np.full((5, N_FEATURES), np.nan, dtype=np.float32))  # all missing
    edge = make_data(rng, 100, 0.0)
    for feature, values in thresholds(booster).items():
        # Put split thresholds (and their float32 neighbours) exactly into the rows.
        picks = rng.choice(values, size=edge.shape[0])
        nudge = rng.integers(-1, 2, size=edge.shape[0])
        picks = np.where(nudge < 0, np.nextafter(picks, -np.inf, dtype=np.float32),
                         np.where(nudge > 0, np.nextafter(picks, np.inf, dtype=np.float32),
                                  picks)).astype(np.float32)
        edge[:, feature] = picks
    rows.append(edge)
    return np.concatenate(rows).astype(np.float32)


def main():
    out_dir = sys.argv[1]
    rng = np.random.default_rng(20240607)
    x_clean = make_data(rng, N_TRAIN, 0.0)
    x_nan = make_data(rng, N_TRAIN, 0.2)
    y_reg = signal(x_clean) + rng.normal(scale=0.1, size=N_TRAIN)
    y_reg_nan = signal(x_nan) + rng.normal(scale=0.1, size=N_TRAIN)
    y_bin = (signal(x_clean) > 0.5).astype(np.float32)
    y_bin_nan = (signal(x_nan) > 0.5).astype(np.float32)
    y_prob = 1.0 / (1.0 + np.exp(-signal(x_clean) / 2))
    cuts = np.quantile(signal(x_clean), [0.2, 0.4, 0.6, 0.8])
    y_multi5 = np.digitize(signal(x_clean), cuts).astype(np.float32)
    y_multi3_nan = np.digitize(signal(x_nan), cuts[[1, 2]]).astype(np.float32)
    names = ["age", "income", "tenure", "score", "visits", "region_code", "balance", "ratio"]

    x_cat = x_clean.copy()
    x_cat[:, 5] = rng.integers(0, 6, size=N_TRAIN)
    y_cat = ((x_cat[:, 5] % 2 == 0) ^ (x_cat[:, 0] > 0)).astype(np.float32)
    cat_types = ["q"] * N_FEATURES
    cat_types[5] = "c"

    base = {"tree_method": "hist", "nthread": 1, "seed": 7}
    sq, logit, softprob = "reg:squarederror", "reg:logistic", "multi:softprob"
    binary = "binary:logistic"
    # name, params, rounds, x, y, feature names, supported by the compiled evaluator
    specs = [
        ("reg_depth2", {"objective": sq, "max_depth": 2}, 40, x_clean, y_reg, names, True),
        ("reg_depth4_nan", {"objective": sq, "max_depth": 4}, 40, x_nan, y_reg_nan, None, True),
        ("reg_depth6", {"objective": sq, "max_depth": 6, "eta": 0.1}, 60, x_clean, y_reg, None,
         True),
        ("reg_depth10_exact", {"objective": sq, "max_depth": 10, "tree_method": "exact"}, 15,
         x_nan, y_reg_nan, None, True),
        ("reg_lossguide",
         {"objective": sq, "grow_policy": "lossguide", "max_leaves": 24, "max_depth": 0}, 20,
         x_nan, y_reg_nan, None, True),
        ("reg_base_score", {"objective": sq, "max_depth": 3, "base_score": 10.5}, 30, x_clean,
         y_reg + 10, None, True),
        ("reg_forest",
         {"objective": sq, "max_depth": 4, "num_parallel_tree": 3, "subsample": 0.7,
          "colsample_bynode": 0.7}, 5, x_nan, y_reg_nan, None, True),
        ("reglogistic_depth4", {"objective": logit, "max_depth": 4}, 30, x_clean, y_prob, None,
         True),
        ("binary_depth3_nan", {"objective": binary, "max_depth": 3}, 40, x_nan, y_bin_nan, names,
         True),
        ("binary_base_score", {"objective": binary, "max_depth": 5, "base_score": 0.3}, 30,
         x_clean, y_bin, None, True),
        ("binary_approx", {"objective": binary, "max_depth": 6, "tree_method": "approx"}, 20,
         x_nan, y_bin_nan, None, True),
        ("multi5_depth4", {"objective": softprob, "num_class": 5, "max_depth": 4}, 15, x_clean,
         y_multi5, None, True),
        ("multi3_nan_base",
         {"objective": softprob, "num_class": 3, "max_depth": 3, "base_score": 0.2}, 20, x_nan,
         y_multi3_nan, names, True),
        # Not for the compiled evaluator: served by XGBoost.
        ("categorical", {"objective": binary, "max_depth": 3, "max_cat_to_onehot": 1}, 10, x_cat,
         y_cat, None, False),
        ("poisson", {"objective": "count:poisson", "max_depth": 3}, 20, x_clean,
         np.floor(np.abs(y_reg)), None, False),
        ("softmax", {"objective": "multi:softmax", "num_class": 5, "max_depth": 3}, 10, x_clean,
         y_multi5, None, False),
        ("dart", {"objective": binary, "booster": "dart", "max_depth": 3, "rate_drop": 0.2}, 10,
         x_clean, y_bin, None, False),
        ("gblinear", {"objective": sq, "booster": "gblinear"}, 10, x_clean, y_reg, None, False),
    ]

    manifest = []
    for name, params, rounds, x, y, feature_names, compiled in specs:
        feature_types = cat_types if name == "categorical" else None
        dtrain = xgb.DMatrix(x, label=y, feature_names=feature_names, feature_types=feature_types,
                             enable_categorical=feature_types is not None)
        train_params = {**base, **params}
        if params.get("booster") == "gblinear":
            del train_params["tree_method"]
        booster = xgb.train(train_params, dtrain, num_boost_round=rounds)
        booster.save_model(os.path.join(out_dir, name + ".json"))
        booster.save_model(os.path.join(out_dir, name + ".ubj"))

        rows = prediction_rows(rng, booster)
        if name == "categorical":
            categories = rng.integers(0, 6, size=rows.shape[0])
            rows[:, 5] = np.where(np.isnan(rows[:, 5]), np.nan, categories)
        dtest = xgb.DMatrix(rows, feature_names=feature_names, feature_types=feature_types,
                            enable_categorical=feature_types is not None, missing=np.nan)
        pred = np.asarray(booster.predict(dtest), dtype=np.float32)
        outputs = 1 if pred.ndim == 1 else pred.shape[1]
        rows.astype("<f4").tofile(os.path.join(out_dir, name + ".x.f32"))
        pred.astype("<f4").tofile(os.path.join(out_dir, name + ".pred.f32"))
        manifest.append({
            "name": name,
            "objective": params["objective"],
            "rows": int(rows.shape[0]),
            "features": N_FEATURES,
            "outputs": int(outputs),
            "compiled": compiled,
            "feature_names": feature_names or [],
        })

    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump({"xgboost_version": xgb.__version__, "models": manifest}, f, indent=1)


if __name__ == "__main__":
    main()

"""Helpers shared by the client tests (a unique module name: pytest runs these tests together
with tests/integration, whose modules share one import namespace with these)."""

import uuid


def unique(prefix):
    """A fresh valid name, so tests sharing one server never collide."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def train_xgboost(features, seed, rounds=8):
    """A tiny XGBoost regression model on `features`: (model JSON bytes, predict(rows)), where
    predict gives XGBoost's own predictions for rows of floats (None is missing)."""
    import numpy as np
    import xgboost as xgb
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(200, len(features))).astype(np.float32)
    y = 3 * x[:, 0] - x[:, -1] + seed + rng.normal(scale=0.1, size=200)
    booster = xgb.train({"objective": "reg:squarederror", "max_depth": 3, "seed": seed},
                        xgb.DMatrix(x, label=y, feature_names=list(features)), rounds)

    def predict(rows):
        arr = np.array([[np.nan if v is None else v for v in row] for row in rows], np.float32)
        return [float(p) for p in booster.predict(xgb.DMatrix(arr, feature_names=list(features)))]

    return bytes(booster.save_raw(raw_format="json")), predict


def deploy_ready_model(scientist, approver, tmp_path, features, seed, name=None):
    """Registers a trained model as a new version of `name` (scientist) and approves it
    (approver); returns (model name, version, predict)."""
    name = name or unique("model")
    raw, predict = train_xgboost(features, seed)
    path = tmp_path / f"model-{seed}.json"
    path.write_bytes(raw)
    v = scientist.register_model(name, "xgboost", local_path=path, signature=list(features))
    approver.approve(name, v["version"], comment="ok")
    return name, v["version"], predict

"""The feature store's online side (issue 4): materialization jobs and watermarks, push, online
reads with statuses and TTL, the CLI, and an endpoint that reads its features from the online
store before it predicts with a real XGBoost model.

Feature definitions and offline history are written into the data dir before the server starts,
through the library (build/tests/plinth_feature_seed).
"""

import json
import os
import pathlib
import subprocess
import time

import numpy as np
import pytest
import xgboost as xgb

from plinth_server import PlinthServer, plinth_binary
from support import assert_error, assert_live, audit_events, expect, make_token, uniq

BUILD = pathlib.Path(plinth_binary()).resolve().parent
SEED = BUILD / "tests" / "plinth_feature_seed"
DAY_MS = 86_400_000
NOW_MS = int(time.time() * 1000)

ZONE = {"name": "zone", "join_keys": [{"name": "zone_id", "type": "int"}]}
FEATURES = [("trips", "int"), ("avg_speed", "float"), ("avg_fare", "float"), ("rain_mm", "float"),
            ("temp_c", "float"), ("surge", "float"), ("wait_min", "float"), ("drivers", "int"),
            ("busy", "bool"), ("label", "string")]
STATS = {"name": "zone_stats", "entities": ["zone"], "ttl_seconds": 7 * 86400,
         "features": [{"name": n, "type": t} for n, t in FEATURES]}
# TTL of one hour, for OUTSIDE_MAX_AGE.
FRESH = {"name": "zone_fresh", "entities": ["zone"], "ttl_seconds": 3600,
         "features": [{"name": "queue", "type": "int"}]}


def zone_row(zone, t_ms, k):
    """Row k of a zone: values derived from (zone, k) so that tests can recompute them."""
    return [zone, t_ms, zone * 10 + k, 20.0 + zone + k / 4, 8.5 + k, round(zone * 0.1, 1),
            15.0 - zone, 1.0 + k / 10, 3.0 + zone / 2, zone + k, "true" if k % 2 else "false",
            f"z{zone}-{k}"]


def history_csv(zones=range(1, 21), versions=3):
    """Per zone `versions` rows, a day apart, the newest two days ago."""
    lines = ["zone_id,event_timestamp," + ",".join(n for n, _ in FEATURES)]
    for k in range(versions):
        t = NOW_MS - (versions - k + 1) * DAY_MS
        for z in zones:
            lines.append(",".join(str(v) for v in zone_row(z, t, k)))
    return "\n".join(lines) + "\n"


def seed(data_dir, tmp_path):
    data_dir.mkdir(parents=True, exist_ok=True)
    hist = tmp_path / "zone_stats.csv"
    hist.write_text(history_csv())
    fresh = tmp_path / "zone_fresh.csv"
    fresh.write_text(f"zone_id,event_timestamp,queue\n1,{NOW_MS - 2 * 3600_000},5\n"
                     f"2,{NOW_MS - 60_000},7\n")
    res = subprocess.run([str(SEED), str(data_dir), "--entity", json.dumps(ZONE),
                          "--view", json.dumps(STATS), "--view", json.dumps(FRESH),
                          "--ingest", f"zone_stats={hist}", "--ingest", f"zone_fresh={fresh}"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    if not SEED.exists():
        pytest.skip(f"{SEED} is not built")
    tmp = tmp_path_factory.mktemp("online")
    seed(tmp / "data", tmp)
    server = PlinthServer(tmp / "data").start()
    yield server
    server.stop()


def online(srv, refs, zones, token="admin"):
    return srv.request("POST", "/api/v1/features/online",
                       {"features": refs, "entities": {"zone_id": zones}}, token=token)


def wait_job(srv, view, job):
    for _ in range(300):
        if job["status"] != "running":
            return job
        time.sleep(0.05)
        job = expect(srv.request("GET", f"/api/v1/feature-views/{view}/materializations/{job['id']}"), 200)
    raise AssertionError(f"job {job['id']} did not finish")


def test_materialize_then_read_the_latest_values(srv):
    job = expect(srv.request("POST", "/api/v1/feature-views/zone_stats/materialize",
                             {"start": NOW_MS - 30 * DAY_MS, "end": NOW_MS}), 202)
    assert job["status"] == "running" or job["status"] == "succeeded"
    job = wait_job(srv, "zone_stats", job)
    assert job["status"] == "succeeded", job
    assert job["entities"] == 20 and job["rows_written"] == 20 and job["rows_scanned"] == 60
    refs = [f"zone_stats:{n}" for n, _ in FEATURES]
    body = expect(online(srv, refs, [3, 999, 1]), 200)
    assert body["metadata"]["feature_names"] == ["zone_id"] + refs
    assert body["results"][0]["values"] == [3, 999, 1]
    newest = NOW_MS - 2 * DAY_MS
    for i, (name, _) in enumerate(FEATURES):
        col = body["results"][i + 1]
        assert col["statuses"] == ["PRESENT", "NOT_FOUND", "PRESENT"], name
        assert col["event_timestamps"] == [newest, 0, newest]
        assert col["values"][1] is None
    row3 = zone_row(3, newest, 2)[2:]
    got3 = [body["results"][i + 1]["values"][0] for i in range(len(FEATURES))]
    assert got3[0] == row3[0] and isinstance(got3[0], int)
    assert got3[1:7] == pytest.approx(row3[1:7]) and isinstance(got3[1], float)
    assert got3[8] is False and got3[9] == "z3-2"


def test_values_older_than_the_ttl_are_outside_max_age(srv):
    job = expect(srv.request("POST", "/api/v1/feature-views/zone_fresh/materialize",
                             {"start": "2020-01-01T00:00:00Z", "end": NOW_MS + 1, "wait": True}), 200)
    assert job["status"] == "succeeded" and job["rows_written"] == 2
    col = expect(online(srv, ["zone_fresh:queue"], [1, 2]), 200)["results"][1]
    assert col["statuses"] == ["OUTSIDE_MAX_AGE", "PRESENT"]
    assert col["values"] == [None, 7]


def test_incremental_materialization_keeps_a_watermark_and_the_cli_shows_progress(srv, tmp_path):
    env = dict(os.environ, PLINTH_URL=srv.url, PLINTH_TOKEN=srv.admin_token)
    end = NOW_MS - DAY_MS
    res = subprocess.run([plinth_binary(), "features", "materialize-incremental", "zone_stats",
                          "--end", str(end)], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "succeeded" in res.stdout and "rows_written" in res.stdout
    listed = expect(srv.request("GET", "/api/v1/feature-views/zone_stats/materializations"), 200)
    assert listed["watermark_ms"] == end
    assert listed["items"][0]["incremental"] is True and listed["items"][0]["start_ms"] is None
    again = expect(srv.request("POST", "/api/v1/feature-views/zone_stats/materialize-incremental",
                               {"wait": True}), 200)
    assert again["start_ms"] == end and again["rows_scanned"] == 0
    res = subprocess.run([plinth_binary(), "features", "online", "--features",
                          "zone_stats:trips,zone_stats:label", "--entity", "zone_id=4,5"],
                         capture_output=True, text=True, env=env, timeout=30)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines[0].split() == ["zone_id", "zone_stats:trips", "zone_stats:label"]
    assert lines[1].split() == ["4", "42", "z4-2"]
    # The jobs are audited.
    events = audit_events(srv)
    actions = [e["action"] for e in events if e.get("resource") == "feature-views/zone_stats"]
    assert actions.count("feature_view.materialize") >= 3


def test_push_writes_online_and_offline_and_validates(srv):
    rows = [{"zone_id": 77, "event_timestamp": NOW_MS - 1000, "trips": 5, "label": "pushed"}]
    pushed = expect(srv.request("POST", "/api/v1/feature-views/zone_stats/push", {"rows": rows}), 200)
    assert pushed["rows"] == 1 and pushed["view"] == "zone_stats"
    body = expect(online(srv, ["zone_stats:trips", "zone_stats:avg_speed"], [77]), 200)
    assert body["results"][1]["values"] == [5]
    assert body["results"][2]["statuses"] == ["NULL_VALUE"]
    csv = f"zone_id,event_timestamp,trips\n77,{NOW_MS - 5000},4\n"  # older: online keeps 5
    expect(srv.request("POST", "/api/v1/feature-views/zone_stats/push", csv.encode(),
                       headers={"Content-Type": "text/csv"}), 200)
    assert expect(online(srv, ["zone_stats:trips"], [77]), 200)["results"][1]["values"] == [5]
    bad = f"zone_id,event_timestamp,trips\n78,{NOW_MS},-\n".encode()
    assert_error(srv.request("POST", "/api/v1/feature-views/zone_stats/push", bad,
                             headers={"Content-Type": "text/csv"}), 400, "invalid_argument")
    assert expect(online(srv, ["zone_stats:trips"], [78]), 200)["results"][1]["statuses"] == ["NOT_FOUND"]
    assert_error(srv.request("POST", "/api/v1/feature-views/nope/push", {"rows": rows}), 404)


def test_bad_online_requests_and_roles(srv):
    viewer = make_token(srv, "viewer").secret
    assert expect(online(srv, ["zone_stats:trips"], [1], token=viewer), 200)
    assert_error(srv.request("POST", "/api/v1/feature-views/zone_stats/materialize",
                             {"start": 0, "end": 1}, token=viewer), 403)
    assert_error(online(srv, ["nope:trips"], [1]), 404, "not_found")
    assert_error(online(srv, ["zone_stats:nope"], [1]), 404)
    assert_error(online(srv, ["zone_stats"], [1]), 400, mentions="view:feature")
    assert_error(online(srv, ["zone_stats:trips"], ["x"]), 400, mentions="zone_id")
    assert_error(srv.request("POST", "/api/v1/features/online",
                             {"features": ["zone_stats:trips"], "entities": {"city": [1]}}), 400,
                 mentions="zone_id")
    assert_error(srv.request("POST", "/api/v1/features/online", b"{not json",
                             headers={"Content-Type": "application/json"}), 400)
    assert_error(srv.request("POST", "/api/v1/feature-views/zone_stats/materialize",
                             {"start": 10, "end": 5}), 400)
    assert_error(srv.request("POST", "/api/v1/feature-views/zone_stats/materialize-incremental",
                             {"start": 10}), 400)
    assert_error(srv.request("GET", "/api/v1/feature-views/zone_stats/materializations/nope"), 404)


def test_too_many_entities_are_400_before_anything_is_sized_by_them(srv):
    """Regression: a column of more than 2^24 - 1 values (simdjson's saturated count) overran
    the per-thread buffer of numeric keys (a heap overflow a viewer could cause)."""
    assert_error(online(srv, ["zone_stats:trips"], [1] * 10_001), 400, mentions="10000 entities")
    n = (1 << 24) + 16
    body = b'{"features":["zone_stats:trips"],"entities":{"zone_id":[' + \
        b",".join([b"1"] * n) + b"]}}"
    assert_error(srv.request("POST", "/api/v1/features/online", body,
                             headers={"Content-Type": "application/json"}), 400,
                 mentions="10000 entities")
    assert_live(srv)
    assert expect(online(srv, ["zone_stats:trips"], [1, 2]), 200)


MODEL_FEATURES = ["trips", "avg_speed", "rain_mm", "temp_c", "hour"]


def train_model():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(500, len(MODEL_FEATURES))).astype(np.float32) * 10
    y = x[:, 0] * 0.5 + x[:, 1] - x[:, 2] * 2 + np.sin(x[:, 4])
    booster = xgb.train({"objective": "reg:squarederror", "max_depth": 4, "tree_method": "hist"},
                        xgb.DMatrix(x, label=y, feature_names=MODEL_FEATURES), 30)
    return booster


def test_an_endpoint_fills_its_features_from_the_online_store(srv):
    booster = train_model()
    sha = expect(srv.request("POST", "/api/v1/uploads", bytes(booster.save_raw(raw_format="json")),
                             headers={"Content-Type": "application/octet-stream"}), 201)["sha256"]
    model = uniq("demand")
    body = {"upload_sha256": sha, "flavor": "xgboost",
            "signature": {"inputs": [{"name": f, "type": "float"} for f in MODEL_FEATURES]}}
    v = expect(srv.request("POST", f"/api/v1/models/{model}/versions", body), 201)
    approver = make_token(srv, "approver").secret
    expect(srv.request("POST", f"/api/v1/models/{model}/versions/{v['version']}/approve", {},
                       token=approver), 200)
    refs = ["zone_stats:trips", "zone_stats:avg_speed", "zone_stats:rain_mm", "zone_stats:temp_c"]
    ep = uniq("ep")
    created = expect(srv.request("POST", "/api/v1/endpoints",
                                 {"name": ep, "variants": [{"model": model, "version": v["version"]}],
                                  "features": {"refs": refs, "entity_key": "zone_id"}}), 201)
    assert created["features"]["refs"] == refs
    # Zones 6 and 8 come from the online store; zone 8's rain is given with the request (wins);
    # zone 4242 is unknown (its features are missing, NaN, as XGBoost treats them).
    instances = [{"zone_id": 6, "hour": 8}, {"zone_id": 8, "hour": 17, "rain_mm": 3.0},
                 {"zone_id": 4242, "hour": 1}]
    out = expect(srv.request("POST", f"/api/v1/endpoints/{ep}/predict",
                             {"instances": instances, "echo_features": True}), 200)
    newest = NOW_MS - 2 * DAY_MS
    z6, z8 = zone_row(6, newest, 2), zone_row(8, newest, 2)
    rows = np.array([[z6[2], z6[3], z6[5], z6[6], 8],
                     [z8[2], z8[3], 3.0, z8[6], 17],
                     [np.nan, np.nan, np.nan, np.nan, 1]], dtype=np.float32)
    expected = booster.predict(xgb.DMatrix(rows, feature_names=MODEL_FEATURES))
    assert out["predictions"] == pytest.approx(expected.tolist(), rel=1e-5, abs=1e-5)
    assert out["features"][0] == pytest.approx({"hour": 8, "trips": z6[2], "avg_speed": z6[3],
                                                "rain_mm": z6[5], "temp_c": z6[6]})
    assert out["features"][1]["rain_mm"] == 3.0
    assert out["features"][2]["trips"] is None
    # Without echo_features the answer has no features; an instance without its key is a 400.
    plain = expect(srv.request("POST", f"/api/v1/endpoints/{ep}/predict",
                               {"instances": [{"zone_id": 6, "hour": 8}]}), 200)
    assert "features" not in plain and plain["predictions"][0] == pytest.approx(float(expected[0]), rel=1e-5)
    assert_error(srv.request("POST", f"/api/v1/endpoints/{ep}/predict",
                             {"instances": [{"hour": 8}]}), 400, mentions="zone_id")
    # A declaration that does not resolve fails when the endpoint is created or updated, naming
    # what is wrong, and the endpoint keeps what it had.
    variants = [{"model": model, "version": v["version"]}]
    for features, status, mention in (
            ({"refs": ["zone_stats:nope"], "entity_key": "zone_id"}, 404, "nope"),
            ({"refs": ["no_such_view:trips"], "entity_key": "zone_id"}, 404, "no_such_view"),
            ({"refs": ["zone_stats:trips"], "entity_key": "city_id"}, 400, "city_id")):
        assert_error(srv.request("POST", "/api/v1/endpoints", {"name": uniq("ep"), "variants": variants,
                                                               "features": features}),
                     status, mentions=mention)
        assert_error(srv.request("PUT", f"/api/v1/endpoints/{ep}", {"variants": variants,
                                                                    "features": features}),
                     status, mentions=mention)
    assert expect(srv.request("GET", f"/api/v1/endpoints/{ep}"), 200)["features"]["refs"] == refs
    assert_error(srv.request("POST", "/api/v1/endpoints",
                             {"name": uniq("ep"), "variants": [{"model": model, "version": 1}],
                              "features": {"refs": ["trips"], "entity_key": "zone_id"}}), 400)

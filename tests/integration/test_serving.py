"""Serving: registered XGBoost models on endpoints (issue 3, first part).

Models are trained here with Debian's python3-xgboost; predictions from the server must equal
XGBoost's own.
"""

import json
import threading
import time

import numpy as np
import pytest
import xgboost as xgb

import support
from support import assert_error, expect, uniq

N_FEATURES = 4
FEATURES = ["hour", "temp", "rain", "events"]


def train(objective, seed, num_class=None, rounds=20):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, N_FEATURES)).astype(np.float32)
    x[rng.random(x.shape) < 0.1] = np.nan
    if objective == "multi:softprob":
        y = (np.nan_to_num(x[:, 0]) > 0).astype(int) + (np.nan_to_num(x[:, 1]) > 0.5).astype(int)
    elif objective == "binary:logistic":
        y = (np.nan_to_num(x[:, 0]) + np.nan_to_num(x[:, 2]) > 0).astype(int)
    else:
        y = 3 * np.nan_to_num(x[:, 0]) - np.nan_to_num(x[:, 1]) + rng.normal(size=400)
    params = {"objective": objective, "max_depth": 4, "eta": 0.3, "tree_method": "hist",
              "seed": seed}
    if num_class:
        params["num_class"] = num_class
    booster = xgb.train(params, xgb.DMatrix(x, label=y, feature_names=FEATURES), rounds)
    raw = booster.save_raw(raw_format="json")
    probe = rng.normal(size=(16, N_FEATURES)).astype(np.float32)
    probe[0, 1] = np.nan
    expected = booster.predict(xgb.DMatrix(probe, feature_names=FEATURES))
    return bytes(raw), probe, expected


def upload(server, data):
    return expect(server.request("POST", "/api/v1/uploads", data,
                                 headers={"Content-Type": "application/octet-stream"}), 201)


def register(server, model, data, flavor="xgboost", token="admin"):
    sha = upload(server, data)["sha256"]
    body = {"upload_sha256": sha, "flavor": flavor,
            "signature": {"inputs": [{"name": f, "type": "float"} for f in FEATURES]}}
    return server.request("POST", f"/api/v1/models/{model}/versions", body, token=token)


@pytest.fixture(scope="module")
def models(server, roles):
    """Two approved regression versions and one approved multi-class version of fresh models."""
    approver = roles["approver"].secret
    out = {"name": uniq("demand"), "multi": uniq("zones")}
    out["v1"] = train("reg:squarederror", seed=1)
    out["v2"] = train("reg:squarederror", seed=2, rounds=30)
    out["m1"] = train("multi:softprob", seed=3, num_class=3)
    for key, model in (("v1", out["name"]), ("v2", out["name"]), ("m1", out["multi"])):
        v = expect(register(server, model, out[key][0]), 201)
        expect(server.request("POST", f"/api/v1/models/{model}/versions/{v['version']}/approve",
                              {"comment": "ok"}, token=approver), 200)
    return out


def create_endpoint(server, variants, name=None, token="admin", shadow=None):
    body = {"name": name or uniq("ep"), "variants": variants}
    if shadow:
        body["shadow"] = shadow
    return server.request("POST", "/api/v1/endpoints", body, token=token)


def predict(server, endpoint, body, routing_key=None):
    headers = {"X-Routing-Key": routing_key} if routing_key else None
    return server.request("POST", f"/api/v1/endpoints/{endpoint}/predict", body, token="admin",
                          headers=headers)


def test_registration_loads_the_artifact_with_its_flavor(server):
    status, body, _ = register(server, uniq("bad"), b"{not a model")
    assert status == 400 and body["error"]["code"] == "invalid_argument"
    assert "model" in body["error"]["message"].lower()
    status, _, _ = register(server, uniq("opaque"), b"any bytes", flavor="custom")
    assert status == 201


def test_only_approved_versions_can_be_deployed(server, models):
    model = uniq("pending")
    expect(register(server, model, models["v1"][0]), 201)
    resp = create_endpoint(server, [{"name": "a", "model": model, "version": 1}])
    assert_error(resp, 422, "failed_precondition")
    assert_error(create_endpoint(server, [{"name": "a", "model": model, "version": 9}]), 404)


def test_predictions_equal_xgboost_own(server, models):
    ep = expect(create_endpoint(server, [{"name": "main", "model": models["name"], "version": 1}]), 201)
    assert ep["ready"] and ep["variants"][0]["serving_version"] == 1
    assert ep["variants"][0]["runtime"] in ("compiled-trees", "xgboost")
    _, probe, expected = models["v1"]
    rows = [[None if np.isnan(v) else float(v) for v in row] for row in probe]
    out = expect(predict(server, ep["name"], {"inputs": rows}), 200)
    assert out["model"] == models["name"] and out["version"] == 1 and out["variant"] == "main"
    assert out["request_id"]
    np.testing.assert_allclose(out["predictions"], expected, rtol=1e-5, atol=1e-6)
    instances = [{f: v for f, v in zip(FEATURES, row) if v is not None} for row in rows]
    named = expect(predict(server, ep["name"], {"instances": instances}), 200)
    np.testing.assert_allclose(named["predictions"], expected, rtol=1e-5, atol=1e-6)


def test_bad_predict_requests_are_400_and_name_the_problem(server, models):
    ep = expect(create_endpoint(server, [{"name": "m", "model": models["name"], "version": 1}]), 201)
    assert_error(predict(server, ep["name"], {"inputs": [[1, 2, 3]]}), 400, mentions="3 values")
    assert_error(predict(server, ep["name"], {"instances": [{"nope": 1}]}), 400, mentions="nope")
    assert_error(predict(server, ep["name"], {"inputs": [["x", 1, 2, 3]]}), 400)
    assert_error(predict(server, ep["name"], {"rows": []}), 400)
    assert_error(predict(server, ep["name"], "not json"), 400)
    assert_error(predict(server, uniq("missing"), {"inputs": [[1, 2, 3, 4]]}), 404)
    support.assert_live(server)


def test_classifier_returns_probabilities(server, models):
    ep = expect(create_endpoint(server, [{"name": "m", "model": models["multi"], "version": 1}]), 201)
    _, probe, expected = models["m1"]
    rows = [[None if np.isnan(v) else float(v) for v in row] for row in probe]
    out = expect(predict(server, ep["name"], {"inputs": rows}), 200)
    assert len(out["predictions"][0]) == 3
    np.testing.assert_allclose(out["predictions"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.sum(out["predictions"], axis=1), 1.0, rtol=1e-5)


def test_open_inference_protocol(server, models):
    ep = expect(create_endpoint(server, [{"name": "m", "model": models["name"], "version": 1}]), 201)
    name = ep["name"]
    meta = expect(server.request("GET", f"/v2/models/{name}"), 200)
    assert meta["name"] == name and meta["inputs"][0]["shape"] == [-1, N_FEATURES]
    assert expect(server.request("GET", f"/v2/models/{name}/ready"), 200)["ready"] is True
    _, probe, expected = models["v1"]
    flat = [0.0 if np.isnan(v) else float(v) for v in probe[1:].flatten()]
    body = {"id": "req-1", "inputs": [{"name": "input-0", "shape": [len(probe) - 1, N_FEATURES],
                                       "datatype": "FP32", "data": flat}]}
    out = expect(server.request("POST", f"/v2/models/{name}/infer", body), 200)
    assert out["model_name"] == name and out["id"] == "req-1" and out["model_version"] == "1"
    assert out["outputs"][0]["shape"] == [len(probe) - 1]
    np.testing.assert_allclose(out["outputs"][0]["data"], expected[1:], rtol=1e-5, atol=1e-6)
    columns = {"inputs": [{"name": f, "shape": [2], "datatype": "FP32",
                           "data": [float(probe[1][i]), float(probe[2][i])]}
                          for i, f in enumerate(FEATURES)]}
    by_column = expect(server.request("POST", f"/v2/models/{name}/infer", columns), 200)
    np.testing.assert_allclose(by_column["outputs"][0]["data"], expected[1:3], rtol=1e-5, atol=1e-6)
    assert_error(server.request("POST", f"/v2/models/{name}/infer", {"inputs": []}), 400)


def test_weighted_split_is_sticky_per_routing_key(server, models):
    m = models["name"]
    ep = expect(create_endpoint(server, [{"name": "a", "model": m, "version": 1, "weight": 50},
                                         {"name": "b", "model": m, "version": 2, "weight": 50}]), 201)
    row = {"inputs": [[0.1, 0.2, 0.3, 0.4]]}
    seen = set()
    for i in range(40):
        first = expect(predict(server, ep["name"], row, routing_key=f"user-{i}"), 200)["variant"]
        for _ in range(3):
            again = expect(predict(server, ep["name"], row, routing_key=f"user-{i}"), 200)
            assert again["variant"] == first
        seen.add(first)
    assert seen == {"a", "b"}
    counts = {"a": 0, "b": 0}
    for _ in range(200):
        counts[expect(predict(server, ep["name"], row), 200)["variant"]] += 1
    assert 50 < counts["a"] < 150, counts


def test_endpoint_follows_its_alias(server, models, roles):
    m = models["name"]
    approver = roles["approver"].secret
    expect(server.request("PUT", f"/api/v1/models/{m}/aliases/champion", {"version": 1},
                          token=approver), 200)
    ep = expect(create_endpoint(server, [{"name": "champ", "model": m, "alias": "champion"}]), 201)
    row = {"inputs": [[0.5, -0.2, 0.1, 1.0]]}
    assert expect(predict(server, ep["name"], row), 200)["version"] == 1
    expect(server.request("PUT", f"/api/v1/models/{m}/aliases/champion", {"version": 2},
                          token=approver), 200)
    assert expect(predict(server, ep["name"], row), 200)["version"] == 2
    got = expect(server.request("GET", f"/api/v1/endpoints/{ep['name']}"), 200)
    assert got["variants"][0]["serving_version"] == 2 and got["variants"][0]["alias"] == "champion"


def test_swaps_under_load_drop_no_request(server, models):
    m = models["name"]
    ep = expect(create_endpoint(server, [{"name": "a", "model": m, "version": 1}]), 201)
    name = ep["name"]
    failures, done = [], threading.Event()
    counts = [0] * 4

    def load(i):
        while not done.is_set():
            status, body, _ = predict(server, name, {"inputs": [[0.1, 0.2, 0.3, 0.4]]})
            counts[i] += 1
            if status != 200:
                failures.append((status, body))

    threads = [threading.Thread(target=load, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    configs = [[{"name": "a", "model": m, "version": 2}],
               [{"name": "a", "model": m, "version": 1, "weight": 3},
                {"name": "b", "model": m, "version": 2, "weight": 1}],
               [{"name": "b", "model": m, "version": 2}]]
    for i in range(30):
        expect(server.request("PUT", f"/api/v1/endpoints/{name}", {"variants": configs[i % 3]}), 200)
    done.set()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
    assert sum(counts) > 30


def test_endpoints_are_audited_need_a_role_and_survive_restart(fresh_server, tmp_path):
    srv = fresh_server.start()
    raw, _, _ = train("reg:squarederror", seed=5, rounds=5)
    approver = support.make_token(srv, "approver").secret
    scientist = support.make_token(srv, "scientist").secret
    v = expect(register(srv, "m", raw, token=scientist), 201)
    expect(srv.request("POST", f"/api/v1/models/m/versions/{v['version']}/approve", {},
                       token=approver), 200)
    variants = [{"name": "a", "model": "m", "version": 1}]
    assert_error(create_endpoint(srv, variants, name="ep", token=scientist), 403)
    expect(create_endpoint(srv, variants, name="ep", token=approver), 201)
    assert_error(create_endpoint(srv, variants, name="ep", token=approver), 409)
    expect(srv.request("PUT", "/api/v1/endpoints/ep", {"variants": variants}, token=approver), 200)
    actions = [e["action"] for e in support.audit_events(srv)]
    assert actions.count("endpoint.create") == 1 and actions.count("endpoint.update") == 1
    srv.restart()
    assert expect(srv.request("GET", "/api/v1/endpoints/ep"), 200)["ready"] is True
    assert expect(predict(srv, "ep", {"inputs": [[1, 2, 3, 4]]}), 200)["version"] == 1
    assert srv.request("DELETE", "/api/v1/endpoints/ep", token=approver)[0] == 204
    assert_error(srv.request("GET", "/api/v1/endpoints/ep"), 404)
    assert support.audit_verify(srv)["ok"] is True


def wait_for_shadow(server, name, requests, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        shadow = expect(server.request("GET", f"/api/v1/endpoints/{name}"), 200)["shadow"]
        if shadow["stats"]["requests"] + shadow["stats"]["errors"] >= requests:
            return shadow
        time.sleep(0.05)
    raise AssertionError(f"the shadow saw fewer than {requests} copies: {shadow}")


def test_shadow_gets_a_copy_and_its_agreement_is_recorded(server, models):
    m = models["name"]
    ep = expect(create_endpoint(server, [{"name": "live", "model": m, "version": 1}],
                                shadow={"model": m, "version": 2, "tolerance": 0.05}), 201)
    assert ep["shadow"]["serving_version"] == 2 and ep["shadow"]["stats"]["requests"] == 0
    _, probe, v1 = models["v1"]
    rows = [[None if np.isnan(v) else float(v) for v in row] for row in probe]
    v2_ep = expect(create_endpoint(server, [{"name": "v2", "model": m, "version": 2}]), 201)
    v2 = np.array(expect(predict(server, v2_ep["name"], {"inputs": rows}), 200)["predictions"],
                  dtype=np.float32)
    for _ in range(5):
        out = expect(predict(server, ep["name"], {"inputs": rows}), 200)
        assert out["version"] == 1 and out["variant"] == "live"  # the shadow never answers
        np.testing.assert_allclose(out["predictions"], v1, rtol=1e-5, atol=1e-6)
    shadow = wait_for_shadow(server, ep["name"], 5)
    stats = shadow["stats"]
    assert stats["requests"] == 5 and stats["errors"] == 0 and stats["compared"] == 5 * len(probe)
    diffs = np.abs(v1.astype(np.float64) - v2)
    assert stats["mean_abs_diff"] == pytest.approx(diffs.mean(), rel=1e-4)
    within = np.mean(diffs <= 0.05 * np.maximum(1.0, np.abs(v1)))
    assert stats["within_tolerance_share"] == pytest.approx(within, abs=1e-9)
    assert stats["mean_latency_ms"] >= 0 and stats["max_latency_ms"] >= stats["mean_latency_ms"]


def test_identical_shadow_agrees_fully(server, models):
    m = models["name"]
    ep = expect(create_endpoint(server, [{"name": "live", "model": m, "version": 1}],
                                shadow={"model": m, "version": 1}), 201)
    for i in range(10):
        expect(predict(server, ep["name"], {"inputs": [[i * 0.1, 0.2, None, 1.0]]}), 200)
    stats = wait_for_shadow(server, ep["name"], 10)["stats"]
    assert stats["mean_abs_diff"] == 0 and stats["within_tolerance_share"] == 1.0


def metric_value(text, name, **labels):
    """The value of the sample `name{labels...}` (labels matched as a subset), or None."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name + "{"):
            continue
        label_text = line[len(name) + 1:line.rindex("}")]
        if all(f'{k}="{v}"' in label_text for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_prometheus_metrics_per_endpoint_and_variant(server, models, tmp_path):
    m = models["name"]
    ep = expect(create_endpoint(server, [{"name": "a", "model": m, "version": 1}],
                                shadow={"model": m, "version": 2}), 201)
    name = ep["name"]
    for n in (1, 3, 5):
        expect(predict(server, name, {"inputs": [[0.1, 0.2, 0.3, 0.4]] * n}), 200)
    assert_error(predict(server, name, {"inputs": [[1, 2]]}), 400)
    wait_for_shadow(server, name, 3)
    assert_error(server.request("GET", "/metrics", token=None), 401)
    status, text, headers = server.request("GET", "/metrics", raw=True)
    assert status == 200 and headers["content-type"].startswith("text/plain")
    text = text.decode()
    assert metric_value(text, "plinth_predict_requests_total", endpoint=name, variant="a") == 4
    assert metric_value(text, "plinth_predict_errors_total", endpoint=name, variant="a") == 1
    assert metric_value(text, "plinth_predict_batch_rows_count", endpoint=name) == 4
    assert metric_value(text, "plinth_predict_batch_rows_sum", endpoint=name) == 1 + 3 + 5 + 1
    assert metric_value(text, "plinth_predict_batch_rows_bucket", endpoint=name, le="4") == 3
    assert metric_value(text, "plinth_predict_latency_seconds_bucket", endpoint=name, le="+Inf") == 4
    assert metric_value(text, "plinth_model_load_seconds", endpoint=name, version="1") >= 0
    assert metric_value(text, "plinth_shadow_requests_total", endpoint=name) == 3
    assert "# TYPE plinth_predict_latency_seconds histogram" in text
    # A swap keeps the counters of a variant that stays.
    expect(server.request("PUT", f"/api/v1/endpoints/{name}",
                          {"variants": [{"name": "a", "model": m, "version": 2}]}), 200)
    text = server.request("GET", "/metrics", raw=True)[1].decode()
    assert metric_value(text, "plinth_predict_requests_total", endpoint=name, variant="a") == 4


def test_metrics_can_be_open_to_a_scraper(tmp_path):
    from plinth_server import PlinthServer
    with PlinthServer(tmp_path / "open", extra_args=["--metrics-open"]) as srv:
        status, text, _ = srv.request("GET", "/metrics", token=None, raw=True)
        assert status == 200 and b"plinth_predict_requests_total" in text
        assert srv.request("GET", "/api/v1/whoami", token=None)[0] == 401


def captures(server, name, **query):
    path = support.with_query(f"/api/v1/endpoints/{name}/captures", **query)
    return expect(server.request("GET", path), 200)


def wait_for_captures(server, name, count, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        items = support.list_all(server, f"/api/v1/endpoints/{name}/captures")[0]
        if len(items) >= count:
            return items
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} captures of {name}")


def test_capture_records_sampled_traffic(server, models):
    m = models["name"]
    body = {"name": uniq("cap"), "variants": [{"name": "a", "model": m, "version": 1}],
            "capture": {"sample_rate": 1.0}}
    ep = expect(server.request("POST", "/api/v1/endpoints", body), 201)
    ids = []
    for i in range(25):
        out = expect(predict(server, ep["name"], {"inputs": [[i, 0.5, None, 1.0]]}), 200)
        ids.append(out["request_id"])
    items = wait_for_captures(server, ep["name"], 25)
    assert [c["request_id"] for c in items] == ids
    first = items[0]
    assert first["variant"] == "a" and first["model"] == m and first["version"] == 1
    assert first["request"] == {"inputs": [[0, 0.5, None, 1.0]]}
    assert len(first["predictions"]) == 1 and first["latency_ms"] >= 0
    assert captures(server, ep["name"], since_ms=items[-1]["time_ms"] + 1)["items"] == []
    # Sampling off: nothing is captured; a bad rate is refused.
    expect(server.request("PUT", f"/api/v1/endpoints/{ep['name']}",
                          {"variants": body["variants"], "capture": {"sample_rate": 0}}), 200)
    expect(predict(server, ep["name"], {"inputs": [[1, 2, 3, 4]]}), 200)
    time.sleep(0.2)
    assert len(support.list_all(server, f"/api/v1/endpoints/{ep['name']}/captures")[0]) == 25
    assert_error(server.request("PUT", f"/api/v1/endpoints/{ep['name']}",
                                {"variants": body["variants"], "capture": {"sample_rate": 2}}), 400)


def test_capture_samples_about_the_configured_share(server, models):
    m = models["name"]
    body = {"name": uniq("cap"), "variants": [{"name": "a", "model": m, "version": 1}],
            "capture": {"sample_rate": 0.25}}
    ep = expect(server.request("POST", "/api/v1/endpoints", body), 201)
    for _ in range(400):
        expect(predict(server, ep["name"], {"inputs": [[1, 2, 3, 4]]}), 200)
    time.sleep(0.3)
    n = len(support.list_all(server, f"/api/v1/endpoints/{ep['name']}/captures")[0])
    assert 50 <= n <= 150, n


def run_cli(server, *args, token=None):
    import subprocess
    from plinth_server import plinth_binary
    return subprocess.run([plinth_binary(), "--url", server.url, "--token",
                           token or server.admin_token, *args],
                          capture_output=True, text=True, timeout=60)


def test_cli_deploys_and_batch_predicts(server, models, tmp_path):
    m = models["name"]
    name = uniq("cli")
    res = run_cli(server, "endpoints", "create", name, "--variant", f"a={m}:1=3",
                  "--variant", f"b={m}:2=1", "--json")
    assert res.returncode == 0, res.stderr
    assert [v["weight"] for v in json.loads(res.stdout)["variants"]] == [3, 1]
    _, probe, expected = models["v1"]
    rows = tmp_path / "rows.csv"
    lines = [",".join(FEATURES)]
    for row in probe:
        lines.append(",".join("" if np.isnan(v) else repr(float(v)) for v in row))
    lines.insert(3, "1,2,oops,4")  # line 4 is bad
    rows.write_text("\n".join(lines) + "\n")
    res = run_cli(server, "endpoints", "update", name, "--variant", f"a={m}:1")
    assert res.returncode == 0, res.stderr
    out = tmp_path / "preds.csv"
    res = run_cli(server, "predict", "--endpoint", name, "--input", str(rows), "--output", str(out),
                  "--batch-size", "5")
    assert res.returncode == 0, res.stderr
    assert "rows.csv:4" in res.stderr and "oops" in res.stderr and "rows/s" in res.stderr
    got = [line.split(",") for line in out.read_text().splitlines()]
    assert got[0] == ["line", "prediction", "variant", "version"]
    assert [int(r[0]) for r in got[1:]] == [2, 3] + list(range(5, len(probe) + 3))
    np.testing.assert_allclose([float(r[1]) for r in got[1:]], expected, rtol=1e-5, atol=1e-6)
    strict = run_cli(server, "predict", "--endpoint", name, "--input", str(rows), "--strict")
    assert strict.returncode != 0 and len(strict.stderr.strip().splitlines()) == 1
    assert "rows.csv:4" in strict.stderr
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text('{"hour": 1, "temp": 2}\nnot json\n{"rain": 0.5}\n')
    res = run_cli(server, "predict", "--endpoint", name, "--input", str(jsonl))
    assert res.returncode == 0 and len(res.stdout.strip().splitlines()) == 3, res.stderr
    assert run_cli(server, "endpoints", "delete", name).returncode == 0
    missing = run_cli(server, "endpoints", "get", name)
    assert missing.returncode == 1 and "not_found" in missing.stderr


def _rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _accept_backlog(port):
    """Connections waiting in the kernel for the listening socket on `port` to accept them."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, state, queues = fields[1], fields[3], fields[4]
            if state == "0A" and int(local.split(":")[1], 16) == port:
                return int(queues.split(":")[1], 16)
    raise AssertionError(f"no listening socket on port {port}")


def _timed_predictions(server, endpoint, body, n):
    """n predictions over one keep-alive connection: their latencies in ms (all must be 200)."""
    conn = support.connect(server.port, timeout=10)
    reader = support.HttpReader(conn)
    data = json.dumps(body).encode()
    head = support.request_head("POST", f"/api/v1/endpoints/{endpoint}/predict",
                                token=server.admin_token, content_length=len(data),
                                headers={"Content-Type": "application/json"})
    latencies = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            conn.sendall(head + data)
            status, _, answer = reader.next(timeout=10)
            latencies.append((time.perf_counter() - t0) * 1000)
            assert status == 200, answer
    finally:
        conn.close()
    return sorted(latencies)


def test_thousands_of_idle_or_slow_connections_leave_predictions_unaffected(server, models):
    """2,000 connections that say nothing, dribble half a header or send half a body: predictions
    on another connection keep their latency, and the server's memory stays bounded."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2000
    if soft < want + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, want + 500), hard))
        soft = min(hard, want + 500)
    n = min(want, soft - 200)
    assert n >= 1000, f"the open-files limit ({soft}) leaves room for only {n} connections"
    ep = expect(create_endpoint(server, [{"name": "a", "model": models["name"], "version": 1}]), 201)
    body = {"inputs": models["v1"][1][:1].tolist()}
    body["inputs"][0] = [None if np.isnan(v) else float(v) for v in body["inputs"][0]]
    before = _timed_predictions(server, ep["name"], body, 200)
    rss_before = _rss_kb(server.proc.pid)

    socks = []
    try:
        for i in range(n):
            s = support.connect(server.port, timeout=10)
            if i % 4 == 1:  # half a header, never finished
                s.sendall(b"POST /api/v1/endpoints/x/predict HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            elif i % 4 == 2:  # a whole header, half the body it announces
                s.sendall(support.request_head("POST", f"/api/v1/endpoints/{ep['name']}/predict",
                                               token=server.admin_token, content_length=4000)
                          + b'{"inputs": [[1.0, ')
            socks.append(s)  # the rest: connected, silent
        # Measure only once the server holds them all (accepted, not waiting in the backlog).
        deadline = time.time() + 20
        while _accept_backlog(server.port) > 0:
            assert time.time() < deadline, "the server did not accept the connections"
            time.sleep(0.05)
        during = _timed_predictions(server, ep["name"], body, 200)
        rss_during = _rss_kb(server.proc.pid)
    finally:
        for s in socks:
            s.close()

    median_before, median_during = before[len(before) // 2], during[len(during) // 2]
    assert median_during < max(5 * median_before, 20.0), \
        f"median latency went from {median_before:.2f} ms to {median_during:.2f} ms"
    assert during[-1] < 1000, f"a prediction took {during[-1]:.0f} ms among {n} idle connections"
    grown_mb = (rss_during - rss_before) / 1024
    assert grown_mb < 64, f"{n} idle connections grew the server by {grown_mb:.0f} MB"
    expect(predict(server, ep["name"], body), 200)  # and it goes on after they leave


def test_a_corrupted_artifact_fails_to_load_and_the_endpoint_keeps_serving(server, roles):
    approver = roles["approver"].secret
    model = uniq("fragile")
    good, probe, expected = train("reg:squarederror", seed=31)
    bad_later, _, _ = train("reg:squarederror", seed=32, rounds=25)
    for data in (good, bad_later):
        v = expect(register(server, model, data), 201)
        expect(server.request("POST", f"/api/v1/models/{model}/versions/{v['version']}/approve",
                              {"comment": "ok"}, token=approver), 200)
    ep = expect(create_endpoint(server, [{"name": "a", "model": model, "version": 1}]), 201)
    files = support.blob_files(server.data_dir, bad_later)
    assert files, "cannot find version 2's model file under the data dir"
    for f in files:
        f.chmod(0o644)
        f.write_bytes(bytes(b ^ 0xFF for b in bad_later))

    st, body, _ = server.request("PUT", f"/api/v1/endpoints/{ep['name']}",
                                 {"variants": [{"name": "a", "model": model, "version": 2}]},
                                 token=approver)
    assert st >= 400, f"deploying a corrupted version answered {st}: {body}"
    message = body["error"]["message"]
    assert f"model '{model}' version 2 cannot be served" in message and "SHA-256" in message, body
    got = expect(server.request("GET", f"/api/v1/endpoints/{ep['name']}"), 200)
    assert got["ready"] and got["variants"][0]["serving_version"] == 1
    rows = [[None if np.isnan(v) else float(v) for v in r] for r in probe.tolist()]
    out = expect(predict(server, ep["name"], {"inputs": rows}), 200)
    assert out["version"] == 1
    assert np.allclose(out["predictions"], expected, rtol=1e-6, atol=1e-6)

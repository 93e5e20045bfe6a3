"""Monitoring on the server (issue 5): baselines, scheduled monitors over captured traffic,
reports, ground truth and quality per variant, alerts delivered to webhooks with retries,
retrain requests, and a defined answer for every kind of bad input.

The whole loop runs here: an XGBoost model trained in the test serves an endpoint that captures
every request; a baseline comes from a CSV; traffic with a shifted `rain` column makes a
monitor scheduled every second fire an alert that reaches a local webhook receiver and records a
retrain request; unshifted traffic then resolves the alert, and the receiver hears that too.
"""

import http.server
import json
import signal
import socket
import threading
import time

import numpy as np
import pytest
import xgboost as xgb

import support
from support import assert_error, expect, uniq

FEATURES = ["hour", "day_of_week", "temperature", "rain"]


def make_rows(rng, n, rain_scale=1.0):
    x = np.column_stack([rng.integers(0, 24, n), rng.integers(0, 7, n),
                         rng.normal(12, 6, n), rng.exponential(rain_scale, n)]).astype(np.float32)
    return x


def demand_of(x, rng):
    return 50 + 3 * x[:, 0] - 2 * x[:, 3] + 0.5 * x[:, 2] + rng.normal(0, 2, len(x))


# --- a local webhook receiver -----------------------------------------------------------------

class Receiver:
    """http.server on port 0 recording POSTed JSON; the first `fail_first` requests get 500."""

    def __init__(self, fail_first=0):
        self.events = []
        self.attempts = 0
        self.fail_first = fail_first
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.attempts += 1
                if outer.attempts <= outer.fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                outer.events.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def wait_for(self, event, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [e for e in self.events if e["event"] == event]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"the receiver never got {event}: {self.events}")


def closed_port_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/down"


# --- fixtures ---------------------------------------------------------------------------------

def train_model(server, approver_secret):
    """Registers and approves an XGBoost regression version trained on the demo's features."""
    rng = np.random.default_rng(5)
    x = make_rows(rng, 2000)
    y = demand_of(x, rng)
    booster = xgb.train({"objective": "reg:squarederror", "max_depth": 4, "eta": 0.3,
                         "tree_method": "hist", "seed": 5},
                        xgb.DMatrix(x, label=y, feature_names=FEATURES), 30)
    raw = bytes(booster.save_raw(raw_format="json"))
    sha = expect(server.request("POST", "/api/v1/uploads", raw,
                                headers={"Content-Type": "application/octet-stream"}), 201)["sha256"]
    name = uniq("demand")
    body = {"upload_sha256": sha, "flavor": "xgboost",
            "signature": {"inputs": [{"name": f, "type": "float"} for f in FEATURES]}}
    v = expect(server.request("POST", f"/api/v1/models/{name}/versions", body), 201)
    expect(server.request("POST", f"/api/v1/models/{name}/versions/{v['version']}/approve",
                          {"comment": "ok"}, token=approver_secret), 200)
    return {"name": name, "version": v["version"], "booster": booster}


@pytest.fixture(scope="module")
def model(server, roles):
    return train_model(server, roles["approver"].secret)


def make_endpoint(server, model, variants=None):
    name = uniq("ep")
    variants = variants or [{"name": "primary", "model": model["name"],
                             "version": model["version"]}]
    expect(server.request("POST", "/api/v1/endpoints",
                          {"name": name, "variants": variants,
                           "capture": {"sample_rate": 1.0}}), 201)
    return name


def reference_csv(n=3000, seed=11, with_target=True):
    rng = np.random.default_rng(seed)
    x = make_rows(rng, n)
    cols = FEATURES + (["demand"] if with_target else [])
    lines = [",".join(cols)]
    y = demand_of(x, rng)
    for i in range(n):
        vals = [f"{v:.4f}" for v in x[i]] + ([f"{y[i]:.4f}"] if with_target else [])
        lines.append(",".join(vals))
    return "\n".join(lines) + "\n"


def make_baseline(server, csv=None, target="demand"):
    name = uniq("base")
    body = {"name": name, "source": {"csv": csv or reference_csv()}}
    if target:
        body["target_column"] = target
    return expect(server.request("POST", "/api/v1/baselines", body), 201)


def send(server, endpoint, x, batch=50, request_ids=None):
    """Predicts x in batches; returns (request_id, predictions) per batch."""
    out = []
    for start in range(0, len(x), batch):
        rows = x[start:start + batch]
        headers = {}
        if request_ids is not None:
            headers["X-Request-Id"] = request_ids[start // batch]
        body = {"instances": [dict(zip(FEATURES, map(float, r))) for r in rows]}
        resp = expect(server.request("POST", f"/api/v1/endpoints/{endpoint}/predict", body,
                                     headers=headers), 200)
        out.append((resp["request_id"], resp["predictions"], resp["variant"]))
    return out


def wait_captured(server, endpoint, count, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        items, _ = support.list_all(server, f"/api/v1/endpoints/{endpoint}/captures", limit=1000)
        if len(items) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{endpoint}: captures never reached {count}")


def alerts_of(server, monitor, rule="data_drift"):
    items = expect(server.request("GET", support.with_query("/api/v1/alerts", monitor=monitor)),
                   200)["items"]
    return [a for a in items if a["rule"] == rule]


def wait_alert(server, monitor, state, timeout=20):
    deadline = time.time() + timeout
    items = []
    while time.time() < deadline:
        items = alerts_of(server, monitor)
        if items and items[0]["state"] == state:
            return items[0]
        time.sleep(0.1)
    reports = expect(server.request("GET", f"/api/v1/monitors/{monitor}/reports?limit=3"), 200)
    summary = [{k: r.get(k) for k in ("rows", "notes", "alerts", "data_drift")}
               for r in reports["items"]]
    raise AssertionError(f"monitor {monitor}: no {state} alert in {timeout}s: {items}; "
                         f"latest reports: {json.dumps(summary)[:3000]}")


# --- the whole loop ---------------------------------------------------------------------------

def test_shifted_rain_fires_alert_webhook_retrain_then_resolves(server, model):
    endpoint = make_endpoint(server, model)
    baseline = make_baseline(server)
    assert baseline["version"] == 1 and baseline["rows"] == 3000
    assert baseline["feature_columns"] == FEATURES and baseline["target_column"] == "demand"
    receiver = Receiver()
    try:
        monitor = expect(server.request("POST", "/api/v1/monitors", {
            "name": uniq("mon"), "endpoint": endpoint, "baseline": baseline["name"],
            "window_seconds": 2, "schedule_seconds": 1,
            "drift": {"method": "auto", "drift_share": 0.25}, "prediction_drift": {"threshold": 5},
            "alert": {"webhook_url": receiver.url}}), 201)
        name = monitor["name"]
        assert monitor["id"] and monitor["baseline"]["name"] == baseline["name"]

        # Shifted rain (scale 4 instead of 1) arrives; the scheduled run fires.
        rng = np.random.default_rng(21)
        send(server, endpoint, make_rows(rng, 600, rain_scale=4.0), batch=100)
        alert = wait_alert(server, name, "firing")
        assert alert["rule"] == "data_drift" and "rain" in alert["reason"]
        fired = receiver.wait_for("alert.fired")
        assert fired[0]["alert"]["id"] == alert["id"]
        assert fired[0]["endpoint"] == endpoint and fired[0]["monitor"] == name
        retrain = expect(server.request(
            "GET", support.with_query("/api/v1/retrain-requests", endpoint=endpoint)), 200)["items"]
        assert retrain and retrain[0]["alert_id"] == alert["id"] and "rain" in retrain[0]["reason"]
        assert fired[0]["retrain_request_id"] == retrain[0]["id"]

        # The report that fired carries per-column statistics and histograms of both sides.
        reports = expect(server.request(
            "GET", f"/api/v1/monitors/{name}/reports?limit=50"), 200)["items"]
        firing = next(r for r in reports if any(a["event"] == "fired" for a in r["alerts"]))
        cols = {c["column"]: c for c in firing["data_drift"]["columns"]}
        assert set(cols) == set(FEATURES)
        assert cols["rain"]["drifted"] and cols["rain"]["tested"]
        assert not cols["hour"]["drifted"]
        prof = cols["rain"]["profile"]
        assert prof["baseline"]["count"] == 3000 and prof["current"]["count"] > 0
        hist = prof["histogram"]
        assert len(hist["edges"]) == len(hist["baseline"]) + 1 == len(hist["current"]) + 1
        assert abs(sum(hist["baseline"]) - 3000) < 1e-6
        assert prof["current"]["mean"] > 2 * prof["baseline"]["mean"]
        assert firing["prediction_drift"]["column"] == "demand"
        assert firing["data_drift"]["dataset"]["drift"] is True

        # The condition holds: the same alert is counted, not repeated.
        time.sleep(1.2)
        send(server, endpoint, make_rows(rng, 300, rain_scale=4.0), batch=100)
        time.sleep(1.5)
        firing_now = alerts_of(server, name)
        assert len(firing_now) == 1 and firing_now[0]["occurrences"] >= 2
        assert len(receiver.wait_for("alert.fired")) == 1

        # Unshifted traffic for longer than the window: the alert resolves, and says so.
        deadline = time.time() + 20
        resolved = None
        while time.time() < deadline and resolved is None:
            send(server, endpoint, make_rows(rng, 200), batch=100)
            items = alerts_of(server, name)
            if items[0]["state"] == "resolved":
                resolved = items[0]
            time.sleep(0.3)
        assert resolved is not None, "the alert never resolved"
        assert resolved["id"] == alert["id"] and resolved["resolved_ms"] >= resolved["fired_ms"]
        got = receiver.wait_for("alert.resolved")
        assert got[0]["alert"]["id"] == alert["id"]
        delivered = wait_delivery(server, alert["id"], "resolve")
        assert delivered["delivery"]["fire"] == "delivered"

        # Paging through reports, newest first.
        page = expect(server.request("GET", f"/api/v1/monitors/{name}/reports?limit=1"), 200)
        assert len(page["items"]) == 1 and page["next_page_token"]
        nxt = expect(server.request(
            "GET", f"/api/v1/monitors/{name}/reports?limit=1&page_token={page['next_page_token']}"),
            200)
        assert nxt["items"][0]["started_ms"] <= page["items"][0]["started_ms"]
        # Audit: the alert's transitions and the retrain request are in the chain.
        actions = {e["action"] for e in support.audit_events(server)}
        assert {"baseline.create", "monitor.create", "alert.fire", "alert.resolve",
                "retrain.request", "alert.delivery"} <= actions
    finally:
        expect(server.request("DELETE", f"/api/v1/monitors/{name}"), 204)
        receiver.close()


def wait_delivery(server, alert_id, kind, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        a = expect(server.request("GET", f"/api/v1/alerts/{alert_id}"), 200)
        if a["delivery"][kind] in ("delivered", "failed"):
            return a
        time.sleep(0.1)
    raise AssertionError(f"alert {alert_id}: {kind} delivery never finished")


# --- webhook delivery: retries, failure, the server unaffected ---------------------------------

def drifting_monitor(server, model, webhook_url):
    endpoint = make_endpoint(server, model)
    baseline = make_baseline(server)
    name = expect(server.request("POST", "/api/v1/monitors", {
        "name": uniq("mon"), "endpoint": endpoint, "baseline": baseline["name"],
        "window_seconds": 60, "schedule_seconds": 0, "drift": {"drift_share": 0.25},
        "alert": {"webhook_url": webhook_url, "retrain": False}}), 201)["name"]
    rng = np.random.default_rng(3)
    send(server, endpoint, make_rows(rng, 300, rain_scale=5.0), batch=100)
    wait_captured(server, endpoint, 3)
    report = expect(server.request("POST", f"/api/v1/monitors/{name}/run"), 200)
    fired = [a for a in report["alerts"] if a["event"] == "fired"]
    assert fired, report["alerts"]
    return name, fired[0]["alert_id"]


def test_webhook_that_fails_then_succeeds_is_retried(server, model):
    receiver = Receiver(fail_first=2)
    try:
        name, alert_id = drifting_monitor(server, model, receiver.url)
        a = wait_delivery(server, alert_id, "fire")
        assert a["delivery"]["fire"] == "delivered"
        assert a["delivery"]["attempts"] == 3 and receiver.attempts == 3
        assert len(receiver.events) == 1
    finally:
        receiver.close()


def test_webhook_that_is_down_is_marked_failed_and_server_unaffected(server, model):
    t0 = time.time()
    name, alert_id = drifting_monitor(server, model, closed_port_url())
    # The run answered without waiting for delivery.
    assert time.time() - t0 < 10
    support.assert_live(server)
    a = wait_delivery(server, alert_id, "fire")
    assert a["delivery"]["fire"] == "failed" and a["delivery"]["attempts"] == 5
    assert a["delivery"]["last_error"]
    assert a["state"] == "firing"
    support.assert_live(server)
    # No retrain request when the monitor says retrain: false.
    reqs = expect(server.request("GET", "/api/v1/retrain-requests"), 200)["items"]
    assert all(r["alert_id"] != alert_id for r in reqs)


def test_deliveries_lost_in_a_crash_are_marked_failed_on_restart(fresh_server):
    srv = fresh_server.start()
    approver = support.make_token(srv, "approver").secret
    model = train_model(srv, approver)
    name, alert_id = drifting_monitor(srv, model, closed_port_url())
    srv.stop(sig=signal.SIGKILL)  # retries pending, no chance to record them
    srv.start()
    a = expect(srv.request("GET", f"/api/v1/alerts/{alert_id}"), 200)
    assert a["delivery"]["fire"] == "failed"
    assert a["delivery"]["last_error"] == "server restarted"
    assert a["state"] == "firing"
    # The monitor and its schedule survive the restart; a run still works.
    report = expect(srv.request("POST", f"/api/v1/monitors/{name}/run"), 200)
    assert [e["event"] for e in report["alerts"]] == ["firing"]


# --- ground truth and quality per variant ------------------------------------------------------

def test_feedback_joins_labels_and_quality_per_variant(server, model, roles):
    # Two variants of the same version: a canary by weight, each scored separately.
    endpoint = make_endpoint(server, model, variants=[
        {"name": "primary", "model": model["name"], "version": model["version"], "weight": 50},
        {"name": "canary", "model": model["name"], "version": model["version"], "weight": 50}])
    baseline = make_baseline(server)
    rng = np.random.default_rng(8)
    x = make_rows(rng, 400)
    y = demand_of(x, rng)
    ids = [uniq("req") for _ in range(40)]
    answers = send(server, endpoint, x, batch=10, request_ids=ids)
    wait_captured(server, endpoint, 40)
    # Labels: one list per request (10 rows each), plus one id that was never captured.
    labels = [{"request_id": rid, "label": [float(v) for v in y[i * 10:(i + 1) * 10]]}
              for i, (rid, _, _) in enumerate(answers)]
    labels.append({"request_id": "never-captured", "label": 1.0})
    res = expect(server.request("POST", f"/api/v1/endpoints/{endpoint}/feedback", labels,
                                token=roles["scientist"].secret), 200)
    assert res == {"accepted": 41, "matched": 40, "unmatched": ["never-captured"]}

    name = expect(server.request("POST", "/api/v1/monitors", {
        "name": uniq("mon"), "endpoint": endpoint, "baseline": baseline["name"],
        "window_seconds": 300, "schedule_seconds": 0, "drift": False,
        "quality": {"metric": "mae", "threshold": 1000}}), 201)["name"]
    report = expect(server.request("POST", f"/api/v1/monitors/{name}/run"), 200)
    q = report["quality"]
    preds = np.concatenate([np.array(p, dtype=np.float64) for _, p, _ in answers])
    variants = np.repeat([v for _, _, v in answers], 10)
    assert q["count"] == 400
    assert q["value"] == pytest.approx(np.mean(np.abs(y - preds)), rel=1e-6)
    assert set(q["by_variant"]) == set(variants)
    for v in set(variants):
        m = variants == v
        assert q["by_variant"][v]["value"] == pytest.approx(np.mean(np.abs(y[m] - preds[m])),
                                                           rel=1e-6)
        assert q["by_variant"][v]["count"] == int(m.sum())
    assert report["alerts"] == [{"rule": "quality", "event": "clear", "alert_id": None}]

    # rmse and mape on the same labels, checked against numpy.
    for metric, expected in (("rmse", np.sqrt(np.mean((y - preds) ** 2))),
                             ("mape", np.mean(np.abs(y - preds) / np.abs(y)))):
        mname = expect(server.request("POST", "/api/v1/monitors", {
            "name": uniq("mon"), "endpoint": endpoint, "baseline": baseline["name"],
            "window_seconds": 300, "schedule_seconds": 0, "drift": False,
            "quality": {"metric": metric, "threshold": 0.0001}}), 201)["name"]
        r = expect(server.request("POST", f"/api/v1/monitors/{mname}/run"), 200)
        assert r["quality"]["value"] == pytest.approx(expected, rel=1e-6)
        # A threshold the error exceeds fires a quality alert (no webhook: stored only).
        assert [a["event"] for a in r["alerts"]] == ["fired"]
        a = expect(server.request("GET", f"/api/v1/alerts/{r['alerts'][0]['alert_id']}"), 200)
        assert a["rule"] == "quality" and a["delivery"]["fire"] == "none"


# --- baselines: versions, sources, the model version's baseline ---------------------------------

def test_baselines_are_versioned_and_named_by_model_versions(server, model):
    name = uniq("base")
    csv = reference_csv(200, seed=1)
    b1 = expect(server.request("POST", "/api/v1/baselines",
                               {"name": name, "source": {"csv": csv}}), 201)
    b2 = expect(server.request("POST", f"/api/v1/baselines?name={name}&target_column=demand",
                               csv, headers={"Content-Type": "text/csv"}), 201)
    assert (b1["version"], b2["version"]) == (1, 2)
    assert b1["target_column"] is None and b2["target_column"] == "demand"
    assert b1["source"]["kind"] == "csv" and b1["source"]["sha256"] == support.sha256(csv.encode())
    assert expect(server.request("GET", f"/api/v1/baselines/{name}"), 200)["version"] == 2
    assert expect(server.request("GET", f"/api/v1/baselines/{name}?version=1"), 200)["version"] == 1

    # From a stored CSV blob (a training set the feature store saved is one).
    sha = expect(server.request("POST", "/api/v1/uploads", csv.encode(),
                                headers={"Content-Type": "application/octet-stream"}), 201)["sha256"]
    blob = expect(server.request("POST", "/api/v1/baselines",
                                 {"name": uniq("base"), "source": {"blob": sha}}), 201)
    assert blob["source"] == {"kind": "blob", "sha256": sha, "bytes": len(csv)}
    assert blob["rows"] == 200

    # From captured traffic over a window.
    endpoint = make_endpoint(server, model)
    t0 = int(time.time() * 1000) - 1
    send(server, endpoint, make_rows(np.random.default_rng(2), 120), batch=40)
    wait_captured(server, endpoint, 3)
    cap = expect(server.request("POST", "/api/v1/baselines", {
        "name": uniq("base"),
        "source": {"endpoint": endpoint, "start_ms": t0, "end_ms": int(time.time() * 1000) + 1}}),
        201)
    assert cap["rows"] == 120 and cap["target_column"] == "prediction"
    assert cap["feature_columns"] == FEATURES and cap["source"]["requests"] == 3

    # A model version names its baseline; a monitor without a baseline uses it.
    link = expect(server.request(
        "PUT", f"/api/v1/models/{model['name']}/versions/{model['version']}/baseline",
        {"baseline": name, "baseline_version": 2}), 200)
    assert (link["baseline"], link["baseline_version"]) == (name, 2)
    got = expect(server.request(
        "GET", f"/api/v1/models/{model['name']}/versions/{model['version']}/baseline"), 200)
    assert got["baseline"] == name
    mon = expect(server.request("POST", "/api/v1/monitors", {
        "name": uniq("mon"), "endpoint": endpoint, "window_seconds": 300,
        "schedule_seconds": 0}), 201)
    assert mon["baseline"] is None
    report = expect(server.request("POST", f"/api/v1/monitors/{mon['name']}/run"), 200)
    assert report["baseline"] == {"name": name, "version": 2, "rows": 200}
    assert report["rows"] == 120


# --- bad input: a defined result or a clear error, never a crash --------------------------------

def test_bad_input_is_answered_clearly(server, model):
    endpoint = make_endpoint(server, model)
    base = make_baseline(server, csv=reference_csv(100))
    post = lambda path, body: server.request("POST", path, body)  # noqa: E731
    # Baselines.
    assert_error(post("/api/v1/baselines", {"name": uniq("b"), "source": {"csv": ""}}), 400)
    assert_error(post("/api/v1/baselines", {"name": uniq("b"), "source": {"csv": "a,b\n"}}), 400,
                 mentions="no rows")
    assert_error(post("/api/v1/baselines", {"name": uniq("b"), "target_column": "nope",
                                            "source": {"csv": "a,b\n1,2\n"}}), 400,
                 mentions="nope")
    assert_error(post("/api/v1/baselines", {"name": uniq("b"), "source": {"blob": "0" * 64}}), 404)
    assert_error(post("/api/v1/baselines", {"name": uniq("b"), "source": {}}), 400)
    assert_error(post("/api/v1/baselines", {"name": uniq("b"), "source": {
        "endpoint": endpoint, "start_ms": 0, "end_ms": 1}}), 422, mentions="no captured traffic")
    assert_error(server.request("GET", f"/api/v1/baselines/{uniq('none')}"), 404)
    # Monitors.
    spec = {"name": uniq("m"), "endpoint": endpoint, "baseline": base["name"],
            "schedule_seconds": 0}
    assert_error(post("/api/v1/monitors", {**spec, "endpoint": uniq("none")}), 404)
    assert_error(post("/api/v1/monitors", {**spec, "baseline": uniq("none")}), 404)
    assert_error(post("/api/v1/monitors", {**spec, "drift": {"columns": ["snow"]}}), 400,
                 mentions="unknown column 'snow'")
    assert_error(post("/api/v1/monitors", {**spec, "drift": {"method": "magic"}}), 400)
    assert_error(post("/api/v1/monitors", {**spec, "drift": {"threshold": -1}}), 400)
    assert_error(post("/api/v1/monitors", {**spec, "quality": {"metric": "r2", "threshold": 1}}),
                 400, mentions="r2")
    assert_error(post("/api/v1/monitors", {**spec, "alert": {"webhook_url": "https://x/y"}}),
                 400, mentions="http://")
    assert_error(post("/api/v1/monitors", {**spec, "window_seconds": 0}), 400)
    assert_error(post("/api/v1/monitors", {**spec, "drift": False}), 400)
    nobase = make_baseline(server, csv=reference_csv(50, with_target=False), target=None)
    assert_error(post("/api/v1/monitors", {**spec, "baseline": nobase["name"],
                                           "prediction_drift": True}), 400,
                 mentions="target_column")
    m = expect(post("/api/v1/monitors", spec), 201)
    assert_error(post("/api/v1/monitors", spec), 409)
    assert_error(post(f"/api/v1/monitors/{uniq('none')}/run", None), 404)
    # An empty window: a report that says so, no rule evaluated, nothing NaN.
    r = expect(post(f"/api/v1/monitors/{m['name']}/run", None), 200)
    assert r["empty_window"] is True and r["rows"] == 0
    assert "empty window" in r["notes"][0]
    assert r["alerts"] == [{"rule": "data_drift", "event": "not_evaluated", "alert_id": None}]
    assert all(not c["tested"] and "no rows" in c["note"] for c in r["data_drift"]["columns"])
    assert "NaN" not in json.dumps(r)
    # A single row with an all-NaN column.
    body = {"instances": [{"hour": 7, "day_of_week": 2, "temperature": None, "rain": 0.0}]}
    expect(server.request("POST", f"/api/v1/endpoints/{endpoint}/predict", body), 200)
    wait_captured(server, endpoint, 1)
    r = expect(post(f"/api/v1/monitors/{m['name']}/run", None), 200)
    assert r["rows"] == 1 and r["unknown_columns"] == {}
    cols = {c["column"]: c for c in r["data_drift"]["columns"]}
    assert cols["hour"]["tested"] and cols["rain"]["tested"]  # single row against the baseline
    assert not cols["temperature"]["tested"] and "all missing" in cols["temperature"]["note"]
    assert "NaN" not in json.dumps(r)
    # Mismatched schema (text in the baseline, numbers in traffic), a constant column, and a
    # traffic column the baseline does not have.
    text = make_baseline(server, csv="hour,temperature,rain\n" +
                         "".join(f"{h},warm,0.5\n" for h in (1, 3, 5)), target=None)
    mm = expect(post("/api/v1/monitors", {**spec, "name": uniq("m"), "baseline": text["name"]}),
                201)
    r = expect(post(f"/api/v1/monitors/{mm['name']}/run", None), 200)
    cols = {c["column"]: c for c in r["data_drift"]["columns"]}
    assert not cols["temperature"]["tested"]
    assert "mismatched schema" in cols["temperature"]["note"]
    assert cols["rain"]["tested"] and cols["rain"]["statistic"] is not None  # constant 0.5
    assert r["unknown_columns"] == {"day_of_week": 1}
    assert any("day_of_week" in n for n in r["notes"])
    assert "NaN" not in json.dumps(r)
    # Feedback.
    assert_error(post(f"/api/v1/endpoints/{uniq('none')}/feedback",
                      [{"request_id": "a", "label": 1}]), 404)
    assert_error(post(f"/api/v1/endpoints/{endpoint}/feedback", []), 400)
    assert_error(post(f"/api/v1/endpoints/{endpoint}/feedback", [{"request_id": "a"}]), 400,
                 mentions="label")
    assert_error(post(f"/api/v1/endpoints/{endpoint}/feedback", [{"label": 1}]), 400,
                 mentions="request_id")
    assert_error(server.request("GET", "/api/v1/alerts?state=sleeping"), 400)
    support.assert_live(server)


def test_roles_and_delete(server, model, roles):
    endpoint = make_endpoint(server, model)
    base = make_baseline(server, csv=reference_csv(100))
    spec = {"name": uniq("m"), "endpoint": endpoint, "baseline": base["name"],
            "schedule_seconds": 0}
    viewer = roles["viewer"].secret
    assert_error(server.request("POST", "/api/v1/monitors", spec, token=viewer), 403)
    assert_error(server.request("POST", "/api/v1/baselines",
                                {"name": uniq("b"), "source": {"csv": "a\n1\n"}}, token=viewer), 403)
    m = expect(server.request("POST", "/api/v1/monitors", spec,
                              token=roles["scientist"].secret), 201)
    assert expect(server.request("GET", f"/api/v1/monitors/{m['id']}", token=viewer),
                  200)["name"] == m["name"]
    names = [x["name"] for x in support.list_all(server, "/api/v1/monitors", token=viewer)[0]]
    assert m["name"] in names
    assert_error(server.request("POST", f"/api/v1/monitors/{m['name']}/run", token=viewer), 403)
    expect(server.request("DELETE", f"/api/v1/monitors/{m['name']}",
                          token=roles["scientist"].secret), 204)
    assert_error(server.request("GET", f"/api/v1/monitors/{m['name']}"), 404)


# --- the CLI -----------------------------------------------------------------------------------

def test_cli_monitoring_commands(server, model, tmp_path):
    env_args = ["--url", server.url, "--token", server.admin_token]
    endpoint = make_endpoint(server, model)
    csv = tmp_path / "ref.csv"
    csv.write_text(reference_csv(300))
    name = uniq("base")
    res = support.cli(*env_args, "baselines", "create", name, "--csv", str(csv),
                      "--target", "demand", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["rows"] == 300
    res = support.cli(*env_args, "baselines", "list")
    assert res.returncode == 0 and name in res.stdout
    mon = uniq("mon")
    res = support.cli(*env_args, "monitors", "create", mon, "--endpoint", endpoint,
                      "--baseline", f"{name}:1", "--window-seconds", "300",
                      "--schedule-seconds", "0", "--column", "rain", "--column", "hour")
    assert res.returncode == 0, res.stderr
    send(server, endpoint, make_rows(np.random.default_rng(4), 200, rain_scale=6.0), batch=100)
    wait_captured(server, endpoint, 2)
    res = support.cli(*env_args, "monitors", "run", mon)
    assert res.returncode == 0, res.stderr
    assert "rain" in res.stdout and "dataset drift: yes" in res.stdout
    res = support.cli(*env_args, "monitors", "reports", mon)
    assert res.returncode == 0 and "yes (1/2)" in res.stdout, res.stdout
    res = support.cli(*env_args, "alerts", "list", "--monitor", mon, "--json")
    assert res.returncode == 0 and json.loads(res.stdout)[0]["state"] == "firing"
    res = support.cli(*env_args, "retrain-requests", "list", "--endpoint", endpoint)
    assert res.returncode == 0 and "rain" in res.stdout
    res = support.cli(*env_args, "monitors", "show", uniq("none"))
    assert res.returncode != 0 and len(res.stderr.strip().splitlines()) == 1
    res = support.cli(*env_args, "feedback", endpoint, "--request-id", "x", "--label", "3")
    assert res.returncode == 0 and "unmatched" in res.stdout
    res = support.cli(*env_args, "monitors", "delete", mon)
    assert res.returncode == 0, res.stderr

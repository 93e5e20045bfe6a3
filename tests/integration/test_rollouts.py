"""Progressive canary rollouts of serving endpoints (issue 3): steps, guards, rollback, abort,
restart, the hot swap under load, Prometheus metrics checked by promtool, and the CLI.

Models are trained here with Debian's python3-xgboost (test_serving's helpers): a good second
version, a bad one whose predictions sit ~50 above the others (trips max_mean_shift), and a broken
one that takes 3 features where the traffic sends 4 (every canary request fails).
"""

import http.client
import json
import random
import shutil
import subprocess
import threading
import time

import numpy as np
import pytest
import xgboost as xgb

import support
from support import assert_error, expect, uniq
from test_serving import FEATURES, create_endpoint, metric_value, predict, register, run_cli, train

ROWS = [[round(random.Random(i).uniform(-2, 2), 3) for _ in range(4)] for i in range(32)]


def train_shifted(shift, n_features=4, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, n_features)).astype(np.float32)
    y = 3 * x[:, 0] - x[:, 1] + shift
    params = {"objective": "reg:squarederror", "max_depth": 4, "eta": 0.3, "tree_method": "hist"}
    booster = xgb.train(params, xgb.DMatrix(x, label=y), 20)
    return bytes(booster.save_raw(raw_format="json"))


def register_approved(server, model, raw, approver, features=FEATURES):
    sha = expect(server.request("POST", "/api/v1/uploads", raw,
                                headers={"Content-Type": "application/octet-stream"}), 201)["sha256"]
    body = {"upload_sha256": sha, "flavor": "xgboost",
            "signature": {"inputs": [{"name": f, "type": "float"} for f in features]}}
    v = expect(server.request("POST", f"/api/v1/models/{model}/versions", body), 201)
    expect(server.request("POST", f"/api/v1/models/{model}/versions/{v['version']}/approve",
                          {"comment": "ok"}, token=approver), 200)
    return v["version"]


@pytest.fixture(scope="module")
def model(server, roles):
    """Versions of one model: 1 and 2 good, 3 shifted by +50, 4 broken (3 features)."""
    approver = roles["approver"].secret
    name = uniq("demand")
    register_approved(server, name, train("reg:squarederror", seed=1)[0], approver)
    register_approved(server, name, train("reg:squarederror", seed=2, rounds=30)[0], approver)
    register_approved(server, name, train_shifted(50.0), approver)
    register_approved(server, name, train_shifted(0.0, n_features=3), approver,
                      features=FEATURES[:3])
    return name


def new_endpoint(server, model, version=1):
    return expect(create_endpoint(server, [{"name": "main", "model": model,
                                            "version": version}]), 201)["name"]


def start(server, endpoint, token="admin", **body):
    return server.request("POST", f"/api/v1/endpoints/{endpoint}/rollouts", body, token=token)


def get_rollout(server, endpoint, rollout_id):
    return expect(server.request("GET", f"/api/v1/endpoints/{endpoint}/rollouts/{rollout_id}"), 200)


class Traffic:
    """Threads that send predict requests over keep-alive connections until stopped, and record
    every answer that is not 2xx."""

    def __init__(self, server, endpoint, threads=3):
        self.server, self.endpoint = server, endpoint
        self.failures, self.versions = [], {}
        self.count = 0
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]

    def run(self, i):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.server.admin_token}",
                   "Content-Type": "application/json"}
        n = 0
        while not self.done.is_set():
            body = json.dumps({"inputs": [ROWS[(i * 7 + n) % len(ROWS)]]})
            n += 1
            try:
                conn.request("POST", f"/api/v1/endpoints/{self.endpoint}/predict", body, headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.failures.append(("connection", repr(e)))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
                continue
            with self.lock:
                self.count += 1
                if not 200 <= resp.status < 300:
                    self.failures.append((resp.status, data[:200]))
                else:
                    version = json.loads(data)["version"]
                    self.versions[version] = self.versions.get(version, 0) + 1
        conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        for t in self.threads:
            t.join()


def wait_until_done(server, endpoint, rollout_id, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = get_rollout(server, endpoint, rollout_id)
        if r["state"] != "running":
            return r
        time.sleep(0.05)
    raise AssertionError(f"rollout still running after {timeout}s: {r}")


def served(server, endpoint):
    ep = expect(server.request("GET", f"/api/v1/endpoints/{endpoint}"), 200)
    return [(v["name"], v["serving_version"], v["weight"]) for v in ep["variants"]]


def test_rollout_through_load_promotes_with_no_failed_request(server, model):
    # The guards are on but loose enough for a good version: the canary and the primary see
    # different rows, and a mean over 10 of them (prediction spread ~3.7) can differ by a few
    # units; the bad version of the next test is ~50 off.
    ep = new_endpoint(server, model)
    with Traffic(server, ep) as traffic:
        r = expect(start(server, ep, model=model, version=2, steps=[5, 25, 50, 100],
                         step_seconds=0.5, min_requests=10, max_error_rate=0, max_p99_ms=500,
                         max_mean_shift=8.0), 201)
        assert r["state"] == "running" and r["percent"] == 5 and r["version"] == 2
        assert [v[0] for v in served(server, ep)] == ["main", "canary"]
        final = wait_until_done(server, ep, r["id"])
    assert not traffic.failures, traffic.failures[:5]
    assert final["state"] == "promoted", final
    assert [s["percent"] for s in final["history"]] == [5, 25, 50, 100]
    assert all(s["outcome"] == "passed" and s["canary"]["requests"] >= 10
               for s in final["history"]), final["history"]
    assert final["history"][0]["primary"]["requests"] > final["history"][0]["canary"]["requests"]
    assert traffic.versions.get(1) and traffic.versions.get(2), traffic.versions
    # Promoted: the primary variant alone, on version 2, and that is what is persisted.
    assert served(server, ep) == [("main", 2, 1)]
    assert expect(predict(server, ep, {"inputs": [ROWS[0]]}), 200)["version"] == 2
    assert expect(server.request("GET", f"/api/v1/endpoints/{ep}/rollouts"), 200)["items"][0]["id"] == r["id"]
    events = [e for e in support.audit_events(server)
              if e["resource"].startswith(f"endpoints/{ep}")]
    actions = [e["action"] for e in events]
    assert actions.count("rollout.start") == 1 and actions.count("rollout.step") == 3
    assert actions.count("rollout.promote") == 1 and "endpoint.update" in actions


def test_bad_canary_rolls_back_by_itself(server, model):
    ep = new_endpoint(server, model)
    before = expect(server.request("GET", f"/api/v1/endpoints/{ep}"), 200)
    r = expect(start(server, ep, model=model, version=3, steps=[20, 100], step_seconds=30,
                     min_requests=10, max_mean_shift=1.0), 201)
    with Traffic(server, ep, threads=2) as traffic:
        final = wait_until_done(server, ep, r["id"], timeout=20)
    assert not traffic.failures
    assert final["state"] == "rolled_back", final
    reason = final["reason"]
    assert reason["guard"] == "max_mean_shift" and reason["limit"] == 1.0
    assert 30 < reason["value"] < 70, reason  # the bad version predicts ~50 more
    assert final["history"][-1]["outcome"] == "failed" and len(final["history"]) == 1
    after = expect(server.request("GET", f"/api/v1/endpoints/{ep}"), 200)
    assert after["variants"] == before["variants"]
    for _ in range(5):
        assert expect(predict(server, ep, {"inputs": [ROWS[1]]}), 200)["version"] == 1
    actions = [e["action"] for e in support.audit_events(server)
               if e["resource"] == f"endpoints/{ep}/rollouts/{r['id']}"]
    assert actions == ["rollout.start", "rollout.rollback"]


@pytest.mark.parametrize("version, guards, guard", [
    (4, {"max_error_rate": 0.1}, "max_error_rate"),  # takes 3 features: every request fails
    (2, {"max_p99_ms": 0.00001}, "max_p99_ms"),      # no model answers in 10 ns
])
def test_error_and_latency_guards_roll_back(server, model, version, guards, guard):
    ep = new_endpoint(server, model)
    r = expect(start(server, ep, model=model, version=version, steps=[50, 100], step_seconds=30,
                     min_requests=10, **guards), 201)
    deadline = time.time() + 20
    while time.time() < deadline and get_rollout(server, ep, r["id"])["state"] == "running":
        for row in ROWS[:10]:
            predict(server, ep, {"inputs": [row]})
    final = get_rollout(server, ep, r["id"])
    assert final["state"] == "rolled_back" and final["reason"]["guard"] == guard, final
    assert final["reason"]["value"] > final["reason"]["limit"]
    assert served(server, ep) == [("main", 1, 1)]


def test_abort_conflicts_and_bad_requests(server, model, roles):
    ep = new_endpoint(server, model)
    viewer, scientist = roles["viewer"].secret, roles["scientist"].secret
    original = served(server, ep)
    assert_error(start(server, ep, token=scientist, model=model, version=2), 403)
    r = expect(start(server, ep, model=model, version=2, step_seconds=60), 201)
    assert r["steps"] == [5, 25, 50, 100] and r["guards"]["max_error_rate"] == 0.01
    assert r["guards"]["min_requests"] == 20 and r["primary_variant"] == "main"
    # One rollout at a time; the endpoint cannot change under it.
    assert_error(start(server, ep, model=model, version=2), 409, "conflict", mentions=r["id"])
    assert_error(server.request("PUT", f"/api/v1/endpoints/{ep}",
                                {"variants": [{"name": "main", "model": model, "version": 2}]}),
                 409, "conflict")
    assert_error(server.request("DELETE", f"/api/v1/endpoints/{ep}"), 409, "conflict")
    listed = expect(server.request("GET", f"/api/v1/endpoints/{ep}/rollouts", token=viewer), 200)
    assert [x["state"] for x in listed["items"]] == ["running"] and listed["items"][0]["percent"] == 5
    text = server.request("GET", "/metrics", raw=True)[1].decode()
    assert metric_value(text, "plinth_rollout_step_percent", endpoint=ep) == 5
    shown = expect(server.request("GET", f"/api/v1/endpoints/{ep}", token=viewer), 200)
    assert shown["held_by"] == f"rollout {r['id']}"
    abort = f"/api/v1/endpoints/{ep}/rollouts/{r['id']}/abort"
    assert_error(server.request("POST", abort, token=viewer), 403)
    aborted = expect(server.request("POST", abort), 200)
    assert aborted["state"] == "aborted" and aborted["reason"]["guard"] == "abort"
    assert aborted["history"][-1]["outcome"] == "aborted"
    assert_error(server.request("POST", abort), 409, "conflict", mentions="aborted")
    assert served(server, ep) == original
    text = server.request("GET", "/metrics", raw=True)[1].decode()
    assert metric_value(text, "plinth_rollout_step_percent", endpoint=ep) == 0
    assert expect(server.request("GET", f"/api/v1/endpoints/{ep}"), 200)["held_by"] is None
    expect(server.request("PUT", f"/api/v1/endpoints/{ep}",
                          {"variants": [{"name": "main", "model": model, "version": 1}]}), 200)
    # 404s
    assert_error(start(server, uniq("nope"), model=model, version=2), 404)
    assert_error(server.request("GET", f"/api/v1/endpoints/{uniq('nope')}/rollouts"), 404)
    assert_error(server.request("GET", f"/api/v1/endpoints/{ep}/rollouts/nope"), 404)
    assert_error(server.request("POST", f"/api/v1/endpoints/{ep}/rollouts/nope/abort"), 404)
    assert_error(start(server, ep, model=model, version=99), 404)
    assert_error(start(server, ep, model=model, alias="nobody"), 404)
    # 400s name the field
    assert_error(start(server, ep, model=model, version=2, steps=[50, 25, 100]), 400, mentions="steps")
    assert_error(start(server, ep, model=model, version=2, steps=[5, 50]), 400, mentions="100")
    assert_error(start(server, ep, model=model), 400, mentions="version")
    assert_error(start(server, ep, model=model, version=2, max_error_rate=2), 400,
                 mentions="max_error_rate")
    assert_error(start(server, ep, model=model, version=2, variant="nope"), 400, mentions="nope")
    assert_error(server.request("POST", f"/api/v1/endpoints/{ep}/rollouts", "not json"), 400)
    taken = expect(create_endpoint(server, [{"name": "canary", "model": model, "version": 1}]),
                   201)["name"]
    assert_error(start(server, taken, model=model, version=2), 409, "conflict", mentions="canary")
    # Only Approved versions.
    pending = uniq("pending")
    expect(register(server, pending, train("reg:squarederror", seed=9, rounds=3)[0]), 201)
    assert_error(start(server, ep, model=pending, version=1), 422, "failed_precondition")
    assert served(server, ep) == original
    support.assert_live(server)


def test_canary_by_alias_promotes_to_the_alias(server, model, roles):
    expect(server.request("PUT", f"/api/v1/models/{model}/aliases/challenger", {"version": 2},
                          token=roles["approver"].secret), 200)
    ep = new_endpoint(server, model)
    r = expect(start(server, ep, model=model, alias="challenger", steps=[50, 100],
                     step_seconds=0.2, min_requests=5), 201)
    assert r["version"] == 2 and r["alias"] == "challenger"
    with Traffic(server, ep, threads=2):
        final = wait_until_done(server, ep, r["id"])
    assert final["state"] == "promoted", final
    got = expect(server.request("GET", f"/api/v1/endpoints/{ep}"), 200)["variants"]
    assert len(got) == 1 and got[0]["alias"] == "challenger" and got[0]["serving_version"] == 2


def test_restart_rolls_back_a_running_rollout(fresh_server):
    srv = fresh_server.start()
    approver = support.make_token(srv, "approver").secret
    register_approved(srv, "m", train("reg:squarederror", seed=1, rounds=5)[0], approver)
    register_approved(srv, "m", train("reg:squarederror", seed=2, rounds=5)[0], approver)
    expect(create_endpoint(srv, [{"name": "main", "model": "m", "version": 1}], name="ep"), 201)
    r = expect(start(srv, "ep", model="m", version=2, steps=[50, 100], step_seconds=60), 201)
    for row in ROWS[:10]:
        expect(predict(srv, "ep", {"inputs": [row]}), 200)
    srv.restart()
    final = get_rollout(srv, "ep", r["id"])
    assert final["state"] == "rolled_back" and final["reason"]["guard"] == "restart", final
    assert final["history"][-1]["outcome"] == "interrupted"
    assert served(srv, "ep") == [("main", 1, 1)]
    expect(srv.request("PUT", "/api/v1/endpoints/ep",
                       {"variants": [{"name": "main", "model": "m", "version": 1}]}), 200)
    actions = [e["action"] for e in support.audit_events(srv)
               if e["resource"].startswith("endpoints/ep/rollouts/")]
    assert actions == ["rollout.start", "rollout.rollback"]
    assert support.audit_verify(srv)["ok"] is True


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_metrics_pass_promtool_after_traffic_shadow_and_rollout(server, model):
    ep = expect(create_endpoint(server, [{"name": "main", "model": model, "version": 1}],
                                shadow={"model": model, "version": 2}), 201)["name"]
    r = expect(start(server, ep, model=model, version=2, steps=[50, 100], step_seconds=0.2,
                     min_requests=5), 201)
    with Traffic(server, ep, threads=2):
        assert wait_until_done(server, ep, r["id"])["state"] == "promoted"
    assert_error(predict(server, ep, {"inputs": [[1, 2]]}), 400)
    running = new_endpoint(server, model)
    held = expect(start(server, running, model=model, version=2, step_seconds=60), 201)
    status, text, _ = server.request("GET", "/metrics", raw=True)
    assert status == 200
    expect(server.request("POST", f"/api/v1/endpoints/{running}/rollouts/{held['id']}/abort"), 200)
    text = text.decode()
    assert metric_value(text, "plinth_rollout_step_percent", endpoint=running) == 5
    assert metric_value(text, "plinth_rollout_step_percent", endpoint=ep) == 0
    assert metric_value(text, "plinth_shadow_requests_total", endpoint=ep) is not None
    assert metric_value(text, "plinth_predict_errors_total", endpoint=ep) >= 1
    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr


def test_cli_rollouts_start_wait_status_abort(server, model):
    ep = new_endpoint(server, model)
    with Traffic(server, ep, threads=2):
        res = run_cli(server, "rollouts", "start", ep, f"{model}:2", "--steps", "50,100",
                      "--step-seconds", "0.3", "--min-requests", "5", "--max-mean-shift", "10",
                      "--wait")
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines[0].startswith("rollout ") and "version 2" in lines[0]
    assert lines[1].startswith("step 50%: passed") and lines[2].startswith("step 100%: passed")
    assert lines[-1].startswith("promoted:") and "version 2" in lines[-1]
    res = run_cli(server, "rollouts", "start", ep, f"{model}:1", "--step-seconds", "60", "--json")
    assert res.returncode == 0, res.stderr
    rollout_id = json.loads(res.stdout)["id"]
    table = run_cli(server, "rollouts", "status", ep)
    assert table.returncode == 0 and table.stdout.splitlines()[0].split()[:3] == ["ID", "STATE", "MODEL"]
    assert "running" in table.stdout and "promoted" in table.stdout
    res = run_cli(server, "rollouts", "abort", ep, "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["id"] == rollout_id and json.loads(res.stdout)["state"] == "aborted"
    again = run_cli(server, "rollouts", "abort", ep)
    assert again.returncode == 1 and len(again.stderr.strip().splitlines()) == 1
    assert "no rollout is running" in again.stderr
    bad = run_cli(server, "rollouts", "start", ep, "nocolon")
    assert bad.returncode == 2 and "MODEL:VERSION" in bad.stderr

"""Serving, second part (issue 3): dynamic batching, the prediction cache, fallbacks and batch
jobs. Models are trained here with Debian's python3-xgboost; answers must equal XGBoost's own.
"""

import threading
import time

import numpy as np
import pytest
import xgboost as xgb

import support
import test_serving as base
from test_serving import models  # noqa: F401  (the module fixture: trained, approved versions)
from support import assert_error, expect, uniq

FEATURES = base.FEATURES


def rows_of(probe):
    return [[None if np.isnan(v) else float(v) for v in row] for row in probe]


def metric(server, name, **labels):
    text = server.request("GET", "/metrics", raw=True)[1].decode()
    return base.metric_value(text, name, **labels)


def make_endpoint(server, variants, **extra):
    body = {"name": uniq("ep"), "variants": variants, **extra}
    return expect(server.request("POST", "/api/v1/endpoints", body), 201)


def train_slow(seed=11):
    """A model big enough that 20,000 rows take far longer than a millisecond."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, len(FEATURES))).astype(np.float32)
    y = x[:, 0] * 2 + rng.normal(size=400)
    booster = xgb.train({"objective": "reg:squarederror", "max_depth": 8, "eta": 0.1,
                         "tree_method": "hist", "seed": seed},
                        xgb.DMatrix(x, label=y, feature_names=FEATURES), 300)
    return bytes(booster.save_raw(raw_format="json"))


# --- dynamic batching --------------------------------------------------------------------------

def test_dynamic_batching_batches_requests_and_answers_each_caller(server, models):
    m = models["name"]
    ep = make_endpoint(server, [{"name": "a", "model": m, "version": 1}],
                       batching={"max_batch_size": 8, "max_queue_delay_us": 20000})
    assert ep["batching"] == {"max_batch_size": 8, "max_queue_delay_us": 20000}
    _, probe, expected = models["v1"]
    rows = rows_of(probe)
    wrong, rounds = [], 4

    def caller(i):
        for _ in range(rounds):
            out = expect(base.predict(server, ep["name"], {"inputs": [rows[i]]}), 200)
            if not np.isclose(out["predictions"][0], expected[i], rtol=1e-5, atol=1e-6):
                wrong.append((i, out["predictions"][0], float(expected[i])))

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong, wrong[:3]
    name = ep["name"]
    batches = metric(server, "plinth_predict_dynamic_batch_rows_count", endpoint=name, variant="a")
    total = metric(server, "plinth_predict_dynamic_batch_rows_sum", endpoint=name, variant="a")
    assert total == 8 * rounds
    assert batches < 8 * rounds, "no two requests shared a batch"
    assert metric(server, "plinth_predict_dynamic_batch_rows_bucket", endpoint=name, le="8") == batches
    # A lone request waits at most about the queue delay.
    start = time.time()
    expect(base.predict(server, name, {"inputs": [rows[0]]}), 200)
    assert time.time() - start < 2.0


def test_batching_and_fallback_specs_are_validated(server, models):
    m = models["name"]
    variants = [{"name": "a", "model": m, "version": 1}]
    for extra, mention in (({"batching": {"max_batch_size": 0}}, "max_batch_size"),
                           ({"batching": {"max_queue_delay_us": -1}}, "max_queue_delay_us"),
                           ({"cache": {"ttl_seconds": 0}}, "ttl_seconds"),
                           ({"fallback": {"variant": "nope"}}, "nope"),
                           ({"fallback": {"variant": "a", "constant": 1}}, "exactly one"),
                           ({"fallback": {"constant": "x"}}, "constant")):
        body = {"name": uniq("bad"), "variants": variants, **extra}
        assert_error(server.request("POST", "/api/v1/endpoints", body), 400, mentions=mention)


# --- cache -------------------------------------------------------------------------------------

def test_cache_answers_repeated_inputs_until_the_endpoint_changes(server, models):
    m = models["name"]
    variants = [{"name": "a", "model": m, "version": 1}]
    ep = make_endpoint(server, variants, cache={"ttl_seconds": 60, "max_entries": 100})
    name = ep["name"]
    _, probe, expected = models["v1"]
    row = rows_of(probe)[0]
    first = expect(base.predict(server, name, {"inputs": [row]}), 200)
    assert first["served_by"] == "model"
    again = expect(base.predict(server, name, {"inputs": [row]}), 200)
    assert again["served_by"] == "cache" and again["predictions"] == first["predictions"]
    assert again["variant"] == "a" and again["version"] == 1
    np.testing.assert_allclose(again["predictions"], expected[:1], rtol=1e-5, atol=1e-6)
    # The same input written as named features is the same key.
    named = {f: v for f, v in zip(FEATURES, row) if v is not None}
    assert expect(base.predict(server, name, {"instances": [named]}), 200)["served_by"] == "cache"
    other = rows_of(probe)[1]
    assert expect(base.predict(server, name, {"inputs": [other]}), 200)["served_by"] == "model"
    assert metric(server, "plinth_predict_cache_hits_total", endpoint=name, variant="a") == 2
    assert expect(server.request("GET", f"/api/v1/endpoints/{name}"), 200)["cache"]["entries"] == 2
    # A change publishes a new table with an empty cache.
    expect(server.request("PUT", f"/api/v1/endpoints/{name}",
                          {"variants": [{"name": "a", "model": m, "version": 2}],
                           "cache": {"ttl_seconds": 60, "max_entries": 100}}), 200)
    after = expect(base.predict(server, name, {"inputs": [row]}), 200)
    assert after["served_by"] == "model" and after["version"] == 2


# --- fallbacks ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def slow_model(server, models, roles):
    name = uniq("slow")
    v = expect(base.register(server, name, train_slow()), 201)
    expect(server.request("POST", f"/api/v1/models/{name}/versions/{v['version']}/approve", {},
                          token=roles["approver"].secret), 200)
    return name


def big_request(n=20000, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(FEATURES))).astype(np.float32)
    return x, {"inputs": x.tolist()}


def test_fallback_variant_answers_when_the_primary_misses_its_deadline(server, models, slow_model):
    m = models["name"]
    ep = make_endpoint(server, [{"name": "big", "model": slow_model, "version": 1, "weight": 1},
                                {"name": "simple", "model": m, "version": 1, "weight": 0}],
                       fallback={"variant": "simple", "deadline_ms": 1})
    x, body = big_request()
    out = expect(base.predict(server, ep["name"], body), 200)
    assert out["served_by"] == "fallback" and out["variant"] == "simple" and out["version"] == 1
    assert out["fallback"]["variant"] == "simple" and "deadline" in out["fallback"]["reason"]
    booster = xgb.Booster()
    booster.load_model(bytearray(models["v1"][0]))
    expected = booster.predict(xgb.DMatrix(x[:50], feature_names=FEATURES))
    np.testing.assert_allclose(out["predictions"][:50], expected, rtol=1e-5, atol=1e-6)
    assert len(out["predictions"]) == len(x)
    assert metric(server, "plinth_predict_fallbacks_total", endpoint=ep["name"], variant="big") == 1
    # A small request makes the deadline: the primary answers.
    small = expect(base.predict(server, ep["name"], {"inputs": body["inputs"][:1]}), 200)
    assert small["served_by"] == "model" and small["variant"] == "big"
    # Bad input is the caller's error, not a reason to fall back.
    assert_error(base.predict(server, ep["name"], {"inputs": [[1, 2]]}), 400)


def test_constant_fallback_and_no_fallback(server, slow_model):
    ep = make_endpoint(server, [{"name": "big", "model": slow_model, "version": 1}],
                       fallback={"constant": 42.5, "deadline_ms": 1})
    _, body = big_request(n=20000, seed=4)
    out = expect(base.predict(server, ep["name"], body), 200)
    assert out["served_by"] == "fallback" and out["runtime"] == "constant"
    assert out["variant"] is None and out["version"] is None
    assert out["fallback"]["constant"] == 42.5
    assert out["predictions"] == [42.5] * 20000
    # Without a fallback the same request is simply answered by the model, however long it takes.
    plain = make_endpoint(server, [{"name": "big", "model": slow_model, "version": 1}])
    assert expect(base.predict(server, plain["name"], body), 200)["served_by"] == "model"


def test_fallback_answers_for_a_variant_whose_model_failed_to_load(fresh_server):
    srv = fresh_server.start()
    approver = support.make_token(srv, "approver").secret
    small, _, _ = base.train("reg:squarederror", seed=21, rounds=5)
    primary, probe, _ = base.train("reg:squarederror", seed=22, rounds=8)
    for data in (small, primary):
        v = expect(base.register(srv, "m", data), 201)
        expect(srv.request("POST", f"/api/v1/models/m/versions/{v['version']}/approve", {},
                           token=approver), 200)
    body = {"name": "ep", "variants": [{"name": "main", "model": "m", "version": 2},
                                        {"name": "simple", "model": "m", "version": 1, "weight": 0}],
            "fallback": {"variant": "simple"}}
    expect(srv.request("POST", "/api/v1/endpoints", body, token=approver), 201)
    row = {"inputs": rows_of(probe)[:2]}
    assert expect(base.predict(srv, "ep", row), 200)["served_by"] == "model"
    srv.stop()
    files = support.blob_files(srv.data_dir, primary)
    assert files, "cannot find version 2's model file under the data dir"
    for f in files:
        f.chmod(0o644)
        f.write_bytes(bytes(b ^ 0xFF for b in primary))
    srv.start()
    got = expect(srv.request("GET", "/api/v1/endpoints/ep"), 200)
    assert got["ready"] is True
    main = got["variants"][0]
    assert main["serving_version"] is None and main["load_error"]
    out = expect(base.predict(srv, "ep", row), 200)
    assert out["served_by"] == "fallback" and out["variant"] == "simple" and out["version"] == 1
    assert "not loaded" in out["fallback"]["reason"]
    assert metric(srv, "plinth_predict_fallbacks_total", endpoint="ep", variant="main") == 1


# --- batch jobs --------------------------------------------------------------------------------

def upload_text(server, text):
    return expect(server.request("POST", "/api/v1/uploads", text.encode(),
                                 headers={"Content-Type": "application/octet-stream"}), 201)["sha256"]


def wait_job(server, job_id, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = expect(server.request("GET", f"/api/v1/batch-jobs/{job_id}"), 200)
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"batch job {job_id} did not finish: {job}")


def test_batch_job_predicts_an_uploaded_csv(server, models, roles):
    m = models["name"]
    ep = make_endpoint(server, [{"name": "a", "model": m, "version": 1}])
    _, probe, expected = models["v1"]
    lines = [",".join(FEATURES)]
    for row in probe:
        lines.append(",".join("" if np.isnan(v) else repr(float(v)) for v in row))
    lines.insert(3, "1,2,oops,4")    # line 4
    lines.insert(6, "1,2")           # line 7
    sha = upload_text(server, "\n".join(lines) + "\n")
    assert_error(server.request("POST", "/api/v1/batch-jobs", {"endpoint": ep["name"], "input": sha},
                                token=roles["viewer"].secret), 403)
    assert_error(server.request("POST", "/api/v1/batch-jobs",
                                {"endpoint": ep["name"], "input": "0" * 64}), 404)
    assert_error(server.request("POST", "/api/v1/batch-jobs",
                                {"endpoint": uniq("missing"), "input": sha}), 404)
    assert_error(server.request("POST", "/api/v1/batch-jobs",
                                {"endpoint": ep["name"], "input": sha, "format": "xml"}), 400)
    job = expect(server.request("POST", "/api/v1/batch-jobs", {"endpoint": ep["name"], "input": sha}), 201)
    assert support.HEX32.match(job["id"]) and job["status"] in ("queued", "running", "succeeded")
    done = wait_job(server, job["id"])
    assert done["status"] == "succeeded", done
    assert done["rows_done"] == len(probe) and done["rows_bad"] == 2
    assert done["rows_total"] == len(probe) + 2 and done["rows_per_second"] > 0
    assert [b["line"] for b in done["bad_rows"]] == [4, 7]
    assert "oops" in done["bad_rows"][0]["message"] and "fields" in done["bad_rows"][1]["message"]
    assert done["variant"] == "a" and done["version"] == 1 and done["format"] == "csv"
    status, text, headers = server.request("GET", f"/api/v1/batch-jobs/{job['id']}/output", raw=True)
    assert status == 200 and headers["content-type"].startswith("text/csv")
    got = [line.split(",") for line in text.decode().splitlines()]
    assert got[0] == ["line", "prediction", "variant", "version"]
    good_lines = [n for n in range(2, len(lines) + 1) if n not in (4, 7)]
    assert [int(r[0]) for r in got[1:]] == good_lines
    # Bitwise: the shortest text of each float32 reads back as xgboost's own value.
    assert np.array_equal(np.array([r[1] for r in got[1:]], dtype=np.float32),
                          expected.astype(np.float32))
    assert {r[2] for r in got[1:]} == {"a"} and {r[3] for r in got[1:]} == {"1"}
    listed = support.list_all(server, "/api/v1/batch-jobs")[0]
    assert job["id"] in [j["id"] for j in listed]
    events = [e for e in support.audit_events(server) if e["resource"] == f"batch-jobs/{job['id']}"]
    assert [e["action"] for e in events] == ["batch_job.create", "batch_job.finish"]
    assert events[1]["details"]["status"] == "succeeded"
    # Strict: the first bad row fails the job, naming its line; there is no output.
    strict = expect(server.request("POST", "/api/v1/batch-jobs",
                                   {"endpoint": ep["name"], "input": sha, "strict": True}), 201)
    failed = wait_job(server, strict["id"])
    assert failed["status"] == "failed" and "line 4" in failed["error"]
    assert_error(server.request("GET", f"/api/v1/batch-jobs/{strict['id']}/output"), 409)
    assert_error(server.request("GET", f"/api/v1/batch-jobs/{uniq('x')}"), 404)


def test_batch_job_reads_json_lines(server, models):
    m = models["multi"]
    ep = make_endpoint(server, [{"name": "a", "model": m, "version": 1}])
    _, probe, expected = models["m1"]
    lines = []
    for row in probe[:5]:
        lines.append("{" + ", ".join(f'"{f}": {"null" if np.isnan(v) else repr(float(v))}'
                                     for f, v in zip(FEATURES, row)) + "}")
    lines.insert(2, "not json")
    lines.insert(4, '{"nope": 1}')
    sha = upload_text(server, "\n".join(lines) + "\n")
    job = expect(server.request("POST", "/api/v1/batch-jobs", {"endpoint": ep["name"], "input": sha}), 201)
    done = wait_job(server, job["id"])
    assert done["status"] == "succeeded" and done["format"] == "jsonl", done
    assert done["rows_done"] == 5 and [b["line"] for b in done["bad_rows"]] == [3, 5]
    text = server.request("GET", f"/api/v1/batch-jobs/{job['id']}/output", raw=True)[1].decode()
    got = [line.split(",") for line in text.splitlines()]
    assert got[0] == ["line", "p0", "p1", "p2", "variant", "version"]
    values = np.array([[float(v) for v in r[1:4]] for r in got[1:]], dtype=np.float32)
    np.testing.assert_allclose(values, expected[:5], rtol=1e-6, atol=1e-7)


def test_cli_predict_runs_a_batch_job(server, models, tmp_path):
    m = models["name"]
    ep = make_endpoint(server, [{"name": "a", "model": m, "version": 1}])
    _, probe, expected = models["v1"]
    lines = [",".join(FEATURES)]
    for row in probe:
        lines.append(",".join("" if np.isnan(v) else repr(float(v)) for v in row))
    lines.insert(2, "x,1,2,3")  # line 3
    rows = tmp_path / "rows.csv"
    rows.write_text("\n".join(lines) + "\n")
    out = tmp_path / "preds.csv"
    res = base.run_cli(server, "predict", "--endpoint", ep["name"], "--input", str(rows),
                       "--output", str(out), "--job")
    assert res.returncode == 0, res.stderr
    assert "rows.csv:3" in res.stderr and "rows/s" in res.stderr
    got = [line.split(",") for line in out.read_text().splitlines()]
    assert got[0] == ["line", "prediction", "variant", "version"]
    assert np.array_equal(np.array([r[1] for r in got[1:]], dtype=np.float32),
                          expected.astype(np.float32))
    strict = base.run_cli(server, "predict", "--endpoint", ep["name"], "--input", str(rows),
                          "--job", "--strict")
    assert strict.returncode != 0 and "line 3" in strict.stderr

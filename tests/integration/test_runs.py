"""Runs: tags, params set once, metric batches and history, finishing, artifacts, search."""

import os
import time

import pytest

from support import (HEX32, ZERO_ID, assert_error, assert_live, blob_files, expect, list_all,
                     make_experiment, make_run, search_all, sha256)


@pytest.fixture(scope="module")
def exp(server):
    return make_experiment(server)


@pytest.fixture
def run(server, exp):
    return make_run(server, exp["id"])


def _get(server, run_id):
    return expect(server.request("GET", f"/api/v1/runs/{run_id}"), 200)


def _log(server, run_id, metrics, token="admin"):
    return server.request("POST", f"/api/v1/runs/{run_id}/metrics", {"metrics": metrics},
                          token=token)


def _history(server, run_id, key, limit=None):
    items, _ = list_all(server, f"/api/v1/runs/{run_id}/metrics/{key}", limit=limit)
    return items


# --- create, tags ------------------------------------------------------------------------------

def test_create_run_returns_a_running_run(server, exp, roles):
    t0 = int(time.time() * 1000)
    body = expect(server.request("POST", "/api/v1/runs",
                                 {"experiment_id": exp["id"], "name": "first-try",
                                  "tags": {"team": "blue"}, "data_version": "sha256:abc"},
                                 token=roles["scientist"].secret), 201)
    assert HEX32.match(body["id"]), body
    assert body["experiment_id"] == exp["id"] and body["name"] == "first-try"
    assert body["status"] == "RUNNING" and body["end_ms"] is None
    assert isinstance(body["start_ms"], int) and abs(body["start_ms"] - t0) < 60_000
    assert body["created_by"] == roles["scientist"].name
    assert body["data_version"] == "sha256:abc"
    assert body["tags"] == {"team": "blue"}
    assert body["params"] == {} and body["metrics"] == {}
    assert _get(server, body["id"]) == body


def test_run_in_unknown_experiment_is_404(server):
    assert_error(server.request("POST", "/api/v1/runs", {"experiment_id": ZERO_ID}),
                 404, "not_found")


def test_unknown_run_is_404(server):
    assert_error(server.request("GET", f"/api/v1/runs/{ZERO_ID}"), 404, "not_found")
    assert_error(_log(server, ZERO_ID, [{"key": "a", "value": 1}]), 404, "not_found")
    assert_error(server.request("POST", f"/api/v1/runs/{ZERO_ID}/params", {"params": {"a": "1"}}),
                 404, "not_found")
    assert_error(server.request("POST", f"/api/v1/runs/{ZERO_ID}/finish", {}), 404, "not_found")


def test_tags_are_set_and_may_be_overwritten(server, run):
    rid = run["id"]
    body = expect(server.request("POST", f"/api/v1/runs/{rid}/tags",
                                 {"tags": {"a": "1", "b": "2"}}), 200)
    assert body["tags"] == {"a": "1", "b": "2"}
    body = expect(server.request("POST", f"/api/v1/runs/{rid}/tags", {"tags": {"b": "3"}}), 200)
    assert body["tags"] == {"a": "1", "b": "3"}
    assert _get(server, rid)["tags"] == {"a": "1", "b": "3"}


# --- params ------------------------------------------------------------------------------------

def test_params_are_strings_and_numbers_keep_their_json_text(server, run):
    rid = run["id"]
    body = expect(server.request("POST", f"/api/v1/runs/{rid}/params",
                                 {"params": {"max_depth": "6", "lr": 0.1, "n": 200,
                                             "early": True}}), 200)
    want = {"max_depth": "6", "lr": "0.1", "n": "200", "early": "true"}
    assert body == {"params": want}
    assert expect(server.request("GET", f"/api/v1/runs/{rid}/params"), 200) == {"params": want}
    assert _get(server, rid)["params"] == want


def test_setting_a_param_to_its_own_value_again_is_accepted(server, run):
    rid = run["id"]
    expect(server.request("POST", f"/api/v1/runs/{rid}/params", {"params": {"max_depth": "6"}}),
           200)
    body = expect(server.request("POST", f"/api/v1/runs/{rid}/params",
                                 {"params": {"max_depth": "6", "extra": "e"}}), 200)
    assert body == {"params": {"max_depth": "6", "extra": "e"}}
    # a number whose JSON text is the same string is the same value
    expect(server.request("POST", f"/api/v1/runs/{rid}/params", {"params": {"max_depth": 6}}),
           200)


def test_changing_a_param_is_409_and_writes_nothing_of_the_request(server, run):
    rid = run["id"]
    expect(server.request("POST", f"/api/v1/runs/{rid}/params", {"params": {"max_depth": "6"}}),
           200)
    assert_error(server.request("POST", f"/api/v1/runs/{rid}/params",
                                {"params": {"brand_new": "x", "max_depth": "7", "zz": "y"}}),
                 409, "conflict", mentions="max_depth")
    assert expect(server.request("GET", f"/api/v1/runs/{rid}/params"), 200) == \
        {"params": {"max_depth": "6"}}
    assert _get(server, rid)["params"] == {"max_depth": "6"}


def test_param_key_and_value_lengths_are_enforced(server, run):
    rid = run["id"]
    expect(server.request("POST", f"/api/v1/runs/{rid}/params",
                          {"params": {"k" * 250: "v" * 6000, "empty": ""}}), 200)
    assert_error(server.request("POST", f"/api/v1/runs/{rid}/params",
                                {"params": {"k" * 251: "v"}}), 400, "invalid_argument")
    assert_error(server.request("POST", f"/api/v1/runs/{rid}/params",
                                {"params": {"long": "v" * 6001}}), 400, "invalid_argument")
    assert_error(server.request("POST", f"/api/v1/runs/{rid}/params",
                                {"params": {"": "v"}}), 400, "invalid_argument")
    assert set(_get(server, rid)["params"]) == {"k" * 250, "empty"}


# --- metrics -----------------------------------------------------------------------------------

def test_metric_batch_is_logged_and_counted(server, run):
    rid = run["id"]
    batch = [{"key": "loss", "value": 1.0 / (i + 1), "step": i, "timestamp": 1_700_000_000_000 + i}
             for i in range(50)]
    assert expect(_log(server, rid, batch), 200) == {"logged": 50}
    hist = _history(server, rid, "loss")
    assert [(h["value"], h["step"], h["timestamp"]) for h in hist] == \
        [(m["value"], m["step"], m["timestamp"]) for m in batch]


def test_metric_step_defaults_to_0_and_timestamp_to_the_server_clock(server, run):
    t0 = int(time.time() * 1000)
    expect(_log(server, run["id"], [{"key": "acc", "value": 0.5}]), 200)
    t1 = int(time.time() * 1000)
    (h,) = _history(server, run["id"], "acc")
    assert h["step"] == 0 and h["value"] == 0.5
    assert t0 - 1000 <= h["timestamp"] <= t1 + 1000


def test_get_run_shows_each_metrics_latest_value(server, run):
    rid = run["id"]
    expect(_log(server, rid, [
        {"key": "acc", "value": 0.1, "step": 1, "timestamp": 1000},
        {"key": "acc", "value": 0.3, "step": 3, "timestamp": 500},   # highest step wins
        {"key": "acc", "value": 0.2, "step": 2, "timestamp": 9999},
        {"key": "tie", "value": 1.0, "step": 5, "timestamp": 100},
        {"key": "tie", "value": 2.0, "step": 5, "timestamp": 200},   # then latest timestamp
        {"key": "tie", "value": 3.0, "step": 5, "timestamp": 150},
        {"key": "same", "value": 7.0, "step": 0, "timestamp": 100},
    ]), 200)
    expect(_log(server, rid, [{"key": "same", "value": 8.0, "step": 0, "timestamp": 100}]), 200)
    metrics = _get(server, rid)["metrics"]
    assert metrics["acc"] == {"value": 0.3, "step": 3, "timestamp": 500}
    assert metrics["tie"] == {"value": 2.0, "step": 5, "timestamp": 200}
    assert metrics["same"] == {"value": 8.0, "step": 0, "timestamp": 100}  # then last logged
    # the history keeps logging order
    assert [h["value"] for h in _history(server, rid, "acc")] == [0.1, 0.3, 0.2]


def test_metric_history_pages_in_logging_order(server, run):
    rid = run["id"]
    for b in range(3):
        expect(_log(server, rid, [{"key": "curve", "value": float(b * 100 + i), "step": b * 100 + i}
                                  for i in range(100)]), 200)
    first = expect(server.request("GET", f"/api/v1/runs/{rid}/metrics/curve?limit=120"), 200)
    assert len(first["items"]) == 120 and first["next_page_token"]
    items, pages = list_all(server, f"/api/v1/runs/{rid}/metrics/curve", limit=120)
    assert pages == 3
    assert [h["step"] for h in items] == list(range(300))
    assert [h["value"] for h in items] == [float(i) for i in range(300)]


def test_metric_history_of_an_unlogged_key_is_empty_or_404(server, run):
    st, body, _ = server.request("GET", f"/api/v1/runs/{run['id']}/metrics/never-logged")
    assert st in (200, 404), (st, body)
    if st == 200:
        assert body["items"] == []


@pytest.mark.parametrize("bad", [
    {"key": "x", "value": "high"},
    {"key": "x", "value": None},
    {"key": "x"},
    {"value": 1.0},
    {"key": "", "value": 1.0},
    {"key": "k" * 251, "value": 1.0},
    {"key": "x", "value": 1.0, "step": 1.5},
    {"key": "x", "value": 1.0, "step": "3"},
    {"key": "x", "value": 1.0, "timestamp": "yesterday"},
])
def test_a_bad_metric_rejects_the_whole_batch(server, run, bad):
    rid = run["id"]
    batch = [{"key": "good", "value": 1.0, "step": 0}, bad, {"key": "good", "value": 2.0, "step": 1}]
    assert_error(_log(server, rid, batch), 400, "invalid_argument")
    assert "good" not in _get(server, rid)["metrics"]
    st, body, _ = server.request("GET", f"/api/v1/runs/{rid}/metrics/good")
    assert st == 404 or body["items"] == [], body
    assert_live(server)


def test_more_than_10000_metrics_in_one_request_is_refused(server, run):
    rid = run["id"]
    batch = [{"key": "big", "value": 1.0, "step": i} for i in range(10_001)]
    st, body, _ = _log(server, rid, batch)
    assert st in (400, 413), (st, body)
    assert "big" not in _get(server, rid)["metrics"]
    ok = [{"key": "big", "value": 1.0, "step": i} for i in range(10_000)]
    assert expect(_log(server, rid, ok), 200) == {"logged": 10_000}


# --- finish ------------------------------------------------------------------------------------

def test_finish_as_finished_sets_status_and_end_time(server, run):
    body = expect(server.request("POST", f"/api/v1/runs/{run['id']}/finish",
                                 {"status": "FINISHED"}), 200)
    assert body["status"] == "FINISHED"
    assert isinstance(body["end_ms"], int) and body["end_ms"] >= body["start_ms"]
    assert _get(server, run["id"])["status"] == "FINISHED"


def test_finish_as_failed(server, run):
    body = expect(server.request("POST", f"/api/v1/runs/{run['id']}/finish",
                                 {"status": "FAILED"}), 200)
    assert body["status"] == "FAILED" and isinstance(body["end_ms"], int)


def test_finish_without_a_status_means_finished(server, run):
    body = expect(server.request("POST", f"/api/v1/runs/{run['id']}/finish", {}), 200)
    assert body["status"] == "FINISHED"


def test_finishing_twice_is_409_and_keeps_the_first_outcome(server, run):
    first = expect(server.request("POST", f"/api/v1/runs/{run['id']}/finish",
                                  {"status": "FAILED"}), 200)
    assert_error(server.request("POST", f"/api/v1/runs/{run['id']}/finish",
                                {"status": "FINISHED"}), 409, "conflict")
    got = _get(server, run["id"])
    assert got["status"] == "FAILED" and got["end_ms"] == first["end_ms"]


@pytest.mark.parametrize("status", ["RUNNING", "DONE", "finished", 1])
def test_finish_with_a_bad_status_is_400(server, run, status):
    assert_error(server.request("POST", f"/api/v1/runs/{run['id']}/finish", {"status": status}),
                 400, "invalid_argument")
    assert _get(server, run["id"])["status"] == "RUNNING"


# --- artifacts ---------------------------------------------------------------------------------

def test_artifact_round_trips_binary_bytes(server, run):
    rid = run["id"]
    data = bytes(range(256)) * 64 + b"\x00\r\n\x00" + os.urandom(4096)
    body = expect(server.request("PUT", f"/api/v1/runs/{rid}/artifacts/model/weights.bin", data,
                                 headers={"Content-Type": "application/octet-stream"}), 201)
    assert body == {"path": "model/weights.bin", "sha256": sha256(data), "size": len(data)}
    st, got, hdrs = server.request("GET", f"/api/v1/runs/{rid}/artifacts/model/weights.bin",
                                   raw=True)
    assert st == 200 and got == data
    assert hdrs.get("content-type", "").startswith("application/octet-stream")
    listing = expect(server.request("GET", f"/api/v1/runs/{rid}/artifacts"), 200)
    assert {"path": "model/weights.bin", "sha256": sha256(data), "size": len(data)} in \
        listing["items"]


def test_a_large_artifact_round_trips(server, run):
    data = os.urandom(24 << 20)
    body = expect(server.request("PUT", f"/api/v1/runs/{run['id']}/artifacts/big.bin", data), 201)
    assert body["sha256"] == sha256(data) and body["size"] == len(data)
    st, got, _ = server.request("GET", f"/api/v1/runs/{run['id']}/artifacts/big.bin", raw=True)
    assert st == 200 and got == data


def test_empty_and_nested_artifacts(server, run):
    rid = run["id"]
    expect(server.request("PUT", f"/api/v1/runs/{rid}/artifacts/empty.txt", b""), 201)
    expect(server.request("PUT", f"/api/v1/runs/{rid}/artifacts/a/b/c/v1.2.tar.gz", b"abc"), 201)
    st, got, _ = server.request("GET", f"/api/v1/runs/{rid}/artifacts/empty.txt", raw=True)
    assert (st, got) == (200, b"")
    st, got, _ = server.request("GET", f"/api/v1/runs/{rid}/artifacts/a/b/c/v1.2.tar.gz", raw=True)
    assert (st, got) == (200, b"abc")


def test_uploading_the_same_path_again_replaces_it(server, run):
    rid = run["id"]
    expect(server.request("PUT", f"/api/v1/runs/{rid}/artifacts/model.json", b'{"v": 1}'), 201)
    expect(server.request("PUT", f"/api/v1/runs/{rid}/artifacts/model.json", b'{"v": 2}'), 201)
    st, got, _ = server.request("GET", f"/api/v1/runs/{rid}/artifacts/model.json", raw=True)
    assert (st, got) == (200, b'{"v": 2}')
    listing = expect(server.request("GET", f"/api/v1/runs/{rid}/artifacts"), 200)["items"]
    assert [a["sha256"] for a in listing if a["path"] == "model.json"] == [sha256(b'{"v": 2}')]


def test_unknown_artifact_is_404(server, run):
    assert_error(server.request("GET", f"/api/v1/runs/{run['id']}/artifacts/nope.bin"), 404,
                 "not_found")


TRAVERSALS = ["..", "../x", "../../../../etc/passwd", "a/../../x", "a/../b", "/abs", "/etc/passwd",
              "a//b", "./a", "a/./b", "a/", "%2e%2e", "%2e%2e/x", "a/%2E%2E/%2e%2e/x", "%2E%2E%2Fx",
              "..%2fx", "%2fabs", "a%5c..%5cx", "a\\b"]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_artifact_path_traversal_is_400(server, run, path):
    rid = run["id"]
    before = set(os.listdir(server.data_dir.parent))
    assert_error(server.request("PUT", f"/api/v1/runs/{rid}/artifacts/{path}", b"evil"),
                 400, "invalid_argument")
    assert_error(server.request("GET", f"/api/v1/runs/{rid}/artifacts/{path}"),
                 400, "invalid_argument")
    assert set(os.listdir(server.data_dir.parent)) == before, "a file appeared beside the data dir"
    assert expect(server.request("GET", f"/api/v1/runs/{rid}/artifacts"), 200)["items"] == []
    assert_live(server)


def test_artifact_is_stored_under_the_data_dir_named_by_its_sha256(server, run):
    data = b"content-addressed " + os.urandom(64)
    expect(server.request("PUT", f"/api/v1/runs/{run['id']}/artifacts/x.bin", data), 201)
    digest = sha256(data)
    named = [p for p in blob_files(server.data_dir, data)
             if digest in "".join(p.relative_to(server.data_dir).parts)]
    assert named, f"no file named by {digest} under {server.data_dir}"


@pytest.mark.parametrize("corruption", ["flip", "truncate", "append"])
def test_corrupted_artifact_is_500_and_never_served(server, run, corruption):
    rid = run["id"]
    data = b"corrupt-me " + os.urandom(8192)
    expect(server.request("PUT", f"/api/v1/runs/{rid}/artifacts/model.bin", data), 201)
    files = blob_files(server.data_dir, data)
    assert files, "cannot find the stored blob under the data dir"
    if corruption == "flip":
        bad = bytes(b ^ 0x5A for b in data)
    elif corruption == "truncate":
        bad = data[: len(data) // 2]
    else:
        bad = data + b"trailing garbage"
    for f in files:
        os.chmod(f, 0o644)
        f.write_bytes(bad)
    st, body, _ = server.request("GET", f"/api/v1/runs/{rid}/artifacts/model.bin", raw=True)
    assert st == 500, f"corrupted artifact answered {st} with {len(body)} bytes"
    assert bad not in body and data[:64] not in body and bad[:64] not in body
    assert_error(server.request("GET", f"/api/v1/runs/{rid}/artifacts/model.bin"), 500, "internal")
    assert_live(server)


# --- search ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def search_runs(server):
    """Six runs in a fresh experiment; r1 and r4 match rmse < 0.5 and max_depth = '6'."""
    exp = make_experiment(server)
    spec = {
        "r1": dict(name="alpha-one", rmse=0.3, depth="6", tags={"team": "blue"}, status="FINISHED"),
        "r2": dict(name="alpha-two", rmse=0.7, depth="6", tags={"team": "red"}, status="FINISHED"),
        "r3": dict(name="beta-three", rmse=0.4, depth="8", tags={"team": "blue"}, status="FAILED"),
        "r4": dict(name="beta-four", rmse=0.2, depth="6", tags={}, status="FINISHED"),
        "r5": dict(name="gamma-five", rmse=None, depth="6", tags={"team": "blue"}, status=None),
        "r6": dict(name="gamma-six", rmse=0.1, depth=None, tags={}, status=None),
    }
    runs = {}
    for key, s in spec.items():
        r = make_run(server, exp["id"], name=s["name"], tags=s["tags"])
        if s["rmse"] is not None:
            expect(_log(server, r["id"], [{"key": "rmse", "value": s["rmse"]},
                                          {"key": "val-loss", "value": s["rmse"] * 2}]), 200)
        if s["depth"] is not None:
            expect(server.request("POST", f"/api/v1/runs/{r['id']}/params",
                                  {"params": {"max_depth": s["depth"]}}), 200)
        if s["status"]:
            expect(server.request("POST", f"/api/v1/runs/{r['id']}/finish",
                                  {"status": s["status"]}), 200)
        runs[key] = r["id"]
        time.sleep(0.003)  # distinct start_ms
    other = make_experiment(server)
    make_run(server, other["id"], name="alpha-elsewhere")
    return exp["id"], other["id"], runs


def _search(server, body, token="admin"):
    return server.request("POST", "/api/v1/runs/search", body, token=token)


def _names(server, exp_id, runs, **body):
    res = expect(_search(server, {"experiment_ids": [exp_id], **body}), 200)
    back = {v: k for k, v in runs.items()}
    return [back.get(r["id"], r["id"]) for r in res["items"]]


def test_search_with_the_issue_filter(server, search_runs):
    exp_id, _, runs = search_runs
    got = _names(server, exp_id, runs,
                 filter="metrics.rmse < 0.5 and params.max_depth = '6'")
    assert sorted(got) == ["r1", "r4"]


def test_search_results_carry_params_and_latest_metrics(server, search_runs, roles):
    exp_id, _, runs = search_runs
    res = expect(_search(server, {"experiment_ids": [exp_id],
                                  "filter": "metrics.rmse < 0.25 and params.max_depth = '6'"},
                         token=roles["viewer"].secret), 200)
    (r,) = res["items"]
    assert r["id"] == runs["r4"]
    assert r["params"] == {"max_depth": "6"} and r["metrics"]["rmse"]["value"] == 0.2
    assert res["next_page_token"] == ""


@pytest.mark.parametrize("filt, want", [
    ("params.max_depth = \"6\"", ["r1", "r2", "r4", "r5"]),
    ("params.max_depth != '6'", ["r3"]),
    ("metrics.rmse >= 0.3", ["r1", "r2", "r3"]),
    ("metrics.rmse <= 0.3", ["r1", "r4", "r6"]),
    ("metrics.rmse > 0.3 and metrics.rmse != 0.7", ["r3"]),
    ("metrics.rmse = 0.2", ["r4"]),
    ("metrics.`val-loss` < 0.5", ["r4", "r6"]),
    ("tags.team = 'blue'", ["r1", "r3", "r5"]),
    ("tags.team != 'blue'", ["r2"]),
    ("attributes.status = 'FINISHED'", ["r1", "r2", "r4"]),
    ("status = 'RUNNING'", ["r5", "r6"]),
    ("attributes.name LIKE 'alpha%'", ["r1", "r2"]),
    ("name ILIKE 'BETA-%'", ["r3", "r4"]),
    ("name LIKE '%t_o'", ["r2"]),
    ("start_ms > 0 and params.max_depth = '8'", ["r3"]),
    ("attributes.end_ms > 0", ["r1", "r2", "r3", "r4"]),
])
def test_search_filters(server, search_runs, filt, want):
    exp_id, _, runs = search_runs
    assert sorted(_names(server, exp_id, runs, filter=filt)) == want


def test_search_orders_by_metric_with_missing_last(server, search_runs):
    exp_id, _, runs = search_runs
    asc = _names(server, exp_id, runs, order_by=["metrics.rmse ASC"])
    assert asc == ["r6", "r4", "r1", "r3", "r2", "r5"]
    desc = _names(server, exp_id, runs, order_by=["metrics.rmse DESC"])
    assert desc == ["r2", "r3", "r1", "r4", "r6", "r5"]
    got = _names(server, exp_id, runs, filter="metrics.rmse < 0.5 and params.max_depth = '6'",
                 order_by=["metrics.rmse DESC"])
    assert got == ["r1", "r4"]


def test_search_default_order_is_newest_first(server, search_runs):
    exp_id, _, runs = search_runs
    assert _names(server, exp_id, runs) == ["r6", "r5", "r4", "r3", "r2", "r1"]
    assert _names(server, exp_id, runs, order_by=["start_ms ASC"]) == \
        ["r1", "r2", "r3", "r4", "r5", "r6"]


def test_search_orders_by_param_then_time(server, search_runs):
    exp_id, _, runs = search_runs
    got = _names(server, exp_id, runs, order_by=["params.max_depth DESC", "start_ms ASC"])
    assert got == ["r3", "r1", "r2", "r4", "r5", "r6"]


def test_search_limit_and_paging(server, search_runs):
    exp_id, _, runs = search_runs
    first = expect(_search(server, {"experiment_ids": [exp_id], "limit": 2}), 200)
    assert len(first["items"]) == 2 and first["next_page_token"]
    items, pages = search_all(server, {"experiment_ids": [exp_id], "limit": 2,
                                       "order_by": ["metrics.rmse ASC"]})
    assert pages == 3
    back = {v: k for k, v in runs.items()}
    assert [back[r["id"]] for r in items] == ["r6", "r4", "r1", "r3", "r2", "r5"]


def test_search_stays_within_the_given_experiments(server, search_runs):
    exp_id, other_id, runs = search_runs
    got = expect(_search(server, {"experiment_ids": [exp_id], "filter": "name LIKE 'alpha%'"}),
                 200)["items"]
    assert all(r["experiment_id"] == exp_id for r in got) and len(got) == 2
    both = expect(_search(server, {"experiment_ids": [exp_id, other_id],
                                   "filter": "name LIKE 'alpha%'"}), 200)["items"]
    assert len(both) == 3


@pytest.mark.parametrize("body", [
    {"filter": "metrics.rmse <"},
    {"filter": "metrics.rmse << 0.5"},
    {"filter": "metrics.rmse < 'abc'"},
    {"filter": "metrics.rmse < 0.5 and"},
    {"filter": "metrics.rmse < 0.5 or params.max_depth = '6'"},
    {"filter": "bogus.x = '1'"},
    {"filter": "params.max_depth > '6'"},
    {"filter": "params.max_depth = '6"},
    {"filter": "params.max_depth = 6 = 6"},
    {"filter": "; DROP TABLE runs; --"},
    {"filter": 42},
    {"order_by": ["metrics.rmse SIDEWAYS"]},
    {"order_by": ["nonsense.x ASC"]},
    {"order_by": "metrics.rmse ASC"},
    {"limit": "ten"},
    {"page_token": "%%%not-a-page-token%%%"},
])
def test_search_with_bad_input_is_400(server, search_runs, body):
    exp_id, _, _ = search_runs
    assert_error(_search(server, {"experiment_ids": [exp_id], **body}), 400, "invalid_argument")
    assert_live(server)


def test_search_needs_experiment_ids(server):
    assert_error(_search(server, {"experiment_ids": "abc"}), 400, "invalid_argument")
    assert_error(_search(server, {}), 400, "invalid_argument")

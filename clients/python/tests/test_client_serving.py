"""Serving through the client: endpoints, predict, rollouts and batch jobs, with real XGBoost
models whose predictions the server must reproduce."""

import csv
import threading

import pytest

import plinth
from client_helpers import deploy_ready_model, unique

FEATURES = ["hour", "temp", "rain"]
ROWS = [[1.0, 2.0, 0.5], [-1.0, None, 2.0], [0.3, -0.7, -1.2]]


@pytest.fixture(scope="module")
def model(scientist, approver, tmp_path_factory):
    """One model with two approved versions (different training seeds)."""
    tmp = tmp_path_factory.mktemp("serving")
    name, v1, p1 = deploy_ready_model(scientist, approver, tmp, FEATURES, seed=1)
    _, v2, p2 = deploy_ready_model(scientist, approver, tmp, FEATURES, seed=2, name=name)
    return {"name": name, "v1": v1, "v2": v2, "p1": p1, "p2": p2}


def _close(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert abs(g - w) <= 1e-5 * max(1.0, abs(w)), (got, want)


def test_endpoint_lifecycle_and_predict(approver, scientist, model):
    name = unique("ep")
    ep = approver.create_endpoint(name, [{"name": "main", "model": model["name"],
                                          "version": model["v1"]}])
    assert ep["name"] == name and ep["ready"] and ep["variants"][0]["serving_version"] == 1
    assert approver.get_endpoint(name)["name"] == name
    assert name in [e["name"] for e in scientist.list_endpoints()]

    out = scientist.predict(name, inputs=ROWS)
    assert out["variant"] == "main" and out["version"] == model["v1"] and out["request_id"]
    _close(out["predictions"], model["p1"](ROWS))
    instances = [{f: v for f, v in zip(FEATURES, row) if v is not None} for row in ROWS]
    _close(scientist.predict(name, instances=instances)["predictions"], model["p1"](ROWS))
    with pytest.raises(plinth.InvalidArgumentError) as err:
        scientist.predict(name, instances=[{"nope": 1}])
    assert "nope" in err.value.message
    with pytest.raises(ValueError):
        scientist.predict(name)

    ep = approver.update_endpoint(name, [{"name": "main", "model": model["name"],
                                          "version": model["v2"]}])
    assert ep["variants"][0]["serving_version"] == model["v2"]
    _close(scientist.predict(name, inputs=ROWS)["predictions"], model["p2"](ROWS))

    with pytest.raises(plinth.PermissionDeniedError):
        scientist.delete_endpoint(name)
    approver.delete_endpoint(name)
    with pytest.raises(plinth.NotFoundError):
        approver.get_endpoint(name)


def test_routing_key_pins_a_variant(approver, scientist, model):
    name = unique("ep")
    approver.create_endpoint(name, [
        {"name": "a", "model": model["name"], "version": model["v1"], "weight": 1},
        {"name": "b", "model": model["name"], "version": model["v2"], "weight": 1}])
    seen = set()
    for key in range(12):
        first = scientist.predict(name, inputs=ROWS[:1], routing_key=f"user-{key}")["variant"]
        again = {scientist.predict(name, inputs=ROWS[:1], routing_key=f"user-{key}")["variant"]
                 for _ in range(3)}
        assert again == {first}
        seen.add(first)
    assert seen == {"a", "b"}  # 12 keys over two equal weights: both (fails with p = 2^-11)


def _traffic(server, token, endpoint, stop):
    with plinth.Client(server.url, token) as client:
        while not stop.is_set():
            client.predict(endpoint, inputs=ROWS)


def test_rollout_promotes_and_abort(server, admin, approver, model):
    name = unique("ep")
    approver.create_endpoint(name, [{"name": "main", "model": model["name"],
                                     "version": model["v1"]}])
    r = approver.start_rollout(name, model["name"], version=model["v2"], steps=[50, 100],
                               step_seconds=0.2, min_requests=5)
    assert r["state"] == "running" and r["version"] == model["v2"]
    assert [x["id"] for x in approver.list_rollouts(name)] == [r["id"]]
    stop = threading.Event()
    viewer = admin.create_token(unique("traffic"), "viewer")["token"]  # predict is viewer
    worker = threading.Thread(target=_traffic, args=(server, viewer, name, stop))
    worker.start()
    try:
        final = approver.wait_rollout(name, r["id"], timeout=20, poll=0.1)
    finally:
        stop.set()
        worker.join()
    assert final["state"] == "promoted", final
    assert approver.get_rollout(name, r["id"])["state"] == "promoted"
    got = approver.get_endpoint(name)["variants"]
    assert len(got) == 1 and got[0]["serving_version"] == model["v2"]

    held = approver.start_rollout(name, model["name"], version=model["v1"], step_seconds=60)
    with pytest.raises(plinth.ConflictError):
        approver.update_endpoint(name, [{"name": "main", "model": model["name"], "version": 1}])
    aborted = approver.abort_rollout(name, held["id"])
    assert aborted["state"] == "aborted" and aborted["reason"]["guard"] == "abort"
    assert approver.wait_rollout(name, held["id"], timeout=1)["state"] == "aborted"
    with pytest.raises(plinth.ConflictError):
        approver.abort_rollout(name, held["id"])
    assert [x["id"] for x in approver.list_rollouts(name)] == [held["id"], r["id"]]


def test_batch_job_from_local_file(approver, scientist, model, tmp_path):
    name = unique("ep")
    approver.create_endpoint(name, [{"name": "main", "model": model["name"],
                                     "version": model["v1"]}])
    src = tmp_path / "input.csv"
    lines = [",".join(FEATURES)] + [",".join("" if v is None else str(v) for v in row)
                                    for row in ROWS] + ["1,x,2"]
    src.write_text("\n".join(lines) + "\n")
    job = scientist.create_batch_job(name, src)
    assert job["status"] in ("queued", "running", "succeeded") and job["endpoint"] == name
    done = scientist.wait_batch_job(job["id"], timeout=20)
    assert done["status"] == "succeeded", done
    assert done["rows_done"] == 3 and done["rows_bad"] == 1 and done["bad_rows"][0]["line"] == 5
    assert job["id"] in [j["id"] for j in scientist.list_batch_jobs()]
    out = scientist.download_batch_output(job["id"], tmp_path / "out" / "pred.csv")
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["line"]) for r in rows] == [2, 3, 4]
    _close([float(r["prediction"]) for r in rows], model["p1"](ROWS))

    strict = scientist.create_batch_job(name, src, format="csv", strict=True)
    failed = scientist.wait_batch_job(strict["id"], timeout=20)
    assert failed["status"] == "failed" and "5" in failed["error"]
    with pytest.raises(plinth.ConflictError):
        scientist.download_batch_output(strict["id"], tmp_path / "never.csv")
    assert not (tmp_path / "never.csv").exists()

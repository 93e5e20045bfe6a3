"""Experiments, runs, params, metrics and artifacts against a real server."""

import hashlib
import os

import pytest

import plinth
from client_helpers import unique


class CountingTransport:
    """Wraps a client's transport to count requests by (method, path without query)."""

    def __init__(self, client):
        self.inner = client._transport
        self.calls = []
        client._transport = self

    def request(self, method, path, **kwargs):
        self.calls.append((method, path))
        return self.inner.request(method, path, **kwargs)

    def close(self):
        self.inner.close()

    def count(self, method, suffix):
        return sum(1 for m, p in self.calls if m == method and p.endswith(suffix))


@pytest.fixture
def counted(server, scientist):
    """A fresh client with the scientist's token whose requests are counted."""
    client = plinth.Client(server.url, scientist._transport._token)
    counter = CountingTransport(client)
    yield client, counter
    client.close()


# -- experiments --------------------------------------------------------------------------------

def test_experiment_create_get_list_and_duplicate(scientist):
    name = unique("exp")
    exp = scientist.create_experiment(name, tags={"team": "demand"})
    assert len(exp["id"]) == 32 and exp["name"] == name and exp["tags"] == {"team": "demand"}
    assert scientist.get_experiment(exp["id"])["name"] == name
    assert scientist.get_experiment_by_name(name)["id"] == exp["id"]
    assert exp["id"] in [e["id"] for e in scientist.list_experiments()]
    with pytest.raises(plinth.AlreadyExistsError) as info:
        scientist.create_experiment(name)
    assert info.value.status == 409 and info.value.code == "already_exists"


def test_get_or_create_experiment_is_idempotent(scientist):
    name = unique("exp")
    first = scientist.get_or_create_experiment(name)
    second = scientist.get_or_create_experiment(name)
    assert first["id"] == second["id"]


def test_unknown_experiment_and_run_are_not_found(scientist):
    with pytest.raises(plinth.NotFoundError) as info:
        scientist.get_experiment("0" * 32)
    assert info.value.status == 404 and info.value.code == "not_found" and info.value.message
    with pytest.raises(plinth.NotFoundError):
        scientist.get_experiment_by_name(unique("missing"))
    with pytest.raises(plinth.NotFoundError):
        scientist.get_run("0" * 32)


def test_bad_experiment_name_is_invalid_argument(scientist):
    with pytest.raises(plinth.InvalidArgumentError) as info:
        scientist.create_experiment("no spaces allowed")
    assert info.value.status == 400 and info.value.code == "invalid_argument"


def test_list_experiments_follows_pages(server, scientist):
    names = {unique("paged") for _ in range(5)}
    for name in names:
        scientist.create_experiment(name)
    with plinth.Client(server.url, scientist._transport._token, page_size=2) as small:
        listed = [e["name"] for e in small.list_experiments()]
    assert names <= set(listed)
    assert len(listed) == len(set(listed)), "a page was returned twice"


# -- the run context ------------------------------------------------------------------------------

def test_run_context_finishes_run_on_success(scientist, experiment):
    with scientist.start_run(experiment_id=experiment["id"], name="ok", tags={"k": "v"},
                             data_version="sha256:abc") as run:
        assert run.info["status"] == "RUNNING"
        run.log_param("depth", 6)
        run.log_params({"eta": 0.1, "objective": "reg:squarederror", "flag": True})
        run.log_metric("rmse", 1.5, step=0)
        run.log_metrics({"rmse": 1.25, "mae": 0.5}, step=1)
        run.set_tags({"stage": "test"})
    got = scientist.get_run(run.id)
    assert got["status"] == "FINISHED" and got["end_ms"] is not None
    assert got["experiment_id"] == experiment["id"] and got["name"] == "ok"
    assert got["data_version"] == "sha256:abc"
    assert got["params"] == {"depth": "6", "eta": "0.1", "objective": "reg:squarederror",
                             "flag": "true"}
    assert got["tags"]["k"] == "v" and got["tags"]["stage"] == "test"
    assert got["metrics"]["rmse"]["value"] == 1.25 and got["metrics"]["rmse"]["step"] == 1
    assert got["metrics"]["mae"]["value"] == 0.5
    assert run.info["status"] == "FINISHED"


def test_run_context_flushes_and_fails_on_exception(scientist, experiment):
    with pytest.raises(RuntimeError, match="boom"):
        with scientist.start_run(experiment_name=experiment["name"]) as run:
            for step in range(5):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
            # buffered, not yet sent
            assert scientist.get_run(run.id)["metrics"] == {}
            raise RuntimeError("boom")
    got = scientist.get_run(run.id)
    assert got["status"] == "FAILED" and got["end_ms"] is not None
    history = scientist.get_metric_history(run.id, "loss")
    assert [h["step"] for h in history] == [0, 1, 2, 3, 4]
    assert [h["value"] for h in history] == [1.0, 0.5, 1.0 / 3, 0.25, 0.2]


def test_explicit_finish_inside_context_is_kept(scientist, experiment):
    with scientist.start_run(experiment_id=experiment["id"]) as run:
        run.log_metric("m", 1.0)
        run.finish("FAILED")
    got = scientist.get_run(run.id)
    assert got["status"] == "FAILED"
    assert got["metrics"]["m"]["value"] == 1.0


def test_finishing_twice_is_conflict(scientist, experiment):
    run = scientist.create_run(experiment["id"])
    assert scientist.finish_run(run["id"])["status"] == "FINISHED"
    with pytest.raises(plinth.ConflictError) as info:
        scientist.finish_run(run["id"], "FAILED")
    assert info.value.status == 409 and info.value.code == "conflict"
    assert scientist.get_run(run["id"])["status"] == "FINISHED"


def test_start_run_needs_one_experiment(scientist):
    with pytest.raises(ValueError):
        scientist.start_run()
    with pytest.raises(ValueError):
        scientist.start_run(experiment_id="x", experiment_name="y")


def test_non_finite_metric_is_refused_before_sending(scientist, experiment):
    with scientist.start_run(experiment_id=experiment["id"]) as run:
        with pytest.raises(ValueError):
            run.log_metric("bad", float("nan"))
    assert scientist.get_run(run.id)["metrics"] == {}


# -- metrics in batches ----------------------------------------------------------------------------

def test_2500_metrics_go_in_batches_of_1000_and_read_back(counted, experiment):
    client, counter = counted
    run = client.create_run(experiment["id"])
    metrics = [{"key": "loss", "value": i * 0.5, "step": i} for i in range(2500)]
    assert client.log_metrics(run["id"], metrics) == 2500
    assert counter.count("POST", "/metrics") == 3
    history = client.get_metric_history(run["id"], "loss")  # more than one page of 1000
    assert len(history) == 2500
    assert [h["step"] for h in history] == list(range(2500))
    assert [h["value"] for h in history] == [i * 0.5 for i in range(2500)]
    assert client.get_run(run["id"])["metrics"]["loss"] == {
        "value": 2499 * 0.5, "step": 2499, "timestamp": history[-1]["timestamp"]}


def test_active_run_buffers_2500_metrics_into_three_requests(counted, experiment):
    client, counter = counted
    with client.start_run(experiment_id=experiment["id"]) as run:
        for i in range(2500):
            run.log_metric("acc", i / 2500, step=i)
        assert counter.count("POST", "/metrics") == 2  # two full buffers sent, 500 waiting
    assert counter.count("POST", "/metrics") == 3
    history = client.get_metric_history(run.id, "acc")
    assert [h["value"] for h in history] == [i / 2500 for i in range(2500)]


def test_metrics_dict_form_and_explicit_timestamp(scientist, experiment):
    run = scientist.create_run(experiment["id"])
    assert scientist.log_metrics(run["id"], {"a": 1, "b": 2.5}, step=7) == 2
    scientist.log_metrics(run["id"], [{"key": "a", "value": 3, "step": 8, "timestamp": 1234}])
    history = scientist.get_metric_history(run["id"], "a")
    assert [(h["value"], h["step"]) for h in history] == [(1, 7), (3, 8)]
    assert history[1]["timestamp"] == 1234


# -- params -------------------------------------------------------------------------------------

def test_changing_a_param_is_409_and_writes_nothing(scientist, experiment):
    run = scientist.create_run(experiment["id"])
    assert scientist.log_params(run["id"], {"lr": 0.1, "depth": 6}) == {"lr": "0.1", "depth": "6"}
    scientist.log_params(run["id"], {"lr": "0.1"})  # the same value again is fine
    with pytest.raises(plinth.ConflictError) as info:
        scientist.log_params(run["id"], {"new": "x", "lr": 0.2})
    err = info.value
    assert err.status == 409 and err.code == "conflict" and "lr" in err.message
    assert scientist.get_params(run["id"]) == {"lr": "0.1", "depth": "6"}


# -- search ---------------------------------------------------------------------------------------

def test_search_runs_filters_orders_and_pages(server, scientist, experiment):
    ids = {}
    for i, rmse in enumerate([0.9, 0.2, 0.5, 0.1, 0.7]):
        run = scientist.create_run(experiment["id"], name=f"r{i}")
        scientist.log_metrics(run["id"], {"rmse": rmse})
        scientist.log_params(run["id"], {"depth": 6 if i % 2 else 4})
        ids[rmse] = run["id"]
    found = scientist.search_runs(experiment["id"], filter="metrics.rmse < 0.6",
                                  order_by="metrics.rmse ASC")
    assert [r["id"] for r in found] == [ids[0.1], ids[0.2], ids[0.5]]
    found = scientist.search_runs([experiment["id"]], filter="params.depth = '6'")
    assert {r["id"] for r in found} == {ids[0.2], ids[0.1]}
    with plinth.Client(server.url, scientist._transport._token, page_size=2) as small:
        every = small.search_runs([experiment["id"]], order_by=["metrics.rmse DESC"])
        assert [r["id"] for r in every] == [ids[v] for v in (0.9, 0.7, 0.5, 0.2, 0.1)]
        assert len(small.search_runs([experiment["id"]], limit=3)) == 3


# -- artifacts ------------------------------------------------------------------------------------

def test_artifact_round_trip(scientist, experiment, tmp_path):
    payload = os.urandom(300_000) + b"\x00\r\n end"
    src = tmp_path / "blob.bin"
    src.write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    with scientist.start_run(experiment_id=experiment["id"]) as run:
        stored = run.log_artifact(src, "data/blob.bin")
        run.log_artifact(src)  # default path: the file's name
    assert stored == {"path": "data/blob.bin", "sha256": digest, "size": len(payload)}
    listed = {a["path"]: a for a in scientist.list_artifacts(run.id)}
    assert set(listed) == {"data/blob.bin", "blob.bin"}
    assert listed["data/blob.bin"]["sha256"] == digest
    out = scientist.download_artifact(run.id, "data/blob.bin", tmp_path / "out" / "copy.bin")
    assert out.read_bytes() == payload


def test_artifact_replace_and_bad_path(scientist, experiment, tmp_path):
    run = scientist.create_run(experiment["id"])
    (tmp_path / "a.txt").write_text("first")
    (tmp_path / "b.txt").write_text("second")
    scientist.log_artifact(run["id"], tmp_path / "a.txt", "notes/x.txt")
    scientist.log_artifact(run["id"], tmp_path / "b.txt", "notes/x.txt")
    scientist.download_artifact(run["id"], "notes/x.txt", tmp_path / "x.txt")
    assert (tmp_path / "x.txt").read_text() == "second"
    for bad in ("../escape.txt", "a//b.txt", "a/./b.txt"):
        with pytest.raises(plinth.InvalidArgumentError):
            scientist.log_artifact(run["id"], tmp_path / "a.txt", bad)
    with pytest.raises(plinth.NotFoundError):
        scientist.download_artifact(run["id"], "missing.txt", tmp_path / "m.txt")
    assert not (tmp_path / "m.txt").exists()

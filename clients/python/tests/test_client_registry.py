"""Model registry: registration (from a run and by upload), approval, aliases, downloads."""

import hashlib
import json
import time

import pytest

import plinth
from client_helpers import unique

MODEL_BYTES = json.dumps({"learner": {"trees": [1, 2, 3]}, "version": [1, 7, 4]}).encode()
SIGNATURE = ["hour", "day_of_week", ("temperature", "double"), {"name": "rain", "type": "float"}]


def _model_file(tmp_path, payload=MODEL_BYTES):
    path = tmp_path / "model.json"
    path.write_bytes(payload)
    return path


def _register_upload(client, name, tmp_path, payload=MODEL_BYTES):
    return client.register_model(name, "custom", local_path=_model_file(tmp_path, payload))


def test_register_from_run_artifact_has_lineage(approver, experiment, tmp_path):
    name = unique("model")
    with approver.start_run(experiment_id=experiment["id"], data_version="sha256:d1") as run:
        run.log_params({"max_depth": 6})
        run.log_artifact(_model_file(tmp_path), "model/model.json")
    version = approver.register_model(
        name, "custom", run_id=run.id, artifact_path="model/model.json",
        metrics={"mape": 0.11}, params={"max_depth": 6}, data_version="sha256:d1",
        signature=SIGNATURE, description="first")
    assert version["model"] == name and version["version"] == 1
    assert version["status"] == "PendingManualApproval"
    assert version["flavor"] == "custom" and version["description"] == "first"
    assert version["artifact_sha256"] == hashlib.sha256(MODEL_BYTES).hexdigest()
    assert version["artifact_size"] == len(MODEL_BYTES)
    assert version["metrics"] == {"mape": 0.11} and version["params"] == {"max_depth": "6"}
    assert version["signature"] == {"inputs": [
        {"name": "hour", "type": "float"}, {"name": "day_of_week", "type": "float"},
        {"name": "temperature", "type": "double"}, {"name": "rain", "type": "float"}]}
    lineage = version["lineage"]
    assert lineage["run_id"] == run.id and lineage["experiment_id"] == experiment["id"]
    assert lineage["artifact_path"] == "model/model.json"
    assert lineage["run_params"] == {"max_depth": "6"}
    assert lineage["artifact_sha256"] == version["artifact_sha256"]
    assert approver.get_model_version(name, 1) == version
    model = approver.get_model(name)
    assert model["latest_version"] == 1 and model["aliases"] == {}


def test_register_from_local_file_and_download(scientist, tmp_path):
    name = unique("model")
    first = _register_upload(scientist, name, tmp_path)
    second = _register_upload(scientist, name, tmp_path, b"{\"other\": true}")
    assert (first["version"], second["version"]) == (1, 2)
    assert first["lineage"]["run_id"] is None
    assert first["artifact_sha256"] == hashlib.sha256(MODEL_BYTES).hexdigest()
    out = scientist.download_model(name, 1, tmp_path / "dl" / "v1.json")
    assert out.read_bytes() == MODEL_BYTES
    assert scientist.download_model(name, 2, tmp_path / "v2.json").read_bytes() == b"{\"other\": true}"
    assert [v["version"] for v in scientist.list_model_versions(name)] == [1, 2]
    assert name in [m["name"] for m in scientist.list_models()]
    assert scientist.get_model(name)["latest_version"] == 2


def test_register_needs_exactly_one_source(scientist, tmp_path):
    with pytest.raises(ValueError):
        scientist.register_model(unique("m"), "custom")
    with pytest.raises(ValueError):
        scientist.register_model(unique("m"), "custom", run_id="r", artifact_path="a",
                                 local_path=_model_file(tmp_path))
    with pytest.raises(ValueError):
        scientist.register_model(unique("m"), "custom", run_id="r")


def test_register_unknown_artifact_is_an_error(scientist, experiment):
    run = scientist.create_run(experiment["id"])
    with pytest.raises(plinth.PlinthError) as info:
        scientist.register_model(unique("m"), "custom", run_id=run["id"],
                                 artifact_path="model/none.json")
    assert info.value.status in (400, 404, 422)


def test_approval_needs_a_second_approver(scientist, approver, approver2, tmp_path):
    name = unique("model")
    mine = _register_upload(approver, name, tmp_path)
    with pytest.raises(plinth.PermissionDeniedError) as info:
        approver.approve(name, mine["version"])  # its own version
    assert info.value.status == 403 and info.value.code == "permission_denied"
    with pytest.raises(plinth.PermissionDeniedError):
        scientist.approve(name, mine["version"])  # role too low
    assert approver.get_model_version(name, 1)["status"] == "PendingManualApproval"

    decided = approver2.approve(name, 1, comment="looks good")
    assert decided["status"] == "Approved" and decided["decision_comment"] == "looks good"
    assert decided["decided_by"] and decided["decided_ms"] is not None
    assert decided["decided_by"] != decided["created_by"]
    with pytest.raises(plinth.ConflictError):
        approver2.approve(name, 1)
    with pytest.raises(plinth.ConflictError):
        approver2.reject(name, 1)


def test_rejected_version_cannot_take_an_alias(scientist, approver, tmp_path):
    name = unique("model")
    _register_upload(scientist, name, tmp_path)
    assert approver.reject(name, 1, comment="mape too high")["status"] == "Rejected"
    with pytest.raises(plinth.FailedPreconditionError) as info:
        approver.set_alias(name, "champion", 1)
    assert info.value.status == 422 and info.value.code == "failed_precondition"
    _register_upload(scientist, name, tmp_path, b"pending")
    with pytest.raises(plinth.FailedPreconditionError):
        approver.set_alias(name, "champion", 2)  # pending, not approved
    with pytest.raises(plinth.NotFoundError):
        approver.get_alias(name, "champion")


def test_aliases_move_and_remember_history(scientist, approver, tmp_path):
    name = unique("model")
    for payload in (b"v1", b"v2"):
        version = _register_upload(scientist, name, tmp_path, payload)
        approver.approve(name, version["version"])
    with pytest.raises(plinth.PermissionDeniedError):
        scientist.set_alias(name, "champion", 1)

    first = approver.set_alias(name, "champion", 1)
    assert (first["model"], first["alias"], first["version"]) == (name, "champion", 1)
    assert first["set_by"]
    time.sleep(0.02)
    second = approver.set_alias(name, "champion", 2)
    assert second["set_ms"] > first["set_ms"]
    time.sleep(0.02)
    rollback = approver.set_alias(name, "champion", 1)

    assert approver.get_alias(name, "champion")["version"] == 1
    assert approver.get_model(name)["aliases"] == {"champion": 1}
    assert approver.get_alias(name, "champion", at_ms=first["set_ms"])["version"] == 1
    assert approver.get_alias(name, "champion", at_ms=second["set_ms"] - 1)["version"] == 1
    assert approver.get_alias(name, "champion", at_ms=second["set_ms"])["version"] == 2
    assert approver.get_alias(name, "champion", at_ms=rollback["set_ms"] - 1)["version"] == 2
    with pytest.raises(plinth.NotFoundError):
        approver.get_alias(name, "champion", at_ms=first["set_ms"] - 1)

    history = scientist.alias_history(name, "champion")
    assert [h["version"] for h in history] == [1, 2, 1]
    assert [h["set_ms"] for h in history] == [first["set_ms"], second["set_ms"], rollback["set_ms"]]


def test_unknown_model_is_not_found(scientist):
    with pytest.raises(plinth.NotFoundError):
        scientist.get_model(unique("nope"))
    with pytest.raises(plinth.NotFoundError):
        scientist.get_model_version(unique("nope"), 1)

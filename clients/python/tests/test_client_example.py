"""examples/train_xgboost.py end to end against the test server (needs python3-xgboost)."""

import pathlib
import subprocess
import sys

import pytest

from client_helpers import unique

pytest.importorskip("xgboost")
SCRIPT = pathlib.Path(__file__).resolve().parents[3] / "examples" / "train_xgboost.py"


def _train(server, *args):
    return subprocess.run([sys.executable, str(SCRIPT), "--data-dir", str(server.data_dir), *args],
                          capture_output=True, text=True, timeout=300)


def test_example_trains_logs_and_registers_behind_the_gate(server, admin):
    experiment, model = unique("demand-exp"), unique("demand")
    done = _train(server, "--experiment", experiment, "--model", model, "--seed", "7")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("run ") and "version 1" in lines[1]

    version = admin.get_model_version(model, 1)
    assert version["status"] == "PendingManualApproval" and version["flavor"] == "xgboost"
    assert version["metrics"]["mape"] < 0.15
    assert [i["name"] for i in version["signature"]["inputs"]] == [
        "hour", "day_of_week", "temperature", "rain"]
    run = admin.get_run(version["lineage"]["run_id"])
    assert run["status"] == "FINISHED" and run["tags"]["gate"] == "passed"
    assert run["data_version"] == version["data_version"]
    assert len(admin.get_metric_history(run["id"], "valid_rmse")) == 100

    refused = _train(server, "--experiment", experiment, "--model", model, "--gate", "0.01")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "not registered" in refused.stdout
    assert [v["version"] for v in admin.list_model_versions(model)] == [1]

"""Monitoring through the client: baselines (CSV file, upload, captured window), monitors and
their reports on a real endpoint's captured traffic, feedback, alerts and retrain requests."""

import random
import time

import pytest

import plinth
from client_helpers import deploy_ready_model, unique

FEATURES = ["hour", "temp", "rain"]


def _rows(rng, n, rain_shift=0.0):
    return [[rng.gauss(0, 1), rng.gauss(0, 1), rng.gauss(0, 1) + rain_shift] for _ in range(n)]


def _csv(path, rows, target=None):
    header = FEATURES + ([target] if target else [])
    lines = [",".join(header)]
    for row in rows:
        vals = row + ([3 * row[0] - row[2] + 1] if target else [])
        lines.append(",".join(f"{v:.5f}" for v in vals))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def setup(scientist, approver, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("monitoring")
    model, version, predict = deploy_ready_model(scientist, approver, tmp, FEATURES, seed=1)
    ep = unique("ep")
    approver.create_endpoint(ep, [{"name": "main", "model": model, "version": version}],
                             capture={"sample_rate": 1.0})
    return {"model": model, "version": version, "predict": predict, "endpoint": ep, "tmp": tmp}


def _wait_captures(client, endpoint, count, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        items = client.list_captures(endpoint)
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.05)


def test_baselines_from_csv_upload_and_captures(scientist, setup, tmp_path):
    rng = random.Random(3)
    name = unique("base")
    src = _csv(tmp_path / "ref.csv", _rows(rng, 400), target="y")
    b1 = scientist.create_baseline(name, csv_path=src, target_column="y", description="ref")
    assert b1["version"] == 1 and b1["rows"] == 400 and b1["target_column"] == "y"
    assert b1["feature_columns"] == FEATURES and b1["source"]["kind"] == "csv"
    sha = scientist.upload(src)["sha256"]
    b2 = scientist.create_baseline(name, blob=sha, target_column="y")
    assert b2["version"] == 2 and b2["source"]["kind"] == "blob"
    assert scientist.get_baseline(name)["version"] == 2
    assert scientist.get_baseline(name, version=1)["description"] == "ref"
    assert [(b["name"], b["version"]) for b in scientist.list_baselines()
            if b["name"] == name] == [(name, 1), (name, 2)]
    with pytest.raises(ValueError):
        scientist.create_baseline(name)

    set_ = scientist.set_model_baseline(setup["model"], setup["version"], name, 1)
    assert set_["baseline"] == name and set_["baseline_version"] == 1
    assert scientist.get_model_baseline(setup["model"], setup["version"])["baseline"] == name

    start = int(time.time() * 1000) - 1
    for chunk in range(3):
        scientist.predict(setup["endpoint"], inputs=_rows(rng, 10))
    captured = _wait_captures(scientist, setup["endpoint"], 3)
    assert len(captured) >= 3 and captured[-1]["variant"] == "main"
    end = int(time.time() * 1000) + 1
    from_traffic = scientist.create_baseline(unique("traffic"), endpoint=setup["endpoint"],
                                             start_ms=start, end_ms=end)
    assert from_traffic["source"]["kind"] == "captures" and from_traffic["rows"] >= 30
    assert from_traffic["target_column"] == "prediction"


def test_monitor_drift_quality_alerts_and_retrain(scientist, approver, setup, tmp_path):
    rng = random.Random(7)
    ep = unique("ep")  # a fresh endpoint: this test's window holds only its own traffic
    approver.create_endpoint(ep, [{"name": "main", "model": setup["model"],
                                   "version": setup["version"]}], capture={"sample_rate": 1.0})
    base = scientist.create_baseline(unique("base"), target_column="y",
                                     csv_path=_csv(tmp_path / "ref.csv", _rows(rng, 600), "y"))
    labels = {}
    for _ in range(6):  # rain shifted by +4 standard deviations
        rows = _rows(rng, 50, rain_shift=4.0)
        out = scientist.predict(ep, inputs=rows)
        labels[out["request_id"]] = [p + 100.0 for p in out["predictions"]]  # error of 100
    assert len(_wait_captures(scientist, ep, 6)) == 6
    fb = scientist.log_feedback(ep, labels)
    assert fb["accepted"] == 6 and fb["matched"] == 6 and fb["unmatched"] == []
    assert scientist.log_feedback(ep, [{"request_id": "never-seen", "label": 1.0}])[
        "unmatched"] == ["never-seen"]

    name = unique("mon")
    mon = scientist.create_monitor(name, ep, baseline=base["name"], window_seconds=300,
                                   schedule_seconds=0, drift={"drift_share": 0.25},
                                   quality={"metric": "mae", "threshold": 10})
    assert mon["name"] == name and mon["id"] and mon["quality"]["alert_when"] == "above"
    assert scientist.get_monitor(mon["id"])["name"] == name
    assert name in [m["name"] for m in scientist.list_monitors()]
    with pytest.raises(plinth.AlreadyExistsError):
        scientist.create_monitor(name, ep, baseline=base["name"])

    report = scientist.run_monitor(name)
    assert report["trigger"] == "manual" and report["rows"] == 300
    cols = {c["column"]: c for c in report["data_drift"]["columns"]}
    assert cols["rain"]["drifted"] and not cols["hour"]["drifted"]
    assert report["quality"]["value"] == pytest.approx(100.0, rel=1e-4)
    assert {a["rule"]: a["event"] for a in report["alerts"]} == {"data_drift": "fired",
                                                                 "quality": "fired"}
    assert [r["id"] for r in scientist.list_monitor_reports(name)] == [report["id"]]
    assert scientist.get_monitor_report(name, report["id"])["rows"] == 300

    alerts = scientist.list_alerts(monitor=name, state="firing")
    assert sorted(a["rule"] for a in alerts) == ["data_drift", "quality"]
    drift = next(a for a in alerts if a["rule"] == "data_drift")
    assert scientist.get_alert(drift["id"])["report_id"] == report["id"]
    retrain = scientist.list_retrain_requests(endpoint=ep)
    assert retrain and {r["alert_id"] for r in retrain} <= {a["id"] for a in alerts}

    scientist.delete_monitor(name)
    with pytest.raises(plinth.NotFoundError):
        scientist.get_monitor(name)
    assert scientist.list_alerts(monitor=name, state="firing") == []

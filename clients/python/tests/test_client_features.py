"""The feature store through the client: apply, ingest, point-in-time training sets, datasets and
lineage, materialization, push, online reads, and an endpoint that reads online features."""

import csv
import json
import time

import pytest

import plinth
from client_helpers import deploy_ready_model, unique

DAY = 86_400_000
NOW = int(time.time() * 1000)
T1, T2 = NOW - 3 * DAY, NOW - 2 * DAY  # two snapshots per zone


def _trips(zone, t):
    return zone * 10 + (1 if t == T2 else 0)


def _speed(zone, t):
    return 20.0 + zone + (0.5 if t == T2 else 0.0)


@pytest.fixture(scope="module")
def store(scientist, tmp_path_factory):
    """An entity and a view (made through the client) with zones 1..3 at T1 and T2."""
    tmp = tmp_path_factory.mktemp("features")
    entity = {"name": unique("zone"), "join_keys": [{"name": "zone_id", "type": "int"}]}
    view = {"name": unique("zs"), "entities": [entity["name"]], "ttl_seconds": 7 * 86400,
            "features": [{"name": "trips", "type": "int"},
                         {"name": "speed", "type": "float", "rules": {"min": 0}}]}
    assert scientist.apply_entity(entity)["action"] == "created"
    assert scientist.apply_entity(entity)["action"] == "unchanged"
    created = scientist.apply_feature_view(view)
    assert created["action"] == "created" and created["version"] == 1
    src = tmp / "history.csv"
    lines = ["zone_id,event_timestamp,trips,speed"]
    lines += [f"{z},{t},{_trips(z, t)},{_speed(z, t)}" for t in (T1, T2) for z in (1, 2, 3)]
    src.write_text("\n".join(lines) + "\n")
    record = scientist.ingest(view["name"], src)
    assert record["rows"] == 6 and record["stats"]["features"]["trips"]["count"] == 6
    return {"entity": entity, "view": view, "name": view["name"], "tmp": tmp}


def test_apply_diffs_and_breaking_changes(scientist, store):
    view = store["view"]
    assert scientist.get_entity(store["entity"]["name"])["join_keys"][0]["name"] == "zone_id"
    assert store["entity"]["name"] in [e["name"] for e in scientist.list_entities()]
    narrowed = dict(view, features=view["features"][:1])
    with pytest.raises(plinth.ConflictError) as err:
        scientist.apply_feature_view(narrowed)
    assert any(c["field"].endswith("speed") and c["kind"] == "removed"
               for c in err.value.details["changes"])
    dry = scientist.apply_feature_view(narrowed, force=True, dry_run=True)
    assert dry["action"] == "new_version" and dry["dry_run"] is True
    assert scientist.apply_feature_view(dict(view, description="zones"))["action"] == "updated"
    got = scientist.get_feature_view(store["name"])
    assert got["version"] == 1 and len(got["versions"]) == 1
    assert scientist.get_feature_view(store["name"], version=1)["description"] == "zones"
    assert store["name"] in [v["name"] for v in scientist.list_feature_views()]


def test_ingest_jsonl_and_rejected_batches(scientist, store, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"zone_id": 7, "event_timestamp": T1, "trips": 1, "speed": -3})
                   + "\n")
    with pytest.raises(plinth.InvalidArgumentError) as err:
        scientist.ingest(store["name"], bad)
    failure = err.value.details["failures"][0]
    assert failure["row"] == 1 and failure["column"] == "speed" and failure["rule"] == "min"
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"zone_id": 8, "event_timestamp": T1, "trips": 5, "speed": 1.5})
                    + "\n")
    assert scientist.ingest(store["name"], good)["rows"] == 1
    assert [r["rows"] for r in scientist.list_ingests(store["name"])][:2] == [1, 6]


def test_historical_features_datasets_and_lineage(scientist, store, experiment, tmp_path):
    name = store["name"]
    refs = [f"{name}:trips", f"{name}:speed"]
    rows = [{"zone_id": 1, "event_timestamp": T1 + DAY // 2, "label": 1.5},
            {"zone_id": 2, "event_timestamp": NOW, "label": 0.5},
            {"zone_id": 42, "event_timestamp": NOW, "label": 2.0}]
    res = scientist.get_historical_features(rows, refs)
    assert res["columns"] == ["zone_id", "event_timestamp", "label", "trips", "speed"]
    assert res["rows"] == [dict(rows[0], trips=_trips(1, T1), speed=_speed(1, T1)),
                           dict(rows[1], trips=_trips(2, T2), speed=_speed(2, T2)),
                           dict(rows[2], trips=None, speed=None)]

    entity_csv = tmp_path / "entities.csv"
    entity_csv.write_text("zone_id,event_timestamp,label\n"
                          + "".join(f"{r['zone_id']},{r['event_timestamp']},{r['label']}\n"
                                    for r in rows))
    out = scientist.get_historical_features(entity_csv, refs, full_feature_names=True,
                                            output_path=tmp_path / "out" / "train.csv")
    with open(out, newline="") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == ["zone_id", "event_timestamp", "label", f"{name}__trips",
                              f"{name}__speed"]
    assert [t[f"{name}__trips"] for t in table] == [str(_trips(1, T1)), str(_trips(2, T2)), ""]

    ds_name = unique("train")
    saved = scientist.get_historical_features(entity_csv, refs, save_as=ds_name,
                                              description="demo")
    assert saved["row_count"] == 3
    ds = scientist.get_dataset(ds_name)
    assert ds["version"] == 1 and ds["rows"] == 3 and ds["feature_refs"] == refs
    assert ds["feature_views"] == [{"name": name, "version": 1}]
    assert ds_name in [d["name"] for d in scientist.list_datasets()]
    assert scientist.get_dataset(ds_name, version=1)["sha256"] == ds["sha256"]
    blob = scientist.download_dataset(ds_name, tmp_path / "ds.csv")
    with open(blob, newline="") as f:
        assert [r["label"] for r in csv.DictReader(f)] == ["1.5", "0.5", "2.0"]

    run = scientist.create_run(experiment["id"])
    logged = scientist.log_input(run["id"], ds_name)
    assert logged["name"] == ds_name and logged["version"] == 1
    assert logged["digest"] == ds["sha256"]
    assert [i["name"] for i in scientist.list_run_inputs(run["id"])] == [ds_name]
    assert scientist.get_run(run["id"])["data_version"] == f"dataset:{ds_name}@1"
    artifact = tmp_path / "model.bin"
    artifact.write_bytes(b"opaque model")
    scientist.log_artifact(run["id"], artifact, "model/model.bin")
    model = unique("model")
    mv = scientist.register_model(model, "custom", run_id=run["id"],
                                  artifact_path="model/model.bin")
    assert mv["data_version"] == f"dataset:{ds_name}@1"
    lineage = scientist.dataset_lineage(ds_name, version=1)
    assert lineage["feature_views"] == [{"name": name, "version": 1}]
    assert [r["id"] for r in lineage["runs"]] == [run["id"]]
    assert [(m["model"], m["version"]) for m in lineage["model_versions"]] == [(model, 1)]
    back = scientist.model_version_lineage(model, 1)
    assert back["run"]["id"] == run["id"]
    assert [d["name"] for d in back["datasets"]] == [ds_name]
    assert [v["name"] for v in back["feature_views"]] == [name]


def test_materialize_push_and_online_reads(scientist, store):
    name = store["name"]
    job = scientist.materialize(name, start=0, end=NOW, wait=True)
    assert job["status"] == "succeeded" and job["rows_written"] == 4  # zones 1, 2, 3, 8
    refs = [f"{name}:trips", f"{name}:speed"]
    answer = scientist.get_online_features(refs, [{"zone_id": 1}, {"zone_id": 99}])
    values = plinth.online_features_to_dict(answer)
    assert values == {"zone_id": [1, 99], refs[0]: [_trips(1, T2), None],
                      refs[1]: [_speed(1, T2), None]}
    assert answer["results"][1]["statuses"] == ["PRESENT", "NOT_FOUND"]

    inc = scientist.materialize_incremental(name)
    done = scientist.wait_materialization(name, inc["id"], timeout=20)
    assert done["status"] == "succeeded" and done["incremental"] is True
    assert [j["id"] for j in scientist.list_materializations(name)][:2] == [inc["id"], job["id"]]

    pushed = scientist.push(name, [{"zone_id": 1, "event_timestamp": NOW, "trips": 777,
                                    "speed": 3.0}])
    assert pushed["rows"] == 1
    again = scientist.get_online_features(refs, {"zone_id": [1]})
    assert plinth.online_features_to_dict(again)[refs[0]] == [777]


def test_endpoint_reads_online_features(scientist, approver, store):
    name = store["name"]
    scientist.materialize(name, start=0, end=NOW, wait=True)
    features = ["trips", "speed", "hour"]
    model, version, predict = deploy_ready_model(scientist, approver, store["tmp"], features,
                                                 seed=5)
    ep = unique("ep")
    created = approver.create_endpoint(
        ep, [{"name": "main", "model": model, "version": version}],
        features={"refs": [f"{name}:trips", f"{name}:speed"], "entity_key": "zone_id"})
    assert created["features"]["entity_key"] == "zone_id"
    out = scientist.predict(ep, instances=[{"zone_id": 2, "hour": 8}, {"zone_id": 99, "hour": 3}],
                            echo_features=True)
    assert out["features"] == [{"trips": _trips(2, T2), "speed": _speed(2, T2), "hour": 8},
                               {"trips": None, "speed": None, "hour": 3}]
    rows = [[f[k] for k in features] for f in out["features"]]
    for got, want in zip(out["predictions"], predict(rows)):
        assert abs(got - want) <= 1e-5 * max(1.0, abs(want))

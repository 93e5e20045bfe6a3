"""The feature store over HTTP: entities and versioned feature views, validated ingest, point-in-
time training sets (checked against pandas' merge_asof), datasets with lineage to runs and model
versions, bad input, roles, and a kill -9 during a large ingest.
"""

import csv
import io
import json
import pathlib
import signal
import subprocess
import time

import pytest

from support import (assert_error, audit_events, audit_verify, connect, expect, list_all,
                     make_experiment, make_run, plinth_binary, q, request_head, sha256, uniq)

REPO = pathlib.Path(__file__).resolve().parents[2]
PIT_GEN = REPO / "tests" / "features" / "pit_pandas_gen.py"


# --- helpers -----------------------------------------------------------------------------------

def make_entity(srv, name=None, keys=None, token="admin"):
    body = {"name": name or uniq("ent"), "join_keys": keys or [{"name": "zone_id", "type": "int"}]}
    return expect(srv.request("POST", "/api/v1/entities", body, token=token), 201)


def view_body(name, entity, **extra):
    body = {"name": name, "entities": [entity], "ttl_seconds": 3600, "owner": "ops",
            "features": [{"name": "bookings", "type": "int", "rules": {"not_null": True, "min": 0}},
                         {"name": "temperature", "type": "float",
                          "rules": {"min": -40, "max": 50}},
                         {"name": "weather", "type": "string",
                          "rules": {"allowed_values": ["sun", "rain"]}},
                         {"name": "holiday", "type": "bool"}]}
    body.update(extra)
    return body


def make_view(srv, token="admin"):
    """A fresh entity 'ent-*' (join key zone_id:int) and view 'zd-*'; returns the view's name."""
    ent = make_entity(srv)
    name = uniq("zd")
    expect(srv.request("POST", "/api/v1/feature-views", view_body(name, ent["name"]), token=token),
           201)
    return name


def ingest(srv, view, body, ctype="text/csv", token="admin"):
    return srv.request("POST", f"/api/v1/feature-views/{q(view)}/ingest", body,
                       headers={"Content-Type": ctype}, token=token)


def historical_csv(srv, entities_csv, refs, token="admin", accept="text/csv", **params):
    path = "/api/v1/features/historical?features=" + q(",".join(refs))
    for k, v in params.items():
        path += f"&{k}={q(v)}"
    return srv.request("POST", path, entities_csv, raw=True, token=token,
                       headers={"Content-Type": "text/csv", "Accept": accept})


GOOD_CSV = ("zone_id,event_timestamp,bookings,temperature,weather,holiday\n"
            "1,2024-05-01T10:00:00Z,10,14.5,sun,false\n"
            "1,2024-05-01T11:00:00Z,12,15.0,rain,true\n"
            "2,2024-05-01T10:30:00Z,7,,sun,\n")


# --- definitions -------------------------------------------------------------------------------

def test_entities_are_created_listed_and_reapplied_idempotently(server):
    name = uniq("zone")
    created = make_entity(server, name, [{"name": "zone_id", "type": "int"}])
    assert created["name"] == name and created["action"] == "created"
    assert created["join_keys"] == [{"name": "zone_id", "type": "int"}]
    again = expect(server.request("POST", "/api/v1/entities",
                                  {"name": name, "join_keys": [{"name": "zone_id", "type": "int"}]}),
                   200)
    assert again["action"] == "unchanged" and again["changes"] == []
    got = expect(server.request("GET", f"/api/v1/entities/{name}"), 200)
    assert got["name"] == name and got["created_by"] == "admin"
    items, _ = list_all(server, "/api/v1/entities", limit=2)
    assert name in [e["name"] for e in items]
    assert_error(server.request("GET", "/api/v1/entities/nope-" + uniq()), 404, "not_found")


def test_feature_views_version_on_schema_change_and_refuse_breaking_changes(server):
    ent = make_entity(server)
    name = uniq("zd")
    body = view_body(name, ent["name"])
    v1 = expect(server.request("POST", "/api/v1/feature-views", body), 201)
    assert v1["version"] == 1 and v1["action"] == "created"
    assert v1["join_keys"] == [{"name": "zone_id", "type": "int"}]

    # metadata only: the same version, updated in place
    body["owner"] = "data-team"
    upd = expect(server.request("POST", "/api/v1/feature-views", body), 200)
    assert upd["version"] == 1 and upd["action"] == "updated"
    assert [c["field"] for c in upd["changes"]] == ["owner"]

    # an added feature: version 2, not breaking
    body["features"].append({"name": "rain_mm", "type": "float"})
    v2 = expect(server.request("POST", "/api/v1/feature-views", body), 201)
    assert v2["version"] == 2 and v2["action"] == "new_version"
    assert {"field": "features.rain_mm", "kind": "added"}.items() <= v2["changes"][0].items()

    # a dry run of a breaking change says what would happen and writes nothing
    body["features"][0]["type"] = "float"
    dry = expect(server.request("POST", "/api/v1/feature-views",
                                dict(body, dry_run=True, force=True)), 200)
    assert dry["action"] == "new_version" and dry["dry_run"] is True
    # a breaking change (bookings int -> float) is refused with 409 and the list of changes
    err = assert_error(server.request("POST", "/api/v1/feature-views", body), 409, "conflict",
                       mentions="features.bookings.type")
    changes = err["details"]["changes"]
    assert any(c["field"] == "features.bookings.type" and c["breaking"] for c in changes)
    got = expect(server.request("GET", f"/api/v1/feature-views/{name}"), 200)
    assert got["version"] == 2 and len(got["versions"]) == 2

    # force accepts it as version 3
    v3 = expect(server.request("POST", "/api/v1/feature-views", dict(body, force=True)), 201)
    assert v3["version"] == 3
    got = expect(server.request("GET", f"/api/v1/feature-views/{name}"), 200)
    assert [v["version"] for v in got["versions"]] == [1, 2, 3]
    assert got["features"][0]["type"] == "float"
    old = expect(server.request("GET", f"/api/v1/feature-views/{name}/versions/1"), 200)
    assert old["features"][0]["type"] == "int" and old["owner"] == "data-team"
    items, _ = list_all(server, "/api/v1/feature-views")
    assert [v["version"] for v in items if v["name"] == name] == [3]
    actions = [e["action"] for e in audit_events(server) if e["resource"].endswith(name)]
    assert actions.count("feature_view.version") == 2 and "feature_view.create" in actions


def test_definitions_name_what_is_wrong(server):
    ent = make_entity(server)
    bad = view_body(uniq("zd"), ent["name"])
    bad["ttl_second"] = 5
    assert_error(server.request("POST", "/api/v1/feature-views", bad), 400, "invalid_argument",
                 mentions="ttl_second")
    bad = view_body(uniq("zd"), ent["name"])
    bad["features"][1]["type"] = "double"
    assert_error(server.request("POST", "/api/v1/feature-views", bad), 400, "invalid_argument",
                 mentions="double")
    bad = view_body(uniq("zd"), "no-such-entity")
    assert_error(server.request("POST", "/api/v1/feature-views", bad), 404, "not_found",
                 mentions="no-such-entity")
    assert_error(server.request("POST", "/api/v1/entities", {"name": "bad name!", "join_keys": ["k"]}),
                 400, "invalid_argument")
    assert_error(server.request("GET", "/api/v1/feature-views/" + uniq("none")), 404, "not_found")


def test_roles_viewer_reads_scientist_defines(server, roles):
    viewer, sci = roles["viewer"].secret, roles["scientist"].secret
    assert_error(server.request("POST", "/api/v1/entities",
                                {"name": uniq("e"), "join_keys": ["k"]}, token=viewer),
                 403, "permission_denied")
    view = make_view(server, token=sci)
    assert_error(ingest(server, view, GOOD_CSV, token=viewer), 403, "permission_denied")
    expect(ingest(server, view, GOOD_CSV, token=sci), 201)
    expect(server.request("GET", f"/api/v1/feature-views/{view}", token=viewer), 200)
    expect(server.request("GET", f"/api/v1/feature-views/{view}/ingests", token=viewer), 200)
    rows = "zone_id,event_timestamp\n1,2024-05-01T12:00:00Z\n"
    st, _, _ = historical_csv(server, rows, [f"{view}:bookings"], token=viewer)
    assert st == 200
    st, body, _ = historical_csv(server, rows, [f"{view}:bookings"], token=viewer,
                                 save_as=uniq("ds"))
    assert st == 403 and b"scientist" in body
    assert_error(server.request("GET", "/api/v1/entities", token=None), 401, "unauthenticated")


# --- ingest ------------------------------------------------------------------------------------

def test_ingest_csv_and_json_lines_records_rows_and_stats(server):
    view = make_view(server)
    rec = expect(ingest(server, view, GOOD_CSV), 201)
    assert rec["view"] == view and rec["view_version"] == 1 and rec["rows"] == 3
    stats = rec["stats"]["features"]
    assert stats["bookings"] == {"type": "int", "count": 3, "nulls": 0, "min": 7.0, "max": 12.0,
                                 "mean": pytest.approx(29 / 3)}
    assert stats["temperature"]["nulls"] == 1 and stats["temperature"]["max"] == 15.0
    assert stats["holiday"]["count"] == 2
    lines = "\n".join(json.dumps(r) for r in [
        {"zone_id": 3, "event_timestamp": 1714560000, "bookings": 4, "weather": "rain"},
        {"zone_id": "4", "event_timestamp": "2024-05-01T10:00:00.250+02:00", "bookings": "5",
         "temperature": 1e1, "holiday": True}]) + "\n"
    for ctype in ("application/x-ndjson", "application/jsonl"):
        rec2 = expect(ingest(server, view, lines, ctype=ctype), 201)
        assert rec2["rows"] == 2
    items, _ = list_all(server, f"/api/v1/feature-views/{view}/ingests")
    assert [i["rows"] for i in items] == [2, 2, 3]  # newest first
    assert items[-1]["id"] == rec["id"] and items[-1]["stats"] == rec["stats"]
    assert "feature_view.ingest" in [e["action"] for e in audit_events(server)
                                     if e["resource"].endswith(view)]


def test_ingest_bad_input_is_rejected_whole_with_a_report(server):
    view = make_view(server)
    # wrong types and rule failures: a report of (row, column, rule, value), nothing written
    bad = ("zone_id,event_timestamp,bookings,temperature,weather\n"
           "1,2024-05-01T10:00:00Z,10,14.5,sun\n"
           "x,2024-05-01T10:00:00Z,-3,99,snow\n"
           "2,yesterday,,warm,sun\n")
    err = assert_error(ingest(server, view, bad), 400, "invalid_argument")
    failures = err["details"]["failures"]
    got = {(f["row"], f["column"], f["rule"], f["value"]) for f in failures}
    assert got == {(2, "zone_id", "type", "x"), (2, "bookings", "min", "-3"),
                   (2, "temperature", "max", "99"), (2, "weather", "allowed_values", "snow"),
                   (3, "event_timestamp", "type", "yesterday"), (3, "bookings", "not_null", None),
                   (3, "temperature", "type", "warm")}
    assert err["details"]["failure_count"] == 7 and err["details"]["truncated"] is False
    assert list_all(server, f"/api/v1/feature-views/{view}/ingests")[0] == []

    # more than 100 failures: the first 100 are listed
    many = "zone_id,event_timestamp,bookings\n" + "".join(
        f"{i},2024-05-01T10:00:00Z,-1\n" for i in range(150))
    err = assert_error(ingest(server, view, many), 400, "invalid_argument")
    assert len(err["details"]["failures"]) == 100 and err["details"]["failure_count"] == 150
    assert err["details"]["truncated"] is True
    assert [f["row"] for f in err["details"]["failures"]] == list(range(1, 101))

    # unknown column, missing key column, empty body, header only, bad JSON line
    assert_error(ingest(server, view, "zone_id,event_timestamp,bookingz\n1,2024-05-01,3\n"), 400,
                 "invalid_argument", mentions="bookingz")
    assert_error(ingest(server, view, "event_timestamp,bookings\n2024-05-01,3\n"), 400,
                 "invalid_argument", mentions="zone_id")
    assert_error(ingest(server, view, ""), 400, "invalid_argument", mentions="empty")
    assert_error(ingest(server, view, "zone_id,event_timestamp,bookings\n"), 400,
                 "invalid_argument", mentions="no rows")
    assert_error(ingest(server, view, '{"zone_id": 1,\n', ctype="application/x-ndjson"), 400,
                 "invalid_argument")
    # unknown view, unsupported content type
    assert_error(ingest(server, uniq("nope"), GOOD_CSV), 404, "not_found", mentions="nope")
    assert_error(ingest(server, view, GOOD_CSV, ctype="application/json"), 415,
                 "unsupported_media_type", mentions="text/csv")
    assert list_all(server, f"/api/v1/feature-views/{view}/ingests")[0] == []
    assert_error(server.request("GET", f"/api/v1/feature-views/{uniq('nope')}/ingests"), 404,
                 "not_found")


# --- historical features -----------------------------------------------------------------------

def test_historical_returns_the_rows_in_order_with_labels_as_csv_or_json(server):
    view = make_view(server)
    expect(ingest(server, view, GOOD_CSV), 201)
    rows = ("zone_id,event_timestamp,label\n"
            "1,2024-05-01T10:59:59Z,a\n"      # sees the 10:00 row
            "2,2024-05-01T10:30:00Z,b\n"      # exact tie: included
            "1,2024-05-01T12:00:00Z,c\n"      # exactly TTL after 11:00: included
            "1,2024-05-01T12:00:00.001Z,d\n"  # 1 ms past the TTL: null
            "9,2024-05-01T12:00:00Z,e\n")     # no features
    refs = [f"{view}:bookings", f"{view}:temperature", f"{view}:holiday"]
    st, body, hdrs = historical_csv(server, rows, refs)
    assert st == 200 and hdrs["content-type"] == "text/csv" and hdrs["x-rows"] == "5"
    assert body.decode() == ("zone_id,event_timestamp,label,bookings,temperature,holiday\n"
                             "1,2024-05-01T10:59:59Z,a,10,14.5,false\n"
                             "2,2024-05-01T10:30:00Z,b,7,,\n"
                             "1,2024-05-01T12:00:00Z,c,12,15.0,true\n"
                             "1,2024-05-01T12:00:00.001Z,d,,,\n"
                             "9,2024-05-01T12:00:00Z,e,,,\n")
    # the refs may come in a header instead
    st2, body2, _ = server.request("POST", "/api/v1/features/historical", rows, raw=True,
                                   headers={"Content-Type": "text/csv",
                                            "X-Feature-Refs": ",".join(refs)})
    assert st2 == 200 and body2 == body
    # CSV in, JSON out (Accept)
    st3, js, _ = historical_csv(server, rows, refs, accept="application/json")
    assert st3 == 200
    js = json.loads(js)
    assert js["row_count"] == 5 and js["rows"][2] == {
        "zone_id": "1", "event_timestamp": "2024-05-01T12:00:00Z", "label": "c", "bookings": 12,
        "temperature": 15.0, "holiday": True}
    # JSON in: entity values keep their JSON types; JSON out
    ents = [{"zone_id": 1, "event_timestamp": "2024-05-01T10:59:59Z", "label": 1},
            {"zone_id": 2, "event_timestamp": 1714559400, "label": 0}]
    res = expect(server.request("POST", "/api/v1/features/historical",
                                {"entities": ents, "features": refs}), 200)
    assert res["columns"] == ["zone_id", "event_timestamp", "label", "bookings", "temperature",
                              "holiday"]
    assert res["rows"] == [dict(ents[0], bookings=10, temperature=14.5, holiday=False),
                           dict(ents[1], bookings=7, temperature=None, holiday=None)]
    # JSON with entities_csv, answered as CSV when asked
    st4, body4, _ = server.request("POST", "/api/v1/features/historical",
                                   {"entities_csv": rows, "features": refs}, raw=True,
                                   headers={"Accept": "text/csv"})
    assert st4 == 200 and body4 == body


def test_historical_bad_input_names_what_is_wrong(server):
    view = make_view(server)
    expect(ingest(server, view, GOOD_CSV), 201)
    ok_rows = "zone_id,event_timestamp\n1,2024-05-01T12:00:00Z\n"

    def err(rows, refs, status=400, code="invalid_argument", mentions=None):
        st, body, hdrs = historical_csv(server, rows, refs)
        return assert_error((st, json.loads(body), hdrs), status, code, mentions)

    err(ok_rows, [f"{uniq('nope')}:bookings"], 404, "not_found", mentions="nope")
    err(ok_rows, [f"{view}:no_such_feature"], 404, "not_found", mentions="no_such_feature")
    err(ok_rows, ["not-a-ref"], mentions="not-a-ref")
    err("", [f"{view}:bookings"], mentions="empty")
    err("zone_id,event_timestamp\n", [f"{view}:bookings"], mentions="no rows")
    err("zone_id,event_timestamp\n1,2024-05-01T12:00:00Z\n2,noon\n", [f"{view}:bookings"],
        mentions="noon")
    err("zone_id,event_timestamp\nabc,2024-05-01T12:00:00Z\n", [f"{view}:bookings"],
        mentions="zone_id")
    err("zone,event_timestamp\n1,2024-05-01T12:00:00Z\n", [f"{view}:bookings"], mentions="zone_id")
    err("zone_id,ts\n1,2024-05-01T12:00:00Z\n", [f"{view}:bookings"], mentions="event_timestamp")
    assert_error(server.request("POST", "/api/v1/features/historical", ok_rows,
                                headers={"Content-Type": "text/csv"}), 400, "invalid_argument",
                 mentions="features")
    assert_error(server.request("POST", "/api/v1/features/historical",
                                {"entities": [], "features": [f"{view}:bookings"]}), 400,
                 "invalid_argument", mentions="no rows")
    assert_error(server.request("POST", "/api/v1/features/historical",
                                {"entities": [{"zone_id": [1]}], "features": [f"{view}:bookings"]}),
                 400, "invalid_argument", mentions="entities[0].zone_id")
    assert_error(server.request("POST", "/api/v1/features/historical",
                                {"entities": [{"zone_id": 1}], "feature": ["x:y"]}), 400,
                 "invalid_argument", mentions="feature")
    assert_error(server.request("POST", "/api/v1/features/historical", ok_rows,
                                headers={"Content-Type": "application/xml"}), 415,
                 "unsupported_media_type")


def test_historical_over_http_equals_pandas_merge_asof(fresh_server, tmp_path):
    """pit_pandas_gen.py: random data for three views with ties, TTL edges, duplicates within
    and across batches, nulls, string and composite keys and every timestamp form; pandas'
    merge_asof computes the expected CSV, which plinth must reproduce byte for byte."""
    srv = fresh_server.start()
    out = tmp_path / "pit"
    gen = subprocess.run(["/usr/bin/python3", str(PIT_GEN), "--out", str(out), "--seed", "11",
                          "--entity-rows", "3000", "--feature-rows", "900"],
                         capture_output=True, text=True, timeout=120)
    if gen.returncode == 3:
        pytest.skip(gen.stderr.strip())
    assert gen.returncode == 0, gen.stderr
    spec = json.loads((out / "spec.json").read_text())
    for e in spec["entities"]:
        expect(srv.request("POST", "/api/v1/entities", e), 201)
    for v in spec["views"]:
        expect(srv.request("POST", "/api/v1/feature-views", v), 201)
    for i, step in enumerate(spec["ingests"]):
        data = (out / step["file"]).read_text()
        if i % 2:  # half of the batches as JSON lines, typed as the view declares
            data, ctype = csv_to_jsonl(data), "application/x-ndjson"
        else:
            ctype = "text/csv"
        expect(ingest(srv, step["view"], data, ctype=ctype), 201)
    refs = (out / "refs.txt").read_text().split()
    expected = (out / "expected.csv").read_bytes()
    st, body, _ = historical_csv(srv, (out / "entities.csv").read_bytes(), refs)
    assert st == 200, body[:500]
    assert_same_csv(body, expected)
    # and as JSON: the same values, typed
    res = expect(srv.request("POST", "/api/v1/features/historical",
                             {"entities_csv": (out / "entities.csv").read_text(),
                              "features": refs}), 200)
    exp_rows = list(csv.reader(io.StringIO(expected.decode())))
    assert res["columns"] == exp_rows[0] and len(res["rows"]) == len(exp_rows) - 1
    for got, want in zip(res["rows"], exp_rows[1:]):
        for col, text in zip(exp_rows[0], want):
            v = got[col]
            assert ("" if v is None else (str(v).lower() if isinstance(v, bool) else
                                          repr(v) if isinstance(v, float) else str(v))) == text


def csv_to_jsonl(text):
    rows = list(csv.DictReader(io.StringIO(text)))
    return "".join(json.dumps({k: (None if v == "" else v) for k, v in r.items()}) + "\n"
                   for r in rows)


def assert_same_csv(got, want):
    if got == want:
        return
    g, w = got.decode().splitlines(), want.decode().splitlines()
    for i, (a, b) in enumerate(zip(g, w)):
        assert a == b, f"line {i + 1} differs:\n plinth: {a}\n pandas: {b}"
    assert len(g) == len(w), f"plinth wrote {len(g)} lines, pandas {len(w)}"


# --- datasets and lineage ----------------------------------------------------------------------

def test_saved_training_set_becomes_a_dataset_with_lineage_to_run_and_model(server):
    view = make_view(server)
    expect(ingest(server, view, GOOD_CSV), 201)
    name = uniq("train")
    rows = "zone_id,event_timestamp,label\n1,2024-05-01T11:30:00Z,1\n2,2024-05-01T11:00:00Z,0\n"
    refs = [f"{view}:bookings", f"{view}:temperature"]
    st, body, hdrs = historical_csv(server, rows, refs, save_as=name, description="zone demand")
    assert st == 200 and hdrs["x-dataset"] == f"{name}@1"
    assert hdrs["x-dataset-sha256"] == sha256(body)
    # the same bytes again: no new version; other rows: version 2
    st, _, hdrs = historical_csv(server, rows, refs, save_as=name)
    assert hdrs["x-dataset"] == f"{name}@1"
    rows2 = rows + "1,2024-05-01T10:30:00Z,1\n"
    res = expect(server.request("POST", "/api/v1/features/historical",
                                {"entities_csv": rows2, "features": refs, "save_as": name}), 200)
    assert res["dataset"]["version"] == 2 and res["dataset"]["rows"] == 3

    ds = expect(server.request("GET", f"/api/v1/datasets/{name}"), 200)
    assert ds["version"] == 2 and [v["version"] for v in ds["versions"]] == [1, 2]
    v1 = ds["versions"][0]
    assert v1["sha256"] == sha256(body) and v1["rows"] == 2 and v1["size"] == len(body)
    assert v1["feature_refs"] == refs and v1["feature_views"] == [{"name": view, "version": 1}]
    assert v1["columns"] == ["zone_id", "event_timestamp", "label", "bookings", "temperature"]
    assert v1["description"] == "zone demand" and v1["created_by"] == "admin"
    st, csv1, hdrs = server.request("GET", f"/api/v1/datasets/{name}/versions/1/csv", raw=True)
    assert st == 200 and csv1 == body and hdrs["content-type"] == "text/csv"
    st, latest, _ = server.request("GET", f"/api/v1/datasets/{name}/csv", raw=True)
    assert st == 200 and sha256(latest) == ds["sha256"]
    items, _ = list_all(server, "/api/v1/datasets")
    assert [d["version"] for d in items if d["name"] == name] == [2]
    assert_error(server.request("GET", f"/api/v1/datasets/{name}/versions/3"), 404, "not_found")
    assert_error(server.request("GET", f"/api/v1/datasets/{uniq('none')}"), 404, "not_found")
    events = [e for e in audit_events(server) if e["action"] == "dataset.create"
              and e["resource"].startswith(f"datasets/{name}/")]
    assert len(events) == 2

    # a run records dataset version 1 as its input; its model version's lineage then reads
    # feature view version -> dataset -> run -> model version
    exp = make_experiment(server)
    run = make_run(server, exp["id"])
    inp = expect(server.request("POST", f"/api/v1/runs/{run['id']}/inputs",
                                {"dataset": name, "version": 1}), 201)
    assert inp == {"kind": "dataset", "name": name, "version": 1, "digest": sha256(body),
                   "created_by": "admin", "created_ms": inp["created_ms"]}
    expect(server.request("POST", f"/api/v1/runs/{run['id']}/inputs",
                          {"dataset": name, "version": 1}), 201)  # idempotent
    listed = expect(server.request("GET", f"/api/v1/runs/{run['id']}/inputs"), 200)["items"]
    assert len(listed) == 1
    got_run = expect(server.request("GET", f"/api/v1/runs/{run['id']}"), 200)
    assert got_run["data_version"] == f"dataset:{name}@1"
    expect(server.request("PUT", f"/api/v1/runs/{run['id']}/artifacts/model.bin", b"model-bytes"),
           201)
    model = uniq("demand")
    mv = expect(server.request("POST", f"/api/v1/models/{model}/versions",
                               {"run_id": run["id"], "artifact_path": "model.bin",
                                "flavor": "custom"}), 201)
    assert mv["data_version"] == f"dataset:{name}@1"
    lin = expect(server.request("GET", f"/api/v1/models/{model}/versions/1/lineage"), 200)
    assert lin["run"]["id"] == run["id"]
    assert [(d["name"], d["version"], d["sha256"]) for d in lin["datasets"]] == \
        [(name, 1, sha256(body))]
    assert lin["feature_views"] == [{"name": view, "version": 1}]
    dl = expect(server.request("GET", f"/api/v1/datasets/{name}/lineage?version=1"), 200)
    assert dl["feature_views"] == [{"name": view, "version": 1}]
    assert [r["id"] for r in dl["runs"]] == [run["id"]]
    assert [(m["model"], m["version"]) for m in dl["model_versions"]] == [(model, 1)]
    dl2 = expect(server.request("GET", f"/api/v1/datasets/{name}/lineage"), 200)
    assert dl2["dataset"]["version"] == 2 and dl2["runs"] == []

    assert_error(server.request("POST", f"/api/v1/runs/{run['id']}/inputs",
                                {"dataset": uniq("none")}), 404, "not_found")
    assert_error(server.request("POST", "/api/v1/runs/0123/inputs", {"dataset": name}), 404,
                 "not_found")
    assert_error(server.request("POST", f"/api/v1/runs/{run['id']}/inputs",
                                {"dataset": name, "versoin": 1}), 400, "invalid_argument",
                 mentions="versoin")
    assert audit_verify(server)["ok"] is True


# --- crash safety ------------------------------------------------------------------------------

def big_batch(n, marker):
    out = io.StringIO()
    out.write("zone_id,event_timestamp,bookings,temperature\n")
    for i in range(n):
        out.write(f"{i},{1714560000 + (i % 97)},{marker},{(i % 500) / 10}\n")
    return out.getvalue().encode()


def markers(srv, view, n):
    """The bookings value each of zone_id 0..n-1 sees at a time after every batch."""
    rows = "zone_id,event_timestamp\n" + "".join(f"{i},1714570000\n" for i in range(n))
    st, body, _ = historical_csv(srv, rows, [f"{view}:bookings"])
    assert st == 200, body[:300]
    return [line.rsplit(",", 1)[1] for line in body.decode().splitlines()[1:]]


def test_kill_9_during_a_large_ingest_leaves_the_batch_whole_or_absent(fresh_server):
    srv = fresh_server.start()
    ent = make_entity(srv)
    view = uniq("zd")
    expect(srv.request("POST", "/api/v1/feature-views", view_body(view, ent["name"], ttl_seconds=0)),
           201)
    n = 300_000
    expect(ingest(srv, view, big_batch(n, 1)), 201)
    t0 = time.time()
    expect(ingest(srv, view, big_batch(n, 2)), 201)
    took = time.time() - t0
    assert set(markers(srv, view, n)) == {"2"}
    outcomes = []
    # kill moments from just after the body is sent to past the time an ingest takes, so that
    # some land inside parsing, sorting, writing or committing and some after
    for attempt, (marker, delay) in enumerate(zip((3, 4, 5, 6), (0.0, 0.3, 0.6, 1.2))):
        body = big_batch(n, marker)
        sock = connect(srv.port, timeout=30)
        try:
            sock.sendall(request_head("POST", f"/api/v1/feature-views/{view}/ingest",
                                      token=srv.admin_token,
                                      headers={"Content-Type": "text/csv"},
                                      content_length=len(body)))
            sock.sendall(body)
            time.sleep(delay * took)
            assert srv.stop(signal.SIGKILL) == -signal.SIGKILL
        finally:
            sock.close()
        srv.start()
        seen = set(markers(srv, view, n))
        assert len(seen) == 1, f"attempt {attempt}: a partial batch is visible: {sorted(seen)}"
        present = seen == {str(marker)}
        ingests = list_all(srv, f"/api/v1/feature-views/{view}/ingests")[0]
        assert (ingests[0]["stats"]["features"]["bookings"]["min"] == marker) == present, \
            f"attempt {attempt}: the ingest record and the data disagree"
        outcomes.append(present)
        # the server takes ingests after the crash
    expect(ingest(srv, view, big_batch(10, 9)), 201)
    assert audit_verify(srv)["ok"] is True
    print("kill -9 outcomes (batch present):", outcomes)


# --- the CLI -----------------------------------------------------------------------------------

def run_cli(srv, *args, token=None, timeout=60):
    return subprocess.run([plinth_binary(), "--url", srv.url, "--token", token or srv.admin_token,
                           *map(str, args)], capture_output=True, text=True, timeout=timeout)


SPEC = """\
entities:
  - name: {ent}
    join_keys: [{{name: zone_id, type: int}}]
feature_views:
  - name: {view}
    entities: [{ent}]
    ttl: 2h
    owner: ops
    features:
      - {{name: bookings, type: int, rules: {{not_null: true, min: 0}}}}
      - {{name: temperature, type: float}}
{extra}"""


def test_cli_apply_ingest_historical_and_datasets(server, tmp_path):
    ent, view, ds = uniq("zone"), uniq("zd"), uniq("train")
    spec = tmp_path / "features.yaml"
    spec.write_text(SPEC.format(ent=ent, view=view, extra=""))
    dry = run_cli(server, "features", "apply", spec, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"entity {ent}: would be created" in dry.stdout and "nothing was written" in dry.stdout
    assert_error(server.request("GET", f"/api/v1/entities/{ent}"), 404)
    first = run_cli(server, "features", "apply", spec)
    assert first.returncode == 0, first.stderr
    assert first.stdout == (f"entity {ent}: created\n"
                            f"feature view {view}: created (version 1)\n")
    again = run_cli(server, "features", "apply", spec)
    assert again.stdout == f"entity {ent}: unchanged\nfeature view {view}: unchanged\n"
    # a new feature and a new TTL: version 2 with the changed fields
    spec.write_text(SPEC.format(ent=ent, view=view, extra="      - {name: rain, type: float}\n")
                    .replace("ttl: 2h", "ttl: 3h"))
    upd = run_cli(server, "features", "apply", spec)
    assert upd.returncode == 0, upd.stderr
    assert f"feature view {view}: updated to version 2\n" in upd.stdout
    assert "    features.rain: added" in upd.stdout
    assert "    ttl_seconds: changed 7200 -> 10800" in upd.stdout
    # a breaking change is refused, in one line, and nothing is written; --force accepts it
    spec.write_text(SPEC.format(ent=ent, view=view, extra="").replace("type: float", "type: int"))
    refused = run_cli(server, "features", "apply", spec)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("plinth: conflict:") and refused.stderr.count("\n") == 1
    assert "features.temperature.type" in refused.stderr
    assert expect(server.request("GET", f"/api/v1/feature-views/{view}"), 200)["version"] == 2
    forced = run_cli(server, "--json", "features", "apply", spec, "--force")
    assert forced.returncode == 0, forced.stderr
    res = json.loads(forced.stdout)
    assert [(r["kind"], r["action"], r["version"]) for r in res] == \
        [("entity", "unchanged", None), ("feature view", "new_version", 3)]
    bad_spec = tmp_path / "bad.yaml"
    bad_spec.write_text("entities:\n  - name: x\n    join_keys: [a\n")
    bad = run_cli(server, "features", "apply", bad_spec)
    assert bad.returncode == 2 and bad.stderr.startswith(f"plinth: {bad_spec}:")

    # ingest in several batches (tiny --batch-mb), with progress on stderr
    data = tmp_path / "history.csv"
    data.write_text("zone_id,event_timestamp,bookings,temperature\n" + "".join(
        f"{z},2024-05-01T{h:02d}:00:00Z,{z * 10 + h},{h}\n" for z in range(20) for h in range(24)))
    ing = run_cli(server, "features", "ingest", view, data, "--batch-mb", "0.004")
    assert ing.returncode == 0, ing.stderr
    assert "ingested 480 rows" in ing.stdout and "rows/s" in ing.stderr
    batches = list_all(server, f"/api/v1/feature-views/{view}/ingests")[0]
    assert len(batches) > 1 and sum(b["rows"] for b in batches) == 480
    listed = run_cli(server, "features", "ingests", view)
    assert listed.returncode == 0 and listed.stdout.count("\n") == len(batches) + 1
    # a rejected file prints its report with the file's row numbers and exits 1
    rejected = tmp_path / "bad.csv"
    rejected.write_text("zone_id,event_timestamp,bookings\n1,2024-05-01,3\n2,2024-05-01,-4\n")
    r = run_cli(server, "features", "ingest", view, rejected)
    assert r.returncode == 1 and r.stderr.startswith("plinth: invalid_argument:")
    assert "2    bookings  min   -4" in r.stdout
    r = run_cli(server, "features", "ingest", view, tmp_path / "missing.csv")
    assert r.returncode == 2
    (tmp_path / "x.txt").write_text("a")
    assert run_cli(server, "features", "ingest", view, tmp_path / "x.txt").returncode == 2

    # a training set saved as a dataset, recorded by a run
    rows = tmp_path / "rows.csv"
    rows.write_text("zone_id,event_timestamp,label\n3,2024-05-01T05:30:00Z,1\n4,2024-05-01T23:59:00Z,0\n")
    out = tmp_path / "train.csv"
    h = run_cli(server, "features", "historical", "--entities", rows,
                "--features", f"{view}:bookings,{view}:temperature", "--output", out,
                "--save-as", ds)
    assert h.returncode == 0, h.stderr
    assert out.read_text() == ("zone_id,event_timestamp,label,bookings,temperature\n"
                               "3,2024-05-01T05:30:00Z,1,35,5\n"
                               "4,2024-05-01T23:59:00Z,0,63,23\n")
    assert f"saved as dataset {ds}@1" in h.stdout and "rows joined" in h.stderr
    shown = run_cli(server, "--json", "datasets", "show", ds)
    assert json.loads(shown.stdout)["sha256"] == sha256(out.read_bytes())
    dl = run_cli(server, "datasets", "download", f"{ds}@1", "--output", tmp_path / "copy.csv")
    assert dl.returncode == 0 and (tmp_path / "copy.csv").read_bytes() == out.read_bytes()
    assert ds in run_cli(server, "datasets", "list").stdout
    exp = make_experiment(server)
    run = make_run(server, exp["id"])
    li = run_cli(server, "runs", "log-input", run["id"], "--dataset", f"{ds}@1")
    assert li.returncode == 0, li.stderr
    lin = run_cli(server, "datasets", "lineage", ds)
    assert lin.returncode == 0 and f"feature views: {view}@3" in lin.stdout
    assert run["id"] in lin.stdout
    shown = run_cli(server, "features", "show", view)
    assert shown.returncode == 0 and "versions:" in shown.stdout and "temperature" in shown.stdout
    assert shown.stdout.count(f"{view}") == 1 and "\n3 " in shown.stdout.split("versions:")[1]
    nope = run_cli(server, "features", "historical", "--entities", rows,
                   "--features", f"{view}:nope", "--output", out)
    assert nope.returncode == 1 and nope.stderr.startswith("plinth: not_found:")

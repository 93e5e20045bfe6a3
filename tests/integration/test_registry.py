"""The model registry: versions from runs and uploads, approval, aliases with history, lineage."""

import os
import threading
import time

import pytest

from support import (assert_error, assert_live, blob_files, expect, list_all, make_experiment,
                     make_run, make_token, q, sha256, uniq)


@pytest.fixture(scope="module")
def people(server):
    return {
        "sci": make_token(server, "scientist"),
        "appr1": make_token(server, "approver"),
        "appr2": make_token(server, "approver"),
        "viewer": make_token(server, "viewer"),
    }


def _upload(server, data, token="admin"):
    return expect(server.request("POST", "/api/v1/uploads", data, token=token), 201)


def _register(server, model, token="admin", **fields):
    fields.setdefault("flavor", "custom")
    if "run_id" not in fields and "upload_sha256" not in fields:
        fields["upload_sha256"] = _upload(server, b"model-" + os.urandom(16), token=token)["sha256"]
    return server.request("POST", f"/api/v1/models/{model}/versions", fields, token=token)


def _version(server, model, v, token="admin"):
    return expect(server.request("GET", f"/api/v1/models/{model}/versions/{v}", token=token), 200)


def _decide(server, model, v, what, token, comment="ok"):
    return server.request("POST", f"/api/v1/models/{model}/versions/{v}/{what}",
                          {"comment": comment}, token=token)


def _approved_model(server, people, n=1):
    """A model whose versions 1..n are Approved (registered by sci, approved by appr1)."""
    model = uniq("m")
    for v in range(1, n + 1):
        assert expect(_register(server, model, token=people["sci"].secret), 201)["version"] == v
        expect(_decide(server, model, v, "approve", people["appr1"].secret), 200)
    return model


def _set_alias(server, model, alias, version, token):
    return server.request("PUT", f"/api/v1/models/{model}/aliases/{alias}", {"version": version},
                          token=token)


# --- models ------------------------------------------------------------------------------------

def test_create_get_and_list_models(server, people):
    name = uniq("m")
    body = expect(server.request("POST", "/api/v1/models",
                                 {"name": name, "description": "demand forecast",
                                  "tags": {"team": "ops"}}, token=people["sci"].secret), 201)
    assert body["name"] == name and body["description"] == "demand forecast"
    assert body["tags"] == {"team": "ops"} and body["created_by"] == people["sci"].name
    assert isinstance(body["created_ms"], int)
    assert body["latest_version"] is None and body["aliases"] == {}
    assert expect(server.request("GET", f"/api/v1/models/{name}"), 200) == body
    items, _ = list_all(server, "/api/v1/models", limit=1000)
    assert [m["name"] for m in items].count(name) == 1


def test_duplicate_model_is_409(server):
    name = uniq("m")
    expect(server.request("POST", "/api/v1/models", {"name": name}), 201)
    assert_error(server.request("POST", "/api/v1/models", {"name": name}), 409, "already_exists")


@pytest.mark.parametrize("name", ["", "x" * 10_000, "../x", "with space", "-x", "a/b"])
def test_bad_model_name_is_400(server, name):
    assert_error(server.request("POST", "/api/v1/models", {"name": name}), 400,
                 "invalid_argument")
    assert_live(server)


def test_viewer_cannot_create_models_or_register_versions(server, people):
    v = people["viewer"].secret
    assert_error(server.request("POST", "/api/v1/models", {"name": uniq("m")}, token=v), 403,
                 "permission_denied")
    sha = _upload(server, b"viewer-" + os.urandom(8))["sha256"]
    assert_error(server.request("POST", f"/api/v1/models/{uniq('m')}/versions",
                                {"upload_sha256": sha, "flavor": "custom"}, token=v), 403,
                 "permission_denied")


def test_unknown_model_and_version_are_404(server, people):
    assert_error(server.request("GET", f"/api/v1/models/{uniq('nope')}"), 404, "not_found")
    assert_error(server.request("GET", f"/api/v1/models/{uniq('nope')}/versions/1"), 404,
                 "not_found")
    model = _approved_model(server, people)
    assert_error(server.request("GET", f"/api/v1/models/{model}/versions/99"), 404, "not_found")
    assert_error(_decide(server, model, 99, "approve", people["appr2"].secret), 404, "not_found")
    assert_error(server.request("GET", f"/api/v1/models/{model}/aliases/nothing"), 404,
                 "not_found")


# --- registering -------------------------------------------------------------------------------

def test_register_from_a_run_artifact_records_lineage(server, people):
    sci = people["sci"].secret
    exp = make_experiment(server, token=sci)
    run = make_run(server, exp["id"], token=sci, data_version="sha256:feedface")
    expect(server.request("POST", f"/api/v1/runs/{run['id']}/params",
                          {"params": {"max_depth": "6", "eta": "0.3"}}, token=sci), 200)
    data = b'{"learner": "gbtree"}' + os.urandom(32)
    expect(server.request("PUT", f"/api/v1/runs/{run['id']}/artifacts/model/model.json", data,
                          token=sci), 201)
    model = uniq("m")
    signature = {"inputs": [{"name": "temp", "type": "float"}, {"name": "dow", "type": "int"},
                            {"name": "holiday", "type": "bool"}, {"name": "city", "type": "string"},
                            {"name": "x", "type": "double"}]}
    t0 = int(time.time() * 1000)
    v = expect(_register(server, model, token=sci, run_id=run["id"],
                         artifact_path="model/model.json", flavor="custom",
                         metrics={"mape": 0.11}, params={"max_depth": "6"},
                         data_version="sha256:feedface", description="first",
                         signature=signature), 201)
    assert v["model"] == model and v["version"] == 1
    assert v["status"] == "PendingManualApproval"
    assert v["flavor"] == "custom" and v["description"] == "first"
    assert v["artifact_sha256"] == sha256(data) and v["artifact_size"] == len(data)
    assert v["metrics"] == {"mape": 0.11} and v["params"] == {"max_depth": "6"}
    assert v["data_version"] == "sha256:feedface" and v["signature"] == signature
    assert v["created_by"] == people["sci"].name and abs(v["created_ms"] - t0) < 60_000
    assert v["decided_by"] is None and v["decided_ms"] is None
    lin = v["lineage"]
    assert lin["run_id"] == run["id"] and lin["experiment_id"] == exp["id"]
    assert lin["artifact_path"] == "model/model.json"
    assert lin["run_params"] == {"max_depth": "6", "eta": "0.3"}
    assert lin["artifact_sha256"] == sha256(data)
    assert lin["data_version"] == "sha256:feedface"
    assert _version(server, model, 1, token=people["viewer"].secret) == v
    st, got, _ = server.request("GET", f"/api/v1/models/{model}/versions/1/artifact", raw=True)
    assert (st, got) == (200, data)
    m = expect(server.request("GET", f"/api/v1/models/{model}"), 200)
    assert m["latest_version"] == 1 and m["created_by"] == people["sci"].name


def test_register_from_an_upload(server, people):
    sci = people["sci"].secret
    data = os.urandom(3000)
    up = _upload(server, data, token=sci)
    assert up == {"sha256": sha256(data), "size": len(data)}
    model = uniq("m")
    v = expect(_register(server, model, token=sci, upload_sha256=up["sha256"], flavor="custom"),
               201)
    assert v["version"] == 1 and v["status"] == "PendingManualApproval"
    assert v["artifact_sha256"] == up["sha256"] and v["artifact_size"] == len(data)
    lin = v["lineage"]
    assert lin["run_id"] is None and lin["experiment_id"] is None and lin["run_params"] is None
    assert lin["artifact_sha256"] == up["sha256"]
    st, got, _ = server.request("GET", f"/api/v1/models/{model}/versions/1/artifact", raw=True)
    assert (st, got) == (200, data)


def test_versions_are_numbered_1_2_3_per_model(server, people):
    a, b = uniq("m"), uniq("m")
    got = [expect(_register(server, a), 201)["version"] for _ in range(3)]
    assert got == [1, 2, 3]
    assert expect(_register(server, b), 201)["version"] == 1
    listed = expect(server.request("GET", f"/api/v1/models/{a}/versions"), 200)["items"]
    assert [v["version"] for v in listed] == [1, 2, 3]
    assert all(v["status"] == "PendingManualApproval" for v in listed)
    assert expect(server.request("GET", f"/api/v1/models/{a}"), 200)["latest_version"] == 3


def test_concurrent_registrations_get_distinct_consecutive_numbers(server):
    model = uniq("m")
    expect(server.request("POST", "/api/v1/models", {"name": model}), 201)
    shas = [_upload(server, os.urandom(64))["sha256"] for _ in range(8)]
    results = []

    def reg(sha):
        results.append(_register(server, model, upload_sha256=sha))

    threads = [threading.Thread(target=reg, args=(s,)) for s in shas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r[0] for r in results] == [201] * 8, [r[:2] for r in results]
    assert sorted(r[1]["version"] for r in results) == list(range(1, 9))


@pytest.mark.parametrize("fields", [
    {"flavor": None},                                    # flavor missing
    {"both": True},                                      # run artifact and upload
    {"neither": True},
    {"signature": {"inputs": [{"name": "t", "type": "complex128"}]}},
    {"signature": "temp:float"},
    {"metrics": {"mape": "low"}},
    {"flavor": 7},
])
def test_bad_registration_is_400(server, people, fields):
    sci = people["sci"].secret
    exp = make_experiment(server, token=sci)
    run = make_run(server, exp["id"], token=sci)
    expect(server.request("PUT", f"/api/v1/runs/{run['id']}/artifacts/m.bin", b"m", token=sci),
           201)
    sha = _upload(server, b"bad-reg-" + os.urandom(8), token=sci)["sha256"]
    body = {"flavor": "custom", "upload_sha256": sha}
    fields = dict(fields)
    if fields.pop("both", False):
        body.update(run_id=run["id"], artifact_path="m.bin")
    if fields.pop("neither", False):
        body.pop("upload_sha256")
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}
    model = uniq("m")
    assert_error(server.request("POST", f"/api/v1/models/{model}/versions", body, token=sci),
                 400, "invalid_argument")
    st, _, _ = server.request("GET", f"/api/v1/models/{model}/versions/1")
    assert st == 404, "a refused registration left a version behind"


def test_register_from_unknown_run_or_artifact_is_404(server, people):
    sci = people["sci"].secret
    exp = make_experiment(server, token=sci)
    run = make_run(server, exp["id"], token=sci)
    assert_error(_register(server, uniq("m"), token=sci, run_id="0" * 32,
                           artifact_path="m.bin"), 404, "not_found")
    assert_error(_register(server, uniq("m"), token=sci, run_id=run["id"],
                           artifact_path="not/there.bin"), 404, "not_found")


# --- approval ----------------------------------------------------------------------------------

def test_approve_by_another_approver_records_the_decision(server, people):
    model = uniq("m")
    expect(_register(server, model, token=people["sci"].secret), 201)
    t0 = int(time.time() * 1000)
    v = expect(_decide(server, model, 1, "approve", people["appr1"].secret, "looks good"), 200)
    assert v["status"] == "Approved" and v["decided_by"] == people["appr1"].name
    assert v["decision_comment"] == "looks good" and abs(v["decided_ms"] - t0) < 60_000
    assert _version(server, model, 1)["status"] == "Approved"


def test_approve_and_reject_need_the_approver_role(server, people):
    model = uniq("m")
    expect(_register(server, model, token=people["sci"].secret), 201)
    for who in ("sci", "viewer"):
        for what in ("approve", "reject"):
            assert_error(_decide(server, model, 1, what, people[who].secret), 403,
                         "permission_denied")
    assert _version(server, model, 1)["status"] == "PendingManualApproval"


@pytest.mark.parametrize("what", ["approve", "reject"])
def test_the_registering_token_cannot_decide_its_own_version(server, people, what):
    model = uniq("m")
    expect(_register(server, model, token=people["appr1"].secret), 201)
    assert_error(_decide(server, model, 1, what, people["appr1"].secret), 403,
                 "permission_denied")
    assert _version(server, model, 1)["status"] == "PendingManualApproval"
    # an admin is bound by the same rule
    admin = make_token(server, "admin")
    expect(_register(server, model, token=admin.secret), 201)
    assert_error(_decide(server, model, 2, what, admin.secret), 403, "permission_denied")
    # someone else may decide
    expect(_decide(server, model, 1, what, people["appr2"].secret), 200)


def test_approved_is_final(server, people):
    model = _approved_model(server, people)
    assert_error(_decide(server, model, 1, "approve", people["appr2"].secret), 409, "conflict")
    assert_error(_decide(server, model, 1, "reject", people["appr2"].secret), 409, "conflict")
    assert _version(server, model, 1)["status"] == "Approved"


def test_rejected_is_final(server, people):
    model = uniq("m")
    expect(_register(server, model, token=people["sci"].secret), 201)
    v = expect(_decide(server, model, 1, "reject", people["appr1"].secret, "overfit"), 200)
    assert v["status"] == "Rejected" and v["decision_comment"] == "overfit"
    assert_error(_decide(server, model, 1, "approve", people["appr2"].secret), 409, "conflict")
    assert_error(_decide(server, model, 1, "reject", people["appr2"].secret), 409, "conflict")
    assert _version(server, model, 1)["status"] == "Rejected"


def test_approve_without_a_comment(server, people):
    model = uniq("m")
    expect(_register(server, model, token=people["sci"].secret), 201)
    v = expect(server.request("POST", f"/api/v1/models/{model}/versions/1/approve", {},
                              token=people["appr1"].secret), 200)
    assert v["status"] == "Approved"


# --- aliases -----------------------------------------------------------------------------------

def test_alias_accepts_only_approved_versions(server, people):
    appr = people["appr2"].secret
    model = _approved_model(server, people, n=1)
    expect(_register(server, model, token=people["sci"].secret), 201)          # 2: pending
    expect(_register(server, model, token=people["sci"].secret), 201)          # 3: rejected
    expect(_decide(server, model, 3, "reject", people["appr1"].secret), 200)
    assert_error(_set_alias(server, model, "champion", 2, appr), 422, "failed_precondition")
    assert_error(_set_alias(server, model, "champion", 3, appr), 422, "failed_precondition")
    assert_error(server.request("GET", f"/api/v1/models/{model}/aliases/champion"), 404,
                 "not_found")
    t0 = int(time.time() * 1000)
    a = expect(_set_alias(server, model, "champion", 1, appr), 200)
    assert a["model"] == model and a["alias"] == "champion" and a["version"] == 1
    assert a["set_by"] == people["appr2"].name and abs(a["set_ms"] - t0) < 60_000
    assert expect(server.request("GET", f"/api/v1/models/{model}/aliases/champion",
                                 token=people["viewer"].secret), 200) == a
    assert expect(server.request("GET", f"/api/v1/models/{model}"), 200)["aliases"] == \
        {"champion": 1}


def test_setting_an_alias_needs_the_approver_role(server, people):
    model = _approved_model(server, people)
    for who in ("sci", "viewer"):
        assert_error(_set_alias(server, model, "champion", 1, people[who].secret), 403,
                     "permission_denied")
    assert_error(server.request("GET", f"/api/v1/models/{model}/aliases/champion"), 404,
                 "not_found")


@pytest.mark.parametrize("alias", ["bad%20alias", "-x", ".x", "x" * 200])
def test_bad_alias_name_is_400(server, people, alias):
    model = _approved_model(server, people)
    assert_error(_set_alias(server, model, alias, 1, people["appr2"].secret), 400,
                 "invalid_argument")


@pytest.mark.parametrize("version", ["1", 1.5, None, [1]])
def test_alias_with_a_bad_version_value_is_400(server, people, version):
    model = _approved_model(server, people)
    assert_error(_set_alias(server, model, "champion", version, people["appr2"].secret), 400,
                 "invalid_argument")


def test_alias_moves_are_kept_and_the_past_resolves(server, people):
    appr = people["appr2"].secret
    model = _approved_model(server, people, n=2)
    base = f"/api/v1/models/{model}/aliases/champion"
    t1 = expect(_set_alias(server, model, "champion", 1, appr), 200)["set_ms"]
    time.sleep(0.03)
    t2 = expect(_set_alias(server, model, "champion", 2, appr), 200)["set_ms"]
    time.sleep(0.03)
    t3 = expect(_set_alias(server, model, "champion", 1, appr), 200)["set_ms"]  # rollback
    assert t1 < t2 < t3
    assert expect(server.request("GET", base), 200)["version"] == 1
    assert expect(server.request("GET", f"{base}?at_ms={(t1 + t2) // 2}"), 200)["version"] == 1
    assert expect(server.request("GET", f"{base}?at_ms={(t2 + t3) // 2}"), 200)["version"] == 2
    assert expect(server.request("GET", f"{base}?at_ms={t2}"), 200)["version"] == 2
    assert expect(server.request("GET", f"{base}?at_ms={t3 + 60_000}"), 200)["version"] == 1
    assert_error(server.request("GET", f"{base}?at_ms={t1 - 1}"), 404, "not_found")
    hist = expect(server.request("GET", f"{base}/history"), 200)["items"]
    assert [h["version"] for h in hist] == [1, 2, 1]
    assert [h["set_ms"] for h in hist] == [t1, t2, t3]
    assert all(h["set_by"] == people["appr2"].name for h in hist)


def test_alias_at_ms_must_be_an_integer(server, people):
    model = _approved_model(server, people)
    expect(_set_alias(server, model, "champion", 1, people["appr2"].secret), 200)
    assert_error(server.request("GET", f"/api/v1/models/{model}/aliases/champion?at_ms=noon"),
                 400, "invalid_argument")


def test_aliases_of_different_names_are_independent(server, people):
    appr = people["appr2"].secret
    model = _approved_model(server, people, n=2)
    expect(_set_alias(server, model, "champion", 2, appr), 200)
    expect(_set_alias(server, model, "challenger", 1, appr), 200)
    assert expect(server.request("GET", f"/api/v1/models/{model}"), 200)["aliases"] == \
        {"champion": 2, "challenger": 1}


# --- integrity ---------------------------------------------------------------------------------

def test_corrupted_version_artifact_is_500_and_never_served(server, people):
    data = b"version-blob " + os.urandom(4096)
    up = _upload(server, data)
    model = uniq("m")
    expect(_register(server, model, upload_sha256=up["sha256"]), 201)
    files = blob_files(server.data_dir, data)
    assert files, "cannot find the uploaded blob under the data dir"
    bad = bytes(b ^ 0xFF for b in data)
    for f in files:
        os.chmod(f, 0o644)
        f.write_bytes(bad)
    st, body, _ = server.request("GET", f"/api/v1/models/{model}/versions/1/artifact", raw=True)
    assert st == 500, f"corrupted model file answered {st}"
    assert bad[:64] not in body
    assert_error(server.request("GET", f"/api/v1/models/{model}/versions/1/artifact"), 500,
                 "internal")
    assert_live(server)


def test_model_names_in_the_path_are_validated(server):
    assert_error(server.request("POST", f"/api/v1/models/{q('bad name')}/versions",
                                {"upload_sha256": "0" * 64, "flavor": "custom"}), 400,
                 "invalid_argument")

"""Bearer tokens, the four roles and token management."""

import json

import pytest

from support import (HEX32, assert_error, assert_live, expect, list_all, make_experiment,
                     make_run, make_token, uniq)


def _assert_401(resp):
    assert_error(resp, 401, "unauthenticated")
    www = resp[2].get("www-authenticate", "")
    assert www.startswith("Bearer"), f"401 without WWW-Authenticate: Bearer (got {www!r})"


@pytest.mark.parametrize("path", ["/api/v1/whoami", "/api/v1/experiments", "/api/v1/audit",
                                  "/api/v1/tokens", "/api/v1/models"])
def test_request_without_a_token_is_401_with_www_authenticate(server, path):
    _assert_401(server.request("GET", path, token=None))


@pytest.mark.parametrize("authorization", [
    "Bearer plt_" + "0" * 64,
    "Bearer not-a-token",
    "Bearer ",
    "Basic YWRtaW46YWRtaW4=",
    "bearer",
])
def test_request_with_a_bad_token_is_401(server, authorization):
    _assert_401(server.request("GET", "/api/v1/whoami", token=None,
                               headers={"Authorization": authorization}))
    assert_live(server)


def test_state_changes_without_a_token_are_refused_and_write_nothing(server):
    name = uniq("anon")
    _assert_401(server.request("POST", "/api/v1/experiments", {"name": name}, token=None))
    body = expect(server.request("GET", f"/api/v1/experiments?name={name}"), 200)
    assert body["items"] == []


def test_a_token_differing_in_one_character_is_refused(server):
    tok = server.admin_token
    flipped = tok[:-1] + ("0" if tok[-1] != "0" else "1")
    _assert_401(server.request("GET", "/api/v1/whoami", token=flipped))


def test_whoami_names_the_token_and_its_role(server, roles):
    for role, tok in roles.items():
        body = expect(server.request("GET", "/api/v1/whoami", token=tok.secret), 200)
        assert {k: body.get(k) for k in ("token_id", "name", "role")} == \
            {"token_id": tok.id, "name": tok.name, "role": role}, body


def test_viewer_reads_but_cannot_create_an_experiment(server, roles):
    viewer = roles["viewer"].secret
    expect(server.request("GET", "/api/v1/experiments", token=viewer), 200)
    name = uniq("viewer-exp")
    assert_error(server.request("POST", "/api/v1/experiments", {"name": name}, token=viewer),
                 403, "permission_denied")
    assert expect(server.request("GET", f"/api/v1/experiments?name={name}"), 200)["items"] == []


def test_viewer_cannot_create_runs_or_log(server, roles):
    viewer = roles["viewer"].secret
    exp = make_experiment(server)
    run = make_run(server, exp["id"])
    assert_error(server.request("POST", "/api/v1/runs", {"experiment_id": exp["id"]},
                                token=viewer), 403, "permission_denied")
    assert_error(server.request("POST", f"/api/v1/runs/{run['id']}/metrics",
                                {"metrics": [{"key": "a", "value": 1}]}, token=viewer),
                 403, "permission_denied")
    assert_error(server.request("PUT", f"/api/v1/runs/{run['id']}/artifacts/a.bin", b"x",
                                token=viewer), 403, "permission_denied")
    assert_error(server.request("POST", "/api/v1/uploads", b"x", token=viewer),
                 403, "permission_denied")
    assert expect(server.request("GET", f"/api/v1/runs/{run['id']}"), 200)["metrics"] == {}


def test_scientist_creates_experiments_but_cannot_approve(server, roles):
    sci = roles["scientist"].secret
    exp = make_experiment(server, token=sci)
    run = make_run(server, exp["id"], token=sci)
    expect(server.request("PUT", f"/api/v1/runs/{run['id']}/artifacts/m.bin", b"model",
                          token=sci), 201)
    model = uniq("m")
    expect(server.request("POST", f"/api/v1/models/{model}/versions",
                          {"run_id": run["id"], "artifact_path": "m.bin", "flavor": "custom"},
                          token=roles["admin"].secret), 201)
    assert_error(server.request("POST", f"/api/v1/models/{model}/versions/1/approve",
                                {"comment": "lgtm"}, token=sci), 403, "permission_denied")
    assert_error(server.request("POST", f"/api/v1/models/{model}/versions/1/reject",
                                {"comment": "no"}, token=sci), 403, "permission_denied")
    v = expect(server.request("GET", f"/api/v1/models/{model}/versions/1", token=sci), 200)
    assert v["status"] == "PendingManualApproval"


def test_scientist_cannot_manage_tokens(server, roles):
    sci = roles["scientist"].secret
    assert_error(server.request("POST", "/api/v1/tokens", {"name": uniq("x"), "role": "admin"},
                                token=sci), 403, "permission_denied")


def test_approver_cannot_create_list_or_revoke_tokens(server, roles):
    appr = roles["approver"].secret
    name = uniq("sneaky")
    assert_error(server.request("POST", "/api/v1/tokens", {"name": name, "role": "admin"},
                                token=appr), 403, "permission_denied")
    assert_error(server.request("GET", "/api/v1/tokens", token=appr), 403, "permission_denied")
    assert_error(server.request("DELETE", f"/api/v1/tokens/{roles['viewer'].id}", token=appr),
                 403, "permission_denied")
    names = [t["name"] for t in list_all(server, "/api/v1/tokens", limit=1000)[0]]
    assert name not in names
    expect(server.request("GET", "/api/v1/whoami", token=roles["viewer"].secret), 200)


def test_token_create_returns_the_secret_once_and_it_works(server):
    name = uniq("tok")
    body = expect(server.request("POST", "/api/v1/tokens", {"name": name, "role": "scientist"}),
                  201)
    assert HEX32.match(body["id"]), body
    assert body["name"] == name and body["role"] == "scientist" and body["revoked"] is False
    assert isinstance(body["created_ms"], int) and body["created_ms"] > 1_600_000_000_000
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    who = expect(server.request("GET", "/api/v1/whoami", token=body["token"]), 200)
    assert who["role"] == "scientist" and who["name"] == name


def test_token_list_shows_no_secrets(server):
    tok = make_token(server, "viewer")
    raw_status, raw, _ = server.request("GET", "/api/v1/tokens?limit=1000", raw=True)
    assert raw_status == 200
    text = raw.decode()
    assert tok.secret not in text and server.admin_token not in text
    items, _ = list_all(server, "/api/v1/tokens", limit=1000)
    mine = [t for t in items if t["id"] == tok.id]
    assert len(mine) == 1
    assert set(mine[0]) >= {"id", "name", "role", "created_ms", "revoked"}, mine[0]
    assert mine[0]["name"] == tok.name and mine[0]["role"] == "viewer"
    assert mine[0]["revoked"] is False
    assert all("token" not in t for t in items)
    assert any(t["name"] == "admin" and t["role"] == "admin" for t in items)


def test_revoked_token_is_refused_at_once(server):
    tok = make_token(server, "scientist")
    expect(server.request("GET", "/api/v1/whoami", token=tok.secret), 200)
    st, body, _ = server.request("DELETE", f"/api/v1/tokens/{tok.id}", raw=True)
    assert st == 204 and body == b""
    _assert_401(server.request("GET", "/api/v1/whoami", token=tok.secret))
    _assert_401(server.request("POST", "/api/v1/experiments", {"name": uniq("e")},
                               token=tok.secret))
    items, _ = list_all(server, "/api/v1/tokens", limit=1000)
    assert [t["revoked"] for t in items if t["id"] == tok.id] == [True]


def test_revoking_an_unknown_token_is_404(server):
    assert_error(server.request("DELETE", "/api/v1/tokens/" + "0" * 32), 404, "not_found")


def test_duplicate_token_name_is_409(server):
    tok = make_token(server, "viewer")
    assert_error(server.request("POST", "/api/v1/tokens", {"name": tok.name, "role": "viewer"}),
                 409, "already_exists")


@pytest.mark.parametrize("body", [
    {"name": "ok-name", "role": "superuser"},
    {"name": "ok-name", "role": "Admin"},
    {"name": "ok-name"},
    {"role": "viewer"},
    {"name": "", "role": "viewer"},
    {"name": "bad name", "role": "viewer"},
    {"name": "x" * 10_000, "role": "viewer"},
    {"name": 12, "role": "viewer"},
])
def test_token_create_rejects_bad_fields_with_400(server, body):
    body = dict(body)
    if body.get("name") == "ok-name":
        body["name"] = uniq("ok")
    err = assert_error(server.request("POST", "/api/v1/tokens", body), 400, "invalid_argument")
    assert len(json.dumps(err)) < 5000, "error message echoes a huge value"
    assert_live(server)

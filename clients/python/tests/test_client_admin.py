"""Identity, tokens and the audit log."""

import hashlib
import json
import sqlite3

import pytest

import plinth
from client_helpers import unique
from plinth_server import PlinthServer


def test_whoami_and_from_data_dir(server, admin):
    me = admin.whoami()
    assert me["name"] == "admin" and me["role"] == "admin" and len(me["token_id"]) == 32
    with plinth.Client.from_data_dir(server.data_dir) as same:
        assert same.url == server.url
        assert same.whoami() == me
    assert admin.ready() is True


def test_token_lifecycle(server, admin):
    name = unique("tok")
    created = admin.create_token(name, "viewer")
    assert created["name"] == name and created["role"] == "viewer"
    assert created["revoked"] is False and created["token"]
    listed = {t["id"]: t for t in admin.list_tokens()}
    assert listed[created["id"]]["revoked"] is False
    assert all("token" not in t for t in listed.values()), "a listed token shows its secret"
    with pytest.raises(plinth.AlreadyExistsError):
        admin.create_token(name, "viewer")
    with pytest.raises(plinth.InvalidArgumentError):
        admin.create_token(unique("tok"), "superuser")

    with plinth.Client(server.url, created["token"]) as viewer:
        assert viewer.whoami()["role"] == "viewer"
        with pytest.raises(plinth.PermissionDeniedError):
            viewer.create_experiment(unique("exp"))
        with pytest.raises(plinth.PermissionDeniedError):
            viewer.list_tokens()
        admin.revoke_token(created["id"])
        with pytest.raises(plinth.UnauthenticatedError) as info:
            viewer.whoami()
    assert info.value.status == 401 and info.value.code == "unauthenticated"
    assert {t["id"]: t for t in admin.list_tokens()}[created["id"]]["revoked"] is True
    with pytest.raises(plinth.NotFoundError):
        admin.revoke_token("0" * 32)


def test_scientist_cannot_manage_tokens(scientist):
    with pytest.raises(plinth.PermissionDeniedError) as info:
        scientist.create_token(unique("tok"), "admin")
    assert info.value.status == 403


def _recompute_chain(events):
    """Re-checks the hash chain as docs/api.md defines it; returns the first bad seq or None."""
    prev = "0" * 64
    for expected_seq, event in enumerate(events, start=1):
        canonical = json.dumps({k: event[k] for k in
                                ("action", "actor", "details", "resource", "seq", "time_ms")},
                               sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(f"{prev}\n{canonical}".encode()).hexdigest()
        if event["seq"] != expected_seq or event["prev_hash"] != prev or event["hash"] != digest:
            return event["seq"]
        prev = event["hash"]
    return None


def test_audit_log_pages_and_verifies(server, admin, scientist, experiment):
    run = scientist.create_run(experiment["id"])
    scientist.log_params(run["id"], {"a": 1})
    scientist.finish_run(run["id"])

    events = admin.audit_events()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    actions = {e["action"] for e in events}
    assert {"token.create", "experiment.create", "run.create", "run.params",
            "run.finish"} <= actions
    assert _recompute_chain(events) is None

    with plinth.Client(server.url, server.admin_token, page_size=3) as small:
        assert small.audit_events() == events
        tail = small.audit_events(after_seq=len(events) - 2)
    assert [e["seq"] for e in tail] == [len(events) - 1, len(events)]

    verdict = scientist.verify_audit()  # viewer role suffices
    assert verdict["ok"] is True and verdict["first_bad_seq"] is None
    assert verdict["events"] >= len(events)


def test_verify_reports_an_edited_event(tmp_path):
    """Edits one audit row behind a stopped server's back; both the server's verdict and a
    re-check of the listed events must point at it. Knows the embedded store's table layout
    (audit_events in DATA_DIR/plinth.db) and skips if that changed."""
    srv = PlinthServer(tmp_path / "data")
    srv.start()
    try:
        with plinth.Client(srv.url, srv.admin_token) as client:
            client.create_experiment(unique("exp"))
            client.create_experiment(unique("exp"))
            assert client.verify_audit()["ok"] is True
        srv.stop()
        db = sqlite3.connect(tmp_path / "data" / "plinth.db")
        try:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_events'").fetchone():
                pytest.skip("the embedded store has no audit_events table any more")
            with db:
                db.execute("""UPDATE audit_events SET details = '{"name":"forged"}' WHERE seq = 2""")
        finally:
            db.close()
        srv.start()
        with plinth.Client(srv.url, srv.admin_token) as client:
            verdict = client.verify_audit()
            events = client.audit_events()
        assert verdict["ok"] is False and verdict["first_bad_seq"] == 2 and verdict["message"]
        assert events[1]["details"] == {"name": "forged"}
        assert _recompute_chain(events) == 2
    finally:
        srv.stop()

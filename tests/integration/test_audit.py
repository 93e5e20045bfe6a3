"""The hash-chained audit log: one event per state change, paging, verification, tampering."""

import re
import sqlite3
import time

import pytest

from support import (GENESIS, HEX64, PlinthServer, audit_events, audit_verify,
                     cli, expect, find_audit_table, list_all, make_experiment, make_run,
                     make_token, recheck_chain, uniq)


def _last_seq(srv):
    v = audit_verify(srv)
    return v["events"]


def test_every_state_change_appends_one_event_with_its_action_and_actor(server):
    admin = make_token(server, "admin")
    sci = make_token(server, "scientist")
    appr = make_token(server, "approver")

    def step(action, actor, fn):
        before = audit_events(server)
        result = fn()
        after = audit_events(server)
        new = after[len(before):]
        assert after[:len(before)] == before, f"{action}: earlier events changed"
        assert len(new) == 1, f"{action}: expected one new audit event, got {new}"
        ev = new[0]
        assert ev["action"] == action, f"expected action {action}, got {ev}"
        assert ev["actor"] == actor, f"{action}: actor should be the token's name: {ev}"
        assert ev["seq"] == (before[-1]["seq"] + 1 if before else 1)
        assert isinstance(ev["time_ms"], int) and abs(ev["time_ms"] - time.time() * 1000) < 60_000
        assert isinstance(ev["resource"], str) and ev["resource"]
        assert isinstance(ev["details"], dict)
        return result

    a = admin.secret
    tok = step("token.create", admin.name, lambda: expect(server.request(
        "POST", "/api/v1/tokens", {"name": uniq("v"), "role": "viewer"}, token=a), 201))
    step("token.revoke", admin.name,
         lambda: expect(server.request("DELETE", f"/api/v1/tokens/{tok['id']}", token=a), 204))
    exp = step("experiment.create", sci.name, lambda: make_experiment(server, token=sci.secret))
    run = step("run.create", sci.name, lambda: make_run(server, exp["id"], token=sci.secret))
    rid = run["id"]
    step("run.tags", sci.name, lambda: expect(server.request(
        "POST", f"/api/v1/runs/{rid}/tags", {"tags": {"team": "blue"}}, token=sci.secret), 200))
    step("run.params", sci.name, lambda: expect(server.request(
        "POST", f"/api/v1/runs/{rid}/params", {"params": {"lr": "0.1"}}, token=sci.secret), 200))
    step("run.metrics", sci.name, lambda: expect(server.request(
        "POST", f"/api/v1/runs/{rid}/metrics",
        {"metrics": [{"key": "loss", "value": 1.0, "step": i} for i in range(5)]},
        token=sci.secret), 200))
    step("run.artifact", sci.name, lambda: expect(server.request(
        "PUT", f"/api/v1/runs/{rid}/artifacts/model/m.bin", b"weights-" + uniq().encode(),
        token=sci.secret), 201))
    step("run.finish", sci.name, lambda: expect(server.request(
        "POST", f"/api/v1/runs/{rid}/finish", {"status": "FINISHED"}, token=sci.secret), 200))
    up = step("upload.create", sci.name, lambda: expect(server.request(
        "POST", "/api/v1/uploads", b"upload-" + uniq().encode(), token=sci.secret), 201))
    model = uniq("m")
    step("model.create", sci.name, lambda: expect(server.request(
        "POST", "/api/v1/models", {"name": model}, token=sci.secret), 201))
    step("version.create", sci.name, lambda: expect(server.request(
        "POST", f"/api/v1/models/{model}/versions",
        {"run_id": rid, "artifact_path": "model/m.bin", "flavor": "custom"},
        token=sci.secret), 201))
    step("version.create", sci.name, lambda: expect(server.request(
        "POST", f"/api/v1/models/{model}/versions",
        {"upload_sha256": up["sha256"], "flavor": "custom"}, token=sci.secret), 201))
    step("version.approve", appr.name, lambda: expect(server.request(
        "POST", f"/api/v1/models/{model}/versions/1/approve", {"comment": "ok"},
        token=appr.secret), 200))
    step("version.reject", appr.name, lambda: expect(server.request(
        "POST", f"/api/v1/models/{model}/versions/2/reject", {"comment": "no"},
        token=appr.secret), 200))
    step("alias.set", appr.name, lambda: expect(server.request(
        "PUT", f"/api/v1/models/{model}/aliases/champion", {"version": 1},
        token=appr.secret), 200))


def test_refused_requests_and_reads_append_no_event(server, roles):
    before = _last_seq(server)
    server.request("POST", "/api/v1/experiments", {"name": uniq("e")},
                   token=roles["viewer"].secret)  # 403
    server.request("POST", "/api/v1/experiments", {"name": ""})  # 400
    server.request("GET", "/api/v1/experiments")
    server.request("GET", "/api/v1/audit")
    assert _last_seq(server) == before


def test_audit_list_is_oldest_first_and_pages(server):
    for _ in range(5):
        make_experiment(server)
    everything = audit_events(server)
    assert len(everything) >= 5
    assert [e["seq"] for e in everything] == list(range(1, len(everything) + 1))
    paged, pages = list_all(server, "/api/v1/audit", limit=2)
    assert paged == everything[:len(paged)] and len(paged) >= len(everything)
    assert pages >= 3
    first = expect(server.request("GET", "/api/v1/audit?limit=2"), 200)
    assert len(first["items"]) == 2 and first["next_page_token"]
    # after_seq starts after the given event
    n = everything[2]["seq"]
    tail = audit_events(server, after_seq=n)
    assert tail[0]["seq"] == n + 1
    assert tail[:len(everything) - n] == everything[n:]


def test_audit_events_have_the_documented_fields_and_chain(server):
    make_experiment(server)
    events = audit_events(server)
    for ev in events:
        assert set(ev) >= {"seq", "time_ms", "actor", "action", "resource", "details",
                           "prev_hash", "hash"}, ev
        assert HEX64.match(ev["hash"]) and HEX64.match(ev["prev_hash"]), ev
    assert events[0]["seq"] == 1 and events[0]["prev_hash"] == GENESIS
    assert recheck_chain(events) is None, "the listed events do not re-check client-side"


def test_audit_verify_reports_ok_with_the_event_count(server, roles):
    make_experiment(server)
    n = len(audit_events(server))
    v = audit_verify(server, token=roles["viewer"].secret)
    assert v["ok"] is True and v["first_bad_seq"] is None, v
    assert v["events"] == n and isinstance(v["message"], str), v


def test_audit_is_readable_by_a_viewer(server, roles):
    body = expect(server.request("GET", "/api/v1/audit?limit=1", token=roles["viewer"].secret),
                  200)
    assert len(body["items"]) == 1


# --- tampering with the database ---------------------------------------------------------------

TAMPER_SEQ = 4


def _populate(srv):
    sci = make_token(srv, "scientist")
    make_token(srv, "viewer")
    exp = make_experiment(srv, token=sci.secret)
    run = make_run(srv, exp["id"], token=sci.secret)
    expect(srv.request("POST", f"/api/v1/runs/{run['id']}/params",
                       {"params": {"max_depth": "6"}}, token=sci.secret), 200)
    expect(srv.request("POST", f"/api/v1/runs/{run['id']}/metrics",
                       {"metrics": [{"key": "rmse", "value": 0.4}]}, token=sci.secret), 200)
    expect(srv.request("POST", f"/api/v1/runs/{run['id']}/tags",
                       {"tags": {"a": "b"}}, token=sci.secret), 200)
    expect(srv.request("POST", f"/api/v1/runs/{run['id']}/finish", {}, token=sci.secret), 200)
    v = audit_verify(srv)
    assert v["ok"] is True and v["events"] >= 8, v


def _drop_triggers(con, table):
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                               "AND tbl_name = ?", (table,)).fetchall():
        con.execute(f'DROP TRIGGER "{name}"')


def _tamper(data_dir, kind, seq=TAMPER_SEQ):
    db, table, cols = find_audit_table(data_dir)
    con = sqlite3.connect(str(db))
    try:
        _drop_triggers(con, table)
        qt = f'"{table}"'
        if kind == "edit":
            dcol = next((c for c in cols if "detail" in c), None)
            assert dcol, f"no details column in {table}: {cols}"
            cur = con.execute(f'UPDATE {qt} SET "{dcol}" = ? WHERE seq = ?',
                              ('{"tampered":true}', seq))
            assert cur.rowcount == 1
        elif kind == "delete":
            cur = con.execute(f"DELETE FROM {qt} WHERE seq = ?", (seq,))
            assert cur.rowcount == 1
        elif kind == "swap":
            names = ", ".join(f'"{c}"' for c in cols)
            rows = {r[cols.index("seq")]: list(r) for r in con.execute(
                f"SELECT {names} FROM {qt} WHERE seq IN (?, ?)", (seq, seq + 1))}
            assert set(rows) == {seq, seq + 1}
            con.execute(f"DELETE FROM {qt} WHERE seq IN (?, ?)", (seq, seq + 1))
            a, b = rows[seq], rows[seq + 1]
            a[cols.index("seq")], b[cols.index("seq")] = seq + 1, seq
            marks = ", ".join("?" for _ in cols)
            for r in (b, a):  # event seq+1's contents now sit at seq, and the other way round
                con.execute(f"INSERT INTO {qt} ({names}) VALUES ({marks})", r)
        else:
            raise ValueError(kind)
        con.commit()
    finally:
        con.close()


def _tampered_server(tmp_path, kind):
    srv = PlinthServer(tmp_path / "data").start()
    _populate(srv)
    assert srv.stop() == 0
    _tamper(srv.data_dir, kind)
    srv.start()
    return srv


@pytest.mark.parametrize("kind", ["edit", "delete", "swap"])
def test_verify_reports_the_first_bad_seq_after_tampering(tmp_path, kind):
    srv = _tampered_server(tmp_path, kind)
    try:
        v = audit_verify(srv)
        assert v["ok"] is False, f"{kind}: verify still says ok: {v}"
        assert v["first_bad_seq"] == TAMPER_SEQ, f"{kind}: {v}"
        assert isinstance(v["message"], str) and v["message"]
        # the listed events tell the same story to a client
        assert recheck_chain(audit_events(srv)) == TAMPER_SEQ
        # and the server keeps serving
        expect(srv.request("GET", "/api/v1/whoami"), 200)
    finally:
        srv.stop()


def test_cli_audit_verify_exits_0_on_an_intact_chain(tmp_path, cli_audit_verify):
    srv = PlinthServer(tmp_path / "data").start()
    try:
        _populate(srv)
        res = cli("audit", "verify", "--data-dir", str(srv.data_dir))
        assert res.returncode == 0, f"exit {res.returncode}: {res.stdout} {res.stderr}"
    finally:
        srv.stop()


@pytest.mark.parametrize("kind", ["edit", "delete", "swap"])
def test_cli_audit_verify_fails_naming_the_first_bad_seq(tmp_path, kind, cli_audit_verify):
    srv = _tampered_server(tmp_path, kind)
    try:
        res = cli("audit", "verify", "--data-dir", str(srv.data_dir))
        out = res.stdout + res.stderr
        assert res.returncode != 0, f"{kind}: exit 0 on a tampered chain: {out}"
        assert re.search(rf"\b{TAMPER_SEQ}\b", out), f"{kind}: output does not name seq " \
                                                     f"{TAMPER_SEQ}: {out!r}"
    finally:
        srv.stop()


def test_a_recorded_head_reveals_events_cut_off_the_end(tmp_path, cli_audit_verify):
    srv = PlinthServer(tmp_path / "data").start()
    try:
        _populate(srv)
        res = cli("audit", "verify", "--data-dir", str(srv.data_dir))
        assert res.returncode == 0, res.stdout + res.stderr
        head = re.search(r"head: (\d+:[0-9a-f]{64})", res.stdout).group(1)
        last_seq = int(head.split(":")[0])
        assert expect(srv.request("GET", f"/api/v1/audit/verify?head={head}"), 200)["ok"] is True
        assert srv.stop() == 0
        db, table, _ = find_audit_table(srv.data_dir)
        con = sqlite3.connect(str(db))
        _drop_triggers(con, table)
        con.execute(f'DELETE FROM "{table}" WHERE seq >= ?', (last_seq - 1,))
        con.commit()
        con.close()
        srv.start()
        # The chain that is left is intact, so only the recorded head shows the cut.
        assert audit_verify(srv)["ok"] is True
        v = expect(srv.request("GET", f"/api/v1/audit/verify?head={head}"), 200)
        assert v["ok"] is False and v["first_bad_seq"] == last_seq - 1, v
        res = cli("audit", "verify", "--data-dir", str(srv.data_dir), "--head", head)
        assert res.returncode == 1 and "deleted from its end" in res.stdout, res.stdout + res.stderr
        bad = cli("audit", "verify", "--data-dir", str(srv.data_dir), "--head", "12:xyz")
        assert bad.returncode != 0 and "SEQ:HASH" in bad.stderr
        assert srv.request("GET", "/api/v1/audit/verify?head=bad")[0] == 400
    finally:
        srv.stop()

"""The server process: health, request ids, its files in the data dir, keep-alive, shutdown."""

import http.client
import os
import signal
import sqlite3
import stat
import time

from support import (PlinthServer, assert_error, assert_live, expect, make_experiment,
                     make_run, make_token, sqlite_files, uniq)


def test_health_endpoints_answer_without_a_token(server):
    st, body, _ = server.request("GET", "/v2/health/live", token=None)
    assert (st, body) == (200, {"live": True})
    st, body, _ = server.request("GET", "/v2/health/ready", token=None)
    assert (st, body) == (200, {"ready": True})


def test_health_endpoints_ignore_a_bad_token(server):
    st, body, _ = server.request("GET", "/v2/health/live", token="plt_" + "0" * 64)
    assert (st, body) == (200, {"live": True})


def test_request_id_sent_by_the_client_is_echoed(server):
    rid = "itest-" + uniq("rid")
    _, _, hdrs = server.request("GET", "/v2/health/live", token=None, headers={"X-Request-Id": rid})
    assert hdrs.get("x-request-id") == rid
    # also on an authenticated request and on an error answer
    _, _, hdrs = server.request("GET", "/api/v1/whoami", headers={"X-Request-Id": rid + "a"})
    assert hdrs.get("x-request-id") == rid + "a"
    _, _, hdrs = server.request("GET", "/api/v1/whoami", token=None,
                                headers={"X-Request-Id": rid + "b"})
    assert hdrs.get("x-request-id") == rid + "b"


def test_every_response_carries_a_generated_request_id(server):
    ids = set()
    for path, token in (("/v2/health/live", None), ("/api/v1/whoami", "admin"),
                        ("/api/v1/no-such-route", "admin"), ("/api/v1/whoami", None)):
        _, _, hdrs = server.request("GET", path, token=token)
        rid = hdrs.get("x-request-id")
        assert rid, f"GET {path} answered without X-Request-Id"
        ids.add(rid)
    assert len(ids) == 4, f"generated request ids are not distinct: {ids}"


def test_server_port_file_holds_the_listening_port(server):
    text = (server.data_dir / "server.port").read_text().strip()
    assert text.isdigit() and int(text) == server.port and int(text) > 0
    conn = http.client.HTTPConnection("127.0.0.1", int(text), timeout=5)
    conn.request("GET", "/v2/health/live")
    assert conn.getresponse().status == 200
    conn.close()


def test_server_prints_the_chosen_port(server):
    log = server.data_dir / "server.log"
    deadline = time.time() + 3
    while time.time() < deadline:
        if str(server.port) in log.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise AssertionError(f"server output does not show its port {server.port}: "
                         f"{log.read_text(errors='replace')[-2000:]!r}")


def test_admin_token_file_is_private_and_works(server):
    path = server.data_dir / "admin.token"
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600, f"admin.token has mode {oct(mode)}, not 0o600"
    token = path.read_text().strip()
    assert token
    body = expect(server.request("GET", "/api/v1/whoami", token=token), 200)
    assert body["role"] == "admin" and body["name"] == "admin"


def test_metadata_lives_in_sqlite_in_wal_mode_under_the_data_dir(server):
    dbs = sqlite_files(server.data_dir)
    assert dbs, f"no SQLite database under {server.data_dir}"
    modes = []
    for db in dbs:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            modes.append(con.execute("PRAGMA journal_mode").fetchone()[0].lower())
        finally:
            con.close()
    assert "wal" in modes, f"SQLite journal modes {modes}"


def test_keep_alive_connection_serves_several_requests(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        for _ in range(5):
            conn.request("GET", "/api/v1/whoami",
                         headers={"Authorization": f"Bearer {server.admin_token}"})
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200
            assert (resp.getheader("Connection") or "").lower() != "close"
    finally:
        conn.close()


def test_unknown_route_is_404_json(server):
    assert_error(server.request("GET", "/api/v1/no-such-thing"), 404, "not_found")
    assert_error(server.request("GET", "/definitely/not/here"), 404, "not_found")
    assert_live(server)


def test_wrong_method_is_405_json(server):
    assert_error(server.request("DELETE", "/api/v1/experiments"), 405, "method_not_allowed")
    assert_error(server.request("PUT", "/api/v1/runs/search", {}), 405, "method_not_allowed")
    assert_live(server)


def test_raw_tokens_never_reach_the_data_dir_files(tmp_path):
    srv = PlinthServer(tmp_path / "data").start()
    try:
        viewer = make_token(srv, "viewer")
        sci = make_token(srv, "scientist")
        exp = make_experiment(srv, token=sci.secret)
        run = make_run(srv, exp["id"], token=sci.secret)
        expect(srv.request("POST", f"/api/v1/runs/{run['id']}/metrics",
                           {"metrics": [{"key": "loss", "value": 0.5}]}, token=sci.secret), 200)
        expect(srv.request("GET", "/api/v1/whoami", token=viewer.secret), 200)
        expect(srv.request("DELETE", f"/api/v1/tokens/{viewer.id}"), 204)
        secrets = {"admin": srv.admin_token, "viewer": viewer.secret, "scientist": sci.secret}

        def leaks():
            found = []
            for p in srv.data_dir.rglob("*"):
                if not p.is_file() or p.name in ("admin.token", "server.log"):
                    continue
                data = p.read_bytes()
                for who, secret in secrets.items():
                    if secret.encode() in data:
                        found.append((who, str(p.relative_to(srv.data_dir))))
            return found

        assert leaks() == [], "raw token found in the data dir while running"
        assert srv.stop() == 0
        assert leaks() == [], "raw token found in the data dir after shutdown"
    finally:
        srv.stop()


def test_restart_keeps_the_admin_token_and_the_data(tmp_path):
    srv = PlinthServer(tmp_path / "data").start()
    try:
        token_before = srv.admin_token
        exp = make_experiment(srv)
        sci = make_token(srv, "scientist")
        srv.restart()
        assert (srv.data_dir / "admin.token").read_text().strip() == token_before
        assert expect(srv.request("GET", "/api/v1/whoami", token=token_before), 200)["role"] == "admin"
        assert expect(srv.request("GET", "/api/v1/whoami", token=sci.secret), 200)["role"] == "scientist"
        assert expect(srv.request("GET", f"/api/v1/experiments/{exp['id']}"), 200)["name"] == exp["name"]
    finally:
        srv.stop()


def _stop_and_time(srv, sig):
    srv.proc.send_signal(sig)
    t0 = time.time()
    try:
        code = srv.proc.wait(timeout=5)
    except Exception:
        code = None
    elapsed = time.time() - t0
    srv.stop(signal.SIGKILL)
    return code, elapsed


def test_sigterm_shuts_down_cleanly_with_exit_0(fresh_server):
    fresh_server.start()
    make_experiment(fresh_server)
    code, elapsed = _stop_and_time(fresh_server, signal.SIGTERM)
    assert code == 0, f"SIGTERM: exit code {code} after {elapsed:.1f}s (want 0 within 5s)"


def test_sigint_shuts_down_cleanly_with_exit_0(fresh_server):
    fresh_server.start()
    make_experiment(fresh_server)
    code, elapsed = _stop_and_time(fresh_server, signal.SIGINT)
    assert code == 0, f"SIGINT: exit code {code} after {elapsed:.1f}s (want 0 within 5s)"


def test_sigterm_shuts_down_promptly_with_an_idle_keep_alive_connection_open(fresh_server):
    fresh_server.start()
    conn = http.client.HTTPConnection("127.0.0.1", fresh_server.port, timeout=5)
    try:
        conn.request("GET", "/v2/health/live")
        conn.getresponse().read()
        # the connection stays open and idle while the server is asked to stop
        code, elapsed = _stop_and_time(fresh_server, signal.SIGTERM)
        assert code == 0, f"SIGTERM with an idle connection: exit code {code} after {elapsed:.1f}s"
    finally:
        conn.close()


def test_repeated_start_and_sigterm_always_exit_0(fresh_server):
    """A clean shutdown must not depend on luck: many short lives on one data dir."""
    codes = []
    for i in range(150):
        fresh_server.start()
        make_experiment(fresh_server, name=f"cycle-{i}")
        codes.append(fresh_server.stop())
    bad = [(i, c) for i, c in enumerate(codes) if c != 0]
    assert not bad, f"SIGTERM exit codes other than 0 (cycle, code): {bad}"


def test_data_written_before_sigterm_is_there_after_restart(fresh_server):
    fresh_server.start()
    exp = make_experiment(fresh_server)
    run = make_run(fresh_server, exp["id"])
    expect(fresh_server.request("POST", f"/api/v1/runs/{run['id']}/params",
                                {"params": {"a": "1"}}), 200)
    assert fresh_server.stop() == 0
    fresh_server.start()
    got = expect(fresh_server.request("GET", f"/api/v1/runs/{run['id']}"), 200)
    assert got["params"] == {"a": "1"}

"""Bad input of every kind gets the documented JSON error and status, and the server keeps
serving; garbage on the socket never takes it down."""

import http.client
import json
import os
import socket
import threading
import time

import pytest

from support import (ZERO_ID, HttpReader, PlinthServer, assert_error, assert_live, connect,
                     expect, make_experiment, make_run, make_token, read_http_response,
                     request_head, send_streaming, stop_checked, uniq)


class Ctx:
    pass


@pytest.fixture(scope="module")
def ctx(server):
    c = Ctx()
    c.viewer = make_token(server, "viewer").secret
    c.sci = make_token(server, "scientist").secret
    c.appr = make_token(server, "approver").secret
    c.exp = make_experiment(server)
    c.run = make_run(server, c.exp["id"])["id"]
    c.model = uniq("m")
    sha = expect(server.request("POST", "/api/v1/uploads", b"bad-input-model"), 201)["sha256"]
    c.sha = sha
    for _ in range(2):  # 1: Approved, 2: pending
        expect(server.request("POST", f"/api/v1/models/{c.model}/versions",
                              {"upload_sha256": sha, "flavor": "custom"}), 201)
    expect(server.request("POST", f"/api/v1/models/{c.model}/versions/1/approve", {},
                          token=c.appr), 200)
    return c


# (id, request builder, status, code, a word the message must contain or None)
CASES = [
    # malformed JSON and bodies that are not JSON objects
    ("malformed-json", lambda c: ("POST", "/api/v1/experiments", b'{"name": "x",', "admin"),
     400, "invalid_argument", None),
    ("json-trailing-garbage", lambda c: ("POST", "/api/v1/experiments",
                                         b'{"name": "ok-name"} trailing', "admin"),
     400, "invalid_argument", None),
    ("empty-body", lambda c: ("POST", "/api/v1/experiments", b"", "admin"),
     400, "invalid_argument", None),
    ("json-array", lambda c: ("POST", "/api/v1/experiments", [{"name": "x"}], "admin"),
     400, "invalid_argument", None),
    ("json-string", lambda c: ("POST", "/api/v1/experiments", b'"name"', "admin"),
     400, "invalid_argument", None),
    ("json-null", lambda c: ("POST", f"/api/v1/runs/{c.run}/metrics", b"null", "admin"),
     400, "invalid_argument", None),
    ("invalid-utf8", lambda c: ("POST", "/api/v1/experiments", b'{"name": "ab\xff\xfe"}', "admin"),
     400, "invalid_argument", None),
    ("deeply-nested", lambda c: ("POST", "/api/v1/experiments",
                                 b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "admin"),
     400, "invalid_argument", None),
    ("binary-garbage-body", lambda c: ("POST", f"/api/v1/runs/{c.run}/params",
                                       os.urandom(2048), "admin"),
     400, "invalid_argument", None),
    # wrong JSON types, each naming the field
    ("name-is-number", lambda c: ("POST", "/api/v1/experiments", {"name": 5}, "admin"),
     400, "invalid_argument", "name"),
    ("tags-is-string", lambda c: ("POST", "/api/v1/experiments",
                                  {"name": uniq("e"), "tags": "a=b"}, "admin"),
     400, "invalid_argument", "tags"),
    ("tag-value-is-list", lambda c: ("POST", f"/api/v1/runs/{c.run}/tags",
                                     {"tags": {"a": [1]}}, "admin"),
     400, "invalid_argument", None),
    ("experiment-id-is-number", lambda c: ("POST", "/api/v1/runs", {"experiment_id": 7}, "admin"),
     400, "invalid_argument", "experiment_id"),
    ("metrics-is-object", lambda c: ("POST", f"/api/v1/runs/{c.run}/metrics",
                                     {"metrics": {"loss": 1}}, "admin"),
     400, "invalid_argument", "metrics"),
    ("metric-value-is-string", lambda c: ("POST", f"/api/v1/runs/{c.run}/metrics",
                                          {"metrics": [{"key": "a", "value": "high"}]}, "admin"),
     400, "invalid_argument", "value"),
    ("params-is-list", lambda c: ("POST", f"/api/v1/runs/{c.run}/params", {"params": ["a"]},
                                  "admin"),
     400, "invalid_argument", "params"),
    ("param-value-is-object", lambda c: ("POST", f"/api/v1/runs/{c.run}/params",
                                         {"params": {"a": {"b": 1}}}, "admin"),
     400, "invalid_argument", None),
    ("token-role-is-list", lambda c: ("POST", "/api/v1/tokens",
                                      {"name": uniq("t"), "role": ["admin"]}, "admin"),
     400, "invalid_argument", "role"),
    ("search-ids-is-string", lambda c: ("POST", "/api/v1/runs/search",
                                        {"experiment_ids": c.exp["id"]}, "admin"),
     400, "invalid_argument", "experiment_ids"),
    ("version-flavor-is-number", lambda c: ("POST", f"/api/v1/models/{c.model}/versions",
                                            {"upload_sha256": c.sha, "flavor": 3}, "admin"),
     400, "invalid_argument", "flavor"),
    ("approve-comment-is-number", lambda c: ("POST", f"/api/v1/models/{c.model}/versions/2/approve",
                                             {"comment": 5}, c.appr),
     400, "invalid_argument", "comment"),
    ("alias-version-is-string", lambda c: ("PUT", f"/api/v1/models/{c.model}/aliases/champion",
                                           {"version": "one"}, c.appr),
     400, "invalid_argument", "version"),
    ("limit-not-a-number", lambda c: ("GET", "/api/v1/experiments?limit=lots", None, "admin"),
     400, "invalid_argument", "limit"),
    # unknown ids
    ("unknown-experiment", lambda c: ("GET", f"/api/v1/experiments/{ZERO_ID}", None, "admin"),
     404, "not_found", None),
    ("unknown-run", lambda c: ("GET", f"/api/v1/runs/{ZERO_ID}", None, "admin"),
     404, "not_found", None),
    ("unknown-run-metrics", lambda c: ("POST", f"/api/v1/runs/{ZERO_ID}/metrics",
                                       {"metrics": [{"key": "a", "value": 1}]}, "admin"),
     404, "not_found", None),
    ("unknown-run-artifact-put", lambda c: ("PUT", f"/api/v1/runs/{ZERO_ID}/artifacts/a.bin",
                                            b"x", "admin"),
     404, "not_found", None),
    ("unknown-run-for-new-run", lambda c: ("POST", "/api/v1/runs", {"experiment_id": ZERO_ID},
                                           "admin"),
     404, "not_found", None),
    ("unknown-token", lambda c: ("DELETE", f"/api/v1/tokens/{ZERO_ID}", None, "admin"),
     404, "not_found", None),
    ("unknown-model", lambda c: ("GET", f"/api/v1/models/{uniq('nope')}", None, "admin"),
     404, "not_found", None),
    ("unknown-version", lambda c: ("GET", f"/api/v1/models/{c.model}/versions/42", None, "admin"),
     404, "not_found", None),
    ("unknown-alias-version", lambda c: ("PUT", f"/api/v1/models/{c.model}/aliases/champion",
                                         {"version": 42}, c.appr),
     404, "not_found", None),
    # unknown route, wrong method
    ("unknown-route", lambda c: ("GET", "/api/v1/frobnicate", None, "admin"),
     404, "not_found", None),
    ("unknown-route-post", lambda c: ("POST", "/api/v2/experiments", {"name": "x"}, "admin"),
     404, "not_found", None),
    ("wrong-method-delete", lambda c: ("DELETE", "/api/v1/experiments", None, "admin"),
     405, "method_not_allowed", None),
    ("wrong-method-get-finish", lambda c: ("GET", f"/api/v1/runs/{c.run}/finish", None, "admin"),
     405, "method_not_allowed", None),
    ("wrong-method-patch", lambda c: ("PATCH", f"/api/v1/runs/{c.run}", {}, "admin"),
     405, "method_not_allowed", None),
    # names of 10,000 characters
    ("long-experiment-name", lambda c: ("POST", "/api/v1/experiments", {"name": "e" * 10_000},
                                        "admin"),
     400, "invalid_argument", "name"),
    ("long-model-name", lambda c: ("POST", "/api/v1/models", {"name": "m" * 10_000}, "admin"),
     400, "invalid_argument", "name"),
    ("long-token-name", lambda c: ("POST", "/api/v1/tokens",
                                   {"name": "t" * 10_000, "role": "viewer"}, "admin"),
     400, "invalid_argument", "name"),
    # duplicate names
    ("duplicate-experiment", lambda c: ("POST", "/api/v1/experiments", {"name": c.exp["name"]},
                                        "admin"),
     409, "already_exists", None),
    ("duplicate-model", lambda c: ("POST", "/api/v1/models", {"name": c.model}, "admin"),
     409, "already_exists", None),
    ("duplicate-token", lambda c: ("POST", "/api/v1/tokens", {"name": "admin", "role": "viewer"},
                                   "admin"),
     409, "already_exists", None),
    # a wrong role
    ("viewer-creates-experiment", lambda c: ("POST", "/api/v1/experiments",
                                             {"name": uniq("e")}, c.viewer),
     403, "permission_denied", None),
    ("viewer-logs-metrics", lambda c: ("POST", f"/api/v1/runs/{c.run}/metrics",
                                       {"metrics": [{"key": "a", "value": 1}]}, c.viewer),
     403, "permission_denied", None),
    ("scientist-sets-alias", lambda c: ("PUT", f"/api/v1/models/{c.model}/aliases/champion",
                                        {"version": 1}, c.sci),
     403, "permission_denied", None),
    ("approver-creates-token", lambda c: ("POST", "/api/v1/tokens",
                                          {"name": uniq("t"), "role": "admin"}, c.appr),
     403, "permission_denied", None),
    # path traversal
    ("traversal-dotdot", lambda c: ("PUT", f"/api/v1/runs/{c.run}/artifacts/../../x", b"x",
                                    "admin"),
     400, "invalid_argument", None),
    ("traversal-encoded", lambda c: ("PUT", f"/api/v1/runs/{c.run}/artifacts/%2e%2e/%2e%2e/x",
                                     b"x", "admin"),
     400, "invalid_argument", None),
]


@pytest.mark.parametrize("build, status, code, mentions", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_gets_the_documented_error_and_the_server_keeps_serving(
        server, ctx, build, status, code, mentions):
    method, path, body, token = build(ctx)
    assert_error(server.request(method, path, body, token=token), status, code, mentions)
    assert_live(server)


# --- body size limit ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    srv = PlinthServer(tmp_path_factory.mktemp("small") / "data",
                       extra_args=["--max-body-bytes", "1048576"]).start()
    yield srv
    stop_checked(srv)


@pytest.fixture(scope="module")
def small_run(small_server):
    exp = make_experiment(small_server)
    return make_run(small_server, exp["id"])["id"]


def _send_big(srv, method, path, body, content_type="application/octet-stream"):
    head = request_head(method, path, token=srv.admin_token,
                        headers={"Content-Type": content_type}, content_length=len(body))
    return send_streaming(srv.port, head, body)


def _assert_413(resp):
    assert resp is not None, "the server closed the connection without answering 413"
    status, headers, body = resp
    assert status == 413, f"expected 413, got {status}: {body[:300]!r}"
    err = json.loads(body)["error"]
    assert err["code"] == "payload_too_large" and err["message"], err


def test_artifact_over_the_body_limit_is_413(small_server, small_run):
    _assert_413(_send_big(small_server, "PUT", f"/api/v1/runs/{small_run}/artifacts/big.bin",
                          os.urandom(2 << 20)))
    assert_live(small_server)
    st, _, _ = small_server.request("GET", f"/api/v1/runs/{small_run}/artifacts/big.bin")
    assert st == 404, "a refused artifact was stored"


def test_json_over_the_body_limit_is_413(small_server):
    body = b'{"name": "x", "tags": {"pad": "' + b"p" * (2 << 20) + b'"}}'
    _assert_413(_send_big(small_server, "POST", "/api/v1/experiments", body, "application/json"))
    assert_live(small_server)


def test_upload_over_the_body_limit_is_413(small_server):
    _assert_413(_send_big(small_server, "POST", "/api/v1/uploads", os.urandom(2 << 20)))
    assert_live(small_server)


def test_chunked_body_over_the_limit_is_413(small_server, small_run):
    head = request_head("PUT", f"/api/v1/runs/{small_run}/artifacts/chunked.bin",
                        token=small_server.admin_token,
                        headers={"Transfer-Encoding": "chunked",
                                 "Content-Type": "application/octet-stream"})
    piece = os.urandom(64 * 1024)
    chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
    body = chunk * 32 + b"0\r\n\r\n"  # 2 MiB
    _assert_413(send_streaming(small_server.port, head, body))
    assert_live(small_server)


def test_body_under_the_limit_is_accepted(small_server, small_run):
    data = os.urandom(512 * 1024)
    expect(small_server.request("PUT", f"/api/v1/runs/{small_run}/artifacts/ok.bin", data), 201)
    st, got, _ = small_server.request("GET", f"/api/v1/runs/{small_run}/artifacts/ok.bin",
                                      raw=True)
    assert st == 200 and got == data


def test_server_keeps_working_after_many_oversized_requests(small_server, small_run):
    for _ in range(5):
        _assert_413(_send_big(small_server, "POST", "/api/v1/uploads", os.urandom(3 << 20)))
    expect(small_server.request("GET", f"/api/v1/runs/{small_run}"), 200)


# --- garbage on the socket ---------------------------------------------------------------------

def _exchange(port, payload, wait=2.0):
    """Sends raw bytes; returns the response if the server answered, or None if it closed (or
    said nothing within `wait` seconds)."""
    s = connect(port)
    try:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_http_response(s, timeout=wait)
    finally:
        s.close()


def _assert_no_server_error(resp):
    """Closing the connection or answering is fine; an internal error (5xx) is not."""
    if resp is not None:
        status = resp[0]
        assert status < 500 or status == 505, f"garbage answered with HTTP {status}"


@pytest.mark.parametrize("payload", [
    b"\x00\x01\x02\xff\xfe garbage \r\n\r\n",
    os.urandom(4096),
    b"HELLO WORLD\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"POST /api/v1/experiments HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
    b"POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n",
    b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nNoColonHeader\r\n\r\n",
    b"\r\n\r\n\r\n\r\n",
], ids=["binary", "random", "words", "no-target", "bad-version", "negative-length",
        "non-numeric-length", "huge-length", "bad-chunk", "bad-header", "blank-lines"])
def test_non_http_bytes_do_not_take_the_server_down(server, payload):
    _assert_no_server_error(_exchange(server.port, payload))
    assert_live(server)


def test_truncated_requests_do_not_take_the_server_down(server):
    for payload in (b"GET /v2/hea",
                    b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n",
                    b"POST /api/v1/experiments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + server.admin_token.encode() + b"\r\nContent-Length: 100\r\n\r\n{\"name\":"):
        s = connect(server.port)
        s.sendall(payload)
        s.close()  # hang up mid-request
        assert_live(server)
    # and one that half-closes, then waits for the answer
    s = connect(server.port)
    try:
        s.sendall(b"POST /api/v1/experiments HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
        s.shutdown(socket.SHUT_WR)
        _assert_no_server_error(read_http_response(s, timeout=3))
    finally:
        s.close()
    assert_live(server)


def test_a_100_kb_header_line_is_refused_and_the_server_keeps_serving(server):
    payload = (b"GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"a" * 100_000 +
               b"\r\nAuthorization: Bearer " + server.admin_token.encode() + b"\r\n\r\n")
    resp = _exchange(server.port, payload, wait=5)
    _assert_no_server_error(resp)
    assert_live(server)


def test_many_abrupt_connections_do_not_take_the_server_down(server):
    for _ in range(50):
        s = connect(server.port)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()  # RST
    assert_live(server)


def test_pipelined_requests_on_one_connection_are_answered_in_order(server):
    s = connect(server.port)
    try:
        req = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n"
        ready = b"GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n\r\n"
        s.sendall(req + ready + req)
        reader = HttpReader(s)
        answers = [reader.next(timeout=5) for _ in range(3)]
    finally:
        s.close()
    assert [a[0] for a in answers] == [200, 200, 200], answers
    assert b"ready" in answers[1][2] and b"live" in answers[0][2]


def test_slowloris_connections_do_not_starve_other_clients(server):
    """Twenty connections that dribble header lines and never finish them (more connections than
    the server's default 16 request threads); meanwhile other clients are answered promptly."""
    stop = threading.Event()
    socks = []
    for _ in range(20):
        s = connect(server.port)
        s.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)

    def dribble():
        i = 0
        while not stop.is_set():
            for s in socks:
                try:
                    s.sendall(b"X-Slow-%d: %d\r\n" % (i, i))
                except OSError:
                    pass
            i += 1
            stop.wait(0.2)

    t = threading.Thread(target=dribble, daemon=True)
    t.start()
    try:
        time.sleep(0.3)
        for _ in range(10):
            t0 = time.time()
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("GET", "/api/v1/whoami",
                         headers={"Authorization": f"Bearer {server.admin_token}"})
            resp = conn.getresponse()
            resp.read()
            conn.close()
            elapsed = time.time() - t0
            assert resp.status == 200
            assert elapsed < 2.0, f"a request took {elapsed:.1f}s behind slowloris connections"
            time.sleep(0.1)
    finally:
        stop.set()
        t.join()
        for s in socks:
            s.close()
    assert_live(server)


# --- timeouts ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def quick_server(tmp_path_factory):
    srv = PlinthServer(tmp_path_factory.mktemp("quick") / "data",
                       extra_args=["--request-timeout", "1", "--idle-timeout", "1"]).start()
    yield srv
    stop_checked(srv)


def _closed_within(sock, seconds, dribble=None):
    """Seconds until the server closes `sock` (reading and discarding any answer), or None."""
    t0 = time.time()
    sock.settimeout(0.2)
    while time.time() - t0 < seconds:
        if dribble:
            try:
                sock.sendall(dribble)
            except OSError:
                return time.time() - t0
        try:
            if sock.recv(65536) == b"":
                return time.time() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.time() - t0
    return None


def test_a_request_that_never_finishes_its_headers_is_cut_off(quick_server):
    s = connect(quick_server.port)
    try:
        s.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n")
        took = _closed_within(s, 6, dribble=b"X-Slow: 1\r\n")
        assert took is not None, "a slowloris connection was still open after 6s " \
                                 "with --request-timeout 1"
    finally:
        s.close()
    assert_live(quick_server)


def test_a_request_whose_body_never_arrives_is_cut_off(quick_server):
    s = connect(quick_server.port)
    try:
        s.sendall(request_head("PUT", "/api/v1/uploads", token=quick_server.admin_token,
                               content_length=1000) + b"only a little")
        took = _closed_within(s, 6)
        assert took is not None, "a stalled body was still being waited for after 6s " \
                                 "with --request-timeout 1"
    finally:
        s.close()
    assert_live(quick_server)


def test_an_idle_keep_alive_connection_is_closed(quick_server):
    s = connect(quick_server.port)
    try:
        s.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        reader = HttpReader(s)
        assert reader.next(timeout=5)[0] == 200
        took = _closed_within(s, 6)
        assert took is not None, "an idle keep-alive connection was still open after 6s " \
                                 "with --idle-timeout 1"
    finally:
        s.close()
    assert_live(quick_server)

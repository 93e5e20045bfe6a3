"""HTTP/1.1 details of the server's own event loop: chunked bodies, Expect: 100-continue,
Connection: close and HTTP/1.0, request ids a client sends that cannot be echoed."""

import json

from support import HttpReader, connect, make_experiment, make_run, request_head


def _metrics_body(n, step0=0):
    return json.dumps({"metrics": [{"key": "loss", "value": i / 10, "step": step0 + i}
                                   for i in range(n)]}).encode()


def test_a_chunked_body_is_read_whole(server):
    run = make_run(server, make_experiment(server)["id"])["id"]
    body = _metrics_body(50)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 100]), body[i:i + 100])
                      for i in range(0, len(body), 100)) + b"0\r\n\r\n"
    head = request_head("POST", f"/api/v1/runs/{run}/metrics", token=server.admin_token,
                        headers={"Transfer-Encoding": "chunked",
                                 "Content-Type": "application/json"})
    with connect(server.port) as sock:
        sock.sendall(head + chunks)
        status, _, answer = HttpReader(sock).next()
    assert status == 200, answer
    assert json.loads(answer) == {"logged": 50}
    st, history, _ = server.request("GET", f"/api/v1/runs/{run}/metrics/loss?limit=1000")
    assert st == 200 and len(history["items"]) == 50


def test_expect_100_continue_is_answered_before_the_body_is_sent(server):
    run = make_run(server, make_experiment(server)["id"])["id"]
    body = _metrics_body(3)
    head = request_head("POST", f"/api/v1/runs/{run}/metrics", token=server.admin_token,
                        headers={"Expect": "100-continue", "Content-Type": "application/json"},
                        content_length=len(body))
    with connect(server.port) as sock:
        sock.sendall(head)
        reader = HttpReader(sock)
        interim = reader.next(timeout=3)
        assert interim is not None and interim[0] == 100, interim
        sock.sendall(body)
        status, _, answer = reader.next()
    assert status == 200 and json.loads(answer) == {"logged": 3}


def test_connection_close_and_http_1_0_end_the_connection_after_the_answer(server):
    for head in (b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                 b"GET /v2/health/live HTTP/1.0\r\n\r\n"):
        with connect(server.port) as sock:
            sock.sendall(head)
            reader = HttpReader(sock)
            status, headers, body = reader.next()
            assert status == 200 and json.loads(body) == {"live": True}
            assert headers.get("connection", "").lower() == "close"
            sock.settimeout(3)
            assert sock.recv(100) == b"", "the server kept the connection open"


def test_an_unusable_client_request_id_is_replaced(server):
    for rid in ("x" * 129, "has space"):
        with connect(server.port) as sock:
            sock.sendall(request_head("GET", "/v2/health/live", headers={"X-Request-Id": rid}))
            status, headers, _ = HttpReader(sock).next()
        assert status == 200
        assert headers["x-request-id"] != rid
        assert len(headers["x-request-id"]) == 32


def test_headers_over_64_kib_are_400_and_the_server_keeps_serving(server):
    with connect(server.port) as sock:
        sock.sendall(request_head("GET", "/v2/health/live", headers={"X-Big": "a" * 70000}))
        resp = HttpReader(sock).next()
    assert resp is not None and resp[0] == 400, resp
    assert b"64 KiB" in resp[2]
    st, body, _ = server.request("GET", "/v2/health/live", token=None)
    assert st == 200


def test_an_answer_to_head_has_no_body_and_the_connection_goes_on(server):
    with connect(server.port) as sock:
        sock.sendall(b"HEAD /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(5)
        data = b""
        while data.count(b"HTTP/1.1 ") < 2 or not data.endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk, f"the server closed the connection: {data!r}"
            data += chunk
    head_answer, _, rest = data.partition(b"\r\n\r\n")
    assert int(head_answer.split()[1]) == 405  # health is GET only
    assert rest.startswith(b"HTTP/1.1 200 "), rest
    assert rest.endswith(b'{"live":true}')


def test_a_path_parameter_that_is_not_utf8_is_400_naming_it(server):
    # Percent-decoded path parameters become names, rows and audit events; bytes that are not
    # UTF-8 are refused before any handler runs (an artifact path used to fail with a 500).
    run = make_run(server, make_experiment(server)["id"])["id"]
    for method, path in (("PUT", f"/api/v1/runs/{run}/artifacts/model%C3.bin"),
                         ("GET", "/api/v1/models/%FF"),
                         ("GET", "/api/v1/feature-views/%ED%A0%80")):
        status, body, _ = server.request(method, path, b"x" if method == "PUT" else None,
                                         headers={"Content-Type": "application/octet-stream"})
        assert status == 400, (method, path, body)
        assert body["error"]["code"] == "invalid_argument"
        assert "not UTF-8" in body["error"]["message"]
    # A UTF-8 name goes through.
    status, _, _ = server.request("PUT", f"/api/v1/runs/{run}/artifacts/mod%C3%A8le.bin", b"x",
                                  headers={"Content-Type": "application/octet-stream"})
    assert status in (200, 201)

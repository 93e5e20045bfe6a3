"""The transport: errors, keep-alive reuse and reconnecting after a dropped connection."""

import socket
import time

import pytest

import plinth
from plinth.transport import error_from_response
from plinth_server import PlinthServer


def test_error_carries_status_code_message_and_request_id(server):
    with plinth.Client(server.url, "not-a-token") as client:
        with pytest.raises(plinth.UnauthenticatedError) as info:
            client.whoami()
    err = info.value
    assert isinstance(err, plinth.PlinthError)
    assert err.status == 401 and err.code == "unauthenticated"
    assert err.message and err.request_id
    assert "401" in str(err)


def test_error_mapping_without_a_server():
    err = error_from_response(409, b'{"error": {"code": "already_exists", "message": "taken",'
                                   b' "details": {"name": "x"}}}', "rid")
    assert isinstance(err, plinth.AlreadyExistsError) and not isinstance(err, plinth.ConflictError)
    assert (err.status, err.code, err.message, err.details, err.request_id) == (
        409, "already_exists", "taken", {"name": "x"}, "rid")
    err = error_from_response(409, b'{"error": {"code": "conflict", "message": "finished"}}')
    assert isinstance(err, plinth.ConflictError) and err.details == {}
    err = error_from_response(502, b"<html>bad gateway</html>")
    assert type(err) is plinth.PlinthError and err.code == "http_502" and "bad gateway" in err.message
    err = error_from_response(404, b"")
    assert isinstance(err, plinth.NotFoundError) and err.message == "Not Found"


def test_keep_alive_reuses_one_connection(admin):
    admin.whoami()
    sock = admin._transport._conn.sock
    assert sock is not None
    for _ in range(5):
        admin.whoami()
    assert admin._transport._conn.sock is sock


def test_reconnects_after_the_server_drops_the_connection(server):
    with plinth.Client(server.url, server.admin_token) as client:
        client.whoami()
        sock = client._transport._conn.sock
        sock.shutdown(socket.SHUT_RDWR)  # as if the server had closed the idle connection
        assert client.whoami()["role"] == "admin"
        assert client._transport.reconnects == 1
        assert client._transport._conn.sock is not sock


def test_post_after_the_server_closed_an_idle_connection_is_sent_once(tmp_path):
    with PlinthServer(tmp_path / "data", extra_args=["--idle-timeout", "1"]) as srv:
        with plinth.Client(srv.url, srv.admin_token) as client:
            experiment = client.create_experiment("idle")
            for expected_reconnects in (1, 2):
                time.sleep(1.5)  # past the server's idle timeout: it closes the connection
                client.create_run(experiment["id"])
                assert client._transport.reconnects == expected_reconnects
            assert len(client.search_runs(experiment["id"])) == 2


def test_no_retry_when_the_server_is_gone():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens on this port now
    with plinth.Client(f"http://127.0.0.1:{port}", "t", timeout=5) as client:
        with pytest.raises(ConnectionRefusedError):
            client.whoami()
        assert client._transport.reconnects == 0


def test_client_needs_a_url(monkeypatch):
    monkeypatch.delenv("PLINTH_URL", raising=False)
    with pytest.raises(ValueError):
        plinth.Client()
    with pytest.raises(ValueError):
        plinth.Client("ftp://host")

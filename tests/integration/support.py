"""Helpers shared by the integration tests: assertions on the documented error shape, paging,
tokens per role, raw-socket HTTP, and finding plinth's SQLite database and blobs in a data dir.

Standard library only.
"""

import hashlib
import json
import pathlib
import re
import select
import socket
import sqlite3
import subprocess
import time
import urllib.parse
import uuid

from plinth_server import PlinthServer, plinth_binary  # noqa: F401  (re-exported)

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
ZERO_ID = "0" * 32
GENESIS = "0" * 64


def uniq(prefix="t"):
    """A fresh valid name (letters, digits, '-')."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def q(text):
    """Quotes one path segment or query value."""
    return urllib.parse.quote(text, safe="")


def expect(resp, status):
    """Asserts the status and returns the parsed body."""
    st, body, _ = resp
    assert st == status, f"expected HTTP {status}, got {st}: {body!r}"
    return body


def assert_error(resp, status, code=None, mentions=None):
    """Asserts the documented error answer: status, JSON {"error": {"code", "message"}}."""
    st, body, hdrs = resp
    assert st == status, f"expected HTTP {status}, got {st}: {body!r}"
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), \
        f"HTTP {st} without the documented JSON error body: {body!r}"
    err = body["error"]
    assert isinstance(err.get("code"), str) and err["code"], f"error without a code: {body!r}"
    assert isinstance(err.get("message"), str) and err["message"], \
        f"error without a message: {body!r}"
    if "details" in err:
        assert isinstance(err["details"], dict), f"error details is not an object: {body!r}"
    if code is not None:
        assert err["code"] == code, f"expected error code {code!r}, got {err['code']!r}: {body!r}"
    if mentions is not None:
        assert mentions in err["message"], \
            f"error message should name {mentions!r}: {err['message']!r}"
    ctype = hdrs.get("content-type", "")
    assert "application/json" in ctype, f"error answered with Content-Type {ctype!r}"
    return err


def assert_live(srv):
    """The server still answers its liveness probe."""
    assert srv.proc is not None and srv.proc.poll() is None, \
        f"plinth server process has exited with {srv.proc.returncode if srv.proc else None}"
    st, body, _ = srv.request("GET", "/v2/health/live", token=None)
    assert st == 200 and body == {"live": True}, f"/v2/health/live answered {st} {body!r}"


def with_query(path, **params):
    params = {k: v for k, v in params.items() if v is not None}
    if not params:
        return path
    sep = "&" if "?" in path else "?"
    return path + sep + urllib.parse.urlencode(params)


def assert_list_shape(body):
    assert isinstance(body, dict), f"a list answer must be an object: {body!r}"
    assert isinstance(body.get("items"), list), f"list answer without items: {body!r}"
    assert isinstance(body.get("next_page_token"), str), \
        f"list answer without a string next_page_token: {body!r}"


def list_all(srv, path, token="admin", limit=None, max_pages=10000):
    """Follows next_page_token through a GET list; returns all items and the number of pages."""
    items, page_token, pages = [], None, 0
    while True:
        body = expect(srv.request("GET", with_query(path, limit=limit, page_token=page_token),
                                  token=token), 200)
        assert_list_shape(body)
        items.extend(body["items"])
        pages += 1
        page_token = body["next_page_token"]
        if not page_token:
            return items, pages
        assert pages < max_pages, f"paging through {path} did not end"


def search_all(srv, body, token="admin", max_pages=1000):
    items, page_token, pages = [], None, 0
    while True:
        req = dict(body)
        if page_token:
            req["page_token"] = page_token
        res = expect(srv.request("POST", "/api/v1/runs/search", req, token=token), 200)
        assert_list_shape(res)
        items.extend(res["items"])
        pages += 1
        page_token = res["next_page_token"]
        if not page_token:
            return items, pages
        assert pages < max_pages, "paging through runs/search did not end"


class Token:
    def __init__(self, obj):
        self.id = obj["id"]
        self.name = obj["name"]
        self.role = obj["role"]
        self.secret = obj["token"]


def make_token(srv, role, name=None):
    obj = expect(srv.request("POST", "/api/v1/tokens",
                             {"name": name or uniq(role), "role": role}), 201)
    return Token(obj)


def make_experiment(srv, token="admin", name=None, tags=None):
    body = {"name": name or uniq("exp")}
    if tags is not None:
        body["tags"] = tags
    return expect(srv.request("POST", "/api/v1/experiments", body, token=token), 201)


def make_run(srv, experiment_id, token="admin", **fields):
    body = {"experiment_id": experiment_id, **fields}
    return expect(srv.request("POST", "/api/v1/runs", body, token=token), 201)


def stop_checked(srv):
    """Stops a server that must still be running; a server that died mid-module, or that does
    not exit 0 on SIGTERM, is an error."""
    died = srv.proc is not None and srv.proc.poll() is not None
    code = srv.proc.returncode if died else None
    stop_code = srv.stop()
    assert not died, f"plinth server died during the module with exit code {code}; " \
                     f"see {srv.data_dir / 'server.log'}"
    assert stop_code == 0, f"plinth server exited with {stop_code} on SIGTERM at the end of " \
                           f"the module (want 0); see {srv.data_dir / 'server.log'}"


# --- audit -------------------------------------------------------------------------------------

def audit_events(srv, token="admin", after_seq=None):
    path = "/api/v1/audit" if after_seq is None else with_query("/api/v1/audit", after_seq=after_seq)
    items, _ = list_all(srv, path, token=token, limit=1000)
    return items


def audit_verify(srv, token="admin"):
    return expect(srv.request("GET", "/api/v1/audit/verify", token=token), 200)


def event_hash(event):
    canonical = json.dumps({k: event[k] for k in
                            ("action", "actor", "details", "resource", "seq", "time_ms")},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((event["prev_hash"] + "\n" + canonical).encode()).hexdigest()


def recheck_chain(events):
    """Re-checks the documented hash chain client-side; returns the first bad seq or None."""
    prev = GENESIS
    for i, ev in enumerate(events, start=1):
        if ev.get("seq") != i or ev.get("prev_hash") != prev or event_hash(ev) != ev.get("hash"):
            return i
        prev = ev["hash"]
    return None


# --- the data dir ------------------------------------------------------------------------------

def sqlite_files(data_dir):
    out = []
    for p in sorted(pathlib.Path(data_dir).rglob("*")):
        if p.is_file():
            with open(p, "rb") as f:
                if f.read(16) == b"SQLite format 3\x00":
                    out.append(p)
    return out


def find_audit_table(data_dir):
    """(db path, table, columns) of the table that holds the audit events."""
    found = []
    for db in sqlite_files(data_dir):
        con = sqlite3.connect(str(db))
        try:
            tables = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            for t in tables:
                cols = [r[1] for r in con.execute(f'PRAGMA table_info("{t}")')]
                if "seq" in cols and "prev_hash" in cols:
                    found.append((db, t, cols))
        finally:
            con.close()
    assert found, f"no SQLite table with seq and prev_hash columns under {data_dir} " \
                  f"(SQLite files: {sqlite_files(data_dir)})"
    return found[0]


def files_under(data_dir):
    return [p for p in pathlib.Path(data_dir).rglob("*") if p.is_file()]


def blob_files(data_dir, content):
    """Files under the data dir that store `content`: named by its SHA-256, or holding its bytes."""
    digest = sha256(content)
    out = []
    for p in files_under(data_dir):
        rel = p.relative_to(data_dir)
        if digest in "".join(rel.parts):
            out.append(p)
            continue
        try:
            if p.stat().st_size == len(content) and p.read_bytes() == content:
                out.append(p)
        except OSError:
            pass
    return out


# --- the CLI -----------------------------------------------------------------------------------

def cli(*args, timeout=30):
    return subprocess.run([plinth_binary(), *args], capture_output=True, text=True,
                          timeout=timeout)


def cli_audit_verify_available():
    try:
        res = cli("audit", "verify", "--help", timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return res.returncode == 0


# --- raw sockets -------------------------------------------------------------------------------

def connect(port, timeout=5.0):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


class HttpReader:
    """Reads successive HTTP responses from one socket (keeps bytes past the first response)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def next(self, timeout=5.0):
        """(status, headers, body) of the next response, or None if the server closed or reset
        the connection (or said nothing within `timeout`) before a whole response head."""
        self.sock.settimeout(timeout)
        deadline = time.time() + timeout
        head = None
        while True:
            if head is None and b"\r\n\r\n" in self.buf:
                head, _, self.buf = self.buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split()[1])
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0") or 0)
            if head is not None and len(self.buf) >= length:
                body, self.buf = self.buf[:length], self.buf[length:]
                return status, headers, body
            if time.time() >= deadline:
                break
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                break
            self.buf += chunk
        if head is not None:
            body, self.buf = self.buf, b""
            return status, headers, body
        return None


def read_http_response(sock, timeout=5.0):
    """One response from a fresh socket; see HttpReader.next."""
    return HttpReader(sock).next(timeout)


def send_streaming(port, head, body, chunk=64 * 1024, timeout=10.0):
    """Sends a request head and then its body in chunks, stopping early if the server answers
    before the body is complete (as it may for a body over the limit). Returns what
    read_http_response returns."""
    sock = connect(port, timeout)
    try:
        sock.sendall(head)
        sent = 0
        try:
            while sent < len(body):
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                sock.sendall(body[sent:sent + chunk])
                sent += chunk
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_http_response(sock, timeout)
    finally:
        sock.close()


def request_head(method, path, token=None, headers=None, content_length=None):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if content_length is not None:
        lines.append(f"Content-Length: {content_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()

"""Starts a real `build/plinth server` on 127.0.0.1, port 0, for integration tests and client tests.

Standard library only. The server writes DATA_DIR/admin.token before DATA_DIR/server.port, so once
the port file exists the server is listening and the admin token is readable.

    with PlinthServer(tmp_path) as srv:
        srv.url, srv.admin_token, srv.request("GET", "/api/v1/whoami")
"""

import http.client
import json
import os
import pathlib
import signal
import subprocess
import time

REPO = pathlib.Path(__file__).resolve().parents[2]


def plinth_binary():
    return os.environ.get("PLINTH_BIN", str(REPO / "build" / "plinth"))


class PlinthServer:
    def __init__(self, data_dir, extra_args=(), start_timeout=20.0):
        self.data_dir = pathlib.Path(data_dir)
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.admin_token = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port_file = self.data_dir / "server.port"
        if port_file.exists():
            port_file.unlink()
        self.log = open(self.data_dir / "server.log", "ab")
        self.proc = subprocess.Popen(
            [plinth_binary(), "server", "--data-dir", str(self.data_dir),
             "--host", "127.0.0.1", "--port", "0", *self.extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + self.start_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"plinth server exited with {self.proc.returncode}; "
                                   f"see {self.data_dir / 'server.log'}")
            if port_file.exists():
                text = port_file.read_text().strip()
                if text:
                    self.port = int(text)
                    self.admin_token = (self.data_dir / "admin.token").read_text().strip()
                    return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("plinth server did not write server.port in time")

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Stops the server with `sig` (SIGKILL for a crash) and returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        self.log.close()
        return code

    def restart(self):
        self.stop()
        return self.start()

    def request(self, method, path, body=None, token="admin", headers=None, raw=False):
        """One HTTP request. `token="admin"` uses the admin token, None sends none.

        `body` may be a dict/list (sent as JSON), bytes or str (sent as is). Returns
        (status, parsed JSON or bytes when raw or not JSON, response headers as a dict).
        """
        hdrs = dict(headers or {})
        if token == "admin":
            token = self.admin_token
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            resp_headers = {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()
        if raw:
            return resp.status, data, resp_headers
        try:
            return resp.status, json.loads(data) if data else None, resp_headers
        except ValueError:
            return resp.status, data, resp_headers

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

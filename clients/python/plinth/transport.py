"""HTTP transport and errors for the plinth client.

`Transport` sends one request at a time over a single keep-alive `http.client` connection and
turns every non-2xx answer into a `PlinthError` (a subclass chosen by the server's error code).
Standard library only.
"""

import http.client
import json
import threading
import urllib.parse

__all__ = [
    "PlinthError", "InvalidArgumentError", "UnauthenticatedError", "PermissionDeniedError",
    "NotFoundError", "MethodNotAllowedError", "AlreadyExistsError", "ConflictError",
    "PayloadTooLargeError", "UnsupportedMediaTypeError", "FailedPreconditionError",
    "ResourceExhaustedError", "InternalError", "UnavailableError", "Transport",
]


class PlinthError(Exception):
    """A non-2xx answer from the server.

    Attributes:
      status:     the HTTP status (int).
      code:       the server's snake_case error code (`"not_found"`, `"conflict"`, ...). When the
                  body is not plinth's `{"error": {...}}` shape (say, from a proxy), the code is
                  the one docs/api.md pairs with the status, else `"http_<status>"`.
      message:    the server's one-sentence message.
      details:    the server's `details` object (a dict, empty when absent).
      request_id: the answer's `X-Request-Id`, for finding the request in the server's log.
    """

    code_default = None

    def __init__(self, status, code, message, details=None, request_id=None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.request_id = request_id


class InvalidArgumentError(PlinthError):
    """400 invalid_argument: a field, name or value was malformed."""


class UnauthenticatedError(PlinthError):
    """401 unauthenticated: missing, unknown or revoked token."""


class PermissionDeniedError(PlinthError):
    """403 permission_denied: the token's role is too low, or the action is forbidden to it."""


class NotFoundError(PlinthError):
    """404 not_found."""


class MethodNotAllowedError(PlinthError):
    """405 method_not_allowed."""


class AlreadyExistsError(PlinthError):
    """409 already_exists: a create named something that exists."""


class ConflictError(PlinthError):
    """409 conflict: the object's state does not allow the request (a changed param, a second finish)."""


class PayloadTooLargeError(PlinthError):
    """413 payload_too_large."""


class UnsupportedMediaTypeError(PlinthError):
    """415 unsupported_media_type."""


class FailedPreconditionError(PlinthError):
    """422 failed_precondition (e.g. an alias set to a version that is not Approved)."""


class ResourceExhaustedError(PlinthError):
    """429 resource_exhausted."""


class InternalError(PlinthError):
    """500 internal."""


class UnavailableError(PlinthError):
    """503 unavailable."""


_BY_CODE = {
    "invalid_argument": InvalidArgumentError,
    "unauthenticated": UnauthenticatedError,
    "permission_denied": PermissionDeniedError,
    "not_found": NotFoundError,
    "method_not_allowed": MethodNotAllowedError,
    "already_exists": AlreadyExistsError,
    "conflict": ConflictError,
    "payload_too_large": PayloadTooLargeError,
    "unsupported_media_type": UnsupportedMediaTypeError,
    "failed_precondition": FailedPreconditionError,
    "resource_exhausted": ResourceExhaustedError,
    "internal": InternalError,
    "unavailable": UnavailableError,
}

_CODE_BY_STATUS = {
    400: "invalid_argument", 401: "unauthenticated", 403: "permission_denied", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "failed_precondition", 429: "resource_exhausted",
    500: "internal", 503: "unavailable",
}


def error_from_response(status, body, request_id=None):
    """Builds the PlinthError for a non-2xx answer with raw `body` (bytes)."""
    code, message, details = None, None, None
    try:
        err = json.loads(body.decode("utf-8")).get("error")
        if isinstance(err, dict):
            code, message, details = err.get("code"), err.get("message"), err.get("details")
    except (ValueError, AttributeError, UnicodeDecodeError):
        pass
    if not code:
        code = _CODE_BY_STATUS.get(status, f"http_{status}")
    if message is None:
        text = body.decode("utf-8", "replace").strip() if body else ""
        message = text[:500] or http.client.responses.get(status, "error")
    cls = _BY_CODE.get(code, PlinthError)
    return cls(status, code, message, details if isinstance(details, dict) else None, request_id)


# A failure of this kind on a reused connection almost always means the server closed it while it
# sat idle, before the request reached the server; the request is then sent once more on a fresh
# connection. A failure on a fresh connection is raised.
_STALE_CONNECTION_ERRORS = (ConnectionError, http.client.BadStatusLine,
                            http.client.CannotSendRequest, http.client.ResponseNotReady)


class Transport:
    """One keep-alive HTTP connection to a plinth server.

    Thread-safe: requests from several threads are serialized on the one connection. A request
    that fails because the server dropped an idle keep-alive connection is sent once more on a
    fresh connection; any other network failure raises the `OSError` (or `http.client` error).
    """

    def __init__(self, url, token=None, timeout=60.0):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be http://host:port or https://host:port, got {url!r}")
        self.url = url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._conn = None
        self._lock = threading.Lock()
        self.reconnects = 0  # how many stale connections were replaced; for tests and debugging

    def close(self):
        """Closes the connection; the next request opens a new one."""
        with self._lock:
            self._drop()

    def _drop(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self):
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self._timeout)
        return self._conn

    def request(self, method, path, query=None, json_body=None, data=None, content_type=None,
                sink=None, headers=None):
        """Sends one request and returns the answer.

        path:      starts with `/`, already percent-encoded.
        query:     dict of query parameters; `None` values are left out.
        json_body: an object sent as JSON; or `data`: bytes or a seekable binary file sent as
                   is (`content_type` defaults to application/octet-stream).
        sink:      a binary file; a 2xx body is streamed into it and None returned.
        headers:   extra request headers (e.g. X-Routing-Key, Accept).

        Returns the parsed JSON for a JSON answer, bytes for any other body, None for an empty one.
        Raises PlinthError (a subclass by code) for any non-2xx answer.
        """
        if query:
            pairs = [(k, v) for k, v in query.items() if v is not None]
            if pairs:
                path = f"{path}?{urllib.parse.urlencode(pairs)}"
        extra = headers or {}
        headers = {"Accept": "application/json"}
        headers.update(extra)
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        body = None
        if json_body is not None:
            body = json.dumps(json_body, allow_nan=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif data is not None:
            body = data
            headers["Content-Type"] = content_type or "application/octet-stream"
            if hasattr(data, "seek"):
                start = data.tell()
                data.seek(0, 2)
                headers["Content-Length"] = str(data.tell() - start)
                data.seek(start)
        elif method in ("POST", "PUT"):
            headers["Content-Length"] = "0"
        start = body.tell() if hasattr(body, "seek") else None

        with self._lock:
            for attempt in (0, 1):
                conn = self._connection()
                reused = conn.sock is not None
                try:
                    conn.request(method, self._prefix + path, body=body, headers=headers)
                    resp = conn.getresponse()
                except _STALE_CONNECTION_ERRORS:
                    self._drop()
                    if reused and attempt == 0:
                        self.reconnects += 1
                        if start is not None:
                            body.seek(start)
                        continue
                    raise
                except BaseException:
                    self._drop()
                    raise
                try:
                    return self._read(resp, sink)
                except BaseException:
                    self._drop()  # a half-read answer leaves the connection unusable
                    raise
                finally:
                    if resp.will_close:
                        self._drop()

    @staticmethod
    def _read(resp, sink):
        request_id = resp.getheader("X-Request-Id")
        if not 200 <= resp.status < 300:
            raise error_from_response(resp.status, resp.read(), request_id)
        if sink is not None:
            while True:
                chunk = resp.read(1 << 20)
                if not chunk:
                    return None
                sink.write(chunk)
        data = resp.read()
        if not data:
            return None
        ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == "application/json" or ctype.endswith("+json"):
            return json.loads(data.decode("utf-8"))
        return data

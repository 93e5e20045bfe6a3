"""Helpers shared by the client's method groups: percent-encoded path segments, polling."""

import time
import urllib.parse


def seg(value):
    """One percent-encoded path segment."""
    return urllib.parse.quote(str(value), safe="")


def wait_until(fetch, done, timeout, poll, what):
    """Calls `fetch()` every `poll` seconds until `done(obj)`; returns obj. TimeoutError after
    `timeout` seconds (None: forever)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        obj = fetch()
        if done(obj):
            return obj
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"{what} did not finish within {timeout} s")
        time.sleep(poll)

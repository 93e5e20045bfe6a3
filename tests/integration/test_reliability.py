"""Crash safety: kill -9 while clients log metrics; every acknowledged batch survives."""

import http.client
import json
import os
import signal
import threading
import time

from support import (audit_events, audit_verify, connect, expect, list_all, make_experiment,
                     make_run, recheck_chain, request_head, sha256)

WORKERS = 4
BATCH = 100
MAX_BATCHES = 3000  # per worker, to bound the run


def _worker(port, token, run_id, key, acked, failures, stop):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for b in range(MAX_BATCHES):
        if stop.is_set():
            break
        metrics = [{"key": key, "value": b * BATCH + j + 0.25, "step": b * BATCH + j,
                    "timestamp": 1_700_000_000_000 + b} for j in range(BATCH)]
        try:
            conn.request("POST", f"/api/v1/runs/{run_id}/metrics",
                         json.dumps({"metrics": metrics}), headers)
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            break  # the server is gone; this batch was not acknowledged
        if resp.status == 200:
            acked.append(b)
        else:
            failures.append((b, resp.status, body[:200]))
            break
    conn.close()


def test_acknowledged_metrics_survive_kill_9_and_the_chain_verifies(fresh_server):
    srv = fresh_server.start()
    exp = make_experiment(srv)
    run = make_run(srv, exp["id"])
    acked = {w: [] for w in range(WORKERS)}
    failures = []
    stop = threading.Event()
    threads = [threading.Thread(target=_worker, args=(srv.port, srv.admin_token, run["id"],
                                                      f"w{w}", acked[w], failures, stop))
               for w in range(WORKERS)]
    for t in threads:
        t.start()
    # let them log for a while, and make sure every worker has been acknowledged at least once
    deadline = time.time() + 10
    time.sleep(0.4)
    while time.time() < deadline and not all(acked.values()):
        time.sleep(0.05)
    code = srv.stop(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join(timeout=20)
    assert code == -signal.SIGKILL, f"server exited with {code} before the kill"
    assert not failures, f"batches refused before the crash: {failures}"
    assert all(acked.values()), f"some worker was never acknowledged: {acked}"

    srv.start()
    total = 0
    for w in range(WORKERS):
        items, _ = list_all(srv, f"/api/v1/runs/{run['id']}/metrics/w{w}", limit=1000)
        got = {h["step"]: h["value"] for h in items}
        assert len(got) == len(items), f"w{w}: a metric point is duplicated after restart"
        for b in acked[w]:
            for j in range(BATCH):
                step = b * BATCH + j
                assert got.get(step) == step + 0.25, \
                    f"w{w}: acknowledged batch {b} lost step {step} after kill -9"
        # all-or-nothing: batches that were in flight are either whole or absent
        batches = {s // BATCH for s in got}
        for b in batches:
            n = sum(1 for j in range(BATCH) if b * BATCH + j in got)
            assert n == BATCH, f"w{w}: batch {b} is partly there ({n} of {BATCH})"
        total += len(acked[w])

    v = audit_verify(srv)
    assert v["ok"] is True and v["first_bad_seq"] is None, v
    events = audit_events(srv)
    assert recheck_chain(events) is None
    logged = [e for e in events if e["action"] == "run.metrics"]
    assert len(logged) >= total, f"{total} batches acknowledged, {len(logged)} run.metrics events"
    # the server still takes writes after the crash
    expect(srv.request("POST", f"/api/v1/runs/{run['id']}/metrics",
                       {"metrics": [{"key": "after", "value": 1.0}]}), 200)
    assert audit_verify(srv)["ok"] is True


def test_an_upload_cut_off_by_kill_9_leaves_the_previous_artifact(fresh_server):
    srv = fresh_server.start()
    exp = make_experiment(srv)
    run = make_run(srv, exp["id"])
    path = f"/api/v1/runs/{run['id']}/artifacts/model.bin"
    old = os.urandom(100_000)
    expect(srv.request("PUT", path, old), 201)
    # replace it, but the server dies half way through the body
    sock = connect(srv.port)
    try:
        sock.sendall(request_head("PUT", path, token=srv.admin_token,
                                  headers={"Content-Type": "application/octet-stream"},
                                  content_length=8 << 20))
        sock.sendall(os.urandom(4 << 20))
        time.sleep(0.2)
        assert srv.stop(signal.SIGKILL) == -signal.SIGKILL
    finally:
        sock.close()
    srv.start()
    st, got, _ = srv.request("GET", path, raw=True)
    assert st == 200 and got == old, f"after kill -9 mid-upload: {st}, {len(got)} bytes"
    listing = expect(srv.request("GET", f"/api/v1/runs/{run['id']}/artifacts"), 200)["items"]
    assert listing == [{"path": "model.bin", "sha256": sha256(old), "size": len(old)}]
    assert audit_verify(srv)["ok"] is True

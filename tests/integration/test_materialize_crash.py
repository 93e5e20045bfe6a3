"""kill -9 of the server in the middle of a materialization job, then running it again, ends with
every entity's latest value online: no gaps, no stale or doubled values (issue 4, faults)."""

import time

from plinth_server import PlinthServer
from support import expect

N = 200_000
NOW_MS = int(time.time() * 1000)


def value(entity, version):
    return entity * 2 + version / 4


def history_csv():
    """Two versions per entity: the older an hour before the newer, which must win."""
    lines = ["eid,event_timestamp,v"]
    for version, t in ((0, NOW_MS - 2 * 3600_000), (1, NOW_MS - 3600_000)):
        lines.extend(f"{e},{t},{value(e, version)}" for e in range(N))
    return ("\n".join(lines) + "\n").encode()


def read_all(srv):
    """Every entity's online value, read back in batches."""
    values, statuses = [], []
    for start in range(0, N, 10_000):
        body = expect(srv.request("POST", "/api/v1/features/online",
                                  {"features": ["crash_view:v"],
                                   "entities": {"eid": list(range(start, min(N, start + 10_000)))}}),
                      200)
        values += body["results"][1]["values"]
        statuses += body["results"][1]["statuses"]
    return values, statuses


def test_a_materialization_killed_midway_and_run_again_has_no_gaps(tmp_path):
    srv = PlinthServer(tmp_path / "data").start()
    try:
        expect(srv.request("POST", "/api/v1/entities",
                           {"name": "crash_entity", "join_keys": [{"name": "eid", "type": "int"}]}), 201)
        expect(srv.request("POST", "/api/v1/feature-views",
                           {"name": "crash_view", "entities": ["crash_entity"], "ttl_seconds": 0,
                            "features": [{"name": "v", "type": "float"}]}), 201)
        st, body, _ = srv.request("POST", "/api/v1/feature-views/crash_view/ingest", history_csv(),
                                  headers={"Content-Type": "text/csv"}, raw=True)
        assert st == 201, body
        window = {"start": 0, "end": NOW_MS + 1}
        job = expect(srv.request("POST", "/api/v1/feature-views/crash_view/materialize", window), 202)
        # Kill the server once some records are online, before the job is done.
        deadline = time.time() + 30
        while time.time() < deadline:
            job = expect(srv.request("GET", f"/api/v1/feature-views/crash_view/materializations/{job['id']}"), 200)
            if job["rows_written"] > 0 or job["status"] != "running":
                break
        assert job["status"] == "running" and 0 < job["rows_written"] < N, \
            f"the job must be caught midway to test an interruption: {job}"
        srv.proc.kill()
        srv.proc.wait(timeout=10)

        srv.start()
        after = expect(srv.request("GET", f"/api/v1/feature-views/crash_view/materializations/{job['id']}"), 200)
        assert after["status"] == "interrupted", after
        values, statuses = read_all(srv)
        assert 0 < statuses.count("PRESENT") < N, "the killed job left part of the view online"

        again = expect(srv.request("POST", "/api/v1/feature-views/crash_view/materialize",
                                   {**window, "wait": True}), 200)
        assert again["status"] == "succeeded" and again["entities"] == N, again
        values, statuses = read_all(srv)
        assert statuses == ["PRESENT"] * N
        wrong = [e for e in range(N) if abs(values[e] - value(e, 1)) > 1e-9]
        assert not wrong, f"{len(wrong)} entities do not hold their latest value, e.g. {wrong[:5]}"
    finally:
        srv.stop()

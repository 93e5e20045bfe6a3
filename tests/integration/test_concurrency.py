"""Races: the rules that say "once" (names, params, finishing, decisions) hold under concurrency,
and the audit chain stays whole."""

import os
import threading

from support import (audit_verify, audit_events, expect, make_experiment, make_run, make_token,
                     recheck_chain, uniq)

N = 8


def _race(fns):
    """Runs the callables at the same moment; returns their results in order."""
    results = [None] * len(fns)
    barrier = threading.Barrier(len(fns))

    def go(i):
        barrier.wait()
        results[i] = fns[i]()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _statuses(results):
    return sorted(r[0] for r in results)


def test_one_winner_when_creating_the_same_experiment_name(server):
    name = uniq("race")
    res = _race([lambda: server.request("POST", "/api/v1/experiments", {"name": name})] * N)
    assert _statuses(res) == [201] + [409] * (N - 1), [r[:2] for r in res]
    items = expect(server.request("GET", f"/api/v1/experiments?name={name}"), 200)["items"]
    assert len(items) == 1


def test_one_value_wins_when_setting_a_param_concurrently(server):
    exp = make_experiment(server)
    run = make_run(server, exp["id"])
    path = f"/api/v1/runs/{run['id']}/params"
    res = _race([lambda v=v: server.request("POST", path, {"params": {"lr": str(v)}})
                 for v in range(N)])
    assert _statuses(res) == [200] + [409] * (N - 1), [r[:2] for r in res]
    winner = next(r[1]["params"]["lr"] for r in res if r[0] == 200)
    assert expect(server.request("GET", path), 200) == {"params": {"lr": winner}}


def test_a_run_finishes_once_under_concurrent_finishes(server):
    exp = make_experiment(server)
    run = make_run(server, exp["id"])
    path = f"/api/v1/runs/{run['id']}/finish"
    res = _race([lambda s=s: server.request("POST", path, {"status": s})
                 for s in ["FINISHED", "FAILED"] * (N // 2)])
    assert _statuses(res) == [200] + [409] * (N - 1), [r[:2] for r in res]
    winner = next(r[1] for r in res if r[0] == 200)
    got = expect(server.request("GET", f"/api/v1/runs/{run['id']}"), 200)
    assert got["status"] == winner["status"] and got["end_ms"] == winner["end_ms"]


def test_one_decision_wins_when_approvers_race(server):
    approvers = [make_token(server, "approver").secret for _ in range(N)]
    sha = expect(server.request("POST", "/api/v1/uploads", os.urandom(64)), 201)["sha256"]
    model = uniq("m")
    expect(server.request("POST", f"/api/v1/models/{model}/versions",
                          {"upload_sha256": sha, "flavor": "custom"}), 201)
    path = f"/api/v1/models/{model}/versions/1/"
    res = _race([lambda i=i: server.request("POST", path + ("approve" if i % 2 else "reject"),
                                            {"comment": str(i)}, token=approvers[i])
                 for i in range(N)])
    assert _statuses(res) == [200] + [409] * (N - 1), [r[:2] for r in res]
    winner = next(r[1] for r in res if r[0] == 200)
    got = expect(server.request("GET", path.rstrip("/")), 200)
    assert got["status"] == winner["status"] and got["decided_by"] == winner["decided_by"]


def test_concurrent_writers_leave_a_whole_audit_chain(server):
    exp = make_experiment(server)
    runs = [make_run(server, exp["id"])["id"] for _ in range(N)]
    before = len(audit_events(server))

    def writer(rid):
        def go():
            out = []
            for i in range(10):
                out.append(server.request("POST", f"/api/v1/runs/{rid}/metrics",
                                          {"metrics": [{"key": "m", "value": i, "step": i}]})[0])
                out.append(server.request("POST", f"/api/v1/runs/{rid}/tags",
                                          {"tags": {"i": str(i)}})[0])
            return out
        return go

    res = _race([writer(r) for r in runs])
    assert all(s == 200 for r in res for s in r), res
    events = audit_events(server)
    assert len(events) - before == N * 20
    assert recheck_chain(events) is None
    v = audit_verify(server)
    assert v["ok"] is True and v["events"] == len(events), v


def test_non_ascii_text_keeps_the_chain_checkable_by_clients(server):
    make_experiment(server, tags={"owner": "Zoë Ångström", "note": "日本語 ✓ \"quoted\" \\ tab\t"})
    exp = make_experiment(server)
    run = make_run(server, exp["id"], name="résumé-run", tags={"emoji": "🚀"})
    expect(server.request("POST", f"/api/v1/runs/{run['id']}/params",
                          {"params": {"text": "naïve café", "ctrl": "\u0001\u001f"}}), 200)
    events = audit_events(server)
    assert recheck_chain(events) is None
    assert audit_verify(server)["ok"] is True

#!/usr/bin/env python3
"""Online feature reads: plinth's POST /api/v1/features/online vs Redis GET, one run.

plinth: a server pinned to one core (taskset -c 1, --threads 1) serves 10,000 zones x 10 float
features, materialized from the offline store; wrk (1 thread, 8 keep-alive connections, pinned
to core 0) POSTs {"features": [10 refs], "entities": {"zone_id": [1 zone]}} through a Lua
script. Before timing, the answer is checked against the ingested values. Then Debian's
redis-server, on a free loopback port with --save '' and pinned to core 1 too, is measured with
`redis-benchmark -t get` (8 clients, keep-alive), the reference point for a key-value lookup
over loopback; the ratio is printed. Finally the in-process figure (Google Benchmark,
build/bench/plinth_bench_online): one OnlineStore::Read of 1 entity x 10 features.

After wrk, bench/latency_probe.cc sends the same request the same way (8 connections from core 0)
and prints the p99 of the latencies it measured. wrk's p99 adds made-up samples for every stall
of the machine (coordinated-omission correction; latency_probe.cc explains), which at ~100,000
req/s multiplies each millisecond of stall into hundreds of samples; redis-benchmark, the
reference point, reports measured latencies like the probe.

    /usr/bin/python3 bench/features/online_bench.py [--build-dir build] [--seconds 5]
"""

import argparse
import json
import os
import pathlib
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "harness"))
sys.path.insert(0, str(REPO / "bench"))
from latency_probe import probe  # noqa: E402
from plinth_server import PlinthServer  # noqa: E402

ZONES = 10_000
FEATURES = [f"f{i}" for i in range(10)]
EVENT_MS = 1_700_000_000_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body, token):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def wrk(url, body, token, seconds, workdir):
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = {json.dumps(json.dumps(body))}\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        'done = function(summary, latency, requests)\n'
        '  io.write(string.format("RESULT %d %d %d %d %f\\n", summary.requests,'
        ' summary.errors.status + summary.errors.connect + summary.errors.read +'
        ' summary.errors.write + summary.errors.timeout, latency:percentile(50),'
        ' latency:percentile(99), summary.duration))\nend\n')
    out = subprocess.run(["taskset", "-c", "0", "wrk", "-t1", "-c8", f"-d{seconds}s", "-s",
                          str(script), url], capture_output=True, text=True,
                         timeout=seconds + 30).stdout
    m = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) ([\d.]+)", out)
    requests, errors, p50_us, p99_us, duration_us = m.groups()
    return {"rps": int(requests) / (float(duration_us) / 1e6), "errors": int(errors),
            "p50_ms": int(p50_us) / 1000, "p99_ms": int(p99_us) / 1000}


def redis_get(seconds_hint):
    port = free_port()
    server = subprocess.Popen(["taskset", "-c", "1", "redis-server", "--port", str(port),
                               "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        n = 400_000 if seconds_hint >= 5 else 100_000
        out = subprocess.run(["taskset", "-c", "0", "redis-benchmark", "-h", "127.0.0.1", "-p",
                              str(port), "-t", "get", "-c", "8", "-n", str(n), "-d", "100",
                              "--csv"], capture_output=True, text=True, timeout=120).stdout
        # "GET","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",
        # "p99_latency_ms","max_latency_ms"
        for line in out.splitlines():
            cells = [c.strip('"') for c in line.split(",")]
            if cells and cells[0] == "GET":
                return {"rps": float(cells[1]), "p50_ms": float(cells[4]), "p99_ms": float(cells[6])}
        raise RuntimeError(f"redis-benchmark printed no GET line: {out!r}")
    finally:
        server.terminate()
        server.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--seconds", type=int, default=5)
    args = ap.parse_args()
    build = (REPO / args.build_dir).resolve()
    for tool in ("wrk", "taskset", "redis-server", "redis-benchmark"):
        if not shutil.which(tool):
            sys.exit(f"online_bench: {tool} is not installed (scripts/setup.sh installs it)")
    work = pathlib.Path(tempfile.mkdtemp(prefix="plinth-online-bench-"))
    rng = random.Random(7)
    rows = {z: [round(rng.uniform(0, 100), 4) for _ in FEATURES] for z in range(ZONES)}
    csv = work / "zones.csv"
    with csv.open("w") as f:
        f.write("zone_id,event_timestamp," + ",".join(FEATURES) + "\n")
        for z, values in rows.items():
            f.write(f"{z},{EVENT_MS}," + ",".join(map(str, values)) + "\n")
    data = work / "data"
    data.mkdir()
    subprocess.run([str(build / "tests" / "plinth_feature_seed"), str(data), "--entity",
                    json.dumps({"name": "zone", "join_keys": [{"name": "zone_id", "type": "int"}]}),
                    "--view", json.dumps({"name": "zone_stats", "entities": ["zone"],
                                          "features": [{"name": n, "type": "float"} for n in FEATURES]}),
                    "--ingest", f"zone_stats={csv}"], check=True)
    wrapper = work / "plinth-pinned"
    wrapper.write_text(f"#!/bin/sh\nexec taskset -c 1 {build / 'plinth'} \"$@\"\n")
    wrapper.chmod(0o755)
    os.environ["PLINTH_BIN"] = str(wrapper)
    server = PlinthServer(data, extra_args=["--threads", "1"]).start()
    try:
        job = post(f"{server.url}/api/v1/feature-views/zone_stats/materialize",
                   {"start": 0, "end": EVENT_MS + 1, "wait": True}, server.admin_token)
        assert job["status"] == "succeeded" and job["rows_written"] == ZONES, job
        zone = 4242
        body = {"features": [f"zone_stats:{n}" for n in FEATURES], "entities": {"zone_id": [zone]}}
        url = f"{server.url}/api/v1/features/online"
        answer = post(url, body, server.admin_token)
        got = [col["values"][0] for col in answer["results"][1:]]
        if got != rows[zone] or any(c["statuses"] != ["PRESENT"] for c in answer["results"][1:]):
            sys.exit(f"online_bench: zone {zone} answered {got}, ingested {rows[zone]}")
        print(f"{ZONES} zones x {len(FEATURES)} float features materialized; zone {zone}'s answer "
              f"matches the ingested row")
        wrk(url, body, server.admin_token, 1, work)  # warm-up
        res = wrk(url, body, server.admin_token, args.seconds, work)
        measured = probe(build, url, json.dumps(body).encode(),
                         {"Content-Type": "application/json",
                          "Authorization": f"Bearer {server.admin_token}"}, args.seconds, "0")
    finally:
        server.stop()
    print(f"plinth features/online (1 entity x 10 features, server on 1 core, 8 connections): "
          f"{res['rps']:.0f} req/s  p50 {res['p50_ms']:.3f} ms  p99 {res['p99_ms']:.3f} ms (wrk)  "
          f"errors {res['errors']}  (targets: >= 50,000 req/s per core, p99 <= 1 ms)")
    print(f"  latency probe: {measured['rps']:.0f} req/s  p50 {measured['p50_ms']:.3f} ms  "
          f"p99 {measured['p99_ms']:.3f} ms measured, {measured['wrk_corrected_p99_ms']:.3f} ms "
          f"with wrk's correction; machine stalled {measured['stalled_ms']:.0f} ms in "
          f"{measured['stalls']} stretches")
    redis = redis_get(args.seconds)
    print(f"redis-server GET (1 core, redis-benchmark -t get -c 8): {redis['rps']:.0f} req/s  "
          f"p50 {redis['p50_ms']:.3f} ms  p99 {redis['p99_ms']:.3f} ms")
    print(f"ratio plinth/redis (throughput): {res['rps'] / redis['rps']:.2f}x")
    bench_bin = build / "bench" / "plinth_bench_online"
    if bench_bin.exists():
        out = subprocess.run([str(bench_bin), "--benchmark_min_time=1"], capture_output=True,
                             text=True, timeout=300).stdout
        print("in process (Google Benchmark; target <= 2 us per 1 x 10 lookup):")
        for line in out.splitlines():
            if line.startswith("BM_"):
                print("  " + line)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

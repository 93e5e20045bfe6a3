"""Runs build/bench/plinth_bench_latency_probe (bench/latency_probe.cc) from a benchmark script.

The probe sends one HTTP request over and over on keep-alive connections and reports the
percentiles of the latencies it measured, wrk's coordinated-omission correction applied to the
same samples, and how long the machine stalled (no answer on any connection for over 1 ms).
Benchmarks print its p99 beside wrk's; why both: the header comment of latency_probe.cc.
"""

import json
import pathlib
import subprocess
import tempfile
import urllib.parse


def probe(build_dir, url, body, headers, seconds, core, connections=8):
    """POSTs `body` (bytes) with `headers` to `url` from `connections` connections for `seconds`,
    the probe pinned to `core`; returns the probe's JSON object with latencies in ms."""
    binary = pathlib.Path(build_dir) / "bench" / "plinth_bench_latency_probe"
    if not binary.exists():
        raise SystemExit(f"{binary} is missing: build the project first")
    parts = urllib.parse.urlsplit(url)
    head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(body)}\r\n\r\n"
    with tempfile.NamedTemporaryFile(suffix=".http") as request:
        request.write(head.encode() + body)
        request.flush()
        out = subprocess.run(["taskset", "-c", core, str(binary), "--port", str(parts.port),
                              "--host", parts.hostname, "--request", request.name,
                              "-c", str(connections), "--seconds", str(seconds)],
                             capture_output=True, text=True, timeout=seconds + 30)
    if out.returncode != 0:
        raise SystemExit(f"latency probe failed: {out.stderr.strip()}")
    res = json.loads(out.stdout)
    for key in ("p50", "p99", "p999", "max", "wrk_corrected_p99"):
        res[f"{key}_ms"] = res.pop(f"{key}_us") / 1000
    return res

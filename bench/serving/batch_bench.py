#!/usr/bin/env python3
"""Batch inference from CSV through a running server: the batch job API and `plinth predict`.

Trains the serving benchmark's model (200 trees, depth 6, 20 features), starts build/plinth,
deploys the model, writes a CSV of --rows rows and measures
  * the batch job API: upload, POST /api/v1/batch-jobs, poll until done; prints the job's own
    rows/s (parse + predict + format in the server, 2 threads) and the end-to-end rows/s
    (upload and download included), and checks the predictions against xgboost's;
  * `plinth predict` (the CLI sends rows as JSON in batches of 500) on the first --cli-rows rows.

    /usr/bin/python3 bench/serving/batch_bench.py [--build-dir build] [--rows 500000]
"""

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import xgboost as xgb

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "harness"))
sys.path.insert(0, str(REPO / "bench" / "serving"))
from plinth_server import PlinthServer  # noqa: E402
from evaluator_bench import FEATURE_NAMES, train  # noqa: E402


def write_csv(path, n):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(n, len(FEATURE_NAMES))).astype(np.float32)
    np.savetxt(path, x, fmt="%.6g", delimiter=",", header=",".join(FEATURE_NAMES), comments="")
    return np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32, max_rows=2000)


def cpu_seconds(pid):
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--rows", type=int, default=500000)
    parser.add_argument("--cli-rows", type=int, default=50000)
    args = parser.parse_args()
    os.environ.setdefault("PLINTH_BIN", str(pathlib.Path(args.build_dir).resolve() / "plinth"))
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        booster = train(work / "model.json")
        csv = work / "rows.csv"
        head = write_csv(csv, args.rows)
        data = csv.read_bytes()
        print(f"{args.rows:,} rows, {len(data) / 1e6:.0f} MB of CSV")
        server = PlinthServer(work / "plinth", extra_args=["--max-body-bytes", str(1 << 30)]).start()
        try:
            approver = server.request("POST", "/api/v1/tokens", {"name": "bench-approver",
                                                                 "role": "approver"})[1]["token"]
            sha = server.request("POST", "/api/v1/uploads", (work / "model.json").read_bytes(),
                                 headers={"Content-Type": "application/octet-stream"})[1]["sha256"]
            server.request("POST", "/api/v1/models/bench/versions", {"upload_sha256": sha, "flavor": "xgboost"})
            server.request("POST", "/api/v1/models/bench/versions/1/approve", {}, token=approver)
            server.request("POST", "/api/v1/endpoints", {"name": "bench", "variants": [
                {"name": "a", "model": "bench", "version": 1}]}, token=approver)

            start = time.time()
            status, up, _ = server.request("POST", "/api/v1/uploads", data,
                                           headers={"Content-Type": "application/octet-stream"})
            assert status == 201, up
            cpu_before = cpu_seconds(server.proc.pid)
            status, job, _ = server.request("POST", "/api/v1/batch-jobs",
                                            {"endpoint": "bench", "input": up["sha256"]})
            assert status == 201, job
            while job["status"] not in ("succeeded", "failed"):
                time.sleep(0.02)
                job = server.request("GET", f"/api/v1/batch-jobs/{job['id']}")[1]
            assert job["status"] == "succeeded", job
            cpu = cpu_seconds(server.proc.pid) - cpu_before
            status, out, _ = server.request("GET", f"/api/v1/batch-jobs/{job['id']}/output", raw=True)
            wall = time.time() - start
            lines = out.decode().splitlines()
            assert len(lines) == args.rows + 1, len(lines)
            got = np.array([float(line.split(",")[1]) for line in lines[1:len(head) + 1]], dtype=np.float32)
            want = booster.predict(xgb.DMatrix(head, feature_names=FEATURE_NAMES))
            assert np.array_equal(got, want.astype(np.float32)), "batch job predictions differ from xgboost's"
            print(f"batch job: {job['rows_per_second']:,.0f} rows/s in the server (parse + predict + "
                  f"format, 2 threads); {args.rows / wall:,.0f} rows/s end to end with upload and "
                  f"download ({wall:.2f} s); predictions equal xgboost's")
            print(f"batch job CPU: {cpu:.2f} s of server CPU for the job (reading the blob and "
                  f"storing the output included): {args.rows / cpu:,.0f} rows per CPU-second, so "
                  f"~{2 * args.rows / cpu:,.0f} rows/s on 2 idle cores")

            cli_csv = work / "cli.csv"
            with open(csv) as src, open(cli_csv, "w") as dst:
                for i, line in enumerate(src):
                    if i > args.cli_rows:
                        break
                    dst.write(line)
            start = time.time()
            res = subprocess.run([os.environ["PLINTH_BIN"], "--url", server.url, "--token",
                                  server.admin_token, "predict", "--endpoint", "bench", "--input",
                                  str(cli_csv), "--output", str(work / "preds.csv")],
                                 capture_output=True, text=True)
            assert res.returncode == 0, res.stderr
            secs = time.time() - start
            print(f"plinth predict (HTTP, JSON batches of 500): {args.cli_rows / secs:,.0f} rows/s "
                  f"on {args.cli_rows:,} rows")
        finally:
            server.stop()


if __name__ == "__main__":
    main()

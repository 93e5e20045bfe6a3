#!/usr/bin/python3
"""A lean MLflow-shaped metric-logging peer for bench/metric_logging.py.

FastAPI + uvicorn (Debian 12's python3-fastapi and python3-uvicorn; run with /usr/bin/python3),
one worker process, bound to 127.0.0.1. It serves plinth's route and body shape:

    POST /api/v1/experiments              {"name"}                    -> 201 {"id", "name"}
    POST /api/v1/runs                     {"experiment_id", "name"?}  -> 201 {"id", ...}
    POST /api/v1/runs/{id}/metrics        {"metrics": [{"key","value","step"?,"timestamp"?}]}
                                                                      -> 200 {"logged": N}
    GET  /api/v1/runs/{id}/metrics/{key}  -> 200 {"items": [{"value","step","timestamp"}]}
    GET  /api/v1/runs/{id}/metrics_count  -> 200 {"count": N}   (for the benchmark's check)
    GET  /v2/health/ready                 -> 200 {"ready": true}

Each metric batch goes into sqlite3 (WAL, synchronous=FULL) with one executemany in one
transaction, committed before the answer: durable before the acknowledgement, as plinth. The
table is MLflow's `metrics` shape (key, value, timestamp, step, run_uuid) and, by default, has no
index: inserts are appends, the cheapest write this stack can do, so the peer is as strong as it
can be (reading a history is then a scan, which the benchmark does not time). --index adds
MLflow's own primary key on the metrics table (key, timestamp, step, run_uuid, value), as MLflow's
SQL store has it. A bearer token is accepted and not checked.
Request bodies are parsed with json.loads (cheaper than pydantic models), again so that the peer
is as fast as this stack allows.

Modes (--mode): "async" (default) parses, inserts and commits on the event loop thread, one
batch at a time; "thread" parses on the event loop and runs the insert and commit in Starlette's
thread pool on one shared connection under a lock, so that the fsync of one batch (which releases
the GIL) overlaps the parsing of the next. On a 2-core machine "async" is the faster of the two
(about 1.5x for batches of 1,000, 1.4x for single metrics: handing batches between threads and
the GIL costs more than the overlap saves), so it is the default: the peer is as strong as it can
be.

    /usr/bin/python3 bench/peers/metric_peer.py --db DIR/peer.db --port-file DIR/peer.port
"""

import argparse
import json
import os
import socket
import sqlite3
import threading
import time
import uuid

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

SCHEMA = """
CREATE TABLE IF NOT EXISTS experiments (
  experiment_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, creation_time INTEGER);
CREATE TABLE IF NOT EXISTS runs (
  run_uuid TEXT PRIMARY KEY, experiment_id TEXT NOT NULL, name TEXT, status TEXT,
  start_time INTEGER);
CREATE TABLE IF NOT EXISTS metrics (
  key TEXT NOT NULL, value REAL NOT NULL, timestamp INTEGER NOT NULL, step INTEGER NOT NULL,
  run_uuid TEXT NOT NULL);
"""
# MLflow's own SQL store declares PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan) on
# its metrics table; --index gives the peer that key (is_nan is always false here).
INDEX = ("CREATE UNIQUE INDEX IF NOT EXISTS metrics_mlflow_key"
         " ON metrics (key, timestamp, step, run_uuid, value)")


def error(status, code, message):
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def make_app(db_path, mode, port_file, sock, index=False):
    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(SCHEMA)
    if index:
        conn.execute(INDEX)
    lock = threading.Lock()
    runs = {r[0] for r in conn.execute("SELECT run_uuid FROM runs")}
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    def write_metrics(rows):
        with lock:
            conn.execute("BEGIN")
            try:
                conn.executemany(
                    "INSERT INTO metrics (run_uuid, key, value, step, timestamp) VALUES (?,?,?,?,?)",
                    rows)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @app.on_event("startup")
    async def announce():
        if port_file:
            tmp = port_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(str(sock.getsockname()[1]))
            os.replace(tmp, port_file)

    @app.get("/v2/health/ready")
    async def ready():
        return {"ready": True}

    @app.post("/api/v1/experiments", status_code=201)
    async def create_experiment(request: Request):
        body = json.loads(await request.body())
        exp_id = uuid.uuid4().hex
        with lock:
            conn.execute("INSERT INTO experiments VALUES (?,?,?)",
                         (exp_id, str(body.get("name", exp_id)), int(time.time() * 1000)))
        return {"id": exp_id, "name": body.get("name", exp_id)}

    @app.post("/api/v1/runs", status_code=201)
    async def create_run(request: Request):
        body = json.loads(await request.body())
        run_id = uuid.uuid4().hex
        now = int(time.time() * 1000)
        with lock:
            conn.execute("INSERT INTO runs VALUES (?,?,?,?,?)",
                         (run_id, str(body.get("experiment_id", "")), body.get("name"), "RUNNING", now))
        runs.add(run_id)
        return {"id": run_id, "experiment_id": body.get("experiment_id"), "name": body.get("name"),
                "status": "RUNNING", "start_ms": now}

    @app.post("/api/v1/runs/{run_id}/metrics")
    async def log_metrics(run_id: str, request: Request):
        if run_id not in runs:
            return error(404, "not_found", f"run {run_id} does not exist")
        try:
            metrics = json.loads(await request.body())["metrics"]
            now = int(time.time() * 1000)
            rows = []
            for m in metrics:
                key, value = m["key"], m["value"]
                if not isinstance(key, str) or not isinstance(value, (int, float)):
                    raise TypeError("key must be a string and value a number")
                rows.append((run_id, key, float(value), int(m.get("step", 0)),
                             int(m.get("timestamp", now))))
        except (ValueError, KeyError, TypeError) as exc:
            return error(400, "invalid_argument", f"bad metrics body: {exc}")
        if mode == "thread":
            await run_in_threadpool(write_metrics, rows)
        else:
            write_metrics(rows)
        return Response(b'{"logged": %d}' % len(rows), media_type="application/json")

    @app.get("/api/v1/runs/{run_id}/metrics/{key}")
    async def metric_history(run_id: str, key: str, limit: int = 1000):
        with lock:
            rows = conn.execute(
                "SELECT value, step, timestamp FROM metrics WHERE run_uuid=? AND key=? "
                "ORDER BY rowid LIMIT ?", (run_id, key, limit)).fetchall()
        return {"items": [{"value": v, "step": s, "timestamp": t} for v, s, t in rows],
                "next_page_token": ""}

    @app.get("/api/v1/runs/{run_id}/metrics_count")
    async def metric_count(run_id: str):
        with lock:
            (n,) = conn.execute("SELECT count(*) FROM metrics WHERE run_uuid=?", (run_id,)).fetchone()
        return {"count": n}

    return app


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--mode", choices=["async", "thread"], default="async")
    ap.add_argument("--index", action="store_true",
                    help="MLflow's primary key on metrics (key, timestamp, step, run_uuid, value)")
    args = ap.parse_args()

    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only when the
    # socket says so, and without it uvicorn's separate header and body writes meet Nagle's
    # algorithm and the client's delayed ACK (40 ms per request).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    app = make_app(args.db, args.mode, args.port_file, sock, args.index)
    config = uvicorn.Config(app, log_level="warning", access_log=False, workers=1,
                            backlog=1024, timeout_keep_alive=30)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Metric logging benchmark: plinth against a lean MLflow-shaped peer, in one run, same load.

    /usr/bin/python3 bench/metric_logging.py [--build-dir build] [--rounds 3] [--duration 5]

Starts `build/plinth server --data-dir TMP/plinth --host 127.0.0.1 --port 0` and the peer
(bench/peers/metric_peer.py: FastAPI + uvicorn writing each batch into sqlite3, WAL,
synchronous=FULL, executemany in one transaction), creates an experiment and, for every
measurement, a fresh run on each, then drives both with the same generator
(build/bench/plinth_bench_metric_load: C keep-alive connections sending back to back, every
metric a distinct (key, step)). Rounds alternate plinth and peer:

    batch     B metrics per request (default 1000) on plinth, then on the peer
    single    1 metric per request on plinth, then on the peer

It prints each round, the medians, the ratio plinth/peer and the issue's targets (>= 500,000
metrics/s batched, >= 4x the peer, >= 20,000 single-metric calls/s), plus the CPU each side
used. Then it checks that what was acknowledged landed: for every run it reads the run back
through the API (each key's latest step must be the largest step acknowledged), pages through
one key's whole history on plinth (count and distinct steps must match what was acknowledged),
and, once the servers are stopped, counts each run's stored points in both SQLite files
(acknowledged <= stored <= sent). Exit status 0 when the runs completed without errors and every check passed,
1 otherwise; a missed target is printed, not an error. Results also go to --json-out.

Everything is on 127.0.0.1 and bounded in time; both servers are stopped at the end.
"""

import argparse
import datetime
import http.client
import json
import os
import pathlib
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

REPO = pathlib.Path(__file__).resolve().parents[1]
PEER = REPO / "bench" / "peers" / "metric_peer.py"
KEYS = ["loss", "acc", "lr", "val_loss", "val_acc", "grad_norm", "throughput", "epoch_time", "f1", "auc"]
TARGET_BATCH_MPS = 500_000
TARGET_RATIO = 4.0
TARGET_SINGLE_RPS = 20_000

CLK_TCK = os.sysconf("SC_CLK_TCK")
# A measurement during which the rest of the machine kept more than this many cores busy is
# flagged as disturbed (loopback's kernel work charged outside both processes is well below it).
DISTURBED_CORES = 0.25


def log(msg=""):
    print(msg, flush=True)


def proc_cpu_s(pid):
    """utime + stime of a process, all its threads, in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return float("nan")


def system_busy_s():
    """CPU seconds spent busy by the whole machine so far (all CPUs, from /proc/stat)."""
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)  # idle + iowait
    return (sum(vals[:8]) - idle) / CLK_TCK


def other_load(seconds=1.0):
    """Cores kept busy by the whole machine over a short sample (before anything is started)."""
    b0, t0 = system_busy_s(), time.monotonic()
    time.sleep(seconds)
    return (system_busy_s() - b0) / (time.monotonic() - t0)


def fs_type(path):
    best, kind = "", "?"
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            mnt = parts[1]
            if str(path).startswith(mnt) and len(mnt) >= len(best):
                best, kind = mnt, parts[2]
    return kind


class Server:
    """A server process listening on 127.0.0.1, found through its port file."""

    def __init__(self, name, argv, port_file, log_path, token=None, token_file=None):
        self.name, self.argv, self.port_file = name, argv, pathlib.Path(port_file)
        self.log_path, self.token, self.token_file = log_path, token, token_file
        self.proc = None
        self.port = None
        self.conn = None

    def start(self, timeout=30.0):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            if self.port_file.exists():
                text = self.port_file.read_text().strip()
                if text:
                    self.port = int(text)
                    if self.token_file:
                        self.token = pathlib.Path(self.token_file).read_text().strip()
                    return self
            time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not write {self.port_file} within {timeout} s")

    def request(self, method, path, body=None, expect=(200, 201)):
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if resp.status not in expect:
            raise RuntimeError(f"{self.name}: {method} {path} -> {resp.status} {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def stop(self, timeout=15.0):
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log(f"  {self.name} did not stop on SIGTERM within {timeout} s; killing it")
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        self.log.close()
        return code


def run_generator(gen, server, run_id, args, batch, duration, step_base=0):
    argv = [str(gen), "--host", "127.0.0.1", "--port", str(server.port), "--run", run_id,
            "-c", str(args.connections), "-t", str(args.threads), "-b", str(batch), "--keys", ",".join(KEYS),
            "--duration", str(duration), "--warmup", str(args.warmup),
            "--step-base", str(step_base), "--timeout", "20", "--json"]
    if server.token:
        argv += ["--token", server.token]
    cpu0, sys0, t0 = proc_cpu_s(server.proc.pid), system_busy_s(), time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + args.warmup + 60)
    cpu1, sys1, t1 = proc_cpu_s(server.proc.pid), system_busy_s(), time.monotonic()
    if out.returncode != 0:
        raise RuntimeError(f"generator failed ({out.returncode}): {out.stderr.strip()}")
    res = json.loads(out.stdout)
    res["server_cpu_s"] = cpu1 - cpu0
    res["server_cores"] = (cpu1 - cpu0) / (t1 - t0) if t1 > t0 else float("nan")
    res["generator_cores"] = res["generator_cpu_s"] / res["wall_s"] if res["wall_s"] > 0 else float("nan")
    # Everything else on the machine meanwhile (other processes; the kernel's softirq work on
    # loopback is partly charged here too).
    res["machine_cores"] = (sys1 - sys0) / (t1 - t0) if t1 > t0 else float("nan")
    res["other_cores"] = max(0.0, res["machine_cores"] - res["server_cores"] - res["generator_cores"])
    return res


def describe(res):
    s = (f"{res['metrics_per_s']:>12,.0f} metrics/s {res['requests_per_s']:>9,.0f} req/s  "
         f"p50 {res['p50_ms']:7.2f} ms  p99 {res['p99_ms']:7.2f} ms  errors {res['errors']}  "
         f"cores: server {res['server_cores']:.2f} generator {res['generator_cores']:.2f} "
         f"other {res['other_cores']:.2f}")
    if res["other_cores"] > DISTURBED_CORES:
        s += "  (disturbed: other work was running)"
    if res["errors"]:
        s += f"\n      error kinds {res['error_kinds']} first: {res['first_error'][:200]}"
    return s


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release()}


def page_history(server, run_id, key, max_pages):
    """All of one key's history through the API, following next_page_token."""
    items, token, pages = [], "", 0
    while pages < max_pages:
        q = {"limit": "1000"}
        if token:
            q["page_token"] = token
        body = server.request("GET", f"/api/v1/runs/{run_id}/metrics/{urllib.parse.quote(key)}?"
                              + urllib.parse.urlencode(q), expect=(200,))
        if isinstance(body, list):  # an unpaged list
            return body, True
        items.extend(body.get("items", []))
        pages += 1
        token = body.get("next_page_token") or ""
        if not token:
            return items, True
    return items, False


def db_counts(db_path, run_ids):
    """Metric points per run stored in a SQLite file, from whichever table holds them: one row per
    point (run id, key, step columns: count the rows) or one row per chunk of points (run id, key
    and a `count` column, as plinth's metric_chunks: sum the counts). Tables of latest values
    are skipped. Returns (description, {run_id: points}) or (None, {})."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in sorted(tables, key=lambda t: ("metric" not in t.lower(), t)):
            if "latest" in t.lower():
                continue
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{t}")')]
            run_col = next((c for c in cols if c in ("run_id", "run_uuid", "run")), None)
            if not run_col or "key" not in cols:
                continue
            if "step" in cols:
                expr, what = "count(*)", f"{t} rows"
            elif "count" in cols:
                expr, what = 'coalesce(sum("count"), 0)', f"sum of {t}.count"
            else:
                continue
            counts = {rid: con.execute(f'SELECT {expr} FROM "{t}" WHERE "{run_col}"=?',
                                       (rid,)).fetchone()[0] for rid in run_ids}
            return what, counts
        return None, {}
    finally:
        con.close()


def find_sqlite_files(root):
    out = []
    for p in pathlib.Path(root).rglob("*"):
        if p.is_file() and not p.name.endswith(("-wal", "-shm", "-journal")):
            try:
                with open(p, "rb") as f:
                    if f.read(16) == b"SQLite format 3\x00":
                        out.append(p)
            except OSError:
                pass
    return out


def main():
    ap = argparse.ArgumentParser(description="plinth vs a FastAPI/sqlite peer: metric logging over HTTP")
    ap.add_argument("--build-dir", default=str(REPO / "build"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5.0, help="measured seconds per batch measurement")
    ap.add_argument("--single-duration", type=float, default=4.0, help="measured seconds, plinth single")
    ap.add_argument("--peer-single-duration", type=float, default=2.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--peer-index", action="store_true",
                    help="give the peer's metrics table an index on (run_uuid, key, step); "
                         "by default it has none, which makes the peer as fast as it can be")
    ap.add_argument("--threads", type=int, default=1, help="generator threads (epoll loops)")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--history-pages", type=int, default=1500,
                    help="most pages of one key's history to read back from plinth")
    ap.add_argument("--wait-quiet", type=float, default=0.0,
                    help="wait up to this many seconds for the machine to be idle before starting")
    ap.add_argument("--tmp", default=None, help="parent of the data directories (default: system temp)")
    ap.add_argument("--keep", action="store_true", help="keep the data directories")
    ap.add_argument("--json-out", default=None, help="default: BUILD/bench/metric_logging.json")
    args = ap.parse_args()

    build = pathlib.Path(args.build_dir).resolve()
    plinth_bin = build / "plinth"
    gen = build / "bench" / "plinth_bench_metric_load"
    for p in (plinth_bin, gen):
        if not os.access(p, os.X_OK):
            log(f"metric_logging: {p} is missing; build it first (make build)")
            return 1
    started = time.monotonic()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="plinth-bench-", dir=args.tmp))
    (tmp / "plinth").mkdir()
    (tmp / "peer").mkdir()
    mach = machine()
    log(f"metric logging benchmark  {datetime.datetime.now().isoformat(timespec='seconds')}")
    log(f"machine   {mach['nproc']} CPUs, {mach['cpu']}, Linux {mach['kernel']}")
    log(f"data      {tmp} ({fs_type(tmp)})")
    idle_load = other_load()
    quiet_deadline = time.monotonic() + args.wait_quiet
    while idle_load > 0.15 and time.monotonic() < quiet_deadline:
        idle_load = other_load(2.0)
    results_idle = idle_load
    log(f"quiet?    {idle_load:.2f} of {mach['nproc']} cores busy before starting"
        + ("  (WARNING: other work is running; figures will be low and noisy)" if idle_load > 0.15 else ""))
    log(f"load      {args.connections} keep-alive connections, back to back, batches of {args.batch} "
        f"({len(KEYS)} keys x {args.batch // len(KEYS)} steps) and of 1; {args.warmup:g} s warm-up, "
        f"{args.duration:g} s measured; {args.rounds} rounds alternating plinth and peer")
    log(f"peer      FastAPI + uvicorn, one worker, sqlite3 WAL synchronous=FULL, executemany per batch, "
        f"{'an' if args.peer_index else 'no'} index on its metrics table")

    plinth = Server("plinth", [str(plinth_bin), "server", "--data-dir", str(tmp / "plinth"),
                               "--host", "127.0.0.1", "--port", "0"],
                    tmp / "plinth" / "server.port", tmp / "plinth.log",
                    token_file=tmp / "plinth" / "admin.token")
    peer = Server("peer", ["/usr/bin/python3", str(PEER), "--db", str(tmp / "peer" / "peer.db"),
                           "--port-file", str(tmp / "peer" / "peer.port")]
                  + (["--index"] if args.peer_index else []),
                  tmp / "peer" / "peer.port", tmp / "peer.log")
    results = {"date": datetime.date.today().isoformat(), "machine": mach, "args": vars(args),
               "busy_cores_before": results_idle, "rounds": [], "checks": []}
    ok = True
    runs = []  # (side, kind, run_id, result)

    def new_run(server, exp_id, name):
        return server.request("POST", "/api/v1/runs", {"experiment_id": exp_id, "name": name})["id"]

    def check(name, passed, detail):
        nonlocal ok
        ok = ok and passed
        results["checks"].append({"check": name, "ok": passed, "detail": detail})
        log(f"  [{'ok' if passed else 'FAIL'}] {name}: {detail}")

    try:
        plinth.start()
        peer.start()
        log(f"servers   plinth 127.0.0.1:{plinth.port} (pid {plinth.proc.pid}), "
            f"peer 127.0.0.1:{peer.port} (pid {peer.proc.pid})")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        exp_plinth = plinth.request("POST", "/api/v1/experiments", {"name": f"bench-{stamp}"})["id"]
        exp_peer = peer.request("POST", "/api/v1/experiments", {"name": f"bench-{stamp}"})["id"]

        for r in range(1, args.rounds + 1):
            log(f"\nround {r}")
            rnd = {}
            plan = [("plinth", plinth, exp_plinth, "batch", args.batch, args.duration),
                    ("peer", peer, exp_peer, "batch", args.batch, args.duration),
                    ("plinth", plinth, exp_plinth, "single", 1, args.single_duration),
                    ("peer", peer, exp_peer, "single", 1, args.peer_single_duration)]
            for side, server, exp, kind, batch, dur in plan:
                run_id = new_run(server, exp, f"{kind}-{r}")
                res = run_generator(gen, server, run_id, args, batch, dur)
                rnd[f"{side}_{kind}"] = res
                runs.append((side, kind, run_id, res))
                log(f"  {side:6} {kind:6} {describe(res)}")
                if res["errors"]:
                    ok = False
            results["rounds"].append(rnd)

        def med(side_kind, field):
            return statistics.median(rnd[side_kind][field] for rnd in results["rounds"])

        summary = {
            "plinth_batch_mps": med("plinth_batch", "metrics_per_s"),
            "peer_batch_mps": med("peer_batch", "metrics_per_s"),
            "plinth_single_rps": med("plinth_single", "requests_per_s"),
            "peer_single_rps": med("peer_single", "requests_per_s"),
            "plinth_batch_p50_ms": med("plinth_batch", "p50_ms"),
            "plinth_batch_p99_ms": med("plinth_batch", "p99_ms"),
            "peer_batch_p50_ms": med("peer_batch", "p50_ms"),
            "peer_batch_p99_ms": med("peer_batch", "p99_ms"),
            "plinth_single_p50_ms": med("plinth_single", "p50_ms"),
            "plinth_single_p99_ms": med("plinth_single", "p99_ms"),
            "peer_single_p50_ms": med("peer_single", "p50_ms"),
            "peer_single_p99_ms": med("peer_single", "p99_ms"),
            "plinth_batch_server_cores": med("plinth_batch", "server_cores"),
            "plinth_batch_generator_cores": med("plinth_batch", "generator_cores"),
            "plinth_single_server_cores": med("plinth_single", "server_cores"),
            "plinth_single_generator_cores": med("plinth_single", "generator_cores"),
            "peer_batch_server_cores": med("peer_batch", "server_cores"),
            "peer_batch_generator_cores": med("peer_batch", "generator_cores"),
            "plinth_batch_other_cores": med("plinth_batch", "other_cores"),
            "plinth_single_other_cores": med("plinth_single", "other_cores"),
            "errors": sum(res["errors"] for *_, res in runs),
        }
        summary["batch_ratio"] = (summary["plinth_batch_mps"] / summary["peer_batch_mps"]
                                  if summary["peer_batch_mps"] else float("inf"))
        summary["single_ratio"] = (summary["plinth_single_rps"] / summary["peer_single_rps"]
                                   if summary["peer_single_rps"] else float("inf"))
        results["summary"] = summary
        s = summary
        verdict = lambda good: "PASS" if good else "MISS"
        log(f"\nmedians over {args.rounds} rounds")
        log(f"  batches of {args.batch}:  plinth {s['plinth_batch_mps']:>12,.0f} metrics/s "
            f"(p50 {s['plinth_batch_p50_ms']:.2f} ms, p99 {s['plinth_batch_p99_ms']:.2f} ms)")
        log(f"                     peer   {s['peer_batch_mps']:>12,.0f} metrics/s "
            f"(p50 {s['peer_batch_p50_ms']:.2f} ms, p99 {s['peer_batch_p99_ms']:.2f} ms)")
        log(f"  single metric:     plinth {s['plinth_single_rps']:>12,.0f} calls/s "
            f"(p50 {s['plinth_single_p50_ms']:.3f} ms, p99 {s['plinth_single_p99_ms']:.3f} ms)")
        log(f"                     peer   {s['peer_single_rps']:>12,.0f} calls/s "
            f"(p50 {s['peer_single_p50_ms']:.3f} ms, p99 {s['peer_single_p99_ms']:.3f} ms)")
        log(f"  ratio plinth/peer: batches {s['batch_ratio']:.2f}x, single {s['single_ratio']:.2f}x")
        log(f"  cpu (cores busy):  plinth batch server {s['plinth_batch_server_cores']:.2f} + generator "
            f"{s['plinth_batch_generator_cores']:.2f}; single server {s['plinth_single_server_cores']:.2f}"
            f" + generator {s['plinth_single_generator_cores']:.2f}; peer batch server "
            f"{s['peer_batch_server_cores']:.2f} + generator {s['peer_batch_generator_cores']:.2f}")
        log("targets")
        log(f"  [{verdict(s['plinth_batch_mps'] >= TARGET_BATCH_MPS)}] batched >= {TARGET_BATCH_MPS:,} "
            f"metrics/s: {s['plinth_batch_mps']:,.0f}")
        log(f"  [{verdict(s['batch_ratio'] >= TARGET_RATIO)}] batched >= {TARGET_RATIO:g}x the peer: "
            f"{s['batch_ratio']:.2f}x")
        log(f"  [{verdict(s['plinth_single_rps'] >= TARGET_SINGLE_RPS)}] single-metric >= "
            f"{TARGET_SINGLE_RPS:,} calls/s: {s['plinth_single_rps']:,.0f}")
        log(f"  errors (non-200 or wrong count, all runs): {s['errors']}")
        disturbed = sum(1 for *_, res in runs if res["other_cores"] > DISTURBED_CORES)
        s["disturbed_measurements"] = disturbed
        if disturbed:
            log(f"  WARNING: {disturbed} of {len(runs)} measurements ran while other work kept more than "
                f"{DISTURBED_CORES} cores busy; those figures are low. Re-run on an idle machine.")
        results["markdown_row"] = (
            f"| {results['date']} | {mach['nproc']} x {mach['cpu']} | {s['plinth_batch_mps']:,.0f} | "
            f"{s['peer_batch_mps']:,.0f} | {s['batch_ratio']:.2f}x | {s['plinth_single_rps']:,.0f} | "
            f"{s['peer_single_rps']:,.0f} | {s['plinth_batch_p50_ms']:.1f} / {s['plinth_batch_p99_ms']:.1f} | "
            f"{s['plinth_single_p50_ms']:.2f} / {s['plinth_single_p99_ms']:.2f} | {s['errors']} |")
        results["targets"] = {
            "batch_mps": s["plinth_batch_mps"] >= TARGET_BATCH_MPS,
            "ratio": s["batch_ratio"] >= TARGET_RATIO,
            "single_rps": s["plinth_single_rps"] >= TARGET_SINGLE_RPS,
        }

        # --- did the acknowledged metrics land? ---------------------------------------------------
        log("\nchecks (acknowledged metrics landed)")
        for side, kind, run_id, res in runs:
            server = plinth if side == "plinth" else peer
            if side == "plinth":
                run = server.request("GET", f"/api/v1/runs/{run_id}", expect=(200,))
                latest = run.get("metrics", {})
                bad = {k: (latest.get(k, {}).get("step"), want) for k, want in res["max_step_acked"].items()
                       if latest.get(k, {}).get("step") != want}
                check(f"plinth {kind} run {run_id[:8]}: latest step per key = largest acknowledged",
                      not bad, "all %d keys match" % len(res["max_step_acked"]) if not bad
                      else f"(got, want) {bad}")
        # One key's whole history on plinth: the last batch run and the last single run.
        for kind in ("batch", "single"):
            side, _, run_id, res = [x for x in runs if x[0] == "plinth" and x[1] == kind][-1]
            key = "loss"
            t0 = time.monotonic()
            items, complete = page_history(plinth, run_id, key, args.history_pages)
            dt = time.monotonic() - t0
            steps = [it["step"] for it in items]
            if res["batch"] % len(KEYS) == 0:
                want = res["acked_metrics_total"] // len(KEYS)
                sent = res["sent_metrics_total"] // len(KEYS)
            else:  # single: request g carries metric m = g, key KEYS[m % K]
                want = None
                sent = res["sent_metrics_total"]
            if not complete:
                check(f"plinth {kind} history of {key!r}", False,
                      f"more than {args.history_pages} pages; read {len(items)} items")
                continue
            distinct = len(set(steps)) == len(steps)
            if want is not None:
                good = distinct and want <= len(items) <= sent
                check(f"plinth {kind} run {run_id[:8]}: history of {key!r} via API", good,
                      f"{len(items):,} points, {'distinct' if distinct else 'DUPLICATE'} steps, "
                      f"acknowledged {want:,}, sent {sent:,} ({dt:.1f} s to page)")
            else:
                good = distinct and 0 < len(items) <= sent
                check(f"plinth {kind} run {run_id[:8]}: history of {key!r} via API", good,
                      f"{len(items):,} points, {'distinct' if distinct else 'DUPLICATE'} steps "
                      f"({dt:.1f} s to page)")
    except Exception as exc:  # noqa: BLE001 - report and stop the servers
        log(f"\nmetric_logging: {type(exc).__name__}: {exc}")
        ok = False
    finally:
        codes = {"plinth": plinth.stop(), "peer": peer.stop()}
        log(f"\nservers stopped (exit codes {codes})")

    # Count stored points in the SQLite files, servers stopped (WAL checkpointed or not: SQLite reads it).
    try:
        for side, root in (("plinth", tmp / "plinth"), ("peer", tmp / "peer")):
            ids = [rid for s, _, rid, _ in runs if s == side]
            if not ids:
                continue
            found = False
            for db in find_sqlite_files(root):
                table, counts = db_counts(db, ids)
                if not table:
                    continue
                found = True
                for s, kind, rid, res in runs:
                    if s != side:
                        continue
                    n = counts.get(rid, 0)
                    good = res["acked_metrics_total"] <= n <= res["sent_metrics_total"]
                    check(f"{side} {kind} run {rid[:8]}: points in {db.name} ({table})", good,
                          f"{n:,} stored, {res['acked_metrics_total']:,} acknowledged, "
                          f"{res['sent_metrics_total']:,} sent")
                break
            if not found:
                check(f"{side} stored points", False,
                      f"no SQLite table of metric points (run id, key, step or count) under {root}")
    except Exception as exc:  # noqa: BLE001
        check("stored points", False, f"{type(exc).__name__}: {exc}")

    json_out = pathlib.Path(args.json_out) if args.json_out else build / "bench" / "metric_logging.json"
    results["ok"] = ok
    results["elapsed_s"] = time.monotonic() - started
    try:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(results, indent=2) + "\n")
    except OSError as exc:
        log(f"cannot write {json_out}: {exc}")
    if args.keep:
        log(f"data kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    if "markdown_row" in results:
        log("\nbench/RESULTS.md row (date | machine | batch plinth | batch peer | ratio | single plinth |"
            " single peer | batch p50/p99 ms | single p50/p99 ms | errors):")
        log(results["markdown_row"])
    log(f"\n{'completed' if ok else 'FAILED'} in {results['elapsed_s']:.0f} s; results in {json_out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

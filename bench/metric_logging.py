#!/usr/bin/python3
"""Metric logging benchmark: plinth against a lean MLflow-shaped peer, in one run, same load.

    /usr/bin/python3 bench/metric_logging.py [--build-dir build] [--rounds 3] [--duration 5]

Starts `build/plinth server --data-dir TMP/plinth --host 127.0.0.1 --port 0` and the peer
(bench/peers/metric_peer.py: FastAPI + uvicorn, one worker, writing each batch into sqlite3 in
WAL mode with synchronous=FULL, one executemany in one transaction per batch), creates an
experiment and, for every measurement, a fresh run on each, then drives both with the same
generator (build/bench/plinth_bench_metric_load: C keep-alive connections sending back to back,
every metric of a run a distinct (key, step)). Each round measures, in this order:

    plinth batch      B metrics per request (default 1000)
    peer batch        the same on the peer, whose metrics table has no index: the reference for
                      the ratio target (the stronger peer)
    peer+index batch  the same on a second peer whose metrics table has MLflow's own primary key
                      (key, timestamp, step, run_uuid, value), as MLflow's SQL store has it
                      (context only; --no-indexed-peer leaves it out)
    plinth single     1 metric per request
    peer single       the same on the peer

A measurement during which other processes kept more than 0.25 cores busy is repeated once (at
most --repeat-disturbed repeats in all); both are printed, and the repeat is the one used.
It prints each measurement, the medians over the rounds, the ratios plinth/peer, the issue's
targets (>= 500,000 metrics/s in batches of 1,000, >= 4x the peer, >= 20,000 single-metric
calls/s), and the CPU used by each server, the generator and the rest of the machine.

Then it checks that what was acknowledged landed: each plinth run's latest step per key
(GET /api/v1/runs/{id}) must be the largest step acknowledged; one key's history is paged back
through GET /api/v1/runs/{id}/metrics/{key} (steps distinct, count as acknowledged); and, once the
servers are stopped, each run's stored points are counted in the SQLite files
(acknowledged <= stored <= sent). Exit status 0 when every measurement ran without errors and
every check passed, 1 otherwise; a missed target is printed, not an error. The figures also go
to --json-out (default BUILD/bench/metric_logging.json), with a row for bench/RESULTS.md.

Everything is on 127.0.0.1 and bounded in time (about 100 s with the defaults); the servers are
stopped at the end and the data directories removed (--keep keeps them).
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
# A measurement during which other user-space processes kept more than this many cores busy is
# flagged as disturbed.
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


def system_times():
    """The machine's CPU seconds so far, all CPUs, from /proc/stat: (busy, irq + softirq, steal)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]] + [0] * 8
    busy = sum(v[:8]) - v[3] - v[4]  # all but idle and iowait
    return busy / CLK_TCK, (v[5] + v[6]) / CLK_TCK, v[7] / CLK_TCK


def system_busy_s():
    return system_times()[0]


def process_cpu_table():
    """{pid: (name, cpu seconds, is_kernel_thread)} for every process, from /proc."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
            name = text[text.index("(") + 1:text.rindex(")")]
            fields = text.rsplit(")", 1)[1].split()
            flags = int(fields[6])
            out[int(entry)] = (name, (int(fields[11]) + int(fields[12])) / CLK_TCK,
                               bool(flags & 0x00200000))  # PF_KTHREAD
        except (OSError, ValueError, IndexError):
            continue
    return out


def other_processes(before, after, exclude, seconds):
    """CPU of every other process between two tables: (user-space cores, kernel-thread cores,
    [(name, cores)] of the busiest user-space ones)."""
    user, kernel, per_name = 0.0, 0.0, {}
    for pid, (name, cpu, kthread) in after.items():
        if pid in exclude:
            continue
        # A process started during the measurement spent all its CPU in it (one that also ended
        # in it is missed here, but not in the machine's totals).
        d = cpu - before[pid][1] if pid in before else cpu
        if d <= 0:
            continue
        if kthread:
            kernel += d
        else:
            user += d
            per_name[name] = per_name.get(name, 0.0) + d
    top = sorted(per_name.items(), key=lambda kv: -kv[1])[:3]
    return user / seconds, kernel / seconds, [(n, round(c / seconds, 2)) for n, c in top]


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
    # Single-metric calls are each durable before their answer, so with C connections in a closed
    # loop the rate is C / commit latency: they are measured with more connections (many
    # training jobs logging at once), batches with fewer.
    connections = args.connections if batch > 1 else args.single_connections
    argv = [str(gen), "--host", "127.0.0.1", "--port", str(server.port), "--run", run_id,
            "-c", str(connections), "-t", str(args.threads), "-b", str(batch), "--keys", ",".join(KEYS),
            "--duration", str(duration), "--warmup", str(args.warmup),
            "--step-base", str(step_base), "--timeout", "20", "--json"]
    if server.token:
        argv += ["--token", server.token]
    table0 = process_cpu_table()
    cpu0, sys0, t0 = proc_cpu_s(server.proc.pid), system_times(), time.monotonic()
    gen_proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = gen_proc.communicate(timeout=duration + args.warmup + 60)
    except subprocess.TimeoutExpired:
        gen_proc.kill()
        gen_proc.communicate()
        raise RuntimeError("the generator did not end in time")
    cpu1, sys1, t1 = proc_cpu_s(server.proc.pid), system_times(), time.monotonic()
    table1 = process_cpu_table()
    out = subprocess.CompletedProcess(argv, gen_proc.returncode, stdout, stderr)
    if out.returncode != 0:
        raise RuntimeError(f"generator failed ({out.returncode}): {out.stderr.strip()}")
    res = json.loads(out.stdout)
    res["server_cpu_s"] = cpu1 - cpu0
    res["server_cores"] = (cpu1 - cpu0) / (t1 - t0) if t1 > t0 else float("nan")
    res["generator_cores"] = res["generator_cpu_s"] / res["wall_s"] if res["wall_s"] > 0 else float("nan")
    # Everything else on the machine meanwhile (other processes; the kernel's softirq work on
    # loopback is partly charged here too).
    dt = t1 - t0
    res["machine_cores"] = (sys1[0] - sys0[0]) / dt
    res["irq_cores"] = (sys1[1] - sys0[1]) / dt  # mostly loopback's softirq work for this load
    res["steal_cores"] = (sys1[2] - sys0[2]) / dt
    res["other_cores"] = max(0.0, res["machine_cores"] - res["server_cores"] - res["generator_cores"])
    # What is left once interrupts, steal and kernel threads (the file system's journal work for
    # the servers' fsyncs among them) are taken out is someone else's work: a disturbance.
    _, kernel, top = other_processes(table0, table1, {server.proc.pid, gen_proc.pid, os.getpid()}, dt)
    res["kernel_thread_cores"], res["other_top"] = kernel, top
    res["other_process_cores"] = max(0.0, res["other_cores"] - res["irq_cores"] - res["steal_cores"] - kernel)
    return res


def describe(res):
    s = (f"{res['metrics_per_s']:>12,.0f} metrics/s {res['requests_per_s']:>9,.0f} req/s  "
         f"p50 {res['p50_ms']:7.2f} ms  p99 {res['p99_ms']:7.2f} ms  errors {res['errors']}  "
         f"cores: server {res['server_cores']:.2f} generator {res['generator_cores']:.2f} "
         f"irq {res['irq_cores']:.2f} other {res['other_process_cores'] + res['kernel_thread_cores']:.2f}")
    if res["other_process_cores"] > DISTURBED_CORES:
        s += ("\n      (disturbed: other processes used %.2f cores; busiest: %s)"
              % (res["other_process_cores"], ", ".join(f"{n} {c}" for n, c in res["other_top"]) or "?"))
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
    ap.add_argument("--connections", type=int, default=8, help="connections for batches")
    ap.add_argument("--single-connections", type=int, default=64,
                    help="connections for single-metric calls")
    ap.add_argument("--threads", type=int, default=1, help="generator threads (epoll loops)")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--no-indexed-peer", action="store_true",
                    help="leave out the second peer (the one with an index on its metrics table)")
    ap.add_argument("--history-pages", type=int, default=800,
                    help="most pages (of 1,000) of one key's history to read back from plinth")
    ap.add_argument("--repeat-disturbed", type=int, default=4,
                    help="measure again (once per measurement, at most this many in all) when other processes kept "
                         f"more than {DISTURBED_CORES} cores busy during a measurement")
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
    for d in ("plinth", "peer", "peer_idx"):
        (tmp / d).mkdir()
    mach = machine()
    log(f"metric logging benchmark  {datetime.datetime.now().isoformat(timespec='seconds')}")
    log(f"machine   {mach['nproc']} CPUs, {mach['cpu']}, Linux {mach['kernel']}")
    log(f"data      {tmp} ({fs_type(tmp)})")
    busy_before = other_load()
    quiet_deadline = time.monotonic() + args.wait_quiet
    while busy_before > 0.15 and time.monotonic() < quiet_deadline:
        busy_before = other_load(2.0)
    log(f"quiet?    {busy_before:.2f} of {mach['nproc']} cores busy before starting"
        + ("  (WARNING: other work is running; figures will be low and noisy)" if busy_before > 0.15 else ""))
    log(f"load      {args.connections} keep-alive connections, back to back, batches of {args.batch} "
        f"({len(KEYS)} keys x {args.batch // len(KEYS)} steps) and of 1; {args.warmup:g} s warm-up, "
        f"{args.duration:g} s measured; {args.rounds} rounds")
    log("peer      FastAPI + uvicorn, one worker, sqlite3 WAL synchronous=FULL, one executemany and one "
        "transaction per batch; no index on its metrics table (peer+index: MLflow's primary key on it)")

    plinth = Server("plinth", [str(plinth_bin), "server", "--data-dir", str(tmp / "plinth"),
                               "--host", "127.0.0.1", "--port", "0"],
                    tmp / "plinth" / "server.port", tmp / "plinth.log",
                    token_file=tmp / "plinth" / "admin.token")

    def peer_server(name, d, extra):
        return Server(name, ["/usr/bin/python3", str(PEER), "--db", str(tmp / d / "peer.db"),
                             "--port-file", str(tmp / d / "peer.port"), *extra],
                      tmp / d / "peer.port", tmp / f"{d}.log")

    peer = peer_server("peer", "peer", [])
    peer_idx = None if args.no_indexed_peer else peer_server("peer+index", "peer_idx", ["--index"])
    servers = [s for s in (plinth, peer, peer_idx) if s]
    results = {"date": datetime.date.today().isoformat(), "machine": mach, "args": vars(args),
               "busy_cores_before": busy_before, "rounds": [], "repeated": [], "checks": []}
    repeats_left = args.repeat_disturbed
    ok = True
    runs = []  # (side, kind, run_id, result)

    def check(name, passed, detail):
        nonlocal ok
        ok = ok and passed
        results["checks"].append({"check": name, "ok": passed, "detail": detail})
        log(f"  [{'ok' if passed else 'FAIL'}] {name}: {detail}")

    try:
        for srv in servers:
            srv.start()
        log("servers   " + ", ".join(f"{s.name} 127.0.0.1:{s.port} (pid {s.proc.pid})" for s in servers))
        stamp = time.strftime("%Y%m%d-%H%M%S")
        exps = {s.name: s.request("POST", "/api/v1/experiments", {"name": f"bench-{stamp}"})["id"]
                for s in servers}

        plan = [(plinth, "batch", args.batch, args.duration),
                (peer, "batch", args.batch, args.duration)]
        if peer_idx:
            plan.append((peer_idx, "batch", args.batch, args.duration))
        plan += [(plinth, "single", 1, args.single_duration),
                 (peer, "single", 1, args.peer_single_duration)]
        for r in range(1, args.rounds + 1):
            log(f"\nround {r}")
            rnd = {}
            for server, kind, batch, dur in plan:
                repeated = False
                while True:
                    run_id = server.request("POST", "/api/v1/runs",
                                            {"experiment_id": exps[server.name], "name": f"{kind}-{r}"})["id"]
                    res = run_generator(gen, server, run_id, args, batch, dur)
                    runs.append((server.name, kind, run_id, res))  # checked below, repeated or not
                    log(f"  {server.name:10} {kind:6} {describe(res)}")
                    if res["errors"]:
                        ok = False
                    if (res["other_process_cores"] > DISTURBED_CORES and repeats_left > 0 and not repeated
                            and time.monotonic() - started < 110):  # the whole run stays under 3 min
                        repeats_left -= 1
                        repeated = True
                        results["repeated"].append({"round": r, "name": f"{server.name} {kind}", "result": res})
                        log(f"  {'':10} {'':6} disturbed: measuring again ({repeats_left} repeats left)")
                        continue
                    break
                rnd[f"{server.name} {kind}"] = res
            results["rounds"].append(rnd)

        def med(name, field):
            return statistics.median(rnd[name][field] for rnd in results["rounds"])

        s = {}
        for name in results["rounds"][0]:
            for field in ("metrics_per_s", "requests_per_s", "p50_ms", "p99_ms", "server_cores",
                          "generator_cores", "irq_cores", "other_process_cores"):
                s[f"{name} {field}"] = med(name, field)
        s["errors"] = sum(res["errors"] for *_, res in runs)
        s["batch_ratio_unindexed_peer"] = (s["plinth batch metrics_per_s"]
                                           / max(s["peer batch metrics_per_s"], 1e-9))
        # The verdict is taken against the stronger peer, the one without an index; the peer with
        # MLflow's primary key is printed for context.
        s["batch_ratio"] = s["batch_ratio_unindexed_peer"]
        s["single_ratio"] = s["plinth single requests_per_s"] / max(s["peer single requests_per_s"], 1e-9)
        if peer_idx:
            s["batch_ratio_indexed_peer"] = (s["plinth batch metrics_per_s"]
                                             / max(s["peer+index batch metrics_per_s"], 1e-9))
        # Per-round ratios show how much the machine moved between rounds.
        s["batch_ratios_per_round"] = [rnd["plinth batch"]["metrics_per_s"]
                                       / max(rnd["peer batch"]["metrics_per_s"], 1e-9)
                                       for rnd in results["rounds"]]
        s["disturbed_measurements"] = sum(1 for rnd in results["rounds"] for res in rnd.values()
                                          if res["other_process_cores"] > DISTURBED_CORES)
        s["repeated_measurements"] = len(results["repeated"])
        results["summary"] = s

        def line(name, unit, field):
            return (f"{s[f'{name} {field}']:>12,.0f} {unit}  (p50 {s[f'{name} p50_ms']:.2f} ms, "
                    f"p99 {s[f'{name} p99_ms']:.2f} ms; server {s[f'{name} server_cores']:.2f} cores, "
                    f"generator {s[f'{name} generator_cores']:.2f})")

        log(f"\nmedians over {args.rounds} rounds")
        log(f"  batches of {args.batch}:  plinth      {line('plinth batch', 'metrics/s', 'metrics_per_s')}")
        log(f"                     peer        {line('peer batch', 'metrics/s', 'metrics_per_s')}")
        if peer_idx:
            log(f"                     peer+index  {line('peer+index batch', 'metrics/s', 'metrics_per_s')}")
        log(f"  single metric:     plinth      {line('plinth single', 'calls/s  ', 'requests_per_s')}")
        log(f"                     peer        {line('peer single', 'calls/s  ', 'requests_per_s')}")
        log(f"  ratio plinth/peer: batches {s['batch_ratio_unindexed_peer']:.2f}x against the peer "
            "without an index (per round: "
            + ", ".join(f"{x:.2f}x" for x in s["batch_ratios_per_round"]) + ")"
            + (f", {s['batch_ratio_indexed_peer']:.2f}x against the peer with MLflow's primary key"
               if peer_idx else "")
            + f"; single {s['single_ratio']:.2f}x")
        verdict = lambda good: "PASS" if good else "MISS"  # noqa: E731
        results["targets"] = {
            "batch_mps": s["plinth batch metrics_per_s"] >= TARGET_BATCH_MPS,
            "ratio": s["batch_ratio"] >= TARGET_RATIO,
            "single_rps": s["plinth single requests_per_s"] >= TARGET_SINGLE_RPS,
        }
        t = results["targets"]
        log("targets")
        log(f"  [{verdict(t['batch_mps'])}] batched >= {TARGET_BATCH_MPS:,} metrics/s: "
            f"{s['plinth batch metrics_per_s']:,.0f}")
        log(f"  [{verdict(t['ratio'])}] batched >= {TARGET_RATIO:g}x the peer (without an index, the"
            f" stronger of the two): {s['batch_ratio']:.2f}x")
        log(f"  [{verdict(t['single_rps'])}] single-metric >= {TARGET_SINGLE_RPS:,} calls/s: "
            f"{s['plinth single requests_per_s']:,.0f}")
        log(f"  errors (non-200 or wrong count, all measurements): {s['errors']}")
        if s["repeated_measurements"]:
            log(f"  {s['repeated_measurements']} disturbed measurement(s) were repeated; the repeats are used")
        if s["disturbed_measurements"]:
            n_used = sum(len(rnd) for rnd in results["rounds"])
            log(f"  WARNING: {s['disturbed_measurements']} of the {n_used} measurements used ran while other "
                f"processes kept more than {DISTURBED_CORES} cores busy; their figures are low. "
                "Re-run on an idle machine.")
        results["markdown_row"] = (
            f"| {results['date']} | {mach['nproc']} x {mach['cpu']} | "
            f"{s['plinth batch metrics_per_s']:,.0f} | {s['peer batch metrics_per_s']:,.0f} | "
            f"{s['batch_ratio']:.2f}x | "
            + (f"{s['peer+index batch metrics_per_s']:,.0f} ({s['batch_ratio_indexed_peer']:.2f}x) | "
               if peer_idx else "- | ")
            + f"{s['plinth single requests_per_s']:,.0f} | {s['peer single requests_per_s']:,.0f} | "
            f"{s['plinth batch p50_ms']:.1f} / {s['plinth batch p99_ms']:.1f} | "
            f"{s['plinth single p50_ms']:.2f} / {s['plinth single p99_ms']:.2f} | {s['errors']} |")

        # --- did the acknowledged metrics land? ---------------------------------------------------
        log("\nchecks (acknowledged metrics landed)")
        for name, kind, run_id, res in runs:
            if name != "plinth":
                continue
            run = plinth.request("GET", f"/api/v1/runs/{run_id}", expect=(200,))
            latest = run.get("metrics", {})
            bad = {k: (latest.get(k, {}).get("step"), want) for k, want in res["max_step_acked"].items()
                   if latest.get(k, {}).get("step") != want}
            check(f"plinth {kind} run {run_id[:8]}: latest step per key = largest acknowledged", not bad,
                  f"all {len(res['max_step_acked'])} keys match" if not bad else f"(got, want) {bad}")
        # One key's history on plinth, for the last batch run and the last single run.
        for kind in ("batch", "single"):
            _, _, run_id, res = [x for x in runs if x[0] == "plinth" and x[1] == kind][-1]
            key = KEYS[0]
            t0 = time.monotonic()
            items, complete = page_history(plinth, run_id, key, args.history_pages)
            dt = time.monotonic() - t0
            steps = [it["step"] for it in items]
            distinct = len(set(steps)) == len(steps)
            what = f"plinth {kind} run {run_id[:8]}: history of {key!r} via the API"
            detail = (f"{len(items):,} points, {'distinct' if distinct else 'DUPLICATE'} steps, "
                      f"{dt:.1f} s to read")
            if not complete:
                check(what, distinct and len(items) > 0,
                      detail + f" (stopped after {args.history_pages} pages; the stored count is checked below)")
            elif res["batch"] % len(KEYS) == 0:  # every request carries B / K points of each key
                want = res["acked_metrics_total"] // len(KEYS)
                sent = res["sent_metrics_total"] // len(KEYS)
                check(what, distinct and want <= len(items) <= sent,
                      detail + f"; acknowledged {want:,}, sent {sent:,}")
            else:
                check(what, distinct and 0 < len(items) <= res["sent_metrics_total"], detail)
    except Exception as exc:  # noqa: BLE001 - report, then stop the servers
        log(f"\nmetric_logging: {type(exc).__name__}: {exc}")
        ok = False
    finally:
        codes = {srv.name: srv.stop() for srv in servers}
        log(f"\nservers stopped (exit codes {codes})")

    # Count stored points in the SQLite files, servers stopped (SQLite reads any WAL left).
    try:
        for name, root in (("plinth", tmp / "plinth"), ("peer", tmp / "peer"), ("peer+index", tmp / "peer_idx")):
            ids = [rid for n, _, rid, _ in runs if n == name]
            if not ids:
                continue
            found = False
            for db in find_sqlite_files(root):
                table, counts = db_counts(db, ids)
                if not table:
                    continue
                found = True
                for n, kind, rid, res in runs:
                    if n != name:
                        continue
                    stored = counts.get(rid, 0)
                    check(f"{name} {kind} run {rid[:8]}: points in {db.name} ({table})",
                          res["acked_metrics_total"] <= stored <= res["sent_metrics_total"],
                          f"{stored:,} stored, {res['acked_metrics_total']:,} acknowledged, "
                          f"{res['sent_metrics_total']:,} sent")
                break
            if not found:
                check(f"{name} stored points", False,
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
        log("\nrow for bench/RESULTS.md:")
        log(results["markdown_row"])
    log(f"\n{'completed' if ok else 'FAILED'} in {results['elapsed_s']:.0f} s; results in {json_out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""The numpy/scipy peer of bench/drift: the same four drift statistics that plinth computes,
written the way a numpy/scipy user would, on the same data file.

Per column (float32 read from the file, converted to float64 inside the timing):
  KS           scipy.stats.ks_2samp(ref, cur, method='asymp')  -> D, p-value
  Wasserstein  scipy.stats.wasserstein_distance(ref, cur), and / max(np.std(ref), 0.001)
  PSI          10 bins at np.quantile(ref, linspace(0, 1, 11)) with outer edges -inf/+inf,
               counted by np.histogram; empty shares -> 1e-4; sum((r - c) * ln(r / c))
  JS           scipy.spatial.distance.jensenshannon(r, c, base=2) over the same bins

Reading the file is not timed. Prints one JSON object: {"seconds": [...], "columns": [...]}.
Usage: peer_drift.py DATA_FILE [--rounds N]
"""

import argparse
import json
import time

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon

MAGIC = b"PLDRIFT1"
BINS = 10
EPSILON = 1e-4


def load(path):
    with open(path, "rb") as f:
        header = f.read(24)
        if header[:8] != MAGIC:
            raise SystemExit(f"{path} is not a plinth drift benchmark file")
        rows = int.from_bytes(header[8:16], "little")
        columns = int.from_bytes(header[16:24], "little")
        data = np.fromfile(f, dtype="<f4", count=2 * rows * columns)
    data = data.reshape(2, columns, rows)
    return data[0], data[1]


def drift(ref32, cur32):
    ref = ref32.astype(np.float64)
    cur = cur32.astype(np.float64)
    ks = stats.ks_2samp(ref, cur, method="asymp")
    w = stats.wasserstein_distance(ref, cur)
    std = float(np.std(ref))
    edges = np.quantile(ref, np.linspace(0, 1, BINS + 1))
    edges[0], edges[-1] = -np.inf, np.inf
    r = np.histogram(ref, edges)[0] / len(ref)
    c = np.histogram(cur, edges)[0] / len(cur)
    r_eps = np.where(r == 0, EPSILON, r)
    c_eps = np.where(c == 0, EPSILON, c)
    psi = float(np.sum((r_eps - c_eps) * np.log(r_eps / c_eps)))
    js = float(jensenshannon(r, c, base=2))
    return {"d": float(ks.statistic), "p": float(ks.pvalue), "w": float(w),
            "w_normed": float(w / max(std, 1e-3)), "psi": psi, "js": js}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    ref, cur = load(args.data)
    seconds, results = [], None
    for _ in range(args.rounds):
        start = time.perf_counter()
        results = [drift(ref[j], cur[j]) for j in range(ref.shape[0])]
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"seconds": seconds, "columns": results,
                      "versions": {"numpy": np.__version__, "scipy": scipy.__version__}}))


if __name__ == "__main__":
    main()

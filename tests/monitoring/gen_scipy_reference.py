#!/usr/bin/python3
"""Writes scipy_reference.txt: drift statistics computed by Debian's python3-scipy, which
scipy_reference_test.cc checks plinth's monitoring library against.

Run with Debian's interpreter from this directory (or any):

    /usr/bin/python3 tests/monitoring/gen_scipy_reference.py > tests/monitoring/scipy_reference.txt

Samples are not stored: each is described by a spec that both this script and the C++ test
expand with the same generator (splitmix64, and only +, -, * on doubles, which are exact IEEE
operations in both languages), so the file stays small while the samples can be large.

Spec: kind:n:seed:scale:shift[:k], expanding to n values x * scale + shift where x is
  uniform   u                       (u = (splitmix64() >> 11) * 2**-53, in [0, 1))
  normalish u1 + u2 + u3 + u4 - 2   (a bell shape; sum left to right)
  skewed    u * u * u
  discrete  splitmix64() % k        (ties)
  constant  0

Line formats (space separated; numbers as Python repr, i.e. shortest round-trip):
  ks2 NAME REF_SPEC CUR_SPEC D P WASSERSTEIN REF_STD PSI JS   (PSI, JS: 10 reference-quantile bins)
  kstwo N D SF                  scipy.stats.kstwo.sf(D, N)
  smirnov N D SF                scipy.special.smirnov(N, D)
  chi2 X DF SF                  scipy.stats.chi2.sf(X, DF)
  chi2c STAT P DOF REF_COUNTS CUR_COUNTS   chi2_contingency(correction=False), counts a,b,c
"""

import math
import sys

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

MASK = (1 << 64) - 1
BINS = 10
PSI_EPSILON = 1e-4


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)


def expand(spec):
    parts = spec.split(":")
    kind, n, seed, scale, shift = parts[0], int(parts[1]), int(parts[2]), float(parts[3]), float(parts[4])
    k = int(parts[5]) if len(parts) > 5 else 0
    rng = SplitMix64(seed)
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        if kind == "uniform":
            x = rng.uniform()
        elif kind == "normalish":
            x = rng.uniform() + rng.uniform()
            x = x + rng.uniform()
            x = x + rng.uniform()
            x = x - 2.0
        elif kind == "skewed":
            u = rng.uniform()
            x = u * u
            x = x * u
        elif kind == "discrete":
            x = float(rng.next() % k)
        elif kind == "constant":
            x = 0.0
        else:
            raise ValueError(kind)
        out[i] = x * scale + shift
    return out


def binned(ref, cur):
    edges = np.quantile(ref, np.linspace(0, 1, BINS + 1))
    edges[0], edges[-1] = -np.inf, np.inf
    r = np.histogram(ref, edges)[0] / len(ref)
    c = np.histogram(cur, edges)[0] / len(cur)
    r_eps = np.where(r == 0, PSI_EPSILON, r)
    c_eps = np.where(c == 0, PSI_EPSILON, c)
    psi = float(np.sum((r_eps - c_eps) * np.log(r_eps / c_eps)))
    js = float(jensenshannon(r, c, base=2))
    return psi, js


KS2_CASES = [
    # name, reference spec, current spec
    ("tiny_uniform", "uniform:8:1:1:0", "uniform:9:2:1:0.25"),
    ("half_even_rounding", "uniform:5:3:1:0", "uniform:5:4:1:0"),
    ("one_vs_many", "uniform:1:5:1:0.5", "uniform:50:6:1:0"),
    ("small_normalish", "normalish:60:7:1:0", "normalish:80:8:1:0.3"),
    ("small_same", "uniform:100:9:1:0", "uniform:100:10:1:0"),
    ("discrete_ties", "discrete:300:11:1:0:5", "discrete:400:12:1:0:6"),
    ("discrete_scaled", "discrete:250:13:0.5:-1:7", "discrete:260:14:0.5:-1:7"),
    ("thousand_shift", "uniform:1000:15:1:0", "uniform:1000:16:1:0.05"),
    ("skewed_drift", "skewed:5000:17:2:0", "skewed:4000:18:2:0.5"),
    ("medium_same", "normalish:20000:19:1:0", "normalish:30000:20:1:0"),
    ("medium_shift", "normalish:20000:21:1:0", "normalish:30000:22:1:0.02"),
    ("large_same", "normalish:100000:23:3:10", "normalish:100000:24:3:10"),
    ("large_band", "normalish:300000:25:1:0", "normalish:200000:26:1:0.02"),
    ("constant_equal", "constant:50:27:1:3", "constant:70:28:1:3"),
    ("constant_apart", "constant:50:29:1:3", "constant:70:30:1:4"),
    ("scaled_wide", "uniform:2000:31:1000000:-500000", "uniform:3000:32:1100000:-500000"),
]

# (n, d) for kstwo.sf, chosen to reach every branch of scipy's _kolmogn.
KSTWO_CASES = [
    (1, 0.75), (3, 0.1), (3, 0.3), (7, 0.12), (10, 0.05), (10, 0.08), (10, 0.15), (10, 0.2),
    (10, 0.3), (10, 0.45), (10, 0.55), (10, 0.92), (25, 0.1), (50, 0.05), (50, 0.12),
    (50, 0.2), (50, 0.35), (100, 0.04), (100, 0.08), (100, 0.15), (100, 0.3), (140, 0.2),
    (141, 0.005), (141, 0.05), (141, 0.2), (141, 0.4), (500, 0.03), (500, 0.08), (1000, 0.01),
    (1000, 0.03), (1000, 0.06), (1000, 0.3), (5000, 0.01), (5000, 0.03), (20000, 0.004),
    (20000, 0.012), (50000, 0.0015), (50000, 0.004), (50000, 0.02), (99999, 0.0006),
    (100000, 0.003), (120000, 0.0014), (120000, 0.0045), (120000, 0.014), (120000, 0.05),
    (500000, 0.0012), (500000, 0.0021), (500000, 0.0066), (500000, 0.02), (500000, 0.027),
    (1000000, 0.0016), (1000000, 0.003), (2000000, 0.001), (2000000, 0.003),
]

SMIRNOV_CASES = [
    (1, 0.3), (2, 0.7), (5, 0.1), (5, 0.5), (20, 0.04), (20, 0.3), (140, 0.3), (1000, 0.05),
    (3000, 0.04), (50000, 0.01), (500000, 0.0066), (500000, 0.02), (1000000, 0.003),
    (2000000, 0.003),
]

CHI2_CASES = [(0.5, 1), (3.84, 1), (10, 3), (1e-3, 2), (150, 100), (80, 100), (5000, 4000),
              (60, 5), (1000, 10)]

CHI2C_CASES = [
    ([10, 20, 30], [12, 18, 35]),
    ([100, 0, 50], [90, 5, 40]),
    ([5, 5], [0, 10]),
    ([1000, 2000, 3000, 4000], [1100, 1900, 3100, 3500]),
    ([7, 0, 0, 1], [0, 3, 9, 1]),
]


def main():
    out = sys.stdout
    out.write(f"# generated by gen_scipy_reference.py with scipy {scipy.__version__}, "
              f"numpy {np.__version__}\n")
    for name, ref_spec, cur_spec in KS2_CASES:
        ref, cur = expand(ref_spec), expand(cur_spec)
        ks = stats.ks_2samp(ref, cur, method="asymp")
        w = stats.wasserstein_distance(ref, cur)
        psi, js = binned(ref, cur)
        p = ks.pvalue
        if math.isnan(p):
            p = 1.0  # scipy has no answer for 1 vs 1; plinth reports the exact 1
        out.write(f"ks2 {name} {ref_spec} {cur_spec} {ks.statistic!r} {float(p)!r} {w!r} "
                  f"{float(np.std(ref))!r} {psi!r} {js!r}\n")
    for n, d in KSTWO_CASES:
        out.write(f"kstwo {n} {d!r} {float(stats.kstwo.sf(d, n))!r}\n")
    for n, d in SMIRNOV_CASES:
        out.write(f"smirnov {n} {d!r} {float(special.smirnov(n, d))!r}\n")
    for x, df in CHI2_CASES:
        out.write(f"chi2 {x!r} {df} {float(stats.chi2.sf(x, df))!r}\n")
    for ref, cur in CHI2C_CASES:
        table = np.array([ref, cur])
        keep = table.sum(axis=0) > 0
        stat, p, dof, _ = stats.chi2_contingency(table[:, keep], correction=False)
        out.write(f"chi2c {float(stat)!r} {float(p)!r} {int(dof)} "
                  f"{','.join(map(str, ref))} {','.join(map(str, cur))}\n")


if __name__ == "__main__":
    main()

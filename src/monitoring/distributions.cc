#include "monitoring/distributions.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace plinth::monitoring {

namespace {

// log|Gamma(x)|. Not std::lgamma: glibc's writes the sign to the global `signgam`, a data race
// when drift tests run on several threads (numeric_drift.cc's ParallelFor; found with TSan).
long double LogGamma(long double x) {
  int sign = 0;
  return ::lgammal_r(x, &sign);
}

constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt2Pi = 2.50662827463100050242;
constexpr double kLog2Pi = 1.83787706640934548356;
constexpr int kExponentStep = 128;                 // rescaling step of the matrix algorithms
constexpr double kMinLog = -7.451332191019412076235e2;  // cephes MINLOG: log(2^-1075)
const double kBig = std::ldexp(1.0, kExponentStep);
const double kSmall = std::ldexp(1.0, -kExponentStep);

double Clip01(double p) { return std::clamp(p, 0.0, 1.0); }

// log(n! / n^n) by Stirling's series, as scipy's _log_nfactorial_div_n_pow_n.
double LogNFactorialDivNPowN(double n) {
  static constexpr std::array<double, 8> kStirling = {
      -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3,
      8.4175084175084175084e-4, -5.952380952380952381e-4, 7.9365079365079365079e-4,
      -2.7777777777777777778e-3, 8.3333333333333333333e-2};
  const double rn = 1.0 / n;
  const double y = rn / n;
  double poly = 0;
  for (double c : kStirling) poly = poly * y + c;
  return std::log(n) / 2 - n + kLog2Pi / 2 + rn * poly;
}

using Matrix = std::vector<double>;  // row-major m x m

void MatMul(const Matrix& a, const Matrix& b, Matrix& out, int m) {
  std::fill(out.begin(), out.end(), 0.0);
  for (int i = 0; i < m; ++i) {
    double* row = &out[static_cast<size_t>(i) * m];
    for (int k = 0; k < m; ++k) {
      const double aik = a[static_cast<size_t>(i) * m + k];
      if (aik == 0) continue;
      const double* brow = &b[static_cast<size_t>(k) * m];
      for (int j = 0; j < m; ++j) row[j] += aik * brow[j];
    }
  }
}

// P(D_n <= d) by Durbin's matrix as Marsaglia-Tsang-Wang evaluate it (scipy _kolmogn_DMTW).
double DurbinMatrixCdf(int64_t n, double d) {
  if (d >= 1.0) return 1.0;
  const double nd = static_cast<double>(n) * d;
  if (nd <= 0.5) return 0.0;
  const int k = static_cast<int>(std::ceil(nd));
  const double h = k - nd;
  const int m = 2 * k - 1;
  Matrix H(static_cast<size_t>(m) * m, 0.0);
  std::vector<double> v(m), w(m);
  double fac = 1.0;
  for (int j = 1; j <= m; ++j) {
    v[j - 1] = 1.0 - std::pow(h, j);
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] *= fac;
  }
  const double tt = std::pow(std::max(2 * h - 1.0, 0.0), m) - 2 * std::pow(h, m);
  v[m - 1] = (1.0 + tt) * fac;
  for (int i = 1; i < m; ++i) {
    for (int r = i - 1; r < m; ++r) H[static_cast<size_t>(r) * m + i] = w[r - (i - 1)];
  }
  for (int r = 0; r < m; ++r) H[static_cast<size_t>(r) * m] = v[r];
  for (int c = 0; c < m; ++c) H[static_cast<size_t>(m - 1) * m + c] = v[m - 1 - c];

  Matrix power(static_cast<size_t>(m) * m, 0.0), scratch(power.size());
  for (int i = 0; i < m; ++i) power[static_cast<size_t>(i) * m + i] = 1.0;
  int64_t nn = n;
  int64_t exponent = 0, h_exponent = 0;
  const size_t center = static_cast<size_t>(k - 1) * m + (k - 1);
  while (nn > 0) {
    if (nn % 2) {
      MatMul(power, H, scratch, m);
      power.swap(scratch);
      exponent += h_exponent;
    }
    MatMul(H, H, scratch, m);
    H.swap(scratch);
    h_exponent *= 2;
    if (std::abs(H[center]) > kBig) {
      for (double& x : H) x /= kBig;
      h_exponent += kExponentStep;
    }
    nn /= 2;
  }
  long double p = power[center];
  for (int64_t i = 1; i <= n; ++i) {
    p = static_cast<long double>(i) * p / static_cast<long double>(n);
    if (std::abs(p) < kSmall) {
      p *= kBig;
      exponent -= kExponentStep;
    }
  }
  if (exponent != 0) p = std::ldexp(p, static_cast<int>(exponent));
  return Clip01(static_cast<double>(p));
}

// The interval of row i in Pomeranz's recursion (scipy _pomeranz_compute_j1j2).
void PomeranzBounds(int64_t i, int64_t n, int64_t ll, int64_t ceilf, int64_t roundf, int64_t* j1,
                    int64_t* j2) {
  int64_t a, b;
  if (i == 0) {
    a = -ll - ceilf - 1;
    b = ll + ceilf - 1;
  } else {
    const int64_t half = (i + 1) / 2, odd = (i + 1) % 2;
    if (odd == 0) {
      if (half == n + 1) {
        a = n - ll - ceilf - 1;
        b = n + ll + ceilf - 1;
      } else {
        a = half - 1 - ll - roundf - 1;
        b = half + ll - 1 + ceilf - 1;
      }
    } else {
      a = half - 1 - ll - 1;
      b = half + ll + roundf - 1;
    }
  }
  *j1 = std::max<int64_t>(a + 2, 0);
  *j2 = std::min<int64_t>(b, n);
}

// P(D_n <= x) by Pomeranz's recursion (scipy _kolmogn_Pomeranz); used for n <= 140.
double PomeranzCdf(int64_t n, double x) {
  const double t = static_cast<double>(n) * x;
  const int64_t ll = static_cast<int64_t>(std::floor(t));
  const double f = t - static_cast<double>(ll);
  const double g = std::min(f, 1.0 - f);
  const int64_t ceilf = f > 0 ? 1 : 0;
  const int64_t roundf = f > 0.5 ? 1 : 0;
  const int64_t npwrs = 2 * (ll + 1);
  std::vector<double> gpower(npwrs), twogpower(npwrs), onem2gpower(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
  const double g_over_n = g / n, two_g_over_n = 2 * g / n, one_minus = (1 - 2 * g) / n;
  for (int64_t m = 1; m < npwrs; ++m) {
    gpower[m] = gpower[m - 1] * g_over_n / m;
    twogpower[m] = twogpower[m - 1] * two_g_over_n / m;
    onem2gpower[m] = onem2gpower[m - 1] * one_minus / m;
  }
  std::vector<double> v0(npwrs, 0.0), v1(npwrs, 0.0), conv;
  v1[0] = 1;
  int64_t v0s = 0, v1s = 0, exponent = 0;
  int64_t j1, j2;
  PomeranzBounds(0, n, ll, ceilf, roundf, &j1, &j2);
  for (int64_t i = 1; i < 2 * n + 2; ++i) {
    const int64_t k1 = j1;
    v0.swap(v1);
    std::swap(v0s, v1s);
    std::fill(v1.begin(), v1.end(), 0.0);
    PomeranzBounds(i, n, ll, ceilf, roundf, &j1, &j2);
    const std::vector<double>& pwrs =
        (i == 1 || i == 2 * n + 1) ? gpower : (i % 2 ? twogpower : onem2gpower);
    const int64_t ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // numpy slices clamp at the array's end.
      const int64_t start = k1 - v0s;
      const int64_t a_len = std::max<int64_t>(0, std::min(start + ln2, npwrs) - start);
      const int64_t b_len = std::min(ln2, npwrs);
      conv.assign(static_cast<size_t>(std::max<int64_t>(a_len + b_len - 1, 0)), 0.0);
      for (int64_t ia = 0; ia < a_len; ++ia) {
        const double av = v0[start + ia];
        if (av == 0) continue;
        for (int64_t ib = 0; ib < b_len; ++ib) conv[ia + ib] += av * pwrs[ib];
      }
      const int64_t conv_start = j1 - k1;
      const int64_t conv_len = j2 - j1 + 1;
      double max_v1 = 0;
      for (int64_t c = 0; c < conv_len; ++c) {
        const int64_t src = conv_start + c;
        v1[c] = (src >= 0 && src < static_cast<int64_t>(conv.size())) ? conv[src] : 0.0;
        max_v1 = std::max(max_v1, v1[c]);
      }
      if (max_v1 > 0 && max_v1 < kSmall) {
        for (double& value : v1) value *= kBig;
        exponent -= kExponentStep;
      }
      v1s = v0s + j1 - k1;
    }
  }
  long double ans = v1[n - v1s];
  for (int64_t m = 1; m <= n; ++m) {
    if (std::abs(ans) > kBig) {
      ans *= kSmall;
      exponent += kExponentStep;
    }
    ans *= m;
  }
  if (exponent != 0) ans = std::ldexp(ans, static_cast<int>(exponent));
  return Clip01(static_cast<double>(ans));
}

// The Pelz-Good approximation of P(D_n <= x) (scipy _kolmogn_PelzGood).
double PelzGoodCdf(int64_t n, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double z = std::sqrt(static_cast<double>(n)) * x;
  const double z2 = z * z, z3 = z * z * z, z4 = std::pow(z, 4), z6 = std::pow(z, 6);
  const double qlog = -kPi * kPi / 8 / z2;
  if (qlog < -708) return 0.0;
  double q = std::exp(qlog);
  const double pi2 = kPi * kPi, pi4 = std::pow(kPi, 4), pi6 = std::pow(kPi, 6);
  const double k1a = -z2, k1b = pi2 / 4;
  const double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4,
               k2c = pi4 * (1 - 2 * z2) / 16;
  const double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16,
               k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * std::pow(z, 8);
  std::array<double, 4> K = {0, 0, 0, 0};
  const int64_t maxk = static_cast<int64_t>(std::ceil(16 * z / kPi));
  for (int64_t k = maxk; k > 0; --k) {
    const double m = static_cast<double>(2 * k - 1);
    const double m2 = m * m, m4 = std::pow(m, 4), m6 = std::pow(m, 6);
    const double qpower = std::pow(q, static_cast<double>(8 * k));
    const std::array<double, 4> coeffs = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                                          k3a + k3b * m2 + k3c * m4 + k3d * m6};
    for (int i = 0; i < 4; ++i) K[i] = K[i] * qpower + coeffs[i];
  }
  const std::array<double, 4> divisors = {z, 6 * z4, 72 * std::pow(z, 7), 6480 * std::pow(z, 10)};
  for (int i = 0; i < 4; ++i) K[i] = K[i] * q * kSqrt2Pi / divisors[i];
  q = std::exp(-pi2 / 2 / z2);
  const double sqrt3z = std::sqrt(3.0) * z;
  double k2extra = 0, k3extra = 0;
  for (int64_t k = maxk; k > 0; --k) {
    const double kk = static_cast<double>(k);
    const double ksq = kk * kk;
    const double qp = std::pow(q, ksq);
    k2extra += ksq * qp;
    const double kspi = kPi * kk;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
  }
  K[2] += k2extra * (pi2 * kSqrt2Pi / (-36 * z3));
  K[3] += k3extra * (pi2 * kSqrt2Pi / (216 * z6));
  const double nd = static_cast<double>(n);
  const std::array<double, 4> powers = {1.0, std::pow(nd, 0.5), nd, std::pow(nd, 1.5)};
  double sum = 0;
  for (int i = 0; i < 4; ++i) sum += K[i] / powers[i];
  return sum;
}

// log of the v-th Birnbaum-Tingey term C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v), for real v.
struct SmirnovTerms {
  int64_t n;
  double x;
  long double log_n_factorial;

  long double LogTerm(long double v) const {
    const long double nd = static_cast<long double>(n);
    const long double p = static_cast<long double>(x) + v / nd;
    return log_n_factorial - LogGamma(v + 1) - LogGamma(nd - v + 1) + (v - 1) * std::log(p) +
           (nd - v) * std::log1p(-p);
  }
};

// Sum of exp(LogTerm(v) - shift) over integers v in [first, last].
long double SumTerms(const SmirnovTerms& terms, int64_t first, int64_t last, long double shift) {
  const long double nd = static_cast<long double>(terms.n);
  long double log_c = LogGamma(nd + 1) - LogGamma(static_cast<long double>(first) + 1) -
                      LogGamma(nd - first + 1);
  long double sum = 0;
  const long double eps = std::numeric_limits<long double>::epsilon();
  for (int64_t v = first; v <= last; ++v) {
    const long double vd = static_cast<long double>(v);
    const long double p = static_cast<long double>(terms.x) + vd / nd;
    const long double term =
        std::exp(log_c + (vd - 1) * std::log(p) + (nd - vd) * std::log1p(-p) - shift);
    sum += term;
    // Past the peak the terms fall geometrically; stop once the rest cannot matter.
    if (term > 0 && 4 * static_cast<long double>(last - v + 1) * term < eps * sum) break;
    log_c += std::log((nd - vd) / (vd + 1));
  }
  return sum;
}

// The Birnbaum-Tingey sum x * sum_{v=0}^{last} A_v, evaluated where it matters.
double SmirnovSum(int64_t n, double x, int64_t last) {
  SmirnovTerms terms{n, x, LogGamma(static_cast<long double>(n) + 1)};
  if (last + 1 <= 512) {
    const long double sum = SumTerms(terms, 0, last, 0);
    return static_cast<double>(static_cast<long double>(x) * sum);
  }
  // Locate the largest term on a coarse grid, then refine by golden section.
  const int kGrid = 256;
  const long double span = static_cast<long double>(last);
  long double best_v = 0, best_h = terms.LogTerm(0);
  for (int i = 1; i <= kGrid; ++i) {
    const long double v = span * i / kGrid;
    const long double h = terms.LogTerm(v);
    if (h > best_h) {
      best_h = h;
      best_v = v;
    }
  }
  long double lo = std::max<long double>(0, best_v - span / kGrid);
  long double hi = std::min(span, best_v + span / kGrid);
  const long double ratio = 0.61803398874989484820L;
  long double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
  long double ha = terms.LogTerm(a), hb = terms.LogTerm(b);
  for (int iter = 0; iter < 80 && hi - lo > 1e-6L; ++iter) {
    if (ha < hb) {
      lo = a;
      a = b;
      ha = hb;
      b = lo + ratio * (hi - lo);
      hb = terms.LogTerm(b);
    } else {
      hi = b;
      b = a;
      hb = ha;
      a = hi - ratio * (hi - lo);
      ha = terms.LogTerm(a);
    }
  }
  const long double mode = (lo + hi) / 2;
  const long double peak = std::max({terms.LogTerm(mode), ha, hb, best_h});
  // Where the terms fall below e^-60 of the peak, on each side.
  const long double kDrop = 60;
  auto edge = [&](long double inside, long double outside) {
    if (terms.LogTerm(outside) >= peak - kDrop) return outside;
    for (int iter = 0; iter < 100 && std::abs(outside - inside) > 0.5L; ++iter) {
      const long double mid = (inside + outside) / 2;
      if (terms.LogTerm(mid) >= peak - kDrop) {
        inside = mid;
      } else {
        outside = mid;
      }
    }
    return outside;
  };
  const long double left = edge(mode, 0);
  const long double right = edge(mode, span);
  const int64_t first = static_cast<int64_t>(std::floor(left));
  const int64_t end = std::min<int64_t>(last, static_cast<int64_t>(std::ceil(right)));
  long double sum;
  if (end - first <= 2000 || first <= 0 || end >= last) {
    sum = SumTerms(terms, first, end, peak);
  } else {
    // Composite 16-point Gauss-Legendre over [left, right].
    static constexpr std::array<long double, 8> kNodes = {
        0.0950125098376374L, 0.2816035507792589L, 0.4580167776572274L, 0.6178762444026438L,
        0.7554044083550030L, 0.8656312023878318L, 0.9445750230732326L, 0.9894009349916499L};
    static constexpr std::array<long double, 8> kWeights = {
        0.1894506104550685L, 0.1826034150449236L, 0.1691565193950025L, 0.1495959888165767L,
        0.1246289712555339L, 0.0951585116824928L, 0.0622535239386479L, 0.0271524594117541L};
    const int kPanels = 48;
    const long double width = (right - left) / kPanels;
    sum = 0;
    for (int panel = 0; panel < kPanels; ++panel) {
      const long double center = left + (panel + 0.5L) * width;
      long double panel_sum = 0;
      for (int i = 0; i < 8; ++i) {
        const long double offset = kNodes[i] * width / 2;
        panel_sum += kWeights[i] * (std::exp(terms.LogTerm(center - offset) - peak) +
                                    std::exp(terms.LogTerm(center + offset) - peak));
      }
      sum += panel_sum * width / 2;
    }
  }
  const long double result = static_cast<long double>(x) * sum * std::exp(peak);
  return static_cast<double>(result);
}

// P(D_n >= x), two-sided, as scipy's _kolmogn(n, x, cdf=False).
double KolmogornSf(int64_t n, double x) {
  if (x >= 1.0) return 0.0;
  if (x <= 0.0) return 1.0;
  const double nd = static_cast<double>(n);
  const double t = nd * x;
  if (t <= 1.0) {
    if (t <= 0.5) return 1.0;
    double prob;
    if (n <= 140) {
      prob = 1.0;
      for (int64_t i = 1; i <= n; ++i) prob *= static_cast<double>(i) * (1.0 / nd) * (2 * t - 1);
    } else {
      prob = std::exp(LogNFactorialDivNPowN(nd) + nd * std::log(2 * t - 1));
    }
    return Clip01(1.0 - prob);
  }
  if (t >= nd - 1) return Clip01(2 * std::pow(1.0 - x, nd));
  if (x >= 0.5) return Clip01(2 * SmirnovSf(n, x));
  const double nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) return Clip01(1.0 - DurbinMatrixCdf(n, x));
    if (nxsquared <= 4) return Clip01(1.0 - PomeranzCdf(n, x));
    return Clip01(2 * SmirnovSf(n, x));
  }
  if (nxsquared >= 370.0) return 0.0;
  if (nxsquared >= 2.2) return Clip01(2 * SmirnovSf(n, x));
  double cdf;
  if (nxsquared >= 18.0) {
    cdf = 1.0;
  } else if (n <= 100000 && nd * std::pow(x, 1.5) <= 1.4) {
    cdf = DurbinMatrixCdf(n, x);
  } else {
    cdf = PelzGoodCdf(n, x);
  }
  return Clip01(1.0 - Clip01(cdf));
}

}  // namespace

double SmirnovSf(int64_t n, double x) {
  if (!(n > 0 && x >= 0.0 && x <= 1.0)) return std::numeric_limits<double>::quiet_NaN();
  if (n == 1) return 1.0 - x;
  if (x == 0.0) return 1.0;
  if (x == 1.0) return 0.0;
  const double nd = static_cast<double>(n);
  // floor(n x) and its remainder, exactly (n*x as a double-double).
  const double nx = nd * x;
  const double nx_error = std::fma(nd, x, -nx);
  double floor_nx = std::floor(nx);
  double alpha = (nx - floor_nx) + nx_error;
  if (alpha < 0) {
    floor_nx -= 1;
    alpha += 1;
  }
  if (alpha >= 1) {
    floor_nx += 1;
    alpha = 0;
  }
  const int64_t nxfl = static_cast<int64_t>(floor_nx);
  if (nxfl == 0 || (nxfl == 1 && alpha == 0)) {
    const long double power = std::exp((nd - 1) * std::log1p(static_cast<long double>(x)));
    return std::clamp(static_cast<double>(1.0L - x * power), 0.0, 1.0);
  }
  if (-2 * nd * x * x < kMinLog) return 0.0;
  if (nxfl >= n - 1) {
    return std::clamp(static_cast<double>(std::exp(nd * std::log1p(-static_cast<long double>(x)))),
                      0.0, 1.0);
  }
  if (n > 1000000) return std::exp(-std::pow(6 * nd * x + 1.0, 2) / 18.0 / nd);
  return std::clamp(SmirnovSum(n, x, n - nxfl - 1), 0.0, 1.0);
}

double KolmogorovSmirnovSf(int64_t n, double d) {
  if (n < 1 || std::isnan(d)) return std::numeric_limits<double>::quiet_NaN();
  // kstwo's support is [0.5/n, 1]: rv_continuous.sf answers 1 below it and 0 above.
  if (d <= 0.5 / static_cast<double>(n)) return 1.0;
  if (d >= 1.0) return 0.0;
  return KolmogornSf(n, d);
}

int64_t KsEffectiveSampleSize(uint64_t n1, uint64_t n2) {
  const double m = static_cast<double>(std::max(n1, n2));
  const double n = static_cast<double>(std::min(n1, n2));
  if (m + n == 0) return 0;
  const double en = m * n / (m + n);
  return static_cast<int64_t>(std::nearbyint(en));  // numpy rounds half to even
}

double KsTwoSampleAsymptoticPValue(uint64_t n1, uint64_t n2, double d) {
  const int64_t en = KsEffectiveSampleSize(n1, n2);
  if (en < 1) return 1.0;
  return Clip01(KolmogorovSmirnovSf(en, d));
}

double ChiSquareSf(double x, double df) {
  if (!(df > 0) || std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  if (x <= 0) return 1.0;
  if (std::isinf(x)) return 0.0;
  const long double a = static_cast<long double>(df) / 2;
  const long double z = static_cast<long double>(x) / 2;
  const long double log_prefactor = -z + a * std::log(z) - LogGamma(a);
  const long double eps = std::numeric_limits<long double>::epsilon();
  if (z < a + 1) {
    // Series for the lower regularized gamma P(a, z); Q = 1 - P.
    long double term = 1 / a, sum = term;
    for (int i = 1; i < 100000; ++i) {
      term *= z / (a + i);
      sum += term;
      if (std::abs(term) < std::abs(sum) * eps) break;
    }
    const long double p = sum * std::exp(log_prefactor);
    return std::clamp(static_cast<double>(1 - p), 0.0, 1.0);
  }
  // Continued fraction for Q(a, z) (modified Lentz).
  const long double tiny = std::numeric_limits<long double>::min() / eps;
  long double b = z + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    const long double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    const long double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < eps) break;
  }
  return std::clamp(static_cast<double>(std::exp(log_prefactor) * h), 0.0, 1.0);
}

}  // namespace plinth::monitoring

#pragma once
// Tail probabilities behind the drift tests' p-values, computed the way SciPy 1.10 does.
//
// The two-sample KS p-value of scipy.stats.ks_2samp(method='asymp', alternative='two-sided') is
// kstwo.sf(D, round(en)) with en = m*n/(m+n) for sample sizes m >= n (round half to even): the
// exact distribution of the one-sample two-sided statistic D_en, evaluated with Simard and
// L'Ecuyer's choice of algorithm per region (Ruben-Gambino closed forms, the Durbin matrix,
// Pomeranz's recursion, the Pelz-Good series, and 2 * the one-sided Smirnov tail). Each is
// reproduced here, so the values agree with SciPy's to about 1e-12 relative (far inside the
// 1e-6 that the tests require).
//
// The one-sided Smirnov tail for n <= 1e6 is the Birnbaum-Tingey sum. SciPy adds up to n terms
// in double-double arithmetic (about 0.5 s at n = 500,000); here the terms are evaluated in long
// double logarithms, only where they are within e^-60 of the largest, and when that span is long
// (over 2,000 terms) the smooth summand's sum is taken as its integral by Gauss-Legendre
// quadrature (Euler-Maclaurin: the difference is far below double precision at that width).
// For n > 1e6 SciPy's own approximation exp(-(6nx+1)^2 / 18n) is used, as SciPy does.
//
// All functions are pure and thread-safe. None returns NaN for arguments in their domain.

#include <cstdint>

namespace plinth::monitoring {

// P(D_n >= d) for the two-sided one-sample KS statistic: scipy.stats.kstwo.sf(d, n). n >= 1.
double KolmogorovSmirnovSf(int64_t n, double d);

// P(D+_n >= d) for the one-sided statistic: scipy.special.smirnov(n, d). n >= 1, 0 <= d <= 1.
double SmirnovSf(int64_t n, double d);

// The asymptotic two-sided p-value of the two-sample KS test with statistic `d`, as
// ks_2samp(method='asymp') computes it. Where SciPy has no answer (both samples of size 1, so
// round(en) = 0 and SciPy returns NaN) this returns 1.0, which is also the exact p-value there.
double KsTwoSampleAsymptoticPValue(uint64_t n1, uint64_t n2, double d);

// The effective sample size round(m*n/(m+n)) used above (0 when both samples have one value).
int64_t KsEffectiveSampleSize(uint64_t n1, uint64_t n2);

// P(X >= x) for X ~ chi-square with `df` > 0 degrees of freedom: scipy.stats.chi2.sf(x, df).
double ChiSquareSf(double x, double df);

}  // namespace plinth::monitoring

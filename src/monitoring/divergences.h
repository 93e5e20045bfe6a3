#pragma once
// Drift statistics over counts: two samples already reduced to counts over the same bins or
// categories (index i of both spans is the same bin). numeric_drift.h feeds these with quantile
// bins of the reference; drift.h feeds them with category counts.
//
// - Jensen-Shannon distance: scipy.spatial.distance.jensenshannon(p, q, base), i.e.
//   sqrt((KL(p||m) + KL(q||m)) / 2) with m = (p+q)/2 after normalizing p and q to sum 1. plinth
//   uses base 2, so the distance lies in [0, 1].
// - PSI: sum over bins of (r_i - c_i) * ln(r_i / c_i) with r, c the reference's and current's
//   shares; a share of 0 is replaced by `epsilon` (plinth's default 1e-4, as Evidently).
// - Chi-square: Pearson's test of homogeneity on the 2 x k table (reference, current) x bins,
//   without continuity correction: scipy.stats.chi2_contingency(table, correction=False).
//   Degrees of freedom k-1, counting only bins that hold a value in either sample.
//
// All functions are pure, thread-safe, and never return NaN: empty inputs have defined results
// stated below.

#include <cstdint>
#include <span>

namespace plinth::monitoring {

// The JS distance of two weight vectors of equal length (normalized here). 0 when either vector
// sums to 0 or they are equal. Negative, NaN or mismatched inputs are the caller's bug: 0 results.
double JensenShannonDistance(std::span<const double> p, std::span<const double> q, double base = 2);

// JS distance of two count vectors.
double JensenShannonDistanceOfCounts(std::span<const uint64_t> reference,
                                     std::span<const uint64_t> current, double base = 2);

// PSI of two count vectors; 0 when either sample is empty.
double PopulationStabilityIndex(std::span<const uint64_t> reference,
                                std::span<const uint64_t> current, double epsilon);

struct ChiSquareResult {
  double statistic = 0;
  double p_value = 1;
  int64_t degrees_of_freedom = 0;
};

// The chi-square test of homogeneity. With fewer than two non-empty bins, or an empty sample,
// the statistic is 0, the p-value 1 and the degrees of freedom 0 (as chi2_contingency answers a
// table with no degrees of freedom).
ChiSquareResult ChiSquareHomogeneity(std::span<const uint64_t> reference,
                                     std::span<const uint64_t> current);

}  // namespace plinth::monitoring

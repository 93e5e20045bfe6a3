#pragma once
// Drift tests between two numeric samples, computed together in a few linear passes.
//
// CompareNumeric takes a reference and a current sample (non-finite values are missing and are
// left out) and computes any of:
//   - two-sample KS: D exactly as scipy.stats.ks_2samp computes it (the largest gap between the
//     two empirical CDFs, each evaluated as i/n in double), and its asymptotic two-sided p-value
//     (distributions.h);
//   - PSI and Jensen-Shannon distance over `bins` quantile bins of the reference: inner edges at
//     the reference's quantiles i/bins by numpy's default linear method (np.quantile), outer
//     edges at -inf and +inf, bins closed on the left ([e_i, e_{i+1}), as np.histogram); see
//     divergences.h for the formulas, the epsilon and the log base;
//   - Wasserstein-1 distance as scipy.stats.wasserstein_distance (the area between the two
//     empirical CDFs), and normed as Evidently does: divided by max(std(reference), 0.001),
//     with std the population standard deviation (numpy's np.std).
//
// How: none of this sorts the samples. One pass per sample summarizes it (count, min, max, mean
// and std by Chan's parallel merge of blocks); one pass counts values and sums their offsets in
// up to 65,536 equal-width buckets over the joint range. Those counts bound the KS gap and fix
// the sign of F - G in most buckets, where the Wasserstein area then follows from the offset
// sums. Only the buckets where the answer could still change - those that may hold the KS
// maximum, where F - G changes sign, or that hold a reference quantile or a bin edge - are
// gathered in a third pass and sorted. The results are exact (D bit for bit; the areas to
// rounding). Heavy-tailed data crowds into few buckets and costs up to a sort, never a wrong
// answer.
//
// Thread-safe: every call is independent. CompareNumericColumns spreads columns over threads.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "common/status.h"

namespace plinth::monitoring {

// What one sample looks like, over its present (finite) values.
struct SampleSummary {
  uint64_t rows = 0;     // values given, present or not
  uint64_t count = 0;    // present values
  uint64_t missing = 0;  // rows - count
  double min = 0, max = 0, mean = 0;
  double std = 0;  // population standard deviation (ddof = 0); 0 for fewer than two values
};

SampleSummary Summarize(std::span<const double> values);
SampleSummary Summarize(std::span<const float> values);

struct NumericTests {
  bool ks = false;
  bool psi = false;
  bool jensen_shannon = false;
  bool wasserstein = false;

  static NumericTests All() { return {true, true, true, true}; }
};

struct NumericDriftOptions {
  NumericTests tests = NumericTests::All();
  int bins = 10;                         // quantile bins for PSI and JS: 2 to 10,000
  double psi_epsilon = 1e-4;             // a bin's share when it holds no value: (0, 1)
  double js_base = 2;                    // logarithm base of the JS distance
  double wasserstein_norm_floor = 1e-3;  // the normed distance divides by max(std, this)
};

struct KsResult {
  double statistic = 0;     // D
  double p_value = 1;       // asymptotic, two-sided
  int64_t effective_n = 0;  // round(n1*n2/(n1+n2)), the n of the kstwo distribution
};

struct WassersteinResult {
  double distance = 0;  // in the data's units
  double normed = 0;    // distance / max(reference std, floor)
};

struct NumericDrift {
  SampleSummary reference, current;
  std::optional<KsResult> ks;
  std::optional<double> psi;
  std::optional<double> jensen_shannon;
  std::optional<WassersteinResult> wasserstein;
  // With PSI or JS: the bins-1 inner edges and each sample's count per bin.
  std::vector<double> bin_edges;
  std::vector<uint64_t> reference_bin_counts, current_bin_counts;
};

// Compares two samples. FailedPrecondition when either has no present value (the message says
// which, and how many were missing); InvalidArgument for options out of range.
Result<NumericDrift> CompareNumeric(std::span<const double> reference,
                                    std::span<const double> current,
                                    const NumericDriftOptions& options = {});
Result<NumericDrift> CompareNumeric(std::span<const float> reference,
                                    std::span<const float> current,
                                    const NumericDriftOptions& options = {});

template <typename T>
struct NumericPair {
  std::span<const T> reference;
  std::span<const T> current;
};

// CompareNumeric over many column pairs on `threads` threads (0: one per core), each thread
// working through whole columns. Results are in the order of `pairs`.
std::vector<Result<NumericDrift>> CompareNumericColumns(std::span<const NumericPair<double>> pairs,
                                                        const NumericDriftOptions& options,
                                                        int threads = 0);
std::vector<Result<NumericDrift>> CompareNumericColumns(std::span<const NumericPair<float>> pairs,
                                                        const NumericDriftOptions& options,
                                                        int threads = 0);

// Runs fn(i) for i in [0, n) on up to `threads` threads (0: one per core), each taking the next
// index as it finishes one. Returns when all are done.
void ParallelFor(size_t n, int threads, const std::function<void(size_t)>& fn);

}  // namespace plinth::monitoring

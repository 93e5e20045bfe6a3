// The bucketed drift engine against a plain sort-and-scan implementation of the same
// definitions, on data shaped to stress it: ties, heavy tails, huge ranges, missing values,
// tiny samples; plus its errors and its threading.

#include "monitoring/numeric_drift.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "monitoring/divergences.h"

namespace plinth::monitoring {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Expected {
  double d = 0;
  double w = 0;
  double std = 0;
  std::vector<uint64_t> ref_bins, cur_bins;
};

// The definitions, computed the obvious way (sorting everything).
Expected BruteForce(std::vector<double> a, std::vector<double> b, int bins) {
  auto drop = [](std::vector<double>& v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }),
            v.end());
    std::sort(v.begin(), v.end());
  };
  drop(a);
  drop(b);
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size());
  std::vector<double> all(a);
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  Expected e;
  auto cdf = [](const std::vector<double>& v, double x) {
    return static_cast<double>(std::upper_bound(v.begin(), v.end(), x) - v.begin());
  };
  for (size_t k = 0; k < all.size(); ++k) {
    const double diff = cdf(a, all[k]) / n1 - cdf(b, all[k]) / n2;
    e.d = std::max(e.d, std::abs(diff));
    if (k + 1 < all.size()) e.w += std::abs(diff) * (all[k + 1] - all[k]);
  }
  long double mean = 0;  // long double: the population std of values near 1e308 is finite
  for (double x : a) mean += x;
  mean /= n1;
  long double m2 = 0;
  for (double x : a) m2 += (x - mean) * (x - mean);
  e.std = static_cast<double>(std::sqrt(m2 / n1));
  // numpy's linear quantiles of a at i/bins.
  std::vector<double> edges;
  for (int i = 1; i < bins; ++i) {
    const double vi = (n1 - 1) * (static_cast<double>(i) * (1.0 / bins));
    if (vi >= n1 - 1) {
      edges.push_back(a.back());
      continue;
    }
    const size_t lo = static_cast<size_t>(std::floor(vi));
    const double g = vi - std::floor(vi), x0 = a[lo], x1 = a[lo + 1];
    edges.push_back(g >= 0.5 ? x1 - (x1 - x0) * (1 - g) : x0 + (x1 - x0) * g);
  }
  for (const auto* v : {&a, &b}) {
    std::vector<uint64_t> counts(bins, 0);
    uint64_t previous = 0;
    for (int i = 0; i + 1 < bins; ++i) {
      const uint64_t below =
          static_cast<uint64_t>(std::lower_bound(v->begin(), v->end(), edges[i]) - v->begin());
      counts[i] = below - previous;
      previous = below;
    }
    counts[bins - 1] = v->size() - previous;
    (v == &a ? e.ref_bins : e.cur_bins) = counts;
  }
  return e;
}

void ExpectMatchesBruteForce(const std::vector<double>& a, const std::vector<double>& b,
                             int bins = 10) {
  const Expected e = BruteForce(a, b, bins);
  NumericDriftOptions options;
  options.bins = bins;
  auto got = CompareNumeric(std::span<const double>(a), std::span<const double>(b), options);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->ks->statistic, e.d);
  EXPECT_NEAR(got->wasserstein->distance, e.w, 1e-9 * std::max(1.0, e.w));
  EXPECT_NEAR(got->reference.std, e.std, 1e-9 * std::max(1.0, e.std));
  EXPECT_EQ(got->reference_bin_counts, e.ref_bins);
  EXPECT_EQ(got->current_bin_counts, e.cur_bins);
  EXPECT_FALSE(std::isnan(got->ks->p_value));
  EXPECT_FALSE(std::isnan(*got->psi));
  EXPECT_FALSE(std::isnan(*got->jensen_shannon));
  EXPECT_FALSE(std::isnan(got->wasserstein->normed));
}

std::vector<double> Normal(size_t n, double mean, double sd, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(mean, sd);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

TEST(NumericDrift, MatchesBruteForceOnNormalSamples) {
  ExpectMatchesBruteForce(Normal(20000, 0, 1, 1), Normal(30000, 0.01, 1, 2));
  ExpectMatchesBruteForce(Normal(5000, 0, 1, 3), Normal(5000, 0.5, 2, 4), 20);
}

TEST(NumericDrift, MatchesBruteForceWithManyTies) {
  std::mt19937_64 rng(5);
  std::vector<double> a(30000), b(25000);
  for (double& x : a) x = static_cast<double>(rng() % 7);
  for (double& x : b) x = static_cast<double>(rng() % 9) * 0.5;
  ExpectMatchesBruteForce(a, b);
}

TEST(NumericDrift, MatchesBruteForceWithHeavyTailsAndOutliers) {
  std::vector<double> a = Normal(40000, 0, 1, 6), b = Normal(40000, 0, 1, 7);
  a[17] = 1e12;   // one outlier squeezes everything else into a single bucket
  b[3] = -5e11;
  ExpectMatchesBruteForce(a, b);
  std::mt19937_64 rng(8);
  std::cauchy_distribution<double> cauchy(0, 1);
  for (double& x : a) x = cauchy(rng);
  for (double& x : b) x = cauchy(rng) + 0.1;
  ExpectMatchesBruteForce(a, b);
}

TEST(NumericDrift, MatchesBruteForceOnHugeRangesAndTinySamples) {
  ExpectMatchesBruteForce({-1e308, 1e308, 0}, {1e308, -1e308, 5});
  ExpectMatchesBruteForce({1}, {2});
  ExpectMatchesBruteForce({1, 2}, {2, 3, 4});
  ExpectMatchesBruteForce({5, 5, 5}, {5, 5});
  ExpectMatchesBruteForce({1e-300, 2e-300, 3e-300}, {1.5e-300, 4e-300});
}

TEST(NumericDrift, LeavesOutMissingValues) {
  std::vector<double> a = Normal(1000, 0, 1, 9), b = Normal(1200, 0.2, 1, 10);
  a[5] = kNaN;
  a[6] = kInf;
  b[0] = -kInf;
  b[1] = kNaN;
  ExpectMatchesBruteForce(a, b);
  auto got = CompareNumeric(std::span<const double>(a), std::span<const double>(b));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->reference.count, 998u);
  EXPECT_EQ(got->reference.missing, 2u);
  EXPECT_EQ(got->current.missing, 2u);
}

TEST(NumericDrift, FloatAndDoubleInputsAgree) {
  std::vector<double> a = Normal(50000, 0, 1, 11), b = Normal(50000, 0.05, 1, 12);
  std::vector<float> af(a.begin(), a.end()), bf(b.begin(), b.end());
  std::vector<double> ad(af.begin(), af.end()), bd(bf.begin(), bf.end());
  auto f = CompareNumeric(std::span<const float>(af), std::span<const float>(bf));
  auto d = CompareNumeric(std::span<const double>(ad), std::span<const double>(bd));
  ASSERT_TRUE(f.ok() && d.ok());
  EXPECT_EQ(f->ks->statistic, d->ks->statistic);
  EXPECT_EQ(f->ks->p_value, d->ks->p_value);
  EXPECT_EQ(f->reference_bin_counts, d->reference_bin_counts);
  EXPECT_EQ(f->current_bin_counts, d->current_bin_counts);
  EXPECT_NEAR(f->wasserstein->distance, d->wasserstein->distance, 1e-12);
}

TEST(NumericDrift, EqualConstantsShowNoDrift) {
  std::vector<double> a(100, 3.0), b(70, 3.0);
  auto got = CompareNumeric(std::span<const double>(a), std::span<const double>(b));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ks->statistic, 0);
  EXPECT_EQ(got->ks->p_value, 1);
  EXPECT_EQ(got->wasserstein->distance, 0);
  EXPECT_EQ(got->wasserstein->normed, 0);
  EXPECT_EQ(*got->psi, 0);
  EXPECT_EQ(*got->jensen_shannon, 0);
}

TEST(NumericDrift, ConstantReferenceNormsByTheFloor) {
  std::vector<double> a(100, 3.0), b(70, 4.0);
  auto got = CompareNumeric(std::span<const double>(a), std::span<const double>(b));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ks->statistic, 1);
  EXPECT_EQ(got->wasserstein->distance, 1);
  EXPECT_DOUBLE_EQ(got->wasserstein->normed, 1000);  // 1 / max(std = 0, 0.001)
}

TEST(NumericDrift, EmptyOrAllMissingSamplesAreAnError) {
  std::vector<double> empty, nans(5, kNaN), some = {1, 2, 3};
  auto a = CompareNumeric(std::span<const double>(empty), std::span<const double>(some));
  EXPECT_EQ(a.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(a.status().message(), "the reference sample is empty");
  auto b = CompareNumeric(std::span<const double>(some), std::span<const double>(nans));
  EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(b.status().message(), "the current sample has no values: all 5 are missing");
}

TEST(NumericDrift, RejectsBadOptions) {
  std::vector<double> some = {1, 2, 3};
  NumericDriftOptions options;
  options.bins = 1;
  EXPECT_EQ(CompareNumeric(std::span<const double>(some), std::span<const double>(some), options)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  options.bins = 10;
  options.psi_epsilon = 0;
  EXPECT_EQ(CompareNumeric(std::span<const double>(some), std::span<const double>(some), options)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(NumericDrift, ComputesOnlyTheTestsAsked) {
  std::vector<double> a = Normal(100, 0, 1, 13), b = Normal(100, 0, 1, 14);
  NumericDriftOptions options;
  options.tests = NumericTests{};
  options.tests.psi = true;
  auto got = CompareNumeric(std::span<const double>(a), std::span<const double>(b), options);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->ks.has_value());
  EXPECT_FALSE(got->wasserstein.has_value());
  EXPECT_FALSE(got->jensen_shannon.has_value());
  EXPECT_TRUE(got->psi.has_value());
  EXPECT_EQ(got->bin_edges.size(), 9u);
}

TEST(NumericDrift, ColumnsOnThreadsMatchOneByOne) {
  std::vector<std::vector<float>> refs, curs;
  for (int i = 0; i < 7; ++i) {
    auto r = Normal(10000 + 1000 * i, 0, 1, 100 + i), c = Normal(9000, 0.1 * i, 1, 200 + i);
    refs.emplace_back(r.begin(), r.end());
    curs.emplace_back(c.begin(), c.end());
  }
  std::vector<NumericPair<float>> pairs;
  for (int i = 0; i < 7; ++i) pairs.push_back({refs[i], curs[i]});
  auto threaded = CompareNumericColumns(pairs, NumericDriftOptions{}, 3);
  ASSERT_EQ(threaded.size(), 7u);
  for (int i = 0; i < 7; ++i) {
    auto single = CompareNumeric(std::span<const float>(refs[i]), std::span<const float>(curs[i]));
    ASSERT_TRUE(threaded[i].ok() && single.ok());
    EXPECT_EQ(threaded[i]->ks->statistic, single->ks->statistic);
    EXPECT_EQ(threaded[i]->wasserstein->distance, single->wasserstein->distance);
    EXPECT_EQ(threaded[i]->psi, single->psi);
  }
}

TEST(Divergences, DefinedResultsForDegenerateCounts) {
  std::vector<uint64_t> none = {0, 0}, some = {3, 1};
  EXPECT_EQ(JensenShannonDistanceOfCounts(none, some), 0);
  EXPECT_EQ(PopulationStabilityIndex(none, some, 1e-4), 0);
  const ChiSquareResult one_bin = ChiSquareHomogeneity(std::vector<uint64_t>{5},
                                                       std::vector<uint64_t>{7});
  EXPECT_EQ(one_bin.statistic, 0);
  EXPECT_EQ(one_bin.p_value, 1);
  EXPECT_EQ(one_bin.degrees_of_freedom, 0);
  // Disjoint supports: the largest JS distance in base 2 is 1.
  EXPECT_DOUBLE_EQ(JensenShannonDistanceOfCounts(std::vector<uint64_t>{4, 0},
                                                 std::vector<uint64_t>{0, 9}),
                   1.0);
}

}  // namespace
}  // namespace plinth::monitoring

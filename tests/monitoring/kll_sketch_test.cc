// The KLL sketch's documented rank error, merging and serialization.

#include "monitoring/kll_sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace plinth::monitoring {
namespace {

// The largest |estimated rank - true rank| / n over the percentiles 1..99.
double MaxRankError(const KllSketch& sketch, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  double worst = 0;
  for (int p = 1; p < 100; ++p) {
    const double q = sketch.Quantile(p / 100.0);
    const double true_rank =
        static_cast<double>(std::upper_bound(values.begin(), values.end(), q) - values.begin()) / n;
    worst = std::max(worst, std::abs(true_rank - p / 100.0));
  }
  return worst;
}

TEST(KllSketch, RankErrorStaysWithinTheDocumentedBound) {
  const size_t n = 1000000;
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<double> values(n);
  for (double& v : values) v = uniform(rng);
  KllSketch random_order;
  for (double v : values) random_order.Update(v);
  EXPECT_LT(MaxRankError(random_order, values), 0.0133);
  EXPECT_LT(random_order.retained(), 1000u);  // bounded, whatever n

  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  KllSketch sorted_order;
  for (double v : sorted) sorted_order.Update(v);
  EXPECT_LT(MaxRankError(sorted_order, values), 0.0133);
}

TEST(KllSketch, MergedSketchesKeepTheBound) {
  std::mt19937_64 rng(2);
  std::normal_distribution<double> normal(0, 1);
  std::vector<double> all;
  KllSketch merged;
  for (int window = 0; window < 20; ++window) {
    KllSketch part;
    for (int i = 0; i < 50000; ++i) {
      const double v = normal(rng) + window * 0.1;
      part.Update(v);
      all.push_back(v);
    }
    ASSERT_TRUE(merged.Merge(part).ok());
  }
  EXPECT_EQ(merged.count(), all.size());
  EXPECT_EQ(merged.min(), *std::min_element(all.begin(), all.end()));
  EXPECT_EQ(merged.max(), *std::max_element(all.begin(), all.end()));
  EXPECT_LT(MaxRankError(merged, all), 0.0133);
}

TEST(KllSketch, SmallInputsAreExact) {
  KllSketch sketch;
  for (double v : {5.0, 1.0, 3.0, 2.0, 4.0}) sketch.Update(v);
  EXPECT_EQ(sketch.Quantile(0), 1.0);
  EXPECT_EQ(sketch.Quantile(0.5), 3.0);
  EXPECT_EQ(sketch.Quantile(1), 5.0);
  EXPECT_DOUBLE_EQ(sketch.Rank(2.0), 0.4);
}

TEST(KllSketch, EmptyAndNaN) {
  KllSketch sketch;
  sketch.Update(std::nan(""));
  EXPECT_TRUE(sketch.empty());
  EXPECT_TRUE(std::isnan(sketch.Quantile(0.5)));
  EXPECT_EQ(sketch.Rank(1.0), 0.0);
}

TEST(KllSketch, RejectsMergingDifferentK) {
  KllSketch a(200), b(100);
  b.Update(1);
  EXPECT_EQ(a.Merge(b).code(), StatusCode::kInvalidArgument);
}

TEST(KllSketch, JsonRoundTrip) {
  KllSketch sketch;
  for (int i = 0; i < 10000; ++i) sketch.Update(i * 0.5);
  auto copy = KllSketch::FromJson(sketch.ToJson());
  ASSERT_TRUE(copy.ok()) << copy.status().message();
  EXPECT_EQ(copy->count(), sketch.count());
  for (double q : {0.1, 0.5, 0.9}) EXPECT_EQ(copy->Quantile(q), sketch.Quantile(q));
  // The same further updates give the same sketch (the generator state travels too).
  sketch.Update(1);
  copy->Update(1);
  EXPECT_EQ(copy->ToJson(), sketch.ToJson());

  nlohmann::json bad = sketch.ToJson();
  bad["n"] = 3;
  EXPECT_EQ(KllSketch::FromJson(bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(KllSketch::FromJson(KllSketch().ToJson()).ok());
}

}  // namespace
}  // namespace plinth::monitoring

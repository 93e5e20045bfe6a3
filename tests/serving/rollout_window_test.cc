#include "serving/rollout_window.h"

#include <gtest/gtest.h>

#include <cmath>

namespace plinth::serving {
namespace {

TEST(HistogramQuantile, InterpolatesInsideTheBucketLikePrometheus) {
  std::vector<double> bounds = {1, 2, 4};
  // 100 observations: 50 in (0,1], 40 in (1,2], 10 in (2,4].
  std::vector<uint64_t> counts = {50, 40, 10, 0};
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, bounds, counts), 1.0);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.7, bounds, counts), 1.5);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.99, bounds, counts), 2 + 2 * 0.9);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.99, bounds, {0, 0, 0, 0}), 0.0);
}

TEST(HistogramQuantile, RankInTheInfBucketIsTheHighestBound) {
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.99, {1, 2}, {1, 0, 99}), 2.0);
}

TEST(WindowStats, IsTheDifferenceOfTwoSnapshots) {
  VariantMetrics m;
  for (int i = 0; i < 10; ++i) {
    m.requests++;
    m.latency_seconds.Observe(0.00005);
    float v[2] = {100, 100};
    m.RecordPredictions(v, 2);
  }
  VariantSnapshot start = TakeSnapshot(m);
  for (int i = 0; i < 4; ++i) {
    m.requests++;
    m.latency_seconds.Observe(0.003);  // the (2.5 ms, 5 ms] bucket
    float v[2] = {1, 3};
    m.RecordPredictions(v, 2);
  }
  m.requests++;
  m.errors++;
  m.latency_seconds.Observe(0.003);
  float nan = std::nanf("");
  m.RecordPredictions(&nan, 1);  // not finite: not counted
  WindowStats w = Between(start, TakeSnapshot(m), m.latency_seconds.upper_bounds());
  EXPECT_EQ(w.requests, 5);
  EXPECT_EQ(w.errors, 1);
  EXPECT_DOUBLE_EQ(w.error_rate, 0.2);
  EXPECT_EQ(w.predictions, 8);
  EXPECT_DOUBLE_EQ(w.mean_prediction, 2.0);
  EXPECT_GT(w.p99_ms, 2.5);
  EXPECT_LE(w.p99_ms, 5.0);
}

TEST(WindowStats, EmptyWindowIsAllZero) {
  VariantMetrics m;
  VariantSnapshot s = TakeSnapshot(m);
  WindowStats w = Between(s, s, m.latency_seconds.upper_bounds());
  EXPECT_EQ(w.requests, 0);
  EXPECT_EQ(w.error_rate, 0);
  EXPECT_EQ(w.p99_ms, 0);
  EXPECT_EQ(w.mean_prediction, 0);
}

}  // namespace
}  // namespace plinth::serving

// Column profiles: exact moments, merging windows, histograms, top-k with bounded memory.

#include "monitoring/profile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

namespace plinth::monitoring {
namespace {

TEST(NumericProfile, CountsMomentsAndMissing) {
  NumericProfile profile;
  profile.AddAll(std::vector<double>{1, 2, 3, 4, std::nan(""), INFINITY});
  EXPECT_EQ(profile.count(), 4u);
  EXPECT_EQ(profile.missing(), 2u);
  EXPECT_EQ(profile.min(), 1);
  EXPECT_EQ(profile.max(), 4);
  EXPECT_DOUBLE_EQ(profile.mean(), 2.5);
  EXPECT_DOUBLE_EQ(profile.variance(), 1.25);  // population variance, like np.var
  EXPECT_EQ(profile.Quantile(0.5), 2);
}

TEST(NumericProfile, MergedWindowsEqualTheWhole) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal(100, 5);
  NumericProfile whole, merged;
  for (int window = 0; window < 10; ++window) {
    NumericProfile part;
    for (int i = 0; i < 10000; ++i) {
      const double v = normal(rng);
      part.Add(v);
      whole.Add(v);
    }
    ASSERT_TRUE(merged.Merge(part).ok());
  }
  EXPECT_EQ(merged.count(), whole.count());
  EXPECT_NEAR(merged.mean(), whole.mean(), 1e-9);
  EXPECT_NEAR(merged.std(), whole.std(), 1e-9);
  EXPECT_EQ(merged.min(), whole.min());
  EXPECT_EQ(merged.max(), whole.max());
  EXPECT_NEAR(merged.Quantile(0.5), 100, 0.5);
}

TEST(NumericProfile, FixedEdgeHistogramIsExactAndMerges) {
  NumericProfileOptions options;
  options.histogram_edges = {0, 10, 20};
  auto a = NumericProfile::Create(options);
  auto b = NumericProfile::Create(options);
  ASSERT_TRUE(a.ok() && b.ok());
  a->AddAll(std::vector<double>{-1, 0, 5, 10, 25});
  b->AddAll(std::vector<double>{19.9, 20});
  ASSERT_TRUE(a->Merge(*b).ok());
  const auto bins = a->Histogram();
  ASSERT_EQ(bins.size(), 4u);
  EXPECT_EQ(bins[0].count, 1);  // (-inf, 0)
  EXPECT_EQ(bins[1].count, 2);  // [0, 10)
  EXPECT_EQ(bins[2].count, 2);  // [10, 20)
  EXPECT_EQ(bins[3].count, 2);  // [20, inf)
  EXPECT_TRUE(std::isinf(bins[0].lower));

  NumericProfile other;  // no edges
  EXPECT_EQ(a->Merge(other).code(), StatusCode::kInvalidArgument);
  options.histogram_edges = {1, 1};
  EXPECT_EQ(NumericProfile::Create(options).status().code(), StatusCode::kInvalidArgument);
}

TEST(NumericProfile, SketchHistogramAddsUpToTheCount) {
  NumericProfile profile;
  for (int i = 0; i < 100000; ++i) profile.Add(i % 1000);
  const auto bins = profile.Histogram(10);
  ASSERT_EQ(bins.size(), 10u);
  double total = 0;
  for (const auto& bin : bins) {
    total += bin.count;
    EXPECT_NEAR(bin.count, 10000, 2000);
  }
  EXPECT_NEAR(total, 100000, 1e-6);
  NumericProfile constant;
  constant.AddAll(std::vector<double>{7, 7, 7});
  ASSERT_EQ(constant.Histogram(10).size(), 1u);
  EXPECT_EQ(constant.Histogram(10)[0].count, 3);
  EXPECT_TRUE(NumericProfile().Histogram(10).empty());
}

TEST(NumericProfile, JsonRoundTrip) {
  NumericProfileOptions options;
  options.histogram_edges = {0.5};
  NumericProfile profile(options);
  profile.AddAll(std::vector<double>{0, 1, 2, std::nan("")});
  auto copy = NumericProfile::FromJson(profile.ToJson());
  ASSERT_TRUE(copy.ok()) << copy.status().message();
  EXPECT_EQ(copy->ToJson(), profile.ToJson());
  EXPECT_EQ(copy->missing(), 1u);
}

TEST(CategoricalProfile, ExactCountsAndTopK) {
  CategoricalProfile profile;
  for (const char* v : {"b", "a", "b", "c", "b", "a", ""}) profile.Add(v);
  EXPECT_EQ(profile.count(), 6u);
  EXPECT_EQ(profile.missing(), 1u);
  EXPECT_TRUE(profile.exact());
  const auto top = profile.TopK(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].value, "b");
  EXPECT_EQ(top[0].count, 3u);
  EXPECT_EQ(top[1].value, "a");
}

TEST(CategoricalProfile, ManyDistinctValuesStayBoundedWithinTheErrorBound) {
  CategoricalProfile profile(CategoricalProfileOptions{64});
  std::map<std::string, uint64_t> truth;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200000; ++i) {
    // A few heavy values and a long tail of rare ones.
    const std::string v = (i % 3 == 0) ? "heavy" + std::to_string(rng() % 4)
                                       : "rare" + std::to_string(rng() % 100000);
    profile.Add(v);
    ++truth[v];
  }
  EXPECT_LE(profile.tracked(), 64u);
  EXPECT_FALSE(profile.exact());
  EXPECT_LE(profile.error_bound(), profile.count() / 33);
  for (const auto& entry : profile.TopK(10)) {
    EXPECT_LE(entry.count, truth[entry.value]);
    EXPECT_GE(entry.count + profile.error_bound(), truth[entry.value]);
  }
  const auto top = profile.TopK(4);
  for (const auto& entry : top) EXPECT_EQ(entry.value.rfind("heavy", 0), 0u) << entry.value;
}

TEST(CategoricalProfile, MergesAndRoundTrips) {
  CategoricalProfile a, b;
  a.Add("x", 5);
  b.Add("x", 2);
  b.Add("y");
  b.AddMissing(3);
  ASSERT_TRUE(a.Merge(b).ok());
  EXPECT_EQ(a.TopK(1)[0].count, 7u);
  EXPECT_EQ(a.missing(), 3u);
  auto copy = CategoricalProfile::FromJson(a.ToJson());
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->ToJson(), a.ToJson());
  CategoricalProfile small(CategoricalProfileOptions{8});
  EXPECT_EQ(a.Merge(small).code(), StatusCode::kInvalidArgument);
}

TEST(TableProfile, ProfilesMergeAndRoundTrip) {
  Table t1, t2;
  ASSERT_TRUE(t1.AddColumn(Column::Numeric("x", {1, 2, 3})).ok());
  ASSERT_TRUE(t1.AddColumn(Column::Categorical("c", {"a", "b", ""})).ok());
  ASSERT_TRUE(t2.AddColumn(Column::Categorical("c", {"a"})).ok());
  ASSERT_TRUE(t2.AddColumn(Column::Numeric("x", {10})).ok());
  TableProfile p1 = TableProfile::FromTable(t1), p2 = TableProfile::FromTable(t2);
  ASSERT_TRUE(p1.Merge(p2).ok());
  EXPECT_EQ(p1.rows(), 4u);
  EXPECT_EQ(p1.Find("x")->numeric->count(), 4u);
  EXPECT_EQ(p1.Find("x")->numeric->max(), 10);
  EXPECT_EQ(p1.Find("c")->categorical->TopK(1)[0].count, 2u);
  auto copy = TableProfile::FromJson(p1.ToJson());
  ASSERT_TRUE(copy.ok()) << copy.status().message();
  EXPECT_EQ(copy->ToJson(), p1.ToJson());

  Table t3;
  ASSERT_TRUE(t3.AddColumn(Column::Categorical("x", {"q"})).ok());
  ASSERT_TRUE(t3.AddColumn(Column::Categorical("c", {"q"})).ok());
  EXPECT_EQ(p1.Merge(TableProfile::FromTable(t3)).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace plinth::monitoring

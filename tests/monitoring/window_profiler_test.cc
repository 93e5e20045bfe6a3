// WindowProfiler: every request shape serving captures becomes profile rows; unknown columns,
// bad records and label shapes are counted, never fatal; chunked folding changes nothing.

#include "monitoring/window_profiler.h"

#include <gtest/gtest.h>

namespace plinth::monitoring {
namespace {

WindowProfilerOptions Options(size_t chunk = 10000) {
  WindowProfilerOptions o;
  o.feature_columns = {"hour", "rain"};
  o.quality = QualityMetric::kMae;
  o.chunk_rows = chunk;
  return o;
}

TEST(WindowProfiler, ReadsEveryRequestShape) {
  WindowProfiler p(Options());
  p.Add("a", R"({"instances": [{"hour": 1, "rain": 0.5}, {"hour": 2, "rain": null, "x": 3}]})",
        "[10, 20]");
  p.Add("a", R"({"inputs": [[3, 1.5]]})", "[30]");
  p.Add("b", R"({"inputs": [{"name": "input-0", "shape": [2, 2], "datatype": "FP32",
                            "data": [4, 2.5, 5, 3.5]}]})",
        "[40, 50]");
  p.Add("b", R"({"inputs": [{"name": "hour", "shape": [1], "data": [6]},
                            {"name": "rain", "shape": [1], "data": [4.5]}]})",
        "[[0.1, 0.9]]");
  TableProfile profile = p.Finish();
  EXPECT_EQ(p.requests(), 4u);
  EXPECT_EQ(p.rows(), 6u);
  EXPECT_EQ(p.bad_records(), 0u);
  const ColumnProfile* hour = profile.Find("hour");
  ASSERT_NE(hour, nullptr);
  EXPECT_EQ(hour->numeric->count(), 6u);
  EXPECT_DOUBLE_EQ(hour->numeric->mean(), (1 + 2 + 3 + 4 + 5 + 6) / 6.0);
  EXPECT_EQ(profile.Find("rain")->numeric->missing(), 1u);
  // The prediction column: values, and argmax (class 1) for several outputs.
  EXPECT_EQ(profile.Find("prediction")->numeric->count(), 6u);
  EXPECT_DOUBLE_EQ(profile.Find("prediction")->numeric->min(), 1.0);
  EXPECT_EQ(p.unknown_columns().at("x"), 1u);
}

TEST(WindowProfiler, SkipsBadRecordsAndCountsThem) {
  WindowProfiler p(Options());
  p.Add("a", "not json", "[1]");
  p.Add("a", R"({"instances": [{"hour": "eight"}]})", "[1]");
  p.Add("a", R"({"instances": [{"hour": 1}]})", "[1, 2]");  // predictions for 2 rows
  p.Add("a", R"({"rows": []})", "[]");
  TableProfile profile = p.Finish();
  EXPECT_EQ(p.bad_records(), 4u);
  EXPECT_EQ(p.rows(), 0u);
  EXPECT_FALSE(p.first_bad_record().empty());
  // An empty profile still has the columns, with nothing in them.
  ASSERT_NE(profile.Find("hour"), nullptr);
  EXPECT_EQ(profile.Find("hour")->numeric->rows(), 0u);
}

TEST(WindowProfiler, JoinsLabelsPerVariant) {
  WindowProfiler p(Options());
  p.Add("primary", R"({"instances": [{"hour": 1}]})", "[10]", "12");  // error 2
  p.Add("primary", R"({"instances": [{"hour": 1}, {"hour": 2}]})", "[10, 20]",
        "[10, 16]");                                                               // errors 0, 4
  p.Add("canary", R"({"instances": [{"hour": 1}]})", "[10]", "11");                // error 1
  p.Add("canary", R"({"instances": [{"hour": 1}, {"hour": 2}]})", "[1, 2]", "5");  // mismatch
  p.Add("canary", R"({"instances": [{"hour": 1}]})", "[10]");                      // no label
  (void)p.Finish();
  EXPECT_EQ(p.labelled_rows(), 4u);
  EXPECT_EQ(p.label_mismatches(), 1u);
  auto all = p.Quality();
  ASSERT_TRUE(all && all->value);
  EXPECT_DOUBLE_EQ(*all->value, (2 + 0 + 4 + 1) / 4.0);
  auto by = p.QualityByVariant();
  EXPECT_DOUBLE_EQ(*by.at("primary").value, 2.0);  // (2 + 0 + 4) / 3
  EXPECT_DOUBLE_EQ(*by.at("canary").value, 1.0);
}

TEST(WindowProfiler, ChunkingDoesNotChangeTheProfile) {
  WindowProfiler small(Options(3)), large(Options(100000));
  for (int i = 0; i < 50; ++i) {
    std::string body = "{\"instances\": [{\"hour\": " + std::to_string(i % 24) +
                       ", \"rain\": " + std::to_string(i * 0.1) + "}]}";
    small.Add("a", body, "[" + std::to_string(i) + "]");
    large.Add("a", body, "[" + std::to_string(i) + "]");
  }
  TableProfile a = small.Finish(), b = large.Finish();
  for (const char* column : {"hour", "rain", "prediction"}) {
    const NumericProfile& x = *a.Find(column)->numeric;
    const NumericProfile& y = *b.Find(column)->numeric;
    EXPECT_EQ(x.count(), y.count());
    EXPECT_EQ(x.sketch().WeightedValues(), y.sketch().WeightedValues());
    EXPECT_NEAR(x.mean(), y.mean(), 1e-12);
    EXPECT_NEAR(x.std(), y.std(), 1e-12);
  }
}

}  // namespace
}  // namespace plinth::monitoring

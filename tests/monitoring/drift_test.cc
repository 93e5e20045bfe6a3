// DetectDrift: Evidently's automatic choice of test, the dataset verdict, and every kind of bad
// input the issue lists (each a defined result or a clear error).

#include "monitoring/drift.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace plinth::monitoring {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> Normal(size_t n, double mean, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(mean, 1);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

std::vector<std::string> Categories(size_t n, int kinds, uint64_t seed, int skew = 0) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> v(n);
  for (auto& s : v) {
    int k = static_cast<int>(rng() % kinds);
    if (skew > 0 && rng() % 10 < static_cast<uint64_t>(skew)) k = 0;
    s = "c" + std::to_string(k);
  }
  return v;
}

Table MakeTable(std::vector<Column> columns) {
  Table t;
  for (Column& c : columns) EXPECT_TRUE(t.AddColumn(std::move(c)).ok());
  return t;
}

const ColumnDrift& Find(const DriftReport& report, const std::string& name) {
  for (const auto& c : report.columns) {
    if (c.column == name) return c;
  }
  ADD_FAILURE() << "no column " << name;
  return report.columns.front();
}

TEST(DetectDrift, AutoUsesTestsForSmallReferences) {
  Table ref = MakeTable({Column::Numeric("x", Normal(800, 0, 1)),
                         Column::Categorical("c", Categories(800, 4, 2)),
                         Column::Numeric("flag", std::vector<double>(800, 1))});
  std::vector<double> flags(900, 0);
  for (size_t i = 0; i < flags.size(); i += 2) flags[i] = 1;
  Table cur = MakeTable({Column::Numeric("x", Normal(900, 1, 3)),
                         Column::Categorical("c", Categories(900, 4, 4)),
                         Column::Numeric("flag", flags)});
  auto report = DetectDrift(ref, cur);
  ASSERT_TRUE(report.ok()) << report.status().message();
  const ColumnDrift& x = Find(*report, "x");
  EXPECT_EQ(x.method, DriftMethod::kKs);
  EXPECT_EQ(x.threshold, 0.05);
  EXPECT_TRUE(x.drifted);
  EXPECT_LT(*x.p_value, 1e-10);
  const ColumnDrift& c = Find(*report, "c");
  EXPECT_EQ(c.method, DriftMethod::kChiSquare);
  EXPECT_FALSE(c.drifted);
  const ColumnDrift& flag = Find(*report, "flag");  // 2 distinct values: categories
  EXPECT_EQ(flag.method, DriftMethod::kChiSquare);
  EXPECT_TRUE(flag.drifted);
  EXPECT_EQ(report->tested_columns, 3u);
  EXPECT_EQ(report->drifted_columns, 2u);
  EXPECT_TRUE(report->dataset_drift);  // 2/3 >= 0.5
}

TEST(DetectDrift, AutoUsesDistancesForLargeReferences) {
  Table ref = MakeTable({Column::Numeric("x", Normal(5000, 0, 1)),
                         Column::Categorical("c", Categories(5000, 4, 2))});
  Table cur = MakeTable({Column::Numeric("x", Normal(5000, 0.05, 3)),
                         Column::Categorical("c", Categories(5000, 4, 4, 5))});
  auto report = DetectDrift(ref, cur);
  ASSERT_TRUE(report.ok());
  const ColumnDrift& x = Find(*report, "x");
  EXPECT_EQ(x.method, DriftMethod::kWasserstein);
  EXPECT_EQ(x.threshold, 0.1);
  EXPECT_FALSE(x.p_value.has_value());
  EXPECT_FALSE(x.drifted);  // a 0.05 sd shift is under 0.1 sd
  const ColumnDrift& c = Find(*report, "c");
  EXPECT_EQ(c.method, DriftMethod::kJensenShannon);
  EXPECT_TRUE(c.drifted);
  EXPECT_EQ(report->drifted_share, 0.5);
  EXPECT_TRUE(report->dataset_drift);  // at the 0.5 threshold counts
}

TEST(DetectDrift, ShareThresholdIsInclusive) {
  Table ref = MakeTable({Column::Numeric("a", Normal(2000, 0, 1)),
                         Column::Numeric("b", Normal(2000, 0, 2))});
  Table cur = MakeTable({Column::Numeric("a", Normal(2000, 3, 3)),
                         Column::Numeric("b", Normal(2000, 0, 4))});
  DriftOptions options;
  auto report = DetectDrift(ref, cur, options);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->drifted_columns, 1u);
  EXPECT_TRUE(report->dataset_drift);  // 0.5 >= 0.5
  options.drift_share = 0.6;
  EXPECT_FALSE(DetectDrift(ref, cur, options)->dataset_drift);
}

TEST(DetectDrift, ExplicitMethodsAndThreshold) {
  Table ref = MakeTable({Column::Numeric("x", Normal(3000, 0, 1))});
  Table cur = MakeTable({Column::Numeric("x", Normal(3000, 0.3, 2))});
  for (auto method : {DriftMethod::kKs, DriftMethod::kPsi, DriftMethod::kJensenShannon,
                      DriftMethod::kWasserstein, DriftMethod::kChiSquare}) {
    DriftOptions options;
    options.method = method;
    auto report = DetectDrift(ref, cur, options);
    ASSERT_TRUE(report.ok()) << DriftMethodName(method);
    EXPECT_EQ(report->columns[0].method, method);
    EXPECT_TRUE(std::isfinite(report->columns[0].statistic));
  }
  DriftOptions options;
  options.method = DriftMethod::kWasserstein;
  options.threshold = 0.5;
  const ColumnDrift w = DetectDrift(ref, cur, options)->columns[0];
  EXPECT_EQ(w.threshold, 0.5);
  EXPECT_FALSE(w.drifted);  // about 0.3 sd
  EXPECT_EQ(w.details[0].first, "wasserstein");
}

TEST(DetectDrift, EmptyWindowIsNotTestedAndSaysWhy) {
  Table ref = MakeTable({Column::Numeric("x", Normal(100, 0, 1)),
                         Column::Categorical("c", Categories(100, 3, 2))});
  Table cur = MakeTable({Column::Numeric("x", {}), Column::Categorical("c", {})});
  auto report = DetectDrift(ref, cur);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->tested_columns, 0u);
  EXPECT_FALSE(report->dataset_drift);
  EXPECT_EQ(report->drifted_share, 0);
  EXPECT_FALSE(report->columns[0].tested);
  EXPECT_EQ(report->columns[0].note, "the current sample is empty");
  EXPECT_EQ(report->columns[1].type, ColumnType::kCategorical);
}

TEST(DetectDrift, AllNaNColumnIsNotTestedEvenAgainstCategoricalData) {
  Table ref = MakeTable({Column::Numeric("x", Normal(100, 0, 1)),
                         Column::Categorical("c", Categories(100, 3, 2))});
  Table cur = MakeTable({Column::Numeric("x", std::vector<double>(50, kNaN)),
                         Column::Numeric("c", std::vector<double>(50, kNaN))});
  auto report = DetectDrift(ref, cur);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->columns[0].note, "the current sample has no values (all 50 missing)");
  EXPECT_FALSE(report->columns[1].tested);
  EXPECT_EQ(report->columns[1].type, ColumnType::kCategorical);
  EXPECT_EQ(report->columns[1].current_missing, 50u);
}

TEST(DetectDrift, ConstantColumns) {
  Table ref = MakeTable({Column::Numeric("same", std::vector<double>(2000, 5)),
                         Column::Numeric("moved", std::vector<double>(2000, 5))});
  Table cur = MakeTable({Column::Numeric("same", std::vector<double>(2000, 5)),
                         Column::Numeric("moved", std::vector<double>(2000, 6))});
  auto report = DetectDrift(ref, cur);  // auto: one distinct value -> categories, js
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Find(*report, "same").statistic, 0);
  EXPECT_FALSE(Find(*report, "same").drifted);
  EXPECT_EQ(Find(*report, "moved").statistic, 1);
  EXPECT_TRUE(Find(*report, "moved").drifted);
  DriftOptions options;
  options.method = DriftMethod::kWasserstein;
  auto w = DetectDrift(ref, cur, options);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(Find(*w, "same").statistic, 0);
  EXPECT_DOUBLE_EQ(Find(*w, "moved").statistic, 1000);  // 1 / the 0.001 floor
  EXPECT_FALSE(Find(*w, "moved").note.empty());
  options.method = DriftMethod::kPsi;  // quantile bins of a constant collapse: said in a note
  auto psi = DetectDrift(ref, cur, options);
  ASSERT_TRUE(psi.ok());
  EXPECT_NE(Find(*psi, "moved").note.find("quantile edges are distinct"), std::string::npos);
  options.method = DriftMethod::kKs;
  auto ks = DetectDrift(ref, cur, options);
  EXPECT_EQ(*Find(*ks, "same").p_value, 1);
  EXPECT_EQ(Find(*ks, "moved").statistic, 1);
}

TEST(DetectDrift, SingleRowSamples) {
  Table one = MakeTable({Column::Numeric("x", {1.5}), Column::Categorical("c", {"a"})});
  Table other = MakeTable({Column::Numeric("x", {2.5}), Column::Categorical("c", {"b"})});
  DriftOptions options;
  options.method = DriftMethod::kKs;
  options.columns = {"x"};
  auto ks = DetectDrift(one, other, options);
  ASSERT_TRUE(ks.ok());
  EXPECT_EQ(ks->columns[0].statistic, 1);
  EXPECT_EQ(*ks->columns[0].p_value, 1);  // SciPy: NaN; exact: 1
  EXPECT_FALSE(ks->columns[0].note.empty());
  auto automatic = DetectDrift(one, other);
  ASSERT_TRUE(automatic.ok());
  for (const auto& c : automatic->columns) {
    EXPECT_TRUE(c.tested);
    EXPECT_EQ(c.method, DriftMethod::kChiSquare);
    EXPECT_FALSE(std::isnan(*c.p_value));
  }
}

TEST(DetectDrift, MismatchedSchemasAreAnError) {
  Table ref = MakeTable({Column::Numeric("a", {1}), Column::Numeric("b", {1})});
  Table cur = MakeTable({Column::Numeric("a", {1}), Column::Numeric("z", {1})});
  auto report = DetectDrift(ref, cur);
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(report.status().message(),
            "the reference and current columns differ: only in the reference: b; only in the "
            "current data: z (name the columns to compare)");
  DriftOptions options;
  options.columns = {"a"};
  EXPECT_TRUE(DetectDrift(ref, cur, options).ok());

  Table typed = MakeTable({Column::Categorical("a", {"x"}), Column::Numeric("b", {1})});
  Table other = MakeTable({Column::Numeric("a", {1}), Column::Numeric("b", {1})});
  EXPECT_EQ(DetectDrift(typed, other).status().message(),
            "column 'a' is categorical in the reference but numeric in the current data");
}

TEST(DetectDrift, UnknownColumnsAreAnError) {
  Table ref = MakeTable({Column::Numeric("a", {1}), Column::Numeric("b", {1})});
  DriftOptions options;
  options.columns = {"a", "nope"};
  auto report = DetectDrift(ref, ref, options);
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(report.status().message(), "unknown column 'nope': the reference has a, b");
  options.columns = {"b", "a", "b"};  // repeated names count once, order kept
  auto ok = DetectDrift(ref, ref, options);
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->columns.size(), 2u);
  EXPECT_EQ(ok->columns[0].column, "b");
}

TEST(DetectDrift, OrderedMethodsRefuseCategoricalColumns) {
  Table t = MakeTable({Column::Categorical("c", {"x", "y"})});
  DriftOptions options;
  options.method = DriftMethod::kKs;
  EXPECT_EQ(DetectDrift(t, t, options).status().message(),
            "ks needs numeric columns; column 'c' is categorical (use auto, psi, js or chisquare)");
  options.method = DriftMethod::kPsi;
  EXPECT_TRUE(DetectDrift(t, t, options).ok());
}

TEST(DetectDrift, RejectsBadThresholdsAndShares) {
  Table t = MakeTable({Column::Numeric("a", {1, 2})});
  DriftOptions options;
  options.threshold = -1;
  EXPECT_EQ(DetectDrift(t, t, options).status().code(), StatusCode::kInvalidArgument);
  options.threshold = kNaN;
  EXPECT_EQ(DetectDrift(t, t, options).status().code(), StatusCode::kInvalidArgument);
  options.method = DriftMethod::kKs;
  options.threshold = 1.5;
  EXPECT_EQ(DetectDrift(t, t, options).status().message(),
            "the threshold of ks is a p-value: it must be in (0, 1]");
  options.threshold.reset();
  options.drift_share = 0;
  EXPECT_EQ(DetectDrift(t, t, options).status().code(), StatusCode::kInvalidArgument);
}

TEST(DetectDrift, JsonHasNoNaN) {
  Table ref = MakeTable({Column::Numeric("x", {1, 2, 3}), Column::Numeric("gone", {1, 2, 3})});
  Table cur = MakeTable({Column::Numeric("x", {1, 2, 4}),
                         Column::Numeric("gone", {kNaN, kNaN, kNaN})});
  auto report = DetectDrift(ref, cur);
  ASSERT_TRUE(report.ok());
  const std::string text = DriftReportToJson(*report).dump();
  EXPECT_EQ(text.find("nan"), std::string::npos);
  const nlohmann::json json = DriftReportToJson(*report);
  EXPECT_TRUE(json["columns"][1]["statistic"].is_null());
  EXPECT_EQ(json["columns"][1]["note"], "the current sample has no values (all 3 missing)");
  EXPECT_EQ(json["dataset"]["tested_columns"], 1);
}

TEST(DriftMethods, NamesRoundTrip) {
  for (auto m : {DriftMethod::kAuto, DriftMethod::kKs, DriftMethod::kPsi,
                 DriftMethod::kJensenShannon, DriftMethod::kWasserstein, DriftMethod::kChiSquare}) {
    EXPECT_EQ(*ParseDriftMethod(DriftMethodName(m)), m);
  }
  EXPECT_EQ(ParseDriftMethod("kl").status().message(),
            "unknown drift method 'kl': choose auto, ks, psi, js, wasserstein or chisquare");
}

}  // namespace
}  // namespace plinth::monitoring

// DetectProfileDrift: drift from profiles (what monitors compare) agrees with DetectDrift on the
// rows while the sketches are exact, stays close beyond, and gives a defined result for every
// kind of bad input (empty windows, constant and all-NaN columns, single rows, mismatched
// schemas, unknown columns).

#include "monitoring/profile_drift.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace plinth::monitoring {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> Normal(size_t n, double mean, uint64_t seed, double sd = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(mean, sd);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

Table MakeTable(std::vector<Column> columns) {
  Table t;
  for (Column& c : columns) EXPECT_TRUE(t.AddColumn(std::move(c)).ok());
  return t;
}

TableProfile ProfileOf(std::vector<Column> columns, uint32_t k = KllSketch::kDefaultK) {
  ProfileOptions options;
  options.numeric.sketch_k = k;
  return TableProfile::FromTable(MakeTable(std::move(columns)), options);
}

const ColumnDrift& Col(const DriftReport& r, const std::string& name) {
  for (const auto& c : r.columns) {
    if (c.column == name) return c;
  }
  ADD_FAILURE() << "no column " << name;
  return r.columns.front();
}

TEST(ProfileDrift, MatchesDetectDriftWhileSketchesAreExact) {
  for (DriftMethod method : {DriftMethod::kKs, DriftMethod::kWasserstein}) {
    Table a = MakeTable({Column::Numeric("x", Normal(190, 0, 1))});
    Table b = MakeTable({Column::Numeric("x", Normal(150, 0.3, 2))});
    DriftOptions options;
    options.method = method;
    auto exact = DetectDrift(a, b, options);
    auto approx =
        DetectProfileDrift(TableProfile::FromTable(a), TableProfile::FromTable(b), options);
    ASSERT_TRUE(exact.ok() && approx.ok());
    EXPECT_NEAR(approx->columns[0].statistic, exact->columns[0].statistic, 1e-9)
        << DriftMethodName(method);
    EXPECT_EQ(approx->columns[0].drifted, exact->columns[0].drifted);
    if (method == DriftMethod::kKs) {
      EXPECT_NEAR(*approx->columns[0].p_value, *exact->columns[0].p_value, 1e-9);
    }
  }
  // Chi-square over a few values is exact too.
  Table a = MakeTable({Column::Numeric("k", {1, 2, 3, 1, 2, 3, 1, 1, 2, 2})});
  Table b = MakeTable({Column::Numeric("k", {1, 1, 1, 2, 3, 3, 3, 3})});
  DriftOptions chi;
  chi.method = DriftMethod::kChiSquare;
  auto exact = DetectDrift(a, b, chi);
  auto approx = DetectProfileDrift(TableProfile::FromTable(a), TableProfile::FromTable(b), chi);
  ASSERT_TRUE(exact.ok() && approx.ok());
  EXPECT_NEAR(approx->columns[0].statistic, exact->columns[0].statistic, 1e-9);
  EXPECT_NEAR(*approx->columns[0].p_value, *exact->columns[0].p_value, 1e-9);
}

TEST(ProfileDrift, CloseToExactOnLargeSamplesAndFindsAShift) {
  Table a = MakeTable({Column::Numeric("x", Normal(200000, 0, 1))});
  Table b = MakeTable({Column::Numeric("x", Normal(150000, 0.1, 3))});
  DriftOptions ks;
  ks.method = DriftMethod::kKs;
  auto exact = DetectDrift(a, b, ks);
  auto approx = DetectProfileDrift(TableProfile::FromTable(a), TableProfile::FromTable(b), ks);
  ASSERT_TRUE(exact.ok() && approx.ok());
  EXPECT_NEAR(approx->columns[0].statistic, exact->columns[0].statistic, 0.03);
  EXPECT_TRUE(approx->columns[0].drifted);
  // auto picks Wasserstein for a reference over 1,000 rows; a 0.1 sd shift is at its threshold,
  // a 1 sd shift far beyond it, no shift far below.
  Table same = MakeTable({Column::Numeric("x", Normal(100000, 0, 4))});
  Table far = MakeTable({Column::Numeric("x", Normal(100000, 1, 5))});
  auto none = DetectProfileDrift(TableProfile::FromTable(a), TableProfile::FromTable(same));
  auto shifted = DetectProfileDrift(TableProfile::FromTable(a), TableProfile::FromTable(far));
  ASSERT_TRUE(none.ok() && shifted.ok());
  EXPECT_EQ(none->columns[0].method, DriftMethod::kWasserstein);
  EXPECT_FALSE(none->dataset_drift);
  EXPECT_NEAR(shifted->columns[0].statistic, 1.0, 0.05);
  EXPECT_TRUE(shifted->dataset_drift);
}

TEST(ProfileDrift, MergedChunksGiveTheSameVerdict) {
  std::vector<double> all = Normal(2000, 0, 6);
  // k above the row count: the sketches hold every value, so merging loses nothing.
  TableProfile whole = ProfileOf({Column::Numeric("x", all)}, 4096);
  TableProfile merged = ProfileOf({Column::Numeric("x", {all.begin(), all.begin() + 700})}, 4096);
  ASSERT_TRUE(
      merged.Merge(ProfileOf({Column::Numeric("x", {all.begin() + 700, all.end()})}, 4096)).ok());
  TableProfile cur = ProfileOf({Column::Numeric("x", Normal(900, 0.2, 7))});
  DriftOptions ks;
  ks.method = DriftMethod::kKs;
  auto a = DetectProfileDrift(whole, cur, ks);
  auto b = DetectProfileDrift(merged, cur, ks);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_DOUBLE_EQ(a->columns[0].statistic, b->columns[0].statistic);
}

TEST(ProfileDrift, EmptyWindowIsNotTested) {
  TableProfile ref = ProfileOf({Column::Numeric("x", Normal(100, 0, 1))});
  TableProfile empty = ProfileOf({Column::Numeric("x", {})});
  auto r = DetectProfileDrift(ref, empty);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->columns[0].tested);
  EXPECT_NE(r->columns[0].note.find("no rows in the current window"), std::string::npos);
  EXPECT_EQ(r->tested_columns, 0u);
  EXPECT_FALSE(r->dataset_drift);
  EXPECT_EQ(r->drifted_share, 0);
}

TEST(ProfileDrift, AllNaNColumnIsNotTested) {
  TableProfile ref = ProfileOf({Column::Numeric("x", Normal(100, 0, 1)),
                                Column::Numeric("y", std::vector<double>(100, kNaN))});
  TableProfile cur = ProfileOf(
      {Column::Numeric("x", Normal(50, 0, 2)), Column::Numeric("y", std::vector<double>(50, 1.0))});
  auto r = DetectProfileDrift(ref, cur);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(Col(*r, "y").tested);
  EXPECT_NE(Col(*r, "y").note.find("reference data (100 rows, all missing)"), std::string::npos);
  EXPECT_TRUE(Col(*r, "x").tested);
  EXPECT_EQ(r->tested_columns, 1u);
  EXPECT_FALSE(std::isnan(r->drifted_share));
}

TEST(ProfileDrift, ConstantColumnsAreTestedWithoutNaN) {
  for (DriftMethod method :
       {DriftMethod::kAuto, DriftMethod::kKs, DriftMethod::kPsi, DriftMethod::kJensenShannon,
        DriftMethod::kWasserstein, DriftMethod::kChiSquare}) {
    TableProfile ref = ProfileOf({Column::Numeric("c", std::vector<double>(50, 3.0))});
    TableProfile same = ProfileOf({Column::Numeric("c", std::vector<double>(20, 3.0))});
    TableProfile other = ProfileOf({Column::Numeric("c", std::vector<double>(20, 4.0))});
    DriftOptions options;
    options.method = method;
    auto a = DetectProfileDrift(ref, same, options);
    auto b = DetectProfileDrift(ref, other, options);
    ASSERT_TRUE(a.ok() && b.ok()) << DriftMethodName(method);
    EXPECT_TRUE(a->columns[0].tested);
    EXPECT_FALSE(a->columns[0].drifted) << DriftMethodName(method);
    EXPECT_FALSE(std::isnan(a->columns[0].statistic));
    EXPECT_FALSE(std::isnan(b->columns[0].statistic));
    if (a->columns[0].p_value) {
      EXPECT_FALSE(std::isnan(*a->columns[0].p_value));
    }
    EXPECT_TRUE(b->columns[0].drifted) << DriftMethodName(method);
  }
}

TEST(ProfileDrift, SingleRowSamplesAreTested) {
  TableProfile one = ProfileOf({Column::Numeric("x", {1.0})});
  TableProfile two = ProfileOf({Column::Numeric("x", {2.0})});
  DriftOptions ks;
  ks.method = DriftMethod::kKs;
  auto r = DetectProfileDrift(one, two, ks);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->columns[0].tested);
  EXPECT_EQ(r->columns[0].statistic, 1.0);
  EXPECT_EQ(*r->columns[0].p_value, 1.0);
  EXPECT_NE(r->columns[0].note.find("one value in each sample"), std::string::npos);
  auto w = DetectProfileDrift(one, two);  // auto: chisquare for few values
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->columns[0].tested);
  EXPECT_FALSE(std::isnan(w->columns[0].statistic));
}

TEST(ProfileDrift, MismatchedSchemaIsANoteNotACrash) {
  TableProfile ref = ProfileOf({Column::Categorical("city", {"a", "b", "a"})});
  TableProfile cur = ProfileOf({Column::Numeric("city", {1, 2, 3})});
  auto r = DetectProfileDrift(ref, cur);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->columns[0].tested);
  EXPECT_NE(r->columns[0].note.find("mismatched schema: categorical in the baseline, numeric"),
            std::string::npos);
  // A column the current data lacks.
  TableProfile other = ProfileOf({Column::Numeric("town", {1, 2, 3})});
  auto absent = DetectProfileDrift(ref, other);
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(absent->columns[0].note, "absent from the current data");
  // ks asked of a categorical column.
  DriftOptions ks;
  ks.method = DriftMethod::kKs;
  TableProfile cats = ProfileOf({Column::Categorical("city", {"a", "a", "b"})});
  auto k = DetectProfileDrift(ref, cats, ks);
  ASSERT_TRUE(k.ok());
  EXPECT_FALSE(k->columns[0].tested);
  EXPECT_NE(k->columns[0].note.find("needs numbers"), std::string::npos);
}

TEST(ProfileDrift, CategoricalColumnsUseCounts) {
  std::vector<std::string> a, b;
  for (int i = 0; i < 600; ++i) a.push_back(i % 3 == 0 ? "x" : "y");
  for (int i = 0; i < 600; ++i) b.push_back(i % 3 == 0 ? "y" : "x");
  auto r = DetectProfileDrift(ProfileOf({Column::Categorical("c", a)}),
                              ProfileOf({Column::Categorical("c", b)}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->columns[0].method, DriftMethod::kChiSquare);
  EXPECT_TRUE(r->columns[0].drifted);
  auto exact = DetectDrift(MakeTable({Column::Categorical("c", a)}),
                           MakeTable({Column::Categorical("c", b)}));
  ASSERT_TRUE(exact.ok());
  EXPECT_NEAR(r->columns[0].statistic, exact->columns[0].statistic, 1e-9);
}

TEST(ProfileDrift, UnknownColumnAndBadOptionsAreErrors) {
  TableProfile ref = ProfileOf({Column::Numeric("x", {1, 2, 3})});
  DriftOptions named;
  named.columns = {"nope"};
  auto r = DetectProfileDrift(ref, ref, named);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("unknown column 'nope'"), std::string::npos);
  DriftOptions bad;
  bad.threshold = -1;
  EXPECT_FALSE(DetectProfileDrift(ref, ref, bad).ok());
  bad.threshold = std::nullopt;
  bad.drift_share = 0;
  EXPECT_FALSE(DetectProfileDrift(ref, ref, bad).ok());
}

TEST(ProfileDrift, SummaryHasHistogramsOfBothSides) {
  TableProfile ref = ProfileOf({Column::Numeric("x", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9})});
  TableProfile cur = ProfileOf({Column::Numeric("x", {5, 6, 7, 8, 9, 10, 11, 12, 13, 14})});
  nlohmann::json s = ColumnSummaryJson(*ref.Find("x"), cur.Find("x"), 5);
  ASSERT_TRUE(s["histogram"].is_object());
  EXPECT_EQ(s["histogram"]["edges"].size(), 6u);
  EXPECT_EQ(s["histogram"]["edges"][0], 0.0);
  EXPECT_EQ(s["histogram"]["edges"][5], 14.0);
  double total_ref = 0, total_cur = 0;
  for (double c : s["histogram"]["baseline"]) total_ref += c;
  for (double c : s["histogram"]["current"]) total_cur += c;
  EXPECT_EQ(total_ref, 10);
  EXPECT_EQ(total_cur, 10);
  EXPECT_EQ(s["histogram"]["baseline"][0], 3.0);  // 0, 1, 2 in [0, 2.8)
  EXPECT_EQ(s["baseline"]["mean"], 4.5);
  EXPECT_EQ(s["current"]["min"], 5.0);
  // An empty current side: statistics are null, never NaN.
  TableProfile empty = ProfileOf({Column::Numeric("x", {})});
  nlohmann::json e = ColumnSummaryJson(*ref.Find("x"), empty.Find("x"));
  EXPECT_TRUE(e["current"]["mean"].is_null());
  EXPECT_EQ(e["current"]["count"], 0);
}

}  // namespace
}  // namespace plinth::monitoring

// Quality metrics against values worked out by hand (each expectation shows its arithmetic).

#include "monitoring/quality.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace plinth::monitoring {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QualityResult Score(QualityMetric metric, const std::vector<double>& predictions,
                    const std::vector<double>& labels, size_t max_auc_pairs = 1'000'000) {
  QualityAccumulator acc(metric, max_auc_pairs);
  for (size_t i = 0; i < labels.size(); ++i) acc.Add(predictions[i], labels[i]);
  return acc.Result();
}

TEST(Quality, RegressionMetrics) {
  // errors 1, 0, 2
  auto mae = Score(QualityMetric::kMae, {1, 2, 3}, {2, 2, 5});
  EXPECT_DOUBLE_EQ(*mae.value, 1.0);  // (1 + 0 + 2) / 3
  EXPECT_EQ(mae.count, 3u);
  auto rmse = Score(QualityMetric::kRmse, {1, 2, 3}, {2, 2, 5});
  EXPECT_DOUBLE_EQ(*rmse.value, std::sqrt(5.0 / 3.0));  // sqrt((1 + 0 + 4) / 3)
  // |2-1|/2 = 0.5 and |4-5|/4 = 0.25; the row with label 0 is skipped.
  auto mape = Score(QualityMetric::kMape, {1, 5, 5}, {2, 0, 4});
  EXPECT_DOUBLE_EQ(*mape.value, 0.375);
  EXPECT_EQ(mape.count, 2u);
  EXPECT_EQ(mape.skipped, 1u);
}

TEST(Quality, AccuracyAndF1) {
  // p >= 0.5 is class 1: predicted 1, 0, 1, 0 against 1, 0, 0, 0.
  auto acc = Score(QualityMetric::kAccuracy, {0.9, 0.2, 0.6, 0.4}, {1, 0, 0, 0});
  EXPECT_DOUBLE_EQ(*acc.value, 0.75);
  // tp = 1, fp = 1, fn = 0: F1 = 2 / (2 + 1 + 0).
  auto f1 = Score(QualityMetric::kF1, {0.9, 0.2, 0.6, 0.4}, {1, 0, 0, 0});
  EXPECT_DOUBLE_EQ(*f1.value, 2.0 / 3.0);
  // Multi-class by argmax: predicted 2, 0, 1 against 2, 1, 1.
  QualityAccumulator multi(QualityMetric::kAccuracy);
  multi.Add(std::vector<double>{0.1, 0.2, 0.7}, 2);
  multi.Add(std::vector<double>{0.8, 0.1, 0.1}, 1);
  multi.Add(std::vector<double>{0.2, 0.5, 0.3}, 1);
  EXPECT_DOUBLE_EQ(*multi.Result().value, 2.0 / 3.0);
  // Macro F1 of the same: class 0 tp 0 fp 1 fn 0 -> 0; class 1 tp 1 fp 0 fn 1 -> 2/3;
  // class 2 tp 1 -> 1. Mean (0 + 2/3 + 1) / 3.
  QualityAccumulator macro(QualityMetric::kF1);
  macro.Add(std::vector<double>{0.1, 0.2, 0.7}, 2);
  macro.Add(std::vector<double>{0.8, 0.1, 0.1}, 1);
  macro.Add(std::vector<double>{0.2, 0.5, 0.3}, 1);
  EXPECT_DOUBLE_EQ(*macro.Result().value, (0 + 2.0 / 3.0 + 1) / 3);
}

TEST(Quality, AucCountsPairsAndTies) {
  // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered right.
  auto auc = Score(QualityMetric::kAuc, {0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1});
  EXPECT_DOUBLE_EQ(*auc.value, 0.75);
  auto tie = Score(QualityMetric::kAuc, {0.5, 0.5}, {0, 1});
  EXPECT_DOUBLE_EQ(*tie.value, 0.5);
  auto one_class = Score(QualityMetric::kAuc, {0.2, 0.9}, {1, 1});
  EXPECT_FALSE(one_class.value.has_value());
  EXPECT_NE(one_class.note.find("both classes"), std::string::npos);
  // Beyond the pair budget a reservoir sample is used, and the result says so.
  std::vector<double> scores, labels;
  for (int i = 0; i < 1000; ++i) {
    scores.push_back(i);
    labels.push_back(i >= 500 ? 1 : 0);
  }
  auto sampled = Score(QualityMetric::kAuc, scores, labels, 100);
  ASSERT_TRUE(sampled.value.has_value());
  EXPECT_DOUBLE_EQ(*sampled.value, 1.0);  // perfectly separated in any sample
  EXPECT_NE(sampled.note.find("uniform sample of 100 of 1000"), std::string::npos);
}

TEST(Quality, NothingUsableIsNullNotNaN) {
  for (QualityMetric m : {QualityMetric::kMape, QualityMetric::kRmse, QualityMetric::kMae,
                          QualityMetric::kAccuracy, QualityMetric::kF1, QualityMetric::kAuc}) {
    QualityResult empty = QualityAccumulator(m).Result();
    EXPECT_FALSE(empty.value.has_value()) << QualityMetricName(m);
    EXPECT_EQ(empty.note, "no labelled predictions");
    auto nan = Score(m, {kNaN, 1}, {1, kNaN});
    EXPECT_FALSE(nan.value.has_value());
    EXPECT_EQ(nan.skipped, 2u);
  }
  auto zeros = Score(QualityMetric::kMape, {1, 2}, {0, 0});
  EXPECT_FALSE(zeros.value.has_value());
}

TEST(Quality, NamesRoundTrip) {
  for (const char* name : {"mape", "rmse", "mae", "accuracy", "f1", "auc"}) {
    auto m = ParseQualityMetric(name);
    ASSERT_TRUE(m.ok());
    EXPECT_STREQ(QualityMetricName(*m), name);
  }
  EXPECT_FALSE(ParseQualityMetric("r2").ok());
  EXPECT_TRUE(LowerIsBetter(QualityMetric::kRmse));
  EXPECT_FALSE(LowerIsBetter(QualityMetric::kAuc));
}

}  // namespace
}  // namespace plinth::monitoring

#pragma once
// Model quality from predictions joined with ground-truth labels, accumulated row by row in
// bounded memory, so that a monitor can score a window of any size, overall and per variant.
//
// Metrics (QualityMetric) and their definitions; `prediction` is the model's output for a row
// (one value, or one score per class), `label` the ground truth:
//   mae       mean |label - p|
//   rmse      sqrt(mean (label - p)^2)
//   mape      mean |label - p| / |label| over rows whose label is not 0 (rows with label 0 are
//             skipped and counted in `skipped`), as a fraction (0.06 = 6%)
//   accuracy  share of rows whose predicted class equals the label
//   f1        binary F1 of class 1 when every label is 0 or 1 and the model gives one score;
//             otherwise the macro F1 over the classes seen in labels or predictions
//   auc       ROC AUC of the score (one output: that value; two: the second, the positive
//             class's probability) against labels 0/1, ties counted half (Mann-Whitney U)
// The predicted class of a row is argmax for several outputs, else 1 when p >= 0.5 and 0
// otherwise; a label's class is the label rounded to the nearest integer.
//
// Regression metrics are running sums; accuracy and F1 keep a count per (label, predicted)
// class pair. AUC keeps (score, label) pairs, all of them up to max_auc_pairs (default 1M,
// 16 MB), beyond that a uniform reservoir sample of that size (the result then says so).
//
// Defined results: a non-finite prediction or label is skipped (counted). No usable row: value
// null, note "no labelled predictions". AUC with one class only: null, note says so. Never NaN.
// Thread-compatible.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace plinth::monitoring {

enum class QualityMetric { kMape, kRmse, kMae, kAccuracy, kF1, kAuc };

// "mape", "rmse", "mae", "accuracy", "f1", "auc".
const char* QualityMetricName(QualityMetric metric);
Result<QualityMetric> ParseQualityMetric(std::string_view name);
// True for the error metrics (mape, rmse, mae): an alert fires when the value is above the
// threshold; for the others (accuracy, f1, auc) when it is below.
bool LowerIsBetter(QualityMetric metric);

struct QualityResult {
  QualityMetric metric = QualityMetric::kMae;
  std::optional<double> value;  // null when undefined (see note)
  uint64_t count = 0;           // rows that entered the metric
  uint64_t skipped = 0;         // non-finite values, label 0 for mape
  std::string note;
};

nlohmann::json QualityResultToJson(const QualityResult& result);

class QualityAccumulator {
 public:
  explicit QualityAccumulator(QualityMetric metric, size_t max_auc_pairs = 1'000'000);

  void Add(std::span<const double> prediction, double label);
  void Add(double prediction, double label) { Add(std::span<const double>(&prediction, 1), label); }

  QualityResult Result() const;
  QualityMetric metric() const { return metric_; }

 private:
  QualityMetric metric_;
  size_t max_auc_pairs_;
  uint64_t count_ = 0, skipped_ = 0;
  double sum_abs_ = 0, sum_sq_ = 0, sum_ape_ = 0;
  bool single_output_binary_ = true;  // for f1: every row one output and label 0/1
  std::map<std::pair<int64_t, int64_t>, uint64_t> confusion_;  // (label, predicted) -> rows
  std::vector<std::pair<double, int>> auc_pairs_;              // (score, label 0/1)
  uint64_t auc_seen_ = 0;
  bool auc_bad_label_ = false;
  std::mt19937_64 rng_{7};
};

}  // namespace plinth::monitoring

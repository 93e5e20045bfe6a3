#include "monitoring/quality.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace plinth::monitoring {

const char* QualityMetricName(QualityMetric metric) {
  switch (metric) {
    case QualityMetric::kMape:
      return "mape";
    case QualityMetric::kRmse:
      return "rmse";
    case QualityMetric::kMae:
      return "mae";
    case QualityMetric::kAccuracy:
      return "accuracy";
    case QualityMetric::kF1:
      return "f1";
    case QualityMetric::kAuc:
      return "auc";
  }
  return "mae";
}

Result<QualityMetric> ParseQualityMetric(std::string_view name) {
  for (QualityMetric m : {QualityMetric::kMape, QualityMetric::kRmse, QualityMetric::kMae,
                          QualityMetric::kAccuracy, QualityMetric::kF1, QualityMetric::kAuc}) {
    if (name == QualityMetricName(m)) return m;
  }
  return InvalidArgument("unknown quality metric '" + std::string(name.substr(0, 50)) +
                         "': use mape, rmse, mae, accuracy, f1 or auc");
}

bool LowerIsBetter(QualityMetric metric) {
  return metric == QualityMetric::kMape || metric == QualityMetric::kRmse ||
         metric == QualityMetric::kMae;
}

nlohmann::json QualityResultToJson(const QualityResult& r) {
  return {{"metric", QualityMetricName(r.metric)},
          {"value", r.value ? nlohmann::json(*r.value) : nlohmann::json()},
          {"count", r.count},
          {"skipped", r.skipped},
          {"note", r.note.empty() ? nlohmann::json() : nlohmann::json(r.note)}};
}

QualityAccumulator::QualityAccumulator(QualityMetric metric, size_t max_auc_pairs)
    : metric_(metric), max_auc_pairs_(std::max<size_t>(max_auc_pairs, 1)) {}

namespace {
int64_t PredictedClass(std::span<const double> p) {
  if (p.size() == 1) return p[0] >= 0.5 ? 1 : 0;
  return std::max_element(p.begin(), p.end()) - p.begin();
}
}  // namespace

void QualityAccumulator::Add(std::span<const double> prediction, double label) {
  bool finite = !prediction.empty() && std::isfinite(label);
  for (double v : prediction) finite = finite && std::isfinite(v);
  if (!finite) {
    ++skipped_;
    return;
  }
  switch (metric_) {
    case QualityMetric::kMae:
    case QualityMetric::kRmse: {
      double e = label - prediction[0];
      sum_abs_ += std::fabs(e);
      sum_sq_ += e * e;
      ++count_;
      return;
    }
    case QualityMetric::kMape: {
      if (label == 0) {
        ++skipped_;
        return;
      }
      sum_ape_ += std::fabs(label - prediction[0]) / std::fabs(label);
      ++count_;
      return;
    }
    case QualityMetric::kAccuracy:
    case QualityMetric::kF1: {
      int64_t truth = std::llround(label);
      if (prediction.size() != 1 || (truth != 0 && truth != 1)) single_output_binary_ = false;
      ++confusion_[{truth, PredictedClass(prediction)}];
      ++count_;
      return;
    }
    case QualityMetric::kAuc: {
      double score = prediction.size() == 2 ? prediction[1] : prediction[0];
      if (label != 0 && label != 1) {
        auc_bad_label_ = true;
        ++skipped_;
        return;
      }
      ++count_;
      ++auc_seen_;
      std::pair<double, int> pair{score, static_cast<int>(label)};
      if (auc_pairs_.size() < max_auc_pairs_) {
        auc_pairs_.push_back(pair);
      } else {
        uint64_t j = std::uniform_int_distribution<uint64_t>(0, auc_seen_ - 1)(rng_);
        if (j < max_auc_pairs_) auc_pairs_[j] = pair;
      }
      return;
    }
  }
}

QualityResult QualityAccumulator::Result() const {
  QualityResult r;
  r.metric = metric_;
  r.count = count_;
  r.skipped = skipped_;
  if (count_ == 0) {
    r.note = auc_bad_label_ ? "auc needs labels 0 and 1" : "no labelled predictions";
    return r;
  }
  const double n = static_cast<double>(count_);
  switch (metric_) {
    case QualityMetric::kMae:
      r.value = sum_abs_ / n;
      break;
    case QualityMetric::kRmse:
      r.value = std::sqrt(sum_sq_ / n);
      break;
    case QualityMetric::kMape:
      r.value = sum_ape_ / n;
      if (skipped_ > 0) r.note = "rows with label 0 or non-finite values are skipped";
      break;
    case QualityMetric::kAccuracy: {
      uint64_t right = 0;
      for (const auto& [key, rows] : confusion_) {
        if (key.first == key.second) right += rows;
      }
      r.value = static_cast<double>(right) / n;
      break;
    }
    case QualityMetric::kF1: {
      std::set<int64_t> classes;
      for (const auto& [key, rows] : confusion_) {
        classes.insert(key.first);
        classes.insert(key.second);
      }
      auto f1_of = [&](int64_t c) {
        uint64_t tp = 0, fp = 0, fn = 0;
        for (const auto& [key, rows] : confusion_) {
          if (key.first == c && key.second == c)
            tp += rows;
          else if (key.second == c)
            fp += rows;
          else if (key.first == c)
            fn += rows;
        }
        // F1 = 2tp / (2tp + fp + fn); 0 when the class never occurs nor is predicted.
        uint64_t denom = 2 * tp + fp + fn;
        return denom == 0 ? 0.0 : 2.0 * static_cast<double>(tp) / static_cast<double>(denom);
      };
      if (single_output_binary_) {
        r.value = f1_of(1);
      } else {
        double sum = 0;
        for (int64_t c : classes) sum += f1_of(c);
        r.value = sum / static_cast<double>(classes.size());
        r.note = "macro F1 over " + std::to_string(classes.size()) + " classes";
      }
      break;
    }
    case QualityMetric::kAuc: {
      std::vector<std::pair<double, int>> pairs = auc_pairs_;
      std::sort(pairs.begin(), pairs.end());
      double positives = 0, negatives = 0, rank_sum = 0;
      // Mid-ranks over ties.
      for (size_t i = 0; i < pairs.size();) {
        size_t j = i;
        while (j < pairs.size() && pairs[j].first == pairs[i].first) ++j;
        double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
        for (size_t k = i; k < j; ++k) {
          if (pairs[k].second == 1) {
            positives += 1;
            rank_sum += mid_rank;
          } else {
            negatives += 1;
          }
        }
        i = j;
      }
      if (positives == 0 || negatives == 0) {
        r.note = "auc needs both classes in the labels";
        break;
      }
      r.value = (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
      if (auc_seen_ > auc_pairs_.size()) {
        r.note = "from a uniform sample of " + std::to_string(auc_pairs_.size()) + " of " +
                 std::to_string(auc_seen_) + " rows";
      }
      break;
    }
  }
  return r;
}

}  // namespace plinth::monitoring

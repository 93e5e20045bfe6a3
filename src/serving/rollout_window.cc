#include "serving/rollout_window.h"

#include <algorithm>

namespace plinth::serving {

VariantSnapshot TakeSnapshot(const VariantMetrics& m) {
  VariantSnapshot s;
  s.requests = m.requests.load(std::memory_order_relaxed);
  s.errors = m.errors.load(std::memory_order_relaxed);
  s.latency_counts = m.latency_seconds.BucketCounts();
  s.prediction_sum = m.prediction_sum.load(std::memory_order_relaxed);
  s.predictions = m.predictions.load(std::memory_order_relaxed);
  return s;
}

double HistogramQuantile(double q, const std::vector<double>& bounds,
                         const std::vector<uint64_t>& counts) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0 || bounds.empty()) return 0;
  double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0 && static_cast<double>(below + counts[i]) >= rank) {
      if (i >= bounds.size()) return bounds.back();  // the +Inf bucket
      double lower = i == 0 ? 0.0 : bounds[i - 1];
      double into = (rank - static_cast<double>(below)) / static_cast<double>(counts[i]);
      return lower + (bounds[i] - lower) * std::clamp(into, 0.0, 1.0);
    }
    below += counts[i];
  }
  return bounds.back();
}

WindowStats Between(const VariantSnapshot& start, const VariantSnapshot& end,
                    const std::vector<double>& latency_bounds) {
  auto diff = [](uint64_t a, uint64_t b) { return b >= a ? static_cast<int64_t>(b - a) : 0; };
  WindowStats w;
  w.requests = diff(start.requests, end.requests);
  w.errors = std::min(diff(start.errors, end.errors), w.requests);
  w.error_rate = w.requests > 0 ? static_cast<double>(w.errors) / static_cast<double>(w.requests) : 0;
  std::vector<uint64_t> counts(end.latency_counts.size(), 0);
  for (size_t i = 0; i < counts.size(); ++i) {
    uint64_t before = i < start.latency_counts.size() ? start.latency_counts[i] : 0;
    counts[i] = end.latency_counts[i] >= before ? end.latency_counts[i] - before : 0;
  }
  w.p99_ms = HistogramQuantile(0.99, latency_bounds, counts) * 1000.0;
  w.predictions = diff(start.predictions, end.predictions);
  w.mean_prediction =
      w.predictions > 0 ? (end.prediction_sum - start.prediction_sum) / static_cast<double>(w.predictions) : 0;
  return w;
}

}  // namespace plinth::serving

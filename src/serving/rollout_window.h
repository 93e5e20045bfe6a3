#pragma once
// Windowed statistics of one variant, for rollout guards (rollout_guards.h).
//
// A variant's VariantMetrics only ever count up (they are shared across hot swaps and rendered
// to Prometheus), so a window is the difference of two snapshots: one taken when the window
// opens, one when it is judged. Nothing on the request path changes for it and nothing is reset.
// Snapshots read relaxed atomics: a request that finishes while a snapshot is taken may be
// counted in this window or the next, never lost or counted twice.

#include <cstdint>
#include <vector>

#include "serving/serving_metrics.h"

namespace plinth::serving {

struct VariantSnapshot {
  uint64_t requests = 0;
  uint64_t errors = 0;
  std::vector<uint64_t> latency_counts;  // per bucket of VariantMetrics::latency_seconds
  double prediction_sum = 0;
  uint64_t predictions = 0;
};

// What a variant did between two snapshots.
struct WindowStats {
  int64_t requests = 0;
  int64_t errors = 0;
  double error_rate = 0;       // errors / requests; 0 without requests
  double p99_ms = 0;           // estimated from the latency histogram (see HistogramQuantile)
  int64_t predictions = 0;     // finite predicted values
  double mean_prediction = 0;  // their mean; 0 without any
};

VariantSnapshot TakeSnapshot(const VariantMetrics& metrics);

// The window from `start` to `end` (both of the same VariantMetrics). `latency_bounds` are the
// histogram's upper bounds in seconds.
WindowStats Between(const VariantSnapshot& start, const VariantSnapshot& end,
                    const std::vector<double>& latency_bounds);

// The q-quantile (0..1) of a histogram given per-bucket counts (one per bound, then +Inf), the
// way Prometheus' histogram_quantile estimates it: linear interpolation inside the bucket that
// holds the rank, 0 as the lower edge of the first bucket, and the highest finite bound when the
// rank falls in +Inf. 0 for an empty histogram.
double HistogramQuantile(double q, const std::vector<double>& bounds,
                         const std::vector<uint64_t>& counts);

}  // namespace plinth::serving

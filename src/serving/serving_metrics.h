#pragma once
// Per (endpoint, variant) serving counters, kept across hot swaps, and their Prometheus text.
//
// The request path updates them with relaxed atomics only. Thread-safe.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/histogram.h"

namespace plinth::serving {

class EndpointManager;

struct VariantMetrics {
  VariantMetrics();
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
  Histogram latency_seconds;  // model time of one request (input shaping + predict)
  Histogram batch_rows;       // rows per request
  Histogram dynamic_batch_rows;  // rows per batch the dynamic batcher ran (batching endpoints)
  std::atomic<uint64_t> cache_hits{0};  // requests answered from the prediction cache
  std::atomic<uint64_t> fallbacks{0};   // requests this variant failed or was late on, answered
                                        // by the endpoint's fallback
  // Sum and count of the finite values a variant predicted (rollout guards compare means).
  std::atomic<double> prediction_sum{0};
  std::atomic<uint64_t> predictions{0};

  void RecordPredictions(const float* values, size_t n);
};

class ServingMetrics {
 public:
  // The counters of (endpoint, variant), created on first use and never removed while the
  // server runs (a variant that comes back keeps counting).
  std::shared_ptr<VariantMetrics> For(const std::string& endpoint, const std::string& variant);

  // Prometheus text for every endpoint the manager serves now: request and error counters,
  // latency and batch-size histograms, model load time, shadow agreement.
  std::string Render(const EndpointManager& endpoints) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<VariantMetrics>> metrics_;  // guarded by mu_
};

}  // namespace plinth::serving

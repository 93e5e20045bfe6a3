#pragma once
// ShadowMirror: sends a copy of an endpoint's traffic to its shadow model, off the request path.
//
// Offer() copies the request's rows and the primary's predictions into a bounded queue and
// returns at once; one worker thread predicts with the shadow model and records, per endpoint,
// how far the shadow's predictions are from the primary's (mean absolute difference, share within
// tolerance), the shadow's latency and its errors. When the queue is full the copy is dropped and
// counted: the shadow never slows the caller and never affects its answer. Thread-safe.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "serving/model_cache.h"

namespace plinth::serving {

struct FeatureRows;

// Agreement between primary and shadow, accumulated since the shadow was configured.
class ShadowStats {
 public:
  explicit ShadowStats(double tolerance) : tolerance_(tolerance) {}

  struct Snapshot {
    int64_t requests = 0;      // copies the shadow predicted
    int64_t errors = 0;        // copies the shadow failed on
    int64_t dropped = 0;       // copies not taken because the queue was full
    int64_t compared = 0;      // predicted values compared
    double mean_abs_diff = 0;  // over compared values
    double within_tolerance_share = 0;
    double mean_latency_ms = 0;
    double max_latency_ms = 0;
    double tolerance = 0;
  };
  Snapshot Read() const;

  // |primary - shadow| <= tolerance * max(1, |primary|) counts as agreement.
  double tolerance() const { return tolerance_; }
  void RecordComparison(const float* primary, const float* shadow, size_t n, double latency_ms);
  void RecordError() { errors_.fetch_add(1, std::memory_order_relaxed); }
  void RecordDrop() { dropped_.fetch_add(1, std::memory_order_relaxed); }

 private:
  const double tolerance_;
  std::atomic<int64_t> errors_{0}, dropped_{0};
  mutable std::mutex mu_;
  int64_t requests_ = 0, compared_ = 0, within_ = 0;  // guarded by mu_
  double abs_diff_sum_ = 0, latency_sum_ms_ = 0, latency_max_ms_ = 0;  // guarded by mu_
};

class ShadowMirror {
 public:
  explicit ShadowMirror(size_t max_queue = 1024);
  ~ShadowMirror();  // drains nothing: pending copies are discarded

  // Queues a copy; never blocks on the shadow. `primary` holds the primary's outputs.
  void Offer(std::shared_ptr<const LoadedModel> shadow, std::shared_ptr<ShadowStats> stats,
             const FeatureRows& rows, const std::vector<float>& primary);

 private:
  struct Job;
  void Work();

  const size_t max_queue_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::unique_ptr<Job>> queue_;  // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::thread worker_;
};

}  // namespace plinth::serving

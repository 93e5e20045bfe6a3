#include "serving/shadow_mirror.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "serving/predictor.h"

namespace plinth::serving {

ShadowStats::Snapshot ShadowStats::Read() const {
  Snapshot s;
  s.errors = errors_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.tolerance = tolerance_;
  std::lock_guard lock(mu_);
  s.requests = requests_;
  s.compared = compared_;
  if (compared_ > 0) {
    s.mean_abs_diff = abs_diff_sum_ / static_cast<double>(compared_);
    s.within_tolerance_share = static_cast<double>(within_) / static_cast<double>(compared_);
  }
  if (requests_ > 0) s.mean_latency_ms = latency_sum_ms_ / static_cast<double>(requests_);
  s.max_latency_ms = latency_max_ms_;
  return s;
}

void ShadowStats::RecordComparison(const float* primary, const float* shadow, size_t n,
                                   double latency_ms) {
  double diff_sum = 0;
  int64_t within = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = std::fabs(static_cast<double>(primary[i]) - shadow[i]);
    if (!std::isfinite(d)) continue;
    diff_sum += d;
    if (d <= tolerance_ * std::max(1.0, std::fabs(static_cast<double>(primary[i])))) ++within;
  }
  std::lock_guard lock(mu_);
  ++requests_;
  compared_ += static_cast<int64_t>(n);
  within_ += within;
  abs_diff_sum_ += diff_sum;
  latency_sum_ms_ += latency_ms;
  latency_max_ms_ = std::max(latency_max_ms_, latency_ms);
}

struct ShadowMirror::Job {
  std::shared_ptr<const LoadedModel> shadow;
  std::shared_ptr<ShadowStats> stats;
  FeatureRows rows;
  std::vector<float> primary;
};

ShadowMirror::ShadowMirror(size_t max_queue) : max_queue_(max_queue) {
  worker_ = std::thread([this] { Work(); });
}

ShadowMirror::~ShadowMirror() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_one();
  worker_.join();
}

void ShadowMirror::Offer(std::shared_ptr<const LoadedModel> shadow,
                         std::shared_ptr<ShadowStats> stats, const FeatureRows& rows,
                         const std::vector<float>& primary) {
  bool queued = false;
  {
    std::lock_guard lock(mu_);
    if (queue_.size() < max_queue_) {
      queue_.push_back(std::make_unique<Job>(Job{std::move(shadow), stats, rows, primary}));
      queued = true;
    }
  }
  if (!queued) {
    stats->RecordDrop();
    return;
  }
  ready_.notify_one();
}

void ShadowMirror::Work() {
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    auto start = std::chrono::steady_clock::now();
    const ModelRuntime& runtime = *job->shadow->runtime;
    auto input = BuildModelInput(*job->shadow, job->rows);
    std::vector<float> out(job->rows.n_rows * runtime.outputs_per_row());
    bool ok = input.ok() && out.size() == job->primary.size() &&
              runtime.Predict(input->data(), job->rows.n_rows,
                              runtime.input_signature().num_features, out.data()).ok();
    if (!ok) {
      job->stats->RecordError();
      continue;
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
    job->stats->RecordComparison(job->primary.data(), out.data(), out.size(), ms);
  }
}

}  // namespace plinth::serving

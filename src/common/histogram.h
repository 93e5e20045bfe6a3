#pragma once
// A fixed-bucket histogram for Prometheus, safe to update from many threads without a lock
// (relaxed atomics: a scrape may see an observation's count before its sum, which Prometheus
// tolerates).

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace plinth {

class Histogram {
 public:
  // `upper_bounds` ascending; an implicit +Inf bucket follows.
  explicit Histogram(std::vector<double> upper_bounds);

  void Observe(double value);

  // Appends the _bucket, _sum and _count lines of metric `name` with `labels`
  // (`endpoint="demand",variant="a"`) in Prometheus text format.
  void Render(const std::string& name, const std::string& labels, std::string& out) const;

  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Observations per bucket (not cumulative), one per upper bound plus the +Inf bucket.
  std::vector<uint64_t> BucketCounts() const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;  // one per bound, plus +Inf
  std::atomic<uint64_t> total_{0};
  std::atomic<double> sum_{0};
};

// Formats a double the way Prometheus expects (no exponent surprises, "+Inf").
std::string PrometheusNumber(double v);

}  // namespace plinth

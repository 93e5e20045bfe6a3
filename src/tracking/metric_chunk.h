#pragma once
// Metric series are stored as chunks: one row per (run, key, request) whose BLOB packs the
// request's points for that key as little-endian {int64 step, int64 timestamp, float64 value}.
// A batch of 1,000 points for 10 keys is 10 row inserts instead of 1,000.

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tracking/types.h"

namespace plinth::tracking {

inline constexpr size_t kMetricPointBytes = 24;

// Appends one point's packed bytes to `out`.
void AppendPackedPoint(const MetricPoint& point, std::string& out);

// Calls fn(step, timestamp, value) for each point of a chunk; Internal if the size is not a
// multiple of kMetricPointBytes.
template <typename Fn>
Status ForEachPackedPoint(std::string_view chunk, Fn&& fn);

}  // namespace plinth::tracking

#include <cstring>

namespace plinth::tracking {

template <typename Fn>
Status ForEachPackedPoint(std::string_view chunk, Fn&& fn) {
  if (chunk.size() % kMetricPointBytes != 0) return Internal("a stored metric chunk is corrupt");
  for (size_t off = 0; off < chunk.size(); off += kMetricPointBytes) {
    int64_t step, timestamp;
    double value;
    std::memcpy(&step, chunk.data() + off, 8);
    std::memcpy(&timestamp, chunk.data() + off + 8, 8);
    std::memcpy(&value, chunk.data() + off + 16, 8);
    fn(step, timestamp, value);
  }
  return Status::Ok();
}

}  // namespace plinth::tracking

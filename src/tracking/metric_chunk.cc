#include "tracking/metric_chunk.h"

namespace plinth::tracking {

static_assert(sizeof(double) == 8);

void AppendPackedPoint(const MetricPoint& point, std::string& out) {
  char buf[kMetricPointBytes];
  std::memcpy(buf, &point.step, 8);
  std::memcpy(buf + 8, &point.timestamp, 8);
  std::memcpy(buf + 16, &point.value, 8);
  out.append(buf, kMetricPointBytes);
}

}  // namespace plinth::tracking

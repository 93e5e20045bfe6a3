#pragma once
// Parses the body of POST /api/v1/runs/{id}/metrics: {"metrics": [{"key", "value", "step"?,
// "timestamp"?}, ...]}.
//
// This is the hot path of experiment tracking (batches of 1,000 metrics at hundreds of requests
// per second), so it reads the body with simdjson (http/json_body.h) straight into MetricPoints
// rather than through an nlohmann tree (see docs/dependencies.md). Errors name the offending
// entry ("metrics[3].value must be a number"). Thread-safe: each thread keeps its own parser.

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tracking/types.h"

namespace plinth::http {

inline constexpr size_t kMaxMetricsPerRequest = 10000;

// `now_ms` is the timestamp of points that carry none.
Result<std::vector<tracking::MetricPoint>> ParseMetricBatch(std::string_view body, int64_t now_ms);

}  // namespace plinth::http

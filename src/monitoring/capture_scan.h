#pragma once
// Reading an endpoint's captured traffic over a time window into a WindowProfiler, in chunks:
// each chunk is one keyset read of `chunk_records` captures (CaptureLog::Chunk) plus one read of
// their labels, folded into the profiler before the next chunk is read. Memory is bounded by the
// chunk, never by the window (10M captured rows are 1,000 reads of 10,000).

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "monitoring/feedback_store.h"
#include "monitoring/window_profiler.h"
#include "serving/capture_log.h"

namespace plinth::monitoring {

// Streams captures of `endpoint` with time_ms in [since_ms, until_ms) into `profiler`, joining
// labels from `labels` when it is not null.
Status ScanCaptures(serving::CaptureLog& captures, FeedbackStore* labels,
                    const std::string& endpoint, int64_t since_ms, int64_t until_ms,
                    WindowProfiler& profiler, int chunk_records = 10000);

// The input column names seen in the first chunk of a window: named features in first-seen
// order, positional ones as input-0, input-1, ... Empty when the window holds no capture.
Result<std::vector<std::string>> DiscoverColumns(serving::CaptureLog& captures,
                                                 const std::string& endpoint, int64_t since_ms,
                                                 int64_t until_ms);

}  // namespace plinth::monitoring

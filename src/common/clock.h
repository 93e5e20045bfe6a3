#pragma once
// Time in the API's unit: the wall clock, and a steady clock for deadlines.

#include <cstdint>

namespace plinth {

// Milliseconds since the Unix epoch.
int64_t NowMs();

// Milliseconds of a monotonic clock (not related to the epoch): for timeouts and deadlines.
int64_t SteadyNowMs();

}  // namespace plinth

#pragma once
// Wall-clock time in the API's unit.

#include <cstdint>

namespace plinth {

// Milliseconds since the Unix epoch.
int64_t NowMs();

}  // namespace plinth

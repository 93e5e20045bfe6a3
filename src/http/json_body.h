#pragma once
// Reading the hot routes' request bodies with simdjson (metric batches, predict, online reads).
// Include from .cc files only: simdjson.h is heavy.

#include <simdjson.h>

#include <string_view>

#include "common/status.h"

namespace plinth::http {

// Parses a body that must be a JSON object ("request body is not valid JSON", "request body
// must be a JSON object" otherwise) with this thread's DOM parser, which picks its SIMD kernel at
// run time (the on-demand API would be fixed at compile time to the portable fallback without
// -march flags). The object, and every string_view into it, lives until this thread parses again.
Result<simdjson::dom::object> ParseBodyObject(std::string_view body);

}  // namespace plinth::http

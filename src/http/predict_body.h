#pragma once
// Parses the bodies of the two predict routes into serving::FeatureRows:
// - POST /api/v1/endpoints/{name}/predict: {"instances": [{name: value, ...}, ...]} (named
//   features) or {"inputs": [[...], ...]} (rows in the signature's order), exactly one of them;
// - POST /v2/models/{name}/infer (Open Inference Protocol): one [n, f] tensor (row-major `data`,
//   flat or nested), or one tensor per feature, each of shape [n] or [n, 1], named as the model's
//   features; plus the request's optional "id".
//
// Values are numbers, booleans (1/0) or null (missing, NaN). Errors are InvalidArgument naming
// the offending element ("inputs[2] has 7 values, inputs[0] has 20"). This is the hot path of
// serving, so it reads the body with simdjson's DOM parser (one per thread, reused) rather than
// building an nlohmann tree. Thread-safe.

#include <string>
#include <string_view>

#include "common/status.h"
#include "serving/predictor.h"

namespace plinth::http {

Result<serving::FeatureRows> ParsePredictBody(std::string_view body);

struct InferRequest {
  serving::FeatureRows rows;
  std::string id;  // the request's "id", empty when it has none
};
Result<InferRequest> ParseInferBody(std::string_view body);

}  // namespace plinth::http

#pragma once
// The answer to a predict call, written as JSON text without a DOM (serving's hot path):
//   {"predictions": [...], "variant", "model", "version", "runtime", "served_by", "request_id",
//    "fallback"?: {"reason", "variant" | "constant"}}
// Predictions are a flat list for one output per row, else a list of lists. A constant fallback
// has no variant, model or version (null). `extra_members`, when not empty, is appended inside the
// object as is: already-serialized members such as "\"features\":{...}".

#include <string>
#include <string_view>

#include "serving/predictor.h"

namespace plinth::http {

std::string PredictAnswerJson(const serving::Prediction& p, const serving::LiveEndpoint& live,
                              std::string_view request_id, std::string_view extra_members = {});

// Just the predictions list, as in the answer (captures store it).
void AppendPredictionsJson(const serving::Prediction& p, std::string* out);

}  // namespace plinth::http

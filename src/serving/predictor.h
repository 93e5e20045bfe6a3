#pragma once
// The request path of an endpoint: choose a variant, shape the request's rows into the chosen
// model's input, and answer from the endpoint's cache, the model (through the dynamic batcher
// when the endpoint batches), or the endpoint's fallback when the model fails or misses its
// deadline (docs/serving-fallbacks.md).
//
// Rows arrive in one of two forms: named (`instances`: feature name -> value, matched to the
// model's signature; an absent feature is missing) or positional (`inputs`: values in the
// signature's order). Missing values are NaN. Thread-safe: it reads only immutable state.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serving/endpoint_manager.h"

namespace plinth::serving {

struct FeatureRows {
  bool named = false;
  size_t n_rows = 0;
  // Positional: n_rows rows of `width` values, row-major.
  size_t width = 0;
  std::vector<float> values;
  // Named: per row, (feature name, value) pairs.
  std::vector<std::vector<std::pair<std::string, float>>> instances;
};

struct Prediction {
  std::string variant;
  std::string model;
  int64_t version = 0;
  std::string runtime;
  size_t outputs_per_row = 1;
  std::vector<float> values;  // n_rows * outputs_per_row
  // "model", "cache" or "fallback". A fallback variant fills variant/model/version/runtime with
  // its own; a constant leaves variant and model empty, version 0, runtime "constant".
  std::string served_by = "model";
  bool fallback_constant = false;
  std::string fallback_reason;  // why the chosen variant did not answer (served_by fallback)
};

// Builds `model`'s row-major input from `rows`. InvalidArgument names the row and the problem
// ("inputs[0] has 7 values, the signature has 20").
Result<std::vector<float>> BuildModelInput(const LoadedModel& model, const FeatureRows& rows);

// Predicts with the variant the routing key (or a random draw) chooses: from the cache when it
// holds this input, else with the model, else with the fallback (when the model fails other than
// on bad input, or misses fallback.deadline_ms). Unavailable for an endpoint that failed to load,
// or for a variant that failed or was late with no fallback to answer (or a fallback that
// failed too; the error is then the chosen variant's).
Result<Prediction> Predict(const LiveEndpoint& endpoint, const FeatureRows& rows,
                           std::string_view routing_key);

}  // namespace plinth::serving

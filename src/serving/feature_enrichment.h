#pragma once
// The predict request of an endpoint that declares features (feature_lookup.h): its instances
// carry the entity key and any request-time features; the declared features they lack are looked
// up, one FeatureLookup call for the whole request. A value the request gives wins over the
// online store's. With "echo_features": true the answer repeats, per instance, the features the
// model received (null for missing).

#include <string_view>

#include <nlohmann/json.hpp>

#include "serving/feature_lookup.h"
#include "serving/predictor.h"

namespace plinth::serving {

struct EnrichedRequest {
  FeatureRows rows;  // named
  bool echo = false;
  // Per instance {"feature": value-or-null}, when echo.
  nlohmann::json EchoJson() const;
};

// Parses {"instances": [{entity_key: 1, "hour": 8, ...}], "echo_features"?: bool} and fills the
// declared features. InvalidArgument for a malformed body or an instance without the entity key;
// FailedPrecondition naming the endpoint's declaration when the lookup cannot resolve it.
Result<EnrichedRequest> ParseAndEnrich(FeatureLookup& lookup, const EndpointFeatures& features,
                                       std::string_view body);

}  // namespace plinth::serving

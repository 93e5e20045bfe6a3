#pragma once
// EndpointSpec <-> the JSON of POST/PUT /api/v1/endpoints (docs/api.md). Include from .cc files.

#include <nlohmann/json.hpp>

#include "serving/endpoint_spec.h"

namespace plinth::serving {

// Reads {"variants": [{"name", "model", "version" | "alias", "weight"?}], "shadow"?: {...}}.
// The name comes from the caller (body or path). InvalidArgument names the bad field.
Result<EndpointSpec> EndpointSpecFromJson(const nlohmann::json& body, std::string name);
nlohmann::json EndpointSpecToJson(const EndpointSpec& spec);
nlohmann::json ModelRefToJson(const ModelRef& ref);
// The optional "features" field (feature_lookup.h); null when absent.
Result<std::optional<EndpointFeatures>> EndpointFeaturesFromJson(const nlohmann::json& body);
nlohmann::json EndpointFeaturesToJson(const std::optional<EndpointFeatures>& features);

}  // namespace plinth::serving

#include "serving/feature_enrichment.h"

#include <cmath>

#include "serving/endpoint_spec_json.h"

namespace plinth::serving {

using nlohmann::json;

Status ValidateEndpointFeatures(const EndpointFeatures& features) {
  if (features.refs.empty()) return InvalidArgument("features.refs must list at least one 'view:feature'");
  if (features.entity_key.empty()) return InvalidArgument("features.entity_key is required");
  std::vector<std::string> names;
  for (const std::string& ref : features.refs) {
    size_t colon = ref.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == ref.size() ||
        ref.find(':', colon + 1) != std::string::npos) {
      return InvalidArgument("features.refs: '" + ref + "' must be 'view:feature'");
    }
    std::string name = ref.substr(colon + 1);
    for (const std::string& other : names) {
      if (other == name) return InvalidArgument("features.refs name feature '" + name + "' twice");
    }
    names.push_back(std::move(name));
  }
  return Status::Ok();
}

json EnrichedRequest::EchoJson() const {
  json out = json::array();
  for (const auto& instance : rows.instances) {
    json row = json::object();
    for (const auto& [name, value] : instance) {
      row[name] = std::isnan(value) ? json(nullptr) : json(value);
    }
    out.push_back(std::move(row));
  }
  return out;
}

Result<EnrichedRequest> ParseAndEnrich(FeatureLookup& lookup, const EndpointFeatures& features,
                                       std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("request body must be a JSON object");
  EnrichedRequest out;
  auto echo = j.find("echo_features");
  if (echo != j.end() && !echo->is_null()) {
    if (!echo->is_boolean()) return InvalidArgument("echo_features must be true or false");
    out.echo = echo->get<bool>();
  }
  auto instances = j.find("instances");
  if (instances == j.end() || !instances->is_array()) {
    return InvalidArgument("this endpoint reads online features: send 'instances', a list of "
                           "objects with '" + features.entity_key + "'");
  }
  FeatureRows& rows = out.rows;
  rows.named = true;
  std::vector<std::optional<std::string>> keys;
  for (size_t r = 0; r < instances->size(); ++r) {
    const json& row = (*instances)[r];
    std::string where = "instances[" + std::to_string(r) + "]";
    if (!row.is_object()) return InvalidArgument(where + " must be an object");
    auto& instance = rows.instances.emplace_back();
    bool has_key = false;
    for (const auto& [name, value] : row.items()) {
      if (name == features.entity_key) {
        has_key = true;
        // A whole float (1.0, as CSV readers send numbers) names the same entity as 1.
        const bool whole_float = value.is_number_float() && std::isfinite(value.get<double>()) &&
                                 std::trunc(value.get<double>()) == value.get<double>() &&
                                 std::fabs(value.get<double>()) < 9.0e15;
        if (value.is_number_integer() || whole_float) {
          keys.push_back(std::to_string(value.get<int64_t>()));
        } else if (value.is_string()) {
          keys.push_back(value.get<std::string>());
        } else {
          return InvalidArgument(where + "." + name + " must be an integer or a string");
        }
        if (features.include_entity_key) {
          instance.emplace_back(name, value.is_number() ? value.get<float>() : std::nanf(""));
        }
        continue;
      }
      if (value.is_null()) {
        instance.emplace_back(name, std::nanf(""));
      } else if (value.is_number()) {
        instance.emplace_back(name, value.get<float>());
      } else if (value.is_boolean()) {
        instance.emplace_back(name, value.get<bool>() ? 1.0f : 0.0f);
      } else {
        return InvalidArgument(where + "." + name + " must be a number or null");
      }
    }
    if (!has_key) return InvalidArgument(where + " lacks the entity key '" + features.entity_key + "'");
  }
  rows.n_rows = rows.instances.size();
  if (rows.n_rows == 0) return out;
  std::vector<float> values;
  Status st = lookup.Lookup(features.refs, features.entity_key, keys, &values);
  if (!st.ok()) {
    if (st.code() == StatusCode::kNotFound) {
      return FailedPrecondition("the endpoint's features cannot be read: " + st.message());
    }
    return st;
  }
  const size_t nrefs = features.refs.size();
  for (size_t r = 0; r < rows.n_rows; ++r) {
    auto& instance = rows.instances[r];
    const size_t given = instance.size();
    for (size_t i = 0; i < nrefs; ++i) {
      std::string name = features.refs[i].substr(features.refs[i].find(':') + 1);
      bool supplied = false;
      for (size_t k = 0; k < given && !supplied; ++k) supplied = instance[k].first == name;
      if (!supplied) instance.emplace_back(std::move(name), values[r * nrefs + i]);
    }
  }
  return out;
}

}  // namespace plinth::serving

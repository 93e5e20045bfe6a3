#include "serving/endpoint_spec_json.h"

#include <type_traits>

namespace plinth::serving {

using nlohmann::json;

namespace {

Result<ModelRef> RefFromJson(const json& j, const std::string& where) {
  if (!j.is_object()) return InvalidArgument(where + " must be an object");
  ModelRef ref;
  auto model = j.find("model");
  if (model == j.end() || !model->is_string()) return InvalidArgument(where + ".model must be a string");
  ref.model = model->get<std::string>();
  auto version = j.find("version");
  if (version != j.end() && !version->is_null()) {
    if (!version->is_number_integer()) return InvalidArgument(where + ".version must be an integer");
    ref.version = version->get<int64_t>();
  }
  auto alias = j.find("alias");
  if (alias != j.end() && !alias->is_null()) {
    if (!alias->is_string()) return InvalidArgument(where + ".alias must be a string");
    ref.alias = alias->get<std::string>();
  }
  return ref;
}

// The object `key` of `body`, or null when absent or null; InvalidArgument if not an object.
Result<const json*> OptionalObject(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return static_cast<const json*>(nullptr);
  if (!it->is_object()) return InvalidArgument(std::string("'") + key + "' must be an object");
  return &*it;
}

// Reads j[key] into *out when present: an integer or a number.
template <typename T>
Status ReadNumber(const json& j, const std::string& where, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if constexpr (std::is_integral_v<T>) {
    if (!it->is_number_integer()) return InvalidArgument(where + "." + key + " must be an integer");
  } else {
    if (!it->is_number()) return InvalidArgument(where + "." + key + " must be a number");
  }
  *out = it->get<T>();
  return Status::Ok();
}

// batching, cache and fallback.
Status ReadExtras(const json& body, EndpointSpec& spec) {
  ASSIGN_OR_RETURN(const json* batching, OptionalObject(body, "batching"));
  if (batching) {
    BatchingSpec b;
    RETURN_IF_ERROR(ReadNumber(*batching, "batching", "max_batch_size", &b.max_batch_size));
    RETURN_IF_ERROR(ReadNumber(*batching, "batching", "max_queue_delay_us", &b.max_queue_delay_us));
    spec.batching = b;
  }
  ASSIGN_OR_RETURN(const json* cache, OptionalObject(body, "cache"));
  if (cache) {
    CacheSpec c;
    RETURN_IF_ERROR(ReadNumber(*cache, "cache", "ttl_seconds", &c.ttl_seconds));
    RETURN_IF_ERROR(ReadNumber(*cache, "cache", "max_entries", &c.max_entries));
    spec.cache = c;
  }
  ASSIGN_OR_RETURN(const json* fallback, OptionalObject(body, "fallback"));
  if (fallback) {
    FallbackSpec f;
    auto variant = fallback->find("variant");
    if (variant != fallback->end() && !variant->is_null()) {
      if (!variant->is_string()) return InvalidArgument("fallback.variant must be a string");
      f.variant = variant->get<std::string>();
    }
    auto constant = fallback->find("constant");
    if (constant != fallback->end() && !constant->is_null()) {
      std::vector<double> values;
      if (constant->is_number()) {
        values.push_back(constant->get<double>());
      } else if (constant->is_array()) {
        for (const auto& v : *constant) {
          if (!v.is_number()) return InvalidArgument("fallback.constant must hold numbers");
          values.push_back(v.get<double>());
        }
      } else {
        return InvalidArgument("fallback.constant must be a number or a list of numbers");
      }
      f.constant = std::move(values);
    }
    RETURN_IF_ERROR(ReadNumber(*fallback, "fallback", "deadline_ms", &f.deadline_ms));
    spec.fallback = std::move(f);
  }
  return Status::Ok();
}

}  // namespace

Result<std::optional<EndpointFeatures>> EndpointFeaturesFromJson(const json& body) {
  auto it = body.find("features");
  if (it == body.end() || it->is_null()) return std::optional<EndpointFeatures>();
  if (!it->is_object()) {
    return InvalidArgument("'features' must be {\"refs\": [\"view:feature\", ...], \"entity_key\": ...}");
  }
  EndpointFeatures f;
  for (const auto& [key, value] : it->items()) {
    if (key == "refs") {
      if (!value.is_array()) return InvalidArgument("features.refs must be a list of strings");
      for (const json& ref : value) {
        if (!ref.is_string()) return InvalidArgument("features.refs must be a list of strings");
        f.refs.push_back(ref.get<std::string>());
      }
    } else if (key == "entity_key") {
      if (!value.is_string()) return InvalidArgument("features.entity_key must be a string");
      f.entity_key = value.get<std::string>();
    } else if (key == "include_entity_key") {
      if (!value.is_boolean()) return InvalidArgument("features.include_entity_key must be true or false");
      f.include_entity_key = value.get<bool>();
    } else {
      return InvalidArgument("unknown field 'features." + key + "'");
    }
  }
  RETURN_IF_ERROR(ValidateEndpointFeatures(f));
  return std::optional<EndpointFeatures>(std::move(f));
}

json EndpointFeaturesToJson(const std::optional<EndpointFeatures>& features) {
  if (!features) return nullptr;
  return {{"refs", features->refs},
          {"entity_key", features->entity_key},
          {"include_entity_key", features->include_entity_key}};
}

Result<EndpointSpec> EndpointSpecFromJson(const json& body, std::string name) {
  EndpointSpec spec;
  spec.name = std::move(name);
  auto variants = body.find("variants");
  if (variants == body.end() || !variants->is_array()) {
    return InvalidArgument("'variants' must be a list of {name, model, version | alias, weight}");
  }
  for (size_t i = 0; i < variants->size(); ++i) {
    const json& v = (*variants)[i];
    std::string where = "variants[" + std::to_string(i) + "]";
    ASSIGN_OR_RETURN(ModelRef ref, RefFromJson(v, where));
    VariantSpec variant;
    variant.ref = std::move(ref);
    auto vname = v.find("name");
    if (vname != v.end() && !vname->is_null()) {
      if (!vname->is_string()) return InvalidArgument(where + ".name must be a string");
      variant.name = vname->get<std::string>();
    } else {
      variant.name = "v" + std::to_string(i + 1);
    }
    auto weight = v.find("weight");
    if (weight != v.end() && !weight->is_null()) {
      if (!weight->is_number()) return InvalidArgument(where + ".weight must be a number");
      variant.weight = weight->get<double>();
    }
    spec.variants.push_back(std::move(variant));
  }
  auto shadow = body.find("shadow");
  if (shadow != body.end() && !shadow->is_null()) {
    ASSIGN_OR_RETURN(ModelRef ref, RefFromJson(*shadow, "shadow"));
    spec.shadow = std::move(ref);
    auto tolerance = shadow->find("tolerance");
    if (tolerance != shadow->end() && !tolerance->is_null()) {
      if (!tolerance->is_number()) return InvalidArgument("shadow.tolerance must be a number");
      spec.shadow_tolerance = tolerance->get<double>();
    }
  }
  auto capture = body.find("capture");
  if (capture != body.end() && !capture->is_null()) {
    auto rate = capture->is_object() ? capture->find("sample_rate") : capture->end();
    if (!capture->is_object() || rate == capture->end() || !rate->is_number()) {
      return InvalidArgument("'capture' must be {\"sample_rate\": a number from 0 to 1}");
    }
    spec.capture_sample_rate = rate->get<double>();
  }
  ASSIGN_OR_RETURN(spec.features, EndpointFeaturesFromJson(body));
  RETURN_IF_ERROR(ReadExtras(body, spec));
  RETURN_IF_ERROR(ValidateEndpointSpec(spec));
  return spec;
}

json ModelRefToJson(const ModelRef& ref) {
  json j = {{"model", ref.model}};
  if (ref.version) j["version"] = *ref.version;
  if (ref.alias) j["alias"] = *ref.alias;
  return j;
}

json EndpointSpecToJson(const EndpointSpec& spec) {
  json variants = json::array();
  for (const auto& v : spec.variants) {
    json j = ModelRefToJson(v.ref);
    j["name"] = v.name;
    j["weight"] = v.weight;
    variants.push_back(std::move(j));
  }
  json out = {{"name", spec.name}, {"variants", variants}};
  json shadow = nullptr;
  if (spec.shadow) {
    shadow = ModelRefToJson(*spec.shadow);
    shadow["tolerance"] = spec.shadow_tolerance;
  }
  out["shadow"] = shadow;
  out["capture"] = {{"sample_rate", spec.capture_sample_rate}};
  out["features"] = EndpointFeaturesToJson(spec.features);
  out["batching"] = nullptr;
  if (spec.batching) {
    out["batching"] = {{"max_batch_size", spec.batching->max_batch_size},
                       {"max_queue_delay_us", spec.batching->max_queue_delay_us}};
  }
  out["cache"] = nullptr;
  if (spec.cache) {
    out["cache"] = {{"ttl_seconds", spec.cache->ttl_seconds},
                    {"max_entries", spec.cache->max_entries}};
  }
  out["fallback"] = nullptr;
  if (spec.fallback) {
    json f = {{"deadline_ms", spec.fallback->deadline_ms}};
    if (spec.fallback->variant) f["variant"] = *spec.fallback->variant;
    if (spec.fallback->constant) {
      const auto& c = *spec.fallback->constant;
      f["constant"] = c.size() == 1 ? json(c[0]) : json(c);
    }
    out["fallback"] = std::move(f);
  }
  return out;
}

}  // namespace plinth::serving

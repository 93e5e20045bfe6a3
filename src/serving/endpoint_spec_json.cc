#include "serving/endpoint_spec_json.h"

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
  return out;
}

}  // namespace plinth::serving

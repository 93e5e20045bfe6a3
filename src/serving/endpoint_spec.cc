#include "serving/endpoint_spec.h"

#include <cmath>
#include <set>

#include "common/names.h"

namespace plinth::serving {

namespace {
Status ValidateRef(const ModelRef& ref, const std::string& where) {
  RETURN_IF_ERROR(ValidateName(where + ".model", ref.model));
  if (ref.version.has_value() == ref.alias.has_value()) {
    return InvalidArgument(where + " needs exactly one of 'version' and 'alias'");
  }
  if (ref.version && *ref.version < 1) return InvalidArgument(where + ".version must be >= 1");
  if (ref.alias) RETURN_IF_ERROR(ValidateName(where + ".alias", *ref.alias));
  return Status::Ok();
}
}  // namespace

bool operator==(const ModelRef& a, const ModelRef& b) {
  return a.model == b.model && a.version == b.version && a.alias == b.alias;
}

Status ValidateEndpointSpec(const EndpointSpec& spec) {
  RETURN_IF_ERROR(ValidateName("endpoint name", spec.name));
  if (spec.variants.empty()) return InvalidArgument("'variants' must have at least one variant");
  if (spec.variants.size() > 16) return InvalidArgument("an endpoint has at most 16 variants");
  std::set<std::string> names;
  double total = 0;
  for (size_t i = 0; i < spec.variants.size(); ++i) {
    const VariantSpec& v = spec.variants[i];
    std::string where = "variants[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(ValidateName(where + ".name", v.name));
    if (!names.insert(v.name).second) {
      return InvalidArgument("variant name '" + v.name + "' is used twice");
    }
    RETURN_IF_ERROR(ValidateRef(v.ref, where));
    if (!std::isfinite(v.weight) || v.weight < 0) {
      return InvalidArgument(where + ".weight must be a number >= 0");
    }
    total += v.weight;
  }
  if (total <= 0) return InvalidArgument("the variants' weights must add up to more than 0");
  if (spec.shadow) RETURN_IF_ERROR(ValidateRef(*spec.shadow, "shadow"));
  if (!std::isfinite(spec.shadow_tolerance) || spec.shadow_tolerance < 0) {
    return InvalidArgument("shadow.tolerance must be a number >= 0");
  }
  if (!(spec.capture_sample_rate >= 0 && spec.capture_sample_rate <= 1)) {
    return InvalidArgument("capture.sample_rate must be from 0 to 1");
  }
  return Status::Ok();
}

}  // namespace plinth::serving

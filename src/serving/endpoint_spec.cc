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
  if (spec.batching) {
    if (spec.batching->max_batch_size < 1 || spec.batching->max_batch_size > 4096) {
      return InvalidArgument("batching.max_batch_size must be from 1 to 4096");
    }
    if (spec.batching->max_queue_delay_us < 0 || spec.batching->max_queue_delay_us > 1000000) {
      return InvalidArgument("batching.max_queue_delay_us must be from 0 to 1000000");
    }
  }
  if (spec.cache) {
    if (!(spec.cache->ttl_seconds > 0 && spec.cache->ttl_seconds <= 86400)) {
      return InvalidArgument("cache.ttl_seconds must be more than 0 and at most 86400");
    }
    if (spec.cache->max_entries < 1 || spec.cache->max_entries > 1000000) {
      return InvalidArgument("cache.max_entries must be from 1 to 1000000");
    }
  }
  if (spec.fallback) {
    const FallbackSpec& f = *spec.fallback;
    if (f.variant.has_value() == f.constant.has_value()) {
      return InvalidArgument("fallback needs exactly one of 'variant' and 'constant'");
    }
    if (f.variant && !names.count(*f.variant)) {
      return InvalidArgument("fallback.variant '" + *f.variant + "' is not a variant of the endpoint");
    }
    if (f.constant) {
      if (f.constant->empty()) return InvalidArgument("fallback.constant must not be an empty list");
      for (double v : *f.constant) {
        if (!std::isfinite(v)) return InvalidArgument("fallback.constant must hold finite numbers");
      }
    }
    if (f.deadline_ms < 0 || f.deadline_ms > 60000) {
      return InvalidArgument("fallback.deadline_ms must be from 0 to 60000");
    }
  }
  return Status::Ok();
}

}  // namespace plinth::serving

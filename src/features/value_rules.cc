#include "features/value_rules.h"

namespace plinth::features::internal {

ValueRules::ValueRules(const Feature& feature)
    : type_(feature.type),
      not_null_(feature.rules.not_null),
      min_(feature.rules.min),
      max_(feature.rules.max),
      has_allowed_(!feature.rules.allowed_values.empty()) {
  // An allowed value that is not a value of the type can never match; it is left out.
  for (const std::string& v : feature.rules.allowed_values) {
    double d;
    int64_t i;
    bool b;
    switch (type_) {
      case ValueType::kFloat:
        if (ParseFloatText(v, &d)) allowed_bits_.insert(CanonicalDoubleBits(d));
        break;
      case ValueType::kInt:
        if (ParseIntText(v, &i)) allowed_bits_.insert(static_cast<uint64_t>(i));
        break;
      case ValueType::kBool:
        if (ParseBoolText(v, &b)) allowed_bits_.insert(b ? 1 : 0);
        break;
      case ValueType::kString:
        allowed_strings_.insert(v);
        break;
    }
  }
}

}  // namespace plinth::features::internal

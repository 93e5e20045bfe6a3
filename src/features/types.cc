#include "features/types.h"

#include "common/names.h"

namespace plinth::features {

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kFloat:
      return "float";
    case ValueType::kInt:
      return "int";
    case ValueType::kString:
      return "string";
    case ValueType::kBool:
      return "bool";
  }
  return "unknown";
}

std::optional<ValueType> ParseValueType(std::string_view name) {
  if (name == "float") return ValueType::kFloat;
  if (name == "int") return ValueType::kInt;
  if (name == "string") return ValueType::kString;
  if (name == "bool") return ValueType::kBool;
  return std::nullopt;
}

const Feature* FeatureView::FindFeature(std::string_view feature_name) const {
  for (const Feature& f : features) {
    if (f.name == feature_name) return &f;
  }
  return nullptr;
}

Result<FeatureRef> ParseFeatureRef(std::string_view ref) {
  size_t colon = ref.find(':');
  if (colon == std::string_view::npos || ref.find(':', colon + 1) != std::string_view::npos) {
    return InvalidArgument("feature ref '" + std::string(ref) +
                           "' must have the form 'view:feature'");
  }
  FeatureRef out{std::string(ref.substr(0, colon)), std::string(ref.substr(colon + 1))};
  RETURN_IF_ERROR(ValidateName("feature view name in ref '" + std::string(ref) + "'", out.view));
  RETURN_IF_ERROR(ValidateName("feature name in ref '" + std::string(ref) + "'", out.feature));
  return out;
}

}  // namespace plinth::features

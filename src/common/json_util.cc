#include "common/json_util.h"

namespace plinth {

namespace {
std::string Quote(std::string_view field) { return "'" + std::string(field) + "'"; }
}  // namespace

Result<Json> ParseJsonObject(std::string_view body) {
  Json parsed = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return InvalidArgument("request body is not valid JSON");
  if (!parsed.is_object()) return InvalidArgument("request body must be a JSON object");
  return parsed;
}

Result<std::string> RequireString(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return InvalidArgument(Quote(field) + " is required");
  if (!it->is_string()) return InvalidArgument(Quote(field) + " must be a string");
  return it->get<std::string>();
}

Result<std::optional<std::string>> OptionalString(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return InvalidArgument(Quote(field) + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<int64_t>> OptionalInt(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return InvalidArgument(Quote(field) + " must be an integer");
  return std::optional<int64_t>(it->get<int64_t>());
}

Result<std::optional<double>> OptionalNumber(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) return InvalidArgument(Quote(field) + " must be a number");
  return std::optional<double>(it->get<double>());
}

Result<std::string> ScalarToString(const Json& value, std::string_view field) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  return InvalidArgument(Quote(field) + " must be a string, number or boolean");
}

Result<std::map<std::string, std::string>> OptionalStringMap(const Json& obj,
                                                             std::string_view field) {
  std::map<std::string, std::string> out;
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_object()) return InvalidArgument(Quote(field) + " must be an object");
  for (const auto& [k, v] : it->items()) {
    ASSIGN_OR_RETURN(out[k], ScalarToString(v, std::string(field) + "." + k));
  }
  return out;
}

}  // namespace plinth

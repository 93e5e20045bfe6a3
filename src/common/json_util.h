#pragma once
// Typed access to JSON request bodies with errors that name the field.
//
// Include only from .cc files: nlohmann/json is a heavy header.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace plinth {

using Json = nlohmann::json;

// Parses a request body that must be a JSON object.
Result<Json> ParseJsonObject(std::string_view body);

// Field accessors: NotFound-free. A missing required field or a wrong type is InvalidArgument
// naming `field`. Optional accessors return nullopt when the field is absent or null.
Result<std::string> RequireString(const Json& obj, std::string_view field);
Result<std::optional<std::string>> OptionalString(const Json& obj, std::string_view field);
Result<std::optional<int64_t>> OptionalInt(const Json& obj, std::string_view field);
Result<std::optional<double>> OptionalNumber(const Json& obj, std::string_view field);

// A {"k": "v"} object of strings (numbers and booleans are kept as their JSON text). Absent or
// null gives an empty map.
Result<std::map<std::string, std::string>> OptionalStringMap(const Json& obj,
                                                             std::string_view field);

// A JSON scalar as the string a param or tag stores: strings as themselves, numbers and booleans
// as their JSON text. Other types are InvalidArgument naming `field`.
Result<std::string> ScalarToString(const Json& value, std::string_view field);

}  // namespace plinth

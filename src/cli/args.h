#pragma once
// Pure parsing of command-line values into what the API expects. Every error is a usage error
// (exit 2) whose message names the option and the value.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace plinth::cli {

// "key=value" -> {key, value}, split at the first '='. The key must be non-empty; the value may
// be empty. `option` names the option in errors ("--tag").
Result<std::pair<std::string, std::string>> ParseKeyValue(std::string_view text,
                                                          std::string_view option);

// Several "key=value" items; a key given twice is an error.
Result<std::map<std::string, std::string>> ParseKeyValues(const std::vector<std::string>& items,
                                                          std::string_view option);

// A finite decimal number (all of `text`): "0.5", "-3", "1e-3".
Result<double> ParseNumber(std::string_view text, std::string_view what);

// A decimal integer (all of `text`).
Result<int64_t> ParseInteger(std::string_view text, std::string_view what);

// Several "key=number" items as a JSON object of numbers (integers stay integers).
Result<nlohmann::json> ParseNumberMap(const std::vector<std::string>& items,
                                      std::string_view option);

// "MODEL:VERSION" or "MODEL@ALIAS" -> {"model", "version" | "alias"}. `what` names the option.
Result<nlohmann::json> ParseModelRef(std::string_view text, std::string_view what);

// "5,25,50,100" -> [5, 25, 50, 100]: a comma-separated list of numbers.
Result<nlohmann::json> ParseNumberList(std::string_view text, std::string_view what);

// The types a model signature's inputs may have.
inline constexpr const char* kSignatureTypes[] = {"float", "double", "int", "bool", "string"};

// "name:type,name:type" -> {"inputs": [{"name": ..., "type": ...}, ...]}, in the given order.
// Spaces around names and types are ignored; names must be unique and types one of
// kSignatureTypes.
Result<nlohmann::json> ParseSignature(std::string_view text);

}  // namespace plinth::cli

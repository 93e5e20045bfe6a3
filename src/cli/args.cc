#include "cli/args.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include "cli/errors.h"

namespace plinth::cli {

namespace {

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool LooksIntegral(std::string_view text) {
  return text.find_first_of(".eEnNiI") == std::string_view::npos;
}

}  // namespace

Result<std::pair<std::string, std::string>> ParseKeyValue(std::string_view text,
                                                          std::string_view option) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return UsageError("bad " + std::string(option) + " " + Quoted(text) + ": expected KEY=VALUE");
  }
  return std::make_pair(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
}

Result<std::map<std::string, std::string>> ParseKeyValues(const std::vector<std::string>& items,
                                                          std::string_view option) {
  std::map<std::string, std::string> out;
  for (const std::string& item : items) {
    auto kv = ParseKeyValue(item, option);
    if (!kv.ok()) return kv.status();
    if (!out.emplace(kv->first, kv->second).second) {
      return UsageError(std::string(option) + " " + Quoted(kv->first) + " is given twice");
    }
  }
  return out;
}

Result<double> ParseNumber(std::string_view text, std::string_view what) {
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  double value = s.empty() ? 0 : std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value) ||
      std::isspace(static_cast<unsigned char>(s.front()))) {
    return UsageError(std::string(what) + " must be a number, not " + Quoted(text));
  }
  return value;
}

Result<int64_t> ParseInteger(std::string_view text, std::string_view what) {
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  long long value = s.empty() ? 0 : std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno == ERANGE ||
      std::isspace(static_cast<unsigned char>(s.front()))) {
    return UsageError(std::string(what) + " must be an integer, not " + Quoted(text));
  }
  return static_cast<int64_t>(value);
}

Result<nlohmann::json> ParseNumberMap(const std::vector<std::string>& items,
                                      std::string_view option) {
  auto pairs = ParseKeyValues(items, option);
  if (!pairs.ok()) return pairs.status();
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, text] : *pairs) {
    std::string what = std::string(option) + " " + Quoted(key);
    if (LooksIntegral(text)) {
      auto integer = ParseInteger(text, what);
      if (integer.ok()) {
        out[key] = *integer;
        continue;
      }
    }
    auto number = ParseNumber(text, what);
    if (!number.ok()) return number.status();
    out[key] = *number;
  }
  return out;
}

Result<nlohmann::json> ParseSignature(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return UsageError("bad --signature " + Quoted(text) + ": " + why);
  };
  nlohmann::json inputs = nlohmann::json::array();
  std::set<std::string> seen;
  std::string_view rest = text;
  if (TrimSpaces(rest).empty()) return bad("expected NAME:TYPE,...");
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) return bad(Quoted(TrimSpaces(item)) + " is not NAME:TYPE");
    std::string name(TrimSpaces(item.substr(0, colon)));
    std::string type(TrimSpaces(item.substr(colon + 1)));
    if (name.empty()) return bad("an input has no name");
    bool known = false;
    for (const char* t : kSignatureTypes) known = known || type == t;
    if (!known) {
      return bad("input " + Quoted(name) + " has type " + Quoted(type) +
                 "; types are float, double, int, bool, string");
    }
    if (!seen.insert(name).second) return bad("input " + Quoted(name) + " is given twice");
    inputs.push_back({{"name", name}, {"type", type}});
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return nlohmann::json{{"inputs", inputs}};
}

Result<nlohmann::json> ParseModelRef(std::string_view text, std::string_view what) {
  size_t at = text.find('@');
  size_t colon = text.find(':');
  if (at != std::string_view::npos && at > 0 && at + 1 < text.size()) {
    return nlohmann::json{{"model", std::string(text.substr(0, at))},
                          {"alias", std::string(text.substr(at + 1))}};
  }
  if (colon != std::string_view::npos && colon > 0) {
    ASSIGN_OR_RETURN(int64_t version, ParseInteger(text.substr(colon + 1), what));
    return nlohmann::json{{"model", std::string(text.substr(0, colon))}, {"version", version}};
  }
  return UsageError("bad " + std::string(what) + " '" + std::string(text) +
                    "': expected MODEL:VERSION or MODEL@ALIAS");
}

Result<nlohmann::json> ParseNumberList(std::string_view text, std::string_view what) {
  nlohmann::json out = nlohmann::json::array();
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    ASSIGN_OR_RETURN(double v, ParseNumber(item, what));
    out.push_back(v);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace plinth::cli

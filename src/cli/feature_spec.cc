#include "cli/feature_spec.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <regex>
#include <set>

namespace plinth::cli {

using nlohmann::json;

namespace {

// Keys whose scalar values are text whatever they look like ("name: 2024" is a name).
const std::set<std::string> kTextKeys = {"name", "description", "owner", "type", "ttl"};
// Keys under which every scalar, however deeply nested, is text.
const std::set<std::string> kTextTrees = {"tags", "entities", "join_keys"};

std::string Where(const std::string& source, const YAML::Node& node) {
  YAML::Mark mark = node.Mark();
  if (mark.line < 0) return source;
  return source + ":" + std::to_string(mark.line + 1);
}

// A plain scalar as YAML 1.2's core schema reads it.
json PlainScalar(const std::string& text) {
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (std::regex_match(text, kInt)) {
    try {
      return static_cast<int64_t>(std::stoll(text));
    } catch (...) {
      return text;  // too large for an integer: let the server say so
    }
  }
  if (std::regex_match(text, kFloat)) {
    try {
      double d = std::stod(text);
      if (std::isfinite(d)) return d;
    } catch (...) {
    }
  }
  return text;
}

Result<json> ToJson(const YAML::Node& node, const std::string& source, bool text,
                    const std::string& path) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return json(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      // Quoted and explicitly tagged scalars have the tag "!" or a named one; plain ones "?".
      if (text || node.Tag() != "?") return json(s);
      return PlainScalar(s);
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      size_t i = 0;
      for (const YAML::Node& item : node) {
        ASSIGN_OR_RETURN(json v, ToJson(item, source, text, path + "[" + std::to_string(i) + "]"));
        out.push_back(std::move(v));
        ++i;
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          return InvalidArgument(Where(source, kv.first) + ": a key under " + path +
                                 " is not a plain name");
        }
        std::string key = kv.first.Scalar();
        if (out.contains(key)) {
          return InvalidArgument(Where(source, kv.first) + ": " + path + "." + key +
                                 " is given twice");
        }
        bool child_text =
            text || kTextTrees.count(key) > 0 || (kTextKeys.count(key) > 0 && kv.second.IsScalar());
        ASSIGN_OR_RETURN(out[key], ToJson(kv.second, source, child_text, path + "." + key));
      }
      return out;
    }
    case YAML::NodeType::Undefined:
      break;
  }
  return InvalidArgument(Where(source, node) + ": " + path + " cannot be read");
}

Status ReadList(const YAML::Node& root, const char* key, const std::string& source,
                std::vector<json>& out) {
  YAML::Node list = root[key];
  if (!list || list.IsNull()) return Status::Ok();
  if (!list.IsSequence()) {
    return InvalidArgument(Where(source, list) + ": '" + key + "' must be a list");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    std::string path = std::string(key) + "[" + std::to_string(i) + "]";
    if (!item.IsMap()) {
      return InvalidArgument(Where(source, item) + ": " + path + " must be a mapping");
    }
    ASSIGN_OR_RETURN(json body, ToJson(item, source, false, path));
    auto name = body.find("name");
    if (name == body.end() || !name->is_string() || name->get<std::string>().empty()) {
      return InvalidArgument(Where(source, item) + ": " + path + " has no name");
    }
    if (!names.insert(name->get<std::string>()).second) {
      return InvalidArgument(Where(source, item) + ": " + path + " declares '" +
                             name->get<std::string>() + "' a second time");
    }
    out.push_back(std::move(body));
  }
  return Status::Ok();
}

}  // namespace

Result<FeatureSpec> ParseFeatureSpec(std::string_view yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (e.mark.line >= 0) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    return InvalidArgument(where + ": not valid YAML: " + e.msg);
  }
  if (!root || root.IsNull()) {
    return InvalidArgument(source + " is empty: declare 'entities' and/or 'feature_views'");
  }
  if (!root.IsMap()) {
    return InvalidArgument(source + " must be a mapping with 'entities' and/or 'feature_views'");
  }
  for (const auto& kv : root) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (key != "entities" && key != "feature_views") {
      return InvalidArgument(Where(source, kv.first) + ": unknown section '" + key +
                             "'; a spec has 'entities' and 'feature_views'");
    }
  }
  FeatureSpec spec;
  RETURN_IF_ERROR(ReadList(root, "entities", source, spec.entities));
  RETURN_IF_ERROR(ReadList(root, "feature_views", source, spec.feature_views));
  if (spec.entities.empty() && spec.feature_views.empty()) {
    return InvalidArgument(source + " declares no entities and no feature views");
  }
  return spec;
}

}  // namespace plinth::cli

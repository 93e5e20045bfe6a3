#include "features/definitions.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/json_util.h"
#include "common/names.h"
#include "features/value_text.h"

namespace plinth::features {

namespace {

constexpr size_t kMaxJoinKeys = 16;
constexpr size_t kMaxEntities = 16;
constexpr size_t kMaxFeatures = 1000;
constexpr size_t kMaxText = 5000;
constexpr size_t kMaxAllowedValues = 10000;

Status ValidateTags(const StringMap& tags, const std::string& where) {
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > 250) {
      return InvalidArgument(where + " tag keys must have 1 to 250 characters");
    }
    if (v.size() > kMaxText) {
      return InvalidArgument(where + " tag '" + k + "' is longer than 5000 characters");
    }
  }
  return Status::Ok();
}

Status ValidateRules(const Feature& f, const std::string& where) {
  const FeatureRules& r = f.rules;
  bool numeric = f.type == ValueType::kFloat || f.type == ValueType::kInt;
  if ((r.min || r.max) && !numeric) {
    return InvalidArgument(where + ".rules: min and max apply only to float and int features, not " +
                           ValueTypeName(f.type));
  }
  if (r.min && r.max && *r.min > *r.max) {
    return InvalidArgument(where + ".rules: min is greater than max");
  }
  if ((r.min && !std::isfinite(*r.min)) || (r.max && !std::isfinite(*r.max))) {
    return InvalidArgument(where + ".rules: min and max must be finite numbers");
  }
  if (r.allowed_values.size() > kMaxAllowedValues) {
    return InvalidArgument(where + ".rules.allowed_values has more than 10000 values");
  }
  for (const std::string& v : r.allowed_values) {
    bool ok = true;
    double d;
    int64_t i;
    bool b;
    switch (f.type) {
      case ValueType::kFloat:
        ok = ParseFloatText(v, &d);
        break;
      case ValueType::kInt:
        ok = ParseIntText(v, &i);
        break;
      case ValueType::kBool:
        ok = ParseBoolText(v, &b);
        break;
      case ValueType::kString:
        break;
    }
    if (!ok) {
      return InvalidArgument(where + ".rules.allowed_values: '" + v + "' is not a " +
                             ValueTypeName(f.type));
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateEntity(const Entity& entity) {
  RETURN_IF_ERROR(ValidateName("entity name", entity.name));
  if (entity.join_keys.empty() || entity.join_keys.size() > kMaxJoinKeys) {
    return InvalidArgument("entity '" + entity.name + "' must have 1 to 16 join keys");
  }
  std::set<std::string> seen;
  for (const JoinKey& key : entity.join_keys) {
    RETURN_IF_ERROR(ValidateName("join key name", key.name));
    if (key.name == kEventTimestampColumn) {
      return InvalidArgument("join key name 'event_timestamp' is reserved");
    }
    if (key.type != ValueType::kInt && key.type != ValueType::kString) {
      return InvalidArgument("join key '" + key.name + "' must have type int or string, not " +
                             ValueTypeName(key.type));
    }
    if (!seen.insert(key.name).second) {
      return InvalidArgument("join key '" + key.name + "' appears twice");
    }
  }
  if (entity.description.size() > kMaxText) {
    return InvalidArgument("entity description is longer than 5000 characters");
  }
  return ValidateTags(entity.tags, "entity");
}

Status ValidateFeatureView(const FeatureView& view) {
  RETURN_IF_ERROR(ValidateName("feature view name", view.name));
  if (view.entities.empty() || view.entities.size() > kMaxEntities) {
    return InvalidArgument("feature view '" + view.name + "' must name 1 to 16 entities");
  }
  std::set<std::string> seen;
  for (const std::string& e : view.entities) {
    RETURN_IF_ERROR(ValidateName("entity name", e));
    if (!seen.insert(e).second) return InvalidArgument("entity '" + e + "' is listed twice");
  }
  if (view.features.empty() || view.features.size() > kMaxFeatures) {
    return InvalidArgument("feature view '" + view.name + "' must have 1 to 1000 features");
  }
  seen.clear();
  for (size_t i = 0; i < view.features.size(); ++i) {
    const Feature& f = view.features[i];
    std::string where = "features[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(ValidateName(where + ".name", f.name));
    if (f.name == kEventTimestampColumn) {
      return InvalidArgument(where + ".name 'event_timestamp' is reserved");
    }
    if (!seen.insert(f.name).second) {
      return InvalidArgument("feature '" + f.name + "' appears twice");
    }
    RETURN_IF_ERROR(ValidateRules(f, where));
    if (f.description.size() > kMaxText) {
      return InvalidArgument(where + ".description is longer than 5000 characters");
    }
    RETURN_IF_ERROR(ValidateTags(f.tags, where));
  }
  if (view.ttl_seconds < 0) return InvalidArgument("ttl_seconds must not be negative");
  if (view.ttl_seconds > int64_t{100} * 365 * 86400) {
    return InvalidArgument("ttl_seconds is longer than 100 years; use 0 for no expiry");
  }
  if (view.owner.size() > 250) return InvalidArgument("owner is longer than 250 characters");
  if (view.description.size() > kMaxText) {
    return InvalidArgument("description is longer than 5000 characters");
  }
  return ValidateTags(view.tags, "feature view");
}

Result<std::vector<JoinKey>> ResolveJoinKeys(const FeatureView& view,
                                             const std::vector<Entity>& entities) {
  std::vector<JoinKey> keys;
  std::set<std::string> seen;
  for (const std::string& name : view.entities) {
    auto it = std::find_if(entities.begin(), entities.end(),
                           [&](const Entity& e) { return e.name == name; });
    if (it == entities.end()) {
      return NotFound("feature view '" + view.name + "' names entity '" + name +
                      "', which does not exist");
    }
    for (const JoinKey& key : it->join_keys) {
      if (!seen.insert(key.name).second) {
        return InvalidArgument("entities of feature view '" + view.name +
                               "' share the join key '" + key.name + "'");
      }
      if (view.FindFeature(key.name) != nullptr) {
        return InvalidArgument("feature '" + key.name + "' has the name of a join key");
      }
      keys.push_back(key);
    }
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Diffs

namespace {

std::string JoinKeysText(const std::vector<JoinKey>& keys) {
  std::string out;
  for (const JoinKey& k : keys) {
    if (!out.empty()) out += ",";
    out += k.name + ":" + ValueTypeName(k.type);
  }
  return out;
}

std::string ListText(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ",";
    out += s;
  }
  return out;
}

std::string TagsText(const StringMap& tags) { return Json(tags).dump(); }

std::string RulesText(const FeatureRules& r) {
  Json j = Json::object();
  if (r.not_null) j["not_null"] = true;
  if (r.min) j["min"] = *r.min;
  if (r.max) j["max"] = *r.max;
  if (!r.allowed_values.empty()) j["allowed_values"] = r.allowed_values;
  return j.dump();
}

void AddChange(std::vector<SchemaChange>& out, std::string field, std::string before,
               std::string after, bool breaking, bool metadata) {
  std::string kind = before.empty() ? "added" : (after.empty() ? "removed" : "changed");
  out.push_back({std::move(field), std::move(kind), std::move(before), std::move(after), breaking,
                 metadata});
}

}  // namespace

bool ViewDiff::breaking() const {
  return std::any_of(changes.begin(), changes.end(), [](const auto& c) { return c.breaking; });
}

bool ViewDiff::schema_changed() const {
  return std::any_of(changes.begin(), changes.end(), [](const auto& c) { return !c.metadata; });
}

ViewDiff DiffFeatureViews(const FeatureView& before, const FeatureView& after) {
  ViewDiff diff;
  auto& out = diff.changes;
  if (before.entities != after.entities) {
    AddChange(out, "entities", ListText(before.entities), ListText(after.entities), true, false);
  }
  if (before.join_keys != after.join_keys) {
    AddChange(out, "join_keys", JoinKeysText(before.join_keys), JoinKeysText(after.join_keys),
              true, false);
  }
  for (const Feature& old : before.features) {
    const Feature* now = after.FindFeature(old.name);
    std::string field = "features." + old.name;
    if (now == nullptr) {
      AddChange(out, field, ValueTypeName(old.type), "", true, false);
      continue;
    }
    if (now->type != old.type) {
      AddChange(out, field + ".type", ValueTypeName(old.type), ValueTypeName(now->type), true,
                false);
    }
    if (!(now->rules == old.rules)) {
      AddChange(out, field + ".rules", RulesText(old.rules), RulesText(now->rules), false, false);
    }
    if (now->description != old.description) {
      AddChange(out, field + ".description", old.description, now->description, false, true);
    }
    if (now->tags != old.tags) {
      AddChange(out, field + ".tags", TagsText(old.tags), TagsText(now->tags), false, true);
    }
  }
  for (const Feature& now : after.features) {
    if (before.FindFeature(now.name) == nullptr) {
      AddChange(out, "features." + now.name, "", ValueTypeName(now.type), false, false);
    }
  }
  // A reordering of the same features is a schema change (the column order of new segments), but
  // not a breaking one.
  std::vector<std::string> a, b;
  for (const Feature& f : before.features) a.push_back(f.name);
  for (const Feature& f : after.features) b.push_back(f.name);
  if (a != b) {
    std::vector<std::string> sa = a, sb = b;
    std::sort(sa.begin(), sa.end());
    std::sort(sb.begin(), sb.end());
    if (sa == sb) AddChange(out, "features.order", ListText(a), ListText(b), false, false);
  }
  if (before.ttl_seconds != after.ttl_seconds) {
    AddChange(out, "ttl_seconds", std::to_string(before.ttl_seconds),
              std::to_string(after.ttl_seconds), false, false);
  }
  if (before.owner != after.owner) {
    AddChange(out, "owner", before.owner, after.owner, false, true);
  }
  if (before.description != after.description) {
    AddChange(out, "description", before.description, after.description, false, true);
  }
  if (before.tags != after.tags) {
    AddChange(out, "tags", TagsText(before.tags), TagsText(after.tags), false, true);
  }
  return diff;
}

std::vector<SchemaChange> DiffEntities(const Entity& before, const Entity& after, bool in_use) {
  std::vector<SchemaChange> out;
  if (before.join_keys != after.join_keys) {
    AddChange(out, "join_keys", JoinKeysText(before.join_keys), JoinKeysText(after.join_keys),
              in_use, false);
  }
  if (before.description != after.description) {
    AddChange(out, "description", before.description, after.description, false, true);
  }
  if (before.tags != after.tags) {
    AddChange(out, "tags", TagsText(before.tags), TagsText(after.tags), false, true);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON

namespace {

Json JoinKeysJson(const std::vector<JoinKey>& keys) {
  Json arr = Json::array();
  for (const JoinKey& k : keys) arr.push_back({{"name", k.name}, {"type", ValueTypeName(k.type)}});
  return arr;
}

Status CheckKnownFields(const Json& obj, std::initializer_list<std::string_view> known,
                        const std::string& where) {
  for (const auto& [key, value] : obj.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return InvalidArgument(where + " has an unknown field '" + key + "'");
    }
  }
  return Status::Ok();
}

Result<std::vector<JoinKey>> JoinKeysFromJson(const Json& obj) {
  auto it = obj.find("join_keys");
  if (it == obj.end() || !it->is_array()) {
    return InvalidArgument("'join_keys' is required and must be an array");
  }
  std::vector<JoinKey> keys;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& k = (*it)[i];
    std::string where = "join_keys[" + std::to_string(i) + "]";
    if (k.is_string()) {
      keys.push_back({k.get<std::string>(), ValueType::kString});
      continue;
    }
    if (!k.is_object()) return InvalidArgument(where + " must be a name or an object");
    RETURN_IF_ERROR(CheckKnownFields(k, {"name", "type"}, where));
    JoinKey key;
    ASSIGN_OR_RETURN(key.name, RequireString(k, "name"));
    ASSIGN_OR_RETURN(auto type, OptionalString(k, "type"));
    if (type) {
      auto t = ParseValueType(*type);
      if (!t) return InvalidArgument(where + ".type '" + *type + "' is not int or string");
      key.type = *t;
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

Result<std::string> OptionalText(const Json& obj, std::string_view field) {
  ASSIGN_OR_RETURN(auto v, OptionalString(obj, field));
  return v.value_or("");
}

Result<std::string> AllowedValueText(const Json& v, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) {
    char buf[kMaxNumberText];
    return std::string(buf, FormatFloatText(v.get<double>(), buf));
  }
  return InvalidArgument(where + " must be a string, number or boolean");
}

Result<FeatureRules> RulesFromJson(const Json& j, const std::string& where) {
  FeatureRules rules;
  if (j.is_null()) return rules;
  if (!j.is_object()) return InvalidArgument(where + " must be an object");
  RETURN_IF_ERROR(CheckKnownFields(j, {"not_null", "min", "max", "allowed_values"}, where));
  if (auto it = j.find("not_null"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return InvalidArgument(where + ".not_null must be true or false");
    rules.not_null = it->get<bool>();
  }
  ASSIGN_OR_RETURN(rules.min, OptionalNumber(j, "min"));
  ASSIGN_OR_RETURN(rules.max, OptionalNumber(j, "max"));
  if (auto it = j.find("allowed_values"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return InvalidArgument(where + ".allowed_values must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      ASSIGN_OR_RETURN(std::string v, AllowedValueText((*it)[i], where + ".allowed_values[" +
                                                                     std::to_string(i) + "]"));
      rules.allowed_values.push_back(std::move(v));
    }
  }
  return rules;
}

Result<Json> ParseObject(std::string_view json) {
  Json parsed = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return InvalidArgument("the definition is not valid JSON");
  if (!parsed.is_object()) return InvalidArgument("the definition must be a JSON object");
  return parsed;
}

}  // namespace

std::string EntityToJson(const Entity& e) {
  Json j = {{"name", e.name},       {"join_keys", JoinKeysJson(e.join_keys)},
            {"description", e.description}, {"tags", e.tags},
            {"created_ms", e.created_ms},   {"updated_ms", e.updated_ms},
            {"created_by", e.created_by}};
  return j.dump();
}

Result<Entity> EntityFromJson(std::string_view json) {
  ASSIGN_OR_RETURN(Json j, ParseObject(json));
  RETURN_IF_ERROR(CheckKnownFields(
      j, {"name", "join_keys", "description", "tags", "created_ms", "updated_ms", "created_by"},
      "the entity"));
  Entity e;
  ASSIGN_OR_RETURN(e.name, RequireString(j, "name"));
  ASSIGN_OR_RETURN(e.join_keys, JoinKeysFromJson(j));
  ASSIGN_OR_RETURN(e.description, OptionalText(j, "description"));
  ASSIGN_OR_RETURN(e.tags, OptionalStringMap(j, "tags"));
  return e;
}

std::string FeatureViewToJson(const FeatureView& v) {
  Json features = Json::array();
  for (const Feature& f : v.features) {
    Json fj = {{"name", f.name}, {"type", ValueTypeName(f.type)}};
    if (!f.rules.empty()) fj["rules"] = Json::parse(RulesText(f.rules));
    if (!f.description.empty()) fj["description"] = f.description;
    if (!f.tags.empty()) fj["tags"] = f.tags;
    features.push_back(std::move(fj));
  }
  Json j = {{"name", v.name},
            {"version", v.version},
            {"entities", v.entities},
            {"join_keys", JoinKeysJson(v.join_keys)},
            {"features", std::move(features)},
            {"ttl_seconds", v.ttl_seconds},
            {"owner", v.owner},
            {"description", v.description},
            {"tags", v.tags},
            {"created_ms", v.created_ms},
            {"updated_ms", v.updated_ms},
            {"created_by", v.created_by}};
  return j.dump();
}

Result<FeatureView> FeatureViewFromJson(std::string_view json) {
  ASSIGN_OR_RETURN(Json j, ParseObject(json));
  RETURN_IF_ERROR(CheckKnownFields(
      j,
      {"name", "entities", "features", "ttl_seconds", "ttl", "owner", "description", "tags",
       "version", "join_keys", "created_ms", "updated_ms", "created_by"},
      "the feature view"));
  FeatureView v;
  ASSIGN_OR_RETURN(v.name, RequireString(j, "name"));
  auto ents = j.find("entities");
  if (ents == j.end() || !ents->is_array()) {
    return InvalidArgument("'entities' is required and must be an array of entity names");
  }
  for (const Json& e : *ents) {
    if (!e.is_string()) return InvalidArgument("'entities' must be an array of entity names");
    v.entities.push_back(e.get<std::string>());
  }
  auto feats = j.find("features");
  if (feats == j.end() || !feats->is_array()) {
    return InvalidArgument("'features' is required and must be an array");
  }
  for (size_t i = 0; i < feats->size(); ++i) {
    const Json& fj = (*feats)[i];
    std::string where = "features[" + std::to_string(i) + "]";
    if (!fj.is_object()) return InvalidArgument(where + " must be an object");
    RETURN_IF_ERROR(CheckKnownFields(fj, {"name", "type", "rules", "description", "tags"}, where));
    Feature f;
    auto name = RequireString(fj, "name");
    if (!name.ok()) return InvalidArgument(where + ".name is required and must be a string");
    f.name = *name;
    auto type = RequireString(fj, "type");
    if (!type.ok()) return InvalidArgument(where + ".type is required and must be a string");
    auto t = ParseValueType(*type);
    if (!t) {
      return InvalidArgument(where + ".type '" + *type +
                             "' is not one of float, int, string, bool");
    }
    f.type = *t;
    if (auto r = fj.find("rules"); r != fj.end()) {
      ASSIGN_OR_RETURN(f.rules, RulesFromJson(*r, where + ".rules"));
    }
    ASSIGN_OR_RETURN(f.description, OptionalText(fj, "description"));
    ASSIGN_OR_RETURN(f.tags, OptionalStringMap(fj, "tags"));
    v.features.push_back(std::move(f));
  }
  bool has_ttl_seconds = j.contains("ttl_seconds") && !j["ttl_seconds"].is_null();
  bool has_ttl = j.contains("ttl") && !j["ttl"].is_null();
  if (has_ttl_seconds && has_ttl) {
    return InvalidArgument("give either 'ttl_seconds' or 'ttl', not both");
  }
  if (has_ttl_seconds) {
    ASSIGN_OR_RETURN(auto ttl, OptionalInt(j, "ttl_seconds"));
    v.ttl_seconds = *ttl;
  } else if (has_ttl) {
    const Json& t = j["ttl"];
    if (t.is_number_integer()) {
      v.ttl_seconds = t.get<int64_t>();
    } else if (t.is_string()) {
      ASSIGN_OR_RETURN(v.ttl_seconds, ParseDurationSeconds(t.get<std::string>(), "ttl"));
    } else {
      return InvalidArgument("'ttl' must be a duration such as \"1d\" or a number of seconds");
    }
  }
  ASSIGN_OR_RETURN(v.owner, OptionalText(j, "owner"));
  ASSIGN_OR_RETURN(v.description, OptionalText(j, "description"));
  ASSIGN_OR_RETURN(v.tags, OptionalStringMap(j, "tags"));
  return v;
}

std::string SchemaChangesToJson(const std::vector<SchemaChange>& changes) {
  Json arr = Json::array();
  for (const SchemaChange& c : changes) {
    arr.push_back({{"field", c.field},
                   {"kind", c.kind},
                   {"before", c.before},
                   {"after", c.after},
                   {"breaking", c.breaking},
                   {"metadata", c.metadata}});
  }
  return arr.dump();
}

Result<int64_t> ParseDurationSeconds(std::string_view text, std::string_view field) {
  auto bad = [&] {
    return InvalidArgument("'" + std::string(field) + "' value '" + std::string(text) +
                           "' is not a duration such as 86400, 1d, 12h, 30m, 45s or 1w");
  };
  if (text.empty()) return bad();
  int64_t unit = 1;
  std::string_view digits = text;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    case 'w':
      unit = 7 * 86400;
      break;
    default:
      unit = 0;
  }
  if (unit != 0) {
    digits = text.substr(0, text.size() - 1);
  } else {
    unit = 1;
  }
  int64_t n = 0;
  if (!ParseIntText(digits, &n) || n < 0 || n > int64_t{1} << 40) return bad();
  return n * unit;
}

}  // namespace plinth::features

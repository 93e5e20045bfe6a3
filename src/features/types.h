#pragma once
// The feature store's definitions as plain values: entities, feature views, their features and
// validation rules, and references to features ("view:feature").
//
// An entity is a thing features describe (a driver, a zone); it has a name and one or more join
// keys, the columns that identify one instance in ingested batches and in training requests. A
// feature view is a named, versioned group of features about one or more entities, with a TTL: a
// value older than the TTL at the time a training row asks for it counts as missing.
//
// These are values with no behaviour; definitions.h validates and diffs them, feature_registry.h
// stores them. Copyable; no shared state.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plinth::features {

using StringMap = std::map<std::string, std::string>;

// The type of a feature value or a join key. Join keys are kInt or kString.
enum class ValueType { kFloat, kInt, kString, kBool };

// "float", "int", "string", "bool".
const char* ValueTypeName(ValueType type);
std::optional<ValueType> ParseValueType(std::string_view name);

// The name of the timestamp column in ingested batches and in entity rows.
inline constexpr std::string_view kEventTimestampColumn = "event_timestamp";

struct JoinKey {
  std::string name;
  ValueType type = ValueType::kString;

  bool operator==(const JoinKey&) const = default;
};

struct Entity {
  std::string name;
  std::vector<JoinKey> join_keys;
  std::string description;
  StringMap tags;

  // Set by the registry.
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string created_by;
};

// Checks an ingested value must pass; a batch with any failing row is rejected whole.
struct FeatureRules {
  bool not_null = false;
  std::optional<double> min;  // numeric features (float, int) only; inclusive
  std::optional<double> max;  // inclusive
  // When not empty, a non-null value must be one of these, written as the feature's text form
  // ("3", "0.5", "true", "gold"); compared as values of the feature's type.
  std::vector<std::string> allowed_values;

  bool empty() const { return !not_null && !min && !max && allowed_values.empty(); }
  bool operator==(const FeatureRules&) const = default;
};

struct Feature {
  std::string name;
  ValueType type = ValueType::kFloat;
  FeatureRules rules;
  std::string description;  // metadata: changing it makes no new version
  StringMap tags;           // metadata
};

struct FeatureView {
  std::string name;
  std::vector<std::string> entities;  // entity names, at least one
  std::vector<Feature> features;      // at least one
  int64_t ttl_seconds = 0;            // 0: values never expire
  std::string owner;                  // metadata
  std::string description;            // metadata
  StringMap tags;                     // metadata

  // Set by the registry when a version is made.
  int version = 0;
  // The join keys of `entities`, in order, resolved when this version was made: a version keeps
  // the keys its data was written with even if an entity is later changed.
  std::vector<JoinKey> join_keys;
  int64_t created_ms = 0;  // of this version
  int64_t updated_ms = 0;  // last change of this version's metadata
  std::string created_by;  // of this version

  // The feature named `name`, or nullptr.
  const Feature* FindFeature(std::string_view name) const;
};

// "view:feature".
struct FeatureRef {
  std::string view;
  std::string feature;

  std::string ToString() const { return view + ":" + feature; }
  bool operator==(const FeatureRef&) const = default;
};

// InvalidArgument unless `ref` is "view:feature" with two valid names.
Result<FeatureRef> ParseFeatureRef(std::string_view ref);

}  // namespace plinth::features

#pragma once
// A feature store spec file (YAML), as `plinth features apply` reads it: the entities and feature
// views a team declares in its repository, applied like `feast apply` (docs/feature-store.md,
// "Spec files").
//
//   entities:
//     - name: zone
//       join_keys: [{name: zone_id, type: int}]
//   feature_views:
//     - name: zone_demand
//       entities: [zone]
//       ttl: 2h
//       features:
//         - {name: bookings, type: int, rules: {not_null: true, min: 0}}
//
// Each entity and view becomes the JSON body of POST /api/v1/entities or /api/v1/feature-views;
// the server checks the fields themselves (unknown fields, types, rules), so this parser only
// checks the file's shape: a mapping with `entities` and/or `feature_views`, each a list of
// mappings with a `name`, no name declared twice. Plain scalars become JSON numbers, booleans
// and null as YAML 1.2's core schema reads them (`3`, `0.5`, `true`, `~`); quoted scalars stay
// strings; names, descriptions, owners, types, entity lists and tag values are always strings.
//
// Errors are InvalidArgument naming the source and line ("features.yaml:12: ..."). Pure;
// thread-safe.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plinth::cli {

struct FeatureSpec {
  std::vector<nlohmann::json> entities;       // bodies for POST /api/v1/entities
  std::vector<nlohmann::json> feature_views;  // bodies for POST /api/v1/feature-views
};

// `source` names the file in errors.
Result<FeatureSpec> ParseFeatureSpec(std::string_view yaml, const std::string& source);

}  // namespace plinth::cli

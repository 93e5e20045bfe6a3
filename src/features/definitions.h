#pragma once
// Rules about definitions: what makes an entity or a feature view valid, what changed between two
// versions of a view and whether that change is breaking, and the JSON form of both (what the API
// takes and returns, and what the registry stores).
//
// Breaking changes (docs/feature-store.md, "Versioning"): a change is breaking when data already
// written, or a training set already requested, would read differently or fail:
//   - a different list of entities or join keys (existing rows are keyed by the old keys);
//   - a removed feature (existing refs "view:feature" stop resolving);
//   - a feature whose type changed (existing values no longer have the declared type).
// Not breaking: an added feature (older rows read it as null), a changed TTL, changed validation
// rules (they apply to future ingests only). Any of these changes makes a new version. A change
// of only owner, description or tags (of the view or of a feature) is metadata: it updates the
// current version in place and makes no new version.
//
// Pure functions; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "features/types.h"

namespace plinth::features {

// OK if the entity is well formed: a valid name; 1 to 16 join keys with valid, distinct names, of
// type int or string, none named "event_timestamp". InvalidArgument names the field.
Status ValidateEntity(const Entity& entity);

// OK if the view is well formed on its own: a valid name, 1 to 16 distinct entities, 1 to 1000
// features with valid distinct names that differ from "event_timestamp", ttl_seconds >= 0, and
// rules that fit their feature's type (min/max only on numeric features, min <= max, allowed
// values that parse as the feature's type). Join keys are not checked here (see ResolveJoinKeys).
Status ValidateFeatureView(const FeatureView& view);

// The join keys of `view.entities` in order, looked up in `entities`. NotFound names an unknown
// entity; InvalidArgument if two entities share a join key name or a feature is named like a
// join key.
Result<std::vector<JoinKey>> ResolveJoinKeys(const FeatureView& view,
                                             const std::vector<Entity>& entities);

// One difference between two definitions.
struct SchemaChange {
  std::string field;   // "features.trips.type", "ttl_seconds", "entities", "owner", ...
  std::string kind;    // "added", "removed" or "changed"
  std::string before;  // the old value as text ("" when added)
  std::string after;   // the new value as text ("" when removed)
  bool breaking = false;
  bool metadata = false;  // owner, description, tags: no new version

  bool operator==(const SchemaChange&) const = default;
};

struct ViewDiff {
  std::vector<SchemaChange> changes;

  bool empty() const { return changes.empty(); }
  bool breaking() const;
  // True when a non-metadata change makes a new version.
  bool schema_changed() const;
};

// What changes from `before` to `after` (both already valid; join keys compared as resolved).
ViewDiff DiffFeatureViews(const FeatureView& before, const FeatureView& after);

// Changes of an entity. A changed join key list is breaking when `in_use` (a view refers to it).
std::vector<SchemaChange> DiffEntities(const Entity& before, const Entity& after, bool in_use);

// JSON. The *FromJson functions read what a client sends: unknown fields are InvalidArgument
// (so that a misspelt "ttl_second" is not silently dropped), registry-set fields (version,
// created_ms, ...) are ignored. Join keys may be given as names ("driver_id", type string) or as
// {"name": ..., "type": "int"|"string"}. ttl_seconds may also be given as "ttl": "1d" / "12h" /
// "30m" / "45s" or a number of seconds.
std::string EntityToJson(const Entity& entity);
Result<Entity> EntityFromJson(std::string_view json);
std::string FeatureViewToJson(const FeatureView& view);
Result<FeatureView> FeatureViewFromJson(std::string_view json);
std::string SchemaChangesToJson(const std::vector<SchemaChange>& changes);

// A duration such as "86400", "1d", "12h", "30m", "45s" or "1w" in seconds. InvalidArgument
// names `field`.
Result<int64_t> ParseDurationSeconds(std::string_view text, std::string_view field);

}  // namespace plinth::features

#pragma once
// FeatureRegistry: entities, versioned feature views and the record of ingests, kept in plinth's
// MetadataStore.
//
// Applying a definition works like `feast apply`: it creates what does not exist and updates what
// changed, and tells what it did. A feature view keeps every version: a schema change (entities,
// join keys, features, types, TTL, rules) makes version N+1; a change of only owner, description
// or tags updates the latest version in place. A breaking change (definitions.h) is refused with
// FailedPrecondition, whose details_json lists the changes, unless ApplyOptions::force is set.
// An entity has no versions; changing the join keys of an entity that a feature view uses is
// breaking in the same way, and the views keep the join keys of their own versions until they are
// applied again.
//
// Every change is one MetadataStore write that also appends its audit event (entity.create,
// entity.update, feature_view.create, feature_view.version, feature_view.update,
// feature_view.ingest), so the change and its event exist together. Durable on return.
// Thread-safe: concurrent applies of one name are serialized by the store's writer; the loser of a
// race to create sees the winner's version and is diffed against it.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/roles.h"
#include "common/paging.h"
#include "common/status.h"
#include "features/definitions.h"
#include "features/offline_store.h"
#include "features/types.h"
#include "storage/metadata_store.h"

namespace plinth::features {

struct ApplyOptions {
  bool force = false;    // accept breaking changes
  bool dry_run = false;  // compute and return the result, write nothing
};

enum class ApplyAction {
  kCreated,          // did not exist
  kNewVersion,       // a schema change made version N+1 (views only)
  kUpdated,          // metadata changed in place
  kUnchanged,
};
const char* ApplyActionName(ApplyAction action);  // "created", "new_version", "updated", "unchanged"

struct EntityApplyResult {
  Entity entity;  // as stored afterwards (or as it would be, for a dry run)
  ApplyAction action = ApplyAction::kUnchanged;
  std::vector<SchemaChange> changes;
};

struct ViewApplyResult {
  FeatureView view;
  ApplyAction action = ApplyAction::kUnchanged;
  ViewDiff diff;
};

class FeatureRegistry {
 public:
  // Creates the registry's tables if absent. `store` must outlive the registry.
  static Result<std::unique_ptr<FeatureRegistry>> Open(storage::MetadataStore& store);

  // InvalidArgument for an invalid entity; FailedPrecondition for a breaking change without force.
  Result<EntityApplyResult> ApplyEntity(const auth::Principal& actor, const Entity& entity,
                                        const ApplyOptions& options = {});
  Result<Entity> GetEntity(const std::string& name);  // NotFound
  Result<std::vector<Entity>> ListEntities(const PageRequest& page);  // by name; limit + 1 fetched

  // InvalidArgument for an invalid view; NotFound for an unknown entity; FailedPrecondition for a
  // breaking change without force. Registry-set fields of `view` are ignored.
  Result<ViewApplyResult> ApplyFeatureView(const auth::Principal& actor, const FeatureView& view,
                                           const ApplyOptions& options = {});
  // The latest version, or `version`. NotFound.
  Result<FeatureView> GetFeatureView(const std::string& name,
                                     std::optional<int> version = std::nullopt);
  // Latest versions, by name; limit + 1 fetched.
  Result<std::vector<FeatureView>> ListFeatureViews(const PageRequest& page);
  // Every version of one view, oldest first. NotFound.
  Result<std::vector<FeatureView>> ListFeatureViewVersions(const std::string& name);

  // Records an accepted ingest (with its stats) and audits it, in one write. Recording the same
  // id twice is a no-op (OK).
  Status RecordIngest(const IngestRecord& record);
  Result<bool> HasIngest(const std::string& id);
  // A view's ingests, newest first; limit + 1 fetched.
  Result<std::vector<IngestRecord>> ListIngests(const std::string& view, const PageRequest& page);

 // Counts the applied changes of entities and views in this process (starting at 0): a cache
  // of definitions (the online store's) is current while the generation it was filled at still
  // is. Lock-free.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  explicit FeatureRegistry(storage::MetadataStore& store) : store_(store) {}
  Status InitSchema();

  storage::MetadataStore& store_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace plinth::features

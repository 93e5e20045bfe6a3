#pragma once
// ModelRegistry: registered models, versions, approval and aliases.
//
// Rules it enforces: versions are numbered from 1 per model; a new version is
// PendingManualApproval; only a pending version can be approved or rejected, and not by the
// token that registered it; an alias may name only an Approved version, and every alias move is
// kept so that the version an alias named at any time can be answered. Every change appends its
// audit event in the same transaction. Thread-safe.

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/roles.h"
#include "common/paging.h"
#include "registry/types.h"
#include "storage/blob_store.h"
#include "storage/metadata_store.h"
#include "tracking/tracking_store.h"

namespace plinth::registry {

class ModelRegistry {
 public:
  ModelRegistry(storage::MetadataStore& store, storage::BlobStore& blobs,
                tracking::TrackingStore& tracking)
      : store_(store), blobs_(blobs), tracking_(tracking) {}

  Status InitSchema();

  Result<Model> CreateModel(const auth::Principal& actor, const std::string& name,
                            const std::string& description, const StringMap& tags);
  Result<Model> GetModel(const std::string& name);
  Result<std::vector<Model>> ListModels(const PageRequest& page);

  // Registers a version (creating the model if needed). NotFound for an unknown run, artifact or
  // upload; InvalidArgument for a malformed request.
  Result<ModelVersion> RegisterVersion(const auth::Principal& actor, const NewVersion& request);
  Result<ModelVersion> GetVersion(const std::string& model, int64_t version);
  Result<std::vector<ModelVersion>> ListVersions(const std::string& model, const PageRequest& page);
  // Every version (of any model) registered from run `run_id`, by model and version.
  Result<std::vector<ModelVersion>> VersionsFromRun(const std::string& run_id);
  // The model file, checked against its SHA-256.
  Result<std::string> ReadVersionArtifact(const std::string& model, int64_t version);

  // Conflict unless pending; PermissionDenied for the registering token.
  Result<ModelVersion> Decide(const auth::Principal& actor, const std::string& model,
                              int64_t version, bool approve, const std::string& comment);

  // FailedPrecondition unless the version is Approved.
  Result<AliasMove> SetAlias(const auth::Principal& actor, const std::string& model,
                             const std::string& alias, int64_t version);
  // The alias now, or at `at_ms`; NotFound if it named nothing then.
  Result<AliasMove> GetAlias(const std::string& model, const std::string& alias,
                             std::optional<int64_t> at_ms);
  Result<std::vector<AliasMove>> AliasHistory(const std::string& model, const std::string& alias,
                                              const PageRequest& page);

  // Called after every committed alias move (serving follows aliases through this). Listeners
  // run on the thread that moved the alias and must not call back into SetAlias.
  using AliasListener = std::function<void(const AliasMove&)>;
  void AddAliasListener(AliasListener listener);

  // Checks a model file against its flavor at registration (serving's runtimes provide it).
  // Flavors the check does not know are stored as opaque artifacts. Set once at start-up.
  using ArtifactCheck = std::function<Status(std::string_view flavor, std::string_view bytes)>;
  void SetArtifactCheck(ArtifactCheck check) { artifact_check_ = std::move(check); }

 private:
  storage::MetadataStore& store_;
  storage::BlobStore& blobs_;
  tracking::TrackingStore& tracking_;
  ArtifactCheck artifact_check_;
  std::mutex listeners_mu_;
  std::vector<AliasListener> alias_listeners_;  // guarded by listeners_mu_
};

}  // namespace plinth::registry

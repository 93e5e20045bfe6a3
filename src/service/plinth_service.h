#pragma once
// The one in-process API of plinth: every subsystem, wired over the storage backends that main
// chose. Front ends (HTTP today) hold a reference to this and nothing else.

#include <memory>

#include "auth/audit_log.h"
#include "auth/token_store.h"
#include "features/dataset_store.h"
#include "features/feature_store.h"
#include "monitoring/monitoring.h"
#include "registry/model_registry.h"
#include "service/online_feature_lookup.h"
#include "serving/batch_jobs.h"
#include "serving/endpoint_manager.h"
#include "serving/rollout_controller.h"
#include "storage/blob_store.h"
#include "storage/kv_store.h"
#include "storage/metadata_store.h"
#include "tracking/tracking_store.h"

namespace plinth::service {

// Where the subsystems that keep their own files put them.
struct ServiceOptions {
  std::string features_dir;  // the feature store's offline store; required
  // The feature store's online store; optional (no online features without it). Must outlive
  // the service.
  storage::KvStore* online_kv = nullptr;
};

class PlinthService {
 public:
  // Builds the subsystems, creates their tables and loads the persisted endpoints. The stores
  // must outlive the service.
  static Result<std::unique_ptr<PlinthService>> Open(storage::MetadataStore& metadata,
                                                     storage::BlobStore& blobs,
                                                     const ServiceOptions& options);

  auth::TokenStore& tokens() { return tokens_; }
  auth::AuditLog& audit() { return audit_; }
  tracking::TrackingStore& tracking() { return tracking_; }
  registry::ModelRegistry& registry() { return registry_; }
  serving::EndpointManager& endpoints() { return endpoints_; }
  serving::BatchJobs& batch_jobs() { return *batch_jobs_; }
  serving::RolloutController& rollouts() { return *rollouts_; }
  features::FeatureStore& features() { return *features_; }
  features::DatasetStore& datasets() { return datasets_; }
  // Online features for endpoints that declare them.
  serving::FeatureLookup& feature_lookup() { return *feature_lookup_; }
  storage::BlobStore& blobs() { return blobs_; }
  monitoring::Monitoring& monitoring() { return *monitoring_; }

  // Content-addressed upload for direct model registration; audited as upload.create.
  Result<storage::BlobInfo> Upload(const auth::Principal& actor, std::string_view bytes);

 private:
  PlinthService(storage::MetadataStore& metadata, storage::BlobStore& blobs);

  storage::MetadataStore& metadata_;
  storage::BlobStore& blobs_;
  auth::AuditLog audit_;
  auth::TokenStore tokens_;
  tracking::TrackingStore tracking_;
  registry::ModelRegistry registry_;
  serving::EndpointManager endpoints_;
  std::unique_ptr<serving::BatchJobs> batch_jobs_;  // stopped before endpoints_ goes
  std::unique_ptr<features::FeatureStore> features_;
  features::DatasetStore datasets_;
  std::unique_ptr<OnlineFeatureLookup> feature_lookup_;
  // Last: their threads stop before anything they use goes away.
  std::unique_ptr<monitoring::Monitoring> monitoring_;
  std::unique_ptr<serving::RolloutController> rollouts_;
};

}  // namespace plinth::service

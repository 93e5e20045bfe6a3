#include "service/plinth_service.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "serving/runtime_factory.h"

namespace plinth::service {

PlinthService::PlinthService(storage::MetadataStore& metadata, storage::BlobStore& blobs)
    : metadata_(metadata),
      blobs_(blobs),
      audit_(metadata),
      tokens_(metadata),
      tracking_(metadata, blobs),
      registry_(metadata, blobs, tracking_),
      endpoints_(metadata, registry_),
      datasets_(metadata, blobs) {}

namespace {
// Flavors serving can load are checked at registration; any other flavor is stored as an
// opaque artifact (it can be registered and tracked, not deployed).
Status CheckServableArtifact(std::string_view flavor, std::string_view bytes) {
  const auto& servable = serving::SupportedFlavors();
  if (std::find(servable.begin(), servable.end(), flavor) == servable.end()) return Status::Ok();
  return serving::ValidateModelArtifact(flavor, bytes);
}
}  // namespace

Result<std::unique_ptr<PlinthService>> PlinthService::Open(storage::MetadataStore& metadata,
                                                           storage::BlobStore& blobs,
                                                           const ServiceOptions& options) {
  std::unique_ptr<PlinthService> service(new PlinthService(metadata, blobs));
  RETURN_IF_ERROR(service->audit_.InitSchema());
  RETURN_IF_ERROR(service->tokens_.InitSchema());
  RETURN_IF_ERROR(service->tracking_.InitSchema());
  RETURN_IF_ERROR(service->registry_.InitSchema());
  RETURN_IF_ERROR(service->endpoints_.InitSchema());
  service->registry_.SetArtifactCheck(CheckServableArtifact);
  PlinthService* raw = service.get();
  service->registry_.AddAliasListener(
      [raw](const registry::AliasMove& move) { raw->endpoints_.OnAliasMoved(move); });
  RETURN_IF_ERROR(service->endpoints_.LoadAll());
  service->batch_jobs_ = std::make_unique<serving::BatchJobs>(metadata, blobs, service->endpoints_);
  RETURN_IF_ERROR(service->batch_jobs_->Open());
  service->rollouts_ = std::make_unique<serving::RolloutController>(metadata, service->endpoints_);
  RETURN_IF_ERROR(service->rollouts_->InitSchema());
  RETURN_IF_ERROR(service->rollouts_->Recover());
  service->rollouts_->StartThread();

  features::FeatureStoreOptions feature_options;
  feature_options.metadata = &metadata;
  feature_options.offline_dir = options.features_dir;
  feature_options.online_kv = options.online_kv;
  ASSIGN_OR_RETURN(service->features_, features::FeatureStore::Open(feature_options));
  RETURN_IF_ERROR(service->datasets_.InitSchema());
  service->feature_lookup_ = std::make_unique<OnlineFeatureLookup>(*service->features_);

  monitoring::EndpointLookup lookup;
  lookup.exists = [raw](const std::string& name) { return raw->endpoints_.Get(name).status(); };
  lookup.primary = [raw](const std::string& name)
      -> Result<std::pair<std::string, int64_t>> {
    ASSIGN_OR_RETURN(auto live, raw->endpoints_.Get(name));
    if (live->variants.empty() || !live->variants[0].model) {
      return FailedPrecondition("endpoint '" + name + "' serves no model version");
    }
    return std::pair<std::string, int64_t>(live->variants[0].model->model,
                                           live->variants[0].model->version);
  };
  ASSIGN_OR_RETURN(service->monitoring_,
                   monitoring::Monitoring::Open(metadata, blobs, service->endpoints_.captures(),
                                                service->registry_, std::move(lookup)));
  service->monitoring_->Start();
  return service;
}

Result<storage::BlobInfo> PlinthService::Upload(const auth::Principal& actor,
                                                std::string_view bytes) {
  if (bytes.empty()) return InvalidArgument("the upload is empty");
  ASSIGN_OR_RETURN(storage::BlobInfo info, blobs_.Put(bytes));
  RETURN_IF_ERROR(metadata_.Write([&](storage::SqlTx& tx) {
    return auth::AuditLog::Append(tx, actor.name, "upload.create", "uploads/" + info.sha256,
                                  nlohmann::json{{"size", info.size}}.dump());
  }));
  return info;
}

}  // namespace plinth::service

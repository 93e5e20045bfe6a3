#pragma once
// serving::FeatureLookup over the feature store's online store: how an endpoint that declares
// features gets them on the request path (one OnlineStore::Read per request, no SQL).
// Thread-safe; borrows the feature store.

#include "features/feature_store.h"
#include "serving/feature_lookup.h"

namespace plinth::service {

class OnlineFeatureLookup final : public serving::FeatureLookup {
 public:
  explicit OnlineFeatureLookup(features::FeatureStore& store) : store_(store) {}

  // FailedPrecondition when the server has no online store.
  Status Lookup(const std::vector<std::string>& refs, const std::string& entity_key,
                const std::vector<std::optional<std::string>>& keys,
                std::vector<float>* values) override;
  // Against the registry's latest view versions (what the online store reads).
  Status Check(const serving::EndpointFeatures& features) override;

 private:
  features::FeatureStore& store_;
};

}  // namespace plinth::service

#pragma once
// Online features for serving: an endpoint may declare feature refs ("view:feature") and an entity
// key; a predict request then names entities in `instances` and the server fills in the declared
// features from the feature store's online store before it predicts.
//
// FeatureLookup is the one thing serving needs from the feature store, as an interface, so that
// serving does not link the feature store: the service implements it over the online store
// (service/online_feature_lookup.h). Implementations are thread-safe and called on the request
// path.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plinth::serving {

// What an endpoint declares (`"features": {"refs": [...], "entity_key": "zone_id"}`).
struct EndpointFeatures {
  std::vector<std::string> refs;  // "view:feature"; the model sees each as `feature`
  std::string entity_key;         // the join key every instance carries
  bool include_entity_key = false;  // also pass the entity key to the model as a feature

  bool operator==(const EndpointFeatures&) const = default;
};

// Refs are "view:feature" with names that are not empty and distinct feature names; the entity
// key is not empty. InvalidArgument names the problem.
Status ValidateEndpointFeatures(const EndpointFeatures& features);

class FeatureLookup {
 public:
  virtual ~FeatureLookup() = default;

  // For entity key values `keys` (an int key's decimal text or a string key's bytes; nullopt for
  // none), writes the value of refs[i] for key r to (*values)[r * refs.size() + i] as a float
  // (bools as 0/1), NaN when the entity is unknown, the value is null or older than the view's
  // TTL, or the feature is a string. NotFound for an unknown view or feature; InvalidArgument for
  // a key that is not of the join key's type.
  virtual Status Lookup(const std::vector<std::string>& refs, const std::string& entity_key,
                        const std::vector<std::optional<std::string>>& keys,
                        std::vector<float>* values) = 0;

  // Whether an endpoint may declare `features` (checked when it is created or updated, so that a
  // bad declaration fails then and not at predict time): NotFound for an unknown view or feature;
  // InvalidArgument for a view whose join keys are not exactly the entity key. Each names it.
  virtual Status Check(const EndpointFeatures& features) = 0;
};

}  // namespace plinth::serving

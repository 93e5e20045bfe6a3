#include "service/online_feature_lookup.h"

#include <cmath>

#include "common/clock.h"

namespace plinth::service {

Status OnlineFeatureLookup::Lookup(const std::vector<std::string>& refs,
                                   const std::string& entity_key,
                                   const std::vector<std::optional<std::string>>& keys,
                                   std::vector<float>* values) {
  features::OnlineStore* online = store_.online();
  if (online == nullptr) return FailedPrecondition("this server has no online store");
  thread_local features::OnlineResult result;
  thread_local features::OnlineEntities entities;
  thread_local std::vector<std::string_view> ref_views;
  ref_views.assign(refs.begin(), refs.end());
  entities.names.assign(1, entity_key);
  entities.columns.resize(1);
  entities.columns[0].clear();
  for (const auto& key : keys) {
    entities.columns[0].push_back(key ? std::optional<std::string_view>(*key) : std::nullopt);
  }
  entities.rows = keys.size();
  RETURN_IF_ERROR(online->Read(ref_views, entities, NowMs(), &result));
  values->assign(keys.size() * refs.size(), std::nanf(""));
  for (size_t r = 0; r < keys.size(); ++r) {
    for (size_t f = 0; f < refs.size(); ++f) {
      if (result.Cell(f, r).status != features::FeatureStatus::kPresent) continue;
      if (result.features[f].type == features::ValueType::kString) continue;
      (*values)[r * refs.size() + f] = static_cast<float>(result.Float(f, r));
    }
  }
  return Status::Ok();
}

Status OnlineFeatureLookup::Check(const serving::EndpointFeatures& features) {
  for (const std::string& ref : features.refs) {
    const size_t colon = ref.find(':');  // refs passed ValidateEndpointFeatures
    const std::string view_name = ref.substr(0, colon), feature = ref.substr(colon + 1);
    ASSIGN_OR_RETURN(features::FeatureView view, store_.registry().GetFeatureView(view_name));
    bool found = false;
    for (const features::Feature& f : view.features) found |= f.name == feature;
    if (!found) {
      return NotFound("features.refs: feature view '" + view_name + "' has no feature '" +
                      feature + "'");
    }
    if (view.join_keys.size() != 1 || view.join_keys[0].name != features.entity_key) {
      std::string keys;
      for (const features::JoinKey& k : view.join_keys) keys += (keys.empty() ? "'" : ", '") + k.name + "'";
      return InvalidArgument("features.refs: feature view '" + view_name + "' is keyed by " + keys +
                             ", not by features.entity_key '" + features.entity_key + "'");
    }
  }
  return Status::Ok();
}

}  // namespace plinth::service

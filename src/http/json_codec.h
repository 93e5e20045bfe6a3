#pragma once
// The JSON shapes of docs/api.md for the service's objects. Include from .cc files only.

#include <nlohmann/json.hpp>

#include "auth/audit_log.h"
#include "auth/token_store.h"
#include "features/dataset_store.h"
#include "features/definitions.h"
#include "features/offline_store.h"
#include "registry/types.h"
#include "tracking/types.h"

namespace plinth::http {

nlohmann::json ToJson(const auth::TokenInfo& t);
nlohmann::json ToJson(const auth::AuditEvent& e);
nlohmann::json ToJson(const tracking::Experiment& e);
nlohmann::json ToJson(const tracking::Run& r);
nlohmann::json ToJson(const tracking::ArtifactInfo& a);
nlohmann::json ToJson(const tracking::MetricPoint& p);
nlohmann::json ToJson(const registry::Model& m);
nlohmann::json ToJson(const registry::ModelVersion& v);
nlohmann::json ToJson(const registry::AliasMove& a);
nlohmann::json ToJson(const tracking::RunInput& i);
nlohmann::json ToJson(const features::Entity& e);
nlohmann::json ToJson(const features::FeatureView& v);
nlohmann::json ToJson(const features::IngestRecord& r);
nlohmann::json ToJson(const features::Dataset& d);

}  // namespace plinth::http

#include "http/json_codec.h"

namespace plinth::http {

using nlohmann::json;

namespace {
template <typename T>
json OrNull(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
}  // namespace

json ToJson(const auth::TokenInfo& t) {
  return {{"id", t.id}, {"name", t.name}, {"role", auth::RoleName(t.role)},
          {"created_ms", t.created_ms}, {"revoked", t.revoked}};
}

json ToJson(const auth::AuditEvent& e) {
  json details = json::parse(e.details_json, nullptr, false);
  if (details.is_discarded()) details = e.details_json;
  return {{"seq", e.seq},         {"time_ms", e.time_ms},     {"actor", e.actor},
          {"action", e.action},   {"resource", e.resource},   {"details", details},
          {"prev_hash", e.prev_hash}, {"hash", e.hash}};
}

json ToJson(const tracking::Experiment& e) {
  return {{"id", e.id}, {"name", e.name}, {"tags", e.tags}, {"created_ms", e.created_ms},
          {"created_by", e.created_by}};
}

json ToJson(const tracking::Run& r) {
  json metrics = json::object();
  for (const auto& [key, m] : r.metrics) {
    metrics[key] = {{"value", m.value}, {"step", m.step}, {"timestamp", m.timestamp}};
  }
  return {{"id", r.id},
          {"experiment_id", r.experiment_id},
          {"name", r.name},
          {"status", tracking::RunStatusName(r.status)},
          {"start_ms", r.start_ms},
          {"end_ms", OrNull(r.end_ms)},
          {"created_by", r.created_by},
          {"data_version", OrNull(r.data_version)},
          {"tags", r.tags},
          {"params", r.params},
          {"metrics", metrics}};
}

json ToJson(const tracking::ArtifactInfo& a) {
  return {{"path", a.path}, {"sha256", a.sha256}, {"size", a.size}};
}

json ToJson(const tracking::MetricPoint& p) {
  return {{"value", p.value}, {"step", p.step}, {"timestamp", p.timestamp}};
}

json ToJson(const registry::Model& m) {
  return {{"name", m.name},
          {"description", m.description},
          {"tags", m.tags},
          {"created_ms", m.created_ms},
          {"created_by", m.created_by},
          {"latest_version", OrNull(m.latest_version)},
          {"aliases", m.aliases}};
}

json ToJson(const registry::ModelVersion& v) {
  json inputs = json::array();
  for (const auto& f : v.signature) inputs.push_back({{"name", f.name}, {"type", f.type}});
  json lineage = {{"run_id", OrNull(v.lineage.run_id)},
                  {"experiment_id", OrNull(v.lineage.experiment_id)},
                  {"artifact_path", OrNull(v.lineage.artifact_path)},
                  {"run_params", v.lineage.run_id ? json(v.lineage.run_params) : json(nullptr)},
                  {"artifact_sha256", v.artifact_sha256},
                  {"data_version", OrNull(v.data_version)}};
  return {{"model", v.model},
          {"version", v.version},
          {"status", registry::ApprovalStatusName(v.status)},
          {"flavor", v.flavor},
          {"description", v.description},
          {"artifact_sha256", v.artifact_sha256},
          {"artifact_size", v.artifact_size},
          {"metrics", v.metrics},
          {"params", v.params},
          {"data_version", OrNull(v.data_version)},
          {"signature", {{"inputs", inputs}}},
          {"created_by", v.created_by},
          {"created_ms", v.created_ms},
          {"decided_by", OrNull(v.decided_by)},
          {"decided_ms", OrNull(v.decided_ms)},
          {"decision_comment", OrNull(v.decision_comment)},
          {"lineage", lineage}};
}

json ToJson(const registry::AliasMove& a) {
  return {{"model", a.model}, {"alias", a.alias}, {"version", a.version}, {"set_ms", a.set_ms},
          {"set_by", a.set_by}};
}

json ToJson(const tracking::RunInput& i) {
  return {{"kind", i.kind},     {"name", i.name},           {"version", i.version},
          {"digest", i.digest}, {"created_by", i.created_by}, {"created_ms", i.created_ms}};
}

json ToJson(const features::Entity& e) { return json::parse(features::EntityToJson(e)); }

json ToJson(const features::FeatureView& v) { return json::parse(features::FeatureViewToJson(v)); }

json ToJson(const features::IngestRecord& r) {
  json stats = json::parse(r.stats_json, nullptr, false);
  if (stats.is_discarded()) stats = nullptr;
  return {{"id", r.id},
          {"view", r.view},
          {"view_version", r.view_version},
          {"rows", r.rows},
          {"created_by", r.actor},
          {"created_ms", r.created_ms},
          {"stats", stats}};
}

json ToJson(const features::Dataset& d) {
  json views = json::array();
  for (const auto& v : d.feature_views) views.push_back({{"name", v.name}, {"version", v.version}});
  return {{"name", d.name},
          {"version", d.version},
          {"sha256", d.sha256},
          {"size", d.size},
          {"rows", d.rows},
          {"columns", d.columns},
          {"feature_refs", d.feature_refs},
          {"feature_views", views},
          {"description", d.description},
          {"created_by", d.created_by},
          {"created_ms", d.created_ms}};
}

}  // namespace plinth::http

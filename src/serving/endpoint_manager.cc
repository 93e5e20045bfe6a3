#include "serving/endpoint_manager.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "auth/audit_log.h"
#include "common/clock.h"
#include "serving/endpoint_spec_json.h"

namespace plinth::serving {

using storage::SqlRow;
using storage::SqlTx;

EndpointManager::EndpointManager(storage::MetadataStore& store, registry::ModelRegistry& registry)
    : store_(store), registry_(registry), cache_(registry), capture_(store),
      table_(std::make_shared<const Table>()) {}

Status EndpointManager::InitSchema() {
  RETURN_IF_ERROR(capture_.InitSchema());
  return store_.Write([](SqlTx& tx) {
    return tx.Exec(
        "CREATE TABLE IF NOT EXISTS endpoints (name TEXT PRIMARY KEY, spec TEXT NOT NULL,"
        " created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, created_by TEXT NOT NULL)");
  });
}

Result<LiveVariant> EndpointManager::ResolveRef(const ModelRef& ref, const std::string& name,
                                                double weight) {
  int64_t version = 0;
  if (ref.alias) {
    ASSIGN_OR_RETURN(registry::AliasMove move, registry_.GetAlias(ref.model, *ref.alias, std::nullopt));
    version = move.version;  // aliases name only Approved versions
  } else {
    version = *ref.version;
    ASSIGN_OR_RETURN(registry::ModelVersion v, registry_.GetVersion(ref.model, version));
    if (v.status != registry::ApprovalStatus::kApproved) {
      return FailedPrecondition("only Approved versions can be deployed; version " +
                                std::to_string(version) + " of model '" + ref.model + "' is " +
                                registry::ApprovalStatusName(v.status));
    }
  }
  ASSIGN_OR_RETURN(auto model, cache_.Get(ref.model, version));
  LiveVariant variant;
  variant.name = name;
  variant.ref = ref;
  variant.weight = weight;
  variant.model = std::move(model);
  return variant;
}

Result<std::shared_ptr<LiveEndpoint>> EndpointManager::Resolve(const EndpointSpec& spec,
                                                              const LiveEndpoint* previous,
                                                              bool keep_unloadable) {
  auto live = std::make_shared<LiveEndpoint>();
  live->spec = spec;
  live->mirror = &mirror_;
  std::vector<double> weights;
  for (const auto& v : spec.variants) {
    Result<LiveVariant> resolved = ResolveRef(v.ref, v.name, v.weight);
    bool fallback_covers = spec.fallback && (spec.fallback->constant ||
                                             (spec.fallback->variant && *spec.fallback->variant != v.name));
    if (!resolved.ok() && keep_unloadable && fallback_covers) {
      spdlog::error("endpoint '{}': variant '{}' cannot be loaded, its fallback answers: {}",
                    spec.name, v.name, resolved.status().message());
      LiveVariant unloaded;
      unloaded.name = v.name;
      unloaded.ref = v.ref;
      unloaded.weight = v.weight;
      unloaded.load_error = resolved.status().message();
      resolved = std::move(unloaded);
    }
    if (!resolved.ok()) return resolved.status();
    LiveVariant variant = std::move(resolved).value();
    variant.metrics = metrics_.For(spec.name, v.name);
    if (spec.batching && variant.model) {
      std::shared_ptr<const LoadedModel> model = variant.model;
      std::shared_ptr<VariantMetrics> metrics = variant.metrics;
      const size_t width = model->runtime->input_signature().num_features;
      variant.batcher = std::make_shared<DynamicBatcher>(
          BatchingOptions{static_cast<size_t>(spec.batching->max_batch_size),
                          spec.batching->max_queue_delay_us},
          width, model->runtime->outputs_per_row(),
          [model, width](const float* rows, size_t n, float* out) {
            return model->runtime->Predict(rows, n, width, out);
          },
          [metrics](size_t rows) { metrics->dynamic_batch_rows.Observe(static_cast<double>(rows)); });
    }
    live->variants.push_back(std::move(variant));
    weights.push_back(v.weight);
  }
  live->split = TrafficSplit(weights);
  if (spec.cache) {
    live->cache = std::make_shared<PredictionCache>(CacheOptions{
        spec.cache->ttl_seconds, static_cast<size_t>(spec.cache->max_entries)});
  }
  if (spec.shadow) {
    ASSIGN_OR_RETURN(LiveVariant shadow, ResolveRef(*spec.shadow, "shadow", 0));
    bool same = previous && previous->shadow && previous->shadow_stats &&
                previous->shadow->ref == shadow.ref &&
                previous->shadow->model == shadow.model &&
                previous->spec.shadow_tolerance == spec.shadow_tolerance;
    live->shadow_stats = same ? previous->shadow_stats
                              : std::make_shared<ShadowStats>(spec.shadow_tolerance);
    live->shadow = std::move(shadow);
  }
  return live;
}

void EndpointManager::Publish(const std::string& name,
                              std::shared_ptr<const LiveEndpoint> endpoint) {
  auto next = std::make_shared<Table>(*table_.load());
  if (endpoint) {
    (*next)[name] = std::move(endpoint);
  } else {
    next->erase(name);
  }
  table_.store(std::move(next));
}

Status EndpointManager::LoadAll() {
  struct Row {
    std::string name, spec, created_by;
    int64_t created_ms, updated_ms;
  };
  std::vector<Row> rows;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query("SELECT name, spec, created_ms, updated_ms, created_by FROM endpoints", {},
                    [&](const SqlRow& r) {
                      rows.push_back({r.String(0), r.String(1), r.String(4), r.Int(2), r.Int(3)});
                    });
  }));
  std::lock_guard lock(control_mu_);
  for (const Row& row : rows) {
    auto spec = EndpointSpecFromJson(nlohmann::json::parse(row.spec, nullptr, false), row.name);
    Result<std::shared_ptr<LiveEndpoint>> live =
        spec.ok() ? Resolve(*spec, nullptr, true) : Result<std::shared_ptr<LiveEndpoint>>(spec.status());
    std::shared_ptr<LiveEndpoint> endpoint;
    if (live.ok()) {
      endpoint = std::move(live).value();
    } else {
      spdlog::error("endpoint '{}' cannot be served: {}", row.name, live.status().message());
      endpoint = std::make_shared<LiveEndpoint>();
      if (spec.ok()) endpoint->spec = *spec;
      endpoint->spec.name = row.name;
      endpoint->error = live.status().message();
    }
    endpoint->created_ms = row.created_ms;
    endpoint->updated_ms = row.updated_ms;
    endpoint->created_by = row.created_by;
    Publish(row.name, std::move(endpoint));
  }
  return Status::Ok();
}

Result<std::shared_ptr<const LiveEndpoint>> EndpointManager::Create(const auth::Principal& actor,
                                                                    const EndpointSpec& spec) {
  RETURN_IF_ERROR(ValidateEndpointSpec(spec));
  std::lock_guard lock(control_mu_);
  if (table_.load()->count(spec.name)) {
    return AlreadyExists("an endpoint named '" + spec.name + "' already exists");
  }
  ASSIGN_OR_RETURN(auto live, Resolve(spec, nullptr));
  live->created_ms = live->updated_ms = NowMs();
  live->created_by = actor.name;
  std::string spec_json = EndpointSpecToJson(spec).dump();
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO endpoints (name, spec, created_ms, updated_ms, created_by)"
        " VALUES (?, ?, ?, ?, ?)",
        {std::string_view(spec.name), std::string_view(spec_json), live->created_ms,
         live->updated_ms, std::string_view(actor.name)}));
    return auth::AuditLog::Append(tx, actor.name, "endpoint.create", "endpoints/" + spec.name,
                                  spec_json);
  }));
  Publish(spec.name, live);
  return std::shared_ptr<const LiveEndpoint>(live);
}

Result<std::shared_ptr<const LiveEndpoint>> EndpointManager::Update(const auth::Principal& actor,
                                                                    const EndpointSpec& spec) {
  RETURN_IF_ERROR(ValidateEndpointSpec(spec));
  std::lock_guard lock(control_mu_);
  auto table = table_.load();
  auto it = table->find(spec.name);
  if (it == table->end()) return NotFound("endpoint '" + spec.name + "' does not exist");
  RETURN_IF_ERROR(CheckNotHeld(spec.name));
  ASSIGN_OR_RETURN(auto live, Resolve(spec, it->second.get()));
  live->created_ms = it->second->created_ms;
  live->created_by = it->second->created_by;
  live->updated_ms = NowMs();
  std::string spec_json = EndpointSpecToJson(spec).dump();
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec("UPDATE endpoints SET spec = ?, updated_ms = ? WHERE name = ?",
                            {std::string_view(spec_json), live->updated_ms,
                             std::string_view(spec.name)}));
    return auth::AuditLog::Append(tx, actor.name, "endpoint.update", "endpoints/" + spec.name,
                                  spec_json);
  }));
  Publish(spec.name, live);
  return std::shared_ptr<const LiveEndpoint>(live);
}

Status EndpointManager::Delete(const auth::Principal& actor, const std::string& name) {
  std::lock_guard lock(control_mu_);
  if (!table_.load()->count(name)) return NotFound("endpoint '" + name + "' does not exist");
  RETURN_IF_ERROR(CheckNotHeld(name));
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec("DELETE FROM endpoints WHERE name = ?", {std::string_view(name)}));
    return auth::AuditLog::Append(tx, actor.name, "endpoint.delete", "endpoints/" + name, "{}");
  }));
  Publish(name, nullptr);
  return Status::Ok();
}

Status EndpointManager::CheckNotHeld(const std::string& name) const {
  auto hold = holds_.find(name);
  if (hold == holds_.end()) return Status::Ok();
  return Conflict("endpoint '" + name + "' is held by " + hold->second.holder +
                  "; abort it or wait for it to finish");
}

std::string EndpointManager::HolderOf(const std::string& name) {
  std::lock_guard lock(control_mu_);
  auto hold = holds_.find(name);
  return hold == holds_.end() ? "" : hold->second.holder;
}

Result<std::shared_ptr<const LiveEndpoint>> EndpointManager::ApplyHeld(
    const auth::Principal& actor, const HeldChange& change) {
  const std::string& name = change.spec.name;
  RETURN_IF_ERROR(ValidateEndpointSpec(change.spec));
  std::lock_guard lock(control_mu_);
  auto table = table_.load();
  auto it = table->find(name);
  if (it == table->end()) return NotFound("endpoint '" + name + "' does not exist");
  auto hold = holds_.find(name);
  if (change.hold == Hold::kAcquire) {
    RETURN_IF_ERROR(CheckNotHeld(name));
    if (change.if_current && change.if_current != it->second) {
      return Conflict("endpoint '" + name + "' changed meanwhile; try again");
    }
    if (!it->second->error.empty()) {
      return FailedPrecondition("endpoint '" + name + "' is not serving: " + it->second->error);
    }
  } else if (hold == holds_.end() || hold->second.holder != change.holder) {
    return Conflict("endpoint '" + name + "' is not held by " + change.holder);
  }
  ASSIGN_OR_RETURN(auto live, Resolve(change.spec, it->second.get()));
  live->created_ms = it->second->created_ms;
  live->created_by = it->second->created_by;
  live->updated_ms = NowMs();
  std::string spec_json = EndpointSpecToJson(change.spec).dump();
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    if (change.persist) {
      RETURN_IF_ERROR(tx.Exec("UPDATE endpoints SET spec = ?, updated_ms = ? WHERE name = ?",
                              {std::string_view(spec_json), live->updated_ms,
                               std::string_view(name)}));
      RETURN_IF_ERROR(auth::AuditLog::Append(tx, actor.name, "endpoint.update",
                                             "endpoints/" + name, spec_json));
    }
    return change.in_tx ? change.in_tx(tx, *live) : Status::Ok();
  }));
  if (change.hold == Hold::kAcquire) holds_[name] = HoldRecord{change.holder, it->second};
  if (change.hold == Hold::kRelease) holds_.erase(name);
  Publish(name, live);
  return std::shared_ptr<const LiveEndpoint>(live);
}

Status EndpointManager::RestoreHeld(const std::string& holder, const std::string& name,
                                    const HeldTx& in_tx) {
  std::lock_guard lock(control_mu_);
  auto hold = holds_.find(name);
  if (hold == holds_.end() || hold->second.holder != holder) {
    return Conflict("endpoint '" + name + "' is not held by " + holder);
  }
  std::shared_ptr<const LiveEndpoint> before = hold->second.before;
  auto table = table_.load();
  auto it = table->find(name);
  const LiveEndpoint* current = it == table->end() ? nullptr : it->second.get();
  std::shared_ptr<const LiveEndpoint> restored = before;
  auto live = Resolve(before->spec, current);
  if (live.ok()) {
    (*live)->created_ms = before->created_ms;
    (*live)->created_by = before->created_by;
    (*live)->updated_ms = NowMs();
    restored = std::move(live).value();
  } else {
    spdlog::error("endpoint '{}' is restored to its table entry from before {}: {}", name, holder,
                  live.status().message());
  }
  Status st = store_.Write([&](SqlTx& tx) { return in_tx ? in_tx(tx, *restored) : Status::Ok(); });
  holds_.erase(hold);
  Publish(name, restored);
  return st;
}

Result<std::shared_ptr<const LiveEndpoint>> EndpointManager::Get(const std::string& name) const {
  auto table = table_.load();
  auto it = table->find(name);
  if (it == table->end()) return NotFound("endpoint '" + name + "' does not exist");
  return it->second;
}

std::vector<std::shared_ptr<const LiveEndpoint>> EndpointManager::List() const {
  std::vector<std::shared_ptr<const LiveEndpoint>> out;
  auto table = table_.load();  // keep the table alive while iterating it
  for (const auto& [name, endpoint] : *table) out.push_back(endpoint);
  return out;
}

void EndpointManager::OnAliasMoved(const registry::AliasMove& move) {
  auto follows = [&](const ModelRef& ref) {
    return ref.alias && ref.model == move.model && *ref.alias == move.alias;
  };
  std::lock_guard lock(control_mu_);
  // Publish replaces table_ while this loop runs: iterate a snapshot that this scope keeps alive.
  auto table = table_.load();
  for (const auto& [name, endpoint] : *table) {
    bool affected = endpoint->spec.shadow && follows(*endpoint->spec.shadow);
    for (const auto& v : endpoint->spec.variants) affected |= follows(v.ref);
    if (!affected) continue;
    auto live = Resolve(endpoint->spec, endpoint.get());
    if (!live.ok()) {
      // Keep serving the previous version rather than dropping traffic.
      spdlog::error("endpoint '{}' keeps its previous version: alias {}@{} -> v{} failed: {}",
                    name, move.model, move.alias, move.version, live.status().message());
      continue;
    }
    (*live)->created_ms = endpoint->created_ms;
    (*live)->created_by = endpoint->created_by;
    (*live)->updated_ms = NowMs();
    spdlog::info("endpoint '{}' follows {}@{} to version {}", name, move.model, move.alias,
                 move.version);
    Publish(name, std::move(live).value());
  }
}

}  // namespace plinth::serving

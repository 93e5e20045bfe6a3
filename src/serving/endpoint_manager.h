#pragma once
// EndpointManager: the endpoints a server serves, kept as an immutable routing table that is
// swapped whole on every change (hot swap).
//
// A change (create, update, delete, or an alias an endpoint follows moving) resolves every
// reference to a version, loads the models through the ModelCache, and only then publishes a new
// table; requests in flight keep the table they started with, so a change never fails or drops
// them. Only Approved versions can be deployed. Every change is persisted and audited in one
// transaction. Changes are serialized by one control mutex; the request path takes no lock
// (an atomic shared_ptr load). Thread-safe.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/roles.h"
#include "registry/model_registry.h"
#include "serving/endpoint_spec.h"
#include "serving/capture_log.h"
#include "serving/dynamic_batcher.h"
#include "serving/prediction_cache.h"
#include "serving/model_cache.h"
#include "serving/serving_metrics.h"
#include "serving/shadow_mirror.h"
#include "serving/traffic_split.h"
#include "storage/metadata_store.h"

namespace plinth::serving {

struct LiveVariant {
  std::string name;
  ModelRef ref;
  double weight = 0;
  std::shared_ptr<const LoadedModel> model;  // resolved version, loaded
  std::shared_ptr<VariantMetrics> metrics;   // shared by every table this variant appears in
  // Set when the endpoint batches requests (spec.batching); one per variant and table.
  std::shared_ptr<DynamicBatcher> batcher;
  // Null `model`: the variant could not be loaded at start-up and the endpoint's fallback
  // answers for it; this says why.
  std::string load_error;
};

// One endpoint as it is served now. Immutable once published.
struct LiveEndpoint {
  EndpointSpec spec;
  std::vector<LiveVariant> variants;  // same order as spec.variants
  std::optional<LiveVariant> shadow;
  std::shared_ptr<ShadowStats> shadow_stats;  // kept across changes that keep the same shadow
  ShadowMirror* mirror = nullptr;             // the manager's; outlives every LiveEndpoint
  TrafficSplit split{std::vector<double>{1.0}};
  // Set when spec.cache is; emptied by every change, since a change publishes a new table.
  std::shared_ptr<PredictionCache> cache;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string created_by;
  // Set when the endpoint could not be loaded at start-up; it then serves nothing (503).
  std::string error;
};

class EndpointManager {
 public:
  EndpointManager(storage::MetadataStore& store, registry::ModelRegistry& registry);

  Status InitSchema();
  // Loads every persisted endpoint (at start-up). An endpoint that fails to load is kept with
  // its error, so that it can be inspected and fixed with an update.
  Status LoadAll();

  // AlreadyExists for a taken name; FailedPrecondition for a version that is not Approved;
  // NotFound for an unknown model, version or alias.
  Result<std::shared_ptr<const LiveEndpoint>> Create(const auth::Principal& actor,
                                                     const EndpointSpec& spec);
  // Replaces the endpoint's variants, weights and shadow. NotFound if it does not exist.
  Result<std::shared_ptr<const LiveEndpoint>> Update(const auth::Principal& actor,
                                                     const EndpointSpec& spec);
  Status Delete(const auth::Principal& actor, const std::string& name);

  // The request path: no lock, no allocation beyond the shared_ptr copy.
  Result<std::shared_ptr<const LiveEndpoint>> Get(const std::string& name) const;
  std::vector<std::shared_ptr<const LiveEndpoint>> List() const;

  const ServingMetrics& metrics() const { return metrics_; }
  CaptureLog& captures() { return capture_; }

  // Re-resolves the endpoints that follow (model, alias). Wired to the registry's listener.
  void OnAliasMoved(const registry::AliasMove& move);

  // Held changes: a rollout (rollout_controller.h) drives an endpoint through a sequence of
  // specs. While an endpoint is held, Update and Delete are Conflict. A held change publishes
  // its spec through the same hot swap as Update; only `persist` writes it to the endpoints
  // table (audited as endpoint.update), so after a restart the endpoint serves what was last
  // persisted. `in_tx` runs in the same transaction, after the spec resolved, with the endpoint
  // that is about to be published.
  using HeldTx = std::function<Status(storage::SqlTx&, const LiveEndpoint&)>;
  enum class Hold { kAcquire, kKeep, kRelease };
  struct HeldChange {
    std::string holder;  // who holds the endpoint, e.g. "rollout <id>"
    EndpointSpec spec;   // what the endpoint serves after the change (spec.name: the endpoint)
    Hold hold = Hold::kKeep;
    bool persist = false;
    HeldTx in_tx;
    // kAcquire only: the table entry the holder based `spec` on; if the endpoint changed since,
    // the change is Conflict (retry).
    std::shared_ptr<const LiveEndpoint> if_current;
  };
  // kAcquire: NotFound for an unknown endpoint, Conflict if it is held or is no longer
  // `if_current`, FailedPrecondition if it is not serving. kKeep/kRelease: Conflict unless `holder` holds it. Resolution errors as
  // Create. On any error nothing is published and the hold is unchanged.
  Result<std::shared_ptr<const LiveEndpoint>> ApplyHeld(const auth::Principal& actor,
                                                        const HeldChange& change);
  // Releases `holder`'s hold and serves the endpoint as it was when the hold was acquired: its
  // spec then, re-resolved (aliases may have moved), or the very table entry of then if that
  // fails. It is restored even when the transaction (`in_tx`, nothing is persisted besides)
  // fails; that error is returned. Conflict unless `holder` holds the endpoint.
  Status RestoreHeld(const std::string& holder, const std::string& name, const HeldTx& in_tx);
  // Who holds the endpoint, or "" when no one does.
  std::string HolderOf(const std::string& name);

 private:
  using Table = std::map<std::string, std::shared_ptr<const LiveEndpoint>>;

  // `previous` (may be null) lends its shadow statistics when the shadow did not change. With
  // `keep_unloadable` (start-up) a variant that cannot be loaded is kept unloaded when the
  // endpoint has a fallback that does not depend on it.
  Result<std::shared_ptr<LiveEndpoint>> Resolve(const EndpointSpec& spec,
                                                const LiveEndpoint* previous,
                                                bool keep_unloadable = false);
  Result<LiveVariant> ResolveRef(const ModelRef& ref, const std::string& name, double weight);
  // OK unless the endpoint is held (Conflict). Needs control_mu_.
  Status CheckNotHeld(const std::string& name) const;
  // Publishes `table` with `name` set to `endpoint` (or erased when null). Needs control_mu_.
  void Publish(const std::string& name, std::shared_ptr<const LiveEndpoint> endpoint);

  storage::MetadataStore& store_;
  registry::ModelRegistry& registry_;
  ModelCache cache_;
  ServingMetrics metrics_;
  CaptureLog capture_;
  ShadowMirror mirror_;
  struct HoldRecord {
    std::string holder;
    std::shared_ptr<const LiveEndpoint> before;  // the endpoint when the hold was acquired
  };

  std::mutex control_mu_;                         // serializes changes
  std::map<std::string, HoldRecord> holds_;       // guarded by control_mu_
  std::atomic<std::shared_ptr<const Table>> table_;  // replaced whole, under control_mu_
};

}  // namespace plinth::serving

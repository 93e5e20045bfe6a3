#pragma once
// RolloutController: runs progressive canary rollouts of endpoints (docs/rollouts.md).
//
// Start() adds the canary to the endpoint at the first step's share and holds the endpoint (no
// update or delete until the rollout ends). A background thread then judges each running
// rollout every `tick`: the guards (rollout_guards.h) over the current step's window. A failing
// guard rolls the endpoint back at once; guards that hold once the step has lasted step_seconds
// move it to the next step, and at the last (100%) step promote it: the primary variant then
// points at the canary's version, alone, and that spec is persisted. Rollback and abort restore
// the endpoint as it was before the rollout. Every change of an endpoint goes through
// EndpointManager's hot swap, so requests in flight never fail because of it.
//
// Every change of a rollout is persisted in the `rollouts` table and audited (rollout.start,
// rollout.step, rollout.promote, rollout.rollback, rollout.abort) in the same transaction as
// the endpoint's change. Steps are not persisted as endpoint specs, so a server that stops
// during a rollout starts again serving the endpoint's spec from before it; Recover() then
// marks such rollouts rolled_back (reason "restart"). Thread-safe.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/roles.h"
#include "common/paging.h"
#include "serving/endpoint_manager.h"
#include "serving/rollout.h"
#include "serving/rollout_window.h"
#include "storage/metadata_store.h"

namespace plinth::serving {

class RolloutController {
 public:
  struct Options {
    std::chrono::milliseconds tick{50};  // how often running rollouts are judged
  };

  RolloutController(storage::MetadataStore& store, EndpointManager& endpoints, Options options);
  RolloutController(storage::MetadataStore& store, EndpointManager& endpoints)
      : RolloutController(store, endpoints, Options()) {}
  ~RolloutController();  // stops the thread; running rollouts stay running in the store

  Status InitSchema();
  // Rolls back (in the store) every rollout a previous server left running. Call after the
  // endpoints loaded and before Start().
  Status Recover();
  // Starts the background thread.
  void StartThread();

  // NotFound: unknown endpoint, model, version or alias; Conflict: a rollout already runs on the
  // endpoint, or it has a variant named "canary"; FailedPrecondition: a version not Approved or
  // an endpoint not serving; InvalidArgument: an unknown primary variant.
  Result<nlohmann::json> Start(const auth::Principal& actor, const std::string& endpoint,
                               const RolloutRequest& request);
  // Conflict unless the rollout is running.
  Result<nlohmann::json> Abort(const auth::Principal& actor, const std::string& endpoint,
                               const std::string& id);

  // A rollout as JSON (RolloutToJson); a running one carries its current window. NotFound for
  // an id that is not a rollout of `endpoint`.
  Result<nlohmann::json> Get(const std::string& endpoint, const std::string& id);
  // The endpoint's rollouts, newest first; up to page.limit + 1 (see NextPageToken).
  Result<std::vector<nlohmann::json>> List(const std::string& endpoint, const PageRequest& page);

  // Prometheus text: plinth_rollout_step_percent{endpoint} for every served endpoint (0 when no
  // rollout runs).
  std::string RenderMetrics() const;

 private:
  struct Active;

  void Run();
  // Judges one running rollout; may end it. Needs mu_.
  void Judge(Active& active);
  // Moves to the next step, or promotes after the last. Needs mu_.
  void Advance(Active& active, const RolloutStep& passed);
  // Rolls back or aborts: the endpoint is restored (even when persisting fails, the error
  // returned) and the rollout, as it ended, leaves active_ for `ended`. Needs mu_.
  Status End(Active& active, RolloutState state, RolloutReason reason, const std::string& actor,
             const std::string& outcome, Rollout* ended);
  // The current step's window and the guards' verdict on it. Needs mu_.
  RolloutStep CurrentStep(const Active& active, GuardVerdict* verdict) const;
  // Opens the current step's window: snapshots of the canary's and the primary's counters.
  // Needs mu_.
  void OpenWindow(Active& active);
  // Writes the rollout's row and one audit event in `tx`.
  static Status Persist(storage::SqlTx& tx, const Rollout& rollout, const std::string& actor,
                        const std::string& action, const nlohmann::json& details);

  storage::MetadataStore& store_;
  EndpointManager& endpoints_;
  const Options options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::map<std::string, std::unique_ptr<Active>> active_;  // by endpoint; guarded by mu_
  bool stopping_ = false;                                  // guarded by mu_
  std::thread thread_;
};

}  // namespace plinth::serving

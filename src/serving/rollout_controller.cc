#include "serving/rollout_controller.h"

#include <spdlog/spdlog.h>

#include "auth/audit_log.h"
#include "common/clock.h"
#include "common/ids.h"

namespace plinth::serving {

using nlohmann::json;
using storage::SqlRow;
using storage::SqlTx;

namespace {

// Automatic decisions (steps, promotion, rollback) are audited under this actor.
const auth::Principal& System() {
  static const auth::Principal system = [] {
    auth::Principal p;
    p.name = "system";
    p.role = auth::Role::kAdmin;
    return p;
  }();
  return system;
}

}  // namespace

struct RolloutController::Active {
  Rollout rollout;
  std::string holder;  // "rollout <id>"
  // The variants' counters: the same objects in every table the variants appear in.
  std::shared_ptr<VariantMetrics> canary, primary;
  VariantSnapshot canary_start, primary_start;  // when the current step's window opened
  VariantSnapshot primary_rollout_start;        // when the rollout started
  std::chrono::steady_clock::time_point step_started;
};

RolloutController::RolloutController(storage::MetadataStore& store, EndpointManager& endpoints,
                                     Options options)
    : store_(store), endpoints_(endpoints), options_(options) {}

RolloutController::~RolloutController() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status RolloutController::InitSchema() {
  return store_.Write([](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec(
        "CREATE TABLE IF NOT EXISTS rollouts (id TEXT PRIMARY KEY, endpoint TEXT NOT NULL,"
        " state TEXT NOT NULL, created_ms INTEGER NOT NULL, doc TEXT NOT NULL)"));
    return tx.Exec(
        "CREATE INDEX IF NOT EXISTS rollouts_by_endpoint ON rollouts (endpoint, created_ms)");
  });
}

Status RolloutController::Persist(SqlTx& tx, const Rollout& r, const std::string& actor,
                                  const std::string& action, const json& details) {
  std::string doc = RolloutToJson(r).dump();
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO rollouts (id, endpoint, state, created_ms, doc) VALUES (?, ?, ?, ?, ?)"
      " ON CONFLICT(id) DO UPDATE SET state = excluded.state, doc = excluded.doc",
      {std::string_view(r.id), std::string_view(r.endpoint),
       std::string_view(RolloutStateName(r.state)), r.created_ms, std::string_view(doc)}));
  json event = details;
  event["rollout"] = r.id;
  event["state"] = RolloutStateName(r.state);
  return auth::AuditLog::Append(tx, actor, action, "endpoints/" + r.endpoint + "/rollouts/" + r.id,
                                event.dump());
}

Status RolloutController::Recover() {
  std::vector<std::string> docs;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query("SELECT doc FROM rollouts WHERE state = 'running'", {},
                    [&](const SqlRow& row) { docs.push_back(row.String(0)); });
  }));
  for (const std::string& doc : docs) {
    ASSIGN_OR_RETURN(Rollout r, RolloutFromJson(json::parse(doc, nullptr, false)));
    int64_t now = NowMs();
    if (!r.history.empty()) {
      r.history.back().outcome = "interrupted";
      r.history.back().ended_ms = now;
    }
    r.state = RolloutState::kRolledBack;
    r.reason = RolloutReason{"restart", std::nullopt, std::nullopt,
                             "the server stopped during the rollout; the endpoint serves its "
                             "spec from before the rollout"};
    r.updated_ms = r.finished_ms = now;
    RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
      return Persist(tx, r, System().name, "rollout.rollback",
                     {{"reason", "restart"}, {"percent", r.history.empty() ? 0.0 : r.history.back().percent}});
    }));
    spdlog::warn("rollout {} of endpoint '{}' was running when the server stopped: rolled back",
                 r.id, r.endpoint);
  }
  return Status::Ok();
}

void RolloutController::StartThread() {
  std::lock_guard lock(mu_);
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

void RolloutController::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.tick);
    if (stopping_) break;
    std::vector<std::string> names;
    for (const auto& [name, active] : active_) names.push_back(name);
    for (const std::string& name : names) {
      auto it = active_.find(name);
      if (it != active_.end()) Judge(*it->second);
    }
  }
}

void RolloutController::OpenWindow(Active& active) {
  active.canary_start = TakeSnapshot(*active.canary);
  active.primary_start = TakeSnapshot(*active.primary);
  active.step_started = std::chrono::steady_clock::now();
}

RolloutStep RolloutController::CurrentStep(const Active& active, GuardVerdict* verdict) const {
  RolloutStep step = active.rollout.history.back();
  const auto& bounds = active.canary->latency_seconds.upper_bounds();
  VariantSnapshot canary = TakeSnapshot(*active.canary);
  VariantSnapshot primary = TakeSnapshot(*active.primary);
  step.canary = Between(active.canary_start, canary, bounds);
  step.primary = Between(active.primary_start, primary, bounds);
  WindowStats primary_rollout = Between(active.primary_rollout_start, primary, bounds);
  *verdict = EvaluateGuards(active.rollout.request.guards, step.canary, step.primary,
                            primary_rollout);
  step.message = verdict->message;
  return step;
}

Result<json> RolloutController::Start(const auth::Principal& actor, const std::string& endpoint,
                                      const RolloutRequest& request) {
  std::lock_guard lock(mu_);
  auto running = active_.find(endpoint);
  if (running != active_.end()) {
    return Conflict("rollout " + running->second->rollout.id + " is already running on endpoint '" +
                    endpoint + "'; abort it or wait for it to finish");
  }
  ASSIGN_OR_RETURN(auto live, endpoints_.Get(endpoint));
  auto active = std::make_unique<Active>();
  Rollout& r = active->rollout;
  r.id = NewId();
  r.endpoint = endpoint;
  r.request = request;
  r.original = live->spec;
  r.primary_variant =
      request.primary_variant.empty() && !live->spec.variants.empty() ? live->spec.variants[0].name
                                                                       : request.primary_variant;
  bool has_primary = false;
  for (const auto& v : live->spec.variants) {
    if (v.name == kCanaryVariant) {
      return Conflict("endpoint '" + endpoint + "' already has a variant named 'canary'");
    }
    has_primary |= v.name == r.primary_variant;
  }
  if (!has_primary) {
    return InvalidArgument("endpoint '" + endpoint + "' has no variant named '" +
                           r.primary_variant + "'");
  }
  r.created_ms = r.updated_ms = NowMs();
  r.created_by = actor.name;
  r.history.push_back(RolloutStep{request.steps[0], r.created_ms, 0, "running", "", {}, {}});
  active->holder = "rollout " + r.id;

  EndpointManager::HeldChange change;
  change.holder = active->holder;
  change.spec = CanarySpec(live->spec, request.canary, request.steps[0]);
  change.hold = EndpointManager::Hold::kAcquire;
  change.if_current = live;
  change.in_tx = [&](SqlTx& tx, const LiveEndpoint& next) -> Status {
    for (const auto& v : next.variants) {
      if (v.name == kCanaryVariant) r.canary_version = v.model->version;
    }
    json details = {{"model", request.canary.model},
                    {"version", r.canary_version},
                    {"percent", request.steps[0]},
                    {"steps", request.steps},
                    {"step_seconds", request.step_seconds}};
    return Persist(tx, r, actor.name, "rollout.start", details);
  };
  ASSIGN_OR_RETURN(auto next, endpoints_.ApplyHeld(actor, change));
  for (const auto& v : next->variants) {
    if (v.name == kCanaryVariant) active->canary = v.metrics;
    if (v.name == r.primary_variant) active->primary = v.metrics;
  }
  if (!active->canary || !active->primary) {  // Resolve always sets them; never leave a hold
    Status restored = endpoints_.RestoreHeld(active->holder, endpoint, nullptr);
    (void)restored;
    return Internal("endpoint '" + endpoint + "' serves the canary without counters");
  }
  OpenWindow(*active);
  active->primary_rollout_start = active->primary_start;
  spdlog::info("rollout {} of endpoint '{}': canary {} v{} at {}%", r.id, endpoint,
               request.canary.model, r.canary_version, request.steps[0]);
  GuardVerdict verdict;
  Rollout shown = r;
  shown.history.back() = CurrentStep(*active, &verdict);
  active_[endpoint] = std::move(active);
  wake_.notify_all();
  return RolloutToJson(shown);
}

void RolloutController::Judge(Active& active) {
  GuardVerdict verdict;
  RolloutStep step = CurrentStep(active, &verdict);
  if (verdict.kind == GuardVerdict::Kind::kFailed) {
    Rollout ended;
    Status st = End(active, RolloutState::kRolledBack,
                    RolloutReason{verdict.guard, verdict.value, verdict.limit, verdict.message},
                    System().name, "failed", &ended);
    if (!st.ok()) spdlog::error("rollout {}: the rollback was not persisted: {}", ended.id, st.message());
    return;
  }
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - active.step_started);
  if (verdict.kind == GuardVerdict::Kind::kHeld &&
      elapsed.count() >= active.rollout.request.step_seconds) {
    Advance(active, step);
  }
}

void RolloutController::Advance(Active& active, const RolloutStep& passed) {
  int64_t now = NowMs();
  Rollout next = active.rollout;
  next.history.back() = passed;
  next.history.back().ended_ms = now;
  next.history.back().outcome = "passed";
  next.updated_ms = now;
  const RolloutRequest& request = next.request;
  bool last = next.step_index + 1 >= request.steps.size();
  EndpointManager::HeldChange change;
  change.holder = active.holder;
  std::string action;
  json details = {{"passed_percent", passed.percent},
                  {"canary_requests", passed.canary.requests},
                  {"canary_error_rate", passed.canary.error_rate},
                  {"canary_p99_ms", passed.canary.p99_ms},
                  {"canary_mean_prediction", passed.canary.mean_prediction},
                  {"primary_mean_prediction", passed.primary.mean_prediction}};
  if (last) {
    next.state = RolloutState::kPromoted;
    next.finished_ms = now;
    change.spec = PromotedSpec(next.original, next.primary_variant, request.canary);
    change.hold = EndpointManager::Hold::kRelease;
    change.persist = true;
    action = "rollout.promote";
    details["version"] = next.canary_version;
  } else {
    next.step_index += 1;
    double percent = request.steps[next.step_index];
    next.history.push_back(RolloutStep{percent, now, 0, "running", "", {}, {}});
    change.spec = CanarySpec(next.original, request.canary, percent);
    action = "rollout.step";
    details["percent"] = percent;
  }
  change.in_tx = [&](SqlTx& tx, const LiveEndpoint&) {
    return Persist(tx, next, System().name, action, details);
  };
  auto applied = endpoints_.ApplyHeld(System(), change);
  if (!applied.ok()) {
    Rollout ended;
    Status st = End(active, RolloutState::kRolledBack,
                    RolloutReason{"error", std::nullopt, std::nullopt,
                                  "the next step could not be applied: " + applied.status().message()},
                    System().name, "failed", &ended);
    if (!st.ok()) spdlog::error("rollout {}: the rollback was not persisted: {}", ended.id, st.message());
    return;
  }
  spdlog::info("rollout {} of endpoint '{}': {}", next.id, next.endpoint,
               last ? "promoted" : "canary at " + std::to_string(next.percent()) + "%");
  active.rollout = std::move(next);
  if (last) {
    active_.erase(active.rollout.endpoint);  // destroys `active`
    return;
  }
  OpenWindow(active);
}

Status RolloutController::End(Active& active, RolloutState state, RolloutReason reason,
                              const std::string& actor, const std::string& outcome,
                              Rollout* ended) {
  int64_t now = NowMs();
  GuardVerdict verdict;
  RolloutStep step = CurrentStep(active, &verdict);
  Rollout next = active.rollout;
  if (outcome != "failed") step.message = reason.message;
  step.ended_ms = now;
  step.outcome = outcome;
  next.history.back() = step;
  next.state = state;
  next.reason = std::move(reason);
  next.updated_ms = next.finished_ms = now;
  std::string action = state == RolloutState::kAborted ? "rollout.abort" : "rollout.rollback";
  json details = {{"percent", step.percent}, {"guard", next.reason->guard},
                  {"message", next.reason->message}};
  if (next.reason->value) details["value"] = *next.reason->value;
  if (next.reason->limit) details["limit"] = *next.reason->limit;
  Status st = endpoints_.RestoreHeld(active.holder, next.endpoint, [&](SqlTx& tx, const LiveEndpoint&) {
    return Persist(tx, next, actor, action, details);
  });
  spdlog::warn("rollout {} of endpoint '{}' {}: {}", next.id, next.endpoint,
               RolloutStateName(state), next.reason->message);
  *ended = next;
  active_.erase(next.endpoint);  // destroys `active`
  return st;
}

Result<json> RolloutController::Abort(const auth::Principal& actor, const std::string& endpoint,
                                      const std::string& id) {
  {
    std::lock_guard lock(mu_);
    auto it = active_.find(endpoint);
    if (it != active_.end() && it->second->rollout.id == id) {
      Rollout ended;
      RETURN_IF_ERROR(End(*it->second, RolloutState::kAborted,
                          RolloutReason{"abort", std::nullopt, std::nullopt, "aborted by " + actor.name},
                          actor.name, "aborted", &ended));
      return RolloutToJson(ended);
    }
  }
  ASSIGN_OR_RETURN(json stored, Get(endpoint, id));
  return Conflict("rollout " + id + " is " + stored["state"].get<std::string>() +
                  "; only a running rollout can be aborted");
}

Result<json> RolloutController::Get(const std::string& endpoint, const std::string& id) {
  {
    std::lock_guard lock(mu_);
    auto it = active_.find(endpoint);
    if (it != active_.end() && it->second->rollout.id == id) {
      GuardVerdict verdict;
      Rollout shown = it->second->rollout;
      shown.history.back() = CurrentStep(*it->second, &verdict);
      return RolloutToJson(shown);
    }
  }
  std::string doc;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query("SELECT doc FROM rollouts WHERE id = ? AND endpoint = ?",
                    {std::string_view(id), std::string_view(endpoint)},
                    [&](const SqlRow& row) { doc = row.String(0); });
  }));
  if (doc.empty()) {
    return NotFound("endpoint '" + endpoint + "' has no rollout '" + id.substr(0, 64) + "'");
  }
  json j = json::parse(doc, nullptr, false);
  if (j.is_discarded()) return Internal("rollout " + id + " is stored damaged");
  return j;
}

Result<std::vector<json>> RolloutController::List(const std::string& endpoint,
                                                  const PageRequest& page) {
  std::vector<std::string> docs;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(
        "SELECT doc FROM rollouts WHERE endpoint = ? ORDER BY created_ms DESC, id DESC"
        " LIMIT ? OFFSET ?",
        {std::string_view(endpoint), static_cast<int64_t>(page.limit) + 1, page.offset},
        [&](const SqlRow& row) { docs.push_back(row.String(0)); });
  }));
  if (docs.empty() && page.offset == 0) RETURN_IF_ERROR(endpoints_.Get(endpoint).status());
  std::vector<json> out;
  for (const std::string& doc : docs) {
    json j = json::parse(doc, nullptr, false);
    if (j.is_discarded()) continue;
    if (j.value("state", "") == "running") {
      auto live = Get(endpoint, j.value("id", ""));
      if (live.ok()) j = std::move(live).value();
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::string RolloutController::RenderMetrics() const {
  std::string out =
      "# HELP plinth_rollout_step_percent Canary traffic share of the running rollout (0: none).\n"
      "# TYPE plinth_rollout_step_percent gauge\n";
  std::lock_guard lock(mu_);
  for (const auto& e : endpoints_.List()) {
    auto it = active_.find(e->spec.name);
    double percent = it == active_.end() ? 0 : it->second->rollout.percent();
    std::string name;
    for (char c : e->spec.name) {
      if (c == '\\' || c == '"') name += '\\';
      name += c;
    }
    out += "plinth_rollout_step_percent{endpoint=\"" + name + "\"} " + PrometheusNumber(percent) + "\n";
  }
  return out;
}

}  // namespace plinth::serving

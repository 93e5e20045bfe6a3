#pragma once
// A progressive canary rollout of one endpoint: what was asked (the canary version, the traffic
// steps, the guards), where it stands (state, step, per-step window statistics), and the
// endpoint specs it drives the endpoint through. RolloutController (rollout_controller.h) runs
// it; docs/rollouts.md describes the semantics.
//
// During a rollout the canary is an extra variant named "canary", appended after the endpoint's
// own variants; at p% it gets weight p and the endpoint's variants share the other (100 - p)% in
// their original proportions. Appending keeps routing keys sticky: a key that reached the canary
// at p% still reaches it at every larger p.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serving/endpoint_spec.h"
#include "serving/rollout_guards.h"

namespace plinth::serving {

inline constexpr const char* kCanaryVariant = "canary";

enum class RolloutState { kRunning, kPromoted, kRolledBack, kAborted };
const char* RolloutStateName(RolloutState state);

// What POST /api/v1/endpoints/{name}/rollouts asks for.
struct RolloutRequest {
  ModelRef canary;
  std::string primary_variant;  // empty: the endpoint's first variant
  std::vector<double> steps{5, 25, 50, 100};
  double step_seconds = 60;
  RolloutGuards guards;
};

// Reads the request body (docs/api.md); InvalidArgument names the bad field. Steps must rise
// strictly within (0, 100] and end at 100; step_seconds is from 0.1 to 86400.
Result<RolloutRequest> RolloutRequestFromJson(const nlohmann::json& body);

struct RolloutStep {
  double percent = 0;
  int64_t started_ms = 0;
  int64_t ended_ms = 0;     // 0 while it runs
  std::string outcome;      // running, passed, failed, aborted, interrupted
  std::string message;      // the guards' last verdict
  WindowStats canary;       // over the step's window
  WindowStats primary;
};

// Why a rollout ended without promotion.
struct RolloutReason {
  std::string guard;  // max_error_rate, max_p99_ms, max_mean_shift; "abort", "restart", "error"
  std::optional<double> value;
  std::optional<double> limit;
  std::string message;
};

struct Rollout {
  std::string id;
  std::string endpoint;
  RolloutRequest request;
  std::string primary_variant;  // resolved: never empty
  int64_t canary_version = 0;   // the version the canary serves
  RolloutState state = RolloutState::kRunning;
  size_t step_index = 0;        // into request.steps
  std::vector<RolloutStep> history;
  std::optional<RolloutReason> reason;
  EndpointSpec original;        // the endpoint as it was before the rollout
  int64_t created_ms = 0, updated_ms = 0, finished_ms = 0;
  std::string created_by;

  // The canary's share now: the current step's percent while running, else 0.
  double percent() const;
};

nlohmann::json RolloutToJson(const Rollout& rollout);
Result<Rollout> RolloutFromJson(const nlohmann::json& j);

// The spec `original` becomes with the canary at `percent` (0 < percent <= 100).
EndpointSpec CanarySpec(const EndpointSpec& original, const ModelRef& canary, double percent);

// The spec after promotion: the primary variant alone, now pointing at the canary's reference;
// shadow, capture, batching, cache and fallback settings are kept (a fallback variant stays,
// with weight 0).
EndpointSpec PromotedSpec(const EndpointSpec& original, const std::string& primary_variant,
                          const ModelRef& canary);

}  // namespace plinth::serving

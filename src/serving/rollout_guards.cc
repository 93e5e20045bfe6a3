#include "serving/rollout_guards.h"

#include <cmath>
#include <cstdio>

namespace plinth::serving {

namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

GuardVerdict Failed(std::string guard, double value, double limit, const std::string& what) {
  GuardVerdict v;
  v.kind = GuardVerdict::Kind::kFailed;
  v.message = what + " " + Num(value) + " is above " + guard + " " + Num(limit);
  v.guard = std::move(guard);
  v.value = value;
  v.limit = limit;
  return v;
}

GuardVerdict Waiting(std::string message) {
  GuardVerdict v;
  v.kind = GuardVerdict::Kind::kWait;
  v.message = std::move(message);
  return v;
}

Status CheckLimit(const std::optional<double>& limit, const char* name, double max) {
  if (limit && !(std::isfinite(*limit) && *limit >= 0 && *limit <= max)) {
    return InvalidArgument(std::string(name) + " must be a number from 0 to " + Num(max));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateGuards(const RolloutGuards& g) {
  RETURN_IF_ERROR(CheckLimit(g.max_error_rate, "max_error_rate", 1));
  RETURN_IF_ERROR(CheckLimit(g.max_p99_ms, "max_p99_ms", 1e9));
  RETURN_IF_ERROR(CheckLimit(g.max_mean_shift, "max_mean_shift", 1e300));
  if (g.min_requests < 1 || g.min_requests > 1000000) {
    return InvalidArgument("min_requests must be an integer from 1 to 1000000");
  }
  return Status::Ok();
}

GuardVerdict EvaluateGuards(const RolloutGuards& g, const WindowStats& canary,
                            const WindowStats& primary_window, const WindowStats& primary_rollout) {
  if (canary.requests < g.min_requests) {
    return Waiting("waiting for canary requests: " + std::to_string(canary.requests) + " of " +
                   std::to_string(g.min_requests));
  }
  if (g.max_error_rate && canary.error_rate > *g.max_error_rate) {
    return Failed("max_error_rate", canary.error_rate, *g.max_error_rate, "canary error rate");
  }
  if (g.max_p99_ms && canary.p99_ms > *g.max_p99_ms) {
    return Failed("max_p99_ms", canary.p99_ms, *g.max_p99_ms, "canary p99 latency (ms)");
  }
  if (g.max_mean_shift) {
    const WindowStats& reference =
        primary_window.requests >= g.min_requests ? primary_window : primary_rollout;
    if (reference.predictions == 0 || canary.predictions == 0) {
      return Waiting("waiting for predictions to compare the canary's mean with the primary's");
    }
    double shift = std::fabs(canary.mean_prediction - reference.mean_prediction);
    if (shift > *g.max_mean_shift) {
      return Failed("max_mean_shift", shift, *g.max_mean_shift,
                    "|mean canary prediction - mean primary prediction|");
    }
  }
  GuardVerdict v;
  v.kind = GuardVerdict::Kind::kHeld;
  v.message = "guards hold over " + std::to_string(canary.requests) + " canary requests";
  return v;
}

}  // namespace plinth::serving

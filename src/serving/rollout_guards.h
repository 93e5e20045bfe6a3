#pragma once
// The guards of a progressive rollout (docs/rollouts.md): when a canary may take more traffic,
// and when it must be rolled back. Pure functions over window statistics; no clock, no state.
//
// A step is judged on its window (the time since the step's traffic split was published):
//   - fewer than `min_requests` canary requests: wait (never promote on too little evidence);
//   - canary error rate > max_error_rate: fail;
//   - canary p99 latency (ms) > max_p99_ms: fail;
//   - |mean canary prediction - mean primary prediction| > max_mean_shift (absolute, in the
//     model's output units): fail. The primary's mean is taken over the same window when the
//     primary answered at least `min_requests` requests in it, else over the whole rollout so far
//     (at 100% the primary gets no traffic of its own); with no primary predictions at all the
//     step waits.
// Guards are checked in that order and the first that fails is reported. A guard left unset
// is not checked.

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "serving/rollout_window.h"

namespace plinth::serving {

struct RolloutGuards {
  std::optional<double> max_error_rate = 0.01;
  std::optional<double> max_p99_ms;
  std::optional<double> max_mean_shift;
  int64_t min_requests = 20;
};

// InvalidArgument names the bad limit: rates in [0, 1], others >= 0, min_requests in [1, 1e6].
Status ValidateGuards(const RolloutGuards& guards);

struct GuardVerdict {
  enum class Kind { kWait, kHeld, kFailed };
  Kind kind = Kind::kWait;
  std::string guard;    // kFailed: "max_error_rate", "max_p99_ms" or "max_mean_shift"
  double value = 0;     // kFailed: what was measured
  double limit = 0;     // kFailed: the limit it crossed
  std::string message;  // one readable sentence, for every kind
};

// `primary_window`: the primary variant over the step's window; `primary_rollout`: the primary
// over the whole rollout so far (the reference when the window has too few primary requests).
GuardVerdict EvaluateGuards(const RolloutGuards& guards, const WindowStats& canary,
                            const WindowStats& primary_window, const WindowStats& primary_rollout);

}  // namespace plinth::serving

#pragma once
// Runtime factory: artifact bytes + declared flavor -> a ModelRuntime, and the check that the
// model registry runs at registration.
//
// A flavor names the library that saved the artifact. Today there is one, "xgboost": a model
// saved by XGBoost as JSON or UBJSON. For it, LoadRuntime reads the model once, tries the
// compiled evaluator (CompiledTreesRuntime) and, when the model uses something the evaluator
// does not implement, falls back to XGBoost's C library (XgboostRuntime), recording why in the
// runtime's fallback_reason(). Both return the same float32 predictions.
//
// ValidateModelArtifact answers, at registration, the question serving will ask later: it
// succeeds exactly when LoadRuntime would, and additionally insists that XGBoost itself loads
// and predicts with the model, so that every runtime choice is available for an accepted
// artifact. A bad file thus gets InvalidArgument (HTTP 400) at registration, never a failure at
// serving time.
//
// Free functions; thread-safe; nothing is cached between calls.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "serving/model_runtime.h"

namespace plinth::serving {

enum class RuntimePreference {
  kFastest,       // compiled-trees when it supports the model, else xgboost (the default)
  kXgboostOnly,   // always XGBoost's C library (reference behaviour, any model XGBoost loads)
  kCompiledOnly,  // compiled-trees or FailedPrecondition (benchmarks, tests)
};

// The flavors LoadRuntime accepts: {"xgboost"}.
const std::vector<std::string>& SupportedFlavors();

// Builds a runtime for `bytes` of the declared `flavor`. The runtime keeps no reference to
// `bytes`. Errors: InvalidArgument for an unknown flavor or a file that is not a loadable model
// of that flavor (the message says what is wrong); FailedPrecondition for kCompiledOnly when the
// compiled evaluator does not support the model; Internal when a library fails unexpectedly.
Result<std::unique_ptr<ModelRuntime>> LoadRuntime(
    std::string_view flavor, std::string_view bytes,
    RuntimePreference preference = RuntimePreference::kFastest);

// For the model registry, at registration: OK when the artifact loads with its declared flavor
// (see above); otherwise InvalidArgument with a sentence a user can act on.
Status ValidateModelArtifact(std::string_view flavor, std::string_view bytes);

}  // namespace plinth::serving

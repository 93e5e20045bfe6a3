#pragma once
// ModelRuntime: one loaded model that turns rows of features into predictions.
//
// A runtime is built once from a model artifact's bytes (see runtime_factory.h for the flavors
// and the choice between runtimes), is immutable afterwards, and serves Predict calls for as long
// as its owner keeps it. It states its input signature (how many features, their names and types
// when the artifact carries them), the model's objective, and how many numbers one row yields.
// Two runtimes exist today: "xgboost" (the XGBoost C library, serves every model XGBoost can
// load) and "compiled-trees" (plinth's own tree-ensemble evaluator, faster, for the common
// objectives only, returning the very same float32 values).
//
// Ownership: the caller owns the runtime (unique_ptr); a runtime owns everything it needs and
// keeps no pointer into the artifact bytes it was built from.
// Threading: every const method, Predict included, may be called from any number of threads at
// once without external locking. Predict never allocates per row on the compiled path and never
// takes a lock shared by all models.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace plinth::serving {

// What a model expects as input: rows of exactly `num_features` float32 values, in this order.
struct InputSignature {
  size_t num_features = 0;
  // Feature names as saved with the model, one per feature; empty when the model has none.
  std::vector<std::string> feature_names;
  // XGBoost's feature types ("q" quantitative, "c" categorical, "int", "float", "i" indicator),
  // one per feature; empty when the model has none.
  std::vector<std::string> feature_types;
};

class ModelRuntime {
 public:
  virtual ~ModelRuntime() = default;

  // "xgboost" or "compiled-trees": which runtime serves the model (shown on endpoint status).
  virtual std::string_view runtime_name() const = 0;

  virtual const InputSignature& input_signature() const = 0;

  // The model's objective as its library names it, e.g. "binary:logistic", "multi:softprob".
  virtual const std::string& objective() const = 0;

  // Numbers written per input row: 1, or the class count for multi:softprob.
  virtual size_t outputs_per_row() const = 0;

  // Predicts `n_rows` rows. `rows` is row-major, n_rows * n_features float32 values; NaN means
  // missing. Writes n_rows * outputs_per_row() values to `out` (row-major; for multi:softprob the
  // class probabilities of row i are out[i*k .. i*k+k-1]). Outputs are on the objective's
  // response scale: probabilities for logistic and softprob models, raw values for regression.
  // Errors: InvalidArgument when n_features differs from the signature or a pointer is null with
  // n_rows > 0 (nothing is written then); Internal when the underlying library fails. n_rows == 0
  // is OK and writes nothing. Thread-safe.
  virtual Status Predict(const float* rows, size_t n_rows, size_t n_features, float* out) const = 0;

  // Why the preferred runtime was not used for this model (e.g. "compiled-trees: categorical
  // splits are not supported"), or empty when it was. Set by LoadRuntime before the runtime is
  // handed out; read-only afterwards.
  const std::string& fallback_reason() const { return fallback_reason_; }
  void set_fallback_reason(std::string reason) { fallback_reason_ = std::move(reason); }

 protected:
  // Shared argument checks for Predict implementations.
  Status CheckPredictArgs(const float* rows, size_t n_rows, size_t n_features,
                          const float* out) const;

 private:
  std::string fallback_reason_;
};

}  // namespace plinth::serving

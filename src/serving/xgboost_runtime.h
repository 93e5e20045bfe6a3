#pragma once
// XgboostRuntime: a model served by the XGBoost C library (Debian's libxgboost 1.7).
//
// The reference runtime for the "xgboost" flavor: it serves every model XGBoost itself can load
// from JSON or UBJSON, whatever its objective, booster or feature types (categorical splits,
// dart, gblinear, count:poisson, ...). CompiledTreesRuntime is preferred when it supports the
// model because this path pays XGBoost's per-call overhead (config and array-interface JSON
// parsing, a proxy DMatrix, an OpenMP region): tens of microseconds for one row.
//
// Artifacts are first checked by ReadXgboostModel, so corrupt files never reach XGBoost's own
// (unhardened) parser. After loading, one prediction is run to finish XGBoost's lazy
// configuration before the runtime is shared; this also fixes outputs_per_row.
//
// Threading: XGBoost documents prediction as thread-safe for gbtree and dart boosters since 1.4
// (doc/prediction.rst, "Thread Safety"): inplace prediction keeps its buffers in thread-local
// storage keyed by booster, and the lazy configuration is done at load. Those models are
// predicted from many threads at once with no lock. gblinear does not support inplace
// prediction and its DMatrix prediction is not documented as thread-safe, so those calls go
// through a DMatrix and are serialized by a per-runtime mutex.
//
// Ownership: owns the booster handle and frees it on destruction; must outlive its Predict calls.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"
#include "serving/model_runtime.h"
#include "serving/xgboost_model.h"

namespace plinth::serving {

class XgboostRuntime final : public ModelRuntime {
 public:
  static constexpr std::string_view kName = "xgboost";

  struct Options {
    // XGBoost's nthread for each Predict call. 1 by default: the serving layer runs requests in
    // parallel already, and OpenMP teams per request only oversubscribe the cores.
    int threads = 1;
  };

  // Loads artifact bytes (checked by ReadXgboostModel first). InvalidArgument for a file that is
  // not a model XGBoost can load and predict with, with XGBoost's own message.
  static Result<std::unique_ptr<XgboostRuntime>> Load(std::string_view bytes,
                                                      const Options& options);
  // Same, for bytes already read into `model` (the factory reads once for both runtimes).
  static Result<std::unique_ptr<XgboostRuntime>> Load(std::string_view bytes,
                                                      const XgboostModel& model,
                                                      const Options& options);

  ~XgboostRuntime() override;
  XgboostRuntime(const XgboostRuntime&) = delete;
  XgboostRuntime& operator=(const XgboostRuntime&) = delete;

  std::string_view runtime_name() const override { return kName; }
  const InputSignature& input_signature() const override { return signature_; }
  const std::string& objective() const override { return objective_; }
  size_t outputs_per_row() const override { return outputs_per_row_; }
  Status Predict(const float* rows, size_t n_rows, size_t n_features, float* out) const override;

 private:
  XgboostRuntime() = default;
  // Runs one prediction through XGBoost and copies the result; `out_values` receives the number
  // of floats XGBoost produced (checked against `capacity`).
  Status PredictRaw(const float* rows, size_t n_rows, size_t n_features, float* out,
                    size_t capacity, size_t* out_values) const;

  void* booster_ = nullptr;  // BoosterHandle; void* keeps c_api.h out of this header
  bool inplace_ = true;      // false for gblinear: DMatrix prediction under dmatrix_mutex_
  mutable std::mutex dmatrix_mutex_;
  InputSignature signature_;
  std::string objective_;
  size_t outputs_per_row_ = 1;
};

}  // namespace plinth::serving

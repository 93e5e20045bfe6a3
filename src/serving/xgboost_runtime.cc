#include "serving/xgboost_runtime.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace plinth::serving {
namespace {

// XGBoost 1.7 requires every one of these keys for inplace prediction; type 0 is the
// transformed value (probabilities for logistic/softprob), iteration_end 0 means all trees.
constexpr const char* kInplaceConfig =
    R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,)"
    R"("strict_shape":false,"cache_id":0,"missing":NaN})";
constexpr const char* kDMatrixConfig =
    R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false})";

// XGBoost keeps each thread's last output per booster until that thread exits; predicting big
// batches in chunks bounds that memory (a retired model's buffers in other threads included).
constexpr size_t kMaxRowsPerCall = 4096;

// XGBoost's last error on this thread, without its timestamp prefix and stack trace.
std::string LastXgboostError() {
  std::string message = XGBGetLastError();
  if (auto trace = message.find("Stack trace"); trace != std::string::npos) {
    message.resize(trace);
  }
  if (!message.empty() && message.front() == '[') {
    if (auto close = message.find("] "); close != std::string::npos) message.erase(0, close + 2);
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  return message;
}

}  // namespace

Result<std::unique_ptr<XgboostRuntime>> XgboostRuntime::Load(std::string_view bytes,
                                                             const Options& options) {
  ASSIGN_OR_RETURN(XgboostModel model, ReadXgboostModel(bytes));
  return Load(bytes, model, options);
}

Result<std::unique_ptr<XgboostRuntime>> XgboostRuntime::Load(std::string_view bytes,
                                                             const XgboostModel& model,
                                                             const Options& options) {
  std::unique_ptr<XgboostRuntime> rt(new XgboostRuntime());
  BoosterHandle booster = nullptr;
  if (XGBoosterCreate(nullptr, 0, &booster) != 0) {
    return Internal("XGBoost could not create a booster: " + LastXgboostError());
  }
  rt->booster_ = booster;  // freed by ~XgboostRuntime from here on
  if (XGBoosterLoadModelFromBuffer(booster, bytes.data(), bytes.size()) != 0) {
    return InvalidArgument("XGBoost cannot load the model: " + LastXgboostError());
  }
  const std::string threads = std::to_string(std::max(1, options.threads));
  if (XGBoosterSetParam(booster, "nthread", threads.c_str()) != 0) {
    return Internal("XGBoost refused nthread=" + threads + ": " + LastXgboostError());
  }
  bst_ulong num_feature = 0;
  if (XGBoosterGetNumFeature(booster, &num_feature) != 0) {
    return InvalidArgument("XGBoost cannot read the model's features: " + LastXgboostError());
  }
  if (num_feature != model.num_feature) {
    return InvalidArgument("XGBoost reads " + std::to_string(num_feature) +
                           " features but the model declares " + std::to_string(model.num_feature));
  }
  rt->inplace_ = model.booster != "gblinear";
  rt->objective_ = model.objective;
  rt->signature_.num_features = model.num_feature;
  rt->signature_.feature_names = model.feature_names;
  rt->signature_.feature_types = model.feature_types;

  // One all-missing row: finishes XGBoost's lazy configuration now, single-threaded, and tells
  // how many values a row yields.
  std::vector<float> probe_row(model.num_feature, std::numeric_limits<float>::quiet_NaN());
  std::vector<float> probe_out(std::max(model.num_groups(), model.num_target));
  size_t produced = 0;
  Status probe = rt->PredictRaw(probe_row.data(), 1, probe_row.size(), probe_out.data(),
                                probe_out.size(), &produced);
  if (!probe.ok()) {
    return InvalidArgument("XGBoost loads the model but cannot predict with it: " +
                           probe.message());
  }
  if (produced == 0) return InvalidArgument("XGBoost predicts nothing for this model");
  rt->outputs_per_row_ = produced;
  return rt;
}

XgboostRuntime::~XgboostRuntime() {
  if (booster_ != nullptr) XGBoosterFree(static_cast<BoosterHandle>(booster_));
}

Status XgboostRuntime::Predict(const float* rows, size_t n_rows, size_t n_features,
                               float* out) const {
  RETURN_IF_ERROR(CheckPredictArgs(rows, n_rows, n_features, out));
  for (size_t begin = 0; begin < n_rows; begin += kMaxRowsPerCall) {
    const size_t count = std::min(kMaxRowsPerCall, n_rows - begin);
    const size_t expected = count * outputs_per_row_;
    size_t produced = 0;
    RETURN_IF_ERROR(PredictRaw(rows + begin * n_features, count, n_features,
                               out + begin * outputs_per_row_, expected, &produced));
    if (produced != expected) {
      return Internal("XGBoost returned " + std::to_string(produced) + " values for " +
                      std::to_string(count) + " rows, expected " + std::to_string(expected));
    }
  }
  return Status::Ok();
}

Status XgboostRuntime::PredictRaw(const float* rows, size_t n_rows, size_t n_features, float* out,
                                  size_t capacity, size_t* out_values) const {
  auto booster = static_cast<BoosterHandle>(booster_);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;

  // The result lives in XGBoost's thread-local storage until this thread's next call on this
  // booster; it is copied out before returning.
  auto copy_out = [&]() -> Status {
    size_t n = dim == 0 ? 0 : 1;
    for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
    *out_values = n;
    if (n > capacity) {
      return Internal("XGBoost returned " + std::to_string(n) + " values, more than the " +
                      std::to_string(capacity) + " expected");
    }
    std::copy(result, result + n, out);
    return Status::Ok();
  };

  if (inplace_) {
    // NumPy's __array_interface__ for a read-only, C-contiguous float32 matrix.
    char array_interface[160];
    std::snprintf(array_interface, sizeof(array_interface),
                  R"({"data":[%zu,true],"shape":[%zu,%zu],"typestr":"<f4","version":3})",
                  reinterpret_cast<size_t>(rows), n_rows, n_features);
    if (XGBoosterPredictFromDense(booster, array_interface, kInplaceConfig, nullptr, &shape, &dim,
                                  &result) != 0) {
      return Internal("XGBoost prediction failed: " + LastXgboostError());
    }
    return copy_out();
  }

  std::lock_guard<std::mutex> lock(dmatrix_mutex_);
  DMatrixHandle dmatrix = nullptr;
  if (XGDMatrixCreateFromMat(rows, n_rows, n_features, std::numeric_limits<float>::quiet_NaN(),
                             &dmatrix) != 0) {
    return Internal("XGBoost could not wrap the rows: " + LastXgboostError());
  }
  const int rc =
      XGBoosterPredictFromDMatrix(booster, dmatrix, kDMatrixConfig, &shape, &dim, &result);
  Status status =
      rc == 0 ? copy_out() : Internal("XGBoost prediction failed: " + LastXgboostError());
  XGDMatrixFree(dmatrix);
  return status;
}

}  // namespace plinth::serving

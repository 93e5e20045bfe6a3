#include "serving/model_runtime.h"

namespace plinth::serving {

Status ModelRuntime::CheckPredictArgs(const float* rows, size_t n_rows, size_t n_features,
                                      const float* out) const {
  const size_t expected = input_signature().num_features;
  if (n_features != expected) {
    return InvalidArgument("the model expects " + std::to_string(expected) +
                           " features per row, got " + std::to_string(n_features));
  }
  if (n_rows > 0 && (rows == nullptr || out == nullptr)) {
    return InvalidArgument("null input or output buffer");
  }
  return Status::Ok();
}

}  // namespace plinth::serving

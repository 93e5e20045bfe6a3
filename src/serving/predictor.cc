#include "serving/predictor.h"

#include <chrono>
#include <cmath>

namespace plinth::serving {

namespace {
std::string Describe(const LoadedModel& m) {
  return "model '" + m.model + "' version " + std::to_string(m.version);
}
}  // namespace

Result<std::vector<float>> BuildModelInput(const LoadedModel& model, const FeatureRows& rows) {
  size_t width = model.runtime->input_signature().num_features;
  if (!rows.named) {
    if (rows.width != width) {
      return InvalidArgument("inputs[0] has " + std::to_string(rows.width) +
                             " values, the signature of " + Describe(model) + " has " +
                             std::to_string(width));
    }
    return rows.values;
  }
  if (model.feature_index.empty()) {
    return InvalidArgument(Describe(model) +
                           " has no feature names; send positional 'inputs' instead");
  }
  std::vector<float> matrix(rows.n_rows * width, std::nanf(""));
  for (size_t r = 0; r < rows.instances.size(); ++r) {
    for (const auto& [name, value] : rows.instances[r]) {
      auto it = model.feature_index.find(name);
      if (it == model.feature_index.end()) {
        return InvalidArgument("instances[" + std::to_string(r) + "] has feature '" + name +
                               "', which " + Describe(model) + " does not take");
      }
      matrix[r * width + it->second] = value;
    }
  }
  return matrix;
}

Result<Prediction> Predict(const LiveEndpoint& endpoint, const FeatureRows& rows,
                           std::string_view routing_key) {
  if (!endpoint.error.empty() || endpoint.variants.empty()) {
    return Unavailable("endpoint '" + endpoint.spec.name + "' is not serving: " + endpoint.error);
  }
  if (rows.n_rows == 0) return InvalidArgument("the request has no rows");
  const LiveVariant& variant = endpoint.variants[endpoint.split.Choose(routing_key)];
  const LoadedModel& model = *variant.model;
  auto start = std::chrono::steady_clock::now();
  Prediction p;
  Status st = [&]() -> Status {
    ASSIGN_OR_RETURN(std::vector<float> input, BuildModelInput(model, rows));
    p.variant = variant.name;
    p.model = model.model;
    p.version = model.version;
    p.runtime = std::string(model.runtime->runtime_name());
    p.outputs_per_row = model.runtime->outputs_per_row();
    p.values.resize(rows.n_rows * p.outputs_per_row);
    return model.runtime->Predict(input.data(), rows.n_rows,
                                  model.runtime->input_signature().num_features, p.values.data());
  }();
  if (VariantMetrics* m = variant.metrics.get()) {
    m->requests.fetch_add(1, std::memory_order_relaxed);
    if (!st.ok()) m->errors.fetch_add(1, std::memory_order_relaxed);
    if (st.ok()) m->RecordPredictions(p.values.data(), p.values.size());
    m->latency_seconds.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    m->batch_rows.Observe(static_cast<double>(rows.n_rows));
  }
  RETURN_IF_ERROR(st);
  if (endpoint.shadow && endpoint.mirror) {
    endpoint.mirror->Offer(endpoint.shadow->model, endpoint.shadow_stats, rows, p.values);
  }
  return p;
}

}  // namespace plinth::serving

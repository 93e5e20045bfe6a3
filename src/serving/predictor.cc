#include "serving/predictor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

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

namespace {

using Clock = std::chrono::steady_clock;

// Without a batcher the model runs in the caller's thread; a deadline is then checked between
// chunks of this many rows, which bounds how far past it the model can run.
constexpr size_t kDeadlineChunkRows = 256;

Status RunModel(const LiveVariant& variant, const std::vector<float>& input, size_t n_rows,
                float* out, std::optional<Clock::time_point> deadline) {
  const ModelRuntime& runtime = *variant.model->runtime;
  const size_t width = runtime.input_signature().num_features;
  if (variant.batcher) return variant.batcher->Predict(input.data(), n_rows, out, deadline);
  if (!deadline) return runtime.Predict(input.data(), n_rows, width, out);
  const size_t k = runtime.outputs_per_row();
  for (size_t begin = 0; begin < n_rows; begin += kDeadlineChunkRows) {
    if (Clock::now() >= *deadline) {
      return Unavailable("variant '" + variant.name + "' did not answer within the deadline");
    }
    const size_t count = std::min(kDeadlineChunkRows, n_rows - begin);
    RETURN_IF_ERROR(runtime.Predict(input.data() + begin * width, count, width, out + begin * k));
  }
  return Status::Ok();
}

// One variant's answer: from the cache, or from its model. `primary` offers the request to the
// shadow.
Result<Prediction> PredictWithVariant(const LiveEndpoint& endpoint, const LiveVariant& variant,
                                      const FeatureRows& rows,
                                      std::optional<Clock::time_point> deadline, bool primary) {
  if (!variant.model) {
    return Unavailable("variant '" + variant.name + "' is not loaded: " + variant.load_error);
  }
  const LoadedModel& model = *variant.model;
  auto start = Clock::now();
  Prediction p;
  p.variant = variant.name;
  p.model = model.model;
  p.version = model.version;
  p.runtime = std::string(model.runtime->runtime_name());
  p.outputs_per_row = model.runtime->outputs_per_row();
  std::string key;
  Status st = [&]() -> Status {
    ASSIGN_OR_RETURN(std::vector<float> input, BuildModelInput(model, rows));
    if (endpoint.cache && rows.n_rows <= PredictionCache::kMaxRows) {
      key = PredictionCache::Key(variant.name, model.version, input.data(), input.size());
      if (endpoint.cache->Lookup(key, &p.values)) {
        p.served_by = "cache";
        return Status::Ok();
      }
    }
    p.values.resize(rows.n_rows * p.outputs_per_row);
    return RunModel(variant, input, rows.n_rows, p.values.data(), deadline);
  }();
  if (VariantMetrics* m = variant.metrics.get()) {
    if (p.served_by == "cache") {
      m->cache_hits.fetch_add(1, std::memory_order_relaxed);
    } else {
      m->requests.fetch_add(1, std::memory_order_relaxed);
      if (!st.ok()) m->errors.fetch_add(1, std::memory_order_relaxed);
      if (st.ok()) m->RecordPredictions(p.values.data(), p.values.size());
      m->latency_seconds.Observe(std::chrono::duration<double>(Clock::now() - start).count());
      m->batch_rows.Observe(static_cast<double>(rows.n_rows));
    }
  }
  RETURN_IF_ERROR(st);
  if (p.served_by == "cache") return p;
  if (!key.empty()) endpoint.cache->Insert(key, p.values);
  if (primary && endpoint.shadow && endpoint.mirror) {
    endpoint.mirror->Offer(endpoint.shadow->model, endpoint.shadow_stats, rows, p.values);
  }
  return p;
}

}  // namespace

Result<Prediction> Predict(const LiveEndpoint& endpoint, const FeatureRows& rows,
                           std::string_view routing_key) {
  if (!endpoint.error.empty() || endpoint.variants.empty()) {
    return Unavailable("endpoint '" + endpoint.spec.name + "' is not serving: " + endpoint.error);
  }
  if (rows.n_rows == 0) return InvalidArgument("the request has no rows");
  const size_t chosen = endpoint.split.Choose(routing_key);
  const LiveVariant& variant = endpoint.variants[chosen];
  const FallbackSpec* fallback = endpoint.spec.fallback ? &*endpoint.spec.fallback : nullptr;
  std::optional<Clock::time_point> deadline;
  if (fallback && fallback->deadline_ms > 0) {
    deadline = Clock::now() + std::chrono::milliseconds(fallback->deadline_ms);
  }
  Result<Prediction> answer = PredictWithVariant(endpoint, variant, rows, deadline, true);
  // Bad input is the caller's to fix, not the model's failure: no fallback for it.
  if (answer.ok() || !fallback || answer.status().code() == StatusCode::kInvalidArgument) {
    return answer;
  }
  Prediction p;
  if (fallback->constant) {
    p.runtime = "constant";
    p.fallback_constant = true;
    p.outputs_per_row = fallback->constant->size();
    p.values.reserve(rows.n_rows * p.outputs_per_row);
    for (size_t r = 0; r < rows.n_rows; ++r) {
      for (double v : *fallback->constant) p.values.push_back(static_cast<float>(v));
    }
  } else {
    auto it = std::find_if(endpoint.variants.begin(), endpoint.variants.end(),
                           [&](const LiveVariant& v) { return v.name == *fallback->variant; });
    if (it == endpoint.variants.end() || &*it == &variant) return answer;
    Result<Prediction> second = PredictWithVariant(endpoint, *it, rows, std::nullopt, false);
    if (!second.ok()) return answer;
    p = std::move(second).value();
  }
  p.served_by = "fallback";
  p.fallback_reason = answer.status().message();
  if (variant.metrics) variant.metrics->fallbacks.fetch_add(1, std::memory_order_relaxed);
  return p;
}

}  // namespace plinth::serving

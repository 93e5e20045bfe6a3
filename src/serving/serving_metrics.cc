#include "serving/serving_metrics.h"

#include <cmath>

#include "serving/endpoint_manager.h"

namespace plinth::serving {

namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

VariantMetrics::VariantMetrics()
    : latency_seconds({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                       0.25, 0.5, 1}),
      batch_rows({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096}),
      dynamic_batch_rows({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096}) {}

void VariantMetrics::RecordPredictions(const float* values, size_t n) {
  double sum = 0;
  uint64_t finite = 0;
  for (size_t i = 0; i < n; ++i) {
    if (std::isfinite(values[i])) {
      sum += values[i];
      ++finite;
    }
  }
  predictions.fetch_add(finite, std::memory_order_relaxed);
  double old = prediction_sum.load(std::memory_order_relaxed);
  while (!prediction_sum.compare_exchange_weak(old, old + sum, std::memory_order_relaxed)) {
  }
}

std::shared_ptr<VariantMetrics> ServingMetrics::For(const std::string& endpoint,
                                                    const std::string& variant) {
  std::lock_guard lock(mu_);
  auto& slot = metrics_[{endpoint, variant}];
  if (!slot) slot = std::make_shared<VariantMetrics>();
  return slot;
}

std::string ServingMetrics::Render(const EndpointManager& endpoints) const {
  // Each family's samples, in the order the families are printed.
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    std::string samples;
  };
  Family requests{"plinth_predict_requests_total", "counter", "Predict requests a variant answered.", {}};
  Family errors{"plinth_predict_errors_total", "counter", "Predict requests a variant failed.", {}};
  Family latency{"plinth_predict_latency_seconds", "histogram", "Time to shape inputs and predict.", {}};
  Family batch{"plinth_predict_batch_rows", "histogram", "Rows per predict request.", {}};
  Family dynamic_batch{"plinth_predict_dynamic_batch_rows", "histogram",
                       "Rows per batch the dynamic batcher ran.", {}};
  Family cache_hits{"plinth_predict_cache_hits_total", "counter",
                    "Predict requests answered from the prediction cache.", {}};
  Family fallbacks{"plinth_predict_fallbacks_total", "counter",
                   "Predict requests a variant failed or was late on, answered by the fallback.", {}};
  Family load{"plinth_model_load_seconds", "gauge", "Time the served version took to load.", {}};
  Family shadow_requests{"plinth_shadow_requests_total", "counter", "Copies the shadow predicted.", {}};
  Family shadow_errors{"plinth_shadow_errors_total", "counter", "Copies the shadow failed on.", {}};
  Family shadow_dropped{"plinth_shadow_dropped_total", "counter", "Copies dropped: queue full.", {}};
  Family shadow_diff{"plinth_shadow_mean_abs_diff", "gauge", "Mean |primary - shadow|.", {}};
  Family shadow_agree{"plinth_shadow_within_tolerance_ratio", "gauge",
                      "Share of shadow predictions within tolerance of the primary's.", {}};
  auto sample = [](Family& f, const std::string& labels, const std::string& value) {
    f.samples += std::string(f.name) + "{" + labels + "} " + value + "\n";
  };
  for (const auto& e : endpoints.List()) {
    std::string ep = "endpoint=\"" + Escape(e->spec.name) + "\"";
    for (const auto& v : e->variants) {
      std::string labels = ep + ",variant=\"" + Escape(v.name) + "\",model=\"" +
                           Escape(v.ref.model) + "\",version=\"" +
                           (v.model ? std::to_string(v.model->version) : std::string()) + "\"";
      if (v.model) sample(load, labels, PrometheusNumber(v.model->load_ms / 1000.0));
      if (!v.metrics) continue;
      if (e->spec.batching) v.metrics->dynamic_batch_rows.Render(dynamic_batch.name, labels, dynamic_batch.samples);
      if (e->spec.cache) {
        sample(cache_hits, labels, std::to_string(v.metrics->cache_hits.load(std::memory_order_relaxed)));
      }
      if (e->spec.fallback) {
        sample(fallbacks, labels, std::to_string(v.metrics->fallbacks.load(std::memory_order_relaxed)));
      }
      sample(requests, labels, std::to_string(v.metrics->requests.load(std::memory_order_relaxed)));
      sample(errors, labels, std::to_string(v.metrics->errors.load(std::memory_order_relaxed)));
      v.metrics->latency_seconds.Render(latency.name, labels, latency.samples);
      v.metrics->batch_rows.Render(batch.name, labels, batch.samples);
    }
    if (e->shadow_stats) {
      ShadowStats::Snapshot s = e->shadow_stats->Read();
      sample(shadow_requests, ep, std::to_string(s.requests));
      sample(shadow_errors, ep, std::to_string(s.errors));
      sample(shadow_dropped, ep, std::to_string(s.dropped));
      sample(shadow_diff, ep, PrometheusNumber(s.mean_abs_diff));
      sample(shadow_agree, ep, PrometheusNumber(s.within_tolerance_share));
    }
  }
  std::string out;
  for (const Family* f : {&requests, &errors, &latency, &batch, &dynamic_batch, &cache_hits,
                          &fallbacks, &load, &shadow_requests,
                          &shadow_errors, &shadow_dropped, &shadow_diff, &shadow_agree}) {
    out += std::string("# HELP ") + f->name + " " + f->help + "\n# TYPE " + f->name + " " +
           f->type + "\n" + f->samples;
  }
  return out;
}

}  // namespace plinth::serving

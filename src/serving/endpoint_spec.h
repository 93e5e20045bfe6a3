#pragma once
// What an endpoint is asked to serve: named variants, each a model version or an alias of a
// registered model, with a traffic weight; and optionally a shadow that receives a copy of the
// traffic; dynamic batching, a prediction cache and a fallback (docs/serving-fallbacks.md).
// This is the configuration a user writes (POST/PUT /api/v1/endpoints); the resolved,
// loaded form is LiveEndpoint (endpoint_manager.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "serving/feature_lookup.h"

namespace plinth::serving {

// A registered model version, named directly or through an alias that serving follows.
struct ModelRef {
  std::string model;
  std::optional<int64_t> version;  // exactly one of version and alias
  std::optional<std::string> alias;
};

struct VariantSpec {
  std::string name;
  ModelRef ref;
  double weight = 1;  // relative share of the traffic; >= 0, and the variants' sum > 0
};

// Dynamic batching of each variant's requests (dynamic_batcher.h).
struct BatchingSpec {
  int64_t max_batch_size = 32;       // rows, 1..4096
  int64_t max_queue_delay_us = 500;  // 0..1,000,000
};

// A per-endpoint prediction cache (prediction_cache.h).
struct CacheSpec {
  double ttl_seconds = 60;     // > 0, at most a day
  int64_t max_entries = 10000;  // 1..1,000,000
};

// What answers when the chosen variant fails or misses its deadline: another variant of the
// endpoint (a simpler model), or a constant.
struct FallbackSpec {
  std::optional<std::string> variant;           // exactly one of variant and constant
  std::optional<std::vector<double>> constant;  // one row's outputs (one value for regression)
  int64_t deadline_ms = 0;                      // 0: no deadline, fall back on errors only
};

struct EndpointSpec {
  std::string name;
  std::vector<VariantSpec> variants;
  std::optional<ModelRef> shadow;
  // Shadow agreement: |primary - shadow| <= tolerance * max(1, |primary|).
  double shadow_tolerance = 0.01;
  // Share of requests whose inputs and outputs are captured (0: off, 1: all).
  double capture_sample_rate = 0;
  // Features read from the online store for each instance (feature_lookup.h).
  std::optional<EndpointFeatures> features{};
  std::optional<BatchingSpec> batching = std::nullopt;  // off when absent
  std::optional<CacheSpec> cache = std::nullopt;        // off when absent
  std::optional<FallbackSpec> fallback = std::nullopt;  // none when absent
};

bool operator==(const ModelRef& a, const ModelRef& b);

// Names, weights and references are well formed (it does not look at the registry).
Status ValidateEndpointSpec(const EndpointSpec& spec);

}  // namespace plinth::serving

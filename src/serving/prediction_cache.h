#pragma once
// PredictionCache: an endpoint's recent answers, so that a repeated request is answered without
// running the model (the first rung of the fallback hierarchy: cache, model, fallback).
//
// An entry maps a key made of the variant, the served version and the request's model input (the
// float32 matrix after named features were put in signature order, NaN and -0 canonicalized, so
// that equal inputs written differently share an entry) to the predicted values. Entries expire
// ttl_seconds after they were stored; at most max_entries are kept, the least recently used
// going first. The cache belongs to one published routing table: any change to the endpoint
// (update, alias move) publishes a new table with an empty cache, which is the invalidation.
//
// The cache is split into shards, each with its own mutex, so that the request path never takes
// a lock shared by all callers. Thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace plinth::serving {

struct CacheOptions {
  double ttl_seconds = 60;
  size_t max_entries = 10000;
};

class PredictionCache {
 public:
  using Clock = std::chrono::steady_clock;
  // Requests with more rows than this are neither looked up nor stored.
  static constexpr size_t kMaxRows = 100;

  explicit PredictionCache(CacheOptions options);

  // The key of `n_values` model inputs predicted by (variant, version).
  static std::string Key(std::string_view variant, int64_t version, const float* values,
                         size_t n_values);

  // The stored values for `key` if present and not expired.
  bool Lookup(const std::string& key, std::vector<float>* values);
  void Insert(const std::string& key, const std::vector<float>& values);

  size_t size() const;
  const CacheOptions& options() const { return options_; }

 private:
  struct Entry {
    std::string key;
    std::vector<float> values;
    Clock::time_point expires;
  };
  struct Shard {
    size_t capacity = 1;
    mutable std::mutex mu;
    std::list<Entry> lru;  // guarded by mu, most recently used first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;  // guarded by mu
  };
  Shard& ShardOf(const std::string& key);

  const CacheOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace plinth::serving

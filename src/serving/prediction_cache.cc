#include "serving/prediction_cache.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

namespace plinth::serving {

PredictionCache::PredictionCache(CacheOptions options) : options_(options) {
  // Small caches keep one shard so that eviction is exactly least-recently-used; large ones
  // spread over up to 8 shards (each evicting its own least recently used entry).
  size_t shards = std::clamp<size_t>(options_.max_entries / 128, 1, 8);
  for (size_t i = 0; i < shards; ++i) {
    shards_.push_back(std::make_unique<Shard>());
    // The capacities add up to max_entries exactly.
    shards_.back()->capacity = std::max<size_t>(
        1, options_.max_entries / shards + (i < options_.max_entries % shards ? 1 : 0));
  }
}

std::string PredictionCache::Key(std::string_view variant, int64_t version, const float* values,
                                 size_t n_values) {
  std::string key;
  key.reserve(variant.size() + 1 + sizeof(version) + n_values * sizeof(float));
  key.append(variant);
  key.push_back('\0');
  key.append(reinterpret_cast<const char*>(&version), sizeof(version));
  const size_t start = key.size();
  key.resize(start + n_values * sizeof(float));
  char* out = key.data() + start;
  for (size_t i = 0; i < n_values; ++i) {
    float v = values[i];
    if (std::isnan(v)) v = std::numeric_limits<float>::quiet_NaN();  // one NaN pattern
    if (v == 0.0f) v = 0.0f;  // -0 predicts as +0 (every split compares with <)
    std::memcpy(out + i * sizeof(float), &v, sizeof(float));
  }
  return key;
}

PredictionCache::Shard& PredictionCache::ShardOf(const std::string& key) {
  return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

bool PredictionCache::Lookup(const std::string& key, std::vector<float>* values) {
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return false;
  if (Clock::now() >= it->second->expires) {
    shard.lru.erase(it->second);
    shard.index.erase(it);
    return false;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  *values = it->second->values;
  return true;
}

void PredictionCache::Insert(const std::string& key, const std::vector<float>& values) {
  Shard& shard = ShardOf(key);
  auto expires = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(options_.ttl_seconds));
  std::lock_guard lock(shard.mu);
  auto it = shard.index.find(key);
  if (it != shard.index.end()) {
    it->second->values = values;
    it->second->expires = expires;
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    return;
  }
  shard.lru.push_front(Entry{key, values, expires});
  shard.index.emplace(shard.lru.front().key, shard.lru.begin());
  while (shard.lru.size() > shard.capacity) {
    shard.index.erase(shard.lru.back().key);
    shard.lru.pop_back();
  }
}

size_t PredictionCache::size() const {
  size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    n += shard->lru.size();
  }
  return n;
}

}  // namespace plinth::serving

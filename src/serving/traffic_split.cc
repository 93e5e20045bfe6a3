#include "serving/traffic_split.h"

#include <random>

namespace plinth::serving {

TrafficSplit::TrafficSplit(const std::vector<double>& weights) {
  double total = 0;
  for (double w : weights) total += w;
  double running = 0;
  for (double w : weights) {
    running += w;
    cumulative_.push_back(total > 0 ? running / total : 1.0);
  }
}

size_t TrafficSplit::ChooseAt(double u) const {
  for (size_t i = 0; i < cumulative_.size(); ++i) {
    if (u < cumulative_[i]) return i;
  }
  // u == 1.0 or rounding: the last variant with a positive share.
  for (size_t i = cumulative_.size(); i-- > 0;) {
    if (i == 0 || cumulative_[i] > cumulative_[i - 1]) return i;
  }
  return 0;
}

size_t TrafficSplit::Choose(std::string_view routing_key) const {
  if (cumulative_.size() <= 1) return 0;
  if (!routing_key.empty()) return ChooseAt(RoutingPoint(routing_key));
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return ChooseAt(std::uniform_real_distribution<double>(0.0, 1.0)(rng));
}

double RoutingPoint(std::string_view key) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // splitmix64 finalizer: FNV's low bits are weak for short keys.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);  // 53 bits -> [0, 1)
}

}  // namespace plinth::serving

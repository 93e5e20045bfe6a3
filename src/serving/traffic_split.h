#pragma once
// Chooses a variant for a request by weight. A request that carries a routing key always gets
// the same variant for the same key and the same weights (a stable hash of the key, not random);
// one without a key gets a random draw. Immutable after construction; thread-safe.

#include <cstdint>
#include <string_view>
#include <vector>

namespace plinth::serving {

class TrafficSplit {
 public:
  // Weights >= 0 with a positive sum (ValidateEndpointSpec guarantees it).
  explicit TrafficSplit(const std::vector<double>& weights);

  // Index of the chosen variant. An empty key means "no key".
  size_t Choose(std::string_view routing_key) const;
  // The variant for a point u in [0, 1).
  size_t ChooseAt(double u) const;

 private:
  std::vector<double> cumulative_;  // normalized to end at 1.0
};

// A stable 64-bit hash of a routing key (FNV-1a, then mixed), mapped to [0, 1).
double RoutingPoint(std::string_view key);

}  // namespace plinth::serving

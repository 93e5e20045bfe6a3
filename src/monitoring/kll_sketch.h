#pragma once
// A KLL quantile sketch (Karnin, Lang and Liberty, 2016) over doubles: a summary of any number of
// values in bounded memory that answers rank and quantile queries approximately, and that merges,
// so sketches of separate windows combine into the sketch of their union.
//
// Values live in compactors (levels); a value at level h stands for 2^h inputs. A full level is
// sorted and every other value (starting at a random offset) moves up a level. Level capacities
// shrink geometrically by 2/3 below the top, with at least 8 slots each.
//
// Error bound: with parameter k the rank error of a query is, with high probability, within
// about eps * n, eps ~= 2.296 / k^0.9723 (Apache DataSketches' empirical fit for KLL at 99%
// confidence): about 1.33% for the default k = 200. The sketch keeps about 3k values (plus 8
// per level), whatever the count. tests/monitoring/kll_sketch_test.cc checks the bound on 1M
// values, in random and in sorted order. min and max are exact.
//
// The random offsets come from a generator seeded with a constant, so a sketch built from the
// same inputs in the same order is the same sketch. Thread-compatible: concurrent const calls
// are safe; mutation needs the caller's synchronization.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "common/status.h"

namespace plinth::monitoring {

class KllSketch {
 public:
  static constexpr uint32_t kDefaultK = 200;
  static constexpr uint32_t kMinK = 8;
  static constexpr uint32_t kMaxK = 65535;

  // k is clamped into [kMinK, kMaxK].
  explicit KllSketch(uint32_t k = kDefaultK);

  // Adds one value. NaN is ignored (callers count missing values themselves).
  void Update(double value);

  // Adds every value of `other`. InvalidArgument if the two sketches have different k.
  Status Merge(const KllSketch& other);

  uint32_t k() const { return k_; }
  uint64_t count() const { return n_; }
  bool empty() const { return n_ == 0; }
  double min() const { return min_; }  // +inf when empty
  double max() const { return max_; }  // -inf when empty
  // Values kept (the sketch's size).
  size_t retained() const;

  // The approximate q-quantile, q in [0, 1]: the smallest kept value whose weighted rank reaches
  // q * count(). q <= 0 gives min(), q >= 1 max(). NaN when empty.
  double Quantile(double q) const;
  // The approximate fraction of values <= value, in [0, 1]. 0 when empty.
  double Rank(double value) const;

  // The kept values with the number of inputs each stands for, sorted by value, equal values
  // combined. The weights add up to count(). Exact (every input, weight 1 each) until the first
  // compaction, i.e. for up to k values. The distribution these describe is what the
  // profile drift tests (profile_drift.h) compare.
  std::vector<std::pair<double, double>> WeightedValues() const;

  // {"k", "n", "min", "max", "seed", "levels": [[...], ...]}; FromJson validates the shape.
  nlohmann::json ToJson() const;
  static Result<KllSketch> FromJson(const nlohmann::json& json);

 private:
  uint32_t Capacity(size_t level) const;
  size_t TotalCapacity() const;
  void Compress();
  bool NextBit();

  uint32_t k_;
  uint64_t n_ = 0;
  double min_, max_;
  uint64_t seed_;
  std::vector<std::vector<double>> levels_;
};

}  // namespace plinth::monitoring

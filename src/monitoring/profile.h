#pragma once
// Column profiles: what a window of data looks like, in memory bounded by the options rather
// than by the number of rows, and mergeable, so that the profiles of two windows combine into
// the profile of their union (monitor reports, baselines built from captured traffic).
//
// - NumericProfile: count, missing, min, max, mean and standard deviation (Welford's update per
//   value; Chan's parallel formula to merge), quantiles from a KLL sketch (kll_sketch.h, rank
//   error about 1.33% at the default k = 200), and a histogram: exact counts over fixed edges
//   when the options give edges (e.g. a baseline's), else equal-width bins over [min, max]
//   estimated from the sketch.
// - CategoricalProfile: counts per value, exact while at most `capacity` distinct values have
//   been seen; beyond that a Misra-Gries summary (at most `capacity` counters) keeps the heaviest
//   values, each reported count at most error_bound() below the true count, and
//   error_bound() <= count() / (capacity / 2 + 1). TopK answers from it.
// - TableProfile: one profile per column of a Table; merges column by column.
//
// Missing values (non-finite numbers, code -1) are counted, never sketched. Profiles are values
// (copyable); thread-compatible. ToJson/FromJson round-trip them for storage.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "monitoring/kll_sketch.h"
#include "monitoring/table.h"

namespace plinth::monitoring {

struct NumericProfileOptions {
  uint32_t sketch_k = KllSketch::kDefaultK;
  // Fixed histogram edges, strictly increasing. Bins are (-inf, e0), [e0, e1), ...,
  // [e_last, +inf): edges.size() + 1 of them, counted exactly. Empty: the histogram is estimated
  // from the sketch (see NumericProfile::Histogram).
  std::vector<double> histogram_edges;
};

struct HistogramBin {
  double lower = 0;  // -inf for the first fixed-edge bin
  double upper = 0;  // +inf for the last fixed-edge bin
  double count = 0;  // exact with fixed edges, else estimated
};

class NumericProfile {
 public:
  explicit NumericProfile(NumericProfileOptions options = {});

  // InvalidArgument if the histogram edges are not finite and strictly increasing.
  static Result<NumericProfile> Create(NumericProfileOptions options);

  void Add(double value);  // non-finite: missing
  void AddAll(std::span<const double> values);
  void AddAll(std::span<const float> values);

  // Adds `other` into this profile. InvalidArgument when the sketch k or the fixed histogram
  // edges differ.
  Status Merge(const NumericProfile& other);

  uint64_t count() const { return count_; }      // present values
  uint64_t missing() const { return missing_; }  // non-finite values
  uint64_t rows() const { return count_ + missing_; }
  // Over present values; 0 when there are none (check count()).
  double min() const { return count_ ? sketch_.min() : 0; }
  double max() const { return count_ ? sketch_.max() : 0; }
  double mean() const { return mean_; }
  double variance() const;  // population variance (ddof = 0)
  double std() const;       // population standard deviation, as numpy's np.std

  // Approximate quantile from the sketch; NaN when count() == 0.
  double Quantile(double q) const;
  const KllSketch& sketch() const { return sketch_; }
  const NumericProfileOptions& options() const { return options_; }

  // With fixed edges: their exact bins. Otherwise `bins` (>= 1) equal-width bins over
  // [min, max], counts estimated from the sketch's ranks (they add up to count()); one bin when
  // min == max; none when count() == 0.
  std::vector<HistogramBin> Histogram(int bins = 20) const;

  nlohmann::json ToJson() const;
  static Result<NumericProfile> FromJson(const nlohmann::json& json);

 private:
  NumericProfileOptions options_;
  uint64_t count_ = 0, missing_ = 0;
  double mean_ = 0, m2_ = 0;
  KllSketch sketch_;
  std::vector<uint64_t> fixed_counts_;  // histogram_edges.size() + 1 when edges are given
};

struct CategoryCount {
  std::string value;
  uint64_t count = 0;
};

struct CategoricalProfileOptions {
  uint32_t capacity = 1024;  // counters kept at most (>= 1)
};

class CategoricalProfile {
 public:
  explicit CategoricalProfile(CategoricalProfileOptions options = {});

  void Add(std::string_view value, uint64_t times = 1);  // an empty value is missing
  void AddMissing(uint64_t times = 1) { missing_ += times; }
  // Adds a categorical column's values (a numeric column's values as their shortest text).
  void AddColumn(const Column& column);

  // InvalidArgument when the capacities differ.
  Status Merge(const CategoricalProfile& other);

  uint64_t count() const { return count_; }  // present values
  uint64_t missing() const { return missing_; }
  // True while every count is exact (no more than `capacity` distinct values seen).
  bool exact() const { return error_ == 0; }
  // Each count may be this much below the true count (0 when exact).
  uint64_t error_bound() const { return error_; }
  // Distinct values currently tracked (all of them when exact()).
  size_t tracked() const { return counts_.size(); }

  // The k most frequent values, by count descending then value ascending.
  std::vector<CategoryCount> TopK(size_t k) const;

  nlohmann::json ToJson() const;
  static Result<CategoricalProfile> FromJson(const nlohmann::json& json);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Misra-Gries reduction to capacity/2 counters (see profile.cc).
  void Reduce();

  CategoricalProfileOptions options_;
  uint64_t count_ = 0, missing_ = 0, error_ = 0;
  std::unordered_map<std::string, uint64_t, Hash, std::equal_to<>> counts_;
};

struct ProfileOptions {
  NumericProfileOptions numeric;
  CategoricalProfileOptions categorical;
};

struct ColumnProfile {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  std::optional<NumericProfile> numeric;          // set for numeric columns
  std::optional<CategoricalProfile> categorical;  // set for categorical columns
};

class TableProfile {
 public:
  static TableProfile FromTable(const Table& table, const ProfileOptions& options = {});

  // Merges column by column, matched by name. InvalidArgument when the column names or types
  // differ, or a column's profiles cannot merge.
  Status Merge(const TableProfile& other);

  const std::vector<ColumnProfile>& columns() const { return columns_; }
  const ColumnProfile* Find(std::string_view name) const;
  uint64_t rows() const { return rows_; }

  nlohmann::json ToJson() const;
  static Result<TableProfile> FromJson(const nlohmann::json& json);

 private:
  uint64_t rows_ = 0;
  std::vector<ColumnProfile> columns_;
};

}  // namespace plinth::monitoring

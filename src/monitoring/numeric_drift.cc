#include "monitoring/numeric_drift.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <thread>

#include "monitoring/distributions.h"
#include "monitoring/divergences.h"

namespace plinth::monitoring {

namespace {

constexpr uint32_t kNoSlot = std::numeric_limits<uint32_t>::max();
constexpr uint8_t kNeedKs = 1;   // may hold the KS maximum
constexpr uint8_t kNeedW = 2;    // F - G changes sign inside
constexpr uint8_t kNeedRef = 4;  // holds a reference order statistic of a quantile edge
constexpr uint8_t kNeedCur = 8;  // holds a bin edge (current sample)
constexpr uint32_t kMinBuckets = 64;
constexpr uint32_t kMaxBuckets = 65536;
constexpr size_t kBlock = 2048;

template <typename T>
bool Finite(T x) {
  return std::isfinite(x);
}

// Two doubles in one SSE register (GCC vector extension): the summary kernel keeps four
// independent accumulators so that it runs at load speed instead of add latency.
typedef double Double2 __attribute__((vector_size(16)));

// Running (count, mean, m2, min, max), merged block by block (Chan et al.'s parallel formula).
// Long double keeps m2 finite even for values near the double range (1e308 squared).
struct Moments {
  uint64_t n = 0;
  long double mean = 0, m2 = 0;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();

  void MergeBlock(uint64_t count, long double block_mean, long double block_m2) {
    const uint64_t total = n + count;
    const long double delta = block_mean - mean;
    mean += delta * static_cast<long double>(count) / static_cast<long double>(total);
    m2 += block_m2 + delta * delta * static_cast<long double>(n) *
                         static_cast<long double>(count) / static_cast<long double>(total);
    n = total;
  }
};

// Magnitudes below this cannot overflow a block's double sums or squares.
constexpr double kSafeMagnitude = 1e150;

// One block that may hold missing values or huge magnitudes, in long double.
template <typename T>
void SummarizeBlockChecked(const T* v, size_t size, Moments* m) {
  long double sum = 0;
  uint64_t count = 0;
  for (size_t i = 0; i < size; ++i) {
    const double x = static_cast<double>(v[i]);
    if (!Finite(x)) continue;
    sum += x;
    ++count;
    m->lo = x < m->lo ? x : m->lo;
    m->hi = x > m->hi ? x : m->hi;
  }
  if (count == 0) return;
  const long double block_mean = sum / static_cast<long double>(count);
  long double block_m2 = 0;
  for (size_t i = 0; i < size; ++i) {
    const double x = static_cast<double>(v[i]);
    if (!Finite(x)) continue;
    block_m2 += (x - block_mean) * (x - block_mean);
  }
  m->MergeBlock(count, block_mean, block_m2);
}

// One block in double, four lanes at a time; false (and nothing merged) if it holds a missing
// value or a magnitude that could overflow.
template <typename T>
bool SummarizeBlockFast(const T* v, size_t size, Moments* m) {
  const size_t whole = size & ~size_t{3};
  Double2 s0 = {0, 0}, s1 = {0, 0};
  const double inf = std::numeric_limits<double>::infinity();
  Double2 lo0 = {inf, inf}, lo1 = lo0, hi0 = {-inf, -inf}, hi1 = hi0;
  Double2 bad = {0, 0};  // x - x is 0 for finite x and NaN otherwise
  for (size_t i = 0; i < whole; i += 4) {
    const Double2 a = {static_cast<double>(v[i]), static_cast<double>(v[i + 1])};
    const Double2 b = {static_cast<double>(v[i + 2]), static_cast<double>(v[i + 3])};
    bad += (a - a) + (b - b);
    s0 += a;
    s1 += b;
    lo0 = a < lo0 ? a : lo0;
    lo1 = b < lo1 ? b : lo1;
    hi0 = a > hi0 ? a : hi0;
    hi1 = b > hi1 ? b : hi1;
  }
  double sum = (s0[0] + s0[1]) + (s1[0] + s1[1]);
  double lo = std::min(std::min(lo0[0], lo0[1]), std::min(lo1[0], lo1[1]));
  double hi = std::max(std::max(hi0[0], hi0[1]), std::max(hi1[0], hi1[1]));
  double tail_bad = 0;
  for (size_t i = whole; i < size; ++i) {
    const double x = static_cast<double>(v[i]);
    tail_bad += x - x;
    sum += x;
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
  }
  const bool clean = bad[0] == 0 && bad[1] == 0 && tail_bad == 0;  // NaN compares false
  if (!clean || !(std::max(-lo, hi) < kSafeMagnitude)) return false;
  const double block_mean = sum / static_cast<double>(size);
  const Double2 mean2 = {block_mean, block_mean};
  Double2 q0 = {0, 0}, q1 = {0, 0};
  for (size_t i = 0; i < whole; i += 4) {
    const Double2 a = Double2{static_cast<double>(v[i]), static_cast<double>(v[i + 1])} - mean2;
    const Double2 b =
        Double2{static_cast<double>(v[i + 2]), static_cast<double>(v[i + 3])} - mean2;
    q0 += a * a;
    q1 += b * b;
  }
  double block_m2 = (q0[0] + q0[1]) + (q1[0] + q1[1]);
  for (size_t i = whole; i < size; ++i) {
    const double d = static_cast<double>(v[i]) - block_mean;
    block_m2 += d * d;
  }
  m->lo = std::min(m->lo, lo);
  m->hi = std::max(m->hi, hi);
  m->MergeBlock(size, block_mean, block_m2);
  return true;
}

template <typename T>
SampleSummary SummarizeImpl(std::span<const T> values) {
  Moments m;
  for (size_t start = 0; start < values.size(); start += kBlock) {
    const size_t size = std::min(values.size() - start, kBlock);
    if (!SummarizeBlockFast(values.data() + start, size, &m)) {
      SummarizeBlockChecked(values.data() + start, size, &m);
    }
  }
  SampleSummary summary;
  summary.rows = values.size();
  summary.count = m.n;
  summary.missing = summary.rows - m.n;
  if (m.n > 0) {
    summary.min = m.lo;
    summary.max = m.hi;
    summary.mean = static_cast<double>(m.mean);
    summary.std = m.n > 1 ? static_cast<double>(std::sqrt(std::max(m.m2, 0.0L) /
                                                          static_cast<long double>(m.n)))
                          : 0.0;
  }
  return summary;
}

// Equal-width buckets over [lo, hi]: a monotone map from values to bucket indexes (x <= y implies
// Bucket(x) <= Bucket(y)), which is all the algorithms below rely on. `Offset` is the position
// within the bucket in bucket widths, [0, 1] up to rounding.
struct Buckets {
  double lo = 0;
  double scale = 0;  // buckets per unit; 0 puts every value in bucket 0
  double top = 0;    // count - 1, as a double
  uint32_t count = 1;

  uint32_t Of(double x) const {  // any x, clamped into range
    double t = (x - lo) * scale;
    t = t > 0 ? t : 0;
    t = t < top ? t : top;
    return static_cast<uint32_t>(t);
  }
};

// Per-thread scratch, sized for the largest bucket count and reused across columns.
struct Workspace {
  std::vector<uint32_t> count[2];
  std::vector<double> offset[2];  // sum over the bucket's values of their position in buckets
  std::vector<uint64_t> prefix[2];
  std::vector<uint32_t> slot[2];  // after gathering: one past the bucket's last gathered value
  std::vector<double> gathered[2];
  std::vector<uint8_t> need;
  std::vector<uint64_t> wanted;  // bitmap of the buckets being gathered
  std::vector<uint32_t> sort_keys, sort_starts;  // SortRun's scratch
  std::vector<double> sort_scratch;

  // Zeroes what is accumulated; prefix and slot are written in full before being read.
  void Reset(uint32_t buckets) {
    for (int s = 0; s < 2; ++s) {
      count[s].assign(buckets, 0);
      offset[s].assign(buckets, 0.0);
      prefix[s].resize(buckets + 1);
      slot[s].resize(buckets);
    }
    need.assign(buckets, 0);
    wanted.assign((buckets + 63) / 64, 0);
  }
};

template <typename T, bool kCheckFinite, bool kOffsets>
void CountPass(std::span<const T> values, const Buckets& buckets, uint32_t* count,
               double* offset) {
  const double lo = buckets.lo, scale = buckets.scale, top = buckets.top;
  for (const T raw : values) {
    const double x = static_cast<double>(raw);
    if (kCheckFinite && !Finite(x)) continue;
    const double t = (x - lo) * scale;
    const double clamped = t < top ? t : top;
    const uint32_t b = static_cast<uint32_t>(clamped);
    ++count[b];
    if (kOffsets) offset[b] += t;
  }
}

// Copies the values of the buckets set in `wanted` (a bitmap, small enough for L1) to
// out[slot[b]++]. Suits a few wanted values: the test is a well-predicted branch.
template <typename T, bool kCheckFinite>
void GatherSparse(std::span<const T> values, const Buckets& buckets, const uint64_t* wanted,
                  uint32_t* slot, double* out) {
  const double lo = buckets.lo, scale = buckets.scale, top = buckets.top;
  for (const T raw : values) {
    const double x = static_cast<double>(raw);
    if (kCheckFinite && !Finite(x)) continue;
    const double t = (x - lo) * scale;
    const uint32_t b = static_cast<uint32_t>(t < top ? t : top);
    if ((wanted[b >> 6] >> (b & 63)) & 1) out[slot[b]++] = x;
  }
}

// The same without a branch, for when many values are wanted: unwanted buckets' slot is
// `dummy`, a spare cell at the end of `out` that is written and never advanced. (A wanted
// bucket's slot reaches `dummy` only after its last value.)
template <typename T, bool kCheckFinite>
void GatherDense(std::span<const T> values, const Buckets& buckets, uint32_t dummy,
                 uint32_t* slot, double* out) {
  const double lo = buckets.lo, scale = buckets.scale, top = buckets.top;
  for (const T raw : values) {
    const double x = static_cast<double>(raw);
    if (kCheckFinite && !Finite(x)) continue;
    const double t = (x - lo) * scale;
    const uint32_t b = static_cast<uint32_t>(t < top ? t : top);
    const uint32_t s = slot[b];
    out[s] = x;
    slot[b] = s + (s != dummy ? 1 : 0);
  }
}

std::string EmptySampleMessage(const char* which, const SampleSummary& summary) {
  if (summary.rows == 0) return std::string("the ") + which + " sample is empty";
  return std::string("the ") + which + " sample has no values: all " +
         std::to_string(summary.rows) + " are missing";
}

Status CheckOptions(const NumericDriftOptions& options) {
  if (options.bins < 2 || options.bins > 10000) {
    return InvalidArgument("bins must be between 2 and 10000, not " + std::to_string(options.bins));
  }
  if (!(options.psi_epsilon > 0 && options.psi_epsilon < 1)) {
    return InvalidArgument("the PSI epsilon must be in (0, 1)");
  }
  if (!(options.js_base > 1) || !std::isfinite(options.js_base)) {
    return InvalidArgument("the JS log base must be a finite number above 1");
  }
  if (!(options.wasserstein_norm_floor > 0) || !std::isfinite(options.wasserstein_norm_floor)) {
    return InvalidArgument("the Wasserstein norm floor must be a positive number");
  }
  return Status::Ok();
}

template <typename T>
class Comparison {
 public:
  Comparison(std::span<const T> reference, std::span<const T> current,
             const NumericDriftOptions& options, Workspace& ws)
      : values_{reference, current}, options_(options), ws_(ws) {}

  Result<NumericDrift> Run() {
    RETURN_IF_ERROR(CheckOptions(options_));
    NumericDrift result;
    result.reference = SummarizeImpl(values_[0]);
    result.current = SummarizeImpl(values_[1]);
    if (result.reference.count == 0) {
      return FailedPrecondition(EmptySampleMessage("reference", result.reference));
    }
    if (result.current.count == 0) {
      return FailedPrecondition(EmptySampleMessage("current", result.current));
    }
    const uint64_t limit = std::numeric_limits<uint32_t>::max() - 1;
    if (result.reference.count > limit || result.current.count > limit) {
      return InvalidArgument("a sample may hold at most 4,294,967,294 values");
    }
    const NumericTests& tests = options_.tests;
    const bool binned = tests.psi || tests.jensen_shannon;
    if (!tests.ks && !binned && !tests.wasserstein) return result;

    n_[0] = result.reference.count;
    n_[1] = result.current.count;
    has_missing_[0] = result.reference.missing > 0;
    has_missing_[1] = result.current.missing > 0;
    lo_ = std::min(result.reference.min, result.current.min);
    hi_ = std::max(result.reference.max, result.current.max);
    range_ = hi_ - lo_;
    ChooseBuckets();
    ws_.Reset(buckets_.count);

    for (int s = 0; s < 2; ++s) Count(s, tests.wasserstein);
    for (int s = 0; s < 2; ++s) {
      uint64_t running = 0;
      for (uint32_t b = 0; b < buckets_.count; ++b) {
        ws_.prefix[s][b] = running;
        running += ws_.count[s][b];
      }
      ws_.prefix[s][buckets_.count] = running;
    }

    double ks_lower_bound = 0;
    if (tests.ks) ks_lower_bound = MarkKsBuckets();
    if (tests.wasserstein) MarkSignChanges();
    if (binned) MarkQuantileRanks();

    Gather(0, kNeedKs | kNeedW | kNeedRef);
    if (binned) ComputeEdges();
    Gather(1, kNeedKs | kNeedW | kNeedCur);

    if (tests.ks) {
      KsResult ks;
      ks.statistic = KsStatistic(ks_lower_bound);
      ks.effective_n = KsEffectiveSampleSize(n_[0], n_[1]);
      ks.p_value = KsTwoSampleAsymptoticPValue(n_[0], n_[1], ks.statistic);
      result.ks = ks;
    }
    if (tests.wasserstein) {
      WassersteinResult w;
      w.distance = Wasserstein();
      w.normed = w.distance / std::max(result.reference.std, options_.wasserstein_norm_floor);
      result.wasserstein = w;
    }
    if (binned) {
      BinCounts(&result);
      if (tests.psi) {
        result.psi = PopulationStabilityIndex(result.reference_bin_counts,
                                              result.current_bin_counts, options_.psi_epsilon);
      }
      if (tests.jensen_shannon) {
        result.jensen_shannon = JensenShannonDistanceOfCounts(
            result.reference_bin_counts, result.current_bin_counts, options_.js_base);
      }
    }
    return result;
  }

 private:
  void ChooseBuckets() {
    buckets_ = Buckets{};
    if (!(range_ > 0) || !std::isfinite(range_)) return;  // one bucket: everything is sorted
    const uint64_t target = (n_[0] + n_[1]) / 32;
    const uint32_t count = static_cast<uint32_t>(
        std::bit_ceil(std::clamp<uint64_t>(target, kMinBuckets, kMaxBuckets)));
    const double scale = static_cast<double>(count) / range_;
    if (!std::isfinite(scale) || !(scale > 0)) return;
    buckets_.lo = lo_;
    buckets_.scale = scale;
    buckets_.count = count;
    buckets_.top = static_cast<double>(count - 1);
    width_ = range_ / static_cast<double>(count);
  }

  void Count(int s, bool offsets) {
    uint32_t* count = ws_.count[s].data();
    double* offset = ws_.offset[s].data();
    if (has_missing_[s]) {
      if (offsets) {
        CountPass<T, true, true>(values_[s], buckets_, count, offset);
      } else {
        CountPass<T, true, false>(values_[s], buckets_, count, offset);
      }
    } else if (offsets) {
      CountPass<T, false, true>(values_[s], buckets_, count, offset);
    } else {
      CountPass<T, false, false>(values_[s], buckets_, count, offset);
    }
  }

  double Share(int s, uint64_t i) const {
    return static_cast<double>(i) / static_cast<double>(n_[s]);
  }

  // The KS gap at the end of every non-empty bucket is attained; a bucket whose largest possible
  // gap exceeds the best of those must be looked at value by value.
  double MarkKsBuckets() {
    const auto& p0 = ws_.prefix[0];
    const auto& p1 = ws_.prefix[1];
    double lower_bound = 0;
    for (uint32_t b = 0; b < buckets_.count; ++b) {
      if (ws_.count[0][b] + ws_.count[1][b] == 0) continue;
      lower_bound = std::max(lower_bound, std::abs(Share(0, p0[b + 1]) - Share(1, p1[b + 1])));
    }
    for (uint32_t b = 0; b < buckets_.count; ++b) {
      if (ws_.count[0][b] + ws_.count[1][b] == 0) continue;
      const double upper = std::max(Share(0, p0[b + 1]) - Share(1, p1[b]),
                                    Share(1, p1[b + 1]) - Share(0, p0[b]));
      if (upper > lower_bound) ws_.need[b] |= kNeedKs;
    }
    return lower_bound;
  }

  void MarkSignChanges() {
    const auto& p0 = ws_.prefix[0];
    const auto& p1 = ws_.prefix[1];
    for (uint32_t b = 0; b < buckets_.count; ++b) {
      const double lowest = Share(0, p0[b]) - Share(1, p1[b + 1]);
      const double highest = Share(0, p0[b + 1]) - Share(1, p1[b]);
      if (buckets_.count == 1 || (lowest < 0 && highest > 0)) ws_.need[b] |= kNeedW;
    }
  }

  uint32_t BucketOfRank(int s, uint64_t rank) const {
    const auto& p = ws_.prefix[s];
    auto it = std::upper_bound(p.begin(), p.end(), rank);
    return static_cast<uint32_t>(it - p.begin() - 1);
  }

  // numpy's linear quantile at i/bins: ranks floor(v) and floor(v)+1 of v = (n-1) q, weight
  // v - floor(v).
  void MarkQuantileRanks() {
    const int bins = options_.bins;
    const double step = 1.0 / bins;
    const uint64_t n = n_[0];
    quantiles_.clear();
    for (int i = 1; i < bins; ++i) {
      const double q = static_cast<double>(i) * step;
      const double virtual_index = static_cast<double>(n - 1) * q;
      Quantile quantile;
      if (virtual_index >= static_cast<double>(n - 1)) {
        quantile.previous = quantile.next = n - 1;
        quantile.gamma = 0;
      } else {
        const double floor_index = std::floor(virtual_index);
        quantile.previous = static_cast<uint64_t>(floor_index);
        quantile.next = quantile.previous + 1;
        quantile.gamma = virtual_index - floor_index;
      }
      ws_.need[BucketOfRank(0, quantile.previous)] |= kNeedRef;
      ws_.need[BucketOfRank(0, quantile.next)] |= kNeedRef;
      quantiles_.push_back(quantile);
    }
  }

  // Copies the values of the buckets flagged in `mask` into per-bucket runs, each sorted.
  void Gather(int s, uint8_t mask) {
    const auto& count = ws_.count[s];
    auto& slot = ws_.slot[s];
    auto& wanted = ws_.wanted;
    std::fill(wanted.begin(), wanted.end(), 0);
    uint64_t total = 0;
    for (uint32_t b = 0; b < buckets_.count; ++b) {
      if ((ws_.need[b] & mask) && count[b] > 0) {
        slot[b] = static_cast<uint32_t>(total);
        total += count[b];
        wanted[b >> 6] |= uint64_t{1} << (b & 63);
      } else {
        slot[b] = kNoSlot;
      }
    }
    auto& out = ws_.gathered[s];
    out.resize(total + 1);  // + the dense gather's spare cell
    if (total == 0) return;
    if (total * 16 < n_[s]) {
      if (has_missing_[s]) {
        GatherSparse<T, true>(values_[s], buckets_, wanted.data(), slot.data(), out.data());
      } else {
        GatherSparse<T, false>(values_[s], buckets_, wanted.data(), slot.data(), out.data());
      }
    } else {
      const uint32_t dummy = static_cast<uint32_t>(total);
      for (uint32_t& cell : slot) {
        if (cell == kNoSlot) cell = dummy;
      }
      if (has_missing_[s]) {
        GatherDense<T, true>(values_[s], buckets_, dummy, slot.data(), out.data());
      } else {
        GatherDense<T, false>(values_[s], buckets_, dummy, slot.data(), out.data());
      }
      for (uint32_t b = 0; b < buckets_.count; ++b) {
        if (!((wanted[b >> 6] >> (b & 63)) & 1)) slot[b] = kNoSlot;
      }
    }
    for (uint32_t b = 0; b < buckets_.count; ++b) {
      if (slot[b] == kNoSlot) continue;
      SortRun(out.data() + (slot[b] - count[b]), count[b], b);
    }
  }

  // Sorts the values of bucket b. Ties often fill a bucket with one value: nothing to do then.
  // Otherwise the values are spread evenly enough inside the bucket that a counting sort on
  // their position (one sub-bucket per value) followed by insertion sort beats comparison
  // sorting; sub-buckets that still hold many values fall back to std::sort.
  void SortRun(double* first, uint32_t n, uint32_t b) {
    if (std::is_sorted(first, first + n)) return;
    if (n <= 32 || buckets_.count == 1) {
      std::sort(first, first + n);
      return;
    }
    auto& keys = ws_.sort_keys;
    auto& starts = ws_.sort_starts;
    auto& scratch = ws_.sort_scratch;
    keys.resize(n);
    starts.assign(n + 1, 0);
    scratch.resize(n);
    const double base = static_cast<double>(b), parts = static_cast<double>(n);
    const double top = parts - 1;
    for (uint32_t i = 0; i < n; ++i) {
      double k = ((first[i] - buckets_.lo) * buckets_.scale - base) * parts;
      k = k > 0 ? k : 0;
      k = k < top ? k : top;
      keys[i] = static_cast<uint32_t>(k);
      ++starts[keys[i] + 1];
    }
    for (uint32_t k = 0; k < n; ++k) starts[k + 1] += starts[k];
    for (uint32_t i = 0; i < n; ++i) scratch[starts[keys[i]]++] = first[i];
    // starts[k] is now the end of sub-bucket k.
    uint32_t begin = 0;
    for (uint32_t k = 0; k < n; ++k) {
      const uint32_t end = starts[k];
      if (end - begin > 16) {
        std::sort(scratch.begin() + begin, scratch.begin() + end);
      } else {
        for (uint32_t i = begin + 1; i < end; ++i) {
          const double v = scratch[i];
          uint32_t j = i;
          for (; j > begin && scratch[j - 1] > v; --j) scratch[j] = scratch[j - 1];
          scratch[j] = v;
        }
      }
      begin = end;
    }
    std::copy(scratch.begin(), scratch.begin() + n, first);
  }

  // The sorted values of bucket b in sample s, or an empty span when it was not gathered.
  std::span<const double> Run(int s, uint32_t b) const {
    const uint32_t end = ws_.slot[s][b];
    if (end == kNoSlot) return {};
    const uint32_t n = ws_.count[s][b];
    return std::span<const double>(ws_.gathered[s].data() + (end - n), n);
  }

  double ReferenceValueAtRank(uint64_t rank) const {
    const uint32_t b = BucketOfRank(0, rank);
    return Run(0, b)[rank - ws_.prefix[0][b]];
  }

  void ComputeEdges() {
    edges_.clear();
    for (const Quantile& q : quantiles_) {
      const double a = ReferenceValueAtRank(q.previous);
      const double b = ReferenceValueAtRank(q.next);
      const double diff = b - a;
      double edge;
      if (!std::isfinite(diff)) {
        edge = q.gamma < 0.5 ? a : b;
      } else if (q.gamma >= 0.5) {
        edge = b - diff * (1 - q.gamma);  // numpy's _lerp, from the nearer end
      } else {
        edge = a + diff * q.gamma;
      }
      edges_.push_back(edge);
      ws_.need[buckets_.Of(edge)] |= kNeedCur;
    }
  }

  // How many values of sample s lie below `edge`.
  uint64_t CountBelow(int s, double edge) const {
    const uint32_t b = buckets_.Of(edge);
    uint64_t below = ws_.prefix[s][b];
    if (ws_.count[s][b] == 0) return below;
    std::span<const double> run = Run(s, b);
    if (!run.empty()) {
      return below + static_cast<uint64_t>(std::lower_bound(run.begin(), run.end(), edge) -
                                           run.begin());
    }
    // Not gathered (only possible when rounding put the edge past its order statistics): count.
    for (const T raw : values_[s]) {
      const double x = static_cast<double>(raw);
      if (Finite(x) && x < edge && buckets_.Of(x) == b) ++below;
    }
    return below;
  }

  void BinCounts(NumericDrift* result) const {
    const size_t bins = static_cast<size_t>(options_.bins);
    result->bin_edges = edges_;
    for (int s = 0; s < 2; ++s) {
      std::vector<uint64_t> counts(bins, 0);
      uint64_t previous = 0;
      for (size_t i = 0; i + 1 < bins; ++i) {
        const uint64_t below = CountBelow(s, edges_[i]);
        counts[i] = below - previous;
        previous = below;
      }
      counts[bins - 1] = n_[s] - previous;
      (s == 0 ? result->reference_bin_counts : result->current_bin_counts) = std::move(counts);
    }
  }

  double KsStatistic(double lower_bound) const {
    double d = lower_bound;
    for (uint32_t b = 0; b < buckets_.count; ++b) {
      if (!(ws_.need[b] & kNeedKs)) continue;
      std::span<const double> r = Run(0, b), c = Run(1, b);
      uint64_t i = ws_.prefix[0][b], j = ws_.prefix[1][b];
      size_t a = 0, k = 0;
      while (a < r.size() || k < c.size()) {
        const double v = (k >= c.size() || (a < r.size() && r[a] <= c[k])) ? r[a] : c[k];
        while (a < r.size() && r[a] == v) {
          ++a;
          ++i;
        }
        while (k < c.size() && c[k] == v) {
          ++k;
          ++j;
        }
        d = std::max(d, std::abs(Share(0, i) - Share(1, j)));
      }
    }
    return d;
  }

  // Left edge of bucket b (b == count: the right edge of the last).
  double Edge(uint32_t b) const {
    if (b == 0) return lo_;
    if (b >= buckets_.count) return hi_;
    return lo_ + static_cast<double>(b) * width_;
  }

  double Wasserstein() const {
    double total = 0;
    for (uint32_t b = 0; b < buckets_.count; ++b) {
      const uint64_t i0 = ws_.prefix[0][b], j0 = ws_.prefix[1][b];
      if (ws_.need[b] & kNeedW) {
        std::span<const double> r = Run(0, b), c = Run(1, b);
        uint64_t i = i0, j = j0;
        size_t a = 0, k = 0;
        double previous = Edge(b);
        while (a < r.size() || k < c.size()) {
          const bool take_reference = k >= c.size() || (a < r.size() && r[a] <= c[k]);
          const double v = take_reference ? r[a] : c[k];
          if (v > previous) {
            const double diff = Share(0, i) - Share(1, j);
            if (diff != 0) total += std::abs(diff) * (v - previous);
            previous = v;
          }
          if (take_reference) {
            ++a;
            ++i;
          } else {
            ++k;
            ++j;
          }
        }
        const double end = Edge(b + 1);
        const double diff = Share(0, i) - Share(1, j);
        if (end > previous && diff != 0) total += std::abs(diff) * (end - previous);
        continue;
      }
      // F - G keeps one sign over the bucket: its area follows from the counts and offsets.
      const uint32_t c0 = ws_.count[0][b], c1 = ws_.count[1][b];
      const double length = Edge(b + 1) - Edge(b);
      const double d0 = Share(0, i0) - Share(1, j0);
      double area = d0 * length;
      // A value at position t (in bucket widths from lo) adds (Edge(b+1) - x) / n to the area
      // of its sample's CDF over the bucket; t - b is its offset inside the bucket.
      const double base = static_cast<double>(b);
      if (c0 > 0) {
        const double inside = ws_.offset[0][b] - static_cast<double>(c0) * base;
        area += (static_cast<double>(c0) * length - width_ * inside) / static_cast<double>(n_[0]);
      }
      if (c1 > 0) {
        const double inside = ws_.offset[1][b] - static_cast<double>(c1) * base;
        area -= (static_cast<double>(c1) * length - width_ * inside) / static_cast<double>(n_[1]);
      }
      total += std::abs(area);
    }
    return total;
  }

  struct Quantile {
    uint64_t previous = 0, next = 0;
    double gamma = 0;
  };

  std::span<const T> values_[2];
  const NumericDriftOptions& options_;
  Workspace& ws_;
  uint64_t n_[2] = {0, 0};
  bool has_missing_[2] = {false, false};
  double lo_ = 0, hi_ = 0, range_ = 0, width_ = 0;
  Buckets buckets_;
  std::vector<Quantile> quantiles_;
  std::vector<double> edges_;
};

// ParallelFor that also tells fn which worker (0 .. workers-1) runs it.
size_t WorkerCount(size_t n, int threads) {
  size_t workers = threads > 0 ? static_cast<size_t>(threads)
                               : std::max<size_t>(1, std::thread::hardware_concurrency());
  return std::max<size_t>(1, std::min(workers, n));
}

void ParallelForWorkers(size_t n, size_t workers,
                        const std::function<void(size_t worker, size_t i)>& fn) {
  if (n == 0) return;
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i) fn(0, i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&](size_t worker) {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(worker, i);
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (std::thread& t : pool) t.join();
}

template <typename T>
std::vector<Result<NumericDrift>> CompareColumnsImpl(std::span<const NumericPair<T>> pairs,
                                                     const NumericDriftOptions& options,
                                                     int threads) {
  std::vector<Result<NumericDrift>> results(pairs.size(),
                                            Result<NumericDrift>(Internal("not computed")));
  const size_t workers = WorkerCount(pairs.size(), threads);
  std::vector<Workspace> spaces(workers);
  ParallelForWorkers(pairs.size(), workers, [&](size_t worker, size_t i) {
    results[i] = Comparison<T>(pairs[i].reference, pairs[i].current, options, spaces[worker]).Run();
  });
  return results;
}

}  // namespace

SampleSummary Summarize(std::span<const double> values) { return SummarizeImpl(values); }
SampleSummary Summarize(std::span<const float> values) { return SummarizeImpl(values); }

Result<NumericDrift> CompareNumeric(std::span<const double> reference,
                                    std::span<const double> current,
                                    const NumericDriftOptions& options) {
  Workspace ws;
  return Comparison<double>(reference, current, options, ws).Run();
}

Result<NumericDrift> CompareNumeric(std::span<const float> reference,
                                    std::span<const float> current,
                                    const NumericDriftOptions& options) {
  Workspace ws;
  return Comparison<float>(reference, current, options, ws).Run();
}

std::vector<Result<NumericDrift>> CompareNumericColumns(std::span<const NumericPair<double>> pairs,
                                                        const NumericDriftOptions& options,
                                                        int threads) {
  return CompareColumnsImpl(pairs, options, threads);
}

std::vector<Result<NumericDrift>> CompareNumericColumns(std::span<const NumericPair<float>> pairs,
                                                        const NumericDriftOptions& options,
                                                        int threads) {
  return CompareColumnsImpl(pairs, options, threads);
}

void ParallelFor(size_t n, int threads, const std::function<void(size_t)>& fn) {
  ParallelForWorkers(n, WorkerCount(n, threads), [&](size_t, size_t i) { fn(i); });
}

}  // namespace plinth::monitoring

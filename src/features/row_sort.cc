#include "features/row_sort.h"

#include <algorithm>
#include <limits>
#include <string_view>

#include "features/entity_key.h"
#include "features/parallel.h"

namespace plinth::features::internal {

namespace {

struct Coded {
  uint64_t code;
  uint32_t row;
};

// Stable LSD radix sort of `items` by code, 11 bits per pass, over the low `bits` bits.
void RadixSort(BigVector<Coded>* items, unsigned bits) {
  constexpr unsigned kDigit = 11;
  constexpr size_t kBuckets = size_t{1} << kDigit;
  const size_t n = items->size();
  BigVector<Coded> other(n);
  Coded* src = items->data();
  Coded* dst = other.data();
  const unsigned passes = (bits + kDigit - 1) / kDigit;
  std::vector<size_t> counts(kBuckets);
  for (unsigned pass = 0; pass < passes; ++pass) {
    const unsigned shift = pass * kDigit;
    std::fill(counts.begin(), counts.end(), 0);
    for (size_t i = 0; i < n; ++i) ++counts[(src[i].code >> shift) & (kBuckets - 1)];
    size_t sum = 0;
    for (size_t& c : counts) {
      size_t x = c;
      c = sum;
      sum += x;
    }
    for (size_t i = 0; i < n; ++i) dst[counts[(src[i].code >> shift) & (kBuckets - 1)]++] = src[i];
    std::swap(src, dst);
  }
  if (src != items->data()) std::copy(src, src + n, items->data());
}

unsigned BitsOf(uint64_t range) { return range == 0 ? 0 : 64 - __builtin_clzll(range); }

// Fixed-width keys of at most 8 bytes whose prefixes span at most `buckets` values from `pmin`:
// a stable counting sort by prefix (a histogram and a scatter, each split over threads by input
// slice, so rows of one key keep their input order), then each key's rows by (time, row). When
// (time - tmin, row) packs into 64 bits the scatter writes those packed words, so the per-key
// sorts run on contiguous integers; otherwise it writes row numbers and compares times. The
// packed words hold the sorted times too: they become `sorted_times` in place.
void BucketSort(uint32_t* r, size_t n, const RowKeyBytes& keys, const int64_t* times,
                size_t width, uint64_t pmin, size_t buckets, int64_t tmin, unsigned tbits,
                int threads, BigVector<int64_t>* sorted_times) {
  auto bucket = [&](uint32_t row) -> size_t {
    const char* k = keys.Data(row);
    uint64_t p = width == 8 ? LoadBigEndian64(k) : KeyPrefix(std::string_view(k, width));
    return static_cast<size_t>(p - pmin);
  };
  const unsigned rbits = std::max(1u, BitsOf(r[n - 1]));  // rows ascend: the last is the largest
  const bool packed = tbits + rbits <= 64;
  const uint64_t row_mask = rbits == 64 ? ~uint64_t{0} : (uint64_t{1} << rbits) - 1;
  const int t = ThreadsFor(n, threads, 100000);
  std::vector<std::vector<uint32_t>> counts(t, std::vector<uint32_t>(buckets, 0));
  ParallelFor(t, [&](int k) {
    uint32_t* c = counts[k].data();
    for (size_t i = n * k / t, end = n * (k + 1) / t; i < end; ++i) ++c[bucket(r[i])];
  });
  // Bucket b starts at start[b]; slice k of the input writes its rows of b after slice k-1's.
  std::vector<uint32_t> start(buckets + 1);
  uint32_t sum = 0;
  for (size_t b = 0; b < buckets; ++b) {
    start[b] = sum;
    for (int k = 0; k < t; ++k) {
      uint32_t c = counts[k][b];
      counts[k][b] = sum;
      sum += c;
    }
  }
  start[buckets] = sum;
  // The packed words, unsigned, in an int64 array that can become `sorted_times`.
  BigVector<int64_t> item_store(packed ? n : 0);
  uint64_t* const items = reinterpret_cast<uint64_t*>(item_store.data());
  BigVector<uint32_t> scattered(packed ? 0 : n);
  ParallelFor(t, [&](int k) {
    uint32_t* at = counts[k].data();
    for (size_t i = n * k / t, end = n * (k + 1) / t; i < end; ++i) {
      const uint32_t row = r[i];
      const size_t b = bucket(row);
      if (packed) {
        const uint64_t dt = static_cast<uint64_t>(times[row]) - static_cast<uint64_t>(tmin);
        items[at[b]++] = rbits == 64 ? row : (dt << rbits) | row;
      } else {
        scattered[at[b]++] = row;
      }
    }
  });
  // Each thread sorts the keys of its share of the positions.
  auto by_time = [times](uint32_t a, uint32_t b) {
    return times[a] != times[b] ? times[a] < times[b] : a < b;
  };
  ParallelFor(t, [&](int k) {
    const size_t lo_pos = n * k / t, hi_pos = n * (k + 1) / t;
    size_t b = std::upper_bound(start.begin(), start.end(), lo_pos) - start.begin() - 1;
    if (k > 0 && start[b] != lo_pos) ++b;  // a key straddling the cut belongs to the slice before
    for (; b < buckets && start[b] < hi_pos; ++b) {
      const size_t s = start[b], e = start[b + 1];
      if (packed) {
        uint64_t* g = items + s;
        const size_t m = e - s;
        if (m > 32) {
          std::sort(g, g + m);
        } else {
          for (size_t i = 1; i < m; ++i) {
            const uint64_t x = g[i];
            size_t j = i;
            for (; j > 0 && g[j - 1] > x; --j) g[j] = g[j - 1];
            g[j] = x;
          }
        }
        for (size_t i = s; i < e; ++i) {
          r[i] = static_cast<uint32_t>(items[i] & row_mask);
          // rbits < 64 here (n < 2^32): the time is the word's high bits.
          item_store[i] = static_cast<int64_t>(static_cast<uint64_t>(tmin) + (items[i] >> rbits));
        }
      } else {
        std::sort(scattered.data() + s, scattered.data() + e, by_time);
        std::copy(scattered.data() + s, scattered.data() + e, r + s);
      }
    }
  });
  if (packed) *sorted_times = std::move(item_store);
}

// (*sorted)[i] = times[r[i]], by threads over slices.
void GatherTimes(const uint32_t* r, size_t n, const int64_t* times, int threads,
                 BigVector<int64_t>* sorted) {
  sorted->resize(n);
  const int t = ThreadsFor(n, threads, 100000);
  ParallelFor(t, [&](int k) {
    int64_t* out = sorted->data();
    for (size_t i = n * k / t, end = n * (k + 1) / t; i < end; ++i) {
      if (i + 16 < end) __builtin_prefetch(times + r[i + 16]);
      out[i] = times[r[i]];
    }
  });
}

// SortRows; `sorted_times` is filled only when the bucket sort had the times at hand.
void SortRowsBy(BigVector<uint32_t>* rows, const RowKeyBytes& keys, const int64_t* times,
                int threads, BigVector<int64_t>* sorted_times) {
  const size_t n = rows->size();
  if (n < 2) return;
  uint32_t* r = rows->data();
  auto key = [&](uint32_t row) { return std::string_view(keys.Data(row), keys.Size(row)); };
  // Can one 64-bit code order the rows? (Ranges of keys and times, by threads over slices.)
  const size_t width = key(r[0]).size();
  struct Range {
    bool exact = true;
    uint64_t pmin = ~uint64_t{0}, pmax = 0;
    int64_t tmin = std::numeric_limits<int64_t>::max(), tmax = std::numeric_limits<int64_t>::min();
  };
  const int rt = ThreadsFor(n, threads, 200000);
  std::vector<Range> ranges(rt);
  ParallelFor(rt, [&](int k) {
    Range& g = ranges[k];
    g.exact = width <= 8;
    for (size_t i = n * k / rt, end = n * (k + 1) / rt; i < end && g.exact; ++i) {
      const uint32_t row = r[i];
      const size_t len = keys.Size(row);
      g.exact = len == width;
      const uint64_t p = width == 8 ? LoadBigEndian64(keys.Data(row))
                                    : KeyPrefix(std::string_view(keys.Data(row), len));
      g.pmin = std::min(g.pmin, p);
      g.pmax = std::max(g.pmax, p);
      g.tmin = std::min(g.tmin, times[row]);
      g.tmax = std::max(g.tmax, times[row]);
    }
  });
  bool exact = true;
  uint64_t pmin = ~uint64_t{0}, pmax = 0;
  int64_t tmin = std::numeric_limits<int64_t>::max(), tmax = std::numeric_limits<int64_t>::min();
  for (const Range& g : ranges) {
    exact = exact && g.exact;
    pmin = std::min(pmin, g.pmin);
    pmax = std::max(pmax, g.pmax);
    tmin = std::min(tmin, g.tmin);
    tmax = std::max(tmax, g.tmax);
  }
  if (exact) {
    const unsigned tbits = BitsOf(static_cast<uint64_t>(tmax) - static_cast<uint64_t>(tmin));
    if (pmax - pmin < std::max<uint64_t>(2 * n, 1 << 16) && n < (uint64_t{1} << 32)) {
      BucketSort(r, n, keys, times, width, pmin,
                 static_cast<size_t>(pmax - pmin) + 1, tmin, tbits, threads, sorted_times);
      return;
    }
    const unsigned pbits = BitsOf(pmax - pmin);
    if (pbits + tbits <= 64) {
      BigVector<Coded> items(n);
      for (size_t i = 0; i < n; ++i) {
        uint64_t p = KeyPrefix(key(r[i])) - pmin;
        uint64_t t = static_cast<uint64_t>(times[r[i]]) - static_cast<uint64_t>(tmin);
        items[i] = {tbits == 64 ? t : (p << tbits) | t, r[i]};
      }
      RadixSort(&items, pbits + tbits);
      for (size_t i = 0; i < n; ++i) r[i] = items[i].row;
      return;
    }
  }
  auto less = [&](uint32_t a, uint32_t b) {
    int c = CompareKeys(key(a), key(b));
    if (c != 0) return c < 0;
    if (times[a] != times[b]) return times[a] < times[b];
    return a < b;
  };
  const int t = ThreadsFor(n, threads, 100000);
  if (t <= 1) {
    std::sort(r, r + n, less);
    return;
  }
  std::vector<size_t> bounds(t + 1);
  for (int i = 0; i <= t; ++i) bounds[i] = n * i / t;
  ParallelFor(t, [&](int i) { std::sort(r + bounds[i], r + bounds[i + 1], less); });
  for (int i = 1; i < t; ++i) std::inplace_merge(r, r + bounds[i], r + bounds[i + 1], less);
}

}  // namespace

void SortRows(BigVector<uint32_t>* rows, const RowKeyBytes& keys, const int64_t* times,
              int threads, BigVector<int64_t>* sorted_times) {
  sorted_times->clear();
  SortRowsBy(rows, keys, times, threads, sorted_times);
  if (sorted_times->size() != rows->size()) {
    GatherTimes(rows->data(), rows->size(), times, threads, sorted_times);
  }
}

}  // namespace plinth::features::internal

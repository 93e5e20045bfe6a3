#include "features/row_sort.h"

#include <algorithm>
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

}  // namespace

void SortRows(BigVector<uint32_t>* rows, const char* key_bytes, const uint64_t* key_offsets,
              const int64_t* times, int threads) {
  const size_t n = rows->size();
  if (n < 2) return;
  uint32_t* r = rows->data();
  auto key = [&](uint32_t row) {
    return std::string_view(key_bytes + key_offsets[row], key_offsets[row + 1] - key_offsets[row]);
  };
  // Can one 64-bit code order the rows?
  const size_t width = key(r[0]).size();
  bool exact = width <= 8;
  uint64_t pmin = ~uint64_t{0}, pmax = 0;
  int64_t tmin = times[r[0]], tmax = times[r[0]];
  for (size_t i = 0; i < n && exact; ++i) {
    std::string_view k = key(r[i]);
    exact = k.size() == width;
    uint64_t p = KeyPrefix(k);
    pmin = std::min(pmin, p);
    pmax = std::max(pmax, p);
    tmin = std::min(tmin, times[r[i]]);
    tmax = std::max(tmax, times[r[i]]);
  }
  if (exact) {
    const unsigned tbits = BitsOf(static_cast<uint64_t>(tmax) - static_cast<uint64_t>(tmin));
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

}  // namespace plinth::features::internal

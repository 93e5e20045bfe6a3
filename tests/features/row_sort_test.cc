#include "features/row_sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <tuple>

#include "features/entity_key.h"

namespace plinth::features {
namespace {

struct Rows {
  std::string keys;
  std::vector<uint64_t> offsets{0};
  std::vector<int64_t> times;
  void Add(std::string_view key, int64_t t) {
    keys.append(key);
    offsets.push_back(keys.size());
    times.push_back(t);
  }
};

// Checks SortRows against std::stable_sort on (key bytes, time), over every row or over every
// `stride`-th row (the join sorts only the rows that have a key).
void Check(const Rows& rows, int threads, size_t stride = 1) {
  const size_t n = rows.times.size();
  BigVector<uint32_t> got;
  for (size_t i = 0; i < n; i += stride) got.push_back(static_cast<uint32_t>(i));
  // Keys of one width are also sorted as fixed-width keys (no offsets), which must agree.
  size_t width = rows.offsets.size() > 1 ? rows.offsets[1] : 0;
  for (size_t i = 1; i < rows.offsets.size() && width != 0; ++i) {
    if (rows.offsets[i] - rows.offsets[i - 1] != width) width = 0;
  }
  BigVector<uint32_t> fixed = got;
  BigVector<int64_t> got_times, fixed_times;
  internal::SortRows(&got, {rows.keys.data(), rows.offsets.data(), 0}, rows.times.data(), threads,
                     &got_times);
  if (width != 0) {
    internal::SortRows(&fixed, {rows.keys.data(), nullptr, width}, rows.times.data(), threads,
                       &fixed_times);
    ASSERT_EQ(fixed, got);
    ASSERT_EQ(fixed_times, got_times);
  }
  // The sorted times are the sorted rows' times.
  ASSERT_EQ(got_times.size(), got.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got_times[i], rows.times[got[i]]) << i;
  std::vector<uint32_t> want(got.begin(), got.end());
  auto key = [&](uint32_t r) {
    return std::string_view(rows.keys).substr(rows.offsets[r], rows.offsets[r + 1] - rows.offsets[r]);
  };
  std::stable_sort(want.begin(), want.end(), [&](uint32_t a, uint32_t b) {
    int c = CompareKeys(key(a), key(b));
    if (c != 0) return c < 0;
    return rows.times[a] < rows.times[b];
  });
  ASSERT_EQ(std::vector<uint32_t>(got.begin(), got.end()), want);
}

TEST(RowSort, RadixPathKeepsInputOrderForTies) {
  std::mt19937_64 rng(3);
  Rows rows;
  for (int i = 0; i < 300000; ++i) {
    std::string k;
    AppendIntKeyPart(static_cast<int64_t>(rng() % 1000) - 500, &k);
    rows.Add(k, static_cast<int64_t>(rng() % 50));  // many equal (key, time) pairs
  }
  Check(rows, 2);
}

TEST(RowSort, BucketPathOrdersEachKeysRowsByTimeThenRow) {
  std::mt19937_64 rng(6);
  Rows rows;
  for (int i = 0; i < 400000; ++i) {
    std::string k;
    // A few keys with thousands of rows (sorted with std::sort), most with a handful.
    int64_t key = i % 10 == 0 ? static_cast<int64_t>(rng() % 3) : static_cast<int64_t>(rng() % 90000);
    AppendIntKeyPart(key - 45000, &k);
    rows.Add(k, static_cast<int64_t>(rng() % 20) * 1000 - 7000);  // ties and negative times
  }
  Check(rows, 1);
  Check(rows, 2);
  Check(rows, 2, 3);
  // Times spanning 2^62 leave no room to pack the row beside the time: rows are compared.
  for (size_t i = 0; i < rows.times.size(); i += 7) rows.times[i] = int64_t{1} << 62;
  Check(rows, 2);
}

TEST(RowSort, FallsBackWhenTheCodeNeedsMoreThan64Bits) {
  std::mt19937_64 rng(4);
  Rows rows;
  for (int i = 0; i < 200000; ++i) {
    std::string k;
    AppendIntKeyPart(static_cast<int64_t>(rng()), &k);  // the whole int64 range
    rows.Add(k, static_cast<int64_t>(rng() >> 2) - (int64_t{1} << 60));
  }
  for (int i = 0; i < 1000; ++i) rows.Add(std::string(rows.keys.substr(0, 8)), 7);  // ties
  Check(rows, 1);
  Check(rows, 2);
}

TEST(RowSort, SortsKeysOfDifferentLengths) {
  std::mt19937_64 rng(5);
  Rows rows;
  const char* words[] = {"a", "a\0", "ab", "abcdefghij", "abcdefghi", "b", "", "zz"};
  for (int i = 0; i < 150000; ++i) {
    const char* w = words[rng() % 8];
    rows.Add(std::string_view(w, w[0] == 'a' && w[1] == '\0' && (i % 2) ? 2 : std::char_traits<char>::length(w)),
             static_cast<int64_t>(rng() % 100));
  }
  Check(rows, 2);
}

}  // namespace
}  // namespace plinth::features

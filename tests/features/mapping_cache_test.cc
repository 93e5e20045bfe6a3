#include "features/mapping_cache.h"

#include <gtest/gtest.h>

#include <cstring>

#include "features/big_vector.h"

namespace plinth::features::internal {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

TEST(MappingCache, ReusesFreedMappingsAndSplitsLargerOnes) {
  DrainMappingCache();
  char* a = static_cast<char*>(AcquireMapping(8 * kMiB));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % kHugePage, 0u);
  std::memset(a, 7, 8 * kMiB);
  ReleaseMapping(a, 8 * kMiB);
  EXPECT_EQ(CachedMappingBytes(), 8 * kMiB);
  // A smaller request takes the front of the kept mapping, pages and contents as they were.
  char* b = static_cast<char*>(AcquireMapping(2 * kMiB));
  EXPECT_EQ(b, a);
  EXPECT_EQ(b[2 * kMiB - 1], 7);
  EXPECT_EQ(CachedMappingBytes(), 6 * kMiB);
  char* c = static_cast<char*>(AcquireMapping(6 * kMiB));
  EXPECT_EQ(c, a + 2 * kMiB);
  EXPECT_EQ(CachedMappingBytes(), 0u);
  ReleaseMapping(b, 2 * kMiB);
  ReleaseMapping(c, 6 * kMiB);
  EXPECT_EQ(CachedMappingBytes(), 8 * kMiB);
  // The two pieces merged back: one request for all 8 MiB takes them.
  char* whole = static_cast<char*>(AcquireMapping(8 * kMiB));
  EXPECT_EQ(whole, a);
  EXPECT_EQ(CachedMappingBytes(), 0u);
  ReleaseMapping(whole, 8 * kMiB);
  // Nothing kept is large enough: the kept 8 MiB move into the new mapping, pages and contents
  // (their 7s), and the last 2 MiB are fresh (zeros).
  char* d = static_cast<char*>(AcquireMapping(10 * kMiB));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(d) % kHugePage, 0u);
  EXPECT_EQ(CachedMappingBytes(), 0u);
  EXPECT_EQ(d[0], 7);
  EXPECT_EQ(d[8 * kMiB - 1], 7);
  EXPECT_EQ(d[8 * kMiB], 0);
  d[10 * kMiB - 1] = 1;
  ReleaseMapping(d, 10 * kMiB);
  // Two kept ranges of 10 and 4 MiB (apart: 2 MiB held between them) and a 12 MiB request: the
  // 10 MiB range moves in whole, then 2 MiB of the 4 MiB one; 2 MiB stay kept.
  DrainMappingCache();
  char* e = static_cast<char*>(AcquireMapping(16 * kMiB));
  std::memset(e, 1, 10 * kMiB);
  std::memset(e + 12 * kMiB, 2, 4 * kMiB);
  ReleaseMapping(e, 10 * kMiB);
  ReleaseMapping(e + 12 * kMiB, 4 * kMiB);
  EXPECT_EQ(CachedMappingBytes(), 14 * kMiB);
  char* f = static_cast<char*>(AcquireMapping(12 * kMiB));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(CachedMappingBytes(), 2 * kMiB);
  EXPECT_EQ(f[0], 1);
  EXPECT_EQ(f[10 * kMiB - 1], 1);
  EXPECT_EQ(f[10 * kMiB], 2);
  EXPECT_EQ(f[12 * kMiB - 1], 2);
  // The part left kept is the 4 MiB range's tail: a 2 MiB request gets it back.
  char* g = static_cast<char*>(AcquireMapping(2 * kMiB));
  EXPECT_EQ(g, e + 14 * kMiB);
  EXPECT_EQ(g[0], 2);
  ReleaseMapping(g, 2 * kMiB);
  ReleaseMapping(f, 12 * kMiB);
  ReleaseMapping(e + 10 * kMiB, 2 * kMiB);
  DrainMappingCache();
  EXPECT_EQ(CachedMappingBytes(), 0u);
}

TEST(MappingCache, MovesKeptRangesThatSpanSeveralMappings) {
  // Two buffers written apart are two mappings to the kernel (each with its own pages' history),
  // and stay two once moved side by side into a larger buffer; released, that buffer is one kept
  // range. A still larger request gets all of it (on kernels whose mremap moves one mapping only,
  // 2 MiB at a time).
  DrainMappingCache();
  char* a = static_cast<char*>(AcquireMapping(4 * kMiB));
  char* b = static_cast<char*>(AcquireMapping(4 * kMiB));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::memset(a, 3, 4 * kMiB);
  std::memset(b, 4, 4 * kMiB);
  ReleaseMapping(a, 4 * kMiB);
  ReleaseMapping(b, 4 * kMiB);
  char* c = static_cast<char*>(AcquireMapping(8 * kMiB));  // a and b, moved side by side
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(CachedMappingBytes(), 0u);
  const char first = c[0], second = c[4 * kMiB];
  EXPECT_NE(first, second);
  ReleaseMapping(c, 8 * kMiB);
  ASSERT_EQ(CachedMappingBytes(), 8 * kMiB);
  char* d = static_cast<char*>(AcquireMapping(10 * kMiB));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(CachedMappingBytes(), 0u);
  EXPECT_EQ(d[0], first);
  EXPECT_EQ(d[4 * kMiB - 1], first);
  EXPECT_EQ(d[4 * kMiB], second);
  EXPECT_EQ(d[8 * kMiB - 1], second);
  EXPECT_EQ(d[8 * kMiB], 0);  // fresh
  ReleaseMapping(d, 10 * kMiB);
  DrainMappingCache();
}

TEST(MappingCache, KeepsAtMostTheCap) {
  DrainMappingCache();
  const size_t big = kMappingCacheBytes - 2 * kMiB;
  void* a = AcquireMapping(big);
  void* b = AcquireMapping(4 * kMiB);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ReleaseMapping(a, big);
  ReleaseMapping(b, 4 * kMiB);  // would exceed the cap: unmapped
  EXPECT_EQ(CachedMappingBytes(), big);
  DrainMappingCache();
}

TEST(MappingCache, BigVectorsShareIt) {
  DrainMappingCache();
  const char* first;
  {
    BigVector<char> v(16 * kMiB);
    std::memset(v.data(), 1, v.size());
    first = v.data();
  }
  EXPECT_EQ(CachedMappingBytes(), 16 * kMiB);
  BigVector<uint64_t> w(kMiB);  // 8 MiB
  EXPECT_EQ(reinterpret_cast<const char*>(w.data()), first);
  EXPECT_EQ(CachedMappingBytes(), 8 * kMiB);
  DrainMappingCache();
}

}  // namespace
}  // namespace plinth::features::internal

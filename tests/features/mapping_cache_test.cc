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
  // Nothing kept is large enough: as many kept bytes as are needed (here all 8 MiB) are unmapped
  // before fresh memory is mapped.
  char* d = static_cast<char*>(AcquireMapping(10 * kMiB));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(CachedMappingBytes(), 0u);
  d[10 * kMiB - 1] = 1;
  ReleaseMapping(d, 10 * kMiB);
  // Two kept ranges of 10 and 4 MiB (apart: 2 MiB held between them) and a 12 MiB request: 12
  // MiB of them are unmapped first, 2 MiB stay kept.
  DrainMappingCache();
  char* e = static_cast<char*>(AcquireMapping(16 * kMiB));
  ReleaseMapping(e, 10 * kMiB);
  ReleaseMapping(e + 12 * kMiB, 4 * kMiB);
  EXPECT_EQ(CachedMappingBytes(), 14 * kMiB);
  char* f = static_cast<char*>(AcquireMapping(12 * kMiB));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(CachedMappingBytes(), 2 * kMiB);
  ReleaseMapping(f, 12 * kMiB);
  ReleaseMapping(e + 10 * kMiB, 2 * kMiB);
  DrainMappingCache();
  EXPECT_EQ(CachedMappingBytes(), 0u);
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

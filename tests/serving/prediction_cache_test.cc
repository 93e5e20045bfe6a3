#include "serving/prediction_cache.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

namespace plinth::serving {
namespace {

std::string KeyOf(std::vector<float> values, const char* variant = "a", int64_t version = 1) {
  return PredictionCache::Key(variant, version, values.data(), values.size());
}

TEST(PredictionCache, HitReturnsStoredValues) {
  PredictionCache cache({60, 10});
  std::vector<float> got;
  EXPECT_FALSE(cache.Lookup(KeyOf({1, 2}), &got));
  cache.Insert(KeyOf({1, 2}), {0.5f});
  ASSERT_TRUE(cache.Lookup(KeyOf({1, 2}), &got));
  EXPECT_EQ(got, std::vector<float>{0.5f});
}

TEST(PredictionCache, KeyTellsVariantsVersionsAndInputsApart) {
  EXPECT_NE(KeyOf({1, 2}, "a", 1), KeyOf({1, 2}, "b", 1));
  EXPECT_NE(KeyOf({1, 2}, "a", 1), KeyOf({1, 2}, "a", 2));
  EXPECT_NE(KeyOf({1, 2}), KeyOf({2, 1}));
  // Inputs that predict the same share a key: any NaN, and -0 vs +0.
  EXPECT_EQ(KeyOf({std::nanf("1"), 2}), KeyOf({-std::nanf(""), 2}));
  EXPECT_EQ(KeyOf({-0.0f, 2}), KeyOf({0.0f, 2}));
}

TEST(PredictionCache, EvictsTheLeastRecentlyUsed) {
  PredictionCache cache({60, 2});
  std::vector<float> got;
  cache.Insert(KeyOf({1}), {1});
  cache.Insert(KeyOf({2}), {2});
  ASSERT_TRUE(cache.Lookup(KeyOf({1}), &got));  // 1 is now the most recent
  cache.Insert(KeyOf({3}), {3});
  EXPECT_TRUE(cache.Lookup(KeyOf({1}), &got));
  EXPECT_FALSE(cache.Lookup(KeyOf({2}), &got));
  EXPECT_TRUE(cache.Lookup(KeyOf({3}), &got));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(PredictionCache, EntriesExpireAfterTheirTtl) {
  PredictionCache cache({0.05, 10});
  std::vector<float> got;
  cache.Insert(KeyOf({1}), {1});
  EXPECT_TRUE(cache.Lookup(KeyOf({1}), &got));
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_FALSE(cache.Lookup(KeyOf({1}), &got));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(PredictionCache, LargeCacheStaysWithinItsBound) {
  PredictionCache cache({60, 1000});
  for (int i = 0; i < 5000; ++i) cache.Insert(KeyOf({static_cast<float>(i)}), {1});
  EXPECT_LE(cache.size(), 1000u);
  EXPECT_GE(cache.size(), 900u);
}

}  // namespace
}  // namespace plinth::serving

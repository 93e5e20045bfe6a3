#pragma once
// The KvStore contract (storage/kv_store.h) as a test suite that every backend runs: instantiate
// KvStoreConformance with a factory that opens the backend in a directory (opening the same
// directory again must show what was written before).
//
//   INSTANTIATE_TEST_SUITE_P(RocksDb, KvStoreConformance, ::testing::Values(KvFactory{...}));

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/kv_store.h"
#include "test_dir.h"

namespace plinth::storage {

struct KvFactory {
  std::string name;
  std::function<Result<std::unique_ptr<KvStore>>(const std::string& dir)> open;
};

inline std::ostream& operator<<(std::ostream& os, const KvFactory& f) { return os << f.name; }

class KvStoreConformance : public ::testing::TestWithParam<KvFactory> {
 protected:
  std::unique_ptr<KvStore> Open() {
    auto store = GetParam().open(dir_.path() + "/kv");
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  testing::TestDir dir_;
};

TEST_P(KvStoreConformance, GetAbsentKeyIsNotFound) {
  auto kv = Open();
  std::string v = "untouched";
  EXPECT_EQ(kv->Get("nope", &v).code(), StatusCode::kNotFound);
}

TEST_P(KvStoreConformance, PutGetOverwriteDelete) {
  auto kv = Open();
  ASSERT_TRUE(kv->Put("a", "1").ok());
  std::string v;
  ASSERT_TRUE(kv->Get("a", &v).ok());
  EXPECT_EQ(v, "1");
  ASSERT_TRUE(kv->Put("a", "22").ok());
  ASSERT_TRUE(kv->Get("a", &v).ok());
  EXPECT_EQ(v, "22");
  ASSERT_TRUE(kv->Delete("a").ok());
  EXPECT_EQ(kv->Get("a", &v).code(), StatusCode::kNotFound);
  EXPECT_TRUE(kv->Delete("never-there").ok());
}

TEST_P(KvStoreConformance, KeysAndValuesAreBinarySafe) {
  auto kv = Open();
  std::string key("k\0\xff\x01", 4), value("\0\0v\xfe", 4);
  ASSERT_TRUE(kv->Put(key, value).ok());
  ASSERT_TRUE(kv->Put(std::string("k\0", 2), "short").ok());
  std::string v;
  ASSERT_TRUE(kv->Get(key, &v).ok());
  EXPECT_EQ(v, value);
  ASSERT_TRUE(kv->Put("empty", "").ok());
  ASSERT_TRUE(kv->Get("empty", &v).ok());
  EXPECT_EQ(v, "");
}

TEST_P(KvStoreConformance, BatchAppliesInOrderAndAtomically) {
  auto kv = Open();
  ASSERT_TRUE(kv->Put("gone", "x").ok());
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Put("b", "2");
  batch.Put("a", "3");  // a later op on the same key wins
  batch.Delete("gone");
  batch.Put("c", "4");
  batch.Delete("c");
  ASSERT_TRUE(kv->Write(batch, {.sync = true}).ok());
  std::string v;
  ASSERT_TRUE(kv->Get("a", &v).ok());
  EXPECT_EQ(v, "3");
  ASSERT_TRUE(kv->Get("b", &v).ok());
  EXPECT_EQ(v, "2");
  EXPECT_EQ(kv->Get("gone", &v).code(), StatusCode::kNotFound);
  EXPECT_EQ(kv->Get("c", &v).code(), StatusCode::kNotFound);
  EXPECT_TRUE(kv->Write(WriteBatch()).ok());
}

TEST_P(KvStoreConformance, MultiGetMixesFoundAndAbsentAndReusesBuffers) {
  auto kv = Open();
  ASSERT_TRUE(kv->Put("x", "10").ok());
  ASSERT_TRUE(kv->Put("z", std::string(1000, 'z')).ok());
  std::vector<std::string_view> keys = {"x", "y", "z", "x"};
  std::vector<std::string> values;
  std::vector<uint8_t> found;
  ASSERT_TRUE(kv->MultiGet(keys, &values, &found).ok());
  ASSERT_EQ(values.size(), 4u);
  ASSERT_EQ(found, (std::vector<uint8_t>{1, 0, 1, 1}));
  EXPECT_EQ(values[0], "10");
  EXPECT_EQ(values[2], std::string(1000, 'z'));
  EXPECT_EQ(values[3], "10");
  // More keys than any inline buffer a backend may keep.
  std::vector<std::string> many;
  for (int i = 0; i < 100; ++i) many.push_back("k" + std::to_string(i));
  WriteBatch batch;
  for (int i = 0; i < 100; i += 2) batch.Put(many[i], "v" + std::to_string(i));
  ASSERT_TRUE(kv->Write(batch).ok());
  std::vector<std::string_view> views(many.begin(), many.end());
  ASSERT_TRUE(kv->MultiGet(views, &values, &found).ok());
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(found[i], i % 2 == 0 ? 1 : 0) << i;
    if (i % 2 == 0) {
      EXPECT_EQ(values[i], "v" + std::to_string(i));
    }
  }
  ASSERT_TRUE(kv->MultiGet({}, &values, &found).ok());
  EXPECT_TRUE(values.empty() && found.empty());
}

TEST_P(KvStoreConformance, ScanPrefixIsOrderedBoundedAndStoppable) {
  auto kv = Open();
  WriteBatch batch;
  using namespace std::string_literals;
  for (std::string k : {"v1\0b"s, "v1\0a"s, "v2\0a"s, "v1"s, "v0\0z"s, "v1\0c"s, "v1\xff"s}) {
    batch.Put(k, k.size() == 4 && k[0] == 'v' && k[1] == '1' ? k.substr(3) : "other"s);
  }
  ASSERT_TRUE(kv->Write(batch).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(kv->ScanPrefix(std::string("v1\0", 3), [&](std::string_view k, std::string_view v) {
                  seen.push_back(std::string(v));
                  return true;
                }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
  seen.clear();
  ASSERT_TRUE(kv->ScanPrefix(std::string("v1\0", 3), [&](std::string_view, std::string_view v) {
                  seen.push_back(std::string(v));
                  return seen.size() < 2;
                }).ok());
  EXPECT_EQ(seen.size(), 2u);
  int all = 0;
  ASSERT_TRUE(kv->ScanPrefix("", [&](std::string_view, std::string_view) { return ++all, true; }).ok());
  EXPECT_GE(all, 4);
}

TEST_P(KvStoreConformance, WritesSurviveReopen) {
  {
    auto kv = Open();
    ASSERT_TRUE(kv->Put("unsynced", "1").ok());
    ASSERT_TRUE(kv->Put("synced", "2", {.sync = true}).ok());
    ASSERT_TRUE(kv->Put("then-synced", "3").ok());
    ASSERT_TRUE(kv->Sync().ok());
  }
  auto kv = Open();
  std::string v;
  ASSERT_TRUE(kv->Get("unsynced", &v).ok());
  EXPECT_EQ(v, "1");
  ASSERT_TRUE(kv->Get("synced", &v).ok());
  EXPECT_EQ(v, "2");
  ASSERT_TRUE(kv->Get("then-synced", &v).ok());
  EXPECT_EQ(v, "3");
}

// Readers running beside a writer of two-key batches never see one key of a batch without the
// other (MultiGet reads one snapshot).
TEST_P(KvStoreConformance, ConcurrentReadersNeverSeeHalfABatch) {
  auto kv = Open();
  ASSERT_TRUE(kv->Put("left", "0").ok());
  ASSERT_TRUE(kv->Put("right", "0").ok());
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      std::vector<std::string_view> keys = {"left", "right"};
      std::vector<std::string> values;
      std::vector<uint8_t> found;
      while (!stop.load()) {
        if (!kv->MultiGet(keys, &values, &found).ok() || values[0] != values[1]) ++torn;
      }
    });
  }
  for (int i = 1; i <= 2000; ++i) {
    WriteBatch b;
    b.Put("left", std::to_string(i));
    b.Put("right", std::to_string(i));
    ASSERT_TRUE(kv->Write(b).ok());
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(torn.load(), 0);
}

}  // namespace plinth::storage

#include "storage/rocksdb/rocksdb_kv_store.h"

#include "storage/kv_store_conformance.h"

namespace plinth::storage {
namespace {

INSTANTIATE_TEST_SUITE_P(
    RocksDb, KvStoreConformance,
    ::testing::Values(KvFactory{"rocksdb", [](const std::string& dir) -> Result<std::unique_ptr<KvStore>> {
      ASSIGN_OR_RETURN(auto store, RocksDbKvStore::Open({.dir = dir}));
      return std::unique_ptr<KvStore>(std::move(store));
    }}),
    [](const ::testing::TestParamInfo<KvFactory>& info) { return info.param.name; });

TEST(RocksDbKvStore, SecondOpenOfTheSameDirectoryIsRefused) {
  testing::TestDir dir;
  auto first = RocksDbKvStore::Open({.dir = dir.path()});
  ASSERT_TRUE(first.ok());
  auto second = RocksDbKvStore::Open({.dir = dir.path()});
  EXPECT_EQ(second.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace plinth::storage

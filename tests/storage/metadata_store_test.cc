// Conformance tests for MetadataStore, run against every backend (SQLite today).
#include "storage/metadata_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "storage/sqlite/sqlite_metadata_store.h"
#include "test_dir.h"

namespace plinth::storage {
namespace {

class MetadataStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto opened = SqliteMetadataStore::Open({dir_.path() + "/meta.db"});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->Write([](SqlTx& tx) {
      return tx.Exec("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v INTEGER)");
    }).ok());
  }

  int64_t Count() {
    int64_t n = -1;
    EXPECT_TRUE(store_->Read([&](SqlTx& tx) {
      return tx.Query("SELECT COUNT(*) FROM kv", {}, [&](const SqlRow& r) { n = r.Int(0); });
    }).ok());
    return n;
  }

  testing::TestDir dir_;
  std::unique_ptr<MetadataStore> store_;
};

TEST_F(MetadataStoreTest, WrittenRowsAreReadBackAndSurviveReopen) {
  ASSERT_TRUE(store_->Write([](SqlTx& tx) {
    return tx.Exec("INSERT INTO kv (k, v) VALUES (?, ?)", {std::string_view("a"), int64_t{7}});
  }).ok());
  Reopen();
  int64_t v = 0;
  ASSERT_TRUE(store_->Read([&](SqlTx& tx) {
    return tx.Query("SELECT v FROM kv WHERE k = ?", {std::string_view("a")},
                    [&](const SqlRow& r) { v = r.Int(0); });
  }).ok());
  EXPECT_EQ(v, 7);
}

TEST_F(MetadataStoreTest, FailedWriteRollsBackOnlyItself) {
  Status failed = store_->Write([](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO kv (k, v) VALUES ('x', 1)"));
    return Conflict("changed my mind");
  });
  EXPECT_EQ(failed.code(), StatusCode::kConflict);
  EXPECT_EQ(Count(), 0);
}

TEST_F(MetadataStoreTest, ConstraintViolationIsConflict) {
  ASSERT_TRUE(store_->Write([](SqlTx& tx) { return tx.Exec("INSERT INTO kv VALUES ('a', 1)"); }).ok());
  Status dup = store_->Write([](SqlTx& tx) { return tx.Exec("INSERT INTO kv VALUES ('a', 2)"); });
  EXPECT_EQ(dup.code(), StatusCode::kConflict);
}

TEST_F(MetadataStoreTest, ConcurrentWritersAreGroupCommittedIndependently) {
  constexpr int kThreads = 8, kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = std::to_string(t) + "-" + std::to_string(i);
        // Every third write fails after inserting; it must leave no row behind.
        bool fail = i % 3 == 0;
        Status st = store_->Write([&](SqlTx& tx) {
          RETURN_IF_ERROR(tx.Exec("INSERT INTO kv (k, v) VALUES (?, ?)",
                                  {std::string_view(key), int64_t{i}}));
          return fail ? InvalidArgument("planned") : Status::Ok();
        });
        if (st.ok() == fail) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count(), kThreads * (kPerThread - (kPerThread + 2) / 3));
}

TEST_F(MetadataStoreTest, ExceptionInsideTransactionBecomesInternal) {
  Status st = store_->Write([](SqlTx&) -> Status { throw std::runtime_error("boom"); });
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_TRUE(store_->Write([](SqlTx& tx) { return tx.Exec("INSERT INTO kv VALUES ('b', 1)"); }).ok());
}

}  // namespace
}  // namespace plinth::storage

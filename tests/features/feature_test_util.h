#pragma once
// A FeatureStore on a fresh SQLite metadata store and offline directory per test, with helpers to
// define the small "driver" schema most tests use.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "auth/audit_log.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "storage/sqlite/sqlite_metadata_store.h"
#include "test_dir.h"

namespace plinth::features {

// Reads a Result's value or fails the test with its status.
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                    \
  auto PLINTH_CONCAT(_r_, __LINE__) = (expr);                              \
  ASSERT_TRUE(PLINTH_CONCAT(_r_, __LINE__).ok())                           \
      << PLINTH_CONCAT(_r_, __LINE__).status().ToString();                 \
  lhs = std::move(PLINTH_CONCAT(_r_, __LINE__)).value()

#define ASSERT_OK(expr)                              \
  do {                                               \
    ::plinth::Status _s = (expr);                    \
    ASSERT_TRUE(_s.ok()) << _s.ToString();           \
  } while (0)

class FeatureStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenStore(); }

  void OpenStore(size_t block_rows = 0) {
    store_.reset();
    if (!meta_) {
      meta_ = std::move(storage::SqliteMetadataStore::Open({dir_.path() + "/meta.db"})).value();
      ASSERT_TRUE(auth::AuditLog(*meta_).InitSchema().ok());
    }
    FeatureStoreOptions options;
    options.metadata = meta_.get();
    options.offline_dir = dir_.path() + "/offline";
    if (block_rows) options.block_rows = block_rows;
    auto store = FeatureStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  void ApplyEntityJson(const std::string& json) {
    auto e = EntityFromJson(json);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    auto r = store_->registry().ApplyEntity(actor_, *e);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  void ApplyViewJson(const std::string& json, bool force = false) {
    auto v = FeatureViewFromJson(json);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    auto r = store_->registry().ApplyFeatureView(actor_, *v, {force, false});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // Entity "driver" (driver_id int) and view "drivers": conv (float), trips (int), TTL `ttl`.
  void DefineDrivers(int64_t ttl = 3600) {
    ApplyEntityJson(R"({"name": "driver", "join_keys": [{"name": "driver_id", "type": "int"}]})");
    ApplyViewJson(R"({"name": "drivers", "entities": ["driver"], "ttl_seconds": )" +
                  std::to_string(ttl) +
                  R"(, "features": [{"name": "conv", "type": "float"},
                                    {"name": "trips", "type": "int"}]})");
  }

  void Ingest(const std::string& view, const std::string& csv) {
    auto r = store_->Ingest(actor_, view, BatchFormat::kCsv, csv);
    ASSERT_TRUE(r.ok()) << r.status().ToString() << " " << r.status().details_json();
  }

  // The training set as CSV, or the error's text.
  std::string Historical(const std::string& entities_csv, const std::vector<std::string>& refs,
                         HistoricalOptions options = {}) {
    auto table = EntityTable::FromCsv(entities_csv);
    if (!table.ok()) return "error: " + table.status().ToString();
    auto set = store_->GetHistoricalFeatures(std::move(table).value(), refs, options);
    if (!set.ok()) return "error: " + set.status().ToString();
    return set->ToCsv();
  }

  testing::TestDir dir_;
  std::unique_ptr<storage::MetadataStore> meta_;
  std::unique_ptr<FeatureStore> store_;
  auth::Principal actor_{"tok", "alice", auth::Role::kScientist};
};

}  // namespace plinth::features

#pragma once
// A FeatureStore with an online store (RocksDB) on fresh directories per test, and helpers to
// read online features.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "auth/audit_log.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "storage/rocksdb/rocksdb_kv_store.h"
#include "storage/sqlite/sqlite_metadata_store.h"
#include "test_dir.h"

namespace plinth::features {

class OnlineStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenStore(); }

  void OpenStore(MaterializerOptions materializer = {}) {
    store_.reset();
    kv_.reset();
    meta_.reset();
    meta_ = std::move(storage::SqliteMetadataStore::Open({dir_.path() + "/meta.db"})).value();
    ASSERT_TRUE(auth::AuditLog(*meta_).InitSchema().ok());
    auto kv = storage::RocksDbKvStore::Open({.dir = dir_.path() + "/online"});
    ASSERT_TRUE(kv.ok()) << kv.status().ToString();
    kv_ = std::move(kv).value();
    FeatureStoreOptions options;
    options.metadata = meta_.get();
    options.offline_dir = dir_.path() + "/offline";
    options.online_kv = kv_.get();
    options.materializer = std::move(materializer);
    auto store = FeatureStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  void Apply(const std::string& entity_json, const std::string& view_json, bool force = false) {
    if (!entity_json.empty()) {
      auto e = EntityFromJson(entity_json);
      ASSERT_TRUE(e.ok()) << e.status().ToString();
      ASSERT_TRUE(store_->registry().ApplyEntity(actor_, *e).ok());
    }
    auto v = FeatureViewFromJson(view_json);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    auto r = store_->registry().ApplyFeatureView(actor_, *v, {force, false});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // Entity "zone" (zone_id int); view "zones": trips (int), speed (float), name (string),
  // busy (bool); TTL `ttl` seconds.
  void DefineZones(int64_t ttl = 0) {
    Apply(R"({"name": "zone", "join_keys": [{"name": "zone_id", "type": "int"}]})",
          R"({"name": "zones", "entities": ["zone"], "ttl_seconds": )" + std::to_string(ttl) +
              R"(, "features": [{"name": "trips", "type": "int"}, {"name": "speed", "type": "float"},
                                {"name": "name", "type": "string"}, {"name": "busy", "type": "bool"}]})");
  }

  void Ingest(const std::string& view, const std::string& csv) {
    auto r = store_->Ingest(actor_, view, BatchFormat::kCsv, csv);
    ASSERT_TRUE(r.ok()) << r.status().ToString() << " " << r.status().details_json();
  }

  MaterializationJob Materialize(const std::string& view, int64_t start, int64_t end) {
    MaterializeRequest req;
    req.view = view;
    req.start_ms = start;
    req.end_ms = end;
    req.wait = true;
    auto job = store_->materializer()->Materialize(actor_, req);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? *job : MaterializationJob{};
  }

  MaterializationJob Incremental(const std::string& view, std::optional<int64_t> end) {
    MaterializeRequest req;
    req.view = view;
    req.incremental = true;
    req.end_ms = end;
    req.wait = true;
    auto job = store_->materializer()->Materialize(actor_, req);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? *job : MaterializationJob{};
  }

  // Reads refs for int zone ids; the result is kept in result_.
  Status Read(const std::vector<std::string_view>& refs, const std::vector<std::string>& ids,
              int64_t now_ms = 4102444800000 /* 2100 */, std::string_view key = "zone_id") {
    ids_ = ids;
    OnlineEntities entities;
    entities.names = {key};
    entities.columns.resize(1);
    for (const std::string& id : ids_) {
      if (id == "null") entities.columns[0].push_back(std::nullopt);
      else entities.columns[0].push_back(std::string_view(id));
    }
    entities.rows = ids_.size();
    return store_->online()->Read(refs, entities, now_ms, &result_);
  }

  std::string StatusOf(size_t f, size_t row) const {
    return FeatureStatusName(result_.Cell(f, row).status);
  }
  int64_t IntOf(size_t f, size_t row) const { return static_cast<int64_t>(result_.Cell(f, row).raw); }

  testing::TestDir dir_;
  std::unique_ptr<storage::SqliteMetadataStore> meta_;
  std::unique_ptr<storage::RocksDbKvStore> kv_;
  std::unique_ptr<FeatureStore> store_;
  auth::Principal actor_{"t1", "tester", auth::Role::kAdmin};
  std::vector<std::string> ids_;
  OnlineResult result_;
};

}  // namespace plinth::features

// Definitions persisted through the MetadataStore: versions, breaking changes, audit events,
// ingest records and their recovery.
#include "features/feature_registry.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "feature_test_util.h"

namespace plinth::features {
namespace {

class RegistryTest : public FeatureStoreTest {
 protected:
  FeatureRegistry& reg() { return store_->registry(); }

  std::vector<std::string> AuditActions() {
    std::vector<std::string> out;
    auto events = auth::AuditLog(*meta_).List(0, 1000);
    EXPECT_TRUE(events.ok());
    for (const auto& e : *events) out.push_back(e.action + " " + e.resource);
    return out;
  }

  FeatureView Drivers() { return *FeatureViewFromJson(R"({"name": "drivers", "entities": ["driver"],
      "ttl_seconds": 60, "features": [{"name": "conv", "type": "float"}, {"name": "trips", "type": "int"}]})"); }
};

TEST_F(RegistryTest, VersionsSchemaChangesAndRefusesBreakingOnesUnlessForced) {
  ApplyEntityJson(R"({"name": "driver", "join_keys": [{"name": "driver_id", "type": "int"}]})");
  FeatureView v = Drivers();
  ASSERT_OK_AND_ASSIGN(auto created, reg().ApplyFeatureView(actor_, v));
  EXPECT_EQ(created.action, ApplyAction::kCreated);
  EXPECT_EQ(created.view.version, 1);
  EXPECT_EQ(created.view.join_keys, (std::vector<JoinKey>{{"driver_id", ValueType::kInt}}));

  ASSERT_OK_AND_ASSIGN(auto same, reg().ApplyFeatureView(actor_, v));
  EXPECT_EQ(same.action, ApplyAction::kUnchanged);

  v.features.push_back({"rating", ValueType::kFloat, {}, "", {}});
  ASSERT_OK_AND_ASSIGN(auto added, reg().ApplyFeatureView(actor_, v));
  EXPECT_EQ(added.action, ApplyAction::kNewVersion);
  EXPECT_EQ(added.view.version, 2);

  FeatureView removed = v;
  removed.features.erase(removed.features.begin());  // drops "conv": breaking
  auto refused = reg().ApplyFeatureView(actor_, removed);
  ASSERT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("features.conv removed"), std::string::npos)
      << refused.status().message();
  auto details = nlohmann::json::parse(refused.status().details_json());
  EXPECT_EQ(details["changes"][0]["field"], "features.conv");
  EXPECT_EQ(details["changes"][0]["breaking"], true);
  EXPECT_EQ(reg().GetFeatureView("drivers")->version, 2);  // nothing written

  ASSERT_OK_AND_ASSIGN(auto dry, reg().ApplyFeatureView(actor_, removed, {true, true}));
  EXPECT_EQ(dry.action, ApplyAction::kNewVersion);
  EXPECT_EQ(reg().GetFeatureView("drivers")->version, 2);  // a dry run writes nothing

  ASSERT_OK_AND_ASSIGN(auto forced, reg().ApplyFeatureView(actor_, removed, {true, false}));
  EXPECT_EQ(forced.view.version, 3);

  FeatureView described = removed;
  described.owner = "ml-team";
  described.description = "driver stats";
  ASSERT_OK_AND_ASSIGN(auto meta, reg().ApplyFeatureView(actor_, described));
  EXPECT_EQ(meta.action, ApplyAction::kUpdated);
  EXPECT_EQ(meta.view.version, 3);
  EXPECT_EQ(reg().GetFeatureView("drivers")->owner, "ml-team");

  ASSERT_OK_AND_ASSIGN(auto v1, reg().GetFeatureView("drivers", 1));
  EXPECT_EQ(v1.features.size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto versions, reg().ListFeatureViewVersions("drivers"));
  EXPECT_EQ(versions.size(), 3u);
  EXPECT_EQ(reg().GetFeatureView("drivers", 9).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(reg().GetFeatureView("nope").status().code(), StatusCode::kNotFound);

  EXPECT_EQ(AuditActions(), (std::vector<std::string>{
                                "entity.create entities/driver",
                                "feature_view.create feature-views/drivers",
                                "feature_view.version feature-views/drivers",
                                "feature_view.version feature-views/drivers",
                                "feature_view.update feature-views/drivers"}));
  auto verified = auth::AuditLog(*meta_).Verify();
  ASSERT_TRUE(verified.ok());
}

TEST_F(RegistryTest, EntityJoinKeyChangeIsBreakingOnceAViewUsesIt) {
  Entity e = *EntityFromJson(R"({"name": "driver", "join_keys": ["driver_id"]})");
  ASSERT_OK_AND_ASSIGN(auto c, reg().ApplyEntity(actor_, e));
  EXPECT_EQ(c.action, ApplyAction::kCreated);
  e.join_keys[0].type = ValueType::kInt;
  ASSERT_OK_AND_ASSIGN(auto free_change, reg().ApplyEntity(actor_, e));  // unused: allowed
  EXPECT_EQ(free_change.action, ApplyAction::kUpdated);
  ASSERT_OK(reg().ApplyFeatureView(actor_, Drivers()).status());
  e.join_keys[0].name = "id";
  EXPECT_EQ(reg().ApplyEntity(actor_, e).status().code(), StatusCode::kFailedPrecondition);
  e.join_keys[0].name = "driver_id";
  e.description = "a driver";
  ASSERT_OK_AND_ASSIGN(auto desc, reg().ApplyEntity(actor_, e));
  EXPECT_EQ(desc.action, ApplyAction::kUpdated);
  ASSERT_OK_AND_ASSIGN(auto all, reg().ListEntities(PageRequest{}));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].description, "a driver");
  FeatureView unknown = Drivers();
  unknown.name = "other";
  unknown.entities = {"rider"};
  EXPECT_EQ(reg().ApplyFeatureView(actor_, unknown).status().code(), StatusCode::kNotFound);
}

TEST_F(RegistryTest, IngestRecordsStatsAndAuditsIt) {
  DefineDrivers();
  ASSERT_OK_AND_ASSIGN(auto r, store_->Ingest(actor_, "drivers", BatchFormat::kCsv,
                                              "driver_id,event_timestamp,conv,trips\n"
                                              "1,10,0.5,1\n2,10,,3\n"));
  EXPECT_EQ(r.record.rows, 2);
  EXPECT_EQ(r.stats.features[0].nulls, 1);
  ASSERT_OK_AND_ASSIGN(auto list, reg().ListIngests("drivers", PageRequest{}));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id, r.record.id);
  EXPECT_EQ(list[0].actor, "alice");
  auto stats = nlohmann::json::parse(list[0].stats_json);
  EXPECT_EQ(stats["features"]["trips"]["mean"], 2.0);
  EXPECT_EQ(AuditActions().back(), "feature_view.ingest feature-views/drivers");
  EXPECT_EQ(store_->Ingest(actor_, "nope", BatchFormat::kCsv, "a\n1\n").status().code(),
            StatusCode::kNotFound);
}

TEST_F(RegistryTest, RejectedBatchWritesNothing) {
  DefineDrivers();
  auto r = store_->Ingest(actor_, "drivers", BatchFormat::kCsv,
                          "driver_id,event_timestamp,conv,trips\n1,10,0.5,1\n2,10,0.1,x\n");
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->offline().Snapshot("drivers")->entries.empty());
  ASSERT_OK_AND_ASSIGN(auto list, reg().ListIngests("drivers", PageRequest{}));
  EXPECT_TRUE(list.empty());
}

TEST_F(RegistryTest, OpenRecordsAnIngestCommittedButNotRecorded) {
  DefineDrivers();
  ASSERT_OK_AND_ASSIGN(FeatureView view, reg().GetFeatureView("drivers"));
  ASSERT_OK_AND_ASSIGN(FeatureBatch batch,
                       ParseBatch(view, BatchFormat::kCsv, "driver_id,event_timestamp,conv\n1,5,0.5\n"));
  IngestRecord record{"ingest-1", "drivers", 1, "bob", 123, 1, ComputeStats(batch).ToJson()};
  // As if the process died between the offline commit and the registry write.
  ASSERT_OK(store_->offline().Write("drivers", batch, record));
  ASSERT_FALSE(*reg().HasIngest("ingest-1"));
  OpenStore();
  EXPECT_TRUE(*reg().HasIngest("ingest-1"));
  ASSERT_OK_AND_ASSIGN(auto list, reg().ListIngests("drivers", PageRequest{}));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].actor, "bob");
  OpenStore();  // recording is idempotent
  ASSERT_OK_AND_ASSIGN(list, reg().ListIngests("drivers", PageRequest{}));
  EXPECT_EQ(list.size(), 1u);
}

}  // namespace
}  // namespace plinth::features

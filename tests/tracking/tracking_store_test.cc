#include "tracking/tracking_store.h"

#include <gtest/gtest.h>

#include "auth/audit_log.h"
#include "storage/localfs/local_blob_store.h"
#include "storage/sqlite/sqlite_metadata_store.h"
#include "test_dir.h"

namespace plinth::tracking {
namespace {

class TrackingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    meta_ = std::move(storage::SqliteMetadataStore::Open({dir_.path() + "/m.db"})).value();
    blobs_ = std::move(storage::LocalBlobStore::Open(dir_.path() + "/blobs")).value();
    ASSERT_TRUE(auth::AuditLog(*meta_).InitSchema().ok());
    store_ = std::make_unique<TrackingStore>(*meta_, *blobs_);
    ASSERT_TRUE(store_->InitSchema().ok());
    exp_ = store_->CreateExperiment(actor_, "exp", {}).value();
  }

  tracking::Run NewRunWith(const StringMap& params, std::vector<MetricPoint> metrics) {
    tracking::Run run = store_->CreateRun(actor_, NewRun{exp_.id, "", {}, std::nullopt}).value();
    EXPECT_TRUE(store_->LogParams(actor_, run.id, params).ok());
    if (!metrics.empty()) {
      EXPECT_TRUE(store_->LogMetrics(actor_, run.id, metrics).ok());
    }
    return run;
  }

  testing::TestDir dir_;
  std::unique_ptr<storage::MetadataStore> meta_;
  std::unique_ptr<storage::BlobStore> blobs_;
  std::unique_ptr<TrackingStore> store_;
  auth::Principal actor_{"tok", "alice", auth::Role::kScientist};
  Experiment exp_;
};

TEST_F(TrackingStoreTest, DuplicateExperimentNameIsAlreadyExists) {
  EXPECT_EQ(store_->CreateExperiment(actor_, "exp", {}).status().code(),
            StatusCode::kAlreadyExists);
}

TEST_F(TrackingStoreTest, RejectsChangedParamAndWritesNothingOfTheRequest) {
  tracking::Run run = NewRunWith({{"max_depth", "6"}}, {});
  EXPECT_TRUE(store_->LogParams(actor_, run.id, {{"max_depth", "6"}}).ok());
  auto changed = store_->LogParams(actor_, run.id, {{"eta", "0.1"}, {"max_depth", "7"}});
  EXPECT_EQ(changed.status().code(), StatusCode::kConflict);
  auto params = store_->GetRun(run.id)->params;
  EXPECT_EQ(params.size(), 1u);
  EXPECT_EQ(params["max_depth"], "6");
}

TEST_F(TrackingStoreTest, LatestMetricIsHighestStepThenTimestamp) {
  tracking::Run run = NewRunWith({}, {{"loss", 3.0, 5, 100}, {"loss", 1.0, 9, 50}, {"loss", 2.0, 9, 40}});
  ASSERT_TRUE(store_->LogMetrics(actor_, run.id, {{"loss", 7.0, 2, 999}}).ok());
  auto latest = store_->GetRun(run.id)->metrics["loss"];
  EXPECT_EQ(latest.value, 1.0);
  EXPECT_EQ(latest.step, 9);
}

TEST_F(TrackingStoreTest, MetricHistoryPagesAcrossChunksInLoggingOrder) {
  tracking::Run run = NewRunWith({}, {});
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<MetricPoint> points;
    for (int i = 0; i < 7; ++i) {
      int step = batch * 7 + i;
      points.push_back({"acc", step * 0.5, step, 1000 + step});
      points.push_back({"loss", -step * 1.0, step, 1000 + step});
    }
    ASSERT_TRUE(store_->LogMetrics(actor_, run.id, points).ok());
  }
  std::vector<MetricPoint> all;
  for (int64_t offset = 0;; offset += 5) {
    auto page = store_->MetricHistory(run.id, "acc", PageRequest{offset, 5});
    ASSERT_TRUE(page.ok());
    for (size_t i = 0; i < page->size() && i < 5; ++i) all.push_back((*page)[i]);
    if (page->size() <= 5) break;
  }
  ASSERT_EQ(all.size(), 21u);
  for (int i = 0; i < 21; ++i) {
    EXPECT_EQ(all[i].step, i);
    EXPECT_EQ(all[i].value, i * 0.5);
  }
}

TEST_F(TrackingStoreTest, FinishingTwiceIsConflict) {
  tracking::Run run = NewRunWith({}, {});
  auto done = store_->FinishRun(actor_, run.id, RunStatus::kFailed);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, RunStatus::kFailed);
  EXPECT_TRUE(done->end_ms.has_value());
  EXPECT_EQ(store_->FinishRun(actor_, run.id, RunStatus::kFinished).status().code(),
            StatusCode::kConflict);
}

TEST_F(TrackingStoreTest, SearchFiltersAndOrders) {
  tracking::Run a = NewRunWith({{"max_depth", "6"}}, {{"rmse", 0.4, 0, 1}});
  tracking::Run b = NewRunWith({{"max_depth", "6"}}, {{"rmse", 0.3, 0, 1}});
  NewRunWith({{"max_depth", "4"}}, {{"rmse", 0.1, 0, 1}});
  NewRunWith({{"max_depth", "6"}}, {{"rmse", 0.9, 0, 1}});
  NewRunWith({{"max_depth", "6"}}, {});  // no rmse: never matches
  RunSearch search{{exp_.id}, "metrics.rmse < 0.5 and params.max_depth = '6'", {"metrics.rmse ASC"}};
  auto runs = store_->SearchRuns(search, PageRequest{0, 10});
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].id, b.id);
  EXPECT_EQ((*runs)[1].id, a.id);
}

TEST_F(TrackingStoreTest, ArtifactsRoundTripAndUnknownRunsAreNotFound) {
  tracking::Run run = NewRunWith({}, {});
  std::string bytes("\x00\x01binary\xff", 9);
  auto info = store_->PutArtifact(actor_, run.id, "model/model.json", bytes);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(*store_->ReadArtifact(run.id, "model/model.json"), bytes);
  EXPECT_EQ(store_->PutArtifact(actor_, "nope", "x", "y").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->PutArtifact(actor_, run.id, "../x", "y").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace plinth::tracking

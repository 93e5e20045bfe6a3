#include "registry/model_registry.h"

#include <gtest/gtest.h>

#include <thread>

#include "auth/audit_log.h"
#include "storage/localfs/local_blob_store.h"
#include "storage/sqlite/sqlite_metadata_store.h"
#include "test_dir.h"

namespace plinth::registry {
namespace {

class ModelRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    meta_ = std::move(storage::SqliteMetadataStore::Open({dir_.path() + "/m.db"})).value();
    blobs_ = std::move(storage::LocalBlobStore::Open(dir_.path() + "/blobs")).value();
    ASSERT_TRUE(auth::AuditLog(*meta_).InitSchema().ok());
    tracking_ = std::make_unique<tracking::TrackingStore>(*meta_, *blobs_);
    ASSERT_TRUE(tracking_->InitSchema().ok());
    registry_ = std::make_unique<ModelRegistry>(*meta_, *blobs_, *tracking_);
    ASSERT_TRUE(registry_->InitSchema().ok());
  }

  ModelVersion RegisterUpload(const std::string& bytes) {
    auto blob = blobs_->Put(bytes);
    NewVersion nv;
    nv.model = "demand";
    nv.upload_sha256 = blob->sha256;
    nv.flavor = "xgboost";
    auto v = registry_->RegisterVersion(scientist_, nv);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.value();
  }

  testing::TestDir dir_;
  std::unique_ptr<storage::MetadataStore> meta_;
  std::unique_ptr<storage::BlobStore> blobs_;
  std::unique_ptr<tracking::TrackingStore> tracking_;
  std::unique_ptr<ModelRegistry> registry_;
  auth::Principal scientist_{"tok-s", "sci", auth::Role::kApprover};
  auth::Principal approver_{"tok-a", "appr", auth::Role::kApprover};
};

TEST_F(ModelRegistryTest, VersionsAreNumberedFromOneAndPending) {
  EXPECT_EQ(RegisterUpload("m1").version, 1);
  ModelVersion v2 = RegisterUpload("m2");
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(v2.status, ApprovalStatus::kPending);
  EXPECT_EQ(registry_->GetModel("demand")->latest_version, 2);
}

TEST_F(ModelRegistryTest, RegisteringTokenCannotApproveItsOwnVersion) {
  RegisterUpload("m1");
  EXPECT_EQ(registry_->Decide(scientist_, "demand", 1, true, "").status().code(),
            StatusCode::kPermissionDenied);
  auto approved = registry_->Decide(approver_, "demand", 1, true, "looks good");
  ASSERT_TRUE(approved.ok());
  EXPECT_EQ(approved->status, ApprovalStatus::kApproved);
  EXPECT_EQ(approved->decided_by, "appr");
}

TEST_F(ModelRegistryTest, DecisionsAreFinal) {
  RegisterUpload("m1");
  ASSERT_TRUE(registry_->Decide(approver_, "demand", 1, false, "no").ok());
  EXPECT_EQ(registry_->Decide(approver_, "demand", 1, true, "").status().code(),
            StatusCode::kConflict);
}

TEST_F(ModelRegistryTest, AliasesNameOnlyApprovedVersionsAndKeepHistory) {
  RegisterUpload("m1");
  RegisterUpload("m2");
  EXPECT_EQ(registry_->SetAlias(approver_, "demand", "champion", 1).status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(registry_->Decide(approver_, "demand", 1, true, "").ok());
  ASSERT_TRUE(registry_->Decide(approver_, "demand", 2, true, "").ok());
  auto first = registry_->SetAlias(approver_, "demand", "champion", 1);
  ASSERT_TRUE(first.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto second = registry_->SetAlias(approver_, "demand", "champion", 2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(registry_->GetAlias("demand", "champion", std::nullopt)->version, 2);
  EXPECT_EQ(registry_->GetAlias("demand", "champion", first->set_ms)->version, 1);
  EXPECT_EQ(registry_->GetAlias("demand", "champion", first->set_ms - 1).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(registry_->AliasHistory("demand", "champion", PageRequest{0, 10})->size(), 2u);
  EXPECT_EQ(registry_->GetModel("demand")->aliases.at("champion"), 2);
}

TEST_F(ModelRegistryTest, LineageRecordsTheRunAndItsParams) {
  auto exp = tracking_->CreateExperiment(scientist_, "e", {}).value();
  auto run = tracking_->CreateRun(scientist_, {exp.id, "r", {}, std::string("sha256:data")}).value();
  ASSERT_TRUE(tracking_->LogParams(scientist_, run.id, {{"eta", "0.1"}}).ok());
  ASSERT_TRUE(tracking_->PutArtifact(scientist_, run.id, "model.json", "{}").ok());
  NewVersion nv;
  nv.model = "demand";
  nv.run_id = run.id;
  nv.artifact_path = "model.json";
  nv.flavor = "xgboost";
  auto v = registry_->RegisterVersion(scientist_, nv);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->lineage.run_id, run.id);
  EXPECT_EQ(v->lineage.run_params.at("eta"), "0.1");
  EXPECT_EQ(v->data_version, "sha256:data");
  EXPECT_EQ(*registry_->ReadVersionArtifact("demand", 1), "{}");
  nv.artifact_path = "missing.json";
  EXPECT_EQ(registry_->RegisterVersion(scientist_, nv).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace plinth::registry

#include "auth/token_store.h"

#include "auth/audit_log.h"

#include <gtest/gtest.h>

#include "common/sha256.h"
#include "storage/sqlite/sqlite_metadata_store.h"
#include "test_dir.h"

namespace plinth::auth {
namespace {

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(storage::SqliteMetadataStore::Open({dir_.path() + "/t.db"})).value();
    AuditLog audit(*store_);
    ASSERT_TRUE(audit.InitSchema().ok());
    tokens_ = std::make_unique<TokenStore>(*store_);
    ASSERT_TRUE(tokens_->InitSchema().ok());
  }
  testing::TestDir dir_;
  std::unique_ptr<storage::MetadataStore> store_;
  std::unique_ptr<TokenStore> tokens_;
};

TEST_F(TokenStoreTest, InitialAdminIsCreatedOnce) {
  auto first = tokens_->CreateInitialAdmin();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  auto second = tokens_->CreateInitialAdmin();
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->has_value());
  auto who = tokens_->Authenticate((*first)->secret);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->role, Role::kAdmin);
}

TEST_F(TokenStoreTest, OnlyTheHashIsStored) {
  auto t = tokens_->Create(SystemPrincipal(), "ci", Role::kScientist);
  ASSERT_TRUE(t.ok());
  bool secret_found = false, hash_found = false;
  ASSERT_TRUE(store_->Read([&](storage::SqlTx& tx) {
    return tx.Query("SELECT secret_sha256 FROM tokens", {}, [&](const storage::SqlRow& r) {
      secret_found |= r.String(0) == t->secret;
      hash_found |= r.String(0) == Sha256Hex(t->secret);
    });
  }).ok());
  EXPECT_FALSE(secret_found);
  EXPECT_TRUE(hash_found);
}

TEST_F(TokenStoreTest, RevokedTokenStopsWorkingAtOnce) {
  auto t = tokens_->Create(SystemPrincipal(), "bob", Role::kViewer);
  ASSERT_TRUE(tokens_->Authenticate(t->secret).ok());  // now cached
  ASSERT_TRUE(tokens_->Revoke(SystemPrincipal(), t->info.id).ok());
  EXPECT_EQ(tokens_->Authenticate(t->secret).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(tokens_->Revoke(SystemPrincipal(), "nope").code(), StatusCode::kNotFound);
}

TEST_F(TokenStoreTest, DuplicateNamesAndUnknownSecrets) {
  ASSERT_TRUE(tokens_->Create(SystemPrincipal(), "dup", Role::kViewer).ok());
  EXPECT_EQ(tokens_->Create(SystemPrincipal(), "dup", Role::kAdmin).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(tokens_->Authenticate("plt_unknown").status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace plinth::auth

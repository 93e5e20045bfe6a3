#include "auth/audit_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "storage/sqlite/sqlite_metadata_store.h"
#include "test_dir.h"

namespace plinth::auth {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(storage::SqliteMetadataStore::Open({dir_.path() + "/a.db"})).value();
    log_ = std::make_unique<AuditLog>(*store_);
    ASSERT_TRUE(log_->InitSchema().ok());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(store_->Write([&](storage::SqlTx& tx) {
        return AuditLog::Append(tx, "alice", "run.create", "runs/" + std::to_string(i),
                                "{\"i\":" + std::to_string(i) + "}");
      }).ok());
    }
  }

  void Tamper(const std::string& sql) {
    ASSERT_TRUE(store_->Write([&](storage::SqlTx& tx) { return tx.Exec(sql); }).ok());
  }

  testing::TestDir dir_;
  std::unique_ptr<storage::MetadataStore> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, ChainLinksAndVerifies) {
  auto events = log_->List(0, 100);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 5u);
  EXPECT_EQ((*events)[0].seq, 1);
  EXPECT_EQ((*events)[0].prev_hash, kGenesisHash);
  EXPECT_EQ((*events)[1].prev_hash, (*events)[0].hash);
  auto v = log_->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->events, 5);
}

TEST_F(AuditLogTest, EditedEventIsNamed) {
  Tamper("UPDATE audit_events SET details = '{\"i\":99}' WHERE seq = 3");
  auto v = log_->Verify();
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 3);
}

TEST_F(AuditLogTest, DeletedEventIsNamed) {
  Tamper("DELETE FROM audit_events WHERE seq = 2");
  auto v = log_->Verify();
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 2);
}

TEST_F(AuditLogTest, ReorderedEventsAreNamed) {
  // Swap the contents of events 4 and 5 (keeping their seq numbers).
  Tamper("UPDATE audit_events SET seq = -4 WHERE seq = 4");
  Tamper("UPDATE audit_events SET seq = 4 WHERE seq = 5");
  Tamper("UPDATE audit_events SET seq = 5 WHERE seq = -4");
  auto v = log_->Verify();
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 4);
}

TEST(AuditChainVerifier, ChecksEventsAsListedByTheApi) {
  AuditEventFields f{1, 1000, "admin", "token.create", "tokens/x", "{\"role\":\"admin\"}"};
  std::string h1 = AuditEventHash(kGenesisHash, f);
  nlohmann::json e1 = {{"seq", 1}, {"time_ms", 1000}, {"actor", "admin"},
                       {"action", "token.create"}, {"resource", "tokens/x"},
                       {"details", {{"role", "admin"}}}, {"prev_hash", kGenesisHash}, {"hash", h1}};
  AuditChainVerifier ok;
  EXPECT_TRUE(ok.Add(e1));
  EXPECT_TRUE(ok.Finish().ok);
  e1["actor"] = "mallory";
  AuditChainVerifier bad;
  EXPECT_FALSE(bad.Add(e1));
  EXPECT_EQ(bad.Finish().first_bad_seq, 1);
}

TEST_F(AuditLogTest, ARecordedHeadShowsEventsCutOffTheEnd) {
  auto before = log_->Verify();
  ASSERT_TRUE(before->ok);
  AuditHead head{before->head_seq, before->head_hash};
  EXPECT_TRUE(log_->Verify(head)->ok);
  Tamper("DELETE FROM audit_events WHERE seq = " + std::to_string(head.seq));
  EXPECT_TRUE(log_->Verify()->ok);  // what is left still chains
  auto cut = log_->Verify(head);
  EXPECT_FALSE(cut->ok);
  EXPECT_EQ(cut->first_bad_seq, head.seq);
}

TEST(AuditChainVerifier, ARewrittenChainDoesNotHoldTheRecordedHead) {
  AuditEventFields f{1, 1000, "admin", "token.create", "tokens/x", "{}"};
  nlohmann::json e1 = {{"seq", 1}, {"time_ms", 1000}, {"actor", "admin"},
                       {"action", "token.create"}, {"resource", "tokens/x"}, {"details", nlohmann::json::object()},
                       {"prev_hash", kGenesisHash}, {"hash", AuditEventHash(kGenesisHash, f)}};
  AuditChainVerifier verifier;
  verifier.ExpectHead({1, std::string(64, 'a')});
  EXPECT_FALSE(verifier.Add(e1));
  EXPECT_EQ(verifier.Finish().first_bad_seq, 1);
}

TEST(AuditHead, ParsesSeqColonHash) {
  auto head = ParseAuditHead("12:" + std::string(64, 'f'));
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->seq, 12);
  EXPECT_FALSE(ParseAuditHead("0:" + std::string(64, 'f')).has_value());
  EXPECT_FALSE(ParseAuditHead("12:" + std::string(63, 'f')).has_value());
  EXPECT_FALSE(ParseAuditHead("12:" + std::string(64, 'F')).has_value());
  EXPECT_FALSE(ParseAuditHead("x:" + std::string(64, 'f')).has_value());
  EXPECT_FALSE(ParseAuditHead(std::string(64, 'f')).has_value());
}

}  // namespace
}  // namespace plinth::auth

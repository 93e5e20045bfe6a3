// kill -9 during ingest leaves a batch entirely present or entirely absent. A child process
// ingests and is SIGKILLed, at each step of the commit and at random moments; the parent then
// opens the store and checks every batch.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "features/definitions.h"
#include "features/offline_store.h"
#include "test_dir.h"

namespace plinth::features {
namespace {

constexpr int kRowsPerBatch = 20000;

FeatureView View() {
  FeatureView v = *FeatureViewFromJson(R"({"name": "v", "entities": ["e"], "features": [
      {"name": "batch", "type": "int"}, {"name": "x", "type": "float"}]})");
  v.version = 1;
  v.join_keys = {{"id", ValueType::kInt}};
  return v;
}

// Batch b: kRowsPerBatch distinct rows, each carrying b in its "batch" column.
FeatureBatch MakeBatch(int b) {
  std::string csv = "id,event_timestamp,batch,x\n";
  for (int i = 0; i < kRowsPerBatch; ++i) {
    csv += std::to_string(i) + "," + std::to_string(1000 + b) + "," + std::to_string(b) + "," +
           std::to_string(i * 0.5) + "\n";
  }
  return std::move(ParseBatch(View(), BatchFormat::kCsv, csv)).value();
}

// Rows per batch number, read back from a freshly opened store.
std::map<int64_t, int64_t> RowsPerBatch(const std::string& dir) {
  OfflineStoreOptions o;
  o.dir = dir;
  auto store = OfflineStore::Open(o);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  std::map<int64_t, int64_t> out;
  if (!store.ok()) return out;
  auto snap = (*store)->Snapshot("v");
  for (const auto& seg : snap->segments) {
    Block block;
    for (size_t b = 0; b < seg->blocks().size(); ++b) {
      EXPECT_TRUE(seg->ReadBlock(b, {true, true}, &block).ok());
      for (size_t r = 0; r < block.rows; ++r) ++out[static_cast<int64_t>(block.columns[0].Get(r))];
    }
  }
  return out;
}

// Forks a child that writes batches first..last (SIGKILLing itself at `point`, if given);
// returns how the child ended.
int RunChild(const std::string& dir, int first, int last, const std::string& point) {
  pid_t pid = fork();
  if (pid == 0) {
    OfflineStoreOptions o;
    o.dir = dir;
    o.block_rows = 4096;
    o.crash_point = [point](std::string_view at) {
      if (at == point) raise(SIGKILL);
    };
    auto store = OfflineStore::Open(o);
    if (!store.ok()) _exit(2);
    for (int b = first; b <= last; ++b) {
      IngestRecord r{"i" + std::to_string(b), "v", 1, "t", 0, kRowsPerBatch, "{}"};
      if (!(*store)->Write("v", MakeBatch(b), r).ok()) _exit(3);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(IngestCrash, KillAtEachCommitStepLeavesTheBatchWholeOrAbsent) {
  struct Case {
    const char* point;
    bool present;
  };
  for (Case c : {Case{"segment_synced", false}, Case{"segment_renamed", false},
                 Case{"manifest_synced", false}, Case{"manifest_renamed", true}}) {
    testing::TestDir dir;
    ASSERT_EQ(RunChild(dir.path(), 0, 0, ""), 0);  // batch 0 commits normally
    int status = RunChild(dir.path(), 1, 1, c.point);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << c.point;
    auto rows = RowsPerBatch(dir.path());
    EXPECT_EQ(rows[0], kRowsPerBatch) << c.point;
    EXPECT_EQ(rows.count(1) ? rows[1] : 0, c.present ? kRowsPerBatch : 0) << c.point;
    // The store takes new batches afterwards.
    ASSERT_EQ(RunChild(dir.path(), 2, 2, ""), 0);
    EXPECT_EQ(RowsPerBatch(dir.path())[2], kRowsPerBatch) << c.point;
  }
}

TEST(IngestCrash, KillAtRandomMomentsLeavesEveryBatchWholeOrAbsent) {
  std::mt19937 rng(11);
  int64_t committed = 0;
  for (int round = 0; round < 3; ++round) {
    testing::TestDir dir;
    pid_t pid = fork();
    if (pid == 0) {
      OfflineStoreOptions o;
      o.dir = dir.path();
      o.block_rows = 4096;
      auto store = OfflineStore::Open(o);
      if (!store.ok()) _exit(2);
      for (int b = 0;; ++b) {
        IngestRecord r{"i" + std::to_string(b), "v", 1, "t", 0, kRowsPerBatch, "{}"};
        if (!(*store)->Write("v", MakeBatch(b), r).ok()) _exit(3);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(60 + rng() % 240));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended on its own: " << status;
    auto rows = RowsPerBatch(dir.path());
    committed += static_cast<int64_t>(rows.size());
    int64_t expected_batch = 0;
    for (const auto& [batch, count] : rows) {
      EXPECT_EQ(batch, expected_batch++) << "batches commit in order, with no gaps";
      EXPECT_EQ(count, kRowsPerBatch) << "batch " << batch << " is partial";
    }
  }
  EXPECT_GT(committed, 3) << "the kills should land after some commits";
}

}  // namespace
}  // namespace plinth::features

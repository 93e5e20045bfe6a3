// kill -9 in the middle of a materialization, then running it again, ends with every entity's
// latest value online: no duplicates, no gaps. A child process materializes and SIGKILLs itself
// after a few chunks; the parent reopens the stores, checks the interrupted job and the
// untouched watermark, runs the job again and checks every record.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <set>

#include "features/entity_key.h"
#include "features/online_test_util.h"

namespace plinth::features {
namespace {

constexpr int kEntities = 5000;
constexpr size_t kChunk = 250;

// Three rows per entity (times in epoch seconds); the newest (time 3000) carries trips = id * 3 + 2.
std::string Rows() {
  std::string csv = "zone_id,event_timestamp,trips,speed,name,busy\n";
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < kEntities; ++i) {
      csv += std::to_string(i) + "," + std::to_string(1000 * (t + 1)) + "," +
             std::to_string(i * 3 + t) + ",0.5,z" + std::to_string(i) + ",true\n";
    }
  }
  return csv;
}

class MaterializeCrashTest : public OnlineStoreTest {};

TEST_F(MaterializeCrashTest, KilledJobRunAgainHasNoDuplicatesAndNoGaps) {
  DefineZones();
  Ingest("zones", Rows());
  store_.reset();  // the child opens the stores itself
  kv_.reset();
  meta_.reset();

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    MaterializerOptions options;
    options.chunk_records = kChunk;
    options.crash_point = [](std::string_view, int64_t written) {
      if (written >= static_cast<int64_t>(3 * kChunk)) ::kill(::getpid(), SIGKILL);
    };
    OpenStore(options);
    MaterializeRequest req;
    req.view = "zones";
    req.incremental = true;
    req.end_ms = 10000 * 1000;
    req.wait = true;
    auto job = store_->materializer()->Materialize(actor_, req);
    if (!job.ok()) std::fprintf(stderr, "child: %s\n", job.status().ToString().c_str());
    ::_exit(3);  // not reached: the hook kills the process first
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);

  OpenStore();
  auto jobs = store_->materializer()->List("zones", PageRequest{});
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].status, "interrupted");
  EXPECT_FALSE(store_->materializer()->Watermark("zones").value().has_value());
  // Some chunks reached the online store before the kill, not all.
  size_t before = 0;
  ASSERT_TRUE(store_->online()->Scan("zones", [&](std::string_view, std::string_view) {
    return ++before, true;
  }).ok());
  EXPECT_GE(before, 3 * kChunk);
  EXPECT_LT(before, static_cast<size_t>(kEntities));

  MaterializationJob again = Incremental("zones", 10000 * 1000);
  EXPECT_EQ(again.status, "succeeded");
  EXPECT_EQ(again.start_ms, INT64_MIN);  // the watermark had not moved
  EXPECT_EQ(again.entities, kEntities);
  EXPECT_EQ(*store_->materializer()->Watermark("zones").value(), 10000 * 1000);

  // Exactly one record per entity, each the newest row.
  std::set<std::string> keys;
  size_t records = 0;
  ASSERT_TRUE(store_->online()->Scan("zones", [&](std::string_view key, std::string_view) {
    ++records;
    keys.insert(std::string(key));
    return true;
  }).ok());
  EXPECT_EQ(records, static_cast<size_t>(kEntities));
  EXPECT_EQ(keys.size(), static_cast<size_t>(kEntities));
  std::vector<std::string> ids;
  for (int i = 0; i < kEntities; ++i) ids.push_back(std::to_string(i));
  ASSERT_TRUE(Read({"zones:trips", "zones:name"}, ids).ok());
  int wrong = 0;
  for (int i = 0; i < kEntities; ++i) {
    if (StatusOf(0, i) != "PRESENT" || IntOf(0, i) != i * 3 + 2 ||
        result_.Cell(0, i).event_ms != 3000 * 1000 || result_.Cell(1, i).str != "z" + std::to_string(i)) {
      ++wrong;
    }
  }
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace plinth::features

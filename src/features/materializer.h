#pragma once
// Materializer: copies the latest feature values per entity from the offline store into the
// online store, as jobs.
//
// A job covers event times [start_ms, end_ms) of one view. It reads a snapshot of the view's
// segments in commit order, keeps for each entity the newest row in the range (on equal times
// the later commit: the offline store's rule), encodes it for the view's latest version, and
// writes the entities in key order in chunks (OnlineStore::Write, which keeps an online value
// that is newer than the offline row). Progress (rows scanned, entities, records written) is
// visible while it runs.
//
// Incremental jobs start where the view's last incremental job ended (its watermark; the
// beginning of time for the first) and end at end_ms (default: now). The watermark moves only
// when a job succeeds, in the same metadata transaction as the job's final state and its audit
// event (feature_view.materialize). Rows whose event time is before the watermark but that are
// ingested after it moved are not picked up by later incremental jobs (as in Feast): materialize
// that range explicitly.
//
// Crash safety: a job's writes are idempotent (one record per entity, newest event wins), the
// last chunk is written with sync (making every chunk durable) before the watermark moves, and a
// job that a crash interrupted is marked "interrupted" when the next process opens the store; it
// leaves the watermark where it was, so running it again rewrites the same records and ends
// with no duplicates and no gaps (tests/features/materialize_crash_test.cc kills a process in
// the middle of a job and checks this).
//
// One job per view at a time (Conflict otherwise). Jobs run on their own threads; the destructor
// asks running jobs to stop and waits for them (they end "interrupted"). Thread-safe.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "auth/roles.h"
#include "common/paging.h"
#include "common/status.h"
#include "features/feature_registry.h"
#include "features/offline_store.h"
#include "features/online_store.h"
#include "storage/metadata_store.h"

namespace plinth::features {

struct MaterializationJob {
  std::string id;
  std::string view;
  int view_version = 0;
  bool incremental = false;
  int64_t start_ms = 0;  // inclusive; INT64_MIN for "the beginning"
  int64_t end_ms = 0;    // exclusive
  std::string status;    // "running", "succeeded", "failed", "interrupted"
  std::string error;     // when failed
  int64_t rows_scanned = 0;  // offline rows in the range
  int64_t entities = 0;      // entities with a row in the range
  int64_t rows_written = 0;  // online records written
  int64_t rows_skipped = 0;  // online records kept because they were newer
  int64_t created_ms = 0;
  int64_t finished_ms = 0;  // 0 while running
  std::string created_by;
};

struct MaterializeRequest {
  std::string view;
  bool incremental = false;
  std::optional<int64_t> start_ms;  // required unless incremental (where it is not allowed)
  std::optional<int64_t> end_ms;    // required unless incremental (default now)
  bool wait = false;                // run in the caller's thread and return the finished job
};

struct MaterializerOptions {
  size_t chunk_records = 4096;  // records per online write
  // Test hook: called after each chunk is written ("chunk_written") with the records written so
  // far. Crash tests SIGKILL the process there.
  std::function<void(std::string_view point, int64_t written)> crash_point;
};

class Materializer {
 public:
  Materializer(storage::MetadataStore& metadata, FeatureRegistry& registry, OfflineStore& offline,
               OnlineStore& online, MaterializerOptions options = {});
  ~Materializer();

  // Creates the tables and marks jobs a previous process left running as interrupted.
  Status Open();

  // Starts (or, with wait, runs) a job. InvalidArgument for a bad range; NotFound for an unknown
  // view; Conflict when a job of the view is running.
  Result<MaterializationJob> Materialize(const auth::Principal& actor,
                                         const MaterializeRequest& request);
  Result<MaterializationJob> Get(const std::string& id);                    // NotFound
  Result<std::vector<MaterializationJob>> List(const std::string& view,     // newest first;
                                               const PageRequest& page);   // limit + 1 fetched
  // The view's watermark (end of the last successful incremental job), if any.
  Result<std::optional<int64_t>> Watermark(const std::string& view);

 private:
  struct Running;
  Status Run(Running& job);
  Status Finish(Running& job, const Status& outcome);
  MaterializationJob Snapshot(const Running& job) const;
  void ReapFinished();  // joins the threads of finished jobs; needs mu_

  storage::MetadataStore& metadata_;
  FeatureRegistry& registry_;
  OfflineStore& offline_;
  OnlineStore& online_;
  const MaterializerOptions options_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Running>> running_;  // GUARDED_BY(mu_), by job id
  std::vector<std::pair<std::shared_ptr<Running>, std::thread>> threads_;  // GUARDED_BY(mu_)
};

}  // namespace plinth::features

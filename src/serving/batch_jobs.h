#pragma once
// BatchJobs: batch inference inside the server (SageMaker Batch Transform's shape). A job names
// an endpoint and an uploaded CSV or JSON-lines blob; a background worker predicts every row
// with BatchPredict (batch_predict.h) and stores the predictions as a CSV blob.
//
// A job runs with the endpoint's routing table as it is when the job starts, on the variant the
// traffic split picks for the job's id as routing key (so one job is served by one variant).
// Jobs run one at a time, in submission order, each on `threads` threads. States: queued ->
// running -> succeeded | failed. Submitting and finishing are persisted and audited
// (batch_job.create, batch_job.finish) in the same transaction as the change; progress (rows
// done) is kept in memory while a job runs. A job that was queued or running when the server
// stopped is marked failed at the next start (audited). Thread-safe.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "auth/roles.h"
#include "common/paging.h"
#include "common/row_reader.h"
#include "serving/batch_predict.h"
#include "serving/endpoint_manager.h"
#include "storage/blob_store.h"
#include "storage/metadata_store.h"

namespace plinth::serving {

struct BatchJobRequest {
  std::string endpoint;
  std::string input_sha256;           // an uploaded blob (POST /api/v1/uploads)
  std::optional<RowFormat> format;    // default: sniffed from the input
  bool strict = false;                // the first bad row fails the job
};

struct BatchJob {
  std::string id;
  std::string endpoint;
  std::string input_sha256;
  std::string format;  // "csv" | "jsonl"
  bool strict = false;
  std::string status;  // "queued" | "running" | "succeeded" | "failed"
  int64_t rows_total = 0;  // lines after the header while running; rows read when finished
  int64_t rows_done = 0;
  int64_t rows_bad = 0;
  std::vector<BadRow> bad_rows;  // the first 1,000, by line
  double rows_per_second = 0;
  std::string error;
  std::string output_sha256;
  std::string variant;
  int64_t version = 0;
  int64_t created_ms = 0, started_ms = 0, finished_ms = 0;
  std::string created_by;
};

// The job as the API answers it (docs/api.md, Batch jobs).
nlohmann::json BatchJobToJson(const BatchJob& job);

class BatchJobs {
 public:
  BatchJobs(storage::MetadataStore& store, storage::BlobStore& blobs, EndpointManager& endpoints,
            int threads = 2);
  ~BatchJobs();  // stops after the running job's current state; queued jobs stay queued

  // Creates the table and marks jobs left unfinished by a previous run failed. Then starts the
  // worker.
  Status Open();

  // NotFound for an unknown endpoint or input blob; InvalidArgument for a bad format.
  Result<BatchJob> Submit(const auth::Principal& actor, const BatchJobRequest& request);
  Result<BatchJob> Get(const std::string& id);
  // Newest first; fetches up to page.limit + 1.
  Result<std::vector<BatchJob>> List(const PageRequest& page);
  // The predictions CSV of a succeeded job; Conflict while it is not succeeded.
  Result<std::string> Output(const std::string& id);

  // Waits until no job is queued or running (tests, benchmarks).
  void WaitIdle();

 private:
  struct Live;  // a queued or running job and its progress
  void Work();
  void Run(Live& live);
  Status Persist(const BatchJob& job, const char* action, const std::string& actor, bool insert);

  storage::MetadataStore& store_;
  storage::BlobStore& blobs_;
  EndpointManager& endpoints_;
  const int threads_;
  std::mutex mu_;
  std::condition_variable ready_, idle_;
  std::deque<std::shared_ptr<Live>> queue_;             // guarded by mu_
  std::map<std::string, std::shared_ptr<Live>> live_;  // guarded by mu_: queued or running
  bool stopping_ = false;                              // guarded by mu_
  std::thread worker_;
};

}  // namespace plinth::serving

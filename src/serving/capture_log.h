#pragma once
// CaptureLog: a sample of each endpoint's traffic (inputs, outputs, variant, version, latency,
// request id, time), kept for monitoring and ground-truth joins.
//
// The request path calls Offer(), which copies the record into a bounded queue and returns; a
// writer thread stores queued records in batches (one MetadataStore transaction per batch of up
// to 1,000). A full queue drops the record and counts it: capture never blocks or fails a
// prediction. Records are data, not configuration: they are not audited. Thread-safe.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/paging.h"
#include "storage/metadata_store.h"

namespace plinth::serving {

struct CaptureRecord {
  std::string endpoint;
  std::string request_id;
  int64_t time_ms = 0;
  std::string variant;
  std::string model;
  int64_t version = 0;
  double latency_ms = 0;
  std::string inputs_json;   // the request's rows as the client sent them
  std::string outputs_json;  // the predictions as answered
  int64_t seq = 0;           // the stored row's number (set by List and Chunk)
};

class CaptureLog {
 public:
  CaptureLog(storage::MetadataStore& store, size_t max_queue = 10000);
  ~CaptureLog();  // stores what is queued, then stops

  Status InitSchema();

  // Queues a record; never blocks on storage.
  void Offer(CaptureRecord record);

  // Stored records of an endpoint with time_ms in [since_ms, until_ms), oldest first.
  Result<std::vector<CaptureRecord>> List(const std::string& endpoint, int64_t since_ms,
                                          int64_t until_ms, const PageRequest& page);

  // Up to `limit` stored records of an endpoint with time_ms in [since_ms, until_ms) that come
  // after (after_time_ms, after_seq) in (time_ms, seq) order: a keyset page, so that a window of
  // any size is read in chunks, each an index range scan (monitors read 10M rows this way).
  // Start with after_time_ms = since_ms - 1, after_seq = 0; continue from the last record.
  Result<std::vector<CaptureRecord>> Chunk(const std::string& endpoint, int64_t since_ms,
                                           int64_t until_ms, int64_t after_time_ms,
                                           int64_t after_seq, int limit);

  // Which of `request_ids` have a stored record on `endpoint` (ground-truth joins).
  Result<std::vector<std::string>> FindCaptured(const std::string& endpoint,
                                                const std::vector<std::string>& request_ids);

  // Waits until everything offered so far is stored (tests, shutdown).
  void Flush();

  int64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  void Work();

  storage::MetadataStore& store_;
  const size_t max_queue_;
  std::atomic<int64_t> dropped_{0};
  std::mutex mu_;
  std::condition_variable ready_;     // the writer waits on this
  std::condition_variable drained_;   // Flush waits on this
  std::deque<CaptureRecord> queue_;   // guarded by mu_
  int64_t offered_ = 0, stored_ = 0;  // guarded by mu_ (stored_ counts failed batches too)
  bool stopping_ = false;             // guarded by mu_
  std::thread writer_;
};

}  // namespace plinth::serving

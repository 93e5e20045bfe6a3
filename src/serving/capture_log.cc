#include "serving/capture_log.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace plinth::serving {

using storage::SqlRow;
using storage::SqlTx;

namespace {
constexpr size_t kBatch = 1000;
}  // namespace

CaptureLog::CaptureLog(storage::MetadataStore& store, size_t max_queue)
    : store_(store), max_queue_(max_queue) {
  writer_ = std::thread([this] { Work(); });
}

CaptureLog::~CaptureLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_one();
  writer_.join();
}

Status CaptureLog::InitSchema() {
  return store_.Write([](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec(
        "CREATE TABLE IF NOT EXISTS captured_predictions (seq INTEGER PRIMARY KEY,"
        " endpoint TEXT NOT NULL, request_id TEXT NOT NULL, time_ms INTEGER NOT NULL,"
        " variant TEXT NOT NULL, model TEXT NOT NULL, version INTEGER NOT NULL,"
        " latency_ms REAL NOT NULL, inputs TEXT NOT NULL, outputs TEXT NOT NULL)"));
    RETURN_IF_ERROR(tx.Exec(
        "CREATE INDEX IF NOT EXISTS captured_by_time ON captured_predictions (endpoint, time_ms)"));
    return tx.Exec(
        "CREATE INDEX IF NOT EXISTS captured_by_request ON captured_predictions (request_id)");
  });
}

void CaptureLog::Offer(CaptureRecord record) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queue_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(record));
    ++offered_;
  }
  ready_.notify_one();
}

void CaptureLog::Flush() {
  std::unique_lock lock(mu_);
  int64_t target = offered_;
  drained_.wait(lock, [&] { return stored_ >= target; });
}

void CaptureLog::Work() {
  std::vector<CaptureRecord> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is stored
      while (!queue_.empty() && batch.size() < kBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Status st = store_.Write([&](SqlTx& tx) {
      for (const CaptureRecord& r : batch) {
        RETURN_IF_ERROR(tx.Exec(
            "INSERT INTO captured_predictions (endpoint, request_id, time_ms, variant, model,"
            " version, latency_ms, inputs, outputs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {std::string_view(r.endpoint), std::string_view(r.request_id), r.time_ms,
             std::string_view(r.variant), std::string_view(r.model), r.version, r.latency_ms,
             std::string_view(r.inputs_json), std::string_view(r.outputs_json)}));
      }
      return Status::Ok();
    });
    if (!st.ok()) {
      dropped_.fetch_add(static_cast<int64_t>(batch.size()), std::memory_order_relaxed);
      spdlog::error("dropped {} captured predictions: {}", batch.size(), st.message());
    }
    {
      std::lock_guard lock(mu_);
      stored_ += static_cast<int64_t>(batch.size());
    }
    drained_.notify_all();
    batch.clear();
  }
}

Result<std::vector<CaptureRecord>> CaptureLog::List(const std::string& endpoint, int64_t since_ms,
                                                    int64_t until_ms, const PageRequest& page) {
  std::vector<CaptureRecord> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(
        "SELECT endpoint, request_id, time_ms, variant, model, version, latency_ms, inputs,"
        " outputs, seq FROM captured_predictions WHERE endpoint = ? AND time_ms >= ?"
        " AND time_ms < ? ORDER BY time_ms, seq LIMIT ? OFFSET ?",
        {std::string_view(endpoint), since_ms, until_ms, int64_t{page.limit + 1}, page.offset},
        [&](const SqlRow& r) {
          out.push_back(CaptureRecord{r.String(0), r.String(1), r.Int(2), r.String(3),
                                      r.String(4), r.Int(5), r.Double(6), r.String(7),
                                      r.String(8), r.Int(9)});
        });
  }));
  return out;
}

Result<std::vector<CaptureRecord>> CaptureLog::Chunk(const std::string& endpoint, int64_t since_ms,
                                                     int64_t until_ms, int64_t after_time_ms,
                                                     int64_t after_seq, int limit) {
  std::vector<CaptureRecord> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(
        "SELECT endpoint, request_id, time_ms, variant, model, version, latency_ms, inputs,"
        " outputs, seq FROM captured_predictions WHERE endpoint = ? AND time_ms >= ?"
        " AND time_ms < ? AND (time_ms > ? OR seq > ?) ORDER BY time_ms, seq LIMIT ?",
        // The range starts at the last record's time, so each chunk is one index seek (a row
        // value comparison alone would let SQLite start every chunk at since_ms).
        {std::string_view(endpoint), std::max(since_ms, after_time_ms), until_ms, after_time_ms,
         after_seq, int64_t{limit}},
        [&](const SqlRow& r) {
          out.push_back(CaptureRecord{r.String(0), r.String(1), r.Int(2), r.String(3),
                                      r.String(4), r.Int(5), r.Double(6), r.String(7),
                                      r.String(8), r.Int(9)});
        });
  }));
  return out;
}

Result<std::vector<std::string>> CaptureLog::FindCaptured(
    const std::string& endpoint, const std::vector<std::string>& request_ids) {
  std::vector<std::string> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    for (const std::string& id : request_ids) {
      bool found = false;
      RETURN_IF_ERROR(tx.Query(
          "SELECT 1 FROM captured_predictions WHERE request_id = ? AND endpoint = ? LIMIT 1",
          {std::string_view(id), std::string_view(endpoint)}, [&](const SqlRow&) { found = true; }));
      if (found) out.push_back(id);
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace plinth::serving

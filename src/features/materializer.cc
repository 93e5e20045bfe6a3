#include "features/materializer.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "auth/audit_log.h"
#include "common/clock.h"
#include "common/ids.h"

namespace plinth::features {

using storage::SqlRow;
using storage::SqlTx;

constexpr int64_t kBeginning = std::numeric_limits<int64_t>::min();

struct Materializer::Running {
  MaterializationJob job;  // fixed fields; counters below while running
  std::atomic<int64_t> rows_scanned{0}, entities{0}, rows_written{0}, rows_skipped{0};
  std::atomic<bool> done{false};
};

namespace {

constexpr char kSelectJob[] =
    "SELECT id, view, view_version, incremental, start_ms, end_ms, status, error, rows_scanned,"
    " entities, rows_written, rows_skipped, created_ms, finished_ms, created_by"
    " FROM feature_materializations";

MaterializationJob JobFromRow(const SqlRow& row) {
  MaterializationJob j;
  j.id = row.String(0);
  j.view = row.String(1);
  j.view_version = static_cast<int>(row.Int(2));
  j.incremental = row.Int(3) != 0;
  j.start_ms = row.Int(4);
  j.end_ms = row.Int(5);
  j.status = row.String(6);
  j.error = row.IsNull(7) ? "" : row.String(7);
  j.rows_scanned = row.Int(8);
  j.entities = row.Int(9);
  j.rows_written = row.Int(10);
  j.rows_skipped = row.Int(11);
  j.created_ms = row.Int(12);
  j.finished_ms = row.Int(13);
  j.created_by = row.String(14);
  return j;
}

nlohmann::json AuditDetails(const MaterializationJob& j) {
  nlohmann::json d = {{"job", j.id},           {"status", j.status},
                      {"incremental", j.incremental}, {"end_ms", j.end_ms},
                      {"rows_written", j.rows_written}, {"entities", j.entities}};
  d["start_ms"] = j.start_ms == kBeginning ? nlohmann::json(nullptr) : nlohmann::json(j.start_ms);
  if (!j.error.empty()) d["error"] = j.error;
  return d;
}

// The newest row in [start, end) of each entity of `view` in `snap`, encoded for the view's
// version, sorted by entity key.
Result<std::vector<OnlineRecord>> CollectLatest(const FeatureView& view, const ViewSnapshot& snap,
                                                int64_t start, int64_t end,
                                                std::atomic<int64_t>& scanned,
                                                const std::atomic<bool>& stop) {
  struct Best {
    int64_t ts;
    std::string value;
  };
  std::unordered_map<std::string, Best> best;
  Block block;
  for (size_t s = 0; s < snap.segments.size(); ++s) {
    const SegmentReader& reader = *snap.segments[s];
    const SegmentSchema& schema = reader.schema();
    if (schema.join_keys != view.join_keys) continue;  // written under other keys: not this view's
    if (snap.entries[s].max_ts < start || snap.entries[s].min_ts >= end) continue;
    std::vector<int> cols;
    std::vector<bool> want(schema.columns.size(), false);
    for (const Feature& f : view.features) {
      int c = schema.Find(f.name, f.type);
      cols.push_back(c);
      if (c >= 0) want[c] = true;
    }
    for (size_t b = 0; b < reader.blocks().size(); ++b) {
      if (stop.load(std::memory_order_relaxed)) return Unavailable("the job was stopped");
      const BlockMeta& meta = reader.blocks()[b];
      if (meta.max_ts < start || meta.min_ts >= end) continue;
      RETURN_IF_ERROR(reader.ReadBlock(b, want, &block));
      int64_t in_range = 0;
      for (size_t r = 0; r < block.rows; ++r) {
        const int64_t ts = block.ts[r];
        if (ts < start || ts >= end) continue;
        ++in_range;
        std::string_view key = block.Key(r);
        // Rows of one key are in time order: a next row of the same key in range is newer.
        if (r + 1 < block.rows && block.ts[r + 1] < end && block.Key(r + 1) == key) continue;
        auto [it, inserted] = best.try_emplace(std::string(key));
        // Later segments are later commits: they win ties.
        if (!inserted && it->second.ts > ts) continue;
        it->second.ts = ts;
        std::string& value = it->second.value;
        value.clear();
        OnlineValueWriter w(&value, view.version, ts, view.features.size());
        for (size_t f = 0; f < view.features.size(); ++f) {
          int c = cols[f];
          if (c < 0 || !block.columns[c].Valid(r)) {
            w.AddNull();
          } else if (view.features[f].type == ValueType::kString) {
            w.AddString(block.columns[c].String(r));
          } else {
            w.AddRaw(view.features[f].type, block.columns[c].Get(r));
          }
        }
      }
      scanned.fetch_add(in_range, std::memory_order_relaxed);
    }
  }
  std::vector<OnlineRecord> out;
  out.reserve(best.size());
  for (auto& [key, b] : best) out.push_back({key, b.ts, std::move(b.value)});
  std::sort(out.begin(), out.end(),
            [](const OnlineRecord& a, const OnlineRecord& b) { return a.entity_key < b.entity_key; });
  return out;
}

}  // namespace

Materializer::Materializer(storage::MetadataStore& metadata, FeatureRegistry& registry,
                           OfflineStore& offline, OnlineStore& online, MaterializerOptions options)
    : metadata_(metadata),
      registry_(registry),
      offline_(offline),
      online_(online),
      options_(std::move(options)) {}

Materializer::~Materializer() {
  stopping_ = true;
  std::vector<std::pair<std::shared_ptr<Running>, std::thread>> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (auto& [job, thread] : threads) thread.join();
}

Status Materializer::Open() {
  static const char* kStatements[] = {
      "CREATE TABLE IF NOT EXISTS feature_materializations (id TEXT PRIMARY KEY,"
      " view TEXT NOT NULL, view_version INTEGER NOT NULL, incremental INTEGER NOT NULL,"
      " start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, status TEXT NOT NULL, error TEXT,"
      " rows_scanned INTEGER NOT NULL DEFAULT 0, entities INTEGER NOT NULL DEFAULT 0,"
      " rows_written INTEGER NOT NULL DEFAULT 0, rows_skipped INTEGER NOT NULL DEFAULT 0,"
      " created_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL DEFAULT 0,"
      " created_by TEXT NOT NULL)",
      "CREATE INDEX IF NOT EXISTS feature_materializations_by_view"
      " ON feature_materializations (view, created_ms)",
      "CREATE TABLE IF NOT EXISTS feature_online_watermarks (view TEXT PRIMARY KEY,"
      " watermark_ms INTEGER NOT NULL, job_id TEXT NOT NULL, updated_ms INTEGER NOT NULL)",
  };
  return metadata_.Write([&](SqlTx& tx) -> Status {
    for (const char* sql : kStatements) RETURN_IF_ERROR(tx.Exec(sql));
    std::vector<MaterializationJob> stale;
    RETURN_IF_ERROR(tx.Query(std::string(kSelectJob) + " WHERE status = 'running'", {},
                             [&](const SqlRow& row) { stale.push_back(JobFromRow(row)); }));
    const int64_t now = NowMs();
    for (MaterializationJob& j : stale) {
      j.status = "interrupted";
      j.finished_ms = now;
      RETURN_IF_ERROR(tx.Exec(
          "UPDATE feature_materializations SET status = 'interrupted', finished_ms = ? WHERE id = ?",
          {now, std::string_view(j.id)}));
      RETURN_IF_ERROR(auth::AuditLog::Append(tx, "system", "feature_view.materialize",
                                             "feature-views/" + j.view, AuditDetails(j).dump()));
    }
    return Status::Ok();
  });
}

Result<std::optional<int64_t>> Materializer::Watermark(const std::string& view) {
  std::optional<int64_t> out;
  RETURN_IF_ERROR(metadata_.Read([&](SqlTx& tx) {
    return tx.Query("SELECT watermark_ms FROM feature_online_watermarks WHERE view = ?",
                    {std::string_view(view)}, [&](const SqlRow& row) { out = row.Int(0); });
  }));
  return out;
}

Result<MaterializationJob> Materializer::Materialize(const auth::Principal& actor,
                                                     const MaterializeRequest& request) {
  ASSIGN_OR_RETURN(FeatureView view, registry_.GetFeatureView(request.view));
  auto running = std::make_shared<Running>();
  MaterializationJob& job = running->job;
  job.id = NewId();
  job.view = view.name;
  job.view_version = view.version;
  job.incremental = request.incremental;
  job.status = "running";
  job.created_ms = NowMs();
  job.created_by = actor.name;
  if (request.incremental) {
    if (request.start_ms) return InvalidArgument("an incremental materialization takes no start");
    ASSIGN_OR_RETURN(std::optional<int64_t> watermark, Watermark(view.name));
    job.start_ms = watermark.value_or(kBeginning);
    job.end_ms = request.end_ms.value_or(job.created_ms);
  } else {
    if (!request.start_ms || !request.end_ms) return InvalidArgument("give both start and end");
    job.start_ms = *request.start_ms;
    job.end_ms = *request.end_ms;
  }
  if (job.end_ms < job.start_ms) {
    return InvalidArgument("end (" + std::to_string(job.end_ms) + ") is before start (" +
                           std::to_string(job.start_ms) + ")");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ReapFinished();
    for (const auto& [id, other] : running_) {
      if (other->job.view == job.view) {
        return Conflict("feature view '" + job.view + "' is being materialized by job " + id);
      }
    }
    running_[job.id] = running;
  }
  Status inserted = metadata_.Write([&](SqlTx& tx) -> Status {
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO feature_materializations (id, view, view_version, incremental, start_ms,"
        " end_ms, status, created_ms, created_by) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)",
        {std::string_view(job.id), std::string_view(job.view), int64_t{job.view_version},
         int64_t{job.incremental ? 1 : 0}, job.start_ms, job.end_ms, job.created_ms,
         std::string_view(job.created_by)}));
    return auth::AuditLog::Append(tx, actor.name, "feature_view.materialize_start",
                                  "feature-views/" + job.view, AuditDetails(job).dump());
  });
  if (!inserted.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(job.id);
    return inserted;
  }
  if (request.wait) {
    Status st = Run(*running);
    RETURN_IF_ERROR(Finish(*running, st));
    return Snapshot(*running);
  }
  MaterializationJob started = Snapshot(*running);
  std::lock_guard<std::mutex> lock(mu_);
  threads_.emplace_back(running, std::thread([this, running] {
    Status st = Run(*running);
    (void)Finish(*running, st);  // a failed final write leaves the job 'running': next Open marks it
  }));
  return started;
}

Status Materializer::Run(Running& r) {
  const MaterializationJob& job = r.job;
  ASSIGN_OR_RETURN(FeatureView view, registry_.GetFeatureView(job.view));
  std::shared_ptr<const ViewSnapshot> snap = offline_.Snapshot(job.view);
  if (!snap) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<OnlineRecord> records,
                   CollectLatest(view, *snap, job.start_ms, job.end_ms, r.rows_scanned, stopping_));
  r.entities = static_cast<int64_t>(records.size());
  const size_t chunk = std::max<size_t>(1, options_.chunk_records);
  for (size_t i = 0; i < records.size(); i += chunk) {
    if (stopping_) return Unavailable("the server is stopping");
    size_t n = std::min(chunk, records.size() - i);
    bool last = i + n == records.size();
    ASSIGN_OR_RETURN(OnlineWriteStats stats,
                     online_.Write(job.view, std::span<const OnlineRecord>(records.data() + i, n),
                                   /*sync=*/last));
    r.rows_written += static_cast<int64_t>(stats.written);
    r.rows_skipped += static_cast<int64_t>(stats.skipped);
    if (options_.crash_point) options_.crash_point("chunk_written", r.rows_written.load());
  }
  return Status::Ok();
}

MaterializationJob Materializer::Snapshot(const Running& r) const {
  MaterializationJob j = r.job;
  j.rows_scanned = r.rows_scanned;
  j.entities = r.entities;
  j.rows_written = r.rows_written;
  j.rows_skipped = r.rows_skipped;
  return j;
}

Status Materializer::Finish(Running& r, const Status& outcome) {
  MaterializationJob j = Snapshot(r);
  j.finished_ms = NowMs();
  if (outcome.ok()) {
    j.status = "succeeded";
  } else if (stopping_) {
    j.status = "interrupted";
  } else {
    j.status = "failed";
    j.error = outcome.message();
  }
  Status st = metadata_.Write([&](SqlTx& tx) -> Status {
    RETURN_IF_ERROR(tx.Exec(
        "UPDATE feature_materializations SET status = ?, error = ?, rows_scanned = ?,"
        " entities = ?, rows_written = ?, rows_skipped = ?, finished_ms = ? WHERE id = ?",
        {std::string_view(j.status),
         j.error.empty() ? storage::SqlParam(nullptr) : storage::SqlParam(std::string_view(j.error)),
         j.rows_scanned, j.entities, j.rows_written, j.rows_skipped, j.finished_ms,
         std::string_view(j.id)}));
    if (j.status == "succeeded" && j.incremental) {
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO feature_online_watermarks (view, watermark_ms, job_id, updated_ms)"
          " VALUES (?, ?, ?, ?) ON CONFLICT (view) DO UPDATE SET"
          " watermark_ms = MAX(watermark_ms, excluded.watermark_ms), job_id = excluded.job_id,"
          " updated_ms = excluded.updated_ms",
          {std::string_view(j.view), j.end_ms, std::string_view(j.id), j.finished_ms}));
    }
    return auth::AuditLog::Append(tx, j.created_by, "feature_view.materialize",
                                  "feature-views/" + j.view, AuditDetails(j).dump());
  });
  {
    std::lock_guard<std::mutex> lock(mu_);
    r.job = j;
    r.done = true;
    running_.erase(j.id);
  }
  RETURN_IF_ERROR(st);
  if (!outcome.ok() && j.status == "failed") return outcome;
  return Status::Ok();
}

void Materializer::ReapFinished() {
  for (auto it = threads_.begin(); it != threads_.end();) {
    if (it->first->done) {
      it->second.join();
      it = threads_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<MaterializationJob> Materializer::Get(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = running_.find(id);
    if (it != running_.end()) return Snapshot(*it->second);
  }
  std::optional<MaterializationJob> out;
  RETURN_IF_ERROR(metadata_.Read([&](SqlTx& tx) {
    return tx.Query(std::string(kSelectJob) + " WHERE id = ?", {std::string_view(id)},
                    [&](const SqlRow& row) { out = JobFromRow(row); });
  }));
  if (!out) return NotFound("materialization job '" + id + "' does not exist");
  return *out;
}

Result<std::vector<MaterializationJob>> Materializer::List(const std::string& view,
                                                           const PageRequest& page) {
  std::vector<MaterializationJob> out;
  RETURN_IF_ERROR(metadata_.Read([&](SqlTx& tx) {
    return tx.Query(std::string(kSelectJob) +
                        " WHERE view = ? ORDER BY created_ms DESC, id DESC LIMIT ? OFFSET ?",
                    {std::string_view(view), int64_t{page.limit + 1}, page.offset},
                    [&](const SqlRow& row) { out.push_back(JobFromRow(row)); });
  }));
  std::lock_guard<std::mutex> lock(mu_);
  for (MaterializationJob& j : out) {
    auto it = running_.find(j.id);
    if (it != running_.end()) j = Snapshot(*it->second);
  }
  return out;
}

}  // namespace plinth::features

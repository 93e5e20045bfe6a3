// TrackingStore: metric logging and history.
#include <cmath>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "auth/audit_log.h"
#include "tracking/metric_chunk.h"
#include "tracking/run_rows.h"
#include "tracking/tracking_store.h"

namespace plinth::tracking {

using storage::BlobParam;
using storage::SqlRow;
using storage::SqlTx;

Status ValidateMetric(const MetricPoint& point, const std::string& where) {
  if (point.key.empty() || point.key.size() > 250) {
    return InvalidArgument(where + ".key must have 1 to 250 characters");
  }
  if (!std::isfinite(point.value)) return InvalidArgument(where + ".value must be a finite number");
  return Status::Ok();
}

namespace {

// One key's share of a logging request, packed before the transaction starts so that the
// writer thread only inserts.
struct KeyChunk {
  std::string_view key;
  std::string packed;
  int64_t count = 0;
  LatestMetric latest;
};

std::vector<KeyChunk> GroupByKey(const std::vector<MetricPoint>& points) {
  std::vector<KeyChunk> chunks;
  std::unordered_map<std::string_view, size_t> index;
  for (const auto& p : points) {
    auto [it, inserted] = index.try_emplace(p.key, chunks.size());
    if (inserted) {
      chunks.push_back(KeyChunk{p.key, {}, 0, LatestMetric{p.value, p.step, p.timestamp}});
    }
    KeyChunk& c = chunks[it->second];
    AppendPackedPoint(p, c.packed);
    ++c.count;
    // Highest step, then latest timestamp; on a tie the later-logged point wins.
    if (p.step > c.latest.step || (p.step == c.latest.step && p.timestamp >= c.latest.timestamp)) {
      c.latest = LatestMetric{p.value, p.step, p.timestamp};
    }
  }
  return chunks;
}

}  // namespace

Status TrackingStore::LogMetrics(const auth::Principal& actor, const std::string& run_id,
                                 const std::vector<MetricPoint>& points) {
  if (points.empty()) return InvalidArgument("'metrics' must not be empty");
  std::vector<KeyChunk> chunks = GroupByKey(points);
  std::string details = "{\"count\":" + std::to_string(points.size()) +
                        ",\"keys\":" + std::to_string(chunks.size()) + "}";
  return store_.Write([&](SqlTx& tx) {
    RETURN_IF_ERROR(internal::LoadRunStatus(tx, run_id).status());
    for (const KeyChunk& c : chunks) {
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO metric_chunks (run_id, key, count, points) VALUES (?, ?, ?, ?)",
          {std::string_view(run_id), c.key, c.count, BlobParam{c.packed}}));
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO latest_metrics (run_id, key, value, step, timestamp) VALUES (?, ?, ?, ?, ?)"
          " ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value,"
          " step = excluded.step, timestamp = excluded.timestamp"
          " WHERE excluded.step > latest_metrics.step OR (excluded.step = latest_metrics.step"
          " AND excluded.timestamp >= latest_metrics.timestamp)",
          {std::string_view(run_id), c.key, c.latest.value, c.latest.step, c.latest.timestamp}));
    }
    return auth::AuditLog::Append(tx, actor.name, "run.metrics", "runs/" + run_id, details);
  });
}

Result<std::vector<MetricPoint>> TrackingStore::MetricHistory(const std::string& run_id,
                                                              const std::string& key,
                                                              const PageRequest& page) {
  std::vector<MetricPoint> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    RETURN_IF_ERROR(internal::LoadRunStatus(tx, run_id).status());
    // Skip whole chunks before the page, then unpack only what the page needs (+1 to tell
    // whether there is more).
    int64_t skip = page.offset;
    size_t want = static_cast<size_t>(page.limit) + 1;
    Status decode = Status::Ok();
    RETURN_IF_ERROR(tx.Query(
        "SELECT count, points FROM metric_chunks WHERE run_id = ? AND key = ? ORDER BY seq",
        {std::string_view(run_id), std::string_view(key)}, [&](const SqlRow& row) {
          if (out.size() >= want || !decode.ok()) return;
          int64_t count = row.Int(0);
          if (skip >= count) {
            skip -= count;
            return;
          }
          decode = ForEachPackedPoint(row.Blob(1), [&](int64_t step, int64_t ts, double value) {
            if (skip > 0) {
              --skip;
              return;
            }
            if (out.size() < want) out.push_back(MetricPoint{key, value, step, ts});
          });
        }));
    return decode;
  }));
  return out;
}

}  // namespace plinth::tracking

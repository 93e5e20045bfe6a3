// TrackingStore: run artifacts.
#include <nlohmann/json.hpp>

#include "auth/audit_log.h"
#include "tracking/artifact_path.h"
#include "tracking/run_rows.h"
#include "tracking/tracking_store.h"

namespace plinth::tracking {

using storage::SqlRow;
using storage::SqlTx;

Result<ArtifactInfo> TrackingStore::PutArtifact(const auth::Principal& actor,
                                                const std::string& run_id,
                                                const std::string& path, std::string_view bytes) {
  RETURN_IF_ERROR(ValidateArtifactPath(path));
  RETURN_IF_ERROR(GetRun(run_id).status());  // fail fast before storing bytes
  ASSIGN_OR_RETURN(storage::BlobInfo blob, blobs_.Put(bytes));
  ArtifactInfo info{path, blob.sha256, blob.size};
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    RETURN_IF_ERROR(internal::LoadRunStatus(tx, run_id).status());
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO run_artifacts (run_id, path, sha256, size) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (run_id, path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size",
        {std::string_view(run_id), std::string_view(path), std::string_view(info.sha256),
         info.size}));
    return auth::AuditLog::Append(
        tx, actor.name, "run.artifact", "runs/" + run_id,
        nlohmann::json{{"path", path}, {"sha256", info.sha256}, {"size", info.size}}.dump());
  }));
  return info;
}

Result<ArtifactInfo> TrackingStore::GetArtifactInfo(const std::string& run_id,
                                                    const std::string& path) {
  RETURN_IF_ERROR(ValidateArtifactPath(path));
  std::optional<ArtifactInfo> info;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    RETURN_IF_ERROR(internal::LoadRunStatus(tx, run_id).status());
    return tx.Query("SELECT sha256, size FROM run_artifacts WHERE run_id = ? AND path = ?",
                    {std::string_view(run_id), std::string_view(path)}, [&](const SqlRow& row) {
                      info = ArtifactInfo{path, row.String(0), row.Int(1)};
                    });
  }));
  if (!info) return NotFound("run '" + run_id + "' has no artifact '" + path + "'");
  return *info;
}

Result<std::string> TrackingStore::ReadArtifact(const std::string& run_id,
                                                const std::string& path) {
  ASSIGN_OR_RETURN(ArtifactInfo info, GetArtifactInfo(run_id, path));
  return blobs_.Get(info.sha256);
}

Result<std::vector<ArtifactInfo>> TrackingStore::ListArtifacts(const std::string& run_id,
                                                               const PageRequest& page) {
  std::vector<ArtifactInfo> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    RETURN_IF_ERROR(internal::LoadRunStatus(tx, run_id).status());
    return tx.Query(
        "SELECT path, sha256, size FROM run_artifacts WHERE run_id = ? ORDER BY path"
        " LIMIT ? OFFSET ?",
        {std::string_view(run_id), int64_t{page.limit + 1}, page.offset},
        [&](const SqlRow& row) { out.push_back({row.String(0), row.String(1), row.Int(2)}); });
  }));
  return out;
}

}  // namespace plinth::tracking

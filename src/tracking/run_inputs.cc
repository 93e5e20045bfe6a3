// TrackingStore: run inputs (MLflow's log_input).
#include <nlohmann/json.hpp>

#include "auth/audit_log.h"
#include "common/clock.h"
#include "tracking/run_rows.h"
#include "tracking/tracking_store.h"

namespace plinth::tracking {

using internal::LoadRun;
using internal::LoadRunStatus;
using storage::SqlRow;
using storage::SqlTx;

Result<RunInput> TrackingStore::LogInput(const auth::Principal& actor, const std::string& run_id,
                                         const RunInput& input) {
  if (input.kind.empty() || input.name.empty() || input.version < 1) {
    return InvalidArgument("a run input needs a kind, a name and a version from 1");
  }
  RunInput out = input;
  out.created_by = actor.name;
  out.created_ms = NowMs();
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) -> Status {
    ASSIGN_OR_RETURN(Run run, LoadRun(tx, run_id));
    bool known = false;
    RETURN_IF_ERROR(
        tx.Query("SELECT digest, created_by, created_ms FROM run_inputs"
                 " WHERE run_id = ? AND kind = ? AND name = ? AND version = ?",
                 {std::string_view(run_id), std::string_view(input.kind),
                  std::string_view(input.name), input.version},
                 [&](const SqlRow& row) {
                   known = true;
                   out.digest = row.String(0);
                   out.created_by = row.String(1);
                   out.created_ms = row.Int(2);
                 }));
    if (known) return Status::Ok();
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO run_inputs (run_id, kind, name, version, digest, created_by, created_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        {std::string_view(run_id), std::string_view(out.kind), std::string_view(out.name),
         out.version, std::string_view(out.digest), std::string_view(out.created_by),
         out.created_ms}));
    nlohmann::json details = {
        {"kind", out.kind}, {"name", out.name}, {"version", out.version}, {"digest", out.digest}};
    if (!run.data_version) {
      std::string data_version = out.kind + ":" + out.name + "@" + std::to_string(out.version);
      RETURN_IF_ERROR(tx.Exec("UPDATE runs SET data_version = ? WHERE id = ?",
                              {std::string_view(data_version), std::string_view(run_id)}));
      details["data_version"] = data_version;
    }
    return auth::AuditLog::Append(tx, actor.name, "run.input", "runs/" + run_id, details.dump());
  }));
  return out;
}

Result<std::vector<RunInput>> TrackingStore::ListInputs(const std::string& run_id) {
  std::vector<RunInput> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) -> Status {
    RETURN_IF_ERROR(LoadRunStatus(tx, run_id).status());
    return tx.Query(
        "SELECT kind, name, version, digest, created_by, created_ms FROM run_inputs"
        " WHERE run_id = ? ORDER BY created_ms, kind, name, version",
        {std::string_view(run_id)}, [&](const SqlRow& row) {
          out.push_back(RunInput{row.String(0), row.String(1), row.Int(2), row.String(3),
                                 row.String(4), row.Int(5)});
        });
  }));
  return out;
}

Result<std::vector<std::string>> TrackingStore::RunsWithInput(const std::string& kind,
                                                              const std::string& name,
                                                              int64_t version) {
  std::vector<std::string> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(
        "SELECT run_id FROM run_inputs WHERE kind = ? AND name = ? AND version = ?"
        " ORDER BY created_ms, run_id",
        {std::string_view(kind), std::string_view(name), version},
        [&](const SqlRow& row) { out.push_back(row.String(0)); });
  }));
  return out;
}

}  // namespace plinth::tracking

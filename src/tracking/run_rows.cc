#include "tracking/run_rows.h"

#include <nlohmann/json.hpp>

namespace plinth::tracking {

const char* RunStatusName(RunStatus s) {
  switch (s) {
    case RunStatus::kRunning: return "RUNNING";
    case RunStatus::kFinished: return "FINISHED";
    case RunStatus::kFailed: return "FAILED";
  }
  return "RUNNING";
}

std::optional<RunStatus> ParseRunStatus(std::string_view s) {
  if (s == "RUNNING") return RunStatus::kRunning;
  if (s == "FINISHED") return RunStatus::kFinished;
  if (s == "FAILED") return RunStatus::kFailed;
  return std::nullopt;
}

namespace internal {

using storage::SqlRow;
using storage::SqlTx;

std::string MapToJson(const StringMap& map) { return nlohmann::json(map).dump(); }

StringMap MapFromJson(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  StringMap out;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (v.is_string()) out[k] = v.get<std::string>();
    }
  }
  return out;
}

Result<RunStatus> LoadRunStatus(SqlTx& tx, const std::string& id) {
  std::optional<RunStatus> status;
  RETURN_IF_ERROR(tx.Query("SELECT status FROM runs WHERE id = ?", {std::string_view(id)},
                           [&](const SqlRow& row) {
                             status = ParseRunStatus(row.Text(0)).value_or(RunStatus::kRunning);
                           }));
  if (!status) return NotFound("run '" + id + "' does not exist");
  return *status;
}

Result<Run> LoadRun(SqlTx& tx, const std::string& id) {
  Run run;
  bool found = false;
  RETURN_IF_ERROR(tx.Query(
      "SELECT id, experiment_id, name, status, start_ms, end_ms, created_by, data_version"
      " FROM runs WHERE id = ?",
      {std::string_view(id)}, [&](const SqlRow& row) {
        found = true;
        run.id = row.String(0);
        run.experiment_id = row.String(1);
        run.name = row.String(2);
        run.status = ParseRunStatus(row.Text(3)).value_or(RunStatus::kRunning);
        run.start_ms = row.Int(4);
        if (!row.IsNull(5)) run.end_ms = row.Int(5);
        run.created_by = row.String(6);
        if (!row.IsNull(7)) run.data_version = row.String(7);
      }));
  if (!found) return NotFound("run '" + id + "' does not exist");
  RETURN_IF_ERROR(tx.Query("SELECT key, value FROM run_tags WHERE run_id = ?",
                           {std::string_view(id)},
                           [&](const SqlRow& row) { run.tags[row.String(0)] = row.String(1); }));
  RETURN_IF_ERROR(tx.Query("SELECT key, value FROM run_params WHERE run_id = ?",
                           {std::string_view(id)},
                           [&](const SqlRow& row) { run.params[row.String(0)] = row.String(1); }));
  RETURN_IF_ERROR(tx.Query(
      "SELECT key, value, step, timestamp FROM latest_metrics WHERE run_id = ?",
      {std::string_view(id)}, [&](const SqlRow& row) {
        run.metrics[row.String(0)] = LatestMetric{row.Double(1), row.Int(2), row.Int(3)};
      }));
  return run;
}

Result<Experiment> LoadExperiment(SqlTx& tx, const std::string& id) {
  std::optional<Experiment> exp;
  RETURN_IF_ERROR(tx.Query(
      "SELECT id, name, tags, created_ms, created_by FROM experiments WHERE id = ?",
      {std::string_view(id)}, [&](const SqlRow& row) {
        exp = Experiment{row.String(0), row.String(1), MapFromJson(row.Text(2)), row.Int(3),
                         row.String(4)};
      }));
  if (!exp) return NotFound("experiment '" + id + "' does not exist");
  return *exp;
}

}  // namespace internal
}  // namespace plinth::tracking

// TrackingStore: experiments, runs, tags, params, finishing and search.
#include <nlohmann/json.hpp>

#include "auth/audit_log.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/names.h"
#include "tracking/run_query.h"
#include "tracking/run_rows.h"
#include "tracking/tracking_store.h"

namespace plinth::tracking {

using storage::SqlParam;
using storage::SqlRow;
using storage::SqlTx;
using namespace internal;

namespace {

Status ValidateKeyValues(const StringMap& map, const char* what, size_t max_value) {
  for (const auto& [k, v] : map) {
    if (k.empty() || k.size() > 250) {
      return InvalidArgument(std::string(what) + " keys must have 1 to 250 characters");
    }
    if (v.size() > max_value) {
      return InvalidArgument(std::string(what) + " '" + k + "' is longer than " +
                             std::to_string(max_value) + " characters");
    }
  }
  return Status::Ok();
}

Status UpsertTags(SqlTx& tx, const std::string& run_id, const StringMap& tags) {
  for (const auto& [k, v] : tags) {
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)"
        " ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
        {std::string_view(run_id), std::string_view(k), std::string_view(v)}));
  }
  return Status::Ok();
}

SqlParam Bind(const SqlValue& v) {
  return std::visit([](const auto& x) -> SqlParam {
    if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) {
      return std::string_view(x);
    } else {
      return x;
    }
  }, v);
}

}  // namespace

Result<Experiment> TrackingStore::CreateExperiment(const auth::Principal& actor,
                                                   const std::string& name,
                                                   const StringMap& tags) {
  RETURN_IF_ERROR(ValidateName("experiment name", name));
  RETURN_IF_ERROR(ValidateKeyValues(tags, "tag", 5000));
  Experiment exp{NewId(), name, tags, NowMs(), actor.name};
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    bool taken = false;
    RETURN_IF_ERROR(tx.Query("SELECT 1 FROM experiments WHERE name = ?", {std::string_view(name)},
                             [&](const SqlRow&) { taken = true; }));
    if (taken) return AlreadyExists("an experiment named '" + name + "' already exists");
    std::string tags_json = MapToJson(tags);
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO experiments (id, name, tags, created_ms, created_by) VALUES (?, ?, ?, ?, ?)",
        {std::string_view(exp.id), std::string_view(name), std::string_view(tags_json),
         exp.created_ms, std::string_view(actor.name)}));
    return auth::AuditLog::Append(tx, actor.name, "experiment.create", "experiments/" + exp.id,
                                  nlohmann::json{{"name", name}}.dump());
  }));
  return exp;
}

Result<Experiment> TrackingStore::GetExperiment(const std::string& id) {
  Result<Experiment> out = NotFound("");
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    out = LoadExperiment(tx, id);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Experiment>> TrackingStore::ListExperiments(
    const std::optional<std::string>& name, const PageRequest& page) {
  std::vector<Experiment> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    std::string sql = "SELECT id, name, tags, created_ms, created_by FROM experiments";
    std::vector<SqlParam> params;
    if (name) {
      sql += " WHERE name = ?";
      params.push_back(std::string_view(*name));
    }
    sql += " ORDER BY created_ms, id LIMIT ? OFFSET ?";
    params.push_back(int64_t{page.limit + 1});
    params.push_back(page.offset);
    return tx.Query(sql, params, [&](const SqlRow& row) {
      out.push_back(Experiment{row.String(0), row.String(1), MapFromJson(row.Text(2)), row.Int(3),
                               row.String(4)});
    });
  }));
  return out;
}

Result<Run> TrackingStore::CreateRun(const auth::Principal& actor, const NewRun& spec) {
  RETURN_IF_ERROR(ValidateKeyValues(spec.tags, "tag", 5000));
  if (spec.name.size() > 250) return InvalidArgument("run name is longer than 250 characters");
  Run run;
  run.id = NewId();
  run.experiment_id = spec.experiment_id;
  run.name = spec.name.empty() ? run.id : spec.name;
  run.start_ms = NowMs();
  run.created_by = actor.name;
  run.data_version = spec.data_version;
  run.tags = spec.tags;
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    RETURN_IF_ERROR(LoadExperiment(tx, spec.experiment_id).status());
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO runs (id, experiment_id, name, status, start_ms, created_by, data_version)"
        " VALUES (?, ?, ?, 'RUNNING', ?, ?, ?)",
        {std::string_view(run.id), std::string_view(run.experiment_id),
         std::string_view(run.name), run.start_ms, std::string_view(actor.name),
         run.data_version ? SqlParam(std::string_view(*run.data_version)) : SqlParam(nullptr)}));
    RETURN_IF_ERROR(UpsertTags(tx, run.id, run.tags));
    return auth::AuditLog::Append(
        tx, actor.name, "run.create", "runs/" + run.id,
        nlohmann::json{{"experiment_id", run.experiment_id}, {"name", run.name}}.dump());
  }));
  return run;
}

Result<Run> TrackingStore::GetRun(const std::string& id) {
  Result<Run> out = NotFound("");
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    out = LoadRun(tx, id);
    return Status::Ok();
  }));
  return out;
}

Result<Run> TrackingStore::SetTags(const auth::Principal& actor, const std::string& run_id,
                                   const StringMap& tags) {
  RETURN_IF_ERROR(ValidateKeyValues(tags, "tag", 5000));
  Result<Run> out = NotFound("");
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    RETURN_IF_ERROR(LoadRunStatus(tx, run_id).status());
    RETURN_IF_ERROR(UpsertTags(tx, run_id, tags));
    RETURN_IF_ERROR(auth::AuditLog::Append(tx, actor.name, "run.tags", "runs/" + run_id,
                                           nlohmann::json{{"tags", tags}}.dump()));
    out = LoadRun(tx, run_id);
    return out.status();
  }));
  return out;
}

Result<StringMap> TrackingStore::LogParams(const auth::Principal& actor, const std::string& run_id,
                                           const StringMap& params) {
  RETURN_IF_ERROR(ValidateKeyValues(params, "param", 6000));
  StringMap all;
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    RETURN_IF_ERROR(LoadRunStatus(tx, run_id).status());
    RETURN_IF_ERROR(tx.Query("SELECT key, value FROM run_params WHERE run_id = ?",
                             {std::string_view(run_id)},
                             [&](const SqlRow& row) { all[row.String(0)] = row.String(1); }));
    StringMap added;
    for (const auto& [k, v] : params) {
      auto it = all.find(k);
      if (it == all.end()) {
        added[k] = v;
      } else if (it->second != v) {
        return Conflict("param '" + k + "' is already set to '" + it->second +
                        "'; params are set once and cannot change to '" + v + "'");
      }
    }
    for (const auto& [k, v] : added) {
      RETURN_IF_ERROR(tx.Exec("INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?)",
                              {std::string_view(run_id), std::string_view(k), std::string_view(v)}));
      all[k] = v;
    }
    if (added.empty()) return Status::Ok();  // nothing changed, nothing to audit
    return auth::AuditLog::Append(tx, actor.name, "run.params", "runs/" + run_id,
                                  nlohmann::json{{"params", added}}.dump());
  }));
  return all;
}

Result<Run> TrackingStore::FinishRun(const auth::Principal& actor, const std::string& run_id,
                                     RunStatus status) {
  if (status == RunStatus::kRunning) {
    return InvalidArgument("a run finishes as FINISHED or FAILED, not RUNNING");
  }
  Result<Run> out = NotFound("");
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    ASSIGN_OR_RETURN(RunStatus current, LoadRunStatus(tx, run_id));
    if (current != RunStatus::kRunning) {
      return Conflict("run '" + run_id + "' already finished as " + RunStatusName(current));
    }
    RETURN_IF_ERROR(tx.Exec("UPDATE runs SET status = ?, end_ms = ? WHERE id = ?",
                            {std::string_view(RunStatusName(status)), NowMs(),
                             std::string_view(run_id)}));
    RETURN_IF_ERROR(auth::AuditLog::Append(tx, actor.name, "run.finish", "runs/" + run_id,
                                           nlohmann::json{{"status", RunStatusName(status)}}.dump()));
    out = LoadRun(tx, run_id);
    return out.status();
  }));
  return out;
}

Result<std::vector<Run>> TrackingStore::SearchRuns(const RunSearch& search,
                                                   const PageRequest& page) {
  if (search.experiment_ids.empty()) return InvalidArgument("'experiment_ids' must not be empty");
  if (search.experiment_ids.size() > 100) return InvalidArgument("at most 100 experiment_ids");
  ASSIGN_OR_RETURN(CompiledRunQuery q, CompileRunQuery(search.filter, search.order_by));
  std::string sql = "SELECT r.id FROM runs r WHERE r.experiment_id IN (";
  std::vector<SqlParam> params;
  for (size_t i = 0; i < search.experiment_ids.size(); ++i) {
    sql += i ? ", ?" : "?";
    params.push_back(std::string_view(search.experiment_ids[i]));
  }
  sql += ")";
  if (!q.where_sql.empty()) sql += " AND " + q.where_sql;
  sql += " ORDER BY " + q.order_sql + " LIMIT ? OFFSET ?";
  for (const auto& v : q.where_params) params.push_back(Bind(v));
  for (const auto& v : q.order_params) params.push_back(Bind(v));
  params.push_back(int64_t{page.limit + 1});
  params.push_back(page.offset);
  std::vector<Run> runs;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    std::vector<std::string> ids;
    RETURN_IF_ERROR(tx.Query(sql, params, [&](const SqlRow& row) { ids.push_back(row.String(0)); }));
    for (const auto& id : ids) {
      ASSIGN_OR_RETURN(Run run, LoadRun(tx, id));
      runs.push_back(std::move(run));
    }
    return Status::Ok();
  }));
  return runs;
}

}  // namespace plinth::tracking

#include "monitoring/baseline_store.h"

#include <algorithm>

#include "auth/audit_log.h"
#include "common/clock.h"
#include "common/names.h"
#include "common/sha256.h"
#include "monitoring/capture_scan.h"
#include "monitoring/csv_reader.h"
#include "monitoring/profile_drift.h"
#include "monitoring/window_profiler.h"

namespace plinth::monitoring {

using nlohmann::json;
using storage::SqlRow;
using storage::SqlTx;

namespace {

constexpr char kSelect[] =
    "SELECT name, version, description, source, target_column, feature_columns, rows, profile,"
    " created_ms, created_by FROM baselines";

Result<Baseline> FromRow(const SqlRow& r) {
  Baseline b;
  b.name = r.String(0);
  b.version = r.Int(1);
  b.description = r.String(2);
  b.source = json::parse(r.Text(3), nullptr, false);
  b.target_column = r.String(4);
  json features = json::parse(r.Text(5), nullptr, false);
  if (features.is_array()) {
    for (const auto& f : features) b.feature_columns.push_back(f.get<std::string>());
  }
  b.rows = r.Int(6);
  json profile = json::parse(r.Text(7), nullptr, false);
  ASSIGN_OR_RETURN(b.profile, TableProfile::FromJson(profile));
  b.created_ms = r.Int(8);
  b.created_by = r.String(9);
  return b;
}

Result<TableProfile> ProfileOfCsv(std::string_view text) {
  ASSIGN_OR_RETURN(Table table, ParseCsv(text));
  if (table.rows() == 0) return InvalidArgument("the baseline's CSV has a header but no rows");
  return TableProfile::FromTable(table, MonitorProfileOptions());
}

}  // namespace

json BaselineToJson(const Baseline& b) {
  json columns = json::array();
  for (const ColumnProfile& c : b.profile.columns()) {
    json stats = ColumnStatsJson(c);
    stats["name"] = c.name;
    columns.push_back(stats);
  }
  return {{"name", b.name},
          {"version", b.version},
          {"description", b.description},
          {"source", b.source},
          {"target_column", b.target_column.empty() ? json() : json(b.target_column)},
          {"feature_columns", b.feature_columns},
          {"rows", b.rows},
          {"columns", columns},
          {"created_ms", b.created_ms},
          {"created_by", b.created_by}};
}

json ModelBaselineToJson(const ModelBaseline& l) {
  return {{"model", l.model},       {"version", l.version},
          {"baseline", l.baseline}, {"baseline_version", l.baseline_version},
          {"set_ms", l.set_ms},     {"set_by", l.set_by}};
}

Status BaselineStore::InitSchema() {
  return store_.Write([](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec(
        "CREATE TABLE IF NOT EXISTS baselines (name TEXT NOT NULL, version INTEGER NOT NULL,"
        " description TEXT NOT NULL, source TEXT NOT NULL, target_column TEXT NOT NULL,"
        " feature_columns TEXT NOT NULL, rows INTEGER NOT NULL, profile TEXT NOT NULL,"
        " created_ms INTEGER NOT NULL, created_by TEXT NOT NULL, PRIMARY KEY (name, version))"));
    return tx.Exec(
        "CREATE TABLE IF NOT EXISTS model_version_baselines (model TEXT NOT NULL,"
        " version INTEGER NOT NULL, baseline TEXT NOT NULL, baseline_version INTEGER NOT NULL,"
        " set_ms INTEGER NOT NULL, set_by TEXT NOT NULL, PRIMARY KEY (model, version))");
  });
}

Result<Baseline> BaselineStore::Create(const auth::Principal& actor, const NewBaseline& request) {
  RETURN_IF_ERROR(ValidateName("baseline name", request.name));
  Baseline b;
  b.name = request.name;
  b.description = request.description;
  b.target_column = request.target_column;
  const BaselineSource& src = request.source;
  switch (src.kind) {
    case BaselineSource::Kind::kCsv: {
      if (src.csv.empty()) return InvalidArgument("the baseline's CSV is empty");
      ASSIGN_OR_RETURN(b.profile, ProfileOfCsv(src.csv));
      b.source = {{"kind", "csv"}, {"sha256", Sha256Hex(src.csv)}, {"bytes", src.csv.size()}};
      break;
    }
    case BaselineSource::Kind::kBlob: {
      Result<std::string> bytes = blobs_.Get(src.blob_sha256);
      if (!bytes.ok()) {
        if (bytes.status().code() == StatusCode::kNotFound) {
          return NotFound("no blob with sha256 '" + src.blob_sha256.substr(0, 64) + "'");
        }
        return bytes.status();
      }
      Result<TableProfile> profile = ProfileOfCsv(*bytes);
      if (!profile.ok()) {
        return InvalidArgument("blob " + src.blob_sha256.substr(0, 12) +
                               " is not a CSV with rows: " + profile.status().message());
      }
      b.profile = std::move(profile).value();
      b.source = {{"kind", "blob"}, {"sha256", src.blob_sha256}, {"bytes", bytes->size()}};
      break;
    }
    case BaselineSource::Kind::kCaptures: {
      if (src.end_ms <= src.start_ms) return InvalidArgument("end_ms must be after start_ms");
      ASSIGN_OR_RETURN(std::vector<std::string> columns,
                       DiscoverColumns(captures_, src.endpoint, src.start_ms, src.end_ms));
      if (columns.empty()) {
        return FailedPrecondition("endpoint '" + src.endpoint +
                                  "' has no captured traffic in that window");
      }
      WindowProfilerOptions options;
      options.feature_columns = columns;
      WindowProfiler profiler(options);
      RETURN_IF_ERROR(
          ScanCaptures(captures_, nullptr, src.endpoint, src.start_ms, src.end_ms, profiler));
      b.profile = profiler.Finish();
      b.target_column = "prediction";
      b.source = {{"kind", "captures"},
                  {"endpoint", src.endpoint},
                  {"start_ms", src.start_ms},
                  {"end_ms", src.end_ms},
                  {"requests", profiler.requests()},
                  {"skipped_records", profiler.bad_records()}};
      break;
    }
  }
  b.rows = static_cast<int64_t>(b.profile.rows());
  if (b.rows == 0) return FailedPrecondition("the baseline's source has no rows");
  if (!b.target_column.empty() && b.profile.Find(b.target_column) == nullptr) {
    return InvalidArgument("target_column '" + b.target_column + "' is not a column of the data");
  }
  for (const ColumnProfile& c : b.profile.columns()) {
    if (c.name != b.target_column) b.feature_columns.push_back(c.name);
  }
  b.created_ms = NowMs();
  b.created_by = actor.name;
  std::string source = b.source.dump(), features = json(b.feature_columns).dump(),
              profile = b.profile.ToJson().dump();
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    int64_t latest = 0;
    RETURN_IF_ERROR(tx.Query("SELECT MAX(version) FROM baselines WHERE name = ?",
                             {std::string_view(b.name)}, [&](const SqlRow& r) {
                               if (!r.IsNull(0)) latest = r.Int(0);
                             }));
    b.version = latest + 1;
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO baselines (name, version, description, source, target_column,"
        " feature_columns, rows, profile, created_ms, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?)",
        {std::string_view(b.name), b.version, std::string_view(b.description),
         std::string_view(source), std::string_view(b.target_column), std::string_view(features),
         b.rows, std::string_view(profile), b.created_ms, std::string_view(b.created_by)}));
    return auth::AuditLog::Append(tx, actor.name, "baseline.create",
                                  "baselines/" + b.name + "/versions/" + std::to_string(b.version),
                                  json{{"source", b.source}, {"rows", b.rows}}.dump());
  }));
  return b;
}

Result<Baseline> BaselineStore::Get(const std::string& name, std::optional<int64_t> version) {
  std::optional<Result<Baseline>> found;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    std::string sql = std::string(kSelect) + " WHERE name = ?" +
                      (version ? " AND version = ?" : " ORDER BY version DESC LIMIT 1");
    std::vector<storage::SqlParam> params{std::string_view(name)};
    if (version) params.emplace_back(*version);
    return tx.Query(sql, params, [&](const SqlRow& r) { found = FromRow(r); });
  }));
  if (!found) {
    return NotFound("no baseline '" + name + "'" +
                    (version ? " version " + std::to_string(*version) : ""));
  }
  return std::move(*found);
}

Result<std::vector<Baseline>> BaselineStore::List(const PageRequest& page) {
  std::vector<Baseline> out;
  Status parse = Status::Ok();
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(std::string(kSelect) + " ORDER BY name, version LIMIT ? OFFSET ?",
                    {int64_t{page.limit + 1}, page.offset}, [&](const SqlRow& r) {
                      Result<Baseline> b = FromRow(r);
                      if (b.ok()) {
                        out.push_back(std::move(b).value());
                      } else if (parse.ok()) {
                        parse = b.status();
                      }
                    });
  }));
  RETURN_IF_ERROR(parse);
  return out;
}

Result<ModelBaseline> BaselineStore::SetModelBaseline(const auth::Principal& actor,
                                                      const std::string& model, int64_t version,
                                                      const std::string& baseline,
                                                      std::optional<int64_t> baseline_version) {
  RETURN_IF_ERROR(registry_.GetVersion(model, version).status());
  ASSIGN_OR_RETURN(Baseline b, Get(baseline, baseline_version));
  ModelBaseline link{model, version, b.name, b.version, NowMs(), actor.name};
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO model_version_baselines (model, version, baseline, baseline_version, set_ms,"
        " set_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (model, version) DO UPDATE SET"
        " baseline = excluded.baseline, baseline_version = excluded.baseline_version,"
        " set_ms = excluded.set_ms, set_by = excluded.set_by",
        {std::string_view(model), version, std::string_view(link.baseline), link.baseline_version,
         link.set_ms, std::string_view(link.set_by)}));
    return auth::AuditLog::Append(
        tx, actor.name, "version.baseline",
        "models/" + model + "/versions/" + std::to_string(version),
        json{{"baseline", link.baseline}, {"baseline_version", link.baseline_version}}.dump());
  }));
  return link;
}

Result<ModelBaseline> BaselineStore::GetModelBaseline(const std::string& model, int64_t version) {
  std::optional<ModelBaseline> found;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(
        "SELECT baseline, baseline_version, set_ms, set_by FROM model_version_baselines"
        " WHERE model = ? AND version = ?",
        {std::string_view(model), version}, [&](const SqlRow& r) {
          found = ModelBaseline{model, version, r.String(0), r.Int(1), r.Int(2), r.String(3)};
        });
  }));
  if (!found) {
    return NotFound("model '" + model + "' version " + std::to_string(version) +
                    " names no baseline");
  }
  return *found;
}

}  // namespace plinth::monitoring

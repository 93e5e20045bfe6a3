#include "features/dataset_store.h"

#include "auth/audit_log.h"
#include "common/clock.h"
#include "common/json_util.h"
#include "common/names.h"

namespace plinth::features {

using storage::SqlRow;
using storage::SqlTx;

namespace {

constexpr char kSelect[] =
    "SELECT name, version, sha256, size, rows, columns, feature_refs, feature_views, description,"
    " created_by, created_ms FROM datasets";

Json ViewsJson(const std::vector<ViewVersionRef>& views) {
  Json out = Json::array();
  for (const ViewVersionRef& v : views) out.push_back({{"name", v.name}, {"version", v.version}});
  return out;
}

Dataset FromRow(const SqlRow& row) {
  Dataset d;
  d.name = row.String(0);
  d.version = row.Int(1);
  d.sha256 = row.String(2);
  d.size = row.Int(3);
  d.rows = row.Int(4);
  Json columns = Json::parse(row.Text(5), nullptr, false);
  if (columns.is_array()) {
    for (const Json& c : columns) d.columns.push_back(c.get<std::string>());
  }
  Json refs = Json::parse(row.Text(6), nullptr, false);
  if (refs.is_array()) {
    for (const Json& r : refs) d.feature_refs.push_back(r.get<std::string>());
  }
  Json views = Json::parse(row.Text(7), nullptr, false);
  if (views.is_array()) {
    for (const Json& v : views)
      d.feature_views.push_back({v.value("name", ""), v.value("version", 0)});
  }
  d.description = row.String(8);
  d.created_by = row.String(9);
  d.created_ms = row.Int(10);
  return d;
}

Result<std::optional<Dataset>> LoadLatest(SqlTx& tx, const std::string& name) {
  std::optional<Dataset> out;
  RETURN_IF_ERROR(tx.Query(std::string(kSelect) + " WHERE name = ? ORDER BY version DESC LIMIT 1",
                           {std::string_view(name)},
                           [&](const SqlRow& row) { out = FromRow(row); }));
  return out;
}

}  // namespace

Status DatasetStore::InitSchema() {
  return metadata_.Write([](SqlTx& tx) {
    return tx.Exec(
        "CREATE TABLE IF NOT EXISTS datasets (name TEXT NOT NULL, version INTEGER NOT NULL,"
        " sha256 TEXT NOT NULL, size INTEGER NOT NULL, rows INTEGER NOT NULL,"
        " columns TEXT NOT NULL, feature_refs TEXT NOT NULL, feature_views TEXT NOT NULL,"
        " description TEXT NOT NULL, created_by TEXT NOT NULL, created_ms INTEGER NOT NULL,"
        " PRIMARY KEY (name, version))");
  });
}

Result<DatasetSaveResult> DatasetStore::Save(const auth::Principal& actor, const NewDataset& spec,
                                             std::string_view csv) {
  RETURN_IF_ERROR(ValidateName("dataset name", spec.name));
  if (csv.empty()) return InvalidArgument("dataset '" + spec.name + "' would be empty");
  ASSIGN_OR_RETURN(storage::BlobInfo blob, blobs_.Put(csv));
  DatasetSaveResult result;
  Dataset& d = result.dataset;
  d.name = spec.name;
  d.sha256 = blob.sha256;
  d.size = blob.size;
  d.rows = spec.rows;
  d.columns = spec.columns;
  d.feature_refs = spec.feature_refs;
  d.feature_views = spec.feature_views;
  d.description = spec.description;
  d.created_by = actor.name;
  d.created_ms = NowMs();
  std::string columns = Json(d.columns).dump();
  std::string refs = Json(d.feature_refs).dump();
  std::string views = ViewsJson(d.feature_views).dump();
  RETURN_IF_ERROR(metadata_.Write([&](SqlTx& tx) -> Status {
    ASSIGN_OR_RETURN(std::optional<Dataset> latest, LoadLatest(tx, d.name));
    if (latest && latest->sha256 == d.sha256) {
      result.dataset = *latest;
      result.created = false;
      return Status::Ok();
    }
    result.created = true;
    d.version = latest ? latest->version + 1 : 1;
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO datasets (name, version, sha256, size, rows, columns, feature_refs,"
                " feature_views, description, created_by, created_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {std::string_view(d.name), d.version, std::string_view(d.sha256), d.size, d.rows,
                 std::string_view(columns), std::string_view(refs), std::string_view(views),
                 std::string_view(d.description), std::string_view(d.created_by), d.created_ms}));
    Json details = {{"version", d.version},
                    {"sha256", d.sha256},
                    {"rows", d.rows},
                    {"feature_refs", d.feature_refs},
                    {"feature_views", ViewsJson(d.feature_views)}};
    return auth::AuditLog::Append(tx, actor.name, "dataset.create",
                                  "datasets/" + d.name + "/versions/" + std::to_string(d.version),
                                  details.dump());
  }));
  return result;
}

Result<Dataset> DatasetStore::Get(const std::string& name, std::optional<int64_t> version) {
  std::optional<Dataset> out;
  RETURN_IF_ERROR(metadata_.Read([&](SqlTx& tx) -> Status {
    if (!version) {
      ASSIGN_OR_RETURN(out, LoadLatest(tx, name));
      return Status::Ok();
    }
    return tx.Query(std::string(kSelect) + " WHERE name = ? AND version = ?",
                    {std::string_view(name), *version},
                    [&](const SqlRow& row) { out = FromRow(row); });
  }));
  if (!out) {
    if (version) {
      return NotFound("dataset '" + name + "' has no version " + std::to_string(*version));
    }
    return NotFound("dataset '" + name + "' does not exist");
  }
  return *out;
}

Result<std::vector<Dataset>> DatasetStore::List(const PageRequest& page) {
  std::vector<Dataset> out;
  RETURN_IF_ERROR(metadata_.Read([&](SqlTx& tx) {
    return tx.Query(std::string(kSelect) +
                        " d WHERE version = (SELECT MAX(version) FROM datasets WHERE name = d.name)"
                        " ORDER BY name LIMIT ? OFFSET ?",
                    {int64_t{page.limit + 1}, page.offset},
                    [&](const SqlRow& row) { out.push_back(FromRow(row)); });
  }));
  return out;
}

Result<std::vector<Dataset>> DatasetStore::ListVersions(const std::string& name) {
  std::vector<Dataset> out;
  RETURN_IF_ERROR(metadata_.Read([&](SqlTx& tx) {
    return tx.Query(std::string(kSelect) + " WHERE name = ? ORDER BY version",
                    {std::string_view(name)},
                    [&](const SqlRow& row) { out.push_back(FromRow(row)); });
  }));
  if (out.empty()) return NotFound("dataset '" + name + "' does not exist");
  return out;
}

Result<std::string> DatasetStore::ReadCsv(const std::string& name, int64_t version) {
  ASSIGN_OR_RETURN(Dataset d, Get(name, version));
  return blobs_.Get(d.sha256);
}

}  // namespace plinth::features

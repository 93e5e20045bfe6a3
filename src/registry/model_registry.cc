#include "registry/model_registry.h"

#include <nlohmann/json.hpp>

#include "auth/audit_log.h"
#include "common/clock.h"
#include "common/names.h"

namespace plinth::registry {

using nlohmann::json;
using storage::SqlParam;
using storage::SqlRow;
using storage::SqlTx;

const char* ApprovalStatusName(ApprovalStatus s) {
  switch (s) {
    case ApprovalStatus::kPending: return "PendingManualApproval";
    case ApprovalStatus::kApproved: return "Approved";
    case ApprovalStatus::kRejected: return "Rejected";
  }
  return "PendingManualApproval";
}

namespace {

ApprovalStatus ParseApprovalStatus(std::string_view s) {
  if (s == "Approved") return ApprovalStatus::kApproved;
  if (s == "Rejected") return ApprovalStatus::kRejected;
  return ApprovalStatus::kPending;
}

SqlParam OptText(const std::optional<std::string>& s) {
  return s ? SqlParam(std::string_view(*s)) : SqlParam(nullptr);
}

std::optional<std::string> OptString(const SqlRow& row, int col) {
  if (row.IsNull(col)) return std::nullopt;
  return row.String(col);
}

std::string VersionResource(const std::string& model, int64_t version) {
  return "models/" + model + "/versions/" + std::to_string(version);
}

constexpr char kVersionColumns[] =
    "model, version, status, flavor, description, artifact_sha256, artifact_size, metrics,"
    " params, data_version, signature, created_by, created_token_id, created_ms, decided_by,"
    " decided_ms, decision_comment, run_id, experiment_id, artifact_path, run_params";

ModelVersion VersionFromRow(const SqlRow& row) {
  ModelVersion v;
  v.model = row.String(0);
  v.version = row.Int(1);
  v.status = ParseApprovalStatus(row.Text(2));
  v.flavor = row.String(3);
  v.description = row.String(4);
  v.artifact_sha256 = row.String(5);
  v.artifact_size = row.Int(6);
  v.metrics = json::parse(row.Text(7)).get<std::map<std::string, double>>();
  v.params = json::parse(row.Text(8)).get<StringMap>();
  v.data_version = OptString(row, 9);
  for (const auto& f : json::parse(row.Text(10))) {
    v.signature.push_back(SignatureField{f.at("name").get<std::string>(), f.at("type").get<std::string>()});
  }
  v.created_by = row.String(11);
  v.created_token_id = row.String(12);
  v.created_ms = row.Int(13);
  v.decided_by = OptString(row, 14);
  if (!row.IsNull(15)) v.decided_ms = row.Int(15);
  v.decision_comment = OptString(row, 16);
  v.lineage.run_id = OptString(row, 17);
  v.lineage.experiment_id = OptString(row, 18);
  v.lineage.artifact_path = OptString(row, 19);
  v.lineage.run_params = json::parse(row.Text(20)).get<StringMap>();
  return v;
}

Result<ModelVersion> LoadVersion(SqlTx& tx, const std::string& model, int64_t version) {
  std::optional<ModelVersion> out;
  RETURN_IF_ERROR(tx.Query(std::string("SELECT ") + kVersionColumns +
                               " FROM model_versions WHERE model = ? AND version = ?",
                           {std::string_view(model), version},
                           [&](const SqlRow& row) { out = VersionFromRow(row); }));
  if (!out) {
    return NotFound("model '" + model + "' has no version " + std::to_string(version));
  }
  return *out;
}

Result<Model> LoadModel(SqlTx& tx, const std::string& name) {
  std::optional<Model> model;
  RETURN_IF_ERROR(tx.Query(
      "SELECT name, description, tags, created_ms, created_by FROM models WHERE name = ?",
      {std::string_view(name)}, [&](const SqlRow& row) {
        model = Model{row.String(0), row.String(1), json::parse(row.Text(2)).get<StringMap>(),
                      row.Int(3), row.String(4), std::nullopt, {}};
      }));
  if (!model) return NotFound("model '" + name + "' does not exist");
  RETURN_IF_ERROR(tx.Query("SELECT MAX(version) FROM model_versions WHERE model = ?",
                           {std::string_view(name)}, [&](const SqlRow& row) {
                             if (!row.IsNull(0)) model->latest_version = row.Int(0);
                           }));
  // Each alias's latest move.
  RETURN_IF_ERROR(tx.Query(
      "SELECT alias, version FROM alias_moves WHERE seq IN"
      " (SELECT MAX(seq) FROM alias_moves WHERE model = ? GROUP BY alias)",
      {std::string_view(name)},
      [&](const SqlRow& row) { model->aliases[row.String(0)] = row.Int(1); }));
  return *model;
}

Status InsertModel(SqlTx& tx, const auth::Principal& actor, const std::string& name,
                   const std::string& description, const StringMap& tags) {
  std::string tags_json = json(tags).dump();
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO models (name, description, tags, created_ms, created_by) VALUES (?, ?, ?, ?, ?)",
      {std::string_view(name), std::string_view(description), std::string_view(tags_json), NowMs(),
       std::string_view(actor.name)}));
  return auth::AuditLog::Append(tx, actor.name, "model.create", "models/" + name, "{}");
}

Status ValidateSignature(const std::vector<SignatureField>& signature) {
  static const char* kTypes[] = {"float", "double", "int", "bool", "string"};
  for (size_t i = 0; i < signature.size(); ++i) {
    const auto& f = signature[i];
    std::string where = "signature.inputs[" + std::to_string(i) + "]";
    if (f.name.empty() || f.name.size() > 250) {
      return InvalidArgument(where + ".name must have 1 to 250 characters");
    }
    bool known = false;
    for (const char* t : kTypes) known |= (f.type == t);
    if (!known) {
      return InvalidArgument(where + ".type '" + f.type +
                             "' is not one of float, double, int, bool, string");
    }
  }
  return Status::Ok();
}

AliasMove AliasFromRow(const SqlRow& row) {
  return AliasMove{row.String(0), row.String(1), row.Int(2), row.Int(3), row.String(4)};
}

}  // namespace

Status ModelRegistry::InitSchema() {
  static const char* kStatements[] = {
      "CREATE TABLE IF NOT EXISTS models (name TEXT PRIMARY KEY, description TEXT NOT NULL,"
      " tags TEXT NOT NULL, created_ms INTEGER NOT NULL, created_by TEXT NOT NULL)",
      "CREATE TABLE IF NOT EXISTS model_versions (model TEXT NOT NULL, version INTEGER NOT NULL,"
      " status TEXT NOT NULL, flavor TEXT NOT NULL, description TEXT NOT NULL,"
      " artifact_sha256 TEXT NOT NULL, artifact_size INTEGER NOT NULL, metrics TEXT NOT NULL,"
      " params TEXT NOT NULL, data_version TEXT, signature TEXT NOT NULL,"
      " created_by TEXT NOT NULL, created_token_id TEXT NOT NULL, created_ms INTEGER NOT NULL,"
      " decided_by TEXT, decided_ms INTEGER, decision_comment TEXT, run_id TEXT,"
      " experiment_id TEXT, artifact_path TEXT, run_params TEXT NOT NULL,"
      " PRIMARY KEY (model, version))",
      "CREATE TABLE IF NOT EXISTS alias_moves (seq INTEGER PRIMARY KEY, model TEXT NOT NULL,"
      " alias TEXT NOT NULL, version INTEGER NOT NULL, set_ms INTEGER NOT NULL,"
      " set_by TEXT NOT NULL)",
      "CREATE INDEX IF NOT EXISTS alias_moves_by_alias ON alias_moves (model, alias, set_ms)",
  };
  return store_.Write([](SqlTx& tx) {
    for (const char* sql : kStatements) RETURN_IF_ERROR(tx.Exec(sql));
    return Status::Ok();
  });
}

Result<Model> ModelRegistry::CreateModel(const auth::Principal& actor, const std::string& name,
                                         const std::string& description, const StringMap& tags) {
  RETURN_IF_ERROR(ValidateName("model name", name));
  Result<Model> out = NotFound("");
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    if (LoadModel(tx, name).ok()) return AlreadyExists("a model named '" + name + "' already exists");
    RETURN_IF_ERROR(InsertModel(tx, actor, name, description, tags));
    out = LoadModel(tx, name);
    return out.status();
  }));
  return out;
}

Result<Model> ModelRegistry::GetModel(const std::string& name) {
  Result<Model> out = NotFound("");
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    out = LoadModel(tx, name);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Model>> ModelRegistry::ListModels(const PageRequest& page) {
  std::vector<Model> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    std::vector<std::string> names;
    RETURN_IF_ERROR(tx.Query("SELECT name FROM models ORDER BY name LIMIT ? OFFSET ?",
                             {int64_t{page.limit + 1}, page.offset},
                             [&](const SqlRow& row) { names.push_back(row.String(0)); }));
    for (const auto& n : names) {
      ASSIGN_OR_RETURN(Model m, LoadModel(tx, n));
      out.push_back(std::move(m));
    }
    return Status::Ok();
  }));
  return out;
}

Result<ModelVersion> ModelRegistry::RegisterVersion(const auth::Principal& actor,
                                                    const NewVersion& req) {
  RETURN_IF_ERROR(ValidateName("model name", req.model));
  if (req.flavor.empty()) return InvalidArgument("'flavor' is required (for example \"xgboost\")");
  RETURN_IF_ERROR(ValidateName("flavor", req.flavor));
  RETURN_IF_ERROR(ValidateSignature(req.signature));
  bool from_run = req.run_id.has_value() || req.artifact_path.has_value();
  if (from_run == req.upload_sha256.has_value()) {
    return InvalidArgument(
        "give either 'run_id' with 'artifact_path', or 'upload_sha256', but not both");
  }
  ModelVersion v;
  v.model = req.model;
  v.flavor = req.flavor;
  v.description = req.description;
  v.metrics = req.metrics;
  v.params = req.params;
  v.data_version = req.data_version;
  v.signature = req.signature;
  v.created_by = actor.name;
  v.created_token_id = actor.token_id;
  v.created_ms = NowMs();
  if (from_run) {
    if (!req.run_id || !req.artifact_path) {
      return InvalidArgument("'run_id' and 'artifact_path' go together");
    }
    ASSIGN_OR_RETURN(tracking::Run run, tracking_.GetRun(*req.run_id));
    ASSIGN_OR_RETURN(tracking::ArtifactInfo art,
                     tracking_.GetArtifactInfo(*req.run_id, *req.artifact_path));
    v.artifact_sha256 = art.sha256;
    v.lineage = Lineage{run.id, run.experiment_id, art.path, run.params};
    if (!v.data_version) v.data_version = run.data_version;
  } else {
    v.artifact_sha256 = *req.upload_sha256;
  }
  // Reading the file checks it against its SHA-256 before it becomes a model version, and lets
  // the flavor check load it.
  ASSIGN_OR_RETURN(std::string bytes, blobs_.Get(v.artifact_sha256));
  v.artifact_size = static_cast<int64_t>(bytes.size());
  if (artifact_check_) RETURN_IF_ERROR(artifact_check_(v.flavor, bytes));
  std::string metrics_json = json(v.metrics).dump();
  std::string params_json = json(v.params).dump();
  std::string run_params_json = json(v.lineage.run_params).dump();
  json sig = json::array();
  for (const auto& f : v.signature) sig.push_back({{"name", f.name}, {"type", f.type}});
  std::string signature_json = sig.dump();

  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    if (!LoadModel(tx, v.model).ok()) RETURN_IF_ERROR(InsertModel(tx, actor, v.model, "", {}));
    v.version = 1;
    RETURN_IF_ERROR(tx.Query("SELECT MAX(version) FROM model_versions WHERE model = ?",
                             {std::string_view(v.model)}, [&](const SqlRow& row) {
                               if (!row.IsNull(0)) v.version = row.Int(0) + 1;
                             }));
    RETURN_IF_ERROR(tx.Exec(
        std::string("INSERT INTO model_versions (") + kVersionColumns +
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?, ?, ?)",
        {std::string_view(v.model), v.version, std::string_view(ApprovalStatusName(v.status)),
         std::string_view(v.flavor), std::string_view(v.description),
         std::string_view(v.artifact_sha256), v.artifact_size, std::string_view(metrics_json),
         std::string_view(params_json), OptText(v.data_version), std::string_view(signature_json),
         std::string_view(v.created_by), std::string_view(v.created_token_id), v.created_ms,
         OptText(v.lineage.run_id), OptText(v.lineage.experiment_id),
         OptText(v.lineage.artifact_path), std::string_view(run_params_json)}));
    json details = {{"flavor", v.flavor}, {"artifact_sha256", v.artifact_sha256}};
    if (v.lineage.run_id) details["run_id"] = *v.lineage.run_id;
    return auth::AuditLog::Append(tx, actor.name, "version.create",
                                  VersionResource(v.model, v.version), details.dump());
  }));
  return v;
}

Result<ModelVersion> ModelRegistry::GetVersion(const std::string& model, int64_t version) {
  Result<ModelVersion> out = NotFound("");
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    out = LoadVersion(tx, model, version);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<ModelVersion>> ModelRegistry::VersionsFromRun(const std::string& run_id) {
  std::vector<ModelVersion> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(std::string("SELECT ") + kVersionColumns +
                        " FROM model_versions WHERE run_id = ? ORDER BY model, version",
                    {std::string_view(run_id)},
                    [&](const SqlRow& row) { out.push_back(VersionFromRow(row)); });
  }));
  return out;
}

Result<std::vector<ModelVersion>> ModelRegistry::ListVersions(const std::string& model,
                                                              const PageRequest& page) {
  std::vector<ModelVersion> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    RETURN_IF_ERROR(LoadModel(tx, model).status());
    return tx.Query(std::string("SELECT ") + kVersionColumns +
                        " FROM model_versions WHERE model = ? ORDER BY version LIMIT ? OFFSET ?",
                    {std::string_view(model), int64_t{page.limit + 1}, page.offset},
                    [&](const SqlRow& row) { out.push_back(VersionFromRow(row)); });
  }));
  return out;
}

Result<std::string> ModelRegistry::ReadVersionArtifact(const std::string& model, int64_t version) {
  ASSIGN_OR_RETURN(ModelVersion v, GetVersion(model, version));
  return blobs_.Get(v.artifact_sha256);
}

Result<ModelVersion> ModelRegistry::Decide(const auth::Principal& actor, const std::string& model,
                                           int64_t version, bool approve,
                                           const std::string& comment) {
  if (comment.size() > 5000) return InvalidArgument("'comment' is longer than 5000 characters");
  Result<ModelVersion> out = NotFound("");
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    ASSIGN_OR_RETURN(ModelVersion v, LoadVersion(tx, model, version));
    if (v.status != ApprovalStatus::kPending) {
      return Conflict("version " + std::to_string(version) + " of model '" + model + "' is " +
                      ApprovalStatusName(v.status) + ", and that decision is final");
    }
    if (v.created_token_id == actor.token_id) {
      return PermissionDenied("the token that registered version " + std::to_string(version) +
                              " of model '" + model + "' cannot " +
                              (approve ? "approve" : "reject") + " it (separation of duties)");
    }
    ApprovalStatus status = approve ? ApprovalStatus::kApproved : ApprovalStatus::kRejected;
    RETURN_IF_ERROR(tx.Exec(
        "UPDATE model_versions SET status = ?, decided_by = ?, decided_ms = ?,"
        " decision_comment = ? WHERE model = ? AND version = ?",
        {std::string_view(ApprovalStatusName(status)), std::string_view(actor.name), NowMs(),
         std::string_view(comment), std::string_view(model), version}));
    RETURN_IF_ERROR(auth::AuditLog::Append(tx, actor.name,
                                           approve ? "version.approve" : "version.reject",
                                           VersionResource(model, version),
                                           json{{"comment", comment}}.dump()));
    out = LoadVersion(tx, model, version);
    return out.status();
  }));
  return out;
}

Result<AliasMove> ModelRegistry::SetAlias(const auth::Principal& actor, const std::string& model,
                                          const std::string& alias, int64_t version) {
  RETURN_IF_ERROR(ValidateName("alias", alias));
  AliasMove move{model, alias, version, NowMs(), actor.name};
  RETURN_IF_ERROR(store_.Write([&](SqlTx& tx) {
    ASSIGN_OR_RETURN(ModelVersion v, LoadVersion(tx, model, version));
    if (v.status != ApprovalStatus::kApproved) {
      return FailedPrecondition("alias '" + alias + "' can name only an Approved version; version " +
                                std::to_string(version) + " of model '" + model + "' is " +
                                ApprovalStatusName(v.status));
    }
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO alias_moves (model, alias, version, set_ms, set_by) VALUES (?, ?, ?, ?, ?)",
        {std::string_view(model), std::string_view(alias), version, move.set_ms,
         std::string_view(actor.name)}));
    return auth::AuditLog::Append(tx, actor.name, "alias.set",
                                  "models/" + model + "/aliases/" + alias,
                                  json{{"version", version}}.dump());
  }));
  std::vector<AliasListener> listeners;
  {
    std::lock_guard lock(listeners_mu_);
    listeners = alias_listeners_;
  }
  for (const auto& listener : listeners) listener(move);
  return move;
}

void ModelRegistry::AddAliasListener(AliasListener listener) {
  std::lock_guard lock(listeners_mu_);
  alias_listeners_.push_back(std::move(listener));
}

Result<AliasMove> ModelRegistry::GetAlias(const std::string& model, const std::string& alias,
                                          std::optional<int64_t> at_ms) {
  std::optional<AliasMove> move;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    RETURN_IF_ERROR(LoadModel(tx, model).status());
    return tx.Query(
        "SELECT model, alias, version, set_ms, set_by FROM alias_moves"
        " WHERE model = ? AND alias = ? AND set_ms <= ? ORDER BY set_ms DESC, seq DESC LIMIT 1",
        {std::string_view(model), std::string_view(alias), at_ms.value_or(INT64_MAX)},
        [&](const SqlRow& row) { move = AliasFromRow(row); });
  }));
  if (!move) {
    return NotFound("alias '" + alias + "' of model '" + model + "' " +
                    (at_ms ? "named no version at " + std::to_string(*at_ms) : "is not set"));
  }
  return *move;
}

Result<std::vector<AliasMove>> ModelRegistry::AliasHistory(const std::string& model,
                                                           const std::string& alias,
                                                           const PageRequest& page) {
  std::vector<AliasMove> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    RETURN_IF_ERROR(LoadModel(tx, model).status());
    return tx.Query(
        "SELECT model, alias, version, set_ms, set_by FROM alias_moves WHERE model = ? AND"
        " alias = ? ORDER BY seq LIMIT ? OFFSET ?",
        {std::string_view(model), std::string_view(alias), int64_t{page.limit + 1}, page.offset},
        [&](const SqlRow& row) { out.push_back(AliasFromRow(row)); });
  }));
  return out;
}

}  // namespace plinth::registry

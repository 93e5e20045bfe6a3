#include "features/feature_registry.h"

#include "auth/audit_log.h"
#include "common/clock.h"
#include "common/json_util.h"

namespace plinth::features {

using storage::SqlRow;
using storage::SqlTx;

const char* ApplyActionName(ApplyAction action) {
  switch (action) {
    case ApplyAction::kCreated:
      return "created";
    case ApplyAction::kNewVersion:
      return "new_version";
    case ApplyAction::kUpdated:
      return "updated";
    case ApplyAction::kUnchanged:
      return "unchanged";
  }
  return "unknown";
}

namespace {

Result<std::vector<JoinKey>> StoredJoinKeys(std::string_view spec) {
  Json j = Json::parse(spec, nullptr, false);
  std::vector<JoinKey> keys;
  if (j.is_discarded() || !j.contains("join_keys")) return keys;
  for (const Json& k : j["join_keys"]) {
    auto t = ParseValueType(k.value("type", "string"));
    if (!t) return Internal("a stored join key has an unknown type");
    keys.push_back({k.value("name", ""), *t});
  }
  return keys;
}

constexpr char kSelectView[] =
    "SELECT spec, version, created_ms, updated_ms, created_by FROM feature_view_versions";

Result<FeatureView> ViewFromRow(const SqlRow& row) {
  auto view = FeatureViewFromJson(row.Text(0));
  if (!view.ok()) return Internal("a stored feature view does not parse: " + view.status().message());
  ASSIGN_OR_RETURN(view->join_keys, StoredJoinKeys(row.Text(0)));
  view->version = static_cast<int>(row.Int(1));
  view->created_ms = row.Int(2);
  view->updated_ms = row.Int(3);
  view->created_by = row.String(4);
  return view;
}

Result<std::optional<FeatureView>> LoadLatestView(SqlTx& tx, const std::string& name) {
  Result<std::optional<FeatureView>> out = std::optional<FeatureView>();
  RETURN_IF_ERROR(tx.Query(std::string(kSelectView) +
                               " WHERE name = ? AND version = (SELECT latest_version FROM"
                               " feature_views WHERE name = ?)",
                           {std::string_view(name), std::string_view(name)},
                           [&](const SqlRow& row) {
                             auto v = ViewFromRow(row);
                             if (v.ok()) {
                               out = std::optional<FeatureView>(std::move(v).value());
                             } else {
                               out = v.status();
                             }
                           }));
  return out;
}

constexpr char kSelectEntity[] =
    "SELECT spec, created_ms, updated_ms, created_by FROM feature_entities";

Result<Entity> EntityFromRow(const SqlRow& row) {
  auto e = EntityFromJson(row.Text(0));
  if (!e.ok()) return Internal("a stored entity does not parse: " + e.status().message());
  e->created_ms = row.Int(1);
  e->updated_ms = row.Int(2);
  e->created_by = row.String(3);
  return e;
}

Result<std::optional<Entity>> LoadEntity(SqlTx& tx, const std::string& name) {
  Result<std::optional<Entity>> out = std::optional<Entity>();
  RETURN_IF_ERROR(tx.Query(std::string(kSelectEntity) + " WHERE name = ?",
                           {std::string_view(name)}, [&](const SqlRow& row) {
                             auto e = EntityFromRow(row);
                             if (e.ok()) {
                               out = std::optional<Entity>(std::move(e).value());
                             } else {
                               out = e.status();
                             }
                           }));
  return out;
}

Status RefuseBreaking(const std::string& what, const std::vector<SchemaChange>& changes) {
  std::string list;
  for (const SchemaChange& c : changes) {
    if (!c.breaking) continue;
    if (!list.empty()) list += "; ";
    list += c.field + " " + c.kind;
    if (c.kind == "changed") list += " from '" + c.before + "' to '" + c.after + "'";
  }
  return FailedPrecondition(what + " would be a breaking change (" + list +
                            "); apply with force to accept it")
      .WithDetails(Json{{"changes", Json::parse(SchemaChangesToJson(changes))}}.dump());
}

Status ReplaceViewEntities(SqlTx& tx, const FeatureView& view) {
  RETURN_IF_ERROR(
      tx.Exec("DELETE FROM feature_view_entities WHERE view = ?", {std::string_view(view.name)}));
  for (const std::string& e : view.entities) {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO feature_view_entities (entity, view) VALUES (?, ?)",
                            {std::string_view(e), std::string_view(view.name)}));
  }
  return Status::Ok();
}

// Runs `sql` and appends each row, as `parse` reads it, to `out`. The first row that does not
// parse (a stored spec this build cannot read) is the error; later rows are still visited.
template <typename T, typename Parse>
Status QueryParsed(SqlTx& tx, const std::string& sql,
                   const std::vector<storage::SqlParam>& params,
                   Parse parse, std::vector<T>& out) {
  Status bad;
  RETURN_IF_ERROR(tx.Query(sql, params, [&](const SqlRow& row) {
    Result<T> item = parse(row);
    if (item.ok()) {
      out.push_back(std::move(item).value());
    } else if (bad.ok()) {
      bad = item.status();
    }
  }));
  return bad;
}

}  // namespace

Result<std::unique_ptr<FeatureRegistry>> FeatureRegistry::Open(storage::MetadataStore& store) {
  std::unique_ptr<FeatureRegistry> r(new FeatureRegistry(store));
  RETURN_IF_ERROR(r->InitSchema());
  return r;
}

Status FeatureRegistry::InitSchema() {
  static const char* kStatements[] = {
      "CREATE TABLE IF NOT EXISTS feature_entities (name TEXT PRIMARY KEY, spec TEXT NOT NULL,"
      " created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, created_by TEXT NOT NULL)",
      "CREATE TABLE IF NOT EXISTS feature_views (name TEXT PRIMARY KEY,"
      " latest_version INTEGER NOT NULL, created_ms INTEGER NOT NULL, created_by TEXT NOT NULL)",
      "CREATE TABLE IF NOT EXISTS feature_view_versions (name TEXT NOT NULL,"
      " version INTEGER NOT NULL, spec TEXT NOT NULL, created_ms INTEGER NOT NULL,"
      " updated_ms INTEGER NOT NULL, created_by TEXT NOT NULL, PRIMARY KEY (name, version))",
      // Which views the latest versions tie to which entities (for entity change checks).
      "CREATE TABLE IF NOT EXISTS feature_view_entities (entity TEXT NOT NULL,"
      " view TEXT NOT NULL, PRIMARY KEY (entity, view))",
      "CREATE TABLE IF NOT EXISTS feature_ingests (id TEXT PRIMARY KEY, view TEXT NOT NULL,"
      " view_version INTEGER NOT NULL, rows INTEGER NOT NULL, stats TEXT NOT NULL,"
      " created_ms INTEGER NOT NULL, created_by TEXT NOT NULL)",
      "CREATE INDEX IF NOT EXISTS feature_ingests_by_view ON feature_ingests (view, created_ms)",
  };
  return store_.Write([](SqlTx& tx) {
    for (const char* sql : kStatements) RETURN_IF_ERROR(tx.Exec(sql));
    return Status::Ok();
  });
}

// ---------------------------------------------------------------------------------------------
// Entities

Result<EntityApplyResult> FeatureRegistry::ApplyEntity(const auth::Principal& actor,
                                                       const Entity& input,
                                                       const ApplyOptions& options) {
  RETURN_IF_ERROR(ValidateEntity(input));
  EntityApplyResult result;
  auto body = [&](SqlTx& tx) -> Status {
    ASSIGN_OR_RETURN(std::optional<Entity> existing, LoadEntity(tx, input.name));
    int64_t now = NowMs();
    Entity e = input;
    if (!existing) {
      e.created_ms = e.updated_ms = now;
      e.created_by = actor.name;
      result = {e, ApplyAction::kCreated, {}};
      if (options.dry_run) return Status::Ok();
      std::string spec = EntityToJson(e);
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO feature_entities (name, spec, created_ms, updated_ms, created_by)"
          " VALUES (?, ?, ?, ?, ?)",
          {std::string_view(e.name), std::string_view(spec), now, now,
           std::string_view(actor.name)}));
      return auth::AuditLog::Append(tx, actor.name, "entity.create", "entities/" + e.name, spec);
    }
    bool in_use = false;
    RETURN_IF_ERROR(tx.Query("SELECT 1 FROM feature_view_entities WHERE entity = ? LIMIT 1",
                             {std::string_view(e.name)}, [&](const SqlRow&) { in_use = true; }));
    std::vector<SchemaChange> changes = DiffEntities(*existing, e, in_use);
    if (changes.empty()) {
      result = {*existing, ApplyAction::kUnchanged, {}};
      return Status::Ok();
    }
    bool breaking = std::any_of(changes.begin(), changes.end(),
                                [](const SchemaChange& c) { return c.breaking; });
    if (breaking && !options.force) return RefuseBreaking("changing entity '" + e.name + "'", changes);
    e.created_ms = existing->created_ms;
    e.created_by = existing->created_by;
    e.updated_ms = now;
    result = {e, ApplyAction::kUpdated, changes};
    if (options.dry_run) return Status::Ok();
    std::string spec = EntityToJson(e);
    RETURN_IF_ERROR(tx.Exec("UPDATE feature_entities SET spec = ?, updated_ms = ? WHERE name = ?",
                            {std::string_view(spec), now, std::string_view(e.name)}));
    return auth::AuditLog::Append(
        tx, actor.name, "entity.update", "entities/" + e.name,
        Json{{"changes", Json::parse(SchemaChangesToJson(changes))}, {"forced", breaking}}.dump());
  };
  RETURN_IF_ERROR(options.dry_run ? store_.Read(body) : store_.Write(body));
  if (!options.dry_run && result.action != ApplyAction::kUnchanged) {
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  return result;
}

Result<Entity> FeatureRegistry::GetEntity(const std::string& name) {
  std::optional<Entity> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) -> Status {
    ASSIGN_OR_RETURN(out, LoadEntity(tx, name));
    return Status::Ok();
  }));
  if (!out) return NotFound("entity '" + name + "' does not exist");
  return *out;
}

Result<std::vector<Entity>> FeatureRegistry::ListEntities(const PageRequest& page) {
  std::vector<Entity> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return QueryParsed(tx, std::string(kSelectEntity) + " ORDER BY name LIMIT ? OFFSET ?",
                       {int64_t{page.limit + 1}, page.offset}, EntityFromRow, out);
  }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Feature views

Result<ViewApplyResult> FeatureRegistry::ApplyFeatureView(const auth::Principal& actor,
                                                          const FeatureView& input,
                                                          const ApplyOptions& options) {
  RETURN_IF_ERROR(ValidateFeatureView(input));
  ViewApplyResult result;
  auto body = [&](SqlTx& tx) -> Status {
    std::vector<Entity> entities;
    for (const std::string& name : input.entities) {
      ASSIGN_OR_RETURN(std::optional<Entity> e, LoadEntity(tx, name));
      if (!e) {
        return NotFound("feature view '" + input.name + "' names entity '" + name +
                        "', which does not exist");
      }
      entities.push_back(std::move(*e));
    }
    FeatureView v = input;
    ASSIGN_OR_RETURN(v.join_keys, ResolveJoinKeys(v, entities));
    ASSIGN_OR_RETURN(std::optional<FeatureView> latest, LoadLatestView(tx, v.name));
    const int64_t now = NowMs();
    if (!latest) {
      v.version = 1;
      v.created_ms = v.updated_ms = now;
      v.created_by = actor.name;
      result = {v, ApplyAction::kCreated, {}};
      if (options.dry_run) return Status::Ok();
      std::string spec = FeatureViewToJson(v);
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO feature_views (name, latest_version, created_ms, created_by)"
          " VALUES (?, 1, ?, ?)",
          {std::string_view(v.name), now, std::string_view(actor.name)}));
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO feature_view_versions (name, version, spec, created_ms, updated_ms,"
          " created_by) VALUES (?, 1, ?, ?, ?, ?)",
          {std::string_view(v.name), std::string_view(spec), now, now,
           std::string_view(actor.name)}));
      RETURN_IF_ERROR(ReplaceViewEntities(tx, v));
      return auth::AuditLog::Append(tx, actor.name, "feature_view.create",
                                    "feature-views/" + v.name, spec);
    }
    ViewDiff diff = DiffFeatureViews(*latest, v);
    if (diff.empty()) {
      result = {*latest, ApplyAction::kUnchanged, {}};
      return Status::Ok();
    }
    if (diff.breaking() && !options.force) {
      return RefuseBreaking("changing feature view '" + v.name + "'", diff.changes);
    }
    Json details = {{"changes", Json::parse(SchemaChangesToJson(diff.changes))},
                    {"forced", diff.breaking()}};
    if (diff.schema_changed()) {
      v.version = latest->version + 1;
      v.created_ms = v.updated_ms = now;
      v.created_by = actor.name;
      result = {v, ApplyAction::kNewVersion, diff};
      if (options.dry_run) return Status::Ok();
      std::string spec = FeatureViewToJson(v);
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO feature_view_versions (name, version, spec, created_ms, updated_ms,"
          " created_by) VALUES (?, ?, ?, ?, ?, ?)",
          {std::string_view(v.name), int64_t{v.version}, std::string_view(spec), now, now,
           std::string_view(actor.name)}));
      RETURN_IF_ERROR(tx.Exec("UPDATE feature_views SET latest_version = ? WHERE name = ?",
                              {int64_t{v.version}, std::string_view(v.name)}));
      RETURN_IF_ERROR(ReplaceViewEntities(tx, v));
      details["version"] = v.version;
      return auth::AuditLog::Append(tx, actor.name, "feature_view.version",
                                    "feature-views/" + v.name, details.dump());
    }
    // Metadata only: the latest version changes in place.
    v.version = latest->version;
    v.created_ms = latest->created_ms;
    v.created_by = latest->created_by;
    v.updated_ms = now;
    result = {v, ApplyAction::kUpdated, diff};
    if (options.dry_run) return Status::Ok();
    std::string spec = FeatureViewToJson(v);
    RETURN_IF_ERROR(tx.Exec(
        "UPDATE feature_view_versions SET spec = ?, updated_ms = ? WHERE name = ? AND version = ?",
        {std::string_view(spec), now, std::string_view(v.name), int64_t{v.version}}));
    details["version"] = v.version;
    return auth::AuditLog::Append(tx, actor.name, "feature_view.update",
                                  "feature-views/" + v.name, details.dump());
  };
  RETURN_IF_ERROR(options.dry_run ? store_.Read(body) : store_.Write(body));
  if (!options.dry_run && result.action != ApplyAction::kUnchanged) {
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  return result;
}

Result<FeatureView> FeatureRegistry::GetFeatureView(const std::string& name,
                                                    std::optional<int> version) {
  Result<std::optional<FeatureView>> out = std::optional<FeatureView>();
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) -> Status {
    if (!version) {
      out = LoadLatestView(tx, name);
      return Status::Ok();
    }
    return tx.Query(std::string(kSelectView) + " WHERE name = ? AND version = ?",
                    {std::string_view(name), int64_t{*version}}, [&](const SqlRow& row) {
                      auto v = ViewFromRow(row);
                      if (v.ok()) {
                        out = std::optional<FeatureView>(std::move(v).value());
                      } else {
                        out = v.status();
                      }
                    });
  }));
  RETURN_IF_ERROR(out.status());
  if (!*out) {
    if (version) {
      return NotFound("feature view '" + name + "' has no version " + std::to_string(*version));
    }
    return NotFound("feature view '" + name + "' does not exist");
  }
  return std::move(**out);
}

Result<std::vector<FeatureView>> FeatureRegistry::ListFeatureViews(const PageRequest& page) {
  std::vector<FeatureView> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return QueryParsed(
        tx,
        "SELECT v.spec, v.version, v.created_ms, v.updated_ms, v.created_by FROM feature_views f"
        " JOIN feature_view_versions v ON v.name = f.name AND v.version = f.latest_version"
        " ORDER BY f.name LIMIT ? OFFSET ?",
        {int64_t{page.limit + 1}, page.offset}, ViewFromRow, out);
  }));
  return out;
}

Result<std::vector<FeatureView>> FeatureRegistry::ListFeatureViewVersions(
    const std::string& name) {
  std::vector<FeatureView> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return QueryParsed(tx, std::string(kSelectView) + " WHERE name = ? ORDER BY version",
                       {std::string_view(name)}, ViewFromRow, out);
  }));
  if (out.empty()) return NotFound("feature view '" + name + "' does not exist");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ingests

Status FeatureRegistry::RecordIngest(const IngestRecord& r) {
  return store_.Write([&](SqlTx& tx) -> Status {
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO feature_ingests (id, view, view_version, rows, stats, created_ms, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        {std::string_view(r.id), std::string_view(r.view), int64_t{r.view_version}, r.rows,
         std::string_view(r.stats_json), r.created_ms, std::string_view(r.actor)}));
    if (tx.Changes() == 0) return Status::Ok();
    return auth::AuditLog::Append(
        tx, r.actor, "feature_view.ingest", "feature-views/" + r.view,
        Json{{"ingest_id", r.id}, {"version", r.view_version}, {"rows", r.rows}}.dump());
  });
}

Result<bool> FeatureRegistry::HasIngest(const std::string& id) {
  bool found = false;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query("SELECT 1 FROM feature_ingests WHERE id = ?", {std::string_view(id)},
                    [&](const SqlRow&) { found = true; });
  }));
  return found;
}

Result<std::vector<IngestRecord>> FeatureRegistry::ListIngests(const std::string& view,
                                                               const PageRequest& page) {
  std::vector<IngestRecord> out;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query(
        "SELECT id, view, view_version, rows, stats, created_ms, created_by FROM feature_ingests"
        " WHERE view = ? ORDER BY created_ms DESC, id DESC LIMIT ? OFFSET ?",
        {std::string_view(view), int64_t{page.limit + 1}, page.offset}, [&](const SqlRow& row) {
          out.push_back(IngestRecord{row.String(0), row.String(1),
                                     static_cast<int>(row.Int(2)), row.String(6), row.Int(5),
                                     row.Int(3), row.String(4)});
        });
  }));
  return out;
}

}  // namespace plinth::features

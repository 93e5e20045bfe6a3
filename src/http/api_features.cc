// Routes: the feature store's definitions (entities, feature views), ingest, point-in-time
// training sets ("historical features"), datasets, run inputs and lineage across them.
#include <set>

#include "common/clock.h"
#include "features/batch.h"
#include "http/api.h"
#include "http/api_helpers.h"
#include "service/lineage.h"

namespace plinth::http {

using auth::Role;
using nlohmann::json;
// Entity rows and training set rows keep their columns in the client's order.
using ordered_json = nlohmann::ordered_json;

namespace {

std::string_view MediaType(std::string_view content_type) {
  std::string_view base = content_type.substr(0, content_type.find(';'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  while (!base.empty() && base.front() == ' ') base.remove_prefix(1);
  return base;
}

bool IsCsv(std::string_view content_type) { return MediaType(content_type) == "text/csv"; }

bool IsJson(std::string_view content_type) {
  std::string_view t = MediaType(content_type);
  return t.empty() || t == "application/json";
}

Status UnsupportedMediaType(const std::string& message) {
  return Status(StatusCode::kUnsupportedMediaType, message);
}

// A boolean flag from the body ("force": true) or, when absent there, the query (?force=true).
Result<bool> Flag(const Request& req, Json* body, const char* name) {
  if (body != nullptr) {
    auto it = body->find(name);
    if (it != body->end()) {
      if (!it->is_boolean() && !it->is_null()) {
        return InvalidArgument(std::string("'") + name + "' must be true or false");
      }
      bool v = it->is_boolean() && it->get<bool>();
      body->erase(it);
      return v;
    }
  }
  if (auto q = req.Query(name)) {
    if (*q == "true" || *q == "1" || q->empty()) return true;
    if (*q == "false" || *q == "0") return false;
    return InvalidArgument(std::string("?") + name + " must be true or false");
  }
  return false;
}

Result<features::ApplyOptions> ApplyOptionsOf(const Request& req, Json& body) {
  features::ApplyOptions options;
  ASSIGN_OR_RETURN(options.force, Flag(req, &body, "force"));
  ASSIGN_OR_RETURN(options.dry_run, Flag(req, &body, "dry_run"));
  return options;
}

// The API says 409 for a change the current state refuses: the registry's FailedPrecondition
// for a breaking change becomes Conflict, with the same message and list of changes.
Status BreakingAsConflict(const Status& status) {
  if (status.code() != StatusCode::kFailedPrecondition) return status;
  Status out = Conflict(status.message());
  out.WithDetails(status.details_json());
  return out;
}

json ChangesJson(const std::vector<features::SchemaChange>& changes) {
  return json::parse(features::SchemaChangesToJson(changes));
}

// The answer to an apply (entity or feature view): the definition as it now stands, what the
// apply did and the schema changes; 201 when it made something new (and was not a dry run).
Response ApplyResponse(json definition, features::ApplyAction action,
                       const std::vector<features::SchemaChange>& changes, bool dry_run,
                       bool made_new) {
  definition["action"] = features::ApplyActionName(action);
  definition["changes"] = ChangesJson(changes);
  definition["dry_run"] = dry_run;
  return JsonResponse(made_new && !dry_run ? 201 : 200, definition);
}

// "a:b,c:d" -> ["a:b", "c:d"] (spaces around items are dropped).
std::vector<std::string> SplitRefs(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

// A JSON cell of an entity row as the text the join reads; nullopt for null.
Result<std::optional<std::string>> CellText(const ordered_json& v, size_t row,
                                            const std::string& column) {
  if (v.is_null()) return std::optional<std::string>();
  if (v.is_string()) return std::optional<std::string>(v.get<std::string>());
  if (v.is_boolean()) return std::optional<std::string>(v.get<bool>() ? "true" : "false");
  if (v.is_number_integer() || v.is_number_unsigned()) return std::optional<std::string>(v.dump());
  if (v.is_number_float()) return std::optional<std::string>(v.dump());
  return InvalidArgument("entities[" + std::to_string(row) + "]." + column +
                         " must be a string, a number, a boolean or null");
}

// Entity rows given as JSON objects: the columns are every key, in order of first appearance.
Result<features::EntityTable> EntitiesFromJsonRows(const ordered_json& rows) {
  if (!rows.is_array()) return InvalidArgument("'entities' must be a list of row objects");
  if (rows.empty()) return InvalidArgument("'entities' has no rows");
  std::vector<std::string> columns;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].is_object()) {
      return InvalidArgument("entities[" + std::to_string(i) + "] must be an object");
    }
    for (const auto& [k, v] : rows[i].items()) {
      if (index.emplace(k, columns.size()).second) columns.push_back(k);
    }
  }
  std::vector<std::vector<std::optional<std::string>>> cells(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    cells[i].resize(columns.size());
    for (const auto& [k, v] : rows[i].items()) {
      ASSIGN_OR_RETURN(cells[i][index[k]], CellText(v, i, k));
    }
  }
  return features::EntityTable::FromRows(std::move(columns), cells);
}

ordered_json CellJson(const features::CellValue& c) {
  if (c.is_null) return nullptr;
  switch (c.type) {
    case features::ValueType::kFloat:
      return c.f;
    case features::ValueType::kInt:
      return c.i;
    case features::ValueType::kBool:
      return c.b;
    case features::ValueType::kString:
      return std::string(c.s);
  }
  return nullptr;
}

// The rows as objects. With `original` (JSON entity rows) entity columns keep their JSON values.
ordered_json TrainingSetRows(const features::TrainingSet& set, const ordered_json* original) {
  ordered_json rows = ordered_json::array();
  const auto& columns = set.columns();
  auto it = set.Rows();
  while (it.Next()) {
    ordered_json row = ordered_json::object();
    for (size_t c = 0; c < columns.size(); ++c) {
      if (!set.is_feature_column(c) && original != nullptr) {
        const ordered_json& src = (*original)[it.row()];
        auto v = src.find(columns[c]);
        row[columns[c]] = v == src.end() ? ordered_json(nullptr) : *v;
      } else {
        row[columns[c]] = CellJson(it[c]);
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

enum class Format { kCsv, kJson };

// The answer's format: ?format=, else the Accept header when it names CSV or JSON, else the
// request's own format.
Result<Format> ResponseFormat(const Request& req, Format request_format) {
  if (auto f = req.Query("format")) {
    if (*f == "csv") return Format::kCsv;
    if (*f == "json") return Format::kJson;
    return InvalidArgument("?format must be csv or json");
  }
  bool csv = req.accept.find("text/csv") != std::string::npos;
  bool js = req.accept.find("application/json") != std::string::npos;
  if (csv && !js) return Format::kCsv;
  if (js && !csv) return Format::kJson;
  return request_format;
}

}  // namespace

void AddFeatureRoutes(Router& router, service::PlinthService& service) {
  features::FeatureStore& store = service.features();
  features::FeatureRegistry& reg = store.registry();
  features::DatasetStore& datasets = service.datasets();

  // ---- entities ----------------------------------------------------------------------------
  router.Add("POST", "/api/v1/entities", Role::kScientist, [&reg](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    RESPOND_ASSIGN(features::ApplyOptions options, ApplyOptionsOf(req, body));
    RESPOND_ASSIGN(features::Entity entity, features::EntityFromJson(body.dump()));
    auto applied = reg.ApplyEntity(req.principal, entity, options);
    if (!applied.ok()) return ErrorResponse(BreakingAsConflict(applied.status()));
    return ApplyResponse(ToJson(applied->entity), applied->action, applied->changes,
                         options.dry_run, applied->action == features::ApplyAction::kCreated);
  });
  router.Add("GET", "/api/v1/entities", Role::kViewer, [&reg](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto entities, reg.ListEntities(page));
    return ListResponse(entities, page);
  });
  router.Add("GET", "/api/v1/entities/{name}", Role::kViewer, [&reg](Request& req) {
    RESPOND_ASSIGN(auto entity, reg.GetEntity(req.Param("name")));
    return JsonResponse(200, ToJson(entity));
  });

  // ---- feature views -----------------------------------------------------------------------
  router.Add("POST", "/api/v1/feature-views", Role::kScientist, [&reg](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    RESPOND_ASSIGN(features::ApplyOptions options, ApplyOptionsOf(req, body));
    RESPOND_ASSIGN(features::FeatureView view, features::FeatureViewFromJson(body.dump()));
    auto applied = reg.ApplyFeatureView(req.principal, view, options);
    if (!applied.ok()) return ErrorResponse(BreakingAsConflict(applied.status()));
    return ApplyResponse(ToJson(applied->view), applied->action, applied->diff.changes,
                         options.dry_run,
                         applied->action == features::ApplyAction::kCreated ||
                             applied->action == features::ApplyAction::kNewVersion);
  });
  router.Add("GET", "/api/v1/feature-views", Role::kViewer, [&reg](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto views, reg.ListFeatureViews(page));
    return ListResponse(views, page);
  });
  router.Add("GET", "/api/v1/feature-views/{name}", Role::kViewer, [&reg](Request& req) {
    RESPOND_ASSIGN(auto versions, reg.ListFeatureViewVersions(req.Param("name")));
    if (versions.empty()) {
      return ErrorResponse(NotFound("feature view '" + req.Param("name") + "' does not exist"));
    }
    json out = ToJson(versions.back());
    json list = json::array();
    for (const auto& v : versions) list.push_back(ToJson(v));
    out["versions"] = std::move(list);
    return JsonResponse(200, out);
  });
  router.Add(
      "GET", "/api/v1/feature-views/{name}/versions/{v}", Role::kViewer, [&reg](Request& req) {
        RESPOND_ASSIGN(int64_t v, IntParam(req, "v"));
        RESPOND_ASSIGN(auto view, reg.GetFeatureView(req.Param("name"), static_cast<int>(v)));
        return JsonResponse(200, ToJson(view));
      });

  // ---- ingest ------------------------------------------------------------------------------
  router.Add("POST", "/api/v1/feature-views/{name}/ingest", Role::kScientist,
             [&store](Request& req) {
               auto format = features::ParseBatchFormat(MediaType(req.content_type));
               if (!format.ok()) {
                 return ErrorResponse(
                     UnsupportedMediaType("ingest takes CSV (Content-Type: text/csv) or JSON lines "
                                          "(application/x-ndjson or application/jsonl), not '" +
                                          req.content_type.substr(0, 100) + "'"));
               }
               RESPOND_ASSIGN(features::IngestResult result,
                              store.Ingest(req.principal, req.Param("name"), *format, req.body));
               return JsonResponse(201, ToJson(result.record));
             });
  router.Add("GET", "/api/v1/feature-views/{name}/ingests", Role::kViewer, [&reg](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_IF_ERROR(reg.GetFeatureView(req.Param("name")).status());
    RESPOND_ASSIGN(auto ingests, reg.ListIngests(req.Param("name"), page));
    return ListResponse(ingests, page);
  });

  // ---- historical features (training sets) --------------------------------------------------
  router.Add(
      "POST", "/api/v1/features/historical", Role::kViewer, [&store, &datasets](Request& req) {
        Format request_format;
        std::vector<std::string> refs;
        std::optional<std::string> save_as, description;
        features::HistoricalOptions options;
        ordered_json json_rows;  // the request's entity rows, when given as JSON objects
        features::EntityTable entities;
        if (IsCsv(req.content_type)) {
          request_format = Format::kCsv;
          if (auto f = req.Query("features")) refs = SplitRefs(*f);
          if (refs.empty()) refs = SplitRefs(req.feature_refs);
          if (refs.empty()) {
            return ErrorResponse(InvalidArgument(
                "name the features with ?features=view:feature,... or an X-Feature-Refs header"));
          }
          if (auto s = req.Query("save_as")) save_as = std::string(*s);
          if (auto d = req.Query("description")) description = std::string(*d);
          RESPOND_ASSIGN(options.full_feature_names, Flag(req, nullptr, "full_feature_names"));
          RESPOND_ASSIGN(entities, features::EntityTable::FromCsv(std::string(req.body)));
        } else if (IsJson(req.content_type)) {
          request_format = Format::kJson;
          RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
          for (const auto& [k, v] : body.items()) {
            static const std::set<std::string> kKnown = {"entities",    "entities_csv",
                                                         "features",    "save_as",
                                                         "description", "full_feature_names"};
            if (!kKnown.count(k)) {
              return ErrorResponse(InvalidArgument("unknown field '" + k +
                                                   "'; the fields are "
                                                   "entities or entities_csv, features, save_as, "
                                                   "description, full_feature_names"));
            }
          }
          auto f = body.find("features");
          if (f == body.end() || !f->is_array()) {
            return ErrorResponse(
                InvalidArgument("'features' must be a list of \"view:feature\" refs"));
          }
          for (const auto& r : *f) {
            if (!r.is_string()) {
              return ErrorResponse(
                  InvalidArgument("'features' must be a list of \"view:feature\" refs"));
            }
            refs.push_back(r.get<std::string>());
          }
          RESPOND_ASSIGN(save_as, OptionalString(body, "save_as"));
          RESPOND_ASSIGN(description, OptionalString(body, "description"));
          RESPOND_ASSIGN(options.full_feature_names, Flag(req, &body, "full_feature_names"));
          bool has_rows = body.contains("entities"), has_csv = body.contains("entities_csv");
          if (has_rows == has_csv) {
            return ErrorResponse(InvalidArgument(
                "give the entity rows as either 'entities' (a list of objects) or 'entities_csv'"));
          }
          if (has_rows) {
            // Parsed again keeping key order: the columns are the keys in the order they come.
            json_rows = ordered_json::parse(req.body, nullptr, false)["entities"];
            RESPOND_ASSIGN(entities, EntitiesFromJsonRows(json_rows));
          } else {
            if (!body["entities_csv"].is_string()) {
              return ErrorResponse(InvalidArgument("'entities_csv' must be a string of CSV"));
            }
            RESPOND_ASSIGN(entities,
                           features::EntityTable::FromCsv(body["entities_csv"].get<std::string>()));
          }
        } else {
          return ErrorResponse(UnsupportedMediaType(
              "historical features take entity rows as CSV (text/csv) or JSON (application/json), "
              "not '" +
              req.content_type.substr(0, 100) + "'"));
        }
        RESPOND_ASSIGN(Format out_format, ResponseFormat(req, request_format));
        if (save_as && !auth::RoleAllows(req.principal.role, Role::kScientist)) {
          // Reading features needs viewer; saving a dataset is a change and needs scientist.
          return ErrorResponse(PermissionDenied("token '" + req.principal.name + "' has role " +
                                                auth::RoleName(req.principal.role) +
                                                "; saving a dataset needs scientist or higher"));
        }
        std::vector<features::ViewVersionRef> views;
        int64_t start = NowMs();
        RESPOND_ASSIGN(features::TrainingSet set,
                       store.GetHistoricalFeatures(std::move(entities), refs, options, &views));
        int64_t join_ms = NowMs() - start;
        std::string csv;
        if (out_format == Format::kCsv || save_as) csv = set.ToCsv();
        std::optional<features::Dataset> saved;
        if (save_as) {
          features::NewDataset spec;
          spec.name = *save_as;
          spec.description = description.value_or("");
          spec.rows = static_cast<int64_t>(set.num_rows());
          spec.columns = set.columns();
          spec.feature_refs = refs;
          spec.feature_views = views;
          RESPOND_ASSIGN(auto result, datasets.Save(req.principal, spec, csv));
          saved = result.dataset;
        }
        if (out_format == Format::kCsv) {
          Response r;
          r.content_type = "text/csv";
          r.body = std::move(csv);
          r.headers.emplace_back("X-Rows", std::to_string(set.num_rows()));
          r.headers.emplace_back("X-Join-Ms", std::to_string(join_ms));
          if (saved) {
            r.headers.emplace_back("X-Dataset", saved->name + "@" + std::to_string(saved->version));
            r.headers.emplace_back("X-Dataset-Sha256", saved->sha256);
          }
          return r;
        }
        ordered_json out = {
            {"columns", set.columns()},
            {"row_count", set.num_rows()},
            {"rows", TrainingSetRows(set, json_rows.is_array() ? &json_rows : nullptr)},
            {"join_ms", join_ms},
            {"dataset",
             saved ? ordered_json::parse(ToJson(*saved).dump()) : ordered_json(nullptr)}};
        Response r;
        r.body = out.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
        return r;
      });

  // ---- datasets ----------------------------------------------------------------------------
  router.Add("GET", "/api/v1/datasets", Role::kViewer, [&datasets](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto list, datasets.List(page));
    return ListResponse(list, page);
  });
  router.Add("GET", "/api/v1/datasets/{name}", Role::kViewer, [&datasets](Request& req) {
    RESPOND_ASSIGN(auto versions, datasets.ListVersions(req.Param("name")));
    json out = ToJson(versions.back());
    json list = json::array();
    for (const auto& v : versions) list.push_back(ToJson(v));
    out["versions"] = std::move(list);
    return JsonResponse(200, out);
  });
  router.Add("GET", "/api/v1/datasets/{name}/versions/{v}", Role::kViewer,
             [&datasets](Request& req) {
               RESPOND_ASSIGN(int64_t v, IntParam(req, "v"));
               RESPOND_ASSIGN(auto d, datasets.Get(req.Param("name"), v));
               return JsonResponse(200, ToJson(d));
             });
  auto download = [&datasets](Request& req, std::optional<int64_t> version) {
    RESPOND_ASSIGN(auto d, datasets.Get(req.Param("name"), version));
    RESPOND_ASSIGN(std::string csv, datasets.ReadCsv(d.name, d.version));
    Response r;
    r.content_type = "text/csv";
    r.body = std::move(csv);
    r.headers.emplace_back("X-Dataset", d.name + "@" + std::to_string(d.version));
    r.headers.emplace_back("X-Dataset-Sha256", d.sha256);
    return r;
  };
  router.Add("GET", "/api/v1/datasets/{name}/csv", Role::kViewer,
             [download](Request& req) { return download(req, std::nullopt); });
  router.Add("GET", "/api/v1/datasets/{name}/versions/{v}/csv", Role::kViewer,
             [download](Request& req) {
               RESPOND_ASSIGN(int64_t v, IntParam(req, "v"));
               return download(req, v);
             });
  router.Add("GET", "/api/v1/datasets/{name}/lineage", Role::kViewer, [&service](Request& req) {
    std::optional<int64_t> version;
    if (auto v = req.Query("version")) {
      try {
        version = std::stoll(std::string(*v));
      } catch (...) {
        return ErrorResponse(InvalidArgument("?version must be a positive integer"));
      }
    }
    RESPOND_ASSIGN(auto lineage, service::LineageOfDataset(service, req.Param("name"), version));
    json runs = json::array();
    for (const auto& r : lineage.runs) {
      runs.push_back({{"id", r.id},
                      {"experiment_id", r.experiment_id},
                      {"name", r.name},
                      {"status", tracking::RunStatusName(r.status)},
                      {"data_version", r.data_version ? json(*r.data_version) : json(nullptr)}});
    }
    json versions = json::array();
    for (const auto& v : lineage.model_versions) {
      versions.push_back({{"model", v.model},
                          {"version", v.version},
                          {"status", registry::ApprovalStatusName(v.status)},
                          {"run_id", v.lineage.run_id ? json(*v.lineage.run_id) : json(nullptr)}});
    }
    return JsonResponse(200, {{"dataset", ToJson(lineage.dataset)},
                              {"feature_views", ToJson(lineage.dataset)["feature_views"]},
                              {"runs", runs},
                              {"model_versions", versions}});
  });

  // ---- run inputs and model lineage (they join tracking and the registry to datasets) -------
  router.Add("POST", "/api/v1/runs/{id}/inputs", Role::kScientist, [&service](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    for (const auto& [k, v] : body.items()) {
      if (k != "dataset" && k != "version") {
        return ErrorResponse(InvalidArgument("unknown field '" + k +
                                             "'; a run input is {\"dataset\", \"version\"?}"));
      }
    }
    RESPOND_ASSIGN(std::string name, RequireString(body, "dataset"));
    RESPOND_ASSIGN(auto version, OptionalInt(body, "version"));
    if (version && *version < 1) {
      return ErrorResponse(InvalidArgument("'version' must be a positive integer"));
    }
    RESPOND_ASSIGN(auto input,
                   service::LogRunDataset(service, req.principal, req.Param("id"), name, version));
    return JsonResponse(201, ToJson(input));
  });
  router.Add("GET", "/api/v1/runs/{id}/inputs", Role::kViewer, [&service](Request& req) {
    RESPOND_ASSIGN(auto inputs, service.tracking().ListInputs(req.Param("id")));
    json items = json::array();
    for (const auto& i : inputs) items.push_back(ToJson(i));
    return JsonResponse(200, {{"items", items}, {"next_page_token", ""}});
  });
  router.Add(
      "GET", "/api/v1/models/{name}/versions/{v}/lineage", Role::kViewer, [&service](Request& req) {
        RESPOND_ASSIGN(int64_t v, IntParam(req, "v"));
        RESPOND_ASSIGN(auto lineage, service::LineageOfModelVersion(service, req.Param("name"), v));
        json out = {{"model_version", ToJson(lineage.version)}};
        out["run"] = lineage.run ? ToJson(*lineage.run) : json(nullptr);
        json inputs = json::array();
        for (const auto& i : lineage.inputs) inputs.push_back(ToJson(i));
        out["inputs"] = std::move(inputs);
        json ds = json::array();
        json views = json::array();
        std::set<std::pair<std::string, int>> seen;
        for (const auto& d : lineage.datasets) {
          ds.push_back(ToJson(d));
          for (const auto& fv : d.feature_views) {
            if (seen.insert({fv.name, fv.version}).second) {
              views.push_back({{"name", fv.name}, {"version", fv.version}});
            }
          }
        }
        out["datasets"] = std::move(ds);
        out["feature_views"] = std::move(views);
        return JsonResponse(200, out);
      });
}

}  // namespace plinth::http

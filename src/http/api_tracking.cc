// Routes: experiments and runs (params, tags, metrics, artifacts, search, finish).
#include "common/clock.h"
#include "http/api.h"
#include "http/api_helpers.h"
#include "http/metric_batch_parser.h"

namespace plinth::http {

using auth::Role;
using nlohmann::json;

namespace {

// An optional list of strings; absent or null is empty.
Result<std::vector<std::string>> StringList(const Json& body, const char* field) {
  std::vector<std::string> out;
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return out;
  auto wrong = [&] { return InvalidArgument(std::string("'") + field + "' must be a list of strings"); };
  if (!it->is_array()) return wrong();
  for (const auto& v : *it) {
    if (!v.is_string()) return wrong();
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

void AddTrackingRoutes(Router& router, service::PlinthService& service) {
  tracking::TrackingStore& store = service.tracking();

  router.Add("POST", "/api/v1/experiments", Role::kScientist, [&store](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    RESPOND_ASSIGN(std::string name, RequireString(body, "name"));
    RESPOND_ASSIGN(auto tags, OptionalStringMap(body, "tags"));
    RESPOND_ASSIGN(auto exp, store.CreateExperiment(req.principal, name, tags));
    return JsonResponse(201, ToJson(exp));
  });
  router.Add("GET", "/api/v1/experiments", Role::kViewer, [&store](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    std::optional<std::string> name;
    if (auto n = req.Query("name")) name = std::string(*n);
    RESPOND_ASSIGN(auto exps, store.ListExperiments(name, page));
    return ListResponse(exps, page);
  });
  router.Add("GET", "/api/v1/experiments/{id}", Role::kViewer, [&store](Request& req) {
    RESPOND_ASSIGN(auto exp, store.GetExperiment(req.Param("id")));
    return JsonResponse(200, ToJson(exp));
  });

  router.Add("POST", "/api/v1/runs", Role::kScientist, [&store](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    tracking::NewRun spec;
    RESPOND_ASSIGN(spec.experiment_id, RequireString(body, "experiment_id"));
    RESPOND_ASSIGN(auto name, OptionalString(body, "name"));
    spec.name = name.value_or("");
    RESPOND_ASSIGN(spec.tags, OptionalStringMap(body, "tags"));
    RESPOND_ASSIGN(spec.data_version, OptionalString(body, "data_version"));
    RESPOND_ASSIGN(auto run, store.CreateRun(req.principal, spec));
    return JsonResponse(201, ToJson(run));
  });
  router.Add("POST", "/api/v1/runs/search", Role::kViewer, [&store](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    tracking::RunSearch search;
    RESPOND_ASSIGN(search.experiment_ids, StringList(body, "experiment_ids"));
    RESPOND_ASSIGN(auto filter, OptionalString(body, "filter"));
    search.filter = filter.value_or("");
    RESPOND_ASSIGN(search.order_by, StringList(body, "order_by"));
    RESPOND_ASSIGN(auto limit, OptionalInt(body, "limit"));
    RESPOND_ASSIGN(auto token, OptionalString(body, "page_token"));
    std::string limit_text = limit ? std::to_string(*limit) : "";
    RESPOND_ASSIGN(PageRequest page,
                   ParsePageRequest(limit ? std::optional<std::string_view>(limit_text) : std::nullopt,
                                    token ? std::optional<std::string_view>(*token) : std::nullopt));
    RESPOND_ASSIGN(auto runs, store.SearchRuns(search, page));
    return ListResponse(runs, page);
  });
  router.Add("GET", "/api/v1/runs/{id}", Role::kViewer, [&store](Request& req) {
    RESPOND_ASSIGN(auto run, store.GetRun(req.Param("id")));
    return JsonResponse(200, ToJson(run));
  });
  router.Add("POST", "/api/v1/runs/{id}/tags", Role::kScientist, [&store](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    RESPOND_ASSIGN(auto tags, OptionalStringMap(body, "tags"));
    RESPOND_ASSIGN(auto run, store.SetTags(req.principal, req.Param("id"), tags));
    return JsonResponse(200, ToJson(run));
  });
  router.Add("POST", "/api/v1/runs/{id}/params", Role::kScientist, [&store](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    auto it = body.find("params");
    if (it == body.end() || !it->is_object()) {
      return ErrorResponse(InvalidArgument("'params' must be an object of key: value"));
    }
    RESPOND_ASSIGN(auto params, OptionalStringMap(body, "params"));
    RESPOND_ASSIGN(auto all, store.LogParams(req.principal, req.Param("id"), params));
    return JsonResponse(200, {{"params", all}});
  });
  router.Add("GET", "/api/v1/runs/{id}/params", Role::kViewer, [&store](Request& req) {
    RESPOND_ASSIGN(auto run, store.GetRun(req.Param("id")));
    return JsonResponse(200, {{"params", run.params}});
  });
  router.Add("POST", "/api/v1/runs/{id}/metrics", Role::kScientist, [&store](Request& req) {
    RESPOND_ASSIGN(auto points, ParseMetricBatch(req.body, NowMs()));
    RESPOND_IF_ERROR(store.LogMetrics(req.principal, req.Param("id"), points));
    return JsonResponse(200, {{"logged", points.size()}});
  });
  router.Add("GET", "/api/v1/runs/{id}/metrics/{key...}", Role::kViewer, [&store](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto points, store.MetricHistory(req.Param("id"), req.Param("key"), page));
    return ListResponse(points, page);
  });
  router.Add("POST", "/api/v1/runs/{id}/finish", Role::kScientist, [&store](Request& req) {
    tracking::RunStatus status = tracking::RunStatus::kFinished;
    if (!req.body.empty()) {
      RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
      RESPOND_ASSIGN(auto name, OptionalString(body, "status"));
      if (name) {
        auto parsed = tracking::ParseRunStatus(*name);
        if (!parsed || *parsed == tracking::RunStatus::kRunning) {
          return ErrorResponse(InvalidArgument("'status' must be FINISHED or FAILED"));
        }
        status = *parsed;
      }
    }
    RESPOND_ASSIGN(auto run, store.FinishRun(req.principal, req.Param("id"), status));
    return JsonResponse(200, ToJson(run));
  });

  router.Add("PUT", "/api/v1/runs/{id}/artifacts/{path...}", Role::kScientist,
             [&store](Request& req) {
               RESPOND_ASSIGN(auto info, store.PutArtifact(req.principal, req.Param("id"),
                                                           req.Param("path"), req.body));
               return JsonResponse(201, ToJson(info));
             });
  router.Add("GET", "/api/v1/runs/{id}/artifacts/{path...}", Role::kViewer,
             [&store](Request& req) {
               RESPOND_ASSIGN(std::string bytes,
                              store.ReadArtifact(req.Param("id"), req.Param("path")));
               Response r;
               r.content_type = "application/octet-stream";
               r.body = std::move(bytes);
               return r;
             });
  router.Add("GET", "/api/v1/runs/{id}/artifacts", Role::kViewer, [&store](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto list, store.ListArtifacts(req.Param("id"), page));
    return ListResponse(list, page);
  });
}

}  // namespace plinth::http

// Routes: serving endpoints, predict, and the Open Inference Protocol v2 (REST).
#include "http/api.h"
#include <algorithm>
#include <chrono>
#include <random>

#include "common/clock.h"
#include "http/api_helpers.h"
#include "http/predict_answer.h"
#include "http/predict_body.h"
#include "serving/endpoint_spec_json.h"
#include "serving/feature_enrichment.h"
#include "serving/predictor.h"

namespace plinth::http {

using auth::Role;
using nlohmann::json;
using serving::FeatureRows;
using serving::LiveEndpoint;

namespace {

json ToJson(const serving::LiveVariant& v) {
  json j = serving::ModelRefToJson(v.ref);
  j["name"] = v.name;
  j["weight"] = v.weight;
  if (!v.model) {  // kept unloaded at start-up; the endpoint's fallback answers for it
    j["serving_version"] = nullptr;
    j["runtime"] = nullptr;
    j["fallback_reason"] = nullptr;
    j["load_ms"] = nullptr;
    j["load_error"] = v.load_error;
    return j;
  }
  j["serving_version"] = v.model->version;
  j["runtime"] = v.model->runtime->runtime_name();
  j["fallback_reason"] = v.model->runtime->fallback_reason();
  j["load_ms"] = v.model->load_ms;
  return j;
}

json ShadowJson(const LiveEndpoint& e) {
  if (!e.shadow) return nullptr;
  json j = ToJson(*e.shadow);
  j.erase("weight");
  j["tolerance"] = e.spec.shadow_tolerance;
  if (e.shadow_stats) {
    serving::ShadowStats::Snapshot s = e.shadow_stats->Read();
    j["stats"] = {{"requests", s.requests},
                  {"errors", s.errors},
                  {"dropped", s.dropped},
                  {"compared", s.compared},
                  {"mean_abs_diff", s.mean_abs_diff},
                  {"within_tolerance_share", s.within_tolerance_share},
                  {"mean_latency_ms", s.mean_latency_ms},
                  {"max_latency_ms", s.max_latency_ms}};
  }
  return j;
}

json ToJson(const LiveEndpoint& e) {
  json variants = json::array();
  for (const auto& v : e.variants) variants.push_back(ToJson(v));
  if (!e.error.empty()) variants = serving::EndpointSpecToJson(e.spec)["variants"];
  json spec = serving::EndpointSpecToJson(e.spec);
  json cache = spec["cache"];
  if (e.cache) cache["entries"] = e.cache->size();
  return {{"name", e.spec.name},
          {"variants", variants},
          {"shadow", ShadowJson(e)},
          {"capture", spec["capture"]},
          {"batching", spec["batching"]},
          {"cache", cache},
          {"fallback", spec["fallback"]},
          {"ready", e.error.empty()},
          {"error", e.error.empty() ? json(nullptr) : json(e.error)},
          {"created_ms", e.created_ms},
          {"updated_ms", e.updated_ms},
          {"created_by", e.created_by},
          {"features", serving::EndpointFeaturesToJson(e.spec.features)}};
}

// Runs a prediction and, for the sampled share of requests, captures it. The capture records
// the request body, or, when the endpoint filled features from the online store (`enriched`),
// the instances the model got, so that monitors see every feature.
Result<serving::Prediction> PredictAndCapture(serving::EndpointManager& endpoints,
                                              const LiveEndpoint& live, const FeatureRows& rows,
                                              const Request& req,
                                              const serving::EnrichedRequest* enriched = nullptr);

Result<serving::Prediction> PredictAndCapture(serving::EndpointManager& endpoints,
                                              const LiveEndpoint& live, const FeatureRows& rows,
                                              const Request& req,
                                              const serving::EnrichedRequest* enriched) {
  auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(serving::Prediction p, serving::Predict(live, rows, req.routing_key));
  double rate = live.spec.capture_sample_rate;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  if (rate > 0 && (rate >= 1 || std::uniform_real_distribution<double>(0, 1)(rng) < rate)) {
    serving::CaptureRecord record;
    record.endpoint = live.spec.name;
    record.request_id = req.request_id;
    record.time_ms = NowMs();
    record.variant = p.variant;
    record.model = p.model;
    record.version = p.version;
    record.latency_ms = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - start).count();
    record.inputs_json = enriched ? json{{"instances", enriched->EchoJson()}}.dump()
                                  : std::string(req.body);
    AppendPredictionsJson(p, &record.outputs_json);
    endpoints.captures().Offer(std::move(record));
  }
  return p;
}

Response JsonTextResponse(std::string body) {
  Response r;
  r.body = std::move(body);
  return r;
}

json CaptureJson(const serving::CaptureRecord& r) {
  json inputs = json::parse(r.inputs_json, nullptr, false);
  json outputs = json::parse(r.outputs_json, nullptr, false);
  return {{"request_id", r.request_id}, {"time_ms", r.time_ms},   {"variant", r.variant},
          {"model", r.model},           {"version", r.version},   {"latency_ms", r.latency_ms},
          {"request", inputs.is_discarded() ? json(r.inputs_json) : inputs},
          {"predictions", outputs}};
}

// An endpoint that declares features (serving/feature_lookup.h): its instances name entities,
// and the declared features come from the online store.
Response PredictWithOnlineFeatures(serving::EndpointManager& endpoints,
                                   service::PlinthService& service, const LiveEndpoint& live,
                                   const Request& req) {
  RESPOND_ASSIGN(serving::EnrichedRequest enriched,
                 serving::ParseAndEnrich(service.feature_lookup(), *live.spec.features, req.body));
  RESPOND_ASSIGN(serving::Prediction p,
                 PredictAndCapture(endpoints, live, enriched.rows, req, &enriched));
  std::string features;
  if (enriched.echo) features = "\"features\":" + enriched.EchoJson().dump();
  return JsonTextResponse(PredictAnswerJson(p, live, req.request_id, features));
}

}  // namespace

void AddServingRoutes(Router& router, service::PlinthService& service) {
  serving::EndpointManager& endpoints = service.endpoints();

  router.Add("POST", "/api/v1/endpoints", Role::kApprover, [&endpoints, &service](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    RESPOND_ASSIGN(std::string name, RequireString(body, "name"));
    RESPOND_ASSIGN(auto spec, serving::EndpointSpecFromJson(body, name));
    if (spec.features) RESPOND_IF_ERROR(service.feature_lookup().Check(*spec.features));
    RESPOND_ASSIGN(auto live, endpoints.Create(req.principal, spec));
    return JsonResponse(201, ToJson(*live));
  });
  router.Add("GET", "/api/v1/endpoints", Role::kViewer, [&endpoints](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    auto all = endpoints.List();
    json items = json::array();
    for (size_t i = page.offset; i < all.size() && items.size() < static_cast<size_t>(page.limit); ++i) {
      items.push_back(ToJson(*all[i]));
    }
    std::string next = page.offset + page.limit < static_cast<int64_t>(all.size())
                           ? std::to_string(page.offset + page.limit) : "";
    return JsonResponse(200, {{"items", items}, {"next_page_token", next}});
  });
  router.Add("GET", "/api/v1/endpoints/{name}", Role::kViewer, [&endpoints](Request& req) {
    RESPOND_ASSIGN(auto live, endpoints.Get(req.Param("name")));
    json out = ToJson(*live);
    // What holds the endpoint against changes: a running rollout ("rollout <id>"), or null.
    std::string holder = endpoints.HolderOf(live->spec.name);
    out["held_by"] = holder.empty() ? json(nullptr) : json(holder);
    return JsonResponse(200, out);
  });
  router.Add("PUT", "/api/v1/endpoints/{name}", Role::kApprover, [&endpoints, &service](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    RESPOND_ASSIGN(auto spec, serving::EndpointSpecFromJson(body, req.Param("name")));
    if (spec.features) RESPOND_IF_ERROR(service.feature_lookup().Check(*spec.features));
    RESPOND_ASSIGN(auto live, endpoints.Update(req.principal, spec));
    return JsonResponse(200, ToJson(*live));
  });
  router.Add("DELETE", "/api/v1/endpoints/{name}", Role::kApprover, [&endpoints](Request& req) {
    RESPOND_IF_ERROR(endpoints.Delete(req.principal, req.Param("name")));
    return NoContent();
  });

  router.Add("POST", "/api/v1/endpoints/{name}/predict", Role::kViewer, [&endpoints, &service](Request& req) {
    RESPOND_ASSIGN(auto live, endpoints.Get(req.Param("name")));
    if (live->spec.features) return PredictWithOnlineFeatures(endpoints, service, *live, req);
    RESPOND_ASSIGN(FeatureRows rows, ParsePredictBody(req.body));
    RESPOND_ASSIGN(serving::Prediction p, PredictAndCapture(endpoints, *live, rows, req));
    return JsonTextResponse(PredictAnswerJson(p, *live, req.request_id));
  });

  router.Add("GET", "/api/v1/endpoints/{name}/captures", Role::kViewer, [&endpoints](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    int64_t since = 0, until = INT64_MAX;
    try {
      if (auto v = req.Query("since_ms")) since = std::stoll(std::string(*v));
      if (auto v = req.Query("until_ms")) until = std::stoll(std::string(*v));
    } catch (...) {
      return ErrorResponse(InvalidArgument("since_ms and until_ms must be integers (ms)"));
    }
    RESPOND_IF_ERROR(endpoints.Get(req.Param("name")).status());
    RESPOND_ASSIGN(auto records, endpoints.captures().List(req.Param("name"), since, until, page));
    json items = json::array();
    for (size_t i = 0; i < records.size() && i < static_cast<size_t>(page.limit); ++i) {
      items.push_back(CaptureJson(records[i]));
    }
    return JsonResponse(200, {{"items", items},
                              {"next_page_token", NextPageToken(page, records.size())},
                              {"dropped", endpoints.captures().dropped()}});
  });

  router.Add("POST", "/v2/models/{name}/infer", Role::kViewer, [&endpoints](Request& req) {
    RESPOND_ASSIGN(auto live, endpoints.Get(req.Param("name")));
    RESPOND_ASSIGN(InferRequest infer, ParseInferBody(req.body));
    const FeatureRows& rows = infer.rows;
    RESPOND_ASSIGN(serving::Prediction p, PredictAndCapture(endpoints, *live, rows, req));
    std::string id = infer.id.empty() ? req.request_id : infer.id;
    json shape = json::array({rows.n_rows});
    if (p.outputs_per_row > 1) shape.push_back(p.outputs_per_row);
    return JsonResponse(200, {{"model_name", live->spec.name},
                              {"model_version", std::to_string(p.version)},
                              {"id", id},
                              {"parameters", {{"variant", p.variant},
                                              {"model", p.model},
                                              {"served_by", p.served_by}}},
                              {"outputs", json::array({{{"name", "predict"},
                                                        {"shape", shape},
                                                        {"datatype", "FP32"},
                                                        {"data", p.values}}})}});
  });
  router.Add("GET", "/v2/models/{name}", Role::kViewer, [&endpoints](Request& req) {
    RESPOND_ASSIGN(auto live, endpoints.Get(req.Param("name")));
    json versions = json::array();
    json inputs = json::array();
    json outputs = json::array();
    auto loaded = std::find_if(live->variants.begin(), live->variants.end(),
                               [](const serving::LiveVariant& v) { return v.model != nullptr; });
    if (loaded != live->variants.end()) {
      const auto& model = *loaded->model;
      for (const auto& v : live->variants) {
        if (v.model) versions.push_back(std::to_string(v.model->version));
      }
      int64_t width = static_cast<int64_t>(model.runtime->input_signature().num_features);
      inputs.push_back({{"name", "input-0"}, {"datatype", "FP32"}, {"shape", {-1, width}}});
      json out_shape = json::array({-1});
      if (model.runtime->outputs_per_row() > 1) out_shape.push_back(model.runtime->outputs_per_row());
      outputs.push_back({{"name", "predict"}, {"datatype", "FP32"}, {"shape", out_shape}});
    }
    return JsonResponse(200, {{"name", live->spec.name},
                              {"versions", versions},
                              {"platform", "plinth"},
                              {"inputs", inputs},
                              {"outputs", outputs}});
  });
  router.Add("GET", "/v2/models/{name}/ready", Role::kViewer, [&endpoints](Request& req) {
    RESPOND_ASSIGN(auto live, endpoints.Get(req.Param("name")));
    if (!live->error.empty() || live->variants.empty()) {
      return ErrorResponse(Unavailable("endpoint '" + live->spec.name + "' is not ready: " + live->error));
    }
    return JsonResponse(200, {{"name", live->spec.name}, {"ready", true}});
  });
}

void AddMetricsRoute(Router& router, service::PlinthService& service, bool open) {
  std::optional<Role> least = open ? std::nullopt : std::optional<Role>(Role::kViewer);
  router.Add("GET", "/metrics", least, [&service](Request&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = service.endpoints().metrics().Render(service.endpoints()) +
             service.rollouts().RenderMetrics();
    return r;
  });
}

}  // namespace plinth::http

// Routes: baselines, monitors and their reports, ground-truth feedback, alerts, retrain requests.
#include "http/api.h"
#include "http/api_helpers.h"

namespace plinth::http {

using auth::Role;
using nlohmann::json;

namespace {

constexpr size_t kMaxFeedbackItems = 10000;

Result<monitoring::NewBaseline> BaselineRequest(const Request& req) {
  monitoring::NewBaseline b;
  if (req.content_type.rfind("text/csv", 0) == 0) {
    auto name = req.Query("name");
    if (!name) return InvalidArgument("a CSV upload needs ?name=");
    b.name = std::string(*name);
    if (auto t = req.Query("target_column")) b.target_column = std::string(*t);
    if (auto d = req.Query("description")) b.description = std::string(*d);
    b.source.kind = monitoring::BaselineSource::Kind::kCsv;
    b.source.csv = std::string(req.body);
    return b;
  }
  ASSIGN_OR_RETURN(Json body, ParseJsonObject(req.body));
  ASSIGN_OR_RETURN(b.name, RequireString(body, "name"));
  ASSIGN_OR_RETURN(auto target, OptionalString(body, "target_column"));
  b.target_column = target.value_or("");
  ASSIGN_OR_RETURN(auto description, OptionalString(body, "description"));
  b.description = description.value_or("");
  auto it = body.find("source");
  if (it == body.end() || !it->is_object()) {
    return InvalidArgument(
        "'source' must be {\"csv\"}, {\"blob\"} (or {\"dataset_sha256\"}) or {\"endpoint\", "
        "\"start_ms\", \"end_ms\"}");
  }
  const Json& src = *it;
  int kinds = src.contains("csv") + src.contains("blob") + src.contains("dataset_sha256") +
              src.contains("endpoint");
  if (kinds != 1) {
    return InvalidArgument("'source' must name exactly one of csv, blob, dataset_sha256, endpoint");
  }
  if (src.contains("csv")) {
    b.source.kind = monitoring::BaselineSource::Kind::kCsv;
    ASSIGN_OR_RETURN(b.source.csv, RequireString(src, "csv"));
  } else if (src.contains("endpoint")) {
    b.source.kind = monitoring::BaselineSource::Kind::kCaptures;
    ASSIGN_OR_RETURN(b.source.endpoint, RequireString(src, "endpoint"));
    ASSIGN_OR_RETURN(auto start, OptionalInt(src, "start_ms"));
    ASSIGN_OR_RETURN(auto end, OptionalInt(src, "end_ms"));
    if (!start || !end) return InvalidArgument("source.start_ms and source.end_ms are required");
    b.source.start_ms = *start;
    b.source.end_ms = *end;
  } else {
    b.source.kind = monitoring::BaselineSource::Kind::kBlob;
    ASSIGN_OR_RETURN(b.source.blob_sha256,
                     RequireString(src, src.contains("blob") ? "blob" : "dataset_sha256"));
  }
  return b;
}

Result<std::optional<int64_t>> VersionQuery(const Request& req) {
  auto v = req.Query("version");
  if (!v) return std::optional<int64_t>();
  try {
    size_t used = 0;
    int64_t n = std::stoll(std::string(*v), &used);
    if (used == v->size() && n >= 1) return std::optional<int64_t>(n);
  } catch (...) {
  }
  return InvalidArgument("version must be a positive integer");
}

Response Items(const json& items, const PageRequest& page, size_t fetched) {
  return JsonResponse(200, {{"items", items}, {"next_page_token", NextPageToken(page, fetched)}});
}

}  // namespace

void AddMonitoringRoutes(Router& router, service::PlinthService& service) {
  monitoring::Monitoring& mon = service.monitoring();

  router.Add("POST", "/api/v1/baselines", Role::kScientist, [&mon](Request& req) {
    RESPOND_ASSIGN(auto request, BaselineRequest(req));
    RESPOND_ASSIGN(auto baseline, mon.baselines().Create(req.principal, request));
    return JsonResponse(201, monitoring::BaselineToJson(baseline));
  });
  router.Add("GET", "/api/v1/baselines", Role::kViewer, [&mon](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto all, mon.baselines().List(page));
    json items = json::array();
    for (size_t i = 0; i < all.size() && i < static_cast<size_t>(page.limit); ++i) {
      items.push_back(monitoring::BaselineToJson(all[i]));
    }
    return Items(items, page, all.size());
  });
  router.Add("GET", "/api/v1/baselines/{name}", Role::kViewer, [&mon](Request& req) {
    RESPOND_ASSIGN(auto version, VersionQuery(req));
    RESPOND_ASSIGN(auto baseline, mon.baselines().Get(req.Param("name"), version));
    return JsonResponse(200, monitoring::BaselineToJson(baseline));
  });
  router.Add(
      "PUT", "/api/v1/models/{name}/versions/{v}/baseline", Role::kScientist, [&mon](Request& req) {
        RESPOND_ASSIGN(int64_t v, IntParam(req, "v"));
        RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
        RESPOND_ASSIGN(std::string baseline, RequireString(body, "baseline"));
        RESPOND_ASSIGN(auto version, OptionalInt(body, "baseline_version"));
        RESPOND_ASSIGN(auto link, mon.baselines().SetModelBaseline(req.principal, req.Param("name"),
                                                                   v, baseline, version));
        return JsonResponse(200, monitoring::ModelBaselineToJson(link));
      });
  router.Add("GET", "/api/v1/models/{name}/versions/{v}/baseline", Role::kViewer,
             [&mon](Request& req) {
               RESPOND_ASSIGN(int64_t v, IntParam(req, "v"));
               RESPOND_ASSIGN(auto link, mon.baselines().GetModelBaseline(req.Param("name"), v));
               return JsonResponse(200, monitoring::ModelBaselineToJson(link));
             });

  router.Add("POST", "/api/v1/monitors", Role::kScientist, [&mon](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    RESPOND_ASSIGN(auto spec, monitoring::MonitorSpecFromJson(body));
    RESPOND_ASSIGN(auto monitor, mon.monitors().Create(req.principal, spec));
    return JsonResponse(201, monitoring::MonitorToJson(monitor));
  });
  router.Add("GET", "/api/v1/monitors", Role::kViewer, [&mon](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto all, mon.monitors().List(page));
    json items = json::array();
    for (size_t i = 0; i < all.size() && i < static_cast<size_t>(page.limit); ++i) {
      items.push_back(monitoring::MonitorToJson(all[i]));
    }
    return Items(items, page, all.size());
  });
  router.Add("GET", "/api/v1/monitors/{name}", Role::kViewer, [&mon](Request& req) {
    RESPOND_ASSIGN(auto monitor, mon.monitors().Get(req.Param("name")));
    return JsonResponse(200, monitoring::MonitorToJson(monitor));
  });
  router.Add("DELETE", "/api/v1/monitors/{name}", Role::kScientist, [&mon](Request& req) {
    RESPOND_IF_ERROR(mon.monitors().Delete(req.principal, req.Param("name")));
    return NoContent();
  });
  router.Add("POST", "/api/v1/monitors/{name}/run", Role::kScientist, [&mon](Request& req) {
    RESPOND_ASSIGN(json report, mon.monitors().Run(req.principal, req.Param("name")));
    return JsonResponse(200, report);
  });
  router.Add("GET", "/api/v1/monitors/{name}/reports", Role::kViewer, [&mon](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto reports, mon.monitors().Reports(req.Param("name"), page));
    json items = json::array();
    for (size_t i = 0; i < reports.size() && i < static_cast<size_t>(page.limit); ++i) {
      items.push_back(std::move(reports[i]));
    }
    return Items(items, page, reports.size());
  });
  router.Add("GET", "/api/v1/monitors/{name}/reports/{id}", Role::kViewer, [&mon](Request& req) {
    RESPOND_ASSIGN(auto monitor, mon.monitors().Get(req.Param("name")));
    RESPOND_ASSIGN(json report, mon.monitors().Report(req.Param("id")));
    if (report.value("monitor_id", "") != monitor.id) {
      return ErrorResponse(NotFound("monitor '" + monitor.spec.name + "' has no report '" +
                                    req.Param("id").substr(0, 64) + "'"));
    }
    return JsonResponse(200, report);
  });

  router.Add(
      "POST", "/api/v1/endpoints/{name}/feedback", Role::kScientist,
      [&service, &mon](Request& req) {
        RESPOND_IF_ERROR(service.endpoints().Get(req.Param("name")).status());
        auto parsed = Json::parse(req.body, nullptr, false);
        if (parsed.is_discarded())
          return ErrorResponse(InvalidArgument("the body is not valid JSON"));
        const Json* items = &parsed;
        if (parsed.is_object() && parsed.contains("items")) items = &parsed["items"];
        if (!items->is_array() || items->empty()) {
          return ErrorResponse(InvalidArgument(
              "send a non-empty list of {\"request_id\", \"label\"} (or {\"items\": [...]})"));
        }
        if (items->size() > kMaxFeedbackItems) {
          return ErrorResponse(InvalidArgument("at most 10000 labels per call"));
        }
        std::vector<monitoring::FeedbackItem> labels;
        for (size_t i = 0; i < items->size(); ++i) {
          const Json& item = (*items)[i];
          std::string where = "items[" + std::to_string(i) + "]";
          if (!item.is_object())
            return ErrorResponse(InvalidArgument(where + " must be an object"));
          auto id = item.find("request_id");
          if (id == item.end() || !id->is_string() || id->get<std::string>().empty()) {
            return ErrorResponse(InvalidArgument(where + ".request_id must be a non-empty string"));
          }
          auto label = item.find("label");
          bool ok = label != item.end() && (label->is_number() || label->is_boolean());
          if (label != item.end() && label->is_array() && !label->empty()) {
            ok = true;
            for (const auto& v : *label) ok = ok && (v.is_number() || v.is_null());
          }
          if (!ok) {
            return ErrorResponse(
                InvalidArgument(where + ".label must be a number or a list of numbers"));
          }
          Json value = label->is_boolean() ? Json(label->get<bool>() ? 1 : 0) : *label;
          labels.push_back({id->get<std::string>(), value.dump()});
        }
        RESPOND_ASSIGN(auto result,
                       mon.feedback().Record(req.principal, req.Param("name"), labels));
        return JsonResponse(200, {{"accepted", result.accepted},
                                  {"matched", result.matched},
                                  {"unmatched", result.unmatched}});
      });

  router.Add("GET", "/api/v1/alerts", Role::kViewer, [&mon](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    monitoring::AlertFilter filter;
    if (auto m = req.Query("monitor")) filter.monitor = std::string(*m);
    if (auto s = req.Query("state")) {
      filter.state = std::string(*s);
      if (filter.state != "firing" && filter.state != "resolved") {
        return ErrorResponse(InvalidArgument("state must be firing or resolved"));
      }
    }
    RESPOND_ASSIGN(auto alerts, mon.alerts().List(filter, page));
    json items = json::array();
    for (size_t i = 0; i < alerts.size() && i < static_cast<size_t>(page.limit); ++i) {
      items.push_back(monitoring::AlertToJson(alerts[i]));
    }
    return Items(items, page, alerts.size());
  });
  router.Add("GET", "/api/v1/alerts/{id}", Role::kViewer, [&mon](Request& req) {
    RESPOND_ASSIGN(auto alert, mon.alerts().Get(req.Param("id")));
    return JsonResponse(200, monitoring::AlertToJson(alert));
  });
  router.Add("GET", "/api/v1/retrain-requests", Role::kViewer, [&mon](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    std::string endpoint;
    if (auto e = req.Query("endpoint")) endpoint = std::string(*e);
    RESPOND_ASSIGN(auto requests, mon.alerts().ListRetrainRequests(endpoint, page));
    json items = json::array();
    for (size_t i = 0; i < requests.size() && i < static_cast<size_t>(page.limit); ++i) {
      items.push_back(monitoring::RetrainRequestToJson(requests[i]));
    }
    return Items(items, page, requests.size());
  });
}

}  // namespace plinth::http

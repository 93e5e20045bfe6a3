// Routes: the feature store's online side (docs/api.md, "Online features"): materialization
// jobs, push, and online reads.
#include <simdjson.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>

#include "common/clock.h"
#include "features/event_time.h"
#include "http/api.h"
#include "http/api_helpers.h"
#include "http/json_body.h"
#include "http/json_text.h"

namespace plinth::http {

using auth::Role;
using nlohmann::json;

namespace {

namespace dom = simdjson::dom;

Result<features::FeatureStore*> OnlineFeatureStore(service::PlinthService& service) {
  features::FeatureStore& store = service.features();
  if (store.online() == nullptr) return FailedPrecondition("this server has no online store");
  return &store;
}

json JobJson(const features::MaterializationJob& j) {
  json start = j.start_ms == std::numeric_limits<int64_t>::min() ? json(nullptr) : json(j.start_ms);
  return {{"id", j.id},
          {"view", j.view},
          {"view_version", j.view_version},
          {"incremental", j.incremental},
          {"start_ms", start},
          {"end_ms", j.end_ms},
          {"status", j.status},
          {"error", j.error.empty() ? json(nullptr) : json(j.error)},
          {"rows_scanned", j.rows_scanned},
          {"entities", j.entities},
          {"rows_written", j.rows_written},
          {"rows_skipped", j.rows_skipped},
          {"created_ms", j.created_ms},
          {"finished_ms", j.finished_ms == 0 ? json(nullptr) : json(j.finished_ms)},
          {"created_by", j.created_by}};
}

// A time field: integer milliseconds, or text the feature store reads as an event time
// (RFC 3339, epoch seconds or milliseconds).
Result<std::optional<int64_t>> OptionalTime(const Json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::optional<int64_t>();
  if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
  if (it->is_string()) {
    auto ms = features::ParseEventTime(it->get<std::string>());
    if (!ms.ok()) return InvalidArgument(std::string(field) + ": " + ms.status().message());
    return std::optional<int64_t>(*ms);
  }
  return InvalidArgument(std::string(field) + " must be milliseconds or an RFC 3339 time");
}

Result<bool> OptionalBool(const Json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return false;
  if (!it->is_boolean()) return InvalidArgument(std::string(field) + " must be true or false");
  return it->get<bool>();
}

Response StartJob(service::PlinthService& service, Request& req, bool incremental) {
  RESPOND_ASSIGN(features::FeatureStore * store, OnlineFeatureStore(service));
  features::MaterializeRequest mreq;
  mreq.view = req.Param("name");
  mreq.incremental = incremental;
  Json body = Json::object();
  if (!req.body.empty()) {
    RESPOND_ASSIGN(body, ParseJsonObject(req.body));
  }
  for (const auto& [key, value] : body.items()) {
    static const std::set<std::string> kFull = {"start", "end", "wait"};
    static const std::set<std::string> kIncremental = {"end", "wait"};
    if (!(incremental ? kIncremental : kFull).count(key)) {
      return ErrorResponse(InvalidArgument("unknown field '" + key + "'"));
    }
  }
  RESPOND_ASSIGN(mreq.start_ms, OptionalTime(body, "start"));
  RESPOND_ASSIGN(mreq.end_ms, OptionalTime(body, "end"));
  RESPOND_ASSIGN(mreq.wait, OptionalBool(body, "wait"));
  if (!incremental && (!mreq.start_ms || !mreq.end_ms)) {
    return ErrorResponse(InvalidArgument("give 'start' and 'end' (milliseconds or RFC 3339)"));
  }
  RESPOND_ASSIGN(features::MaterializationJob job,
                 store->materializer()->Materialize(req.principal, mreq));
  return JsonResponse(mreq.wait ? 200 : 202, JobJson(job));
}

// Push bodies: CSV, JSON lines, or JSON {"rows": [{...}, ...]} (turned into JSON lines).
Result<std::pair<features::BatchFormat, std::string>> PushBody(const Request& req) {
  std::string_view type = std::string_view(req.content_type).substr(0, req.content_type.find(';'));
  if (type == "application/json" || type.empty()) {
    ASSIGN_OR_RETURN(Json body, ParseJsonObject(req.body));
    auto rows = body.find("rows");
    if (rows == body.end() || !rows->is_array() || rows->empty()) {
      return InvalidArgument("'rows' must be a non-empty list of objects");
    }
    std::string lines;
    for (size_t i = 0; i < rows->size(); ++i) {
      if (!(*rows)[i].is_object()) {
        return InvalidArgument("rows[" + std::to_string(i) + "] must be an object");
      }
      lines += (*rows)[i].dump();
      lines += '\n';
    }
    return std::make_pair(features::BatchFormat::kJsonLines, std::move(lines));
  }
  auto format = features::ParseBatchFormat(type);
  if (!format.ok()) {
    return Status(StatusCode::kUnsupportedMediaType,
                  "push takes application/json ({\"rows\": [...]}), text/csv or "
                  "application/x-ndjson, not '" + std::string(type) + "'");
  }
  return std::make_pair(*format, std::string());
}

// ---------------------------------------------------------------------------------------------
// POST /api/v1/features/online: the hot path. simdjson in, the answer written by hand; per
// thread buffers so that a steady stream of requests allocates little.

struct OnlineScratch {
  std::vector<std::string_view> refs;
  features::OnlineEntities entities;
  std::vector<std::array<char, 24>> numbers;  // text of numeric join key values
  std::vector<bool> entity_is_string;         // per column: echo values as JSON strings
  features::OnlineResult result;
  std::string out;
};

void AppendCellValue(const features::OnlineResult& r, size_t f, size_t row, std::string* out) {
  const features::OnlineResultCell& c = r.Cell(f, row);
  if (c.status != features::FeatureStatus::kPresent) {
    out->append("null");
    return;
  }
  switch (r.features[f].type) {
    case features::ValueType::kFloat: {
      double d;
      std::memcpy(&d, &c.raw, 8);
      AppendJsonDouble(d, out);
      return;
    }
    case features::ValueType::kInt:
      AppendJsonInt(static_cast<int64_t>(c.raw), out);
      return;
    case features::ValueType::kBool:
      out->append(c.raw ? "true" : "false");
      return;
    case features::ValueType::kString:
      AppendJsonString(c.str, out);
      return;
  }
}

constexpr size_t kMaxOnlineEntities = 10000;

Status TooManyEntities() {
  return InvalidArgument("at most " + std::to_string(kMaxOnlineEntities) +
                         " entities per request");
}

Status ParseOnlineRequest(std::string_view body, OnlineScratch& s) {
  ASSIGN_OR_RETURN(dom::object obj, ParseBodyObject(body));
  s.refs.clear();
  s.entities.names.clear();
  s.entities.rows = 0;
  s.entity_is_string.clear();
  bool has_features = false, has_entities = false;
  for (dom::key_value_pair field : obj) {
    if (field.key == "features") {
      dom::array refs;
      if (field.value.get_array().get(refs)) {
        return InvalidArgument("'features' must be a list of 'view:feature' refs");
      }
      for (dom::element ref : refs) {
        std::string_view text;
        if (ref.get_string().get(text)) {
          return InvalidArgument("'features' must be a list of 'view:feature' refs");
        }
        s.refs.push_back(text);
      }
      has_features = true;
    } else if (field.key == "entities") {
      dom::object entities;
      if (field.value.get_object().get(entities)) {
        return InvalidArgument("'entities' must be an object: join key -> list of values");
      }
      size_t cells = 0;
      for (dom::key_value_pair column : entities) {
        dom::array values;
        if (column.value.get_array().get(values)) {
          return InvalidArgument("entities." + std::string(column.key) + " must be a list");
        }
        // Before anything is sized by it: simdjson's size() saturates at 2^24 - 1, so a longer
        // column would overrun `numbers` below (and a long one allocates for nothing).
        if (values.size() > kMaxOnlineEntities) return TooManyEntities();
        cells += values.size();
      }
      if (s.numbers.size() < cells) s.numbers.resize(cells);
      size_t next_number = 0, c = 0;
      if (s.entities.columns.size() < entities.size()) s.entities.columns.resize(entities.size());
      for (dom::key_value_pair column : entities) {
        dom::array values = column.value.get_array().value_unsafe();
        auto& cells_out = s.entities.columns[c];
        cells_out.clear();
        bool is_string = false;
        size_t i = 0;
        for (dom::element v : values) {
          std::string_view text;
          int64_t n = 0;
          if (v.is_null()) {
            cells_out.push_back(std::nullopt);
          } else if (!v.get_string().get(text)) {
            is_string = true;
            cells_out.push_back(text);
          } else if (!v.get_int64().get(n)) {
            auto& buf = s.numbers[next_number++];
            auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), n);
            cells_out.push_back(std::string_view(buf.data(), end - buf.data()));
          } else {
            return InvalidArgument("entities." + std::string(column.key) + "[" + std::to_string(i) +
                                   "] must be an integer, a string or null");
          }
          ++i;
        }
        s.entities.names.push_back(column.key);
        s.entity_is_string.push_back(is_string);
        if (c == 0) s.entities.rows = cells_out.size();
        ++c;
      }
      s.entities.columns.resize(c);
      if (c == 0) return InvalidArgument("'entities' names no join key");
      has_entities = true;
    } else {
      return InvalidArgument("unknown field '" + std::string(field.key) + "'");
    }
  }
  if (!has_features) return InvalidArgument("'features' is required");
  if (!has_entities) return InvalidArgument("'entities' is required");
  if (s.entities.rows > kMaxOnlineEntities) return TooManyEntities();
  return Status::Ok();
}

// {"metadata": {"feature_names": [join keys..., refs...]},
//  "results": [{"values": [...], "statuses": [...], "event_timestamps": [...]}, ...]}
void WriteOnlineResponse(const OnlineScratch& s, std::string* out) {
  const features::OnlineResult& r = s.result;
  const size_t rows = r.rows;
  out->clear();
  out->append("{\"metadata\":{\"feature_names\":[");
  bool first = true;
  for (std::string_view name : s.entities.names) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(name, out);
  }
  for (std::string_view ref : s.refs) {
    out->push_back(',');
    AppendJsonString(ref, out);
  }
  out->append("]},\"results\":[");
  for (size_t c = 0; c < s.entities.names.size(); ++c) {
    if (c > 0) out->push_back(',');
    out->append("{\"values\":[");
    for (size_t i = 0; i < rows; ++i) {
      if (i > 0) out->push_back(',');
      const auto& cell = s.entities.columns[c][i];
      if (!cell) out->append("null");
      else if (s.entity_is_string[c]) AppendJsonString(*cell, out);
      else out->append(*cell);
    }
    out->append("],\"statuses\":[");
    for (size_t i = 0; i < rows; ++i) out->append(i > 0 ? ",\"PRESENT\"" : "\"PRESENT\"");
    out->append("],\"event_timestamps\":[");
    for (size_t i = 0; i < rows; ++i) out->append(i > 0 ? ",0" : "0");
    out->append("]}");
  }
  for (size_t f = 0; f < r.features.size(); ++f) {
    out->append(",{\"values\":[");
    for (size_t i = 0; i < rows; ++i) {
      if (i > 0) out->push_back(',');
      AppendCellValue(r, f, i, out);
    }
    out->append("],\"statuses\":[");
    for (size_t i = 0; i < rows; ++i) {
      if (i > 0) out->push_back(',');
      out->push_back('"');
      out->append(features::FeatureStatusName(r.Cell(f, i).status));
      out->push_back('"');
    }
    out->append("],\"event_timestamps\":[");
    for (size_t i = 0; i < rows; ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonInt(r.Cell(f, i).event_ms, out);
    }
    out->append("]}");
  }
  out->append("]}");
}

}  // namespace

void AddOnlineRoutes(Router& router, service::PlinthService& service) {
  router.Add("POST", "/api/v1/feature-views/{name}/materialize", Role::kScientist,
             [&service](Request& req) { return StartJob(service, req, /*incremental=*/false); });
  router.Add("POST", "/api/v1/feature-views/{name}/materialize-incremental", Role::kScientist,
             [&service](Request& req) { return StartJob(service, req, /*incremental=*/true); });
  router.Add("GET", "/api/v1/feature-views/{name}/materializations", Role::kViewer,
             [&service](Request& req) {
               RESPOND_ASSIGN(features::FeatureStore * store, OnlineFeatureStore(service));
               RESPOND_ASSIGN(PageRequest page, PageOf(req));
               RESPOND_ASSIGN(auto jobs, store->materializer()->List(req.Param("name"), page));
               json items = json::array();
               for (size_t i = 0; i < jobs.size() && i < static_cast<size_t>(page.limit); ++i) {
                 items.push_back(JobJson(jobs[i]));
               }
               RESPOND_ASSIGN(auto watermark, store->materializer()->Watermark(req.Param("name")));
               return JsonResponse(200, {{"items", items},
                                         {"next_page_token", NextPageToken(page, jobs.size())},
                                         {"watermark_ms", watermark ? json(*watermark) : json(nullptr)}});
             });
  router.Add("GET", "/api/v1/feature-views/{name}/materializations/{id}", Role::kViewer,
             [&service](Request& req) {
               RESPOND_ASSIGN(features::FeatureStore * store, OnlineFeatureStore(service));
               RESPOND_ASSIGN(auto job, store->materializer()->Get(req.Param("id")));
               if (job.view != req.Param("name")) {
                 return ErrorResponse(NotFound("feature view '" + req.Param("name") +
                                               "' has no materialization job '" + req.Param("id") + "'"));
               }
               return JsonResponse(200, JobJson(job));
             });

  router.Add("POST", "/api/v1/feature-views/{name}/push", Role::kScientist, [&service](Request& req) {
    RESPOND_ASSIGN(features::FeatureStore * store, OnlineFeatureStore(service));
    RESPOND_ASSIGN(auto body, PushBody(req));
    std::string_view bytes = body.second.empty() ? req.body : std::string_view(body.second);
    RESPOND_ASSIGN(features::IngestResult result,
                   store->Push(req.principal, req.Param("name"), body.first, bytes));
    return JsonResponse(200, {{"id", result.record.id},
                              {"view", result.record.view},
                              {"view_version", result.record.view_version},
                              {"rows", result.record.rows},
                              {"created_ms", result.record.created_ms},
                              {"stats", json::parse(result.record.stats_json)}});
  });

  router.Add("POST", "/api/v1/features/online", Role::kViewer, [&service](Request& req) {
    RESPOND_ASSIGN(features::FeatureStore * store, OnlineFeatureStore(service));
    thread_local OnlineScratch scratch;
    RESPOND_IF_ERROR(ParseOnlineRequest(req.body, scratch));
    RESPOND_IF_ERROR(store->online()->Read(scratch.refs, scratch.entities, NowMs(), &scratch.result));
    Response response;
    WriteOnlineResponse(scratch, &scratch.out);
    response.body.assign(scratch.out);
    return response;
  });
}

}  // namespace plinth::http

// Routes: batch jobs, batch inference run inside the server (docs/api.md, Batch jobs).
#include "http/api.h"
#include "http/api_helpers.h"
#include "serving/batch_jobs.h"

namespace plinth::http {

using auth::Role;
using nlohmann::json;

void AddBatchJobRoutes(Router& router, service::PlinthService& service) {
  serving::BatchJobs& jobs = service.batch_jobs();

  router.Add("POST", "/api/v1/batch-jobs", Role::kScientist, [&jobs](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    serving::BatchJobRequest request;
    RESPOND_ASSIGN(request.endpoint, RequireString(body, "endpoint"));
    RESPOND_ASSIGN(request.input_sha256, RequireString(body, "input"));
    RESPOND_ASSIGN(auto format, OptionalString(body, "format"));
    if (format) {
      RESPOND_ASSIGN(request.format, RowFormatFromName(*format));
    }
    auto strict = body.find("strict");
    if (strict != body.end() && !strict->is_null()) {
      if (!strict->is_boolean()) return ErrorResponse(InvalidArgument("'strict' must be true or false"));
      request.strict = strict->get<bool>();
    }
    RESPOND_ASSIGN(serving::BatchJob job, jobs.Submit(req.principal, request));
    return JsonResponse(201, serving::BatchJobToJson(job));
  });
  router.Add("GET", "/api/v1/batch-jobs", Role::kViewer, [&jobs](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto fetched, jobs.List(page));
    json items = json::array();
    for (size_t i = 0; i < fetched.size() && i < static_cast<size_t>(page.limit); ++i) {
      items.push_back(serving::BatchJobToJson(fetched[i]));
    }
    return JsonResponse(200, {{"items", items}, {"next_page_token", NextPageToken(page, fetched.size())}});
  });
  router.Add("GET", "/api/v1/batch-jobs/{id}", Role::kViewer, [&jobs](Request& req) {
    RESPOND_ASSIGN(serving::BatchJob job, jobs.Get(req.Param("id")));
    return JsonResponse(200, serving::BatchJobToJson(job));
  });
  router.Add("GET", "/api/v1/batch-jobs/{id}/output", Role::kViewer, [&jobs](Request& req) {
    RESPOND_ASSIGN(std::string csv, jobs.Output(req.Param("id")));
    Response r;
    r.content_type = "text/csv";
    r.body = std::move(csv);
    return r;
  });
}

}  // namespace plinth::http

// Routes: progressive canary rollouts of serving endpoints (docs/api.md, docs/rollouts.md).
#include "http/api.h"
#include "http/api_helpers.h"
#include "serving/rollout.h"

namespace plinth::http {

using auth::Role;
using nlohmann::json;

void AddRolloutRoutes(Router& router, service::PlinthService& service) {
  serving::RolloutController& rollouts = service.rollouts();

  router.Add("POST", "/api/v1/endpoints/{name}/rollouts", Role::kApprover, [&rollouts](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    RESPOND_ASSIGN(serving::RolloutRequest request, serving::RolloutRequestFromJson(body));
    RESPOND_ASSIGN(json rollout, rollouts.Start(req.principal, req.Param("name"), request));
    return JsonResponse(201, rollout);
  });
  router.Add("GET", "/api/v1/endpoints/{name}/rollouts", Role::kViewer, [&rollouts](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto fetched, rollouts.List(req.Param("name"), page));
    json items = json::array();
    for (size_t i = 0; i < fetched.size() && i < static_cast<size_t>(page.limit); ++i) {
      items.push_back(std::move(fetched[i]));
    }
    return JsonResponse(200, {{"items", items},
                              {"next_page_token", NextPageToken(page, fetched.size())}});
  });
  router.Add("GET", "/api/v1/endpoints/{name}/rollouts/{id}", Role::kViewer, [&rollouts](Request& req) {
    RESPOND_ASSIGN(json rollout, rollouts.Get(req.Param("name"), req.Param("id")));
    return JsonResponse(200, rollout);
  });
  router.Add("POST", "/api/v1/endpoints/{name}/rollouts/{id}/abort", Role::kApprover,
             [&rollouts](Request& req) {
               RESPOND_ASSIGN(json rollout,
                              rollouts.Abort(req.principal, req.Param("name"), req.Param("id")));
               return JsonResponse(200, rollout);
             });
}

}  // namespace plinth::http

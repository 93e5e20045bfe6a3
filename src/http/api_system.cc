// Routes: health, identity, tokens, audit.
#include "http/api.h"
#include "http/api_helpers.h"

namespace plinth::http {

using auth::Role;
using nlohmann::json;

void AddSystemRoutes(Router& router, service::PlinthService& service) {
  router.Add("GET", "/v2/health/live", std::nullopt,
             [](Request&) { return JsonResponse(200, {{"live", true}}); });
  router.Add("GET", "/v2/health/ready", std::nullopt,
             [](Request&) { return JsonResponse(200, {{"ready", true}}); });

  router.Add("GET", "/api/v1/whoami", Role::kViewer, [](Request& req) {
    return JsonResponse(200, {{"token_id", req.principal.token_id},
                              {"name", req.principal.name},
                              {"role", auth::RoleName(req.principal.role)}});
  });

  router.Add("POST", "/api/v1/tokens", Role::kAdmin, [&service](Request& req) {
    RESPOND_ASSIGN(Json body, ParseJsonObject(req.body));
    RESPOND_ASSIGN(std::string name, RequireString(body, "name"));
    RESPOND_ASSIGN(std::string role_name, RequireString(body, "role"));
    auto role = auth::ParseRole(role_name);
    if (!role) {
      return ErrorResponse(InvalidArgument("'role' must be viewer, scientist, approver or admin, not '" +
                                           role_name.substr(0, 50) + "'"));
    }
    RESPOND_ASSIGN(auth::CreatedToken created, service.tokens().Create(req.principal, name, *role));
    json out = ToJson(created.info);
    out["token"] = created.secret;
    return JsonResponse(201, out);
  });
  router.Add("GET", "/api/v1/tokens", Role::kAdmin, [&service](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    RESPOND_ASSIGN(auto tokens, service.tokens().List(page.offset, page.limit + 1));
    return ListResponse(tokens, page);
  });
  router.Add("DELETE", "/api/v1/tokens/{id}", Role::kAdmin, [&service](Request& req) {
    RESPOND_IF_ERROR(service.tokens().Revoke(req.principal, req.Param("id")));
    return NoContent();
  });

  router.Add("GET", "/api/v1/audit", Role::kViewer, [&service](Request& req) {
    RESPOND_ASSIGN(PageRequest page, PageOf(req));
    int64_t after_seq = 0;
    if (auto after = req.Query("after_seq")) {
      try {
        after_seq = std::stoll(std::string(*after));
      } catch (...) {
        return ErrorResponse(InvalidArgument("after_seq must be an integer"));
      }
    }
    // Paging by seq: the page token is the last seq seen, which stays right as events append.
    if (page.offset > 0) after_seq = std::max(after_seq, page.offset);
    RESPOND_ASSIGN(auto events, service.audit().List(after_seq, page.limit + 1));
    json items = json::array();
    for (size_t i = 0; i < events.size() && i < static_cast<size_t>(page.limit); ++i) {
      items.push_back(ToJson(events[i]));
    }
    std::string next = events.size() > static_cast<size_t>(page.limit)
                           ? std::to_string(events[page.limit - 1].seq)
                           : "";
    return JsonResponse(200, {{"items", items}, {"next_page_token", next}});
  });
  router.Add("GET", "/api/v1/audit/verify", Role::kViewer, [&service](Request& req) {
    std::optional<auth::AuditHead> head;
    if (auto text = req.Query("head")) {
      head = auth::ParseAuditHead(std::string(*text));
      if (!head) return ErrorResponse(InvalidArgument("head must be SEQ:HASH (64 hex digits)"));
    }
    RESPOND_ASSIGN(auth::AuditVerification v, service.audit().Verify(head));
    return JsonResponse(200, {{"ok", v.ok},
                              {"events", v.events},
                              {"first_bad_seq", v.first_bad_seq ? json(*v.first_bad_seq) : json(nullptr)},
                              {"message", v.message},
                              {"head", std::to_string(v.head_seq) + ":" + v.head_hash}});
  });
}

}  // namespace plinth::http

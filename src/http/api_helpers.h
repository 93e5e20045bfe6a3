#pragma once
// Shared pieces of the route handlers. Include from api_*.cc only.

#include <nlohmann/json.hpp>

#include "common/json_util.h"
#include "common/paging.h"
#include "http/json_codec.h"
#include "http/request.h"
#include "http/responses.h"

namespace plinth::http {

// Returns the error response from a failed Status/Result expression.
#define RESPOND_IF_ERROR(expr)                           \
  do {                                                   \
    ::plinth::Status _st = (expr);                       \
    if (!_st.ok()) return ::plinth::http::ErrorResponse(_st); \
  } while (0)

#define RESPOND_ASSIGN_IMPL(tmp, lhs, expr)                        \
  auto tmp = (expr);                                               \
  if (!tmp.ok()) return ::plinth::http::ErrorResponse(tmp.status()); \
  lhs = std::move(tmp).value()

// RESPOND_ASSIGN(auto x, Compute()); declares x or returns the error response.
#define RESPOND_ASSIGN(lhs, expr) RESPOND_ASSIGN_IMPL(PLINTH_CONCAT(_res_, __LINE__), lhs, expr)

inline Result<PageRequest> PageOf(const Request& req) {
  return ParsePageRequest(req.Query("limit"), req.Query("page_token"));
}

// {"items": [...], "next_page_token"} from up to limit + 1 fetched objects.
template <typename T>
Response ListResponse(const std::vector<T>& fetched, const PageRequest& page) {
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = 0; i < fetched.size() && i < static_cast<size_t>(page.limit); ++i) {
    items.push_back(ToJson(fetched[i]));
  }
  return JsonResponse(200, {{"items", std::move(items)},
                            {"next_page_token", NextPageToken(page, fetched.size())}});
}

// An integer path parameter such as a version number.
inline Result<int64_t> IntParam(const Request& req, const std::string& name) {
  const std::string& text = req.Param(name);
  int64_t v = 0;
  size_t used = 0;
  try {
    v = std::stoll(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v < 1) {
    return InvalidArgument(name + " '" + text.substr(0, 50) + "' must be a positive integer");
  }
  return v;
}

}  // namespace plinth::http

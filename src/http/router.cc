#include "http/router.h"

#include <exception>

#include <nlohmann/json.hpp>

#include "http/responses.h"

namespace plinth::http {

namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 1;  // paths start with '/'
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

void Router::Add(std::string method, std::string pattern, std::optional<auth::Role> least_role,
                 Handler handler) {
  Route route{std::move(method), {}, least_role, std::move(handler)};
  for (auto part : SplitPath(pattern)) route.segments.emplace_back(part);
  routes_.push_back(std::move(route));
}

bool Router::Match(const Route& route, const std::vector<std::string_view>& parts,
                   std::map<std::string, std::string>& params) {
  params.clear();
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const std::string& seg = route.segments[i];
    bool is_param = seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
    if (is_param && seg.size() > 5 && seg.compare(seg.size() - 4, 4, "...}") == 0) {
      if (i >= parts.size()) return false;
      std::string rest;
      for (size_t j = i; j < parts.size(); ++j) {
        if (j > i) rest += '/';
        rest += PercentDecode(parts[j], false);
      }
      params[seg.substr(1, seg.size() - 5)] = std::move(rest);
      return true;
    }
    if (i >= parts.size()) return false;
    if (is_param) {
      if (parts[i].empty()) return false;
      params[seg.substr(1, seg.size() - 2)] = PercentDecode(parts[i], false);
    } else if (seg != parts[i]) {
      return false;
    }
  }
  return parts.size() == route.segments.size();
}

Status Router::Authorize(Request& request, auth::Role least_role) const {
  std::string_view header = request.authorization;
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer) {
    return Unauthenticated("this endpoint needs 'Authorization: Bearer <token>'");
  }
  ASSIGN_OR_RETURN(request.principal, authenticator_(std::string(header.substr(kBearer.size()))));
  if (!auth::RoleAllows(request.principal.role, least_role)) {
    return PermissionDenied("token '" + request.principal.name + "' has role " +
                            auth::RoleName(request.principal.role) + "; this needs " +
                            auth::RoleName(least_role) + " or higher");
  }
  return Status::Ok();
}

Response Router::Dispatch(Request& request) const {
  std::vector<std::string_view> parts = SplitPath(request.path);
  bool path_known = false;
  for (const Route& route : routes_) {
    if (!Match(route, parts, request.path_params)) continue;
    path_known = true;
    if (route.method != request.method) continue;
    if (route.least_role) {
      Status st = Authorize(request, *route.least_role);
      if (!st.ok()) return ErrorResponse(st);
    }
    try {
      return route.handler(request);
    } catch (const std::exception& e) {
      return ErrorResponse(Internal(std::string("unexpected error: ") + e.what()));
    }
  }
  if (path_known) {
    // 405 has no StatusCode of its own: it is a routing answer, not a service error.
    return JsonResponse(405, {{"error",
                               {{"code", "method_not_allowed"},
                                {"message", request.method + " is not allowed on this path"}}}});
  }
  return ErrorResponse(NotFound("no endpoint " + request.method + " " + request.path.substr(0, 200)));
}

}  // namespace plinth::http

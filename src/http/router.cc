#include "http/router.h"

#include <exception>

#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "http/responses.h"

namespace plinth::http {

namespace {

void SplitPath(std::string_view path, std::vector<std::string_view>& parts) {
  parts.clear();
  size_t start = 1;  // paths start with '/'
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  SplitPath(path, parts);
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
  for (auto part : SplitPath(pattern)) {
    Segment segment;
    bool is_param = part.size() > 2 && part.front() == '{' && part.back() == '}';
    segment.is_rest = is_param && part.size() > 5 && part.substr(part.size() - 4) == "...}";
    segment.is_param = is_param;
    segment.text = is_param ? part.substr(1, part.size() - (segment.is_rest ? 5 : 2)) : part;
    route.segments.push_back(std::move(segment));
  }
  routes_.push_back(std::move(route));
}

bool Router::Match(const Route& route, const std::vector<std::string_view>& parts,
                   std::map<std::string, std::string>& params) {
  const std::vector<Segment>& segments = route.segments;
  bool has_rest = !segments.empty() && segments.back().is_rest;
  if (has_rest ? parts.size() < segments.size() : parts.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& seg = segments[i];
    if (seg.is_rest) break;
    if (seg.is_param ? parts[i].empty() : seg.text != parts[i]) return false;
  }
  params.clear();
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& seg = segments[i];
    if (!seg.is_param) continue;
    if (!seg.is_rest) {
      params[seg.text] = PercentDecode(parts[i], false);
      continue;
    }
    std::string rest;
    for (size_t j = i; j < parts.size(); ++j) {
      if (j > i) rest += '/';
      rest += PercentDecode(parts[j], false);
    }
    params[seg.text] = std::move(rest);
  }
  return true;
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
  thread_local std::vector<std::string_view> parts;
  SplitPath(request.path, parts);
  bool path_known = false;
  for (const Route& route : routes_) {
    if (!Match(route, parts, request.path_params)) continue;
    path_known = true;
    if (route.method != request.method) continue;
    if (route.least_role) {
      Status st = Authorize(request, *route.least_role);
      if (!st.ok()) return ErrorResponse(st);
    }
    // Path parameters become names, stored rows and audit events: text, so UTF-8.
    for (const auto& [name, value] : request.path_params) {
      if (!IsValidUtf8(value)) {
        return ErrorResponse(InvalidArgument("path parameter '" + name +
                                             "' is not UTF-8 once percent-decoded"));
      }
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

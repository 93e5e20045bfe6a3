#pragma once
// Router: maps (method, path pattern) to a handler and enforces each route's least role.
//
// Patterns are '/'-separated: literal segments, `{name}` (one segment) and, last, `{name...}`
// (the rest of the path, which may contain '/'). Path parameters are percent-decoded before the
// handler sees them. A path that matches no pattern is 404; a path whose patterns take other
// methods is 405. Routes with a least role authenticate the bearer token first (401), then check
// the role (403). Handlers may throw nothing; a Status error becomes the API's JSON error.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/roles.h"
#include "common/status.h"
#include "http/request.h"

namespace plinth::http {

using Handler = std::function<Response(Request&)>;
// Resolves a bearer secret to its principal (Unauthenticated if unknown).
using Authenticator = std::function<Result<auth::Principal>(const std::string& secret)>;

class Router {
 public:
  explicit Router(Authenticator authenticator) : authenticator_(std::move(authenticator)) {}

  // `least_role` nullopt: open to all (health).
  void Add(std::string method, std::string pattern, std::optional<auth::Role> least_role,
           Handler handler);

  Response Dispatch(Request& request) const;

 private:
  struct Segment {
    std::string text;  // a literal, or the parameter's name
    bool is_param = false;
    bool is_rest = false;  // {name...}: the rest of the path
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    std::optional<auth::Role> least_role;
    Handler handler;
  };
  // Compares without allocating; fills `params` only when the route matches.
  static bool Match(const Route& route, const std::vector<std::string_view>& parts,
                    std::map<std::string, std::string>& params);
  Status Authorize(Request& request, auth::Role least_role) const;

  Authenticator authenticator_;
  std::vector<Route> routes_;
};

// Percent-decoding of one path segment or query value ('+' stays '+' in paths).
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace plinth::http

#pragma once
// The HTTP front end's view of one request and its response, independent of Beast so that
// handlers stay plain functions.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/roles.h"

namespace plinth::http {

struct Request {
  std::string method;                              // "GET", "POST", ...
  std::string path;                                // without the query string, still encoded
  std::map<std::string, std::string> query;        // decoded
  std::map<std::string, std::string> path_params;  // decoded, filled by the router
  std::string content_type;
  std::string_view body;
  std::string authorization;                       // the Authorization header
  std::string request_id;
  std::string routing_key;                         // the X-Routing-Key header (A/B stickiness)
  std::string accept;                              // the Accept header
  std::string feature_refs;                        // the X-Feature-Refs header (historical features)
  auth::Principal principal;                       // set by the router for authenticated routes

  std::optional<std::string_view> Query(const std::string& key) const {
    auto it = query.find(key);
    if (it == query.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  const std::string& Param(const std::string& key) const { return path_params.at(key); }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

}  // namespace plinth::http

#pragma once
// plinth's HTTP API as a client command sees it: JSON in and out, the bearer token on every
// request, non-2xx answers turned into server errors (see errors.h), and list paging.
//
// Not thread-safe (it owns one HttpClient).

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/http_client.h"
#include "common/status.h"

namespace plinth::cli {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes everything but A-Z a-z 0-9 - . _ ~ (for one path segment or query value).
std::string EncodeSegment(std::string_view text);

// EncodeSegment for each '/'-separated part, keeping the slashes (artifact paths).
std::string EncodePath(std::string_view path);

// `path` followed by "?k=v&..." with encoded values; params with empty values are skipped.
std::string WithQuery(std::string path, const QueryParams& params);

// The largest page the API serves.
inline constexpr int64_t kMaxPageSize = 1000;

// Fetches one page: given the page token ("" for the first) and a page size, returns the list
// object {"items": [...], "next_page_token": "..."}.
using PageFetcher =
    std::function<Result<nlohmann::json>(const std::string& page_token, int64_t page_size)>;

// Follows next_page_token until it is empty or `limit` items were collected (limit <= 0: all).
// Returns the items as one JSON array. An answer that is a bare array is taken as the last page.
Result<nlohmann::json> CollectPages(const PageFetcher& fetch, int64_t limit);

class ApiClient {
 public:
  // `token` may be empty: no Authorization header is sent.
  ApiClient(std::unique_ptr<HttpClient> http, std::string token);

  // Sends `body` as JSON unless it is null, and returns the answer's JSON (null when the answer
  // has no body, as for 204).
  Result<nlohmann::json> Call(std::string_view method, std::string_view target,
                              const nlohmann::json& body = nullptr);

  // Sends raw bytes (with Content-Type `content_type` when non-empty) and returns the answer's
  // JSON (null when it has no body).
  Result<nlohmann::json> SendBytes(std::string_view method, std::string_view target,
                                   std::string_view bytes,
                                   std::string_view content_type = "application/octet-stream");

  // GETs raw bytes.
  Result<std::string> Download(std::string_view target);

  // One request with raw bytes both ways, for answers whose headers matter (training sets come
  // back as CSV with X-Rows, X-Dataset). `accept` is sent as the Accept header when non-empty.
  // Non-2xx answers are server errors as for Call.
  Result<HttpResponse> Exchange(std::string_view method, std::string_view target,
                                std::string_view bytes, std::string_view content_type,
                                std::string_view accept);

  // GETs every page of a list endpoint (`path` plus `query`, to which limit and page_token are
  // added); see CollectPages.
  Result<nlohmann::json> ListAll(const std::string& path, QueryParams query, int64_t limit);

  // The server's base URL, as shown to users.
  const std::string& base_url() const;

 private:
  // One request; non-2xx answers become server errors.
  Result<HttpResponse> Send(std::string_view method, std::string_view target, std::string_view body,
                            std::string_view content_type, std::string_view accept = "");
  Status ErrorFromResponse(const HttpResponse& response) const;

  std::unique_ptr<HttpClient> http_;
  std::string token_;
};

}  // namespace plinth::cli

#pragma once
// A small synchronous HTTP/1.1 client for one plinth server (http:// only).
//
// One HttpClient owns at most one TCP connection and reuses it across requests (keep-alive); a
// command makes all its calls through one client. When the server has closed a reused
// connection before answering, the request is sent once more on a fresh connection. Every
// connect, write and read is bounded by the timeout given at creation.
//
// Not thread-safe: one client per thread.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace plinth::cli {

// The parts of an http:// URL. `base` is the URL as it should be shown to users (no trailing /).
struct HttpUrl {
  std::string host;         // without brackets for IPv6 literals
  std::string port = "80";  // decimal
  std::string path_prefix;  // "" or "/prefix" (no trailing slash), prepended to every target
  std::string base;
};

// Parses "http://host[:port][/prefix]". Anything else (https, no host, bad port, query) is
// InvalidArgument naming the URL.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // field names in lower case
};

class HttpClient {
 public:
  // Does not connect; the first Request does. Fails only if `url` does not parse.
  static Result<std::unique_ptr<HttpClient>> Create(std::string_view url,
                                                    std::chrono::seconds timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole answer, whatever its status. `target` is the path and
  // query ("/api/v1/runs?limit=5"); the URL's prefix is put before it. `content_type` is sent
  // when non-empty. `headers` are extra request fields (e.g. Authorization).
  //
  // Errors (never an HTTP status): Unavailable "cannot reach <url>: <why>" when the connection
  // cannot be made, breaks, or times out.
  Result<HttpResponse> Request(std::string_view method, std::string_view target,
                               std::string_view body, std::string_view content_type,
                               const std::map<std::string, std::string>& headers = {});

  const HttpUrl& url() const;

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace plinth::cli

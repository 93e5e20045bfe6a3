#include "cli/api_client.h"

#include <algorithm>
#include <map>

#include "cli/errors.h"

namespace plinth::cli {

namespace {

using Json = nlohmann::json;

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// The API's error code for an HTTP status, for answers that carry no error object.
std::string CodeForHttpStatus(int status) {
  static const std::map<int, std::string> kCodes = {
      {400, "invalid_argument"},
      {401, "unauthenticated"},
      {403, "permission_denied"},
      {404, "not_found"},
      {405, "method_not_allowed"},
      {409, "conflict"},
      {413, "payload_too_large"},
      {415, "unsupported_media_type"},
      {422, "failed_precondition"},
      {429, "resource_exhausted"},
      {500, "internal"},
      {503, "unavailable"},
  };
  auto it = kCodes.find(status);
  return it != kCodes.end() ? it->second : "http_" + std::to_string(status);
}

std::string Snippet(const std::string& body) {
  std::string line = body.substr(0, body.find('\n'));
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace

std::string EncodeSegment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (Unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string EncodePath(std::string_view path) {
  std::string out;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    out += EncodeSegment(path.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

std::string WithQuery(std::string path, const QueryParams& params) {
  char sep = path.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [key, value] : params) {
    if (value.empty()) continue;
    path += sep;
    path += EncodeSegment(key) + "=" + EncodeSegment(value);
    sep = '&';
  }
  return path;
}

Result<Json> CollectPages(const PageFetcher& fetch, int64_t limit) {
  Json items = Json::array();
  std::string token;
  while (true) {
    int64_t remaining = limit > 0 ? limit - static_cast<int64_t>(items.size()) : kMaxPageSize;
    auto page = fetch(token, std::min(remaining, kMaxPageSize));
    if (!page.ok()) return page.status();
    const Json& body = *page;
    if (body.is_array()) {
      for (const Json& item : body) items.push_back(item);
      break;
    }
    if (!body.is_object() || !body.contains("items") || !body["items"].is_array()) {
      return Internal("the server's list answer has no \"items\" array");
    }
    for (const Json& item : body["items"]) items.push_back(item);
    std::string next = body.value("next_page_token", "");
    if (next.empty() || (limit > 0 && static_cast<int64_t>(items.size()) >= limit)) break;
    if (next == token) return Internal("the server returned the same page token twice");
    token = std::move(next);
  }
  if (limit > 0 && static_cast<int64_t>(items.size()) > limit) {
    items.erase(items.begin() + limit, items.end());
  }
  return items;
}

ApiClient::ApiClient(std::unique_ptr<HttpClient> http, std::string token)
    : http_(std::move(http)), token_(std::move(token)) {}

const std::string& ApiClient::base_url() const { return http_->url().base; }

Status ApiClient::ErrorFromResponse(const HttpResponse& response) const {
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  std::string code;
  std::string message;
  std::string error_json;
  if (body.is_object() && body.contains("error") && body["error"].is_object() &&
      body["error"].value("code", Json()).is_string()) {
    const Json& error = body["error"];
    code = error["code"].get<std::string>();
    message = error.value("message", Json()).is_string()
                  ? error["message"].get<std::string>()
                  : "HTTP " + std::to_string(response.status);
    error_json = error.dump();
  } else {
    code = CodeForHttpStatus(response.status);
    message = "HTTP " + std::to_string(response.status);
    if (!response.body.empty()) message += ": " + Snippet(response.body);
    error_json = Json{{"code", code}, {"message", message}}.dump();
  }
  if (response.status == 401 && token_.empty()) {
    message += " (no token: pass --token, set PLINTH_TOKEN, or use --data-dir of the server)";
  }
  return ServerError(code, message, std::move(error_json));
}

Result<HttpResponse> ApiClient::Send(std::string_view method, std::string_view target,
                                     std::string_view body, std::string_view content_type,
                                     std::string_view accept) {
  std::map<std::string, std::string> headers;
  if (!token_.empty()) headers["Authorization"] = "Bearer " + token_;
  if (!accept.empty()) headers["Accept"] = std::string(accept);
  auto response = http_->Request(method, target, body, content_type, headers);
  if (!response.ok()) return response.status();
  if (response->status < 200 || response->status >= 300) return ErrorFromResponse(*response);
  return response;
}

Result<Json> ApiClient::Call(std::string_view method, std::string_view target, const Json& body) {
  if (body.is_null()) return SendBytes(method, target, "", "");
  return SendBytes(method, target, body.dump(), "application/json");
}

Result<Json> ApiClient::SendBytes(std::string_view method, std::string_view target,
                                  std::string_view bytes, std::string_view content_type) {
  auto response = Send(method, target, bytes, content_type);
  if (!response.ok()) return response.status();
  if (response->body.empty()) return Json();
  Json parsed = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Internal("the server's answer to " + std::string(method) + " " + std::string(target) +
                    " is not JSON");
  }
  return parsed;
}

Result<std::string> ApiClient::Download(std::string_view target) {
  auto response = Send("GET", target, "", "");
  if (!response.ok()) return response.status();
  return std::move(response->body);
}

Result<HttpResponse> ApiClient::Exchange(std::string_view method, std::string_view target,
                                         std::string_view bytes, std::string_view content_type,
                                         std::string_view accept) {
  return Send(method, target, bytes, content_type, accept);
}

Result<Json> ApiClient::ListAll(const std::string& path, QueryParams query, int64_t limit) {
  return CollectPages(
      [&](const std::string& page_token, int64_t page_size) {
        QueryParams params = query;
        params.emplace_back("limit", std::to_string(page_size));
        params.emplace_back("page_token", page_token);
        return Call("GET", WithQuery(path, params));
      },
      limit);
}

}  // namespace plinth::cli

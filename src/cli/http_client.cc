#include "cli/http_client.h"

// Boost 1.74 Asio under g++ 12 -std=c++20 needs <utility> before any Asio or Beast header.
// clang-format off
#include <utility>
// clang-format on

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>

namespace plinth::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Beast 1.74 speaks boost::string_view.
beast::string_view Bsv(std::string_view s) { return beast::string_view(s.data(), s.size()); }
std::string_view Ssv(beast::string_view s) { return std::string_view(s.data(), s.size()); }

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("bad server URL '" + std::string(url) + "': " + std::string(why));
  };
  constexpr std::string_view kScheme = "http://";
  std::string scheme_part = Lower(url.substr(0, kScheme.size()));
  if (Lower(url.substr(0, 8)) == "https://") return bad("https is not supported, use http://");
  if (scheme_part != kScheme) return bad("it must start with http://");
  std::string_view rest = url.substr(kScheme.size());
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path =
      authority.size() < rest.size() ? rest.substr(authority.size()) : std::string_view();
  if (path.find_first_of("?#") != std::string_view::npos) {
    return bad("a query or fragment is not allowed");
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (authority.find('@') != std::string_view::npos) return bad("user info is not supported");

  HttpUrl out;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed '[' in the host");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after the host");
      port = after.substr(1);
      if (port.empty()) return bad("empty port");
    }
  } else {
    size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("empty port");
    }
  }
  if (out.host.empty()) return bad("no host");
  if (!port.empty()) {
    if (!AllDigits(port) || port.size() > 5 || std::stoi(std::string(port)) < 1 ||
        std::stoi(std::string(port)) > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
    out.port = std::string(port);
  }
  out.path_prefix = std::string(path);
  out.base = "http://" + std::string(authority) + out.path_prefix;
  return out;
}

struct HttpClient::Impl {
  HttpUrl url;
  std::chrono::seconds timeout;
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  int requests_on_connection = 0;

  // All I/O is asynchronous so that tcp_stream's expiry bounds it; this runs it to completion.
  void RunIo() {
    ioc.restart();
    ioc.run();
  }

  Status Unreachable(const beast::error_code& ec) const {
    std::string why = ec == beast::error::timeout
                          ? "timed out after " + std::to_string(timeout.count()) + "s"
                          : ec.message();
    return Unavailable("cannot reach " + url.base + ": " + why);
  }

  void Close() {
    if (stream) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream->close();
      stream.reset();
    }
    buffer.clear();
    requests_on_connection = 0;
  }

  beast::error_code Connect() {
    Close();
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) return ec;
    stream.emplace(ioc);
    stream->expires_after(timeout);
    stream->async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    RunIo();
    if (ec) {
      stream.reset();
      return ec;
    }
    beast::error_code ignored;
    stream->socket().set_option(tcp::no_delay(true), ignored);
    return ec;
  }

  // One request/answer on the open connection. *got_nothing tells whether no byte of an answer
  // arrived, the case where retrying on a fresh connection is safe after a keep-alive close.
  beast::error_code Exchange(http::request<http::string_body>& req, HttpResponse* out,
                             bool* got_nothing) {
    *got_nothing = true;
    beast::error_code ec;
    stream->expires_after(timeout);
    http::async_write(*stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
    RunIo();
    if (ec) return ec;
    http::response_parser<http::string_body> parser;
    // Downloads of model files may be large. Not boost::none: Beast 1.74 compares a
    // Content-Length against the optional itself, and every length is greater than none.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    stream->expires_after(timeout);
    http::async_read(*stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    RunIo();
    *got_nothing = !parser.got_some();
    if (ec) return ec;
    auto& res = parser.get();
    out->status = static_cast<int>(res.result_int());
    out->headers.clear();
    for (const auto& field : res) {
      out->headers[Lower(Ssv(field.name_string()))] = std::string(field.value());
    }
    bool keep_alive = res.keep_alive();
    out->body = std::move(res.body());
    if (!keep_alive) Close();
    return ec;
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() {
  if (impl_) impl_->Close();
}

Result<std::unique_ptr<HttpClient>> HttpClient::Create(std::string_view url,
                                                       std::chrono::seconds timeout) {
  auto parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return parsed.status();
  auto impl = std::make_unique<Impl>();
  impl->url = std::move(parsed).value();
  impl->timeout = timeout;
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

const HttpUrl& HttpClient::url() const { return impl_->url; }

Result<HttpResponse> HttpClient::Request(std::string_view method, std::string_view target,
                                         std::string_view body, std::string_view content_type,
                                         const std::map<std::string, std::string>& headers) {
  Impl& s = *impl_;
  http::verb verb = http::string_to_verb(Bsv(method));
  if (verb == http::verb::unknown) {
    return InvalidArgument("unknown HTTP method '" + std::string(method) + "'");
  }
  http::request<http::string_body> req(verb, s.url.path_prefix + std::string(target), 11);
  req.set(http::field::host, s.url.host.find(':') != std::string::npos
                                 ? "[" + s.url.host + "]:" + s.url.port
                                 : s.url.host + ":" + s.url.port);
  req.set(http::field::user_agent, "plinth-cli");
  req.keep_alive(true);
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!content_type.empty()) req.set(http::field::content_type, Bsv(content_type));
  req.body() = std::string(body);
  req.prepare_payload();

  bool reused = s.stream.has_value() && s.requests_on_connection > 0;
  if (!s.stream) {
    beast::error_code ec = s.Connect();
    if (ec) return s.Unreachable(ec);
  }
  HttpResponse response;
  bool got_nothing = true;
  beast::error_code ec = s.Exchange(req, &response, &got_nothing);
  if (ec && reused && got_nothing && ec != beast::error::timeout) {
    // The server closed an idle keep-alive connection; it never saw this request.
    ec = s.Connect();
    if (ec) return s.Unreachable(ec);
    ec = s.Exchange(req, &response, &got_nothing);
  }
  if (ec) {
    s.Close();
    return s.Unreachable(ec);
  }
  if (s.stream) ++s.requests_on_connection;
  return response;
}

}  // namespace plinth::cli

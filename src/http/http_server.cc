// Boost 1.74's Asio needs <utility> before it under g++ 12 with C++20 (std::exchange).
#include <utility>

#include "http/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "http/responses.h"

namespace plinth::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kHeaderLimit = 64 * 1024;

void ParseQuery(std::string_view query, std::map<std::string, std::string>& out) {
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true);
    if (!key.empty()) out[std::move(key)] = std::move(value);
    start = end + 1;
  }
}

// One connection: read a request, dispatch, write the response, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Router& router, const ServerOptions& options)
      : stream_(std::move(socket)), router_(router), options_(options) {}

  void Start() { ReadRequest(std::chrono::seconds(options_.request_timeout_seconds)); }

 private:
  void ReadRequest(std::chrono::seconds timeout) {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(options_.max_body_bytes);
    stream_.expires_after(timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == bhttp::error::body_limit) {
      return Reject(PayloadTooLarge("the request body is larger than the limit of " +
                                    std::to_string(options_.max_body_bytes) + " bytes"));
    }
    if (ec == bhttp::error::header_limit) {
      return Reject(InvalidArgument("the request headers are larger than 64 KiB"));
    }
    if (ec) return Reject(InvalidArgument("malformed HTTP request: " + ec.message()));
    Handle(parser_->release());
  }

  void Handle(bhttp::request<bhttp::string_body> req) {
    Request request;
    request.method = std::string(req.method_string());
    auto target_bsv = req.target();
    std::string_view target(target_bsv.data(), target_bsv.size());
    size_t q = target.find('?');
    request.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) ParseQuery(target.substr(q + 1), request.query);
    request.content_type = std::string(req[bhttp::field::content_type]);
    request.authorization = std::string(req[bhttp::field::authorization]);
    auto client_bsv = req["X-Request-Id"];
    std::string_view client_id(client_bsv.data(), client_bsv.size());
    request.request_id = (!client_id.empty() && client_id.size() <= 128) ? std::string(client_id)
                                                                         : NewId();
    auto routing_bsv = req["X-Routing-Key"];
    request.routing_key.assign(routing_bsv.data(), routing_bsv.size());
    auto accept_bsv = req[bhttp::field::accept];
    request.accept.assign(accept_bsv.data(), accept_bsv.size());
    auto refs_bsv = req["X-Feature-Refs"];
    request.feature_refs.assign(refs_bsv.data(), refs_bsv.size());
    request.body = req.body();
    Response response;
    if (request.path.empty() || request.path.front() != '/') {
      response = ErrorResponse(InvalidArgument("the request target must be an absolute path"));
    } else {
      response = router_.Dispatch(request);
    }
    Write(std::move(response), request.request_id, req.version(), req.keep_alive());
  }

  void Write(Response response, const std::string& request_id, unsigned version, bool keep_alive) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), version);
    res->set(bhttp::field::server, "plinth");
    res->set("X-Request-Id", request_id);
    if (!response.content_type.empty()) res->set(bhttp::field::content_type, response.content_type);
    for (auto& [k, v] : response.headers) res->set(k, v);
    res->body() = std::move(response.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(options_.request_timeout_seconds));
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                         if (ec || !res->keep_alive()) return self->Close();
                         self->ReadRequest(std::chrono::seconds(self->options_.idle_timeout_seconds));
                       });
  }

  // Answers an unreadable request, then closes. The rest of what the client sends is drained for
  // a short while so that it can read the answer instead of a connection reset.
  void Reject(const Status& status) {
    Response response = ErrorResponse(status);
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), 11);
    res->set(bhttp::field::server, "plinth");
    res->set(bhttp::field::content_type, response.content_type);
    res->set(bhttp::field::connection, "close");
    res->body() = std::move(response.body);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(5));
    bhttp::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec) return self->Close();
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->Drain();
    });
  }

  void Drain() {
    drain_buffer_.resize(64 * 1024);
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::vector<char> drain_buffer_;
  const Router& router_;
  const ServerOptions& options_;
};

}  // namespace

// One io_context per thread, each run by its own thread; the acceptor lives on the first and
// deals accepted connections out round-robin. A connection stays on one thread for its life, so
// no completion is handed between threads (a shared io_context spent most of its time switching
// threads), and a handler that blocks (a durable write waiting for its group commit) holds up
// only the connections of its own thread.
struct HttpServer::Impl {
  ServerOptions options;
  const Router* router = nullptr;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  size_t next_context = 0;  // used only by the accept handler, which runs on contexts[0]
  std::atomic<bool> stopped{false};

  explicit Impl(int n) {
    for (int i = 0; i < std::max(1, n); ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      work.push_back(asio::make_work_guard(*contexts.back()));
    }
    acceptor = std::make_unique<tcp::acceptor>(*contexts[0]);
  }

  void Accept() {
    asio::io_context& target = *contexts[next_context];
    next_context = (next_context + 1) % contexts.size();
    acceptor->async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor->is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(socket), *router, options)->Start();
      Accept();
    });
  }
};

Result<std::unique_ptr<HttpServer>> HttpServer::Bind(const ServerOptions& options,
                                                     const Router& router) {
  auto impl = std::make_unique<Impl>(options.threads);
  impl->options = options;
  impl->router = &router;
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) return InvalidArgument("'" + options.host + "' is not an IP address");
  tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (!ec) impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + options.host + ":" + std::to_string(options.port) +
                       ": " + ec.message());
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->acceptor->local_endpoint().port(); }

void HttpServer::Start() {
  impl_->Accept();
  for (auto& context : impl_->contexts) {
    asio::io_context* ctx = context.get();
    impl_->threads.emplace_back([ctx] { ctx->run(); });
  }
}

void HttpServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  // Stop the threads first and close the acceptor after: closing it while a thread may still
  // run the accept handler races with that handler's next async_accept.
  for (auto& context : impl_->contexts) context->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  beast::error_code ignored;
  impl_->acceptor->close(ignored);
}

}  // namespace plinth::http

#pragma once
// HttpServer: HTTP/1.1 with keep-alive and pipelining, feeding a Router (http_connection.h).
//
// Each of `threads` threads runs its own epoll loop; an acceptor thread deals connections out to
// them round-robin. A connection lives on one thread and is served one request at a time, its
// handler called synchronously on that thread. Limits: a body
// larger than max_body_bytes is answered 413 and the connection closed; a request must arrive
// whole within request_timeout; a keep-alive connection idle longer than idle_timeout is closed;
// a malformed request is answered 400 (when possible) and the connection closed. Nothing a client
// sends can stop the server.

#include <cstddef>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/router.h"

namespace plinth::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: the OS picks
  int threads = 64;
  std::size_t max_body_bytes = 64u << 20;
  int request_timeout_seconds = 30;
  int idle_timeout_seconds = 60;
};

class HttpServer {
 public:
  // Binds and listens; serving starts with Start(). `router` must outlive the server.
  static Result<std::unique_ptr<HttpServer>> Bind(const ServerOptions& options,
                                                  const Router& router);
  ~HttpServer();

  int port() const;
  void Start();
  // Stops accepting, closes connections and joins the threads. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace plinth::http

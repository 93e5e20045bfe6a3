#pragma once
// HttpConnection: one accepted HTTP/1.1 socket, parsed with Debian's http-parser (the Node.js
// parser) and answered through a Router. It owns the socket and closes it when destroyed.
//
// The event loop (http_server.cc) calls OnReadable/OnWritable when epoll says so and destroys
// the connection when either returns kClose or when Expired() says its deadline passed. Every
// complete request in what arrived is dispatched in order (pipelining) and its answer appended
// to one output buffer, written with as few send() calls as the socket takes. Contracts:
// - a body larger than max_body_bytes is answered 413, a malformed request or headers over
//   64 KiB 400; either way the connection then closes after draining what the client still
//   sends for up to 5 s, so that the client reads the answer rather than a reset;
// - a request must arrive whole within request_timeout from its first byte (or from the accept);
//   a keep-alive connection with nothing to do is closed after idle_timeout;
// - `Expect: 100-continue` is answered `100 Continue` before the body is read;
// - while answers wait for a slow reader nothing more is read (the loop waits for EPOLLOUT).

#include <cstdint>
#include <string>

#include <http_parser.h>

#include "http/http_server.h"
#include "http/request.h"
#include "http/router.h"

namespace plinth::http {

class HttpConnection {
 public:
  enum class Next { kKeep, kClose };

  // `now_ms` is a steady clock in milliseconds (the loop's).
  HttpConnection(int fd, const Router& router, const ServerOptions& options, int64_t now_ms);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  int fd() const { return fd_; }
  // Reads what the socket has into `scratch` (the loop's per-thread buffer), handles it.
  Next OnReadable(char* scratch, size_t scratch_size, int64_t now_ms);
  Next OnWritable(int64_t now_ms);
  // True while answers are waiting for the socket to take them (the loop then waits for
  // EPOLLOUT instead of EPOLLIN).
  bool WantsWrite() const { return out_offset_ < out_.size(); }
  bool Expired(int64_t now_ms) const { return now_ms >= deadline_ms_; }

 private:
  static int OnMessageBegin(http_parser* p);
  static int OnUrl(http_parser* p, const char* at, size_t length);
  static int OnHeaderField(http_parser* p, const char* at, size_t length);
  static int OnHeaderValue(http_parser* p, const char* at, size_t length);
  static int OnHeadersComplete(http_parser* p);
  static int OnBody(http_parser* p, const char* at, size_t length);
  static int OnMessageComplete(http_parser* p);
  static const http_parser_settings& Settings();

  // Parses `data`, dispatching each complete request and appending its answer; stops when a
  // request is rejected or says Connection: close (the state is then kClosing).
  void Consume(const char* data, size_t size);
  void CommitHeader();
  bool CountHeaderBytes(size_t n);
  Response Dispatch();
  void AppendResponse(const Response& response, bool keep_alive);
  void Reject(const Status& status);
  // Writes what it can of out_. Returns false when the socket failed.
  bool Flush();
  void ResetRequest();

  int fd_;
  const Router& router_;
  const ServerOptions& options_;
  http_parser parser_;

  // The request being parsed. Reused between requests so that its strings keep their capacity.
  Request request_;
  std::string url_;
  std::string header_field_;
  std::string header_value_;
  bool in_header_value_ = false;
  bool expect_continue_ = false;
  std::string body_;
  size_t header_bytes_ = 0;
  bool message_complete_ = false;

  std::string out_;
  size_t out_offset_ = 0;

  enum class State { kOpen, kClosing, kDraining } state_ = State::kOpen;
  Status reject_status_;   // set by a callback that refuses the request
  bool rejected_ = false;
  int64_t deadline_ms_;
  int64_t now_ms_;
};

// A request id for a request that brought none: 32 hex digits, unique within the process
// (a per-thread random prefix and counter), cheap enough to make for every request.
std::string NewRequestId();

}  // namespace plinth::http

#include "http/http_connection.h"

#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "http/json_text.h"
#include "http/responses.h"

namespace plinth::http {

namespace {

constexpr size_t kHeaderLimit = 64 * 1024;
constexpr int64_t kDrainMs = 5000;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

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

// A client's X-Request-Id is kept when it is 1 to 128 visible ASCII characters (it is echoed in
// headers and JSON); otherwise the server makes one.
bool UsableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

HttpConnection* Self(http_parser* p) { return static_cast<HttpConnection*>(p->data); }

}  // namespace

std::string NewRequestId() {
  struct Generator {
    uint64_t prefix = 0;
    uint64_t counter = 0;
    Generator() {
      unsigned char seed[16];
      if (RAND_bytes(seed, sizeof seed) != 1) throw std::runtime_error("RAND_bytes failed");
      std::memcpy(&prefix, seed, 8);
      std::memcpy(&counter, seed + 8, 8);
    }
  };
  thread_local Generator generator;
  // splitmix64 of the counter: ids look random, and stay distinct because the mix is a bijection.
  uint64_t z = ++generator.counter;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  static const char kDigits[] = "0123456789abcdef";
  std::string id(32, '0');
  uint64_t halves[2] = {generator.prefix, z};
  for (int h = 0; h < 2; ++h) {
    for (int i = 0; i < 16; ++i) id[h * 16 + i] = kDigits[(halves[h] >> (60 - 4 * i)) & 0xf];
  }
  return id;
}

const http_parser_settings& HttpConnection::Settings() {
  static const http_parser_settings settings = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_message_begin = &HttpConnection::OnMessageBegin;
    s.on_url = &HttpConnection::OnUrl;
    s.on_header_field = &HttpConnection::OnHeaderField;
    s.on_header_value = &HttpConnection::OnHeaderValue;
    s.on_headers_complete = &HttpConnection::OnHeadersComplete;
    s.on_body = &HttpConnection::OnBody;
    s.on_message_complete = &HttpConnection::OnMessageComplete;
    return s;
  }();
  return settings;
}

HttpConnection::HttpConnection(int fd, const Router& router, const ServerOptions& options,
                               int64_t now_ms)
    : fd_(fd), router_(router), options_(options), now_ms_(now_ms) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  deadline_ms_ = now_ms + options_.request_timeout_seconds * 1000LL;
}

HttpConnection::~HttpConnection() { ::close(fd_); }

// --- parser callbacks ----------------------------------------------------------------------------

int HttpConnection::OnMessageBegin(http_parser* p) {
  HttpConnection* c = Self(p);
  c->deadline_ms_ = c->now_ms_ + c->options_.request_timeout_seconds * 1000LL;
  return 0;
}

bool HttpConnection::CountHeaderBytes(size_t n) {
  header_bytes_ += n;
  if (header_bytes_ <= kHeaderLimit) return true;
  reject_status_ = InvalidArgument("the request headers are larger than 64 KiB");
  rejected_ = true;
  return false;
}

int HttpConnection::OnUrl(http_parser* p, const char* at, size_t length) {
  HttpConnection* c = Self(p);
  if (!c->CountHeaderBytes(length)) return 1;
  c->url_.append(at, length);
  return 0;
}

int HttpConnection::OnHeaderField(http_parser* p, const char* at, size_t length) {
  HttpConnection* c = Self(p);
  if (!c->CountHeaderBytes(length)) return 1;
  if (c->in_header_value_) {
    c->CommitHeader();
    c->in_header_value_ = false;
  }
  c->header_field_.append(at, length);
  return 0;
}

int HttpConnection::OnHeaderValue(http_parser* p, const char* at, size_t length) {
  HttpConnection* c = Self(p);
  if (!c->CountHeaderBytes(length)) return 1;
  c->in_header_value_ = true;
  c->header_value_.append(at, length);
  return 0;
}

// Keeps the headers a handler reads (request.h); the others are parsed and dropped.
void HttpConnection::CommitHeader() {
  const std::string& f = header_field_;
  std::string* target = nullptr;
  if (EqualsIgnoreCase(f, "content-type")) {
    target = &request_.content_type;
  } else if (EqualsIgnoreCase(f, "authorization")) {
    target = &request_.authorization;
  } else if (EqualsIgnoreCase(f, "x-request-id")) {
    target = &request_.request_id;
  } else if (EqualsIgnoreCase(f, "x-routing-key")) {
    target = &request_.routing_key;
  } else if (EqualsIgnoreCase(f, "accept")) {
    target = &request_.accept;
  } else if (EqualsIgnoreCase(f, "x-feature-refs")) {
    target = &request_.feature_refs;
  } else if (EqualsIgnoreCase(f, "expect")) {
    expect_continue_ = EqualsIgnoreCase(header_value_, "100-continue");
  }
  if (target != nullptr) target->assign(header_value_);
  header_field_.clear();
  header_value_.clear();
}

int HttpConnection::OnHeadersComplete(http_parser* p) {
  HttpConnection* c = Self(p);
  if (c->in_header_value_) {
    c->CommitHeader();
    c->in_header_value_ = false;
  }
  bool has_length = (p->flags & F_CONTENTLENGTH) != 0;
  if (has_length && p->content_length > c->options_.max_body_bytes) {
    c->reject_status_ = PayloadTooLarge("the request body is larger than the limit of " +
                                        std::to_string(c->options_.max_body_bytes) + " bytes");
    c->rejected_ = true;
    return -1;  // 1 and 2 mean "no body" here; any other value stops the parser
  }
  if (has_length) c->body_.reserve(p->content_length);
  bool expects_body = has_length ? p->content_length > 0 : (p->flags & F_CHUNKED) != 0;
  if (c->expect_continue_ && expects_body) c->out_.append("HTTP/1.1 100 Continue\r\n\r\n");
  return 0;
}

int HttpConnection::OnBody(http_parser* p, const char* at, size_t length) {
  HttpConnection* c = Self(p);
  if (c->body_.size() + length > c->options_.max_body_bytes) {
    c->reject_status_ = PayloadTooLarge("the request body is larger than the limit of " +
                                        std::to_string(c->options_.max_body_bytes) + " bytes");
    c->rejected_ = true;
    return 1;
  }
  c->body_.append(at, length);
  return 0;
}

int HttpConnection::OnMessageComplete(http_parser* p) {
  HttpConnection* c = Self(p);
  c->message_complete_ = true;
  http_parser_pause(p, 1);  // Consume() dispatches, then goes on with what follows
  return 0;
}

// --- the request cycle ---------------------------------------------------------------------------

void HttpConnection::ResetRequest() {
  request_.method.clear();
  request_.path.clear();
  request_.query.clear();
  request_.path_params.clear();
  request_.content_type.clear();
  request_.body = {};
  request_.authorization.clear();
  request_.request_id.clear();
  request_.routing_key.clear();
  request_.accept.clear();
  request_.feature_refs.clear();
  request_.principal = {};
  url_.clear();
  header_field_.clear();
  header_value_.clear();
  in_header_value_ = false;
  expect_continue_ = false;
  body_.clear();
  if (body_.capacity() > (1u << 20)) body_.shrink_to_fit();  // idle connections stay small
  header_bytes_ = 0;
  message_complete_ = false;
}

void HttpConnection::Consume(const char* data, size_t size) {
  while (size > 0 && state_ == State::kOpen) {
    size_t used = http_parser_execute(&parser_, &Settings(), data, size);
    data += used;
    size -= used;
    if (message_complete_) {
      bool keep_alive = http_should_keep_alive(&parser_) != 0 && !parser_.upgrade;
      AppendResponse(Dispatch(), keep_alive);
      ResetRequest();
      http_parser_pause(&parser_, 0);
      now_ms_ = SteadyNowMs();  // a handler may take long: the idle time starts after it
      deadline_ms_ = now_ms_ + options_.idle_timeout_seconds * 1000LL;
      if (!keep_alive) {
        state_ = State::kClosing;
        return;
      }
      // An http_parser that consumed the message's last byte, and then paused, reports it used.
      continue;
    }
    enum http_errno err = HTTP_PARSER_ERRNO(&parser_);
    if (err == HPE_OK && used == 0) return;
    if (err != HPE_OK) {
      if (rejected_) {
        Reject(reject_status_);
      } else {
        Reject(InvalidArgument(std::string("malformed HTTP request: ") +
                               http_errno_description(err)));
      }
      return;
    }
  }
}

Response HttpConnection::Dispatch() {
  request_.method = http_method_str(static_cast<http_method>(parser_.method));
  std::string_view target(url_);
  size_t q = target.find('?');
  request_.path.assign(target.substr(0, q));
  if (q != std::string_view::npos) ParseQuery(target.substr(q + 1), request_.query);
  if (!UsableRequestId(request_.request_id)) request_.request_id = NewRequestId();
  request_.body = body_;
  if (request_.path.empty() || request_.path.front() != '/') {
    return ErrorResponse(InvalidArgument("the request target must be an absolute path"));
  }
  return router_.Dispatch(request_);
}

void HttpConnection::AppendResponse(const Response& response, bool keep_alive) {
  out_.append("HTTP/1.1 ");
  AppendJsonInt(response.status, &out_);
  out_.push_back(' ');
  out_.append(http_status_str(static_cast<http_status>(response.status)));
  out_.append("\r\nServer: plinth\r\nX-Request-Id: ");
  out_.append(request_.request_id);
  if (!response.content_type.empty()) {
    out_.append("\r\nContent-Type: ");
    out_.append(response.content_type);
  }
  for (const auto& [name, value] : response.headers) {
    out_.append("\r\n");
    out_.append(name);
    out_.append(": ");
    out_.append(value);
  }
  bool no_body = response.status == 204 || response.status == 304 || response.status < 200;
  if (!no_body) {
    out_.append("\r\nContent-Length: ");
    AppendJsonInt(static_cast<int64_t>(response.body.size()), &out_);
  }
  if (!keep_alive) out_.append("\r\nConnection: close");
  out_.append("\r\n\r\n");
  // The answer to HEAD says how long the body would be, and sends none.
  if (!no_body && parser_.method != HTTP_HEAD) out_.append(response.body);
}

void HttpConnection::Reject(const Status& status) {
  if (!UsableRequestId(request_.request_id)) request_.request_id = NewRequestId();
  AppendResponse(ErrorResponse(status), /*keep_alive=*/false);
  state_ = State::kClosing;
  deadline_ms_ = now_ms_ + kDrainMs;
}

// --- socket I/O ----------------------------------------------------------------------------------

bool HttpConnection::Flush() {
  while (out_offset_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_offset_, out_.size() - out_offset_, MSG_NOSIGNAL);
    if (n > 0) {
      out_offset_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
  out_.clear();
  out_offset_ = 0;
  if (out_.capacity() > (1u << 20)) out_.shrink_to_fit();
  return true;
}

HttpConnection::Next HttpConnection::OnReadable(char* scratch, size_t scratch_size, int64_t now_ms) {
  now_ms_ = now_ms;
  ssize_t n = ::recv(fd_, scratch, scratch_size, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Next::kKeep;
    return Next::kClose;
  }
  if (state_ == State::kDraining) return n == 0 ? Next::kClose : Next::kKeep;
  if (n == 0) {
    // The client finished sending. Answers already made are still owed to it.
    if (!WantsWrite()) return Next::kClose;
    state_ = State::kClosing;
    return Flush() && WantsWrite() ? Next::kKeep : Next::kClose;
  }
  if (state_ == State::kOpen) Consume(scratch, static_cast<size_t>(n));
  return FlushAndContinue();
}

HttpConnection::Next HttpConnection::OnWritable(int64_t now_ms) {
  now_ms_ = now_ms;
  return FlushAndContinue();
}

HttpConnection::Next HttpConnection::FlushAndContinue() {
  if (!Flush()) return Next::kClose;
  if (WantsWrite()) return Next::kKeep;  // the loop waits for EPOLLOUT
  if (state_ == State::kClosing) {
    // Everything is written: half-close and drain what the client still sends, so that it
    // reads the answer rather than a reset.
    ::shutdown(fd_, SHUT_WR);
    state_ = State::kDraining;
    deadline_ms_ = now_ms_ + kDrainMs;
  }
  return Next::kKeep;
}

}  // namespace plinth::http

// plinth_bench_metric_load: a closed-loop HTTP/1.1 keep-alive load generator for
// `POST /api/v1/runs/{id}/metrics` (plinth's route, which bench/peers/metric_peer.py serves too).
//
// C connections, each sending requests back to back (one in flight per connection, no
// pipelining) for a duration and/or a count, then waiting for its last answer. The connections
// are spread over T threads (default 1), each running a non-blocking epoll loop, so that the
// generator takes as little as possible of a small machine's CPU from the server it measures
// (about 7 µs of CPU per request, against about 14 µs with one blocking thread per connection).
//
// Every request carries B metrics `{"key","value","step","timestamp"}`. Metric number m of the
// whole run (m = (request_index * C + connection) * B + j) has key keys[m % K] and step
// m / K + step_base, so no (key, step) pair repeats anywhere in the run: nothing can be skipped
// as a duplicate. Each connection's request bytes (headers and body) are built before timing
// starts, with every key and step in a fixed-width slot (steps right-aligned and padded with
// spaces, which JSON allows); the only per-request work is writing the new step digits into
// those slots, so Content-Length never changes.
//
// Only a `200` whose body says `"logged": B` counts as acknowledged. Anything else (another
// status, a 200 with a different count, a closed connection, a timeout) is an error, counted and
// reported; the connection is re-opened after a transport error or `Connection: close`.
//
// Output: a few readable lines, or with --json one JSON object: metrics/s, requests/s, latency
// percentiles, errors, the largest step acknowledged per key, and the generator's own CPU time.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kStepWidth = 15;  // digits slot for a step: up to 10^15 - 1

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string run_id;
  std::string path;  // overrides /api/v1/runs/{run}/metrics
  std::string token;
  int connections = 8;
  int threads = 1;
  int batch = 1000;
  std::vector<std::string> keys = {"loss", "acc", "lr", "val_loss", "val_acc",
                                   "grad_norm", "throughput", "epoch_time", "f1", "auc"};
  double duration_s = 5.0;
  double warmup_s = 1.0;
  long long requests = 0;  // per connection, measured phase; 0 = until duration
  long long step_base = 0;
  double timeout_s = 30.0;
  bool json = false;
};

[[noreturn]] void usage(const char* msg) {
  if (msg) std::fprintf(stderr, "metric_load: %s\n", msg);
  std::fprintf(stderr,
               "usage: plinth_bench_metric_load --port P --run RUN_ID [--host H] [--token T]\n"
               "  [--path /api/v1/runs/RUN/metrics] [-c CONNECTIONS=8] [-t THREADS=1]\n"
               "  [-b BATCH=1000] [--keys loss,acc,...] [--duration S=5] [--warmup S=1]\n"
               "  [--requests N per connection] [--step-base N=0] [--timeout S=30] [--json]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--host") o.host = next();
    else if (a == "--port") o.port = std::atoi(next().c_str());
    else if (a == "--run") o.run_id = next();
    else if (a == "--path") o.path = next();
    else if (a == "--token") o.token = next();
    else if (a == "-c" || a == "--connections") o.connections = std::atoi(next().c_str());
    else if (a == "-t" || a == "--threads") o.threads = std::atoi(next().c_str());
    else if (a == "-b" || a == "--batch") o.batch = std::atoi(next().c_str());
    else if (a == "--keys") {
      o.keys.clear();
      std::string s = next();
      size_t p = 0;
      while (p <= s.size()) {
        size_t q = s.find(',', p);
        if (q == std::string::npos) q = s.size();
        if (q > p) o.keys.push_back(s.substr(p, q - p));
        p = q + 1;
      }
    } else if (a == "--duration") o.duration_s = std::atof(next().c_str());
    else if (a == "--warmup") o.warmup_s = std::atof(next().c_str());
    else if (a == "--requests") o.requests = std::atoll(next().c_str());
    else if (a == "--step-base") o.step_base = std::atoll(next().c_str());
    else if (a == "--timeout") o.timeout_s = std::atof(next().c_str());
    else if (a == "--json") o.json = true;
    else if (a == "-h" || a == "--help") usage(nullptr);
    else usage(("unknown argument " + a).c_str());
  }
  if (o.port <= 0 || o.port > 65535) usage("--port is required");
  if (o.path.empty()) {
    if (o.run_id.empty()) usage("--run or --path is required");
    o.path = "/api/v1/runs/" + o.run_id + "/metrics";
  }
  if (o.connections < 1 || o.connections > 4096) usage("-c must be 1..4096");
  if (o.threads < 1) o.threads = 1;
  if (o.threads > o.connections) o.threads = o.connections;
  if (o.batch < 1 || o.batch > 100000) usage("-b must be 1..100000");
  if (o.keys.empty()) usage("--keys is empty");
  if (o.duration_s <= 0 && o.requests <= 0) usage("need --duration > 0 or --requests > 0");
  if (o.warmup_s < 0) o.warmup_s = 0;
  if (o.timeout_s <= 0) o.timeout_s = 30;
  return o;
}

// One connection's request: bytes built once, with the offsets of each metric's slots.
struct Request {
  std::string bytes;
  std::vector<size_t> step_slots;  // offset of each metric's kStepWidth-wide step slot
  std::vector<size_t> key_slots;   // offset of each metric's key slot (longest key + 1 wide)
  size_t key_width = 0;
  bool keys_written = false;  // when B % K == 0 the key at each position never changes
};

Request build_request(const Options& o) {
  Request r;
  for (const auto& k : o.keys) r.key_width = std::max(r.key_width, k.size());
  const long long ts0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  // {"key":"lr"      ,"value":0.500731,"step":           1234,"timestamp":1732233600001}
  std::string body = "{\"metrics\":[";
  std::vector<size_t> step_rel, key_rel;
  for (int j = 0; j < o.batch; ++j) {
    if (j) body += ',';
    body += "{\"key\":\"";
    key_rel.push_back(body.size());
    body.append(r.key_width + 1, ' ');  // key + closing quote + padding, filled per request
    char val[64];
    std::snprintf(val, sizeof val, ",\"value\":%.6f,\"step\":", 0.5 + 0.000731 * (j % 997));
    body += val;
    step_rel.push_back(body.size());
    body.append(kStepWidth, ' ');
    char ts[48];
    std::snprintf(ts, sizeof ts, ",\"timestamp\":%lld}", ts0 + j);
    body += ts;
  }
  body += "]}";
  std::string head = "POST " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" +
                     std::to_string(o.port) +
                     "\r\nContent-Type: application/json\r\nAccept: application/json\r\n";
  if (!o.token.empty()) head += "Authorization: Bearer " + o.token + "\r\n";
  head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  r.bytes = head + body;
  for (size_t s : step_rel) r.step_slots.push_back(head.size() + s);
  for (size_t s : key_rel) r.key_slots.push_back(head.size() + s);
  return r;
}

// Writes request number g (global: request_index * C + connection) into the slots.
void stamp(Request& r, const Options& o, long long g) {
  const long long B = o.batch;
  const long long K = static_cast<long long>(o.keys.size());
  char* p = r.bytes.data();
  for (long long j = 0; j < B; ++j) {
    const long long m = g * B + j;
    unsigned long long step = static_cast<unsigned long long>(m / K + o.step_base);
    char* slot = p + r.step_slots[static_cast<size_t>(j)];
    int pos = kStepWidth;
    do {
      slot[--pos] = static_cast<char>('0' + step % 10);
      step /= 10;
    } while (step && pos > 0);
    while (pos > 0) slot[--pos] = ' ';
    if (!r.keys_written) {
      const std::string& key = o.keys[static_cast<size_t>(m % K)];
      char* ks = p + r.key_slots[static_cast<size_t>(j)];
      std::memcpy(ks, key.data(), key.size());
      ks[key.size()] = '"';
      std::memset(ks + key.size() + 1, ' ', r.key_width - key.size());
    }
  }
  if (B % K == 0) r.keys_written = true;
}

// Parses `"logged": N` out of a JSON body without a JSON library.
long long logged_count(std::string_view body) {
  size_t p = body.find("\"logged\"");
  if (p == std::string_view::npos) return -1;
  p = body.find(':', p);
  if (p == std::string_view::npos) return -1;
  ++p;
  while (p < body.size() && std::isspace(static_cast<unsigned char>(body[p]))) ++p;
  long long n = 0;
  size_t start = p;
  while (p < body.size() && body[p] >= '0' && body[p] <= '9') n = n * 10 + (body[p++] - '0');
  return p > start ? n : -1;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Tries to parse one complete HTTP/1.1 response at the front of buf.
// Returns 1 (complete: consumed, status, body, close_after set), 0 (need more bytes) or -1 (bad).
int parse_response(const std::string& buf, size_t* consumed, int* status, std::string* body,
                   bool* close_after, std::string* err) {
  const size_t hdr_end = buf.find("\r\n\r\n");
  if (hdr_end == std::string::npos) return 0;
  std::string_view head(buf.data(), hdr_end);
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/") { *err = "bad status line"; return -1; }
  *status = std::atoi(std::string(head.substr(9, 3)).c_str());
  long long content_length = -1;
  bool chunked = false;
  *close_after = head.substr(0, 8) == "HTTP/1.0";
  size_t p = head.find("\r\n");
  while (p != std::string_view::npos && p < head.size()) {
    size_t q = head.find("\r\n", p + 2);
    std::string_view line =
        head.substr(p + 2, (q == std::string_view::npos ? head.size() : q) - p - 2);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name = lower(line.substr(0, colon));
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      if (name == "content-length") content_length = std::atoll(std::string(v).c_str());
      else if (name == "transfer-encoding" && lower(v).find("chunked") != std::string::npos) chunked = true;
      else if (name == "connection") {
        std::string val = lower(v);
        if (val.find("close") != std::string::npos) *close_after = true;
        else if (val.find("keep-alive") != std::string::npos) *close_after = false;
      }
    }
    p = q;
  }
  size_t pos = hdr_end + 4;
  body->clear();
  if (chunked) {
    for (;;) {
      size_t eol = buf.find("\r\n", pos);
      if (eol == std::string::npos) return 0;
      long long n = std::strtoll(buf.c_str() + pos, nullptr, 16);
      pos = eol + 2;
      if (n == 0) {  // optional trailers, then an empty line
        for (;;) {
          size_t end = buf.find("\r\n", pos);
          if (end == std::string::npos) return 0;
          const bool empty = end == pos;
          pos = end + 2;
          if (empty) break;
        }
        break;
      }
      if (buf.size() < pos + static_cast<size_t>(n) + 2) return 0;
      body->append(buf, pos, static_cast<size_t>(n));
      pos += static_cast<size_t>(n) + 2;
    }
  } else if (content_length >= 0) {
    if (buf.size() < pos + static_cast<size_t>(content_length)) return 0;
    body->assign(buf, pos, static_cast<size_t>(content_length));
    pos += static_cast<size_t>(content_length);
  } else {
    *err = "response without Content-Length";
    return -1;
  }
  *consumed = pos;
  return 1;
}

struct Stats {
  long long acked_requests = 0;  // measured phase, 200 with the right count
  long long sent_requests = 0;   // measured phase, every request started
  long long warmup_acked_requests = 0;
  long long warmup_sent_requests = 0;
  long long errors = 0;             // measured + warm-up
  long long max_acked_global = -1;  // largest global request number acknowledged
  std::map<std::string, long long> error_kinds;
  std::string first_error;
  std::vector<uint32_t> latencies_us;  // measured phase, acknowledged requests
  Clock::time_point end{};

  void fail(const std::string& kind, const std::string& detail) {
    ++errors;
    ++error_kinds[kind];
    if (first_error.empty()) first_error = detail;
  }
};

struct Timing {
  Clock::time_point start, measure, deadline;
};

// One keep-alive connection and its single request in flight.
struct Conn {
  int index = 0;  // connection number, 0..C-1
  int fd = -1;
  Request req;
  long long r = 0;         // next request index on this connection
  long long measured = 0;  // measured requests started
  bool in_flight = false;
  bool in_measure = false;
  bool want_out = false;
  bool done = false;
  long long g = 0;
  size_t sent = 0;
  std::string in;
  Clock::time_point t0;
  Clock::time_point retry_at{};
};

class Worker {
 public:
  Worker(const Options& o, const sockaddr_storage& addr, socklen_t len, const Timing& t)
      : o_(o), addr_(addr), len_(len), t_(t) {}

  void add(int index) {
    auto c = std::make_unique<Conn>();
    c->index = index;
    c->req = build_request(o_);
    conns_.push_back(std::move(c));
  }

  bool open_all(std::string* err) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) { *err = std::string("epoll_create1: ") + std::strerror(errno); return false; }
    for (auto& c : conns_)
      if (!open(*c, err)) return false;
    return true;
  }

  void run() {
    for (auto& c : conns_) start_next(*c, Clock::now());
    epoll_event evs[256];
    for (;;) {
      bool all_done = true, retry = false;
      for (auto& c : conns_) {
        all_done = all_done && c->done;
        retry = retry || (!c->done && c->fd < 0);
      }
      if (all_done) break;
      int n = ::epoll_wait(ep_, evs, 256, retry ? 1 : 50);
      if (n < 0 && errno != EINTR) {
        for (auto& c : conns_) c->done = true;  // cannot go on; ends this thread
        st.fail("epoll", std::string("epoll_wait: ") + std::strerror(errno));
        break;
      }
      for (int i = 0; i < n; ++i) {
        Conn& c = *static_cast<Conn*>(evs[i].data.ptr);
        if (c.fd < 0 || !c.in_flight) continue;
        if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
          if (c.sent < c.req.bytes.size()) do_send(c);
        }
        if (c.in_flight && c.fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) do_recv(c);
      }
      // timeouts and reconnect retries
      const auto now = Clock::now();
      const auto limit = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.timeout_s));
      for (auto& cp : conns_) {
        Conn& c = *cp;
        if (c.done) continue;
        if (c.in_flight && now - c.t0 > limit) {
          transport_error(c, "response timeout");
        } else if (!c.in_flight && c.fd < 0 && now >= c.retry_at) {
          start_next(c, now);
        }
      }
    }
    st.end = Clock::now();
    for (auto& c : conns_) close(*c);
    if (ep_ >= 0) ::close(ep_);
  }

  Stats st;

 private:
  bool open(Conn& c, std::string* err) {
    close(c);
    c.fd = ::socket(addr_.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0) { *err = std::string("socket: ") + std::strerror(errno); return false; }
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), len_) != 0) {  // blocking: loopback
      *err = std::string("connect: ") + std::strerror(errno);
      close(c);
      return false;
    }
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &c;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    c.want_out = false;
    c.in.clear();
    return true;
  }

  void close(Conn& c) {
    if (c.fd >= 0) {
      ::epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
    }
    c.fd = -1;
    c.in_flight = false;
    c.in.clear();
  }

  void set_out(Conn& c, bool on) {
    if (c.want_out == on) return;
    epoll_event ev{};
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
    ev.data.ptr = &c;
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    c.want_out = on;
  }

  // Starts the connection's next request, or marks it done.
  void start_next(Conn& c, Clock::time_point now) {
    const bool in_measure = now >= t_.measure;
    if (in_measure && (now >= t_.deadline || (o_.requests > 0 && c.measured >= o_.requests))) {
      c.done = true;
      return;
    }
    if (c.fd < 0) {
      std::string err;
      if (!open(c, &err)) {
        st.fail("connect", err);
        c.retry_at = now + std::chrono::milliseconds(10);
        return;
      }
    }
    c.g = c.r * o_.connections + c.index;
    ++c.r;
    stamp(c.req, o_, c.g);
    c.in_measure = in_measure;
    if (in_measure) { ++st.sent_requests; ++c.measured; } else { ++st.warmup_sent_requests; }
    c.in_flight = true;
    c.sent = 0;
    c.t0 = Clock::now();
    do_send(c);
  }

  // The main loop starts the next request (no recursion through start_next/do_send).
  void transport_error(Conn& c, const std::string& what) {
    st.fail("transport", what);
    close(c);
    c.retry_at = Clock::now();
  }

  void do_send(Conn& c) {
    while (c.sent < c.req.bytes.size()) {
      ssize_t n = ::send(c.fd, c.req.bytes.data() + c.sent, c.req.bytes.size() - c.sent, MSG_NOSIGNAL);
      if (n > 0) { c.sent += static_cast<size_t>(n); continue; }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { set_out(c, true); return; }
      transport_error(c, std::string("send: ") + std::strerror(errno));
      return;
    }
    set_out(c, false);
  }

  void do_recv(Conn& c) {
    char tmp[65536];
    for (;;) {
      ssize_t n = ::recv(c.fd, tmp, sizeof tmp, 0);
      if (n > 0) {
        c.in.append(tmp, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof tmp) break;
        continue;
      }
      if (n == 0) { transport_error(c, "connection closed by server"); return; }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      transport_error(c, std::string("recv: ") + std::strerror(errno));
      return;
    }
    size_t consumed = 0;
    int status = 0;
    bool close_after = false;
    std::string err;
    const int rc = parse_response(c.in, &consumed, &status, &body_, &close_after, &err);
    if (rc == 0) return;
    if (rc < 0) { transport_error(c, err); return; }
    const auto t1 = Clock::now();
    c.in.erase(0, consumed);
    c.in_flight = false;
    if (status != 200) {
      st.fail("http_" + std::to_string(status), "HTTP " + std::to_string(status) + ": " + body_.substr(0, 300));
    } else if (logged_count(body_) != o_.batch) {
      st.fail("bad_logged", "200 but the body is: " + body_.substr(0, 300));
    } else {
      st.max_acked_global = std::max(st.max_acked_global, c.g);
      if (c.in_measure) {
        ++st.acked_requests;
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t1 - c.t0).count();
        st.latencies_us.push_back(static_cast<uint32_t>(std::min<long long>(us, UINT32_MAX)));
      } else {
        ++st.warmup_acked_requests;
      }
    }
    // Resynchronise on a fresh connection after `Connection: close`, bytes beyond the answer, or
    // an answer that came before the whole request was sent (an early error).
    if (close_after || !c.in.empty() || c.sent < c.req.bytes.size()) close(c);
    start_next(c, t1);
  }

  const Options& o_;
  sockaddr_storage addr_;
  socklen_t len_;
  const Timing& t_;
  int ep_ = -1;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::string body_;
};

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') { out += '\\'; out += c; }
    else if (u < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", u); out += b; }
    else out += c;
  }
  return out;
}

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(o.host.c_str(), std::to_string(o.port).c_str(), &hints, &res); rc != 0 || !res) {
    std::fprintf(stderr, "metric_load: cannot resolve %s: %s\n", o.host.c_str(), gai_strerror(rc));
    return 2;
  }
  sockaddr_storage addr{};
  std::memcpy(&addr, res->ai_addr, res->ai_addrlen);
  const socklen_t addr_len = static_cast<socklen_t>(res->ai_addrlen);
  ::freeaddrinfo(res);

  // Build everything before timing: request buffers, connections opened.
  Timing timing;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < o.threads; ++t) workers.push_back(std::make_unique<Worker>(o, addr, addr_len, timing));
  for (int i = 0; i < o.connections; ++i) workers[static_cast<size_t>(i % o.threads)]->add(i);
  for (auto& w : workers) {
    std::string err;
    if (!w->open_all(&err)) {
      std::fprintf(stderr, "metric_load: %s:%d: %s\n", o.host.c_str(), o.port, err.c_str());
      return 1;
    }
  }
  const size_t request_bytes = build_request(o).bytes.size();

  const double cpu0 = cpu_seconds();
  timing.start = Clock::now();
  timing.measure = timing.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup_s));
  timing.deadline = timing.measure + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(o.duration_s > 0 ? o.duration_s : 1e9));
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });
  for (auto& t : threads) t.join();
  const double cpu1 = cpu_seconds();

  Stats total;
  Clock::time_point end = timing.measure;
  std::vector<uint32_t> lat;
  for (auto& w : workers) {
    const Stats& s = w->st;
    total.acked_requests += s.acked_requests;
    total.sent_requests += s.sent_requests;
    total.warmup_acked_requests += s.warmup_acked_requests;
    total.warmup_sent_requests += s.warmup_sent_requests;
    total.errors += s.errors;
    total.max_acked_global = std::max(total.max_acked_global, s.max_acked_global);
    for (auto& [k, v] : s.error_kinds) total.error_kinds[k] += v;
    if (total.first_error.empty()) total.first_error = s.first_error;
    lat.insert(lat.end(), s.latencies_us.begin(), s.latencies_us.end());
    end = std::max(end, s.end);
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double q) -> double {
    if (lat.empty()) return 0.0;
    size_t idx = static_cast<size_t>(q * static_cast<double>(lat.size() - 1) + 0.5);
    return lat[std::min(idx, lat.size() - 1)] / 1000.0;
  };
  const double measured_s = std::chrono::duration<double>(end - timing.measure).count();
  const double wall_s = std::chrono::duration<double>(end - timing.start).count();
  const double rps = measured_s > 0 ? static_cast<double>(total.acked_requests) / measured_s : 0;
  const double mps = rps * o.batch;
  const long long acked_metrics_all = (total.acked_requests + total.warmup_acked_requests) * o.batch;
  const long long sent_metrics_all = (total.sent_requests + total.warmup_sent_requests) * o.batch;
  // Largest step acknowledged per key, for callers to compare with the run's latest metrics. The
  // acknowledged request with the largest g holds the largest m for every key it covers (requests
  // with a smaller g all have smaller m, so smaller steps): walk back over its last metrics. Keys
  // that request does not cover are left out.
  std::string max_steps;
  if (total.max_acked_global >= 0) {
    const long long K = static_cast<long long>(o.keys.size());
    std::map<std::string, long long> per_key;
    for (long long j = o.batch - 1; j >= 0 && static_cast<long long>(per_key.size()) < K; --j) {
      const long long m = total.max_acked_global * o.batch + j;
      per_key.emplace(o.keys[static_cast<size_t>(m % K)], m / K + o.step_base);
    }
    for (auto& [k, v] : per_key) {
      if (!max_steps.empty()) max_steps += ",";
      max_steps += "\"" + json_escape(k) + "\":" + std::to_string(v);
    }
  }
  std::string kinds;
  for (auto& [k, v] : total.error_kinds) {
    if (!kinds.empty()) kinds += ",";
    kinds += "\"" + json_escape(k) + "\":" + std::to_string(v);
  }

  if (o.json) {
    std::printf(
        "{\"connections\":%d,\"threads\":%d,\"batch\":%d,\"keys\":%zu,\"request_bytes\":%zu,"
        "\"measured_s\":%.4f,\"wall_s\":%.4f,\"acked_requests\":%lld,\"sent_requests\":%lld,"
        "\"metrics_per_s\":%.1f,\"requests_per_s\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
        "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"errors\":%lld,\"error_kinds\":{%s},\"first_error\":\"%s\","
        "\"warmup_acked_requests\":%lld,\"acked_metrics_total\":%lld,\"sent_metrics_total\":%lld,"
        "\"max_step_acked\":{%s},\"generator_cpu_s\":%.3f}\n",
        o.connections, o.threads, o.batch, o.keys.size(), request_bytes, measured_s, wall_s,
        total.acked_requests, total.sent_requests, mps, rps, pct(0.50), pct(0.90), pct(0.99), pct(1.0),
        total.errors, kinds.c_str(), json_escape(total.first_error).c_str(), total.warmup_acked_requests,
        acked_metrics_all, sent_metrics_all, max_steps.c_str(), cpu1 - cpu0);
  } else {
    std::printf("target      %s:%d%s  connections=%d threads=%d batch=%d keys=%zu request=%zu bytes\n",
                o.host.c_str(), o.port, o.path.c_str(), o.connections, o.threads, o.batch, o.keys.size(),
                request_bytes);
    std::printf("measured    %.2f s (after %.2f s warm-up): %lld acknowledged requests of %lld sent\n",
                measured_s, o.warmup_s, total.acked_requests, total.sent_requests);
    std::printf("throughput  %.0f metrics/s, %.0f requests/s\n", mps, rps);
    std::printf("latency     p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n", pct(0.5), pct(0.9),
                pct(0.99), pct(1.0));
    std::printf("errors      %lld {%s}%s%s\n", total.errors, kinds.c_str(),
                total.first_error.empty() ? "" : " first: ", total.first_error.c_str());
    std::printf("generator   %.2f CPU s over %.2f s wall\n", cpu1 - cpu0, wall_s);
  }
  return 0;
}

// plinth_bench_latency_probe: per-request latency of one HTTP/1.1 request sent over and over.
//
// C keep-alive connections (default 8) on one thread, each with one request in flight (closed
// loop, like wrk -t1 -cC): the request bytes come from a file and are sent unchanged; a response
// is complete when its headers and Content-Length bytes of body have arrived. Every request's
// time from its write to its last response byte is kept, and the percentiles are computed from
// those measured values only.
//
// Why beside wrk: wrk 4 "corrects" its latency histogram for coordinated omission. At the end of
// a run it takes expected = run time / (requests / connections), the mean time between two
// requests of one connection, and for every sample n >= 2 * expected it adds made-up samples at
// n - expected, n - 2 * expected, ... > expected (stats_correct in wrk's stats.c). A stall of D
// on a server answering every 60 us therefore adds about 8 * D / 60 us samples: one 5 ms stall of
// the machine becomes ~670 samples, and 1% of a 3 s run at 140,000 req/s is ~4,200. The same
// stall adds ~2 samples per connection to a server answering every 3 ms. So wrk's p99 of a fast
// server reports how often the machine stalls, not how long its requests took. This probe
// reports both: the measured percentiles, and wrk's correction applied to the same samples
// (`wrk_corrected_p99_us`), so the two can be told apart on one run. It also reports the
// machine's stalls as seen from outside: stretches in which no connection got an answer, longer
// than 1 ms and than 10 times the median latency (`stalls`, `stalled_ms`).
//
// Any status other than 2xx, a closed connection or a malformed response counts as an error and
// ends the run with exit status 1 (a latency measured against errors means nothing).
//
// Output: one JSON object on stdout.
//   plinth_bench_latency_probe --port P --request FILE [--host 127.0.0.1] [-c 8] [--seconds 5]
//                              [--warmup 0.5]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string request_file;
  int connections = 8;
  double seconds = 5.0;
  double warmup_s = 0.5;
};

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "latency_probe: %s\n", message.c_str());
  std::exit(1);
}

[[noreturn]] void Usage(const char* message) {
  if (message) std::fprintf(stderr, "latency_probe: %s\n", message);
  std::fprintf(stderr,
               "usage: plinth_bench_latency_probe --port P --request FILE [--host H] [-c 8]"
               " [--seconds 5] [--warmup 0.5]\n");
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--host") o.host = next();
    else if (a == "--port") o.port = std::atoi(next().c_str());
    else if (a == "--request") o.request_file = next();
    else if (a == "-c" || a == "--connections") o.connections = std::atoi(next().c_str());
    else if (a == "--seconds") o.seconds = std::atof(next().c_str());
    else if (a == "--warmup") o.warmup_s = std::atof(next().c_str());
    else Usage(("unknown option " + a).c_str());
  }
  if (o.port <= 0 || o.request_file.empty() || o.connections <= 0 || o.seconds <= 0) {
    Usage("--port, --request, a positive -c and --seconds are required");
  }
  return o;
}

struct Connection {
  int fd = -1;
  Clock::time_point sent;
  std::string in;  // bytes of the response being read
};

// Returns the length of the complete response at the start of `in`, 0 when more bytes are
// needed; fails on anything that is not a 2xx response with a Content-Length.
size_t CompleteResponseLength(const std::string& in) {
  size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  std::string_view head(in.data(), head_end);
  if (head.size() < 12 || head.substr(0, 9) != "HTTP/1.1 " || head[9] != '2') {
    Fail("response is not a 2xx: " + std::string(head.substr(0, head.find('\r'))));
  }
  long long body = -1;
  size_t line = head.find("\r\n");
  while (line != std::string_view::npos) {
    size_t start = line + 2;
    size_t end = head.find("\r\n", start);
    std::string_view field = head.substr(start, end == std::string_view::npos ? end : end - start);
    if (field.size() > 15 && strncasecmp(field.data(), "content-length:", 15) == 0) {
      body = std::atoll(std::string(field.substr(15)).c_str());
    }
    line = end;
  }
  if (body < 0) Fail("response without Content-Length");
  size_t total = head_end + 4 + static_cast<size_t>(body);
  return in.size() >= total ? total : 0;
}

void SendRequest(Connection& c, const std::string& request) {
  c.sent = Clock::now();
  size_t off = 0;
  while (off < request.size()) {
    ssize_t n = ::send(c.fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Fail(std::string("send: ") + std::strerror(errno));
    off += static_cast<size_t>(n);
  }
}

int Connect(const Options& o) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(o.port));
  if (fd < 0 || ::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Fail("cannot connect to " + o.host + ":" + std::to_string(o.port));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

double Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()));
  return static_cast<double>(sorted[std::min(rank, sorted.size() - 1)]);
}

// wrk 4's stats_correct applied to `latencies_us` (see the header comment), then its p99.
double WrkCorrectedP99(const std::vector<int64_t>& latencies_us, int64_t expected_us) {
  std::vector<int64_t> all = latencies_us;
  if (expected_us > 0) {
    for (int64_t n : latencies_us) {
      if (n < 2 * expected_us) continue;
      for (int64_t m = n - expected_us; m > expected_us; m -= expected_us) all.push_back(m);
    }
  }
  std::sort(all.begin(), all.end());
  return Percentile(all, 99);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  std::ifstream file(o.request_file, std::ios::binary);
  if (!file) Fail("cannot read " + o.request_file);
  const std::string request((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (request.empty()) Fail(o.request_file + " is empty");

  int ep = ::epoll_create1(0);
  std::vector<Connection> conns(static_cast<size_t>(o.connections));
  for (size_t i = 0; i < conns.size(); ++i) {
    conns[i].fd = Connect(o);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }

  const Clock::time_point start = Clock::now();
  const Clock::time_point measure_from =
      start + std::chrono::microseconds(static_cast<int64_t>(o.warmup_s * 1e6));
  const Clock::time_point stop_at =
      measure_from + std::chrono::microseconds(static_cast<int64_t>(o.seconds * 1e6));
  std::vector<int64_t> latencies_us;
  latencies_us.reserve(static_cast<size_t>(o.seconds * 400000));
  std::vector<int64_t> answers_us;  // when each measured answer arrived, from measure_from
  answers_us.reserve(latencies_us.capacity());

  for (Connection& c : conns) SendRequest(c, request);
  std::vector<epoll_event> events(conns.size());
  char buf[65536];
  Clock::time_point now = Clock::now();
  while (now < stop_at) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
    if (n < 0 && errno != EINTR) Fail(std::string("epoll_wait: ") + std::strerror(errno));
    for (int k = 0; k < n; ++k) {
      Connection& c = conns[events[static_cast<size_t>(k)].data.u64];
      ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
      if (got <= 0) Fail("the server closed a connection");
      c.in.append(buf, static_cast<size_t>(got));
      size_t length = CompleteResponseLength(c.in);
      if (length == 0) continue;
      if (length != c.in.size()) Fail("bytes after a response that nobody asked for");
      c.in.clear();
      now = Clock::now();
      if (now >= measure_from && c.sent >= measure_from) {
        latencies_us.push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(now - c.sent).count());
        answers_us.push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(now - measure_from).count());
      }
      SendRequest(c, request);
    }
    now = Clock::now();
  }
  const double measured_s =
      std::chrono::duration<double>(Clock::now() - measure_from).count();

  if (latencies_us.empty()) Fail("no response in the measured time");
  std::vector<int64_t> sorted = latencies_us;
  std::sort(sorted.begin(), sorted.end());
  const double per_connection = static_cast<double>(sorted.size()) / o.connections;
  const auto expected_us = static_cast<int64_t>(measured_s * 1e6 / per_connection);
  const auto stall_us = std::max<int64_t>(1000, 10 * static_cast<int64_t>(Percentile(sorted, 50)));
  int64_t stalls = 0, stalled_us = 0;
  for (size_t i = 1; i < answers_us.size(); ++i) {
    int64_t quiet_us = answers_us[i] - answers_us[i - 1];
    if (quiet_us > stall_us) {
      ++stalls;
      stalled_us += quiet_us;
    }
  }
  std::printf(
      "{\"requests\": %zu, \"seconds\": %.3f, \"rps\": %.1f, \"p50_us\": %.0f, \"p90_us\": %.0f,"
      " \"p99_us\": %.0f, \"p999_us\": %.0f, \"max_us\": %.0f, \"wrk_corrected_p99_us\": %.0f,"
      " \"stalls\": %lld, \"stalled_ms\": %.1f}\n",
      sorted.size(), measured_s, static_cast<double>(sorted.size()) / measured_s,
      Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99),
      Percentile(sorted, 99.9), static_cast<double>(sorted.back()),
      WrkCorrectedP99(latencies_us, expected_us), static_cast<long long>(stalls),
      static_cast<double>(stalled_us) / 1000.0);
  return 0;
}

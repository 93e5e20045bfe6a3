#include "http/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "http/http_connection.h"

namespace plinth::http {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr int kMaxEvents = 128;

// One request thread: an epoll set of the connections dealt to it. A connection lives on one
// worker for its whole life and its handlers run on that worker's thread, one request at a
// time; a handler that blocks (a durable write waiting for its group commit) holds up only the
// connections of its own worker.
class Worker {
  struct Entry {
    std::unique_ptr<HttpConnection> connection;
    bool writing = false;  // registered for EPOLLOUT rather than EPOLLIN
  };

 public:
  Worker(const Router& router, const ServerOptions& options)
      : router_(router), options_(options) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the wake-up eventfd
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  }
  ~Worker() {
    for (int fd : pending_) ::close(fd);
    connections_.clear();
    ::close(wake_fd_);
    ::close(epoll_fd_);
  }

  bool ok() const { return epoll_fd_ >= 0 && wake_fd_ >= 0; }

  // Called by the acceptor thread: hands `fd` to this worker.
  void Adopt(int fd) {
    {
      std::lock_guard lock(mu_);
      pending_.push_back(fd);
    }
    Wake();
  }

  void Stop() {
    stopping_.store(true);
    Wake();
  }

  void Run() {
    std::vector<char> scratch(kReadChunk);
    epoll_event events[kMaxEvents];
    int64_t next_sweep = SteadyNowMs() + 1000;
    while (!stopping_.load(std::memory_order_relaxed)) {
      int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, 1000);
      int64_t now = SteadyNowMs();
      for (int i = 0; i < n; ++i) {
        auto* entry = static_cast<Entry*>(events[i].data.ptr);
        if (entry == nullptr) {
          TakePending(now);
          continue;
        }
        HttpConnection& connection = *entry->connection;
        HttpConnection::Next next = HttpConnection::Next::kKeep;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) {
          next = HttpConnection::Next::kClose;
        } else if (connection.WantsWrite()) {
          if (events[i].events & EPOLLOUT) next = connection.OnWritable(now);
        } else if (events[i].events & EPOLLIN) {
          next = connection.OnReadable(scratch.data(), scratch.size(), now);
        }
        if (next == HttpConnection::Next::kClose) {
          Remove(connection.fd());
        } else {
          UpdateInterest(*entry);
        }
      }
      if (now >= next_sweep) {
        CloseExpired(now);
        next_sweep = now + 1000;
      }
    }
  }

 private:
  void Wake() {
    uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
    (void)ignored;
  }

  void TakePending(int64_t now) {
    uint64_t count;
    ssize_t ignored = ::read(wake_fd_, &count, sizeof count);
    (void)ignored;
    std::vector<int> fds;
    {
      std::lock_guard lock(mu_);
      fds.swap(pending_);
    }
    for (int fd : fds) {
      Entry& entry = connections_[fd];
      entry.connection = std::make_unique<HttpConnection>(fd, router_, options_, now);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = &entry;
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) connections_.erase(fd);
    }
  }

  // Level-triggered: a connection waits either for input or, while answers are pending, for
  // room to write them (and then reads nothing more until they are written).
  void UpdateInterest(Entry& entry) {
    bool wants_write = entry.connection->WantsWrite();
    if (wants_write == entry.writing) return;
    entry.writing = wants_write;
    epoll_event ev{};
    ev.events = wants_write ? EPOLLOUT : EPOLLIN;
    ev.data.ptr = &entry;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, entry.connection->fd(), &ev);
  }

  void Remove(int fd) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    connections_.erase(fd);  // closes the socket
  }

  void CloseExpired(int64_t now) {
    std::vector<int> expired;
    for (auto& [fd, entry] : connections_) {
      if (entry.connection->Expired(now)) expired.push_back(fd);
    }
    for (int fd : expired) Remove(fd);
  }

  const Router& router_;
  const ServerOptions& options_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<int> pending_;  // guarded by mu_
  // By socket; epoll events point at the entry (unordered_map nodes do not move).
  std::unordered_map<int, Entry> connections_;
};

}  // namespace

// The listening socket belongs to an acceptor thread that deals accepted connections out to the
// workers round-robin, so that concurrent clients land on different threads.
struct HttpServer::Impl {
  ServerOptions options;
  const Router* router = nullptr;
  int listen_fd = -1;
  int stop_fd = -1;  // eventfd that wakes the acceptor to stop
  int port = 0;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  bool started = false;

  ~Impl() {
    if (listen_fd >= 0) ::close(listen_fd);
    if (stop_fd >= 0) ::close(stop_fd);
  }

  void AcceptLoop() {
    size_t next = 0;
    // A spare descriptor, given up to accept-and-close a connection when the process is out of
    // descriptors, so that a full table does not leave the listening socket ready forever.
    int spare = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    while (true) {
      int ready = ::poll(fds, 2, -1);
      if (ready < 0 && errno == EINTR) continue;
      if (fds[1].revents != 0 || ready < 0) break;
      while (true) {
        int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          if ((errno == EMFILE || errno == ENFILE) && spare >= 0) {
            ::close(spare);
            int refused = ::accept(listen_fd, nullptr, nullptr);
            if (refused >= 0) ::close(refused);
            spare = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            continue;
          }
          break;  // EAGAIN, or an error that the next poll retries
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        workers[next]->Adopt(fd);
        next = (next + 1) % workers.size();
      }
    }
    if (spare >= 0) ::close(spare);
  }
};

Result<std::unique_ptr<HttpServer>> HttpServer::Bind(const ServerOptions& options,
                                                     const Router& router) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->router = &router;
  // An IPv4 or IPv6 literal (the server listens where it is told; no name lookup).
  sockaddr_storage address{};
  socklen_t address_size = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (::inet_pton(AF_INET, options.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(options.port));
    address_size = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, options.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(options.port));
    address_size = sizeof(sockaddr_in6);
  } else {
    return InvalidArgument("'" + options.host + "' is not an IP address");
  }
  auto fail = [&](const char* what) {
    return Unavailable("cannot listen on " + options.host + ":" + std::to_string(options.port) +
                       ": " + what + ": " + std::strerror(errno));
  };
  impl->listen_fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (impl->listen_fd < 0) return fail("socket");
  int one = 1;
  ::setsockopt(impl->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(impl->listen_fd, reinterpret_cast<sockaddr*>(&address), address_size) != 0) {
    return fail("bind");
  }
  if (::listen(impl->listen_fd, SOMAXCONN) != 0) return fail("listen");
  socklen_t length = sizeof address;
  ::getsockname(impl->listen_fd, reinterpret_cast<sockaddr*>(&address), &length);
  impl->port = ntohs(address.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  impl->stop_fd = ::eventfd(0, EFD_CLOEXEC);
  if (impl->stop_fd < 0) return fail("eventfd");
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    impl->workers.push_back(std::make_unique<Worker>(router, impl->options));
    if (!impl->workers.back()->ok()) return fail("epoll");
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::Start() {
  impl_->started = true;
  for (auto& worker : impl_->workers) {
    Worker* w = worker.get();
    impl_->threads.emplace_back([w] { w->Run(); });
  }
  impl_->threads.emplace_back([impl = impl_.get()] { impl->AcceptLoop(); });
}

void HttpServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  // The acceptor stops first, so that no connection is handed to a worker that has left; each
  // worker finishes the handler it is in (an acknowledged write is never cut off), then leaves.
  uint64_t one = 1;
  ssize_t ignored = ::write(impl_->stop_fd, &one, sizeof one);
  (void)ignored;
  if (impl_->started) impl_->threads.back().join();
  for (auto& worker : impl_->workers) worker->Stop();
  for (size_t i = 0; i + 1 < impl_->threads.size(); ++i) impl_->threads[i].join();
  impl_->threads.clear();
  impl_->workers.clear();  // closes every connection
}

}  // namespace plinth::http

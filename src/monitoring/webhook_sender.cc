#include "monitoring/webhook_sender.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <utility>  // before Asio (Boost 1.74 + g++ 12, see DESIGN.md)

#include "common/clock.h"

namespace plinth::monitoring {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;

Result<WebhookUrl> ParseWebhookUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    return InvalidArgument("webhook_url '" + url.substr(0, 100) +
                           "' must start with http:// (https is not supported)");
  }
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  WebhookUrl out;
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos) {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
    if (out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos ||
        out.port.size() > 5) {
      return InvalidArgument("webhook_url '" + url.substr(0, 100) + "' has a bad port");
    }
  } else {
    out.host = authority;
    out.port = "80";
  }
  if (out.host.empty())
    return InvalidArgument("webhook_url '" + url.substr(0, 100) + "' has no host");
  return out;
}

Status PostJson(const WebhookUrl& url, const std::string& json_body, int timeout_ms) {
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  http::request<http::string_body> req{http::verb::post, url.target, 11};
  req.set(http::field::host, url.host + ":" + url.port);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::user_agent, "plinth-alerts");
  req.body() = json_body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  beast::error_code failure;
  const auto timeout = std::chrono::milliseconds(timeout_ms);

  resolver.async_resolve(url.host, url.port, [&](beast::error_code ec, auto results) {
    if (ec) {
      failure = ec;
      return;
    }
    stream.expires_after(timeout);
    stream.async_connect(results, [&](beast::error_code ec2, const auto&) {
      if (ec2) {
        failure = ec2;
        return;
      }
      http::async_write(stream, req, [&](beast::error_code ec3, size_t) {
        if (ec3) {
          failure = ec3;
          return;
        }
        http::async_read(stream, buffer, res, [&](beast::error_code ec4, size_t) {
          if (ec4) failure = ec4;
        });
      });
    });
  });
  ioc.run_for(timeout + std::chrono::milliseconds(100));
  if (!ioc.stopped()) return Unavailable("the webhook did not answer within the timeout");
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  if (failure) return Unavailable("webhook delivery failed: " + failure.message());
  int status = res.result_int();
  if (status < 200 || status >= 300) {
    return Unavailable("the webhook answered HTTP " + std::to_string(status));
  }
  return Status::Ok();
}

WebhookSender::WebhookSender(WebhookOptions options, Callback on_done)
    : options_(options), on_done_(std::move(on_done)) {
  worker_ = std::thread([this] { Work(); });
}

WebhookSender::~WebhookSender() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void WebhookSender::Enqueue(WebhookDelivery delivery) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queue_.size() < options_.max_queue) {
      queue_.push(Pending{std::move(delivery), 0, NowMs(), ""});
      wake_.notify_all();
      return;
    }
  }
  on_done_(delivery, WebhookOutcome{false, 0, "the delivery queue is full"});
}

void WebhookSender::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return stopping_ || (queue_.empty() && !in_flight_); });
}

void WebhookSender::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stopping_) break;
    if (queue_.empty()) {
      idle_.notify_all();
      wake_.wait(lock);
      continue;
    }
    int64_t wait_ms = queue_.top().next_ms - NowMs();
    if (wait_ms > 0) {
      wake_.wait_for(lock, std::chrono::milliseconds(wait_ms));
      continue;
    }
    Pending p = queue_.top();
    queue_.pop();
    in_flight_ = true;
    lock.unlock();
    Result<WebhookUrl> url = ParseWebhookUrl(p.delivery.url);
    Status st = url.ok() ? PostJson(*url, p.delivery.body, options_.timeout_ms) : url.status();
    ++p.attempts;
    bool done = st.ok() || p.attempts >= options_.max_attempts || !url.ok();
    if (done)
      on_done_(p.delivery, WebhookOutcome{st.ok(), p.attempts, st.ok() ? "" : st.message()});
    lock.lock();
    in_flight_ = false;
    if (!done) {
      p.error = st.message();
      p.next_ms = NowMs() + (options_.first_backoff_ms << (p.attempts - 1));
      queue_.push(std::move(p));
    }
  }
  std::vector<Pending> left;
  while (!queue_.empty()) {
    left.push_back(queue_.top());
    queue_.pop();
  }
  idle_.notify_all();
  lock.unlock();
  for (const Pending& p : left) {
    on_done_(p.delivery, WebhookOutcome{false, p.attempts, "server stopping"});
  }
}

}  // namespace plinth::monitoring

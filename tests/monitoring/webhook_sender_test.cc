// WebhookSender: URL parsing, and that an unreachable receiver is retried with backoff and then
// reported failed without blocking the caller. (Deliveries to a live receiver, including one
// that fails first, are in tests/integration/test_monitoring.py.)

#include "monitoring/webhook_sender.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>

namespace plinth::monitoring {
namespace {

// A loopback port with nothing listening (bound, then closed).
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(WebhookUrl, ParsesHttpOnly) {
  auto u = ParseWebhookUrl("http://127.0.0.1:9000/hooks/a?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "9000");
  EXPECT_EQ(u->target, "/hooks/a?x=1");
  auto d = ParseWebhookUrl("http://example.org");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, "80");
  EXPECT_EQ(d->target, "/");
  EXPECT_FALSE(ParseWebhookUrl("https://example.org/").ok());
  EXPECT_FALSE(ParseWebhookUrl("ftp://x/").ok());
  EXPECT_FALSE(ParseWebhookUrl("http://:80/").ok());
  EXPECT_FALSE(ParseWebhookUrl("http://h:port/").ok());
}

TEST(WebhookSender, RetriesADownReceiverThenFailsWithoutBlocking) {
  std::mutex mu;
  std::vector<WebhookOutcome> outcomes;
  WebhookOptions options;
  options.max_attempts = 3;
  options.first_backoff_ms = 20;
  options.timeout_ms = 1000;
  WebhookSender sender(options, [&](const WebhookDelivery& d, const WebhookOutcome& o) {
    std::lock_guard lock(mu);
    EXPECT_EQ(d.alert_id, "a1");
    outcomes.push_back(o);
  });
  auto start = std::chrono::steady_clock::now();
  sender.Enqueue({"http://127.0.0.1:" + std::to_string(ClosedPort()) + "/", "{}", "a1", "fire"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  sender.WaitIdle();
  std::lock_guard lock(mu);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_FALSE(outcomes[0].delivered);
  EXPECT_EQ(outcomes[0].attempts, 3);
  EXPECT_FALSE(outcomes[0].error.empty());
  // Backoff 20 + 40 ms between the three attempts.
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(60));
}

TEST(WebhookSender, PostToClosedPortIsUnavailable) {
  Status st = PostJson({"127.0.0.1", std::to_string(ClosedPort()), "/"}, "{}", 1000);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace plinth::monitoring

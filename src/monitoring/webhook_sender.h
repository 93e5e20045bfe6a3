#pragma once
// WebhookSender: delivers alert notifications (JSON POSTs) to webhook URLs on its own thread,
// with retries and exponential backoff, so that neither the monitor scheduler nor a request
// ever waits for a receiver.
//
// Enqueue() only queues and returns. The delivery thread POSTs with HTTP/1.1 (Boost.Beast) under
// a timeout for the whole exchange; a 2xx answer is success. Anything else (refused connection,
// timeout, non-2xx) is retried after first_backoff_ms, then twice that, and so on, up to
// max_attempts attempts; then the delivery is failed. The outcome is reported once per delivery
// through the callback given to the constructor (called on the delivery thread). Deliveries wait
// in a queue ordered by their next attempt, so one slow receiver's retries do not hold back the
// others' first attempts beyond one exchange timeout. A full queue (max_queue) fails the new
// delivery at once. Only http:// URLs are supported (ParseWebhookUrl). Thread-safe; the
// destructor stops the thread and reports what was still queued as failed ("server stopping").

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace plinth::monitoring {

struct WebhookUrl {
  std::string host;
  std::string port;    // "80" when absent
  std::string target;  // path and query, "/" when absent
};

// http://host[:port][/path]. InvalidArgument otherwise (https is not supported).
Result<WebhookUrl> ParseWebhookUrl(const std::string& url);

// One POST with `json_body`; OK for a 2xx answer. Unavailable otherwise, naming why.
Status PostJson(const WebhookUrl& url, const std::string& json_body, int timeout_ms);

struct WebhookOptions {
  int max_attempts = 5;
  int64_t first_backoff_ms = 250;
  int timeout_ms = 5000;
  size_t max_queue = 10000;
};

struct WebhookDelivery {
  std::string url;
  std::string body;  // JSON
  std::string alert_id;
  std::string kind;  // "fire" or "resolve"
};

struct WebhookOutcome {
  bool delivered = false;
  int attempts = 0;
  std::string error;  // the last failure, when not delivered
};

class WebhookSender {
 public:
  using Callback = std::function<void(const WebhookDelivery&, const WebhookOutcome&)>;

  WebhookSender(WebhookOptions options, Callback on_done);
  ~WebhookSender();

  void Enqueue(WebhookDelivery delivery);

  // Waits until nothing is queued or in flight (tests).
  void WaitIdle();

 private:
  struct Pending {
    WebhookDelivery delivery;
    int attempts = 0;
    int64_t next_ms = 0;
    std::string error;
    bool operator>(const Pending& o) const { return next_ms > o.next_ms; }
  };
  void Work();

  const WebhookOptions options_;
  Callback on_done_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue_;  // guarded by mu_
  bool in_flight_ = false;                                                    // guarded by mu_
  bool stopping_ = false;                                                     // guarded by mu_
  std::thread worker_;
};

}  // namespace plinth::monitoring

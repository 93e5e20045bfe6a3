#include "serving/dynamic_batcher.h"

#include <algorithm>
#include <vector>

namespace plinth::serving {

// One caller's request while it waits. Its fields are guarded by the batcher's mu_.
struct DynamicBatcher::Pending {
  std::vector<float> rows;
  size_t n_rows = 0;
  Clock::time_point enqueued;
  std::vector<float> outputs;
  Status status;
  bool done = false;
  bool abandoned = false;  // the caller's deadline passed; nobody reads the outputs
  std::condition_variable finished;
};

DynamicBatcher::DynamicBatcher(BatchingOptions options, size_t width, size_t outputs_per_row,
                               Executor executor, BatchObserver observer)
    : options_(BatchingOptions{std::max<size_t>(1, options.max_batch_size),
                               std::max<int64_t>(0, options.max_queue_delay_us)}),
      width_(width),
      outputs_per_row_(outputs_per_row),
      executor_(std::move(executor)),
      observer_(std::move(observer)) {
  worker_ = std::thread([this] { Work(); });
}

DynamicBatcher::~DynamicBatcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  worker_.join();
}

Status DynamicBatcher::Predict(const float* rows, size_t n_rows, float* out,
                               std::optional<Clock::time_point> deadline) {
  if (n_rows == 0) return Status::Ok();
  if (n_rows > options_.max_batch_size) {
    // Already a batch of its own: waiting would only add latency.
    if (observer_) observer_(n_rows);
    return executor_(rows, n_rows, out);
  }
  auto pending = std::make_shared<Pending>();
  pending->rows.assign(rows, rows + n_rows * width_);
  pending->n_rows = n_rows;
  std::unique_lock lock(mu_);
  pending->enqueued = Clock::now();
  queue_.push_back(pending);
  queued_rows_ += n_rows;
  // The worker sleeps until the oldest request's delay ends; wake it when this request is the
  // oldest (a new deadline) or fills a batch.
  if (queue_.size() == 1 || queued_rows_ >= options_.max_batch_size) wake_.notify_one();
  if (deadline) {
    if (!pending->finished.wait_until(lock, *deadline, [&] { return pending->done; })) {
      pending->abandoned = true;
      auto it = std::find(queue_.begin(), queue_.end(), pending);
      if (it != queue_.end()) {
        queue_.erase(it);
        queued_rows_ -= n_rows;
      }
      return Unavailable("the model did not answer within the deadline");
    }
  } else {
    pending->finished.wait(lock, [&] { return pending->done; });
  }
  RETURN_IF_ERROR(pending->status);
  std::copy(pending->outputs.begin(), pending->outputs.end(), out);
  return Status::Ok();
}

void DynamicBatcher::Work() {
  std::vector<std::shared_ptr<Pending>> batch;
  std::vector<float> inputs, outputs;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    // Wait for a full batch or the oldest request's delay, whichever comes first. The front may
    // change while waiting (a caller withdraws), so the delay is re-read each time.
    while (!stopping_ && !queue_.empty() && queued_rows_ < options_.max_batch_size) {
      auto until = queue_.front()->enqueued + std::chrono::microseconds(options_.max_queue_delay_us);
      if (Clock::now() >= until) break;
      wake_.wait_until(lock, until);
    }
    if (queue_.empty()) continue;
    batch.clear();
    size_t rows = 0;
    while (!queue_.empty() && (batch.empty() || rows + queue_.front()->n_rows <= options_.max_batch_size)) {
      rows += queue_.front()->n_rows;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    queued_rows_ -= rows;
    inputs.clear();
    for (const auto& p : batch) inputs.insert(inputs.end(), p->rows.begin(), p->rows.end());
    outputs.assign(rows * outputs_per_row_, 0.0f);
    lock.unlock();
    if (observer_) observer_(rows);
    Status st = executor_(inputs.data(), rows, outputs.data());
    lock.lock();
    size_t offset = 0;
    for (const auto& p : batch) {
      const size_t n = p->n_rows * outputs_per_row_;
      if (!p->abandoned) {
        p->status = st;
        if (st.ok()) p->outputs.assign(outputs.begin() + offset, outputs.begin() + offset + n);
      }
      offset += n;
      p->done = true;
      p->finished.notify_one();
    }
    batch.clear();
  }
}

}  // namespace plinth::serving

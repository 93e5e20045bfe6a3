#pragma once
// DynamicBatcher: gathers the requests that reach one variant and runs them through the model
// together (Triton's dynamic batch scheduler, for one model instance).
//
// A caller hands in its rows and blocks until they are predicted. Requests queue in arrival
// order; a worker thread runs the front of the queue as one batch as soon as the queued rows
// reach max_batch_size, or when the oldest queued request has waited max_queue_delay_us,
// whichever comes first. A batch holds whole requests, oldest first, up to max_batch_size rows
// (a request larger than that is run on its own, in the caller's thread). Each caller gets the
// outputs of its own rows, or the batch's error when the model fails.
//
// A caller may give a deadline: if its rows have not been predicted by then it withdraws (a
// request still queued is removed; one already in a running batch has its outputs discarded)
// and gets Unavailable. The model is never interrupted.
//
// Ownership: the batcher owns its worker thread and copies of queued rows; the executor it is
// given must stay valid for the batcher's life. The destructor runs what is still queued, then
// stops. Thread-safe: Predict may be called from any number of threads.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/status.h"

namespace plinth::serving {

struct BatchingOptions {
  size_t max_batch_size = 32;       // rows per batch, >= 1
  int64_t max_queue_delay_us = 500;  // how long the oldest request may wait for others, >= 0
};

class DynamicBatcher {
 public:
  using Clock = std::chrono::steady_clock;
  // Predicts n_rows rows (row-major, width values each) into out (n_rows * outputs_per_row).
  using Executor = std::function<Status(const float* rows, size_t n_rows, float* out)>;
  // Told the row count of every batch the model runs (for the batch-size histogram).
  using BatchObserver = std::function<void(size_t rows)>;

  DynamicBatcher(BatchingOptions options, size_t width, size_t outputs_per_row,
                 Executor executor, BatchObserver observer = nullptr);
  ~DynamicBatcher();
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  // Predicts `n_rows` rows of `width` values into `out` (n_rows * outputs_per_row values),
  // together with whatever other requests are queued. Blocks. Errors: the executor's error for
  // the batch this request ran in; Unavailable when `deadline` passed first (nothing is written).
  Status Predict(const float* rows, size_t n_rows, float* out,
                 std::optional<Clock::time_point> deadline = std::nullopt);

  const BatchingOptions& options() const { return options_; }

 private:
  struct Pending;
  void Work();

  const BatchingOptions options_;
  const size_t width_;
  const size_t outputs_per_row_;
  const Executor executor_;
  const BatchObserver observer_;

  std::mutex mu_;
  std::condition_variable wake_;                  // the worker waits on this
  std::deque<std::shared_ptr<Pending>> queue_;  // guarded by mu_, oldest first
  size_t queued_rows_ = 0;                        // guarded by mu_
  bool stopping_ = false;                         // guarded by mu_
  std::thread worker_;
};

}  // namespace plinth::serving

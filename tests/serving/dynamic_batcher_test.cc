#include "serving/dynamic_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace plinth::serving {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A model of width 2 with two outputs per row: (a + b, a * b). Records every batch's size.
struct SumModel {
  std::mutex mu;
  std::vector<size_t> batches;
  std::atomic<int> calls{0};
  Status fail = Status::Ok();

  DynamicBatcher::Executor Executor() {
    return [this](const float* rows, size_t n, float* out) -> Status {
      calls.fetch_add(1);
      {
        std::lock_guard lock(mu);
        batches.push_back(n);
      }
      if (!fail.ok()) return fail;
      for (size_t i = 0; i < n; ++i) {
        out[2 * i] = rows[2 * i] + rows[2 * i + 1];
        out[2 * i + 1] = rows[2 * i] * rows[2 * i + 1];
      }
      return Status::Ok();
    };
  }
};

TEST(DynamicBatcher, FullBatchRunsWithoutWaitingForTheDelay) {
  SumModel model;
  std::vector<size_t> observed;
  std::mutex observed_mu;
  // A delay far longer than the test: only a full batch can start the model.
  DynamicBatcher batcher({4, 10'000'000}, 2, 2, model.Executor(), [&](size_t rows) {
    std::lock_guard lock(observed_mu);
    observed.push_back(rows);
  });
  auto start = Clock::now();
  std::vector<std::thread> callers;
  std::vector<std::vector<float>> outs(4, std::vector<float>(2));
  std::vector<Status> statuses(4);
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&, i] {
      float row[2] = {static_cast<float>(i), 10.0f};
      statuses[i] = batcher.Predict(row, 1, outs[i].data());
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  ASSERT_EQ(model.batches, std::vector<size_t>{4});
  EXPECT_EQ(observed, std::vector<size_t>{4});
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].message();
    // Each caller gets its own row's outputs back.
    EXPECT_EQ(outs[i][0], i + 10.0f);
    EXPECT_EQ(outs[i][1], i * 10.0f);
  }
}

TEST(DynamicBatcher, LoneRequestRunsOnceTheDelayHasPassed) {
  SumModel model;
  DynamicBatcher batcher({64, 30'000}, 2, 2, model.Executor());
  float row[2] = {2, 3};
  float out[2] = {0, 0};
  auto start = Clock::now();
  ASSERT_TRUE(batcher.Predict(row, 1, out).ok());
  auto waited = Clock::now() - start;
  EXPECT_GE(waited, milliseconds(30));
  EXPECT_LT(waited, milliseconds(1000));
  EXPECT_EQ(out[0], 5.0f);
  EXPECT_EQ(out[1], 6.0f);
}

TEST(DynamicBatcher, RoutesEachCallersRowsBackToIt) {
  SumModel model;
  DynamicBatcher batcher({16, 2'000}, 2, 2, model.Executor());
  constexpr int kThreads = 8, kRequests = 50;
  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      for (int r = 0; r < kRequests; ++r) {
        // 1 to 3 rows per request, values unique to this caller and request.
        size_t n = 1 + (t + r) % 3;
        std::vector<float> rows, out(2 * n);
        for (size_t i = 0; i < n; ++i) {
          rows.push_back(static_cast<float>(t * 1000 + r * 10 + i));
          rows.push_back(2.0f);
        }
        if (!batcher.Predict(rows.data(), n, out.data()).ok()) {
          failed.fetch_add(1);
          continue;
        }
        for (size_t i = 0; i < n; ++i) {
          if (out[2 * i] != rows[2 * i] + 2 || out[2 * i + 1] != rows[2 * i] * 2) wrong.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  size_t rows = 0, largest = 0;
  for (size_t b : model.batches) {
    rows += b;
    largest = std::max(largest, b);
  }
  EXPECT_EQ(rows, static_cast<size_t>(kThreads) * kRequests * 2);  // mean of 1..3 rows is 2
  EXPECT_LE(largest, 16u);
  EXPECT_LT(model.batches.size(), static_cast<size_t>(kThreads * kRequests));  // some batched
}

TEST(DynamicBatcher, ModelErrorReachesEveryCallerOfTheBatch) {
  SumModel model;
  model.fail = Internal("the model broke");
  DynamicBatcher batcher({3, 10'000'000}, 2, 2, model.Executor());
  std::vector<Status> statuses(3);
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i) {
    callers.emplace_back([&, i] {
      float row[2] = {1, 1}, out[2];
      statuses[i] = batcher.Predict(row, 1, out);
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(model.calls.load(), 1);
  for (const Status& st : statuses) {
    EXPECT_EQ(st.code(), StatusCode::kInternal);
    EXPECT_EQ(st.message(), "the model broke");
  }
}

TEST(DynamicBatcher, CallerPastItsDeadlineWithdrawsAndGetsUnavailable) {
  SumModel model;
  DynamicBatcher batcher({8, 10'000'000}, 2, 2, model.Executor());
  float row[2] = {1, 1}, out[2] = {-1, -1};
  auto start = Clock::now();
  Status st = batcher.Predict(row, 1, out, start + milliseconds(20));
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  EXPECT_EQ(out[0], -1);  // nothing written
  EXPECT_EQ(model.calls.load(), 0);  // withdrawn before any batch ran it
}

TEST(DynamicBatcher, RequestLargerThanABatchRunsAlone) {
  SumModel model;
  DynamicBatcher batcher({2, 10'000'000}, 2, 2, model.Executor());
  std::vector<float> rows = {1, 2, 3, 4, 5, 6}, out(6);
  ASSERT_TRUE(batcher.Predict(rows.data(), 3, out.data()).ok());
  EXPECT_EQ(out, (std::vector<float>{3, 2, 7, 12, 11, 30}));
  EXPECT_EQ(model.batches, std::vector<size_t>{3});
}

}  // namespace
}  // namespace plinth::serving

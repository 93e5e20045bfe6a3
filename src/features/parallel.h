#pragma once
// A fork-join helper for the feature store's batch work (ingest parsing, sorting, the join's key
// ranges). Internal. Each call starts and joins its own threads: the work items here are large
// (milliseconds to seconds), so a pool would save nothing measurable.

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace plinth::features::internal {

// Runs fn(0) .. fn(n-1), fn(0) on the calling thread and the rest on new threads, and returns
// when all are done. fn must not throw.
template <typename Fn>
void ParallelFor(int n, const Fn& fn) {
  if (n <= 1) {
    if (n == 1) fn(0);
    return;
  }
  std::vector<std::thread> threads;
  threads.reserve(n - 1);
  for (int i = 1; i < n; ++i) threads.emplace_back([&fn, i] { fn(i); });
  fn(0);
  for (std::thread& t : threads) t.join();
}

// Runs fn(item, worker) for items 0 .. items-1 on `threads` threads (the calling one included,
// worker 0 .. threads-1: per-thread state can be indexed by it), each taking the lowest item none
// has taken, so items start in order and a thread the machine runs slower than the others does
// fewer of them instead of holding them all up. fn must not throw.
template <typename Fn>
void ParallelForEach(int threads, size_t items, const Fn& fn) {
  std::atomic<size_t> untaken{0};
  ParallelFor(static_cast<int>(std::min<size_t>(std::max(threads, 1), items)), [&](int worker) {
    for (size_t i = untaken++; i < items; i = untaken++) fn(i, worker);
  });
}

// How many threads to use for `work` items when `max_threads` are allowed and each thread should
// get at least `min_per_thread` items.
inline int ThreadsFor(size_t work, int max_threads, size_t min_per_thread) {
  if (max_threads <= 1 || work < 2 * min_per_thread) return 1;
  return static_cast<int>(std::min<size_t>(max_threads, work / min_per_thread));
}

}  // namespace plinth::features::internal

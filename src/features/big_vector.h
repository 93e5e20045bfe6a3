#pragma once
// BigVector<T>: std::vector for the feature store's large arrays (a batch's cells, sort keys,
// join results), with two differences that matter at millions of rows:
//   - allocations of 4 MiB and more are 2 MiB-aligned anonymous mappings advised for transparent
//     huge pages (MADV_HUGEPAGE; the kernel here defaults to "madvise"), which cuts page faults
//     512-fold and keeps random access (sorting, gathering rows) from missing the TLB; freed
//     ones are kept for the next large array of the process, within limits (mapping_cache.h);
//   - resize() leaves new elements of trivial types uninitialized (default-initialization), so
//     the threads that fill an array also take its first-touch page faults, in parallel.
// Code that needs zeros writes them. Not thread-safe (like std::vector).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "features/mapping_cache.h"

namespace plinth::features {

namespace internal {

inline constexpr size_t kHugeThreshold = size_t{4} << 20;

template <typename T>
class BigAllocator {
 public:
  using value_type = T;

  BigAllocator() = default;
  template <typename U>
  BigAllocator(const BigAllocator<U>&) {}  // NOLINT: rebinding

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugeThreshold) return std::allocator<T>().allocate(n);
    void* p = AcquireMapping(RoundUp(bytes));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }

  void deallocate(T* p, size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugeThreshold) {
      std::allocator<T>().deallocate(p, n);
      return;
    }
    ReleaseMapping(p, RoundUp(bytes));
  }

  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    if constexpr (sizeof...(Args) == 0) {
      ::new (static_cast<void*>(p)) U;  // default-init: no zeroing for trivial types
    } else {
      ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
  }

  template <typename U>
  bool operator==(const BigAllocator<U>&) const {
    return true;
  }

 private:
  static size_t RoundUp(size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }
};

}  // namespace internal

template <typename T>
using BigVector = std::vector<T, internal::BigAllocator<T>>;

}  // namespace plinth::features

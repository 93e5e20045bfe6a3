#include "features/mapping_cache.h"

#include <sys/mman.h>

#include <cstdint>
#include <iterator>
#include <map>
#include <algorithm>
#include <mutex>

namespace plinth::features::internal {

namespace {

struct Cache {
  std::mutex mu;
  // Kept ranges by address, never adjacent (a released range merges with its neighbours, so the
  // pieces of a split mapping come back together).
  std::map<char*, size_t> kept;  // GUARDED_BY(mu)
  size_t bytes = 0;              // GUARDED_BY(mu)
};

Cache& TheCache() {
  static Cache* cache = new Cache();  // never destroyed: arrays may be freed during exit
  return *cache;
}

void* MapFresh(size_t len) {
  void* raw = ::mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  // Keep the 2 MiB-aligned part; give back the slack on both sides.
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) ::munmap(raw, aligned - start);
  const uintptr_t tail = aligned + len;
  const uintptr_t end = start + len + kHugePage;
  if (end > tail) ::munmap(reinterpret_cast<void*>(tail), end - tail);
  ::madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

// Moves the pages of [from, from + len) to `to` (both kHugePage-aligned, len a multiple of it) and
// returns how many bytes moved. A kept range may span several mappings (released neighbours merge
// in the cache, not always in the kernel), and older kernels' mremap moves one mapping only
// (EFAULT otherwise; the 6.18 kernel here moves several): then the range moves kHugePage at a
// time, which never crosses a mapping's bound (every mapping here starts and ends on a kHugePage
// multiple). Stops at the first move that fails.
size_t MovePages(char* from, size_t len, char* to) {
  constexpr int kFlags = MREMAP_MAYMOVE | MREMAP_FIXED;
  if (::mremap(from, len, len, kFlags, to) != MAP_FAILED) return len;
  size_t moved = 0;
  while (moved < len &&
         ::mremap(from + moved, kHugePage, kHugePage, kFlags, to + moved) != MAP_FAILED) {
    moved += kHugePage;
  }
  return moved;
}

void DrainLocked(Cache& c) {
  for (const auto& [p, len] : c.kept) ::munmap(p, len);
  c.kept.clear();
  c.bytes = 0;
}

}  // namespace

void* AcquireMapping(size_t len) {
  Cache& c = TheCache();
  std::lock_guard<std::mutex> lock(c.mu);
  auto best = c.kept.end();
  for (auto it = c.kept.begin(); it != c.kept.end(); ++it) {
    if (it->second >= len && (best == c.kept.end() || it->second < best->second)) best = it;
  }
  if (best != c.kept.end()) {
    char* p = best->first;
    const size_t rest = best->second - len;
    c.kept.erase(best);
    if (rest > 0) c.kept.emplace(p + len, rest);
    c.bytes -= len;
    return p;
  }
  // No kept range is large enough: map a fresh range and move kept ranges into it, largest
  // first, until it is full or nothing is kept. mremap moves page tables, not bytes (and keeps
  // huge pages: every range is 2 MiB-aligned), so only the rest of the range is fresh memory.
  char* out = static_cast<char*>(MapFresh(len));
  if (out == nullptr) return nullptr;
  size_t filled = 0;
  while (filled < len && !c.kept.empty()) {
    auto largest = c.kept.begin();
    for (auto it = c.kept.begin(); it != c.kept.end(); ++it) {
      if (it->second > largest->second) largest = it;
    }
    char* const from = largest->first;
    const size_t take = std::min(len - filled, largest->second);
    const size_t moved = MovePages(from, take, out + filled);
    const size_t left = largest->second - moved;
    c.kept.erase(largest);
    if (left > 0) c.kept.emplace(from + moved, left);
    c.bytes -= moved;
    filled += moved;
    if (moved < take) break;  // the rest stays fresh (a failed mremap leaves both sides as they were)
  }
  return out;
}

void ReleaseMapping(void* mapping, size_t len) {
  char* p = static_cast<char*>(mapping);
  Cache& c = TheCache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.bytes + len <= kMappingCacheBytes) {
      c.bytes += len;
      auto next = c.kept.lower_bound(p);
      if (next != c.kept.end() && p + len == next->first) {
        len += next->second;
        next = c.kept.erase(next);
      }
      if (next != c.kept.begin()) {
        auto prev = std::prev(next);
        if (prev->first + prev->second == p) {
          prev->second += len;
          return;
        }
      }
      c.kept.emplace_hint(next, p, len);
      return;
    }
  }
  ::munmap(p, len);
}

void DrainMappingCache() {
  Cache& c = TheCache();
  std::lock_guard<std::mutex> lock(c.mu);
  DrainLocked(c);
}

size_t CachedMappingBytes() {
  Cache& c = TheCache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.bytes;
}

}  // namespace plinth::features::internal

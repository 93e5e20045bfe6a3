#include "features/mapping_cache.h"

#include <sys/mman.h>

#include <cstdint>
#include <mutex>
#include <vector>

namespace plinth::features::internal {

namespace {

struct Kept {
  char* p;
  size_t len;
};

struct Cache {
  std::mutex mu;
  std::vector<Kept> kept;  // GUARDED_BY(mu)
  size_t bytes = 0;        // GUARDED_BY(mu)
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

void DrainLocked(Cache& c) {
  for (const Kept& k : c.kept) ::munmap(k.p, k.len);
  c.kept.clear();
  c.bytes = 0;
}

}  // namespace

void* AcquireMapping(size_t len) {
  Cache& c = TheCache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    size_t best = c.kept.size();
    for (size_t i = 0; i < c.kept.size(); ++i) {
      if (c.kept[i].len >= len && (best == c.kept.size() || c.kept[i].len < c.kept[best].len)) {
        best = i;
      }
    }
    if (best < c.kept.size()) {
      Kept k = c.kept[best];
      c.bytes -= len;
      if (k.len > len) {
        c.kept[best] = {k.p + len, k.len - len};
      } else {
        c.kept.erase(c.kept.begin() + static_cast<std::ptrdiff_t>(best));
      }
      return k.p;
    }
    DrainLocked(c);
  }
  return MapFresh(len);
}

void ReleaseMapping(void* p, size_t len) {
  Cache& c = TheCache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.bytes + len <= kMappingCacheBytes) {
      c.kept.push_back({static_cast<char*>(p), len});
      c.bytes += len;
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

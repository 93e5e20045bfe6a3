#pragma once
// The large-array mappings of the feature store (BigVector's 2 MiB-aligned, huge-page advised
// anonymous mappings), with freed ones kept for reuse. Internal.
//
// Why: the first touch of fresh anonymous memory costs a page fault and the kernel zeroing the
// page, and on a virtual machine often a fault in the host too; for the hundreds of MB an ingest
// or a join uses, that was a fifth of their time. An ingest frees its batch just before a join
// (or the next ingest) needs similar arrays, so handing those pages over saves the faults.
//
// The contract, which keeps the resident set from growing through the cache:
//   - Release keeps a freed mapping when the cache would then hold at most kMappingCacheBytes,
//     else unmaps it;
//   - Acquire takes the smallest kept range that is large enough (splitting off and keeping the
//     rest; released ranges merge with adjacent kept ones); when none is, it maps a fresh range
//     of the size asked for and moves kept ranges into it (mremap: their pages move, nothing is
//     copied), largest first, until it is full or nothing is kept. Only the rest is fresh memory:
//     an array larger than any one freed array still reuses their pages.
// So live + kept bytes grow only while nothing is kept, that is only as far as the live arrays
// alone would: the cache never raises the peak resident set (beyond, at most, the untouched tail
// of a reused range).
// A reused mapping holds whatever its last user wrote (BigVector's resize does not zero trivial
// types either way; code that needs zeros writes them).
//
// Lengths are multiples of kHugePage; addresses are kHugePage-aligned. Thread-safe.

#include <cstddef>

namespace plinth::features::internal {

inline constexpr size_t kHugePage = size_t{2} << 20;
inline constexpr size_t kMappingCacheBytes = size_t{256} << 20;

// `len` bytes (a multiple of kHugePage) of read-write memory, or nullptr when mmap fails.
void* AcquireMapping(size_t len);
// Gives back a mapping from AcquireMapping (or any kHugePage-aligned part of one).
void ReleaseMapping(void* p, size_t len);
// Unmaps every kept mapping (tests; a caller that knows memory is needed elsewhere).
void DrainMappingCache();
// Bytes kept now.
size_t CachedMappingBytes();

}  // namespace plinth::features::internal

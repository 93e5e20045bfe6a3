#pragma once
// Sorting rows by (entity key, event time, row number), shared by the segment build and the join.
// Internal to the feature store.
//
// When every key is the same length of at most 8 bytes (one int join key, or short fixed
// strings), the key is its 8-byte prefix. When those prefixes span few values (at most 2n, or
// 65,536), a stable counting sort groups the rows by key in two linear passes and each key's few
// rows are then sorted by (time, row). Otherwise, when the bits that vary among the prefixes plus
// the bits of the time range fit in 64, each row gets one 64-bit code ((prefix - min) << time
// bits | (time - min)) and a stable LSD radix sort orders the rows in a few linear passes. Rows
// with equal codes keep their input order, which is the row-number tie-break. Otherwise std::sort
// runs with the full comparison, split over threads and merged.

#include <cstddef>
#include <cstdint>

#include "features/big_vector.h"

namespace plinth::features::internal {

// Where row r's entity key is: key_bytes[offsets[r], offsets[r + 1]), or, when `width` is not 0
// (every key has that length; offsets may then be null), key_bytes[r * width, (r + 1) * width).
struct RowKeyBytes {
  const char* bytes = nullptr;
  const uint64_t* offsets = nullptr;
  size_t width = 0;

  const char* Data(uint32_t r) const { return bytes + (width ? r * width : offsets[r]); }
  size_t Size(uint32_t r) const { return width ? width : offsets[r + 1] - offsets[r]; }
};

// Sorts `rows` (row numbers, ascending on entry) by (key, time, row), where row r's key is
// keys.Data(r)/Size(r) and its time times[r]. `sorted_times` gets the times in sorted order
// ((*sorted_times)[i] == times[(*rows)[i]]): the bucket sort has them at hand, and callers that
// walk the sorted rows then read times in sequence instead of row by row at random.
void SortRows(BigVector<uint32_t>* rows, const RowKeyBytes& keys, const int64_t* times,
              int threads, BigVector<int64_t>* sorted_times);

}  // namespace plinth::features::internal

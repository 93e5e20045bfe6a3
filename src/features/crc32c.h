#pragma once
// CRC-32C (Castagnoli), the checksum of segment chunks. Uses the SSE 4.2 crc32 instruction when
// the CPU has it (about 10 GB/s, so checking every chunk read costs little) and a table
// otherwise. Internal to the feature store. Thread-safe.

#include <cstddef>
#include <cstdint>

namespace plinth::features::internal {

uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

}  // namespace plinth::features::internal

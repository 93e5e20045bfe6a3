#pragma once
// Segments: the files of the offline store. A segment is immutable and holds rows of one feature
// view sorted by (entity key, event time), with at most one row per (entity key, event time), in
// columnar blocks of up to 65,536 rows. Internal to the feature store; docs/feature-store.md
// describes the format byte by byte.
//
//   block 0 .. block n-1      each: chunks, 8-byte aligned:
//                               key offsets (u32 x rows+1; empty when every key of the block has
//                               the same length), key bytes, event times (a value chunk), then per
//                               column: validity bitmap (empty when no value is null), values (a
//                               value chunk), and for string columns the string bytes (values
//                               are offset << 24 | length)
//   footer                    JSON: schema, and per block its rows, key width, first and last
//                             entity key, min and max event time, and each chunk's offset,
//                             length and CRC-32C
//   trailer (24 bytes)        u64 footer offset, u32 footer length, u32 footer CRC-32C,
//                             "PLFSEG02"
//
// A value chunk is a 16-byte header (u8 codec, u8 bits, u8 decimals, 5 zero bytes, i64 base) and
// then either the 8-byte values as they are (codec 0) or, codec 1, each value minus `base`
// bit-packed in `bits` bits (frame of reference). Float columns whose values are all exact
// decimals with at most 9 places (every double x with x == double(m) / 10^d for an integer m,
// checked value by value when the block is written) are packed as the integers m with
// `decimals` = d and read back as m / 10^d, which gives the same double bit for bit; other floats
// are stored plain. The join decodes only the values of the rows it matches.
//
// A reader reads the footer once and then only the chunks a join needs (keys, times and the
// requested columns of the blocks in the requested key range), so memory stays at a few blocks
// whatever the segment's size. Every chunk read is checked against its CRC (Internal on
// mismatch).
//
// SegmentWriter is used by one thread; SegmentReader is thread-safe (pread on one descriptor).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "features/types.h"

namespace plinth::features {

inline constexpr size_t kDefaultBlockRows = 65536;

struct SegmentColumn {
  std::string name;
  ValueType type = ValueType::kFloat;
  bool operator==(const SegmentColumn&) const = default;
};

struct SegmentSchema {
  std::vector<JoinKey> join_keys;
  std::vector<SegmentColumn> columns;
  bool operator==(const SegmentSchema&) const = default;

  // The index of column `name` with type `type`, or -1.
  int Find(std::string_view name, ValueType type) const;
};

inline constexpr uint8_t kNoDecimals = 0xff;
inline constexpr uint8_t kMaxDecimals = 9;

// The double a decimal-coded float decodes to: m / 10^decimals, one correctly rounded division
// (decimals <= kMaxDecimals).
inline double DecimalValue(int64_t m, uint8_t decimals) {
  constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
  return static_cast<double>(m) / kPow10[decimals];
}

// How a value chunk is stored (see above).
struct ValueCodec {
  uint8_t kind = 0;  // 0: plain; 1: frame of reference, bit-packed
  uint8_t bits = 0;
  uint8_t decimals = kNoDecimals;
  int64_t base = 0;
};

struct BlockColumn {
  // Built blocks: one plain value per row (codec.kind 0). Read blocks: the chunk's words as
  // stored, decoded one value at a time by Get().
  std::vector<uint64_t> values;
  ValueCodec codec;
  std::vector<uint8_t> valid_bits;  // empty: every value is present
  std::string strings;              // string columns only
  // Built float columns, optional: when not kNoDecimals (and at most kMaxDecimals), the fewest
  // decimal places that write every present value exactly, as the reader that parsed the values
  // knew them (ParseFloatPrefix's `places`). EncodeBlock then scales by 10^known_decimals
  // instead of searching for the places; the encoding is the same.
  uint8_t known_decimals = kNoDecimals;

  bool Valid(size_t i) const {
    return valid_bits.empty() || ((valid_bits[i >> 3] >> (i & 7)) & 1);
  }
  uint64_t Get(size_t i) const { return codec.kind == 0 ? values[i] : Unpack(i); }
  // True when the column's values are stored as decimals (a float chunk of codec 1): value i is
  // DecimalValue(DecimalMantissa(i), codec.decimals), bit for bit what Get(i) returns.
  bool IsDecimal() const { return codec.kind == 1 && codec.decimals <= kMaxDecimals; }
  int64_t DecimalMantissa(size_t i) const { return static_cast<int64_t>(UnpackRaw(i)); }
  std::string_view String(size_t i) const {
    uint64_t v = Get(i);
    return std::string_view(strings).substr(v >> 24, v & 0xffffff);
  }
  uint64_t Unpack(size_t i) const;
  // base + the packed bits of value i (codec 1), before any decimal scaling. Inline: the join
  // calls it for every row of every block it reads.
  uint64_t UnpackRaw(size_t i) const {
    const unsigned b = codec.bits;
    uint64_t u = 0;
    if (b != 0) {
      const size_t bitpos = i * b;
      const size_t w = bitpos >> 6;
      const unsigned off = bitpos & 63;
      u = values[w] >> off;
      if (off + b > 64) u |= values[w + 1] << (64 - off);
      if (b < 64) u &= (uint64_t{1} << b) - 1;
    }
    return static_cast<uint64_t>(codec.base) + u;
  }
};

// One block's rows in memory, as read or as being built.
struct Block {
  size_t rows = 0;
  uint32_t key_width = 0;                // read blocks: every key has this length (0: see offsets)
  std::vector<uint32_t> key_offsets{0};  // rows + 1, when key_width is 0
  std::string key_bytes;
  std::vector<int64_t> ts;
  std::vector<BlockColumn> columns;  // per schema column; empty when not read

  std::string_view Key(size_t i) const {
    if (key_width != 0) return std::string_view(key_bytes.data() + i * key_width, key_width);
    return std::string_view(key_bytes).substr(key_offsets[i], key_offsets[i + 1] - key_offsets[i]);
  }
  // Empties the block for `ncols` columns, keeping capacity.
  void Reset(size_t ncols);
  // Appends row `r` of `src`, whose columns map to this block's by position.
  void AppendRow(const Block& src, size_t r, const std::vector<ValueType>& types);
};

struct ChunkRef {
  uint64_t offset = 0;  // from the start of the file
  uint64_t length = 0;
  uint32_t crc = 0;
};

struct BlockMeta {
  uint64_t rows = 0;
  uint32_t key_width = 0;  // 0: keys of different lengths (the offsets chunk is present)
  std::string first_key, last_key;
  int64_t min_ts = 0, max_ts = 0;
  // key offsets, key bytes, times, then per column: validity, values, (string bytes).
  std::vector<ChunkRef> chunks;
};

// A block encoded for writing: its bytes and its meta with offsets relative to the block start.
struct EncodedBlock {
  std::string bytes;
  BlockMeta meta;
};

// Encodes `block` (every column read) for `schema`. Pure; call from any thread.
EncodedBlock EncodeBlock(const SegmentSchema& schema, const Block& block);

class SegmentWriter {
 public:
  // Creates `path` (which must not exist) for writing.
  static Result<std::unique_ptr<SegmentWriter>> Create(const std::string& path,
                                                       SegmentSchema schema);
  ~SegmentWriter();
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // Appends a block whose rows follow every row appended so far in (key, time) order.
  Status Append(EncodedBlock block);
  // Writes the footer, fsyncs and closes the file. The writer may not be used afterwards.
  Status Finish();

  uint64_t rows() const { return rows_; }
  uint64_t bytes() const { return offset_; }
  const SegmentSchema& schema() const { return schema_; }

 private:
  SegmentWriter(std::string path, int fd, SegmentSchema schema)
      : path_(std::move(path)), fd_(fd), schema_(std::move(schema)) {}

  std::string path_;
  int fd_;
  SegmentSchema schema_;
  uint64_t offset_ = 0;
  uint64_t rows_ = 0;
  std::vector<BlockMeta> blocks_;
};

class SegmentReader {
 public:
  static Result<std::unique_ptr<SegmentReader>> Open(const std::string& path);
  ~SegmentReader();
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;

  const SegmentSchema& schema() const { return schema_; }
  uint64_t rows() const { return rows_; }
  uint64_t file_bytes() const { return file_bytes_; }
  const std::vector<BlockMeta>& blocks() const { return blocks_; }
  const std::string& path() const { return path_; }

  // Reads block `i` into `out`: keys and times always, and column c when want[c]. Internal on an
  // I/O error, a short read or a checksum mismatch.
  Status ReadBlock(size_t i, const std::vector<bool>& want, Block* out) const;

 private:
  SegmentReader() = default;
  Status ReadChunk(const ChunkRef& chunk, void* dst) const;
  // Reads a value chunk: its header into `codec`, its words into `words`.
  Status ReadValueChunk(const ChunkRef& chunk, size_t rows, ValueCodec* codec,
                        std::vector<uint64_t>* words) const;

  std::string path_;
  int fd_ = -1;
  SegmentSchema schema_;
  uint64_t rows_ = 0;
  uint64_t file_bytes_ = 0;
  std::vector<BlockMeta> blocks_;
};

}  // namespace plinth::features

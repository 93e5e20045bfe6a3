#include "features/segment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "common/json_util.h"
#include "features/crc32c.h"
#include "features/file_util.h"

namespace plinth::features {

using internal::Crc32c;

namespace {

constexpr char kMagic[8] = {'P', 'L', 'F', 'S', 'E', 'G', '0', '2'};
constexpr size_t kTrailerSize = 24;
constexpr int kFormatVersion = 1;

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

bool Unhex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

void PutU32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
void PutU64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }

// Chunks per column: validity, values, and string bytes for strings.
size_t ChunksOf(ValueType t) { return t == ValueType::kString ? 3 : 2; }

}  // namespace

int SegmentSchema::Find(std::string_view name, ValueType type) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name && columns[i].type == type) return static_cast<int>(i);
  }
  return -1;
}

constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
constexpr size_t kValueHeader = 16;

uint64_t BlockColumn::Unpack(size_t i) const {
  const uint64_t v = UnpackRaw(i);
  if (codec.decimals == kNoDecimals) return v;
  double d = DecimalValue(static_cast<int64_t>(v), codec.decimals);
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  return bits;
}

void Block::Reset(size_t ncols) {
  rows = 0;
  key_width = 0;
  key_offsets.assign(1, 0);
  key_bytes.clear();
  ts.clear();
  columns.resize(ncols);
  for (BlockColumn& c : columns) {
    c.values.clear();
    c.codec = ValueCodec();
    c.valid_bits.clear();
    c.strings.clear();
    c.known_decimals = kNoDecimals;
  }
}

void Block::AppendRow(const Block& src, size_t r, const std::vector<ValueType>& types) {
  key_bytes.append(src.Key(r));
  key_offsets.push_back(static_cast<uint32_t>(key_bytes.size()));
  ts.push_back(src.ts[r]);
  const size_t i = rows;
  for (size_t c = 0; c < columns.size(); ++c) {
    BlockColumn& dst = columns[c];
    const BlockColumn& from = src.columns[c];
    if ((i & 7) == 0) dst.valid_bits.push_back(0);
    bool valid = from.Valid(r);
    if (valid) dst.valid_bits.back() |= static_cast<uint8_t>(1u << (i & 7));
    if (types[c] == ValueType::kString) {
      std::string_view s = valid ? from.String(r) : std::string_view();
      dst.values.push_back((static_cast<uint64_t>(dst.strings.size()) << 24) | s.size());
      dst.strings.append(s);
    } else {
      dst.values.push_back(valid ? from.Get(r) : 0);
    }
  }
  ++rows;
}

namespace {

bool AllValid(const std::vector<uint8_t>& bits, size_t rows) {
  for (size_t i = 0; i < rows / 8; ++i) {
    if (bits[i] != 0xff) return false;
  }
  for (size_t i = rows / 8 * 8; i < rows; ++i) {
    if (!((bits[i >> 3] >> (i & 7)) & 1)) return false;
  }
  return true;
}

// Rounds to the nearest integer (ties to even) for |x| < 2^51 without a libm call: adding and
// subtracting 1.5 * 2^52 leaves no fraction bits (default rounding mode; no -ffast-math here).
inline double RoundInt(double x) {
  constexpr double kMagic = 6755399441055744.0;
  return (x + kMagic) - kMagic;
}
constexpr double kMaxDecimalMantissa = 2251799813685248.0;  // 2^51

// Whether x == m / 10^d for m = the integer nearest x * 10^d, which is then written to *m.
inline bool IsDecimal(double x, int d, double* m) {
  double scaled = x * kPow10[d];
  if (!(std::fabs(scaled) < kMaxDecimalMantissa)) return false;
  *m = RoundInt(scaled);
  double back = *m / kPow10[d];
  return std::memcmp(&back, &x, sizeof(x)) == 0;
}

// The integers m with v[i] == m / 10^places, for every valid i, into ints; false when one does
// not fit the decimal codec (|m| >= 2^51). `places` must be the fewest places that write every
// value exactly (BlockColumn::known_decimals): then m is the value scaled and rounded, as
// IsDecimal finds it, without checking it by dividing back.
template <typename ValidFn>
bool ScaleKnownDecimals(const uint64_t* v, size_t n, int places, const ValidFn& valid,
                        int64_t* ints) {
  const double scale = kPow10[places];
  for (size_t i = 0; i < n; ++i) {
    if (!valid(i)) continue;
    double x;
    std::memcpy(&x, &v[i], sizeof(x));
    const double scaled = x * scale;
    if (!(std::fabs(scaled) < kMaxDecimalMantissa)) return false;
    ints[i] = static_cast<int64_t>(RoundInt(scaled));
  }
  return true;
}

// Appends a value chunk for n values (v[i] matters only where valid(i)). For floats,
// `known_places` is BlockColumn::known_decimals.
template <typename ValidFn>
void EncodeValues(const uint64_t* v, size_t n, bool is_float, bool is_signed, const ValidFn& valid,
                  std::string* out, uint8_t known_places = kNoDecimals) {
  ValueCodec codec;
  // The integers to pack (floats as decimals), in a per-thread scratch array: a block build
  // encodes a dozen chunks and a segment build hundreds, and fresh zeroed arrays cost page faults
  // and memsets each time. Entries of null values are never read.
  thread_local std::vector<int64_t> ints;
  bool packable = true;
  if (is_float && known_places <= kMaxDecimals) {
    if (ints.size() < n) ints.resize(n);
    codec.decimals = known_places;
    packable = ScaleKnownDecimals(v, n, known_places, valid, ints.data());
    if (!packable) known_places = kNoDecimals;  // search instead, as for any other floats
  }
  if (is_float && known_places > kMaxDecimals) {
    packable = true;
    // The fewest decimals that every value is exact with: start from 0 and go up when a value
    // needs more (rare after the first few values), converting from the start again.
    if (ints.size() < n) ints.resize(n);
    int d = 0;
    for (size_t i = 0; i < n;) {
      if (!valid(i)) {
        ++i;
        continue;
      }
      double x, m;
      std::memcpy(&x, &v[i], sizeof(x));
      if (IsDecimal(x, d, &m)) {
        ints[i++] = static_cast<int64_t>(m);
        continue;
      }
      int more = d + 1;
      while (more <= 9 && !IsDecimal(x, more, &m)) ++more;
      if (more > 9) {
        packable = false;
        break;
      }
      d = more;
      i = 0;
    }
    codec.decimals = static_cast<uint8_t>(d);
  }
  const int64_t* src = is_float ? ints.data() : reinterpret_cast<const int64_t*>(v);
  int64_t lo = 0, hi = 0;
  bool any = false;
  if (packable) {
    for (size_t i = 0; i < n; ++i) {
      if (!valid(i)) continue;
      int64_t x = is_signed || is_float ? src[i] : static_cast<int64_t>(v[i]);
      if (!any) {
        lo = hi = x;
        any = true;
      }
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    unsigned bits = range == 0 ? 0 : 64 - __builtin_clzll(range);
    packable = bits < 48;  // wider packs save little
    codec.bits = static_cast<uint8_t>(bits);
    codec.base = lo;
  }
  char header[kValueHeader] = {};
  if (!packable) {
    out->append(header, kValueHeader);
    out->append(reinterpret_cast<const char*>(v), n * 8);
    return;
  }
  codec.kind = 1;
  header[0] = static_cast<char>(codec.kind);
  header[1] = static_cast<char>(codec.bits);
  header[2] = static_cast<char>(codec.decimals);
  std::memcpy(header + 8, &codec.base, 8);
  out->append(header, kValueHeader);
  const unsigned b = codec.bits;
  const size_t nwords = b == 0 ? 0 : (n * b + 63) / 64 + 1;  // +1: Unpack may read one past
  size_t at = out->size();
  out->resize(at + nwords * 8, '\0');
  if (b == 0) return;
  thread_local std::vector<uint64_t> words;  // per-thread scratch, as `ints`
  words.assign(nwords, 0);
  for (size_t i = 0; i < n; ++i) {
    uint64_t u = valid(i) ? static_cast<uint64_t>(src[i]) - static_cast<uint64_t>(lo) : 0;
    const size_t bitpos = i * b;
    const size_t w = bitpos >> 6;
    const unsigned off = bitpos & 63;
    words[w] |= u << off;
    if (off + b > 64) words[w + 1] |= u >> (64 - off);
  }
  std::memcpy(out->data() + at, words.data(), nwords * 8);
}

}  // namespace

EncodedBlock EncodeBlock(const SegmentSchema& schema, const Block& block) {
  EncodedBlock eb;
  std::string& out = eb.bytes;
  const size_t n = block.rows;
  size_t estimate = (n + 1) * 4 + block.key_bytes.size() + n * 8 + 64;
  for (const BlockColumn& c : block.columns) {
    estimate += c.values.size() * 8 + c.valid_bits.size() + c.strings.size() + 48;
  }
  out.reserve(estimate);
  size_t chunk_start = 0;
  auto begin_chunk = [&] {
    while (out.size() % 8 != 0) out.push_back('\0');
    chunk_start = out.size();
  };
  auto end_chunk = [&] {
    size_t len = out.size() - chunk_start;
    eb.meta.chunks.push_back({chunk_start, len, Crc32c(out.data() + chunk_start, len)});
  };
  auto add = [&](const void* p, size_t len) {
    begin_chunk();
    out.append(static_cast<const char*>(p), len);
    end_chunk();
  };
  // Keys: no offsets when every key has the same length.
  uint32_t width = n > 0 ? block.key_offsets[1] - block.key_offsets[0] : 0;
  for (size_t i = 1; i < n && width != 0; ++i) {
    if (block.key_offsets[i + 1] - block.key_offsets[i] != width) width = 0;
  }
  eb.meta.key_width = width;
  if (width != 0) {
    add(nullptr, 0);
  } else {
    add(block.key_offsets.data(), (n + 1) * 4);
  }
  add(block.key_bytes.data(), block.key_bytes.size());
  begin_chunk();
  EncodeValues(reinterpret_cast<const uint64_t*>(block.ts.data()), n, false, true,
               [](size_t) { return true; }, &out);
  end_chunk();
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const BlockColumn& col = block.columns[c];
    const ValueType type = schema.columns[c].type;
    const bool all_valid = AllValid(col.valid_bits, n);
    if (all_valid) {
      add(nullptr, 0);
    } else {
      add(col.valid_bits.data(), col.valid_bits.size());
    }
    begin_chunk();
    EncodeValues(col.values.data(), n, type == ValueType::kFloat,
                 type == ValueType::kInt || type == ValueType::kFloat,
                 [&col](size_t i) { return col.Valid(i); }, &out, col.known_decimals);
    end_chunk();
    if (type == ValueType::kString) add(col.strings.data(), col.strings.size());
  }
  while (out.size() % 8 != 0) out.push_back('\0');
  eb.meta.rows = n;
  if (n > 0) {
    eb.meta.first_key = std::string(block.Key(0));
    eb.meta.last_key = std::string(block.Key(n - 1));
    int64_t lo = block.ts[0], hi = block.ts[0];
    for (int64_t t : block.ts) {
      lo = t < lo ? t : lo;
      hi = t > hi ? t : hi;
    }
    eb.meta.min_ts = lo;
    eb.meta.max_ts = hi;
  }
  return eb;
}

// ---------------------------------------------------------------------------------------------
// Writer

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Create(const std::string& path,
                                                             SegmentSchema schema) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Internal("creating '" + path + "' failed: " + internal::ErrnoText(errno));
  return std::unique_ptr<SegmentWriter>(new SegmentWriter(path, fd, std::move(schema)));
}

SegmentWriter::~SegmentWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status SegmentWriter::Append(EncodedBlock block) {
  if (block.meta.rows == 0) return Status::Ok();
  for (ChunkRef& c : block.meta.chunks) c.offset += offset_;
  RETURN_IF_ERROR(internal::WriteAll(fd_, block.bytes.data(), block.bytes.size(), path_));
  // Start writing the block back now (asynchronously), so that Finish's fsync, which still makes
  // the whole file durable, finds little left to do. Advisory: an error here is Finish's to see.
  ::sync_file_range(fd_, static_cast<off_t>(offset_), static_cast<off_t>(block.bytes.size()),
                    SYNC_FILE_RANGE_WRITE);
  offset_ += block.bytes.size();
  rows_ += block.meta.rows;
  blocks_.push_back(std::move(block.meta));
  return Status::Ok();
}

Status SegmentWriter::Finish() {
  Json keys = Json::array();
  for (const JoinKey& k : schema_.join_keys) {
    keys.push_back({{"name", k.name}, {"type", ValueTypeName(k.type)}});
  }
  Json cols = Json::array();
  for (const SegmentColumn& c : schema_.columns) {
    cols.push_back({{"name", c.name}, {"type", ValueTypeName(c.type)}});
  }
  Json blocks = Json::array();
  for (const BlockMeta& b : blocks_) {
    Json chunks = Json::array();
    for (const ChunkRef& c : b.chunks) chunks.push_back({c.offset, c.length, c.crc});
    blocks.push_back({{"rows", b.rows},
                      {"key_width", b.key_width},
                      {"first_key", Hex(b.first_key)},
                      {"last_key", Hex(b.last_key)},
                      {"min_ts", b.min_ts},
                      {"max_ts", b.max_ts},
                      {"chunks", std::move(chunks)}});
  }
  Json footer = {{"format", kFormatVersion},
                 {"rows", rows_},
                 {"join_keys", std::move(keys)},
                 {"columns", std::move(cols)},
                 {"blocks", std::move(blocks)}};
  std::string text = footer.dump();
  char trailer[kTrailerSize];
  PutU64(trailer, offset_);
  PutU32(trailer + 8, static_cast<uint32_t>(text.size()));
  PutU32(trailer + 12, Crc32c(text.data(), text.size()));
  std::memcpy(trailer + 16, kMagic, 8);
  text.append(trailer, kTrailerSize);
  RETURN_IF_ERROR(internal::WriteAll(fd_, text.data(), text.size(), path_));
  offset_ += text.size();
  RETURN_IF_ERROR(internal::FsyncFd(fd_, path_));
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return Internal("closing '" + path_ + "' failed: " + internal::ErrnoText(errno));
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Reader

Result<std::unique_ptr<SegmentReader>> SegmentReader::Open(const std::string& path) {
  std::unique_ptr<SegmentReader> r(new SegmentReader());
  r->path_ = path;
  r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) return Internal("opening '" + path + "' failed: " + internal::ErrnoText(errno));
  struct stat st;
  if (::fstat(r->fd_, &st) != 0) return Internal("stat of '" + path + "' failed");
  r->file_bytes_ = static_cast<uint64_t>(st.st_size);
  auto corrupt = [&](const std::string& why) {
    return Internal("segment '" + path + "' is corrupt: " + why);
  };
  if (r->file_bytes_ < kTrailerSize) return corrupt("shorter than its trailer");
  char trailer[kTrailerSize];
  RETURN_IF_ERROR(
      internal::PreadAll(r->fd_, trailer, kTrailerSize, r->file_bytes_ - kTrailerSize, path));
  if (std::memcmp(trailer + 16, kMagic, 8) != 0) return corrupt("bad magic");
  uint64_t footer_offset;
  uint32_t footer_len, footer_crc;
  std::memcpy(&footer_offset, trailer, 8);
  std::memcpy(&footer_len, trailer + 8, 4);
  std::memcpy(&footer_crc, trailer + 12, 4);
  if (footer_offset + footer_len + kTrailerSize != r->file_bytes_) return corrupt("bad footer size");
  std::string text(footer_len, '\0');
  RETURN_IF_ERROR(internal::PreadAll(r->fd_, text.data(), footer_len, footer_offset, path));
  if (Crc32c(text.data(), text.size()) != footer_crc) return corrupt("footer checksum mismatch");
  Json footer = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (footer.is_discarded() || !footer.is_object()) return corrupt("footer is not JSON");
  try {
    if (footer.at("format").get<int>() != kFormatVersion) return corrupt("unknown format version");
    r->rows_ = footer.at("rows").get<uint64_t>();
    for (const Json& k : footer.at("join_keys")) {
      auto t = ParseValueType(k.at("type").get<std::string>());
      if (!t) return corrupt("unknown join key type");
      r->schema_.join_keys.push_back({k.at("name").get<std::string>(), *t});
    }
    size_t nchunks = 3;
    for (const Json& c : footer.at("columns")) {
      auto t = ParseValueType(c.at("type").get<std::string>());
      if (!t) return corrupt("unknown column type");
      r->schema_.columns.push_back({c.at("name").get<std::string>(), *t});
      nchunks += ChunksOf(*t);
    }
    uint64_t total = 0;
    for (const Json& b : footer.at("blocks")) {
      BlockMeta m;
      m.rows = b.at("rows").get<uint64_t>();
      m.key_width = b.at("key_width").get<uint32_t>();
      if (!Unhex(b.at("first_key").get<std::string>(), &m.first_key) ||
          !Unhex(b.at("last_key").get<std::string>(), &m.last_key)) {
        return corrupt("bad block key");
      }
      m.min_ts = b.at("min_ts").get<int64_t>();
      m.max_ts = b.at("max_ts").get<int64_t>();
      for (const Json& c : b.at("chunks")) {
        ChunkRef ref{c.at(0).get<uint64_t>(), c.at(1).get<uint64_t>(), c.at(2).get<uint32_t>()};
        if (ref.offset + ref.length > footer_offset) return corrupt("chunk past the footer");
        m.chunks.push_back(ref);
      }
      if (m.chunks.size() != nchunks) return corrupt("wrong number of chunks in a block");
      total += m.rows;
      r->blocks_.push_back(std::move(m));
    }
    if (total != r->rows_) return corrupt("block rows do not add up");
  } catch (const Json::exception& e) {
    return corrupt(std::string("footer: ") + e.what());
  }
  return r;
}

SegmentReader::~SegmentReader() {
  if (fd_ >= 0) ::close(fd_);
}

Status SegmentReader::ReadChunk(const ChunkRef& chunk, void* dst) const {
  if (chunk.length == 0) return Status::Ok();
  RETURN_IF_ERROR(internal::PreadAll(fd_, dst, chunk.length, chunk.offset, path_));
  if (Crc32c(dst, chunk.length) != chunk.crc) {
    return Internal("segment '" + path_ + "' is corrupt: chunk checksum mismatch at offset " +
                    std::to_string(chunk.offset));
  }
  return Status::Ok();
}

Status SegmentReader::ReadValueChunk(const ChunkRef& chunk, size_t rows, ValueCodec* codec,
                                     std::vector<uint64_t>* words) const {
  auto corrupt = [&] {
    return Internal("segment '" + path_ + "' is corrupt: bad value chunk at offset " +
                    std::to_string(chunk.offset));
  };
  if (chunk.length < kValueHeader || chunk.length % 8 != 0) return corrupt();
  char header[kValueHeader];
  RETURN_IF_ERROR(internal::PreadAll(fd_, header, kValueHeader, chunk.offset, path_));
  const size_t nwords = (chunk.length - kValueHeader) / 8;
  words->resize(nwords);
  RETURN_IF_ERROR(
      internal::PreadAll(fd_, words->data(), nwords * 8, chunk.offset + kValueHeader, path_));
  uint32_t crc = Crc32c(words->data(), nwords * 8, Crc32c(header, kValueHeader));
  if (crc != chunk.crc) {
    return Internal("segment '" + path_ + "' is corrupt: chunk checksum mismatch at offset " +
                    std::to_string(chunk.offset));
  }
  codec->kind = static_cast<uint8_t>(header[0]);
  codec->bits = static_cast<uint8_t>(header[1]);
  codec->decimals = static_cast<uint8_t>(header[2]);
  std::memcpy(&codec->base, header + 8, 8);
  if (codec->kind == 0) {
    if (nwords != rows) return corrupt();
  } else if (codec->kind == 1) {
    size_t need = codec->bits == 0 ? 0 : (rows * codec->bits + 63) / 64 + 1;
    if (codec->bits > 64 || nwords != need ||
        (codec->decimals != kNoDecimals && codec->decimals > 9)) {
      return corrupt();
    }
  } else {
    return corrupt();
  }
  return Status::Ok();
}

Status SegmentReader::ReadBlock(size_t i, const std::vector<bool>& want, Block* out) const {
  const BlockMeta& m = blocks_[i];
  const size_t rows = m.rows;
  auto corrupt = [&] {
    return Internal("segment '" + path_ + "' is corrupt: block " + std::to_string(i) +
                    " has chunks of the wrong size");
  };
  out->rows = rows;
  out->key_width = m.key_width;
  out->key_bytes.resize(m.chunks[1].length);
  RETURN_IF_ERROR(ReadChunk(m.chunks[1], out->key_bytes.data()));
  if (m.key_width != 0) {
    if (m.chunks[0].length != 0 || m.chunks[1].length != rows * m.key_width) return corrupt();
  } else {
    if (m.chunks[0].length != (rows + 1) * 4) return corrupt();
    out->key_offsets.resize(rows + 1);
    RETURN_IF_ERROR(ReadChunk(m.chunks[0], out->key_offsets.data()));
    if (out->key_offsets[0] != 0 || out->key_offsets[rows] != out->key_bytes.size()) {
      return corrupt();
    }
  }
  {
    BlockColumn ts;
    RETURN_IF_ERROR(ReadValueChunk(m.chunks[2], rows, &ts.codec, &ts.values));
    out->ts.resize(rows);
    if (ts.codec.kind == 0) {
      std::memcpy(out->ts.data(), ts.values.data(), rows * 8);
    } else if (ts.codec.decimals == kNoDecimals) {  // always, as written: times are ints
      for (size_t r = 0; r < rows; ++r) out->ts[r] = static_cast<int64_t>(ts.UnpackRaw(r));
    } else {
      for (size_t r = 0; r < rows; ++r) out->ts[r] = static_cast<int64_t>(ts.Unpack(r));
    }
  }
  const size_t ncols = schema_.columns.size();
  out->columns.resize(ncols);
  size_t chunk = 3;
  for (size_t c = 0; c < ncols; ++c) {
    BlockColumn& col = out->columns[c];
    ValueType type = schema_.columns[c].type;
    if (c < want.size() && want[c]) {
      const ChunkRef& valid = m.chunks[chunk];
      if (valid.length != 0 && valid.length != (rows + 7) / 8) return corrupt();
      col.valid_bits.resize(valid.length);
      RETURN_IF_ERROR(ReadChunk(valid, col.valid_bits.data()));
      RETURN_IF_ERROR(ReadValueChunk(m.chunks[chunk + 1], rows, &col.codec, &col.values));
      if (type == ValueType::kString) {
        col.strings.resize(m.chunks[chunk + 2].length);
        RETURN_IF_ERROR(ReadChunk(m.chunks[chunk + 2], col.strings.data()));
      }
    } else {
      col.values.clear();
      col.valid_bits.clear();
      col.strings.clear();
      col.codec = ValueCodec();
    }
    chunk += ChunksOf(type);
  }
  return Status::Ok();
}

}  // namespace plinth::features

#include "features/segment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/json_util.h"
#include "features/crc32c.h"
#include "features/file_util.h"

namespace plinth::features {

using internal::Crc32c;

namespace {

constexpr char kMagic[8] = {'P', 'L', 'F', 'S', 'E', 'G', '0', '1'};
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

void Block::Reset(size_t ncols) {
  rows = 0;
  key_offsets.assign(1, 0);
  key_bytes.clear();
  ts.clear();
  columns.resize(ncols);
  for (BlockColumn& c : columns) {
    c.values.clear();
    c.valid_bits.clear();
    c.strings.clear();
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
      dst.values.push_back(from.values[r]);
    }
  }
  ++rows;
}

EncodedBlock EncodeBlock(const SegmentSchema& schema, const Block& block) {
  EncodedBlock eb;
  std::string& out = eb.bytes;
  size_t estimate = (block.rows + 1) * 4 + block.key_bytes.size() + block.rows * 8 + 64;
  for (const BlockColumn& c : block.columns) {
    estimate += c.values.size() * 8 + c.valid_bits.size() + c.strings.size() + 24;
  }
  out.reserve(estimate);
  auto add = [&](const void* p, size_t n) {
    while (out.size() % 8 != 0) out.push_back('\0');
    eb.meta.chunks.push_back({out.size(), n, Crc32c(p, n)});
    out.append(static_cast<const char*>(p), n);
  };
  add(block.key_offsets.data(), block.key_offsets.size() * 4);
  add(block.key_bytes.data(), block.key_bytes.size());
  add(block.ts.data(), block.ts.size() * 8);
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const BlockColumn& col = block.columns[c];
    add(col.valid_bits.data(), col.valid_bits.size());
    add(col.values.data(), col.values.size() * 8);
    if (schema.columns[c].type == ValueType::kString) add(col.strings.data(), col.strings.size());
  }
  while (out.size() % 8 != 0) out.push_back('\0');
  eb.meta.rows = block.rows;
  if (block.rows > 0) {
    eb.meta.first_key = std::string(block.Key(0));
    eb.meta.last_key = std::string(block.Key(block.rows - 1));
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

Status SegmentReader::ReadBlock(size_t i, const std::vector<bool>& want, Block* out) const {
  const BlockMeta& m = blocks_[i];
  const size_t rows = m.rows;
  auto corrupt = [&] {
    return Internal("segment '" + path_ + "' is corrupt: block " + std::to_string(i) +
                    " has chunks of the wrong size");
  };
  out->rows = rows;
  if (m.chunks[0].length != (rows + 1) * 4 || m.chunks[2].length != rows * 8) return corrupt();
  out->key_offsets.resize(rows + 1);
  RETURN_IF_ERROR(ReadChunk(m.chunks[0], out->key_offsets.data()));
  out->key_bytes.resize(m.chunks[1].length);
  RETURN_IF_ERROR(ReadChunk(m.chunks[1], out->key_bytes.data()));
  if (out->key_offsets[0] != 0 || out->key_offsets[rows] != out->key_bytes.size()) {
    return corrupt();
  }
  out->ts.resize(rows);
  RETURN_IF_ERROR(ReadChunk(m.chunks[2], out->ts.data()));
  const size_t ncols = schema_.columns.size();
  out->columns.resize(ncols);
  size_t chunk = 3;
  for (size_t c = 0; c < ncols; ++c) {
    BlockColumn& col = out->columns[c];
    ValueType type = schema_.columns[c].type;
    if (c < want.size() && want[c]) {
      const ChunkRef& valid = m.chunks[chunk];
      const ChunkRef& values = m.chunks[chunk + 1];
      if (valid.length != (rows + 7) / 8 || values.length != rows * 8) return corrupt();
      col.valid_bits.resize(valid.length);
      RETURN_IF_ERROR(ReadChunk(valid, col.valid_bits.data()));
      col.values.resize(rows);
      RETURN_IF_ERROR(ReadChunk(values, col.values.data()));
      if (type == ValueType::kString) {
        col.strings.resize(m.chunks[chunk + 2].length);
        RETURN_IF_ERROR(ReadChunk(m.chunks[chunk + 2], col.strings.data()));
      }
    } else {
      col.values.clear();
      col.valid_bits.clear();
      col.strings.clear();
    }
    chunk += ChunksOf(type);
  }
  return Status::Ok();
}

}  // namespace plinth::features

#include "features/online_value.h"

#include <cstring>

namespace plinth::features {

namespace {

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view s, size_t* pos, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && *pos < s.size(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(s[(*pos)++]);
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

void PutFixed64(uint64_t v, std::string* out) {
  char b[8];
  std::memcpy(b, &v, 8);  // little-endian hosts only (x86-64, aarch64)
  out->append(b, 8);
}

bool GetFixed64(std::string_view s, size_t* pos, uint64_t* v) {
  if (s.size() - *pos < 8) return false;
  std::memcpy(v, s.data() + *pos, 8);
  *pos += 8;
  return true;
}

// The header's length, or 0 when malformed.
size_t ReadHeader(std::string_view value, int* version, int64_t* event_ms, uint64_t* count) {
  if (value.empty() || static_cast<uint8_t>(value[0]) != kOnlineFormat) return 0;
  size_t pos = 1;
  uint64_t v = 0, ts = 0;
  if (!GetVarint(value, &pos, &v) || !GetFixed64(value, &pos, &ts) ||
      !GetVarint(value, &pos, count)) {
    return 0;
  }
  *version = static_cast<int>(v);
  *event_ms = static_cast<int64_t>(ts);
  return pos;
}

}  // namespace

void AppendOnlineKey(std::string_view view, std::string_view entity_key, std::string* out) {
  out->append(view);
  out->push_back('\0');
  out->append(entity_key);
}

OnlineValueWriter::OnlineValueWriter(std::string* out, int version, int64_t event_ms,
                                     size_t features)
    : out_(out) {
  out_->push_back(static_cast<char>(kOnlineFormat));
  PutVarint(static_cast<uint64_t>(version), out_);
  PutFixed64(static_cast<uint64_t>(event_ms), out_);
  PutVarint(features, out_);
}

void OnlineValueWriter::AddFloat(double v) {
  out_->push_back(1);
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  PutFixed64(bits, out_);
}

void OnlineValueWriter::AddInt(int64_t v) {
  out_->push_back(2);
  PutVarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), out_);
}

void OnlineValueWriter::AddString(std::string_view v) {
  out_->push_back(5);
  PutVarint(v.size(), out_);
  out_->append(v);
}

void OnlineValueWriter::AddRaw(ValueType type, uint64_t raw) {
  switch (type) {
    case ValueType::kFloat: {
      out_->push_back(1);
      PutFixed64(raw, out_);
      return;
    }
    case ValueType::kInt:
      AddInt(static_cast<int64_t>(raw));
      return;
    case ValueType::kBool:
      AddBool(raw != 0);
      return;
    case ValueType::kString:
      AddNull();  // strings need their bytes: AddString
      return;
  }
}

bool DecodeOnlineHeader(std::string_view value, int* version, int64_t* event_ms) {
  uint64_t count = 0;
  return ReadHeader(value, version, event_ms, &count) != 0;
}

bool DecodeOnlineCells(std::string_view value, OnlineCell* cells, size_t max_cells, size_t* n) {
  int version = 0;
  int64_t ts = 0;
  uint64_t count = 0;
  size_t pos = ReadHeader(value, &version, &ts, &count);
  if (pos == 0) return false;
  size_t i = 0;
  for (; i < count && i < max_cells; ++i) {
    if (pos >= value.size()) return false;
    OnlineCell& c = cells[i];
    c.tag = static_cast<uint8_t>(value[pos++]);
    c.raw = 0;
    c.str = {};
    switch (c.tag) {
      case 0:
        break;
      case 1:
        if (!GetFixed64(value, &pos, &c.raw)) return false;
        break;
      case 2: {
        uint64_t z = 0;
        if (!GetVarint(value, &pos, &z)) return false;
        c.raw = (z >> 1) ^ (~(z & 1) + 1);
        break;
      }
      case 3:
      case 4:
        c.raw = c.tag == 4;
        break;
      case 5: {
        uint64_t len = 0;
        if (!GetVarint(value, &pos, &len) || value.size() - pos < len) return false;
        c.str = value.substr(pos, len);
        pos += len;
        break;
      }
      default:
        return false;
    }
  }
  *n = i;
  return true;
}

}  // namespace plinth::features

#pragma once
// Entity keys: the values of a view's join keys encoded as one byte string, so that rows of the
// offline store and entity rows of a training request match by comparing bytes and sort by
// memcmp order. Internal to the feature store.
//
// Encoding, part by part in join key order: an int as 8 bytes big-endian with the sign bit
// flipped (so byte order is numeric order); a string as its bytes when it is the last part, else
// with each 0x00 written as 0x00 0xFF and a 0x00 0x01 terminator. Injective for a fixed list of
// join key types, which is all the store needs: a segment whose join keys differ from the view's
// is not read (docs/feature-store.md).

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace plinth::features {

// Writes an int key part (8 bytes) at `out`.
inline void PutIntKeyPart(int64_t v, char* out) {
  const uint64_t u = __builtin_bswap64(static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
  std::memcpy(out, &u, 8);
}

// `out` is a std::string or a byte vector.
template <typename Bytes>
inline void AppendIntKeyPart(int64_t v, Bytes* out) {
  char b[8];
  PutIntKeyPart(v, b);
  out->insert(out->end(), b, b + 8);
}

template <typename Bytes>
inline void AppendStringKeyPart(std::string_view v, bool last, Bytes* out) {
  if (last) {
    out->insert(out->end(), v.begin(), v.end());
    return;
  }
  for (char c : v) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xff');
  }
  out->push_back('\0');
  out->push_back('\x01');
}

// The first 8 bytes as a big-endian integer, zero-padded: prefixes compare like the keys do,
// except that equal prefixes need a full comparison.
inline uint64_t KeyPrefix(std::string_view key) {
  unsigned char b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(b, key.data(), key.size() < 8 ? key.size() : 8);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

inline uint64_t LoadBigEndian64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

// memcmp order of byte strings. Keys of one int join key are 8 bytes: one comparison.
inline int CompareKeys(std::string_view a, std::string_view b) {
  if (a.size() == 8 && b.size() == 8) {
    uint64_t x = LoadBigEndian64(a.data()), y = LoadBigEndian64(b.data());
    return (x > y) - (x < y);
  }
  size_t n = a.size() < b.size() ? a.size() : b.size();
  int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

inline bool KeysEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.size() == 8) return std::memcmp(a.data(), b.data(), 8) == 0;  // inlined by the compiler
  return a == b;
}

}  // namespace plinth::features

#pragma once
// The plain-decimal fast path of float parsing ("123.4567": at most 8 digits on each side of an
// optional point, no exponent), inline so that the ingest's cell loop (csv_text_batch.cc) runs it
// without a call. Internal: value_text.h's ParseFloatPrefix is the general parser and tries this
// first. On x86-64 (SSE2); elsewhere ParseFloatCell is ParseFloatPrefix.

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "features/value_text.h"

namespace plinth::features::internal {

// The fewest decimal places of m / 10^places (trailing zeros of m dropped).
inline int FewestPlaces(uint64_t m, int places) {
  if (m == 0) return 0;
  while (places > 0 && m % 10 == 0) {
    m /= 10;
    --places;
  }
  return places;
}

#if defined(__SSE2__)
inline constexpr double kDecimalPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
inline constexpr uint64_t kDecimalPow10Int[] = {1,      10,      100,      1000,     10000,
                                                100000, 1000000, 10000000, 100000000};

// The value of the `len` (0..8) ASCII digits at p, which are known to be digits; reads 8 bytes.
inline uint64_t ShortDigits(const char* p, int len) {
  if (len == 0) return 0;
  uint64_t v;
  std::memcpy(&v, p, 8);
  v -= 0x3030303030303030ull;
  v <<= 8 * (8 - len);  // the digits to the high bytes; the low bytes become leading zeros
  v = (v * 10) + (v >> 8);
  constexpr uint64_t kMask = 0x000000FF000000FFull;
  constexpr uint64_t kMul1 = 0x000F424000000064ull;
  constexpr uint64_t kMul2 = 0x0000271000000001ull;
  return (((v & kMask) * kMul1) + (((v >> 16) & kMask) * kMul2)) >> 32;
}

// ParseShortDecimal reads the kShortDecimalReads bytes at p: the 16 it looks at, and 8-byte loads
// of the digits, the last from p + 9 at most.
inline constexpr std::ptrdiff_t kShortDecimalReads = 17;

// The unsigned decimal at p (after any sign), from one 16-byte load: the digit positions come
// from a byte mask. Returns the end, or nullptr when the text is not of that form (the general
// parser then reads it). The result is what the general path computes: the same mantissa and
// power of ten; *mantissa_out and *places_out get them (places as written, trailing zeros
// included).
inline const char* ParseShortDecimal(const char* p, bool negative, double* out,
                                     uint64_t* mantissa_out, int* places_out) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
  const unsigned digits = static_cast<unsigned>(_mm_movemask_epi8(digit));
  const int int_len = __builtin_ctz(~digits);  // the first byte that is not a digit
  if (int_len > 8) return nullptr;
  uint64_t mantissa = ShortDigits(p, int_len);
  int frac_len = 0;
  const char* q = p + int_len;
  if (*q == '.') {
    frac_len = __builtin_ctz(~(digits >> (int_len + 1)));
    if (frac_len > 8) return nullptr;
    mantissa = mantissa * kDecimalPow10Int[frac_len] + ShortDigits(q + 1, frac_len);
    q += 1 + frac_len;
  }
  if (q >= p + 16) return nullptr;  // the digits may go on past the bytes looked at
  if (int_len + frac_len == 0 || *q == 'e' || *q == 'E' || mantissa > (uint64_t{1} << 53)) {
    return nullptr;
  }
  const double m = static_cast<double>(mantissa);
  const double x = frac_len == 0 ? m : m / kDecimalPow10[frac_len];
  *out = negative ? -x : x;
  *mantissa_out = mantissa;
  *places_out = frac_len;
  return q;
}
#endif

// ParseFloatPrefix(begin, end, out, places) with `places` required, the plain-decimal case
// inline.
inline const char* ParseFloatCell(const char* begin, const char* end, double* out, int* places) {
#if defined(__SSE2__)
  const char* p = begin;
  bool negative = false;
  if (p != end && (*p == '-' || *p == '+')) {
    negative = *p == '-';
    ++p;
  }
  if (end - p >= kShortDecimalReads) {
    uint64_t m;
    int frac;
    if (const char* q = ParseShortDecimal(p, negative, out, &m, &frac)) {
      if (!(negative && m == 0)) *places = FewestPlaces(m, frac);  // -0 is no decimal
      return q;
    }
  }
#endif
  return ParseFloatPrefix(begin, end, out, places);
}

}  // namespace plinth::features::internal

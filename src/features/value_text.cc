#include "features/value_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "features/decimal_text.h"

namespace plinth::features {

namespace {

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

inline bool IsDigit(char c) { return static_cast<unsigned>(c - '0') < 10; }

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// The value of the 8 (4) ASCII digits at p, or false when one of them is not a digit: a
// little-endian load and a few multiplies instead of a loop (the fast_float library's method).
inline bool EightDigits(const char* p, uint64_t* out) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if ((((v + 0x4646464646464646ull) | (v - 0x3030303030303030ull)) & 0x8080808080808080ull) != 0) {
    return false;
  }
  v -= 0x3030303030303030ull;
  v = (v * 10) + (v >> 8);  // bytes 0, 2, 4, 6: pairs of digits
  constexpr uint64_t kMask = 0x000000FF000000FFull;
  constexpr uint64_t kMul1 = 0x000F424000000064ull;  // 100 + (1000000 << 32)
  constexpr uint64_t kMul2 = 0x0000271000000001ull;  // 1 + (10000 << 32)
  *out = (((v & kMask) * kMul1) + (((v >> 16) & kMask) * kMul2)) >> 32;
  return true;
}

inline bool FourDigits(const char* p, uint64_t* out) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  if ((((v + 0x46464646u) | (v - 0x30303030u)) & 0x80808080u) != 0) return false;
  v -= 0x30303030u;
  v = (v * 10) + (v >> 8);  // bytes 0 and 2: pairs of digits
  *out = ((v & 0xFF) * 100) + ((v >> 16) & 0xFF);
  return true;
}

// Appends the decimal digits at p (up to the first non-digit or end) to *mantissa, which wraps
// past 19 digits (callers count the digits); returns the end of the digits.
inline const char* ReadDigits(const char* p, const char* end, uint64_t* mantissa) {
  uint64_t m = *mantissa, v;
  while (end - p >= 8 && EightDigits(p, &v)) {
    m = m * 100000000 + v;
    p += 8;
  }
  if (end - p >= 4 && FourDigits(p, &v)) {
    m = m * 10000 + v;
    p += 4;
  }
  while (p < end && IsDigit(*p)) m = m * 10 + static_cast<uint64_t>(*p++ - '0');
  *mantissa = m;
  return p;
}

bool SlowParseFloat(std::string_view text, double* out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin < end && *begin == '+') ++begin;
  double v = 0;
  auto [ptr, ec] = std::from_chars(begin, end, v, std::chars_format::general);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

}  // namespace

const char* ParseFloatPrefix(const char* begin, const char* end, double* out, int* places) {
  const char* p = begin;
  if (p == end) return nullptr;
  bool negative = false;
  if (*p == '-' || *p == '+') {
    negative = *p == '-';
    ++p;
  }
#if defined(__SSE2__)
  if (end - p >= internal::kShortDecimalReads) {
    uint64_t m;
    int frac;
    if (const char* q = internal::ParseShortDecimal(p, negative, out, &m, &frac)) {
      if (places != nullptr && !(negative && m == 0)) *places = internal::FewestPlaces(m, frac);
      return q;
    }
  }
#endif
  // Clinger's fast path: a mantissa of at most 19 digits (so no overflow) that is at most 2^53,
  // and a power of ten that is itself exact; one correctly rounded IEEE multiply or divide then
  // gives the correctly rounded result. Anything else goes to from_chars.
  const char* start = p;
  while (p < end && *p == '0') ++p;  // leading zeros carry no digits
  const char* digits = p;
  uint64_t mantissa = 0;
  p = ReadDigits(p, end, &mantissa);
  size_t count = static_cast<size_t>(p - digits);
  bool any_digit = p > start;
  int exp10 = 0;
  if (p < end && *p == '.') {
    const char* frac = ++p;
    p = ReadDigits(p, end, &mantissa);
    const size_t n = static_cast<size_t>(p - frac);
    any_digit |= n > 0;
    count += n;
    exp10 = -static_cast<int>(std::min<size_t>(n, 100000));
  }
  if (!any_digit) return nullptr;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool exp_negative = false;
    if (p < end && (*p == '-' || *p == '+')) {
      exp_negative = *p == '-';
      ++p;
    }
    if (p == end || !IsDigit(*p)) return nullptr;
    int e = 0;
    for (; p < end && IsDigit(*p); ++p) {
      if (e < 100000) e = e * 10 + (*p - '0');
    }
    exp10 += exp_negative ? -e : e;
  }
  if (count > 19) {  // the mantissa may have wrapped
    return SlowParseFloat(std::string_view(begin, static_cast<size_t>(p - begin)), out) ? p
                                                                                       : nullptr;
  }
  if (mantissa == 0) {
    *out = negative ? -0.0 : 0.0;
    if (places != nullptr && !negative) *places = 0;
    return p;
  }
  if (mantissa <= (uint64_t{1} << 53) && exp10 >= -22 && exp10 <= 22) {
    double v = static_cast<double>(mantissa);
    v = exp10 < 0 ? v / kPow10[-exp10] : v * kPow10[exp10];
    *out = negative ? -v : v;
    if (places != nullptr && exp10 <= 0) *places = internal::FewestPlaces(mantissa, -exp10);
    return p;
  }
  return SlowParseFloat(std::string_view(begin, static_cast<size_t>(p - begin)), out) ? p
                                                                                     : nullptr;
}

bool ParseFloatText(std::string_view text, double* out) {
  const char* end = text.data() + text.size();
  return ParseFloatPrefix(text.data(), end, out) == end;
}

bool ParseIntText(std::string_view text, int64_t* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool ParseBoolText(std::string_view text, bool* out) {
  auto equals_ci = [&](const char* word) {
    size_t n = std::strlen(word);
    if (text.size() != n) return false;
    for (size_t i = 0; i < n; ++i) {
      char c = text[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != word[i]) return false;
    }
    return true;
  };
  if (text == "1" || equals_ci("true")) {
    *out = true;
    return true;
  }
  if (text == "0" || equals_ci("false")) {
    *out = false;
    return true;
  }
  return false;
}

char* FormatIntText(int64_t value, char* out) {
  return std::to_chars(out, out + kMaxNumberText, value).ptr;
}

namespace {

// The 8 decimal digits of m < 10^8, leading zeros included, as ASCII bytes in memory order
// (SWAR: 4-digit halves, then 2-digit quarters, then digits, each step one multiply-shift per
// lane instead of a loop of divisions).
inline uint64_t EightDigitsAscii(uint32_t m) {
  uint64_t lanes = (m / 10000) | (static_cast<uint64_t>(m % 10000) << 32);
  const uint64_t hundreds = ((lanes * 10486) >> 20) & 0x0000007F0000007Full;  // lane / 100
  lanes = hundreds | ((lanes - hundreds * 100) << 16);
  const uint64_t tens = ((lanes * 103) >> 10) & 0x000F000F000F000Full;  // lane / 10
  lanes = tens | ((lanes - tens * 10) << 8);
  return lanes + 0x3030303030303030ull;
}

inline void Store8(char* out, uint64_t bytes) { std::memcpy(out, &bytes, 8); }

// Writes [-]m / 10^d in fixed notation: at least one integer digit, the fraction's d digits (m
// has no trailing zeros to drop when d > 0), ".0" when d == 0. May write up to 18 bytes at `out`
// past the text's end (callers have kMaxNumberText).
char* WriteFixed(bool negative, uint64_t m, int d, char* out) {
  if (m != 0 && m < 100000000 && d <= 8) {  // the common case: at most 8 digits, one word
    const uint64_t digits = EightDigitsAscii(static_cast<uint32_t>(m));
    const int n = 8 - (__builtin_ctzll(digits - 0x3030303030303030ull) >> 3);  // without leading 0s
    if (negative) *out++ = '-';
    if (d == 0) {
      Store8(out, digits >> (8 * (8 - n)));
      std::memcpy(out + n, ".0", 2);
      return out + n + 2;
    }
    const uint64_t fraction = digits >> (8 * (8 - d));  // the last d digits, zeros included
    if (n <= d) {  // 0.000ddd
      std::memcpy(out, "0.", 2);
      Store8(out + 2, fraction);
      return out + 2 + d;
    }
    Store8(out, digits >> (8 * (8 - n)));
    out[n - d] = '.';
    Store8(out + n - d + 1, fraction);
    return out + n + 1;
  }
  char buf[24];  // the digits of m, two at a time, right-aligned
  char* const last = buf + sizeof(buf);
  char* p = last;
  while (m >= 100) {
    p -= 2;
    std::memcpy(p, kDigitPairs + 2 * (m % 100), 2);
    m /= 100;
  }
  if (m >= 10) {
    p -= 2;
    std::memcpy(p, kDigitPairs + 2 * m, 2);
  } else {
    *--p = static_cast<char>('0' + m);
  }
  const int n = static_cast<int>(last - p);
  if (negative) *out++ = '-';
  if (n <= d) {  // 0.000ddd
    *out++ = '0';
    *out++ = '.';
    for (int i = n; i < d; ++i) *out++ = '0';
    std::memcpy(out, p, n);
    return out + n;
  }
  std::memcpy(out, p, n - d);  // the integer digits
  out += n - d;
  *out++ = '.';
  if (d == 0) {
    *out++ = '0';
    return out;
  }
  std::memcpy(out, p + (n - d), d);
  return out + d;
}

// For 1e-4 <= |v| < 2^50: v written with the fewest decimals d <= 9 such that v is the double
// nearest to m / 10^d, or nullptr when no such d exists (then the general path runs). This is the
// text of the shortest round-trip algorithm, found faster:
//   - take D, the most decimals (<= 9) with |v| * 10^D < 2^50, and M = round(|v| * 10^D). If v
//     is the double nearest to some m / 10^d with d <= D, then |v| * 10^D is within 1/8 of
//     m * 10^(D-d) (v is within half an ulp, 2^-53 relative, of m / 10^d) and the product's own
//     rounding adds at most 1/16, so M == m * 10^(D-d): stripping M's trailing zeros finds the
//     fewest decimals. A fractional part above 1/4 means no such m.
//   - m / 10^d == v (m and 10^d are exact doubles; the division is correctly rounded) is exactly
//     the round-trip test, and in fixed notation fewer decimals are fewer significant digits
//     (below 2^50 every integer digit is exact), so this is the shortest text; m is the integer
//     nearest to the exact v * 10^d, which is the candidate a shortest printer picks among
//     equally short ones.
char* FormatDecimal(double value, char* out) {
  constexpr double kLimit = 1125899906842624.0;  // 2^50
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52: adding and subtracting rounds
  const double a = std::fabs(value);
  if (!(a >= 1e-4) || !(a < kLimit)) return nullptr;
  int d = 9;
  while (d > 0 && !(a * kPow10[d] < kLimit)) --d;
  const double scaled = a * kPow10[d];
  const double rounded = (scaled + kMagic) - kMagic;
  if (std::fabs(scaled - rounded) > 0.25) return nullptr;
  uint64_t m = static_cast<uint64_t>(rounded);
  // Strip min(trailing zeros, d) zeros: 8, 4, 2 and 1 at a time (d <= 9).
  if (d >= 8 && m % 100000000 == 0) {
    m /= 100000000;
    d -= 8;
  }
  if (d >= 4 && m % 10000 == 0) {
    m /= 10000;
    d -= 4;
  }
  if (d >= 2 && m % 100 == 0) {
    m /= 100;
    d -= 2;
  }
  if (d >= 1 && m % 10 == 0) {
    m /= 10;
    d -= 1;
  }
  if (static_cast<double>(m) / kPow10[d] != a) return nullptr;
  return WriteFixed(value < 0, m, d, out);
}

}  // namespace

char* FormatDecimalText(int64_t m, int d, char* out) {
  if (m == 0 || d < 0 || d > 9 || m == INT64_MIN) return nullptr;
  const bool negative = m < 0;
  uint64_t u = negative ? static_cast<uint64_t>(-m) : static_cast<uint64_t>(m);
  if (u > (uint64_t{1} << 53)) return nullptr;  // m itself would round on the way to a double
  while (d > 0 && u % 10 == 0) {
    u /= 10;
    --d;
  }
  constexpr uint64_t kPow10Int[] = {1,         10,         100,         1000,       10000,
                                    100000,    1000000,    10000000,    100000000,  1000000000};
  if (u >= 1000000000000000ull) return nullptr;               // more than 15 digits
  if (d > 4 && u < kPow10Int[d - 4]) return nullptr;           // below 1e-4
  return WriteFixed(negative, u, d, out);
}

char* FormatFloatText(double value, char* out) {
  if (char* end = FormatDecimal(value, out)) return end;
  return FormatFloatTextShortest(value, out);
}

char* FormatFloatTextShortest(double value, char* out) {
  if (value == 0) {
    if (std::signbit(value)) *out++ = '-';
    std::memcpy(out, "0.0", 3);
    return out + 3;
  }
  if (!std::isfinite(value)) {  // never stored, but keep the output well defined
    const char* text = std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
    size_t n = std::strlen(text);
    std::memcpy(out, text, n);
    return out + n;
  }
  // The shortest round-trip digits in scientific form: [-]d[.ddd]e(+|-)XX.
  char sci[kMaxNumberText];
  char* sci_end = std::to_chars(sci, sci + sizeof(sci), value, std::chars_format::scientific).ptr;
  const char* p = sci;
  bool negative = *p == '-';
  if (negative) ++p;
  char digits[20];
  int ndigits = 0;
  for (; *p != 'e'; ++p) {
    if (*p != '.') digits[ndigits++] = *p;
  }
  int exp10 = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), sci_end, exp10);
  int decpt = exp10 + 1;  // the value is 0.<digits> x 10^decpt
  if (decpt <= -4 || decpt > 16) {
    size_t n = static_cast<size_t>(sci_end - sci);
    std::memcpy(out, sci, n);
    return out + n;
  }
  if (negative) *out++ = '-';
  if (decpt <= 0) {
    *out++ = '0';
    *out++ = '.';
    for (int i = 0; i < -decpt; ++i) *out++ = '0';
    std::memcpy(out, digits, ndigits);
    return out + ndigits;
  }
  if (decpt >= ndigits) {
    std::memcpy(out, digits, ndigits);
    out += ndigits;
    for (int i = ndigits; i < decpt; ++i) *out++ = '0';
    *out++ = '.';
    *out++ = '0';
    return out;
  }
  std::memcpy(out, digits, decpt);
  out += decpt;
  *out++ = '.';
  std::memcpy(out, digits + decpt, ndigits - decpt);
  return out + (ndigits - decpt);
}

}  // namespace plinth::features

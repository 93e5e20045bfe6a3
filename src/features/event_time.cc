#include "features/event_time.h"

#include <cstdio>

namespace plinth::features {

namespace {

// Milliseconds of 0001-01-01T00:00:00Z and of 9999-12-31T23:59:59.999Z.
constexpr int64_t kMinMs = -62135596800000;
constexpr int64_t kMaxMs = 253402300799999;

inline bool IsDigit(char c) { return static_cast<unsigned>(c - '0') < 10; }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n digits at p.
inline bool Digits(const char* p, const char* end, int n, unsigned* out) {
  if (end - p < n) return false;
  unsigned v = 0;
  for (int i = 0; i < n; ++i) {
    if (!IsDigit(p[i])) return false;
    v = v * 10 + static_cast<unsigned>(p[i] - '0');
  }
  *out = v;
  return true;
}

bool ParseRfc3339(const char* p, const char* end, int64_t* ms) {
  unsigned year, month, day;
  if (!Digits(p, end, 4, &year) || p[4] != '-' || !Digits(p + 5, end, 2, &month) ||
      end - p < 10 || p[7] != '-' || !Digits(p + 8, end, 2, &day)) {
    return false;
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return false;
  }
  p += 10;
  unsigned hour = 0, minute = 0, second = 0;
  int64_t millis = 0;
  int64_t offset_minutes = 0;
  if (p != end) {
    if (*p != 'T' && *p != 't' && *p != ' ') return false;
    ++p;
    if (end - p < 8 || !Digits(p, end, 2, &hour) || p[2] != ':' ||
        !Digits(p + 3, end, 2, &minute) || p[5] != ':' || !Digits(p + 6, end, 2, &second)) {
      return false;
    }
    if (hour > 23 || minute > 59 || second > 60) return false;  // 60: a leap second
    p += 8;
    if (p != end && *p == '.') {
      ++p;
      if (p == end || !IsDigit(*p)) return false;
      int n = 0;
      for (; p != end && IsDigit(*p); ++p, ++n) {
        if (n < 3) millis = millis * 10 + (*p - '0');
      }
      for (; n < 3; ++n) millis *= 10;
    }
    if (p != end) {
      if (*p == 'Z' || *p == 'z') {
        ++p;
      } else if (*p == '+' || *p == '-') {
        bool negative = *p == '-';
        unsigned oh, om;
        if (end - p < 6 || !Digits(p + 1, end, 2, &oh) || p[3] != ':' ||
            !Digits(p + 4, end, 2, &om) || oh > 23 || om > 59) {
          return false;
        }
        offset_minutes = (negative ? -1 : 1) * static_cast<int64_t>(oh * 60 + om);
        p += 6;
      } else {
        return false;
      }
      if (p != end) return false;
    }
  }
  int64_t seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                    second - offset_minutes * 60;
  int64_t v = seconds * 1000 + millis;
  if (v < kMinMs || v > kMaxMs) return false;
  *ms = v;
  return true;
}

// Exactly "YYYY-MM-DDTHH:MM:SSZ", the form pandas and most tools write, read without loops (the
// ingest and join hot path); the same value ParseRfc3339 reads, which handles everything else.
inline bool ParseFixedUtc(const char* p, int64_t* ms) {
  if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':' ||
      p[19] != 'Z') {
    return false;
  }
  auto two = [p](int i, unsigned* bad) {
    const unsigned a = static_cast<unsigned>(p[i] - '0'), b = static_cast<unsigned>(p[i + 1] - '0');
    *bad |= static_cast<unsigned>(a > 9) | static_cast<unsigned>(b > 9);
    return a * 10 + b;
  };
  unsigned bad = 0;
  const unsigned year = two(0, &bad) * 100 + two(2, &bad);
  const unsigned month = two(5, &bad), day = two(8, &bad);
  const unsigned hour = two(11, &bad), minute = two(14, &bad), second = two(17, &bad);
  if (bad != 0 || year < 1 || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  const int64_t v =
      (DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second) * 1000;
  if (v < kMinMs || v > kMaxMs) return false;  // 9999-12-31T23:59:60Z
  *ms = v;
  return true;
}

// [-]digits[.digits], seconds or milliseconds by magnitude.
bool ParseEpoch(const char* p, const char* end, int64_t* ms) {
  bool negative = false;
  if (p != end && *p == '-') {
    negative = true;
    ++p;
  }
  if (p == end || !IsDigit(*p)) return false;
  int64_t whole = 0;
  for (; p != end && IsDigit(*p); ++p) {
    if (whole > kMaxMs) return false;  // far out of range; also keeps the sum from overflowing
    whole = whole * 10 + (*p - '0');
  }
  int64_t frac_millis = 0;  // the first three fraction digits
  bool frac_rest = false;   // a non-zero digit after those
  bool any_fraction = false;
  if (p != end && *p == '.') {
    ++p;
    if (p == end || !IsDigit(*p)) return false;
    int n = 0;
    for (; p != end && IsDigit(*p); ++p, ++n) {
      if (n < 3) {
        frac_millis = frac_millis * 10 + (*p - '0');
      } else if (*p != '0') {
        frac_rest = true;
      }
      if (*p != '0') any_fraction = true;
    }
    for (; n < 3; ++n) frac_millis *= 10;
  }
  if (p != end) return false;
  int64_t magnitude;  // |value| in milliseconds, truncated
  bool inexact;       // the truncation dropped something
  if (whole < kEpochMillisThreshold) {
    magnitude = whole * 1000 + frac_millis;
    inexact = frac_rest;
  } else {
    magnitude = whole;
    inexact = any_fraction;
  }
  int64_t v = negative ? -magnitude - (inexact ? 1 : 0) : magnitude;  // floor
  if (v < kMinMs || v > kMaxMs) return false;
  *ms = v;
  return true;
}

}  // namespace

bool ParseEventTimeMs(std::string_view text, int64_t* ms) {
  const char* p = text.data();
  const char* end = p + text.size();
  if (end - p == 20 && ParseFixedUtc(p, ms)) return true;
  if (end - p >= 10 && p[4] == '-' && IsDigit(p[0])) return ParseRfc3339(p, end, ms);
  return ParseEpoch(p, end, ms);
}

Result<int64_t> ParseEventTime(std::string_view text) {
  int64_t ms = 0;
  if (!ParseEventTimeMs(text, &ms)) {
    return InvalidArgument("'" + std::string(text.substr(0, 64)) +
                           "' is not an RFC 3339 time, epoch seconds or epoch milliseconds");
  }
  return ms;
}

std::string FormatRfc3339(int64_t ms) {
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  int64_t rest = ms - days * 86400000;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  int h = static_cast<int>(rest / 3600000);
  int mi = static_cast<int>(rest / 60000 % 60);
  int s = static_cast<int>(rest / 1000 % 60);
  int millis = static_cast<int>(rest % 1000);
  char buf[48];
  if (millis != 0) {
    std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                  static_cast<long long>(y), m, d, h, mi, s, millis);
  } else {
    std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02dZ",
                  static_cast<long long>(y), m, d, h, mi, s);
  }
  return buf;
}

}  // namespace plinth::features

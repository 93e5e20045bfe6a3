#include "features/value_text.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "features/decimal_text.h"

namespace plinth::features {
namespace {

std::string Fmt(double v) {
  char buf[kMaxNumberText];
  return std::string(buf, FormatFloatText(v, buf));
}

TEST(ValueText, FormatsFloatsAsPythonRepr) {
  // Expected strings are Python's repr() of the same doubles (and pandas' to_csv output).
  EXPECT_EQ(Fmt(1e16), "1e+16");
  EXPECT_EQ(Fmt(1e15), "1000000000000000.0");
  EXPECT_EQ(Fmt(0.0001), "0.0001");
  EXPECT_EQ(Fmt(1e-5), "1e-05");
  EXPECT_EQ(Fmt(-0.0), "-0.0");
  EXPECT_EQ(Fmt(0.0), "0.0");
  EXPECT_EQ(Fmt(1.5e16), "1.5e+16");
  EXPECT_EQ(Fmt(123.456), "123.456");
  EXPECT_EQ(Fmt(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(Fmt(5e-324), "5e-324");
  EXPECT_EQ(Fmt(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(Fmt(-2.5), "-2.5");
  EXPECT_EQ(Fmt(100.0), "100.0");
  EXPECT_EQ(Fmt(-1234567.0), "-1234567.0");
  EXPECT_EQ(Fmt(2e17), "2e+17");
  EXPECT_EQ(Fmt(0.000123), "0.000123");
}

TEST(ValueText, DecimalFastPathWritesWhatTheShortestPathWrites) {
  std::mt19937_64 rng(11);
  auto check = [](double v) {
    char a[kMaxNumberText], b[kMaxNumberText];
    std::string fast(a, FormatFloatText(v, a));
    std::string slow(b, FormatFloatTextShortest(v, b));
    ASSERT_EQ(fast, slow) << std::hexfloat << v;
  };
  for (int i = 0; i < 300000; ++i) {
    int decimals = static_cast<int>(rng() % 12);
    double scale = std::pow(10.0, decimals);
    double mantissa = static_cast<double>(rng() % 100000000000ULL) * (rng() % 2 ? 1 : -1);
    check(mantissa / scale);                      // short decimals
    check(std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 80)));  // any double
    check(static_cast<double>(rng() % 1000) / 7);
  }
  for (double v : {1e-4, 0.0001, 9.999e-5, 1e15, 1125899906842623.5, 1e-5, 0.5, 2.5, 1234.5678,
                   0.1, 0.2, 0.3, 1.0 / 3, 99.99999999, 123456789.123}) {
    check(v);
    check(-v);
  }
}

TEST(ValueText, DecimalTextIsTheShortestTextOfTheNearestDouble) {
  // FormatDecimalText(m, d) writes what FormatFloatText writes for the double m / 10^d, or
  // declines (and then the caller formats the double).
  std::mt19937_64 rng(13);
  constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
  int written = 0;
  auto check = [&](int64_t m, int d) {
    char a[kMaxNumberText], b[kMaxNumberText];
    char* end = FormatDecimalText(m, d, a);
    if (end == nullptr) return;
    ++written;
    const double v = static_cast<double>(m) / kPow10[d];
    ASSERT_EQ(std::string(a, end), std::string(b, FormatFloatTextShortest(v, b)))
        << m << " / 10^" << d;
  };
  for (int i = 0; i < 300000; ++i) {
    const int d = static_cast<int>(rng() % 10);
    const int digits = 1 + static_cast<int>(rng() % 18);
    int64_t m = static_cast<int64_t>(rng() % static_cast<uint64_t>(std::pow(10.0, digits)));
    if (rng() % 4 == 0) m -= m % 1000;  // trailing zeros to drop
    check(rng() % 2 ? m : -m, d);
  }
  EXPECT_GT(written, 100000);
  for (int64_t m : {1LL, 10LL, 12345LL, 100000LL, 999999999999999LL, 1000000000000000LL,
                    99999LL, 100000000LL, 5LL}) {
    for (int d = 0; d <= 9; ++d) {
      check(m, d);
      check(-m, d);
    }
  }
  char buf[kMaxNumberText];
  EXPECT_EQ(FormatDecimalText(0, 3, buf), nullptr);                 // zero: the double path
  EXPECT_EQ(FormatDecimalText(99999, 9, buf), nullptr);             // below 1e-4
  EXPECT_EQ(FormatDecimalText(1234567890123456, 0, buf), nullptr);  // 16 digits
  EXPECT_EQ(std::string(buf, FormatDecimalText(123400, 4, buf)), "12.34");
  EXPECT_EQ(std::string(buf, FormatDecimalText(-5, 0, buf)), "-5.0");
  EXPECT_EQ(std::string(buf, FormatDecimalText(1, 4, buf)), "0.0001");
  EXPECT_EQ(std::string(buf, FormatDecimalText(1000000000, 9, buf)), "1.0");
}

TEST(ValueText, ParsesFloatsCorrectlyRounded) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  for (int i = 0; i < 20000; ++i) {
    double v = i % 3 == 0 ? dist(rng) : std::ldexp(dist(rng), static_cast<int>(rng() % 200) - 100);
    std::string text = Fmt(v);
    double back = 0;
    ASSERT_TRUE(ParseFloatText(text, &back)) << text;
    ASSERT_EQ(std::memcmp(&v, &back, sizeof(v)), 0) << text;
  }
  double d;
  EXPECT_TRUE(ParseFloatText("3", &d));
  EXPECT_EQ(d, 3.0);
  EXPECT_TRUE(ParseFloatText("+.5", &d));
  EXPECT_EQ(d, 0.5);
  EXPECT_TRUE(ParseFloatText("1E3", &d));
  EXPECT_EQ(d, 1000.0);
  EXPECT_TRUE(ParseFloatText("0.1", &d));
  EXPECT_EQ(d, 0.1);
  EXPECT_TRUE(ParseFloatText("123456789012345678901234", &d));  // more digits than the fast path
  EXPECT_EQ(d, 123456789012345678901234.0);
  for (const char* bad : {"", "-", ".", "1e", "1e+", "abc", "1.2.3", "nan", "inf", "1e999", " 1",
                          "1 ", "0x10"}) {
    EXPECT_FALSE(ParseFloatText(bad, &d)) << bad;
  }
}

TEST(ValueText, ParsesDigitRunsOfEveryLengthAsFromChars) {
  // The parser reads digits 8 and 4 at a time: runs of every length and position, a non-digit
  // at each place of a run, and signs and exponents around them, all agree with from_chars.
  std::mt19937_64 rng(17);
  auto reference = [](const std::string& t, double* v) {
    const char* b = t.data() + (t[0] == '+' ? 1 : 0);
    auto [ptr, ec] = std::from_chars(b, t.data() + t.size(), *v);
    return ec == std::errc() && ptr == t.data() + t.size() && std::isfinite(*v);
  };
  const char* pieces[] = {"", "-", "+", "0", "00", "."};
  for (int i = 0; i < 200000; ++i) {
    std::string t = pieces[rng() % 3];
    const int a = static_cast<int>(rng() % 21), b = static_cast<int>(rng() % 21);
    for (int k = 0; k < a; ++k) t.push_back(static_cast<char>('0' + rng() % 10));
    if (rng() % 4 != 0) t.push_back('.');
    for (int k = 0; k < b; ++k) t.push_back(static_cast<char>('0' + rng() % 10));
    if (rng() % 5 == 0) t += (rng() % 2 ? "e-" : "E") + std::to_string(rng() % 30);
    if (rng() % 10 == 0 && !t.empty()) t[rng() % t.size()] = "x/:. e"[rng() % 6];
    if (t.empty()) continue;
    double want = 0, got = 0;
    const bool ok = reference(t, &want);
    ASSERT_EQ(ParseFloatText(t, &got), ok) << t;
    if (ok) {
      ASSERT_EQ(std::memcmp(&want, &got, sizeof(got)), 0) << t;
    }
    // The same text as a cell of a record, with more bytes after it (ParseFloatPrefix then
    // reads 16 bytes at a time): it ends at the cell's end exactly when the cell is a float.
    const std::string record = t + ",0123456789012345678";
    const char* stop = ParseFloatPrefix(record.data(), record.data() + record.size(), &got);
    ASSERT_EQ(stop == record.data() + t.size(), ok) << t;
    if (ok) {
      ASSERT_EQ(std::memcmp(&want, &got, sizeof(got)), 0) << t;
    }
  }
  double d;
  EXPECT_TRUE(ParseFloatText("12345678.87654321", &d));
  EXPECT_EQ(d, 12345678.87654321);
  EXPECT_TRUE(ParseFloatText("-0.00000001", &d));
  EXPECT_EQ(d, -1e-8);
  EXPECT_TRUE(ParseFloatText("9999999999999999999", &d));  // 19 digits: still the fast read
  EXPECT_EQ(d, 9999999999999999999.0);
  EXPECT_TRUE(ParseFloatText("-0.0", &d));
  EXPECT_TRUE(std::signbit(d));
  EXPECT_FALSE(ParseFloatText("1234567a", &d));
  EXPECT_FALSE(ParseFloatText("1234:678", &d));
  EXPECT_FALSE(ParseFloatText("12345678/", &d));
}

TEST(ValueText, ParsingAFloatReadsNothingPastTheEnd) {
  // Numbers that end where readable memory ends (an inaccessible page follows): the 16-byte fast
  // path must not look past `end`.
  const long page = ::sysconf(_SC_PAGESIZE);
  char* mem = static_cast<char*>(
      ::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(mem, MAP_FAILED);
  ASSERT_EQ(::mprotect(mem + page, page, PROT_NONE), 0);
  char* const end = mem + page;
  for (const std::string number : {"1", "12345678.1234567", "12345678.12345678", "-1234.5678",
                                   "0.12345678", "99999999.9", "1.5e-3,", "7,"}) {
    for (size_t pad = 0; pad < 24; ++pad) {  // the number, then `pad` more bytes of text
      std::string text = number;
      for (size_t i = 0; i < pad; ++i) text.push_back(i % 2 ? ',' : '5');
      char* begin = end - text.size();
      std::memcpy(begin, text.data(), text.size());
      double v;
      double want = 0;
      const std::string cell = number.substr(0, number.find(','));
      ASSERT_TRUE(ParseFloatText(cell, &want)) << cell;
      const char* stop = ParseFloatPrefix(begin, end, &v);
      ASSERT_NE(stop, nullptr) << text;
      double inline_v;
      int places = -1;
      ASSERT_EQ(internal::ParseFloatCell(begin, end, &inline_v, &places), stop) << text;
      ASSERT_EQ(std::memcmp(&inline_v, &v, sizeof(v)), 0) << text;
      if (pad == 0 && number.find(',') == std::string::npos) {
        EXPECT_EQ(stop, end) << text;
      }
      if (stop - begin == static_cast<std::ptrdiff_t>(cell.size())) {
        EXPECT_EQ(v, want) << text;
      }
    }
  }
  ::munmap(mem, 2 * page);
}

TEST(ValueText, ParsesIntsAndBools) {
  int64_t i;
  EXPECT_TRUE(ParseIntText("-9223372036854775808", &i));
  EXPECT_EQ(i, INT64_MIN);
  EXPECT_FALSE(ParseIntText("9223372036854775808", &i));
  EXPECT_FALSE(ParseIntText("1.0", &i));
  EXPECT_FALSE(ParseIntText("+1", &i));
  EXPECT_FALSE(ParseIntText("", &i));
  bool b;
  EXPECT_TRUE(ParseBoolText("TRUE", &b) && b);
  EXPECT_TRUE(ParseBoolText("False", &b) && !b);
  EXPECT_TRUE(ParseBoolText("1", &b) && b);
  EXPECT_TRUE(ParseBoolText("0", &b) && !b);
  EXPECT_FALSE(ParseBoolText("yes", &b));
}

}  // namespace
}  // namespace plinth::features

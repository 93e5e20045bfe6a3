#include "features/event_time.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

namespace plinth::features {
namespace {

int64_t Ms(std::string_view text) {
  int64_t ms = -1;
  EXPECT_TRUE(ParseEventTimeMs(text, &ms)) << text;
  return ms;
}

bool Bad(std::string_view text) {
  int64_t ms;
  return !ParseEventTimeMs(text, &ms);
}

constexpr int64_t k2024 = 1714566600000;  // 2024-05-01T12:30:00Z

TEST(EventTime, ReadsRfc3339Forms) {
  EXPECT_EQ(Ms("2024-05-01T12:30:00Z"), k2024);
  EXPECT_EQ(Ms("2024-05-01t12:30:00z"), k2024);
  EXPECT_EQ(Ms("2024-05-01 12:30:00"), k2024);  // no offset: UTC
  EXPECT_EQ(Ms("2024-05-01T14:30:00+02:00"), k2024);
  EXPECT_EQ(Ms("2024-05-01T07:00:00-05:30"), k2024);
  EXPECT_EQ(Ms("2024-05-01T12:30:00.25Z"), k2024 + 250);
  EXPECT_EQ(Ms("2024-05-01T12:30:00.123999Z"), k2024 + 123);  // finer than ms: floor
  EXPECT_EQ(Ms("2024-05-01"), k2024 - (12 * 3600 + 30 * 60) * 1000);
  EXPECT_EQ(Ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Ms("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(Ms("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_EQ(FormatRfc3339(k2024), "2024-05-01T12:30:00Z");
  EXPECT_EQ(FormatRfc3339(k2024 + 7), "2024-05-01T12:30:00.007Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999Z");
}

TEST(EventTime, TellsEpochSecondsFromMillisecondsByMagnitude) {
  EXPECT_EQ(Ms("1714566600"), k2024);
  EXPECT_EQ(Ms("1714566600000"), k2024);
  EXPECT_EQ(Ms("1714566600.25"), k2024 + 250);
  EXPECT_EQ(Ms("1714566600000.9"), k2024);  // ms with a fraction: floor
  EXPECT_EQ(Ms("0"), 0);
  // The boundary: below 1e11 is seconds, from 1e11 on milliseconds.
  EXPECT_EQ(Ms("99999999999"), int64_t{99999999999} * 1000);
  EXPECT_EQ(Ms("100000000000"), int64_t{100000000000});
  EXPECT_EQ(Ms("-1"), -1000);
  EXPECT_EQ(Ms("-1.5"), -1500);
  EXPECT_EQ(Ms("-0.0005"), -1);  // floor toward the past
  EXPECT_EQ(Ms("-100000000000"), -100000000000);
}

TEST(EventTime, FixedUtcFormReadsAsTheGeneralRfc3339Path) {
  // "YYYY-MM-DDTHH:MM:SSZ" has a loop-free path; the same instant written with a space and an
  // explicit offset goes through the general one.
  std::mt19937_64 rng(23);
  char fast[32], general[40];
  for (int i = 0; i < 100000; ++i) {
    const unsigned y = 1 + rng() % 9999, mo = rng() % 14, d = rng() % 33, h = rng() % 25,
                   mi = rng() % 61, s = rng() % 62;
    std::snprintf(fast, sizeof(fast), "%04u-%02u-%02uT%02u:%02u:%02uZ", y, mo, d, h, mi, s);
    std::snprintf(general, sizeof(general), "%04u-%02u-%02u %02u:%02u:%02u+00:00", y, mo, d, h,
                  mi, s);
    int64_t a = -1, b = -1;
    const bool ok = ParseEventTimeMs(general, &b);
    ASSERT_EQ(ParseEventTimeMs(fast, &a), ok) << fast;
    if (ok) {
      ASSERT_EQ(a, b) << fast;
    }
  }
  int64_t ms;
  EXPECT_TRUE(ParseEventTimeMs("2024-02-29T00:00:00Z", &ms));
  EXPECT_FALSE(ParseEventTimeMs("2023-02-29T00:00:00Z", &ms));
  EXPECT_FALSE(ParseEventTimeMs("2024-0a-01T00:00:00Z", &ms));
  EXPECT_FALSE(ParseEventTimeMs("0000-01-01T00:00:00Z", &ms));
  EXPECT_FALSE(ParseEventTimeMs("9999-12-31T23:59:60Z", &ms));  // past the last millisecond
  EXPECT_TRUE(ParseEventTimeMs("2016-12-31T23:59:60Z", &ms));   // a leap second
  EXPECT_EQ(ms, 1483228800000);
  EXPECT_TRUE(ParseEventTimeMs("1969-12-31T23:59:59Z", &ms));
  EXPECT_EQ(ms, -1000);
}

TEST(EventTime, RejectsWhatIsNoTime) {
  for (const char* text : {"", "yesterday", "2024-13-01T00:00:00Z", "2024-02-30", "2023-02-29",
                           "2024-05-01T24:00:00Z", "2024-05-01T12:30Z", "2024-05-01T12:30:00+2",
                           "2024-05-01T12:30:00ZZ", "2024-05-01T12:30:00.Z", "1e9", "12.", "+5",
                           " 1714566600", "10000-01-01", "999999999999999999999"}) {
    EXPECT_TRUE(Bad(text)) << text;
  }
  EXPECT_FALSE(ParseEventTime("nope").ok());
  EXPECT_NE(ParseEventTime("nope").status().message().find("'nope'"), std::string::npos);
}

}  // namespace
}  // namespace plinth::features

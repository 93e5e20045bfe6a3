#include "features/event_time.h"

#include <gtest/gtest.h>

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

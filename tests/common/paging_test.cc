#include "common/paging.h"

#include <gtest/gtest.h>

namespace plinth {
namespace {

TEST(Paging, DefaultsAndTokens) {
  auto page = ParsePageRequest(std::nullopt, std::nullopt);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->limit, 100);
  EXPECT_EQ(page->offset, 0);
  EXPECT_EQ(NextPageToken(*page, 100), "");
  EXPECT_EQ(NextPageToken(*page, 101), "100");
  auto next = ParsePageRequest("10", "100");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->offset, 100);
  EXPECT_EQ(NextPageToken(*next, 11), "110");
}

TEST(Paging, RejectsOutOfRangeLimitsAndBadTokens) {
  EXPECT_FALSE(ParsePageRequest("0", std::nullopt).ok());
  EXPECT_FALSE(ParsePageRequest("1001", std::nullopt).ok());
  EXPECT_FALSE(ParsePageRequest("ten", std::nullopt).ok());
  EXPECT_FALSE(ParsePageRequest(std::nullopt, "-5").ok());
  EXPECT_FALSE(ParsePageRequest(std::nullopt, "abc").ok());
}

}  // namespace
}  // namespace plinth

#include <gtest/gtest.h>

#include "cli/api_client.h"

namespace plinth::cli {
namespace {

using Json = nlohmann::json;

// Serves `total` items numbered from 0 in pages of at most `page_size` (the smaller of the
// asked size and `server_max`), recording the asked sizes.
struct FakeList {
  int total;
  int server_max;
  std::vector<int64_t> asked;

  Result<Json> operator()(const std::string& token, int64_t size) {
    asked.push_back(size);
    int start = token.empty() ? 0 : std::stoi(token);
    int end = std::min<int64_t>(total, start + std::min<int64_t>(size, server_max));
    Json items = Json::array();
    for (int i = start; i < end; ++i) items.push_back(i);
    return Json{{"items", items}, {"next_page_token", end < total ? std::to_string(end) : ""}};
  }
};

TEST(CollectPages, FollowsTokensUntilTheEnd) {
  FakeList list{25, 10, {}};
  auto items = CollectPages(std::ref(list), 0);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(items->size(), 25u);
  EXPECT_EQ((*items)[24], 24);
  EXPECT_EQ(list.asked, (std::vector<int64_t>{1000, 1000, 1000}));
}

TEST(CollectPages, StopsAtLimitAndAsksOnlyForWhatIsLeft) {
  FakeList list{25, 10, {}};
  auto items = CollectPages(std::ref(list), 15);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(items->size(), 15u);
  EXPECT_EQ(list.asked, (std::vector<int64_t>{15, 5}));
}

TEST(CollectPages, CapsPageSizeAtTheApiMaximum) {
  FakeList list{5, 1000, {}};
  ASSERT_TRUE(CollectPages(std::ref(list), 5000).ok());
  EXPECT_EQ(list.asked, (std::vector<int64_t>{1000}));
}

TEST(CollectPages, TakesBareArrayAsLastPage) {
  auto items = CollectPages(
      [](const std::string&, int64_t) {
        return Result<Json>(Json{1, 2});
      },
      0);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(*items, Json({1, 2}));
}

TEST(CollectPages, RejectsRepeatedTokenInsteadOfLooping) {
  auto items = CollectPages(
      [](const std::string&, int64_t) {
        return Result<Json>(Json{{"items", {1}}, {"next_page_token", "same"}});
      },
      0);
  EXPECT_FALSE(items.ok());
}

TEST(EncodeSegment, EscapesAllButUnreserved) {
  EXPECT_EQ(EncodeSegment("a-b_c.d~9"), "a-b_c.d~9");
  EXPECT_EQ(EncodeSegment("a b/c?d"), "a%20b%2Fc%3Fd");
  EXPECT_EQ(EncodePath("model/my file.json"), "model/my%20file.json");
}

TEST(WithQuery, SkipsEmptyValues) {
  EXPECT_EQ(WithQuery("/x", {{"name", "a b"}, {"page_token", ""}, {"limit", "5"}}),
            "/x?name=a%20b&limit=5");
  EXPECT_EQ(WithQuery("/x", {}), "/x");
}

}  // namespace
}  // namespace plinth::cli

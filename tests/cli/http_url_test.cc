#include <gtest/gtest.h>

#include "cli/http_client.h"

namespace plinth::cli {
namespace {

TEST(ParseHttpUrl, SplitsHostPortAndPrefix) {
  auto url = ParseHttpUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->path_prefix, "");
  EXPECT_EQ(url->base, "http://127.0.0.1:8080");

  auto prefixed = ParseHttpUrl("HTTP://plinth.internal/ml/");
  ASSERT_TRUE(prefixed.ok());
  EXPECT_EQ(prefixed->host, "plinth.internal");
  EXPECT_EQ(prefixed->port, "80");
  EXPECT_EQ(prefixed->path_prefix, "/ml");
  EXPECT_EQ(prefixed->base, "http://plinth.internal/ml");
}

TEST(ParseHttpUrl, AcceptsBracketedIpv6) {
  auto url = ParseHttpUrl("http://[::1]:9000");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, "9000");
}

TEST(ParseHttpUrl, RejectsWhatItCannotSpeak) {
  EXPECT_FALSE(ParseHttpUrl("https://x:1").ok());
  EXPECT_FALSE(ParseHttpUrl("127.0.0.1:8080").ok());
  EXPECT_FALSE(ParseHttpUrl("http://").ok());
  EXPECT_FALSE(ParseHttpUrl("http://x:").ok());
  EXPECT_FALSE(ParseHttpUrl("http://x:0").ok());
  EXPECT_FALSE(ParseHttpUrl("http://x:99999").ok());
  EXPECT_FALSE(ParseHttpUrl("http://x:8a").ok());
  EXPECT_FALSE(ParseHttpUrl("http://x/?q=1").ok());
  EXPECT_FALSE(ParseHttpUrl("http://u@x").ok());
}

TEST(HttpClient, ConnectionRefusedNamesTheUrl) {
  // Port 1 on loopback: nothing listens there on a test machine.
  auto client = HttpClient::Create("http://127.0.0.1:1", std::chrono::seconds(5));
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Request("GET", "/v2/health/live", "", "");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(response.status().message(), "cannot reach http://127.0.0.1:1: Connection refused");
}

}  // namespace
}  // namespace plinth::cli

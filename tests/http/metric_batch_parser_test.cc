#include "http/metric_batch_parser.h"

#include <gtest/gtest.h>

namespace plinth::http {
namespace {

TEST(ParseMetricBatch, ReadsPointsWithDefaults) {
  auto points = ParseMetricBatch(
      R"({"metrics": [{"key": "loss", "value": 0.5, "step": 3, "timestamp": 1700},
                      {"value": 2, "key": "acc", "step": null, "extra": [1, {"x": 2}]}]})",
      42);
  ASSERT_TRUE(points.ok()) << points.status().ToString();
  ASSERT_EQ(points->size(), 2u);
  EXPECT_EQ((*points)[0].key, "loss");
  EXPECT_EQ((*points)[0].value, 0.5);
  EXPECT_EQ((*points)[0].step, 3);
  EXPECT_EQ((*points)[0].timestamp, 1700);
  EXPECT_EQ((*points)[1].value, 2.0);
  EXPECT_EQ((*points)[1].step, 0);
  EXPECT_EQ((*points)[1].timestamp, 42);
}

TEST(ParseMetricBatch, NamesTheBadEntry) {
  struct Case {
    const char* body;
    const char* message;
  } cases[] = {
      {"{\"metrics\": [", "not valid JSON"},
      {"[1, 2]", "must be a JSON object"},
      {"{\"other\": 1}", "'metrics' must be an array"},
      {"{\"metrics\": {}}", "'metrics' must be an array"},
      {"{\"metrics\": [{\"key\": \"a\", \"value\": 1}, 7]}", "metrics[1] must be an object"},
      {"{\"metrics\": [{\"key\": \"a\", \"value\": \"x\"}]}", "metrics[0].value must be a number"},
      {"{\"metrics\": [{\"key\": 5, \"value\": 1}]}", "metrics[0].key must be a string"},
      {"{\"metrics\": [{\"value\": 1}]}", "metrics[0].key must be a string"},
      {"{\"metrics\": [{\"key\": \"a\", \"value\": 1, \"step\": 1.5}]}", "metrics[0].step must be an integer"},
      {"{\"metrics\": [{\"key\": \"\", \"value\": 1}]}", "metrics[0].key must have"},
      {"{\"metrics\": []} trailing", "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto r = ParseMetricBatch(c.body, 0);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.body;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.body << " -> " << r.status().message();
  }
}

TEST(ParseMetricBatch, RefusesMoreThanTheLimit) {
  std::string body = "{\"metrics\": [";
  for (size_t i = 0; i <= kMaxMetricsPerRequest; ++i) {
    body += (i ? "," : "") + std::string("{\"key\":\"k\",\"value\":1}");
  }
  body += "]}";
  EXPECT_EQ(ParseMetricBatch(body, 0).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace plinth::http

#include "http/predict_body.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "http/json_text.h"
#include "http/predict_answer.h"

namespace plinth::http {
namespace {

TEST(PredictBody, InputsRowsAreRowMajorWithNullsAsNaNAndBooleansAsOneOrZero) {
  auto rows = ParsePredictBody(R"({"inputs": [[1, 2.5, null], [true, false, -3e2]]})");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  EXPECT_FALSE(rows->named);
  EXPECT_EQ(rows->n_rows, 2u);
  EXPECT_EQ(rows->width, 3u);
  ASSERT_EQ(rows->values.size(), 6u);
  EXPECT_FLOAT_EQ(rows->values[0], 1.0f);
  EXPECT_FLOAT_EQ(rows->values[1], 2.5f);
  EXPECT_TRUE(std::isnan(rows->values[2]));
  EXPECT_FLOAT_EQ(rows->values[3], 1.0f);
  EXPECT_FLOAT_EQ(rows->values[4], 0.0f);
  EXPECT_FLOAT_EQ(rows->values[5], -300.0f);
}

TEST(PredictBody, InstancesKeepNamesInOrder) {
  auto rows = ParsePredictBody(R"({"instances": [{"b": 1, "a": null}, {}]})");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  EXPECT_TRUE(rows->named);
  ASSERT_EQ(rows->n_rows, 2u);
  ASSERT_EQ(rows->instances[0].size(), 2u);
  EXPECT_EQ(rows->instances[0][0].first, "b");
  EXPECT_EQ(rows->instances[0][1].first, "a");
  EXPECT_TRUE(std::isnan(rows->instances[0][1].second));
  EXPECT_TRUE(rows->instances[1].empty());
}

TEST(PredictBody, ErrorsNameTheOffendingElement) {
  auto message = [](std::string_view body) {
    auto rows = ParsePredictBody(body);
    EXPECT_FALSE(rows.ok()) << body;
    return rows.ok() ? std::string() : rows.status().message();
  };
  EXPECT_EQ(message("{"), "request body is not valid JSON");
  EXPECT_EQ(message("[1]"), "request body must be a JSON object");
  EXPECT_EQ(message("{}"), "send exactly one of 'instances' (named features) and 'inputs' (rows)");
  EXPECT_EQ(message(R"({"inputs": [[1]], "instances": []})"),
            "send exactly one of 'instances' (named features) and 'inputs' (rows)");
  EXPECT_EQ(message(R"({"inputs": 3})"), "'inputs' must be a list of rows");
  EXPECT_EQ(message(R"({"inputs": [[1, 2], 3]})"), "inputs[1] must be a list of numbers");
  EXPECT_EQ(message(R"({"inputs": [[1, 2], [3]]})"), "inputs[1] has 1 values, inputs[0] has 2");
  EXPECT_EQ(message(R"({"inputs": [[1, "x"]]})"), "inputs[0][1] must be a number or null");
  EXPECT_EQ(message(R"({"instances": {}})"), "'instances' must be a list of objects");
  EXPECT_EQ(message(R"({"instances": [{"a": 1}, 2]})"), "instances[1] must be an object");
  EXPECT_EQ(message(R"({"instances": [{"a": [1]}]})"), "instances[0].a must be a number or null");
  // Models read float32: a number that would become infinity is refused, one that rounds to
  // float's largest value is not.
  EXPECT_EQ(message(R"({"inputs": [[1, 1e300]]})"),
            "inputs[0][1] is beyond the float32 range models read (about +-3.4e38)");
  EXPECT_EQ(message(R"({"instances": [{"a": -3.5e38}]})"),
            "instances[0].a is beyond the float32 range models read (about +-3.4e38)");
  auto largest = ParsePredictBody(R"({"inputs": [[3.4028235e38, -3.4028234e38]]})");
  ASSERT_TRUE(largest.ok()) << largest.status().message();
  EXPECT_EQ(largest->values[0], std::numeric_limits<float>::max());
  EXPECT_EQ(largest->values[1], -std::numeric_limits<float>::max());
}

TEST(InferBody, OneTensorOfRowsOrOneTensorPerFeature) {
  auto one = ParseInferBody(
      R"({"id": "r1", "inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 4]]}]})");
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one->id, "r1");
  EXPECT_FALSE(one->rows.named);
  EXPECT_EQ(one->rows.width, 2u);
  EXPECT_EQ(one->rows.values, (std::vector<float>{1, 2, 3, 4}));

  auto per_feature = ParseInferBody(
      R"({"inputs": [{"name": "a", "shape": [2], "data": [1, 2]}, {"name": "b", "shape": [2, 1], "data": [3, null]}]})");
  ASSERT_TRUE(per_feature.ok()) << per_feature.status().message();
  EXPECT_EQ(per_feature->id, "");
  ASSERT_TRUE(per_feature->rows.named);
  ASSERT_EQ(per_feature->rows.n_rows, 2u);
  EXPECT_EQ(per_feature->rows.instances[1][0].first, "a");
  EXPECT_EQ(per_feature->rows.instances[1][0].second, 2.0f);
  EXPECT_TRUE(std::isnan(per_feature->rows.instances[1][1].second));
}

TEST(InferBody, ShapeAndDataMustAgree) {
  auto bad = ParseInferBody(R"({"inputs": [{"name": "x", "shape": [2, 2], "data": [1, 2, 3]}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "inputs[0] has 3 values; its shape needs 4");
  auto mixed = ParseInferBody(R"({"inputs": [{"name": "x", "shape": [2], "data": [[1], 2]}]})");
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().message(), "inputs[0].data mixes rows and values");
  auto rows = ParseInferBody(
      R"({"inputs": [{"name": "a", "shape": [2], "data": [1, 2]}, {"name": "b", "shape": [1], "data": [3]}]})");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().message(), "input 'b' has 1 rows; the first input has 2");
  EXPECT_FALSE(ParseInferBody(R"({"inputs": []})").ok());
  EXPECT_FALSE(ParseInferBody(R"({"inputs": [{"shape": [1], "data": [1]}]})").ok());
}

// Regression: the values were reserved for rows x the first row's width before the other rows
// were checked, so a first row of 100000 values and 200000 empty rows (800 KB of body) asked for
// 80 GB (std::bad_alloc, a 500; an abort under AddressSanitizer) instead of answering 400.
TEST(PredictBody, ShortRowsAfterAWideFirstRowAre400) {
  std::string body = "{\"inputs\": [[";
  for (int i = 0; i < 100000; ++i) body += i ? ",1" : "1";
  body += "]";
  for (int i = 0; i < 200000; ++i) body += ",[]";
  body += "]}";
  auto rows = ParsePredictBody(body);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().message(), "inputs[1] has 0 values, inputs[0] has 100000");
}

// Regression: a tensor of shape [n, 0] among several was read n values past its empty data
// (heap overflow), and one of shape [n, k > 1] gave each row values of other rows.
TEST(InferBody, PerFeatureTensorsHoldOneValuePerRow) {
  auto empty = ParseInferBody(
      R"({"inputs": [{"name": "a", "shape": [3, 0], "data": []}, {"name": "b", "shape": [3, 0], "data": []}]})");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(),
            "input 'a' has shape [3, 0]; with several inputs each must be [n] or [n, 1]");
  auto wide = ParseInferBody(
      R"({"inputs": [{"name": "a", "shape": [2, 2], "data": [1, 2, 3, 4]}, {"name": "b", "shape": [2], "data": [5, 6]}]})");
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.status().message(),
            "input 'a' has shape [2, 2]; with several inputs each must be [n] or [n, 1]");
}

// Regression: the element count of a shape was multiplied in int64 without a check, so
// [2^62 + 1, 4] overflowed (undefined behaviour) to 4 and passed with 4 values.
TEST(InferBody, ShapeTooLargeIsRejected) {
  auto huge = ParseInferBody(
      R"({"inputs": [{"name": "x", "shape": [4611686018427387905, 4], "data": [1, 2, 3, 4]}]})");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().message(), "inputs[0].shape holds more values than a request can");
}

TEST(JsonText, StringsAreEscapedAndNumbersRoundTrip) {
  std::string out;
  AppendJsonString("a\"b\\c\n\x01", &out);
  EXPECT_EQ(out, R"("a\"b\\c\u000a\u0001")");
  out.clear();
  AppendJsonDouble(3.0, &out);
  out.push_back(' ');
  AppendJsonDouble(static_cast<float>(0.1), &out);
  out.push_back(' ');
  AppendJsonDouble(std::nan(""), &out);
  out.push_back(' ');
  AppendJsonDouble(1e-7, &out);
  out.push_back(' ');
  AppendJsonInt(-42, &out);
  EXPECT_EQ(out, "3.0 0.10000000149011612 null 1e-07 -42");
}

TEST(PredictAnswer, FlatForOneOutputNestedForMany) {
  serving::LiveEndpoint live;
  serving::Prediction p;
  p.variant = "a";
  p.model = "m";
  p.version = 3;
  p.runtime = "compiled-trees";
  p.values = {0.5f, 2.0f};
  EXPECT_EQ(PredictAnswerJson(p, live, "id1"),
            R"({"predictions":[0.5,2.0],"variant":"a","model":"m","version":3,)"
            R"("runtime":"compiled-trees","served_by":"model","request_id":"id1"})");
  p.outputs_per_row = 2;
  p.values = {0.25f, 0.75f, 1.0f, 0.0f};
  std::string out;
  AppendPredictionsJson(p, &out);
  EXPECT_EQ(out, "[[0.25,0.75],[1.0,0.0]]");
  p.values.clear();
  out.clear();
  AppendPredictionsJson(p, &out);
  EXPECT_EQ(out, "[]");
}

TEST(PredictAnswer, AConstantFallbackHasNoVariantModelOrVersion) {
  serving::LiveEndpoint live;
  live.spec.fallback.emplace();
  live.spec.fallback->constant = std::vector<double>{7.5};
  serving::Prediction p;
  p.runtime = "constant";
  p.served_by = "fallback";
  p.fallback_constant = true;
  p.fallback_reason = "deadline";
  p.values = {7.5f};
  EXPECT_EQ(PredictAnswerJson(p, live, "x", R"("features":{})"),
            R"({"predictions":[7.5],"variant":null,"model":null,"version":null,)"
            R"("runtime":"constant","served_by":"fallback","request_id":"x",)"
            R"("fallback":{"reason":"deadline","constant":7.5},"features":{}})");
}

}  // namespace
}  // namespace plinth::http

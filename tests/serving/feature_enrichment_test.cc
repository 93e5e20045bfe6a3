// Predict requests of endpoints that declare online features: parsing, the one lookup per
// request, request values winning, echo, and errors. The lookup is a recording fake here; the
// integration test (test_online_features.py) runs the real online store and an XGBoost model.
#include "serving/feature_enrichment.h"

#include <gtest/gtest.h>

#include <cmath>

#include "serving/endpoint_spec_json.h"

namespace plinth::serving {
namespace {

class FakeLookup : public FeatureLookup {
 public:
  Status Lookup(const std::vector<std::string>& refs, const std::string& entity_key,
                const std::vector<std::optional<std::string>>& keys,
                std::vector<float>* values) override {
    ++calls;
    seen_keys = keys;
    if (!error.ok()) return error;
    values->clear();
    for (const auto& key : keys) {
      for (size_t i = 0; i < refs.size(); ++i) {
        values->push_back(*key == "404" ? std::nanf("") : std::stof(*key) * 10 + static_cast<float>(i));
      }
    }
    return Status::Ok();
  }
  Status Check(const EndpointFeatures&) override { return Status::Ok(); }
  int calls = 0;
  std::vector<std::optional<std::string>> seen_keys;
  Status error;
};

EndpointFeatures Declared() { return {{"zones:trips", "zones:speed"}, "zone_id", false}; }

float Get(const FeatureRows& rows, size_t r, const std::string& name) {
  for (const auto& [n, v] : rows.instances[r]) {
    if (n == name) return v;
  }
  return -1;
}

TEST(FeatureEnrichment, FillsDeclaredFeaturesInOneLookupAndRequestValuesWin) {
  FakeLookup lookup;
  auto req = ParseAndEnrich(lookup, Declared(), R"({"instances": [
      {"zone_id": 1, "hour": 8}, {"zone_id": "2", "speed": 99.5}, {"zone_id": 404}],
      "echo_features": true})");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(lookup.calls, 1);
  ASSERT_EQ(lookup.seen_keys.size(), 3u);
  EXPECT_EQ(*lookup.seen_keys[1], "2");
  const FeatureRows& rows = req->rows;
  EXPECT_TRUE(rows.named);
  EXPECT_EQ(rows.n_rows, 3u);
  EXPECT_EQ(Get(rows, 0, "hour"), 8);
  EXPECT_EQ(Get(rows, 0, "trips"), 10);
  EXPECT_EQ(Get(rows, 0, "speed"), 11);
  EXPECT_EQ(Get(rows, 0, "zone_id"), -1);  // not passed unless include_entity_key
  EXPECT_EQ(Get(rows, 1, "speed"), 99.5);  // the request's value
  EXPECT_TRUE(std::isnan(Get(rows, 2, "trips")));
  EXPECT_TRUE(req->echo);
  nlohmann::json echo = req->EchoJson();
  EXPECT_EQ(echo[0]["trips"], 10);
  EXPECT_TRUE(echo[2]["trips"].is_null());
}

TEST(FeatureEnrichment, IncludeEntityKeyPassesItToTheModel) {
  FakeLookup lookup;
  EndpointFeatures f = Declared();
  f.include_entity_key = true;
  auto req = ParseAndEnrich(lookup, f, R"({"instances": [{"zone_id": 3}]})");
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(Get(req->rows, 0, "zone_id"), 3);
  EXPECT_FALSE(req->echo);
}

// Regression: `plinth predict` reads CSV numbers as floats and sent zone_id 1 as 1.0, which was
// refused; a whole float names the same entity as the integer.
TEST(FeatureEnrichment, WholeFloatEntityKeyIsTheInteger) {
  FakeLookup lookup;
  auto req = ParseAndEnrich(lookup, Declared(), R"({"instances": [{"zone_id": 7.0}, {"zone_id": -2.0}]})");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_EQ(lookup.seen_keys.size(), 2u);
  EXPECT_EQ(*lookup.seen_keys[0], "7");
  EXPECT_EQ(*lookup.seen_keys[1], "-2");
}

TEST(FeatureEnrichment, BadRequestsNameTheProblem) {
  FakeLookup lookup;
  auto missing = ParseAndEnrich(lookup, Declared(), R"({"instances": [{"hour": 1}]})");
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("zone_id"), std::string::npos);
  EXPECT_EQ(ParseAndEnrich(lookup, Declared(), R"({"inputs": [[1]]})").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAndEnrich(lookup, Declared(), R"({"instances": [{"zone_id": 1.5}]})").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAndEnrich(lookup, Declared(), "{nope").status().code(), StatusCode::kInvalidArgument);
  lookup.error = NotFound("feature view 'zones' has no feature 'speed'");
  auto unresolved = ParseAndEnrich(lookup, Declared(), R"({"instances": [{"zone_id": 1}]})");
  EXPECT_EQ(unresolved.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(unresolved.status().message().find("speed"), std::string::npos);
}

TEST(EndpointFeatures, JsonRoundTripAndValidation) {
  auto spec = EndpointSpecFromJson(nlohmann::json::parse(R"({"variants": [{"model": "m", "version": 1}],
      "features": {"refs": ["zones:trips"], "entity_key": "zone_id"}})"), "ep");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_TRUE(spec->features.has_value());
  auto again = EndpointSpecFromJson(EndpointSpecToJson(*spec), "ep");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->features, spec->features);
  for (const char* bad : {R"({"refs": ["trips"], "entity_key": "zone_id"})",
                          R"({"refs": [], "entity_key": "zone_id"})",
                          R"({"refs": ["a:x", "b:x"], "entity_key": "zone_id"})",
                          R"({"refs": ["a:x"]})", R"({"refs": ["a:x"], "entity_key": "k", "ttl": 1})"}) {
    auto j = nlohmann::json::parse(R"({"variants": [{"model": "m", "version": 1}]})");
    j["features"] = nlohmann::json::parse(bad);
    EXPECT_EQ(EndpointSpecFromJson(j, "ep").status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace plinth::serving

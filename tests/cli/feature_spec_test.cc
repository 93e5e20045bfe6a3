// `plinth features apply` spec files: YAML to the API's JSON bodies, and the errors that name
// the file and line.

#include "cli/feature_spec.h"

#include <gtest/gtest.h>

namespace plinth::cli {
namespace {

using nlohmann::json;

TEST(FeatureSpec, ReadsEntitiesAndViewsAsApiBodies) {
  auto spec = ParseFeatureSpec(R"(
entities:
  - name: zone
    join_keys: [{name: zone_id, type: int}]
    description: a city zone
feature_views:
  - name: zone_demand
    entities: [zone]
    ttl: 2h
    owner: ops
    tags: {team: ops, tier: 1}
    features:
      - name: bookings
        type: int
        rules: {not_null: true, min: 0, max: 1e4}
      - {name: temperature, type: float, rules: {min: -40.5, max: 50}}
      - {name: weather, type: string, rules: {allowed_values: [sun, rain, "1"]}}
      - {name: holiday, type: bool}
)",
                               "f.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  ASSERT_EQ(spec->entities.size(), 1u);
  EXPECT_EQ(spec->entities[0],
            json::parse(R"({"name": "zone", "join_keys": [{"name": "zone_id", "type": "int"}],
                           "description": "a city zone"})"));
  ASSERT_EQ(spec->feature_views.size(), 1u);
  const json& v = spec->feature_views[0];
  EXPECT_EQ(v["ttl"], "2h");
  EXPECT_EQ(v["entities"], json::array({"zone"}));
  EXPECT_EQ(v["tags"], json({{"team", "ops"}, {"tier", "1"}}));  // tag values are text
  EXPECT_EQ(v["features"][0]["rules"], json({{"not_null", true}, {"min", 0}, {"max", 1e4}}));
  EXPECT_TRUE(v["features"][0]["rules"]["min"].is_number_integer());
  EXPECT_EQ(v["features"][1]["rules"]["min"], -40.5);
  // A quoted "1" stays a string; plain words are strings.
  EXPECT_EQ(v["features"][2]["rules"]["allowed_values"], json::array({"sun", "rain", "1"}));
  EXPECT_EQ(v["features"][3], json({{"name", "holiday"}, {"type", "bool"}}));
}

TEST(FeatureSpec, NamesThatLookLikeNumbersStayText) {
  auto spec = ParseFeatureSpec("entities:\n  - name: 2024\n    join_keys: [123]\n", "f.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->entities[0]["name"], "2024");
  EXPECT_EQ(spec->entities[0]["join_keys"], json::array({"123"}));
}

TEST(FeatureSpec, NullsAndBooleansFollowYamlCoreSchema) {
  auto spec = ParseFeatureSpec(
      "feature_views:\n  - name: v\n    entities: [e]\n    ttl_seconds: ~\n"
      "    features: [{name: f, type: float, rules: {not_null: True}}]\n",
      "f.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_TRUE(spec->feature_views[0]["ttl_seconds"].is_null());
  EXPECT_EQ(spec->feature_views[0]["features"][0]["rules"]["not_null"], true);
}

void ExpectError(const std::string& yaml, const std::string& fragment) {
  auto spec = ParseFeatureSpec(yaml, "spec.yaml");
  ASSERT_FALSE(spec.ok()) << yaml;
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(spec.status().message().find(fragment), std::string::npos)
      << spec.status().message() << " should contain " << fragment;
}

TEST(FeatureSpec, RejectsBadYamlNamingTheLine) {
  ExpectError("entities:\n  - name: zone\n    join_keys: [a, b\n", "spec.yaml:");
  ExpectError("entities:\n  - name: zone\n    join_keys: [a, b\n", "not valid YAML");
}

TEST(FeatureSpec, RejectsEmptyAndWrongShapes) {
  ExpectError("", "spec.yaml is empty");
  ExpectError("# only a comment\n", "is empty");
  ExpectError("- a\n- b\n", "must be a mapping");
  ExpectError("entities: zone\n", "spec.yaml:1: 'entities' must be a list");
  ExpectError("entities:\n  - zone\n", "spec.yaml:2: entities[0] must be a mapping");
  ExpectError("entities: []\nfeature_views: []\n", "declares no entities and no feature views");
}

TEST(FeatureSpec, RejectsUnknownSectionsMissingAndRepeatedNames) {
  ExpectError("entities: []\nfeature_view:\n  - name: v\n",
              "spec.yaml:2: unknown section 'feature_view'");
  ExpectError("entities:\n  - join_keys: [a]\n", "spec.yaml:2: entities[0] has no name");
  ExpectError("feature_views:\n  - name: v\n  - name: w\n  - name: v\n",
              "spec.yaml:4: feature_views[2] declares 'v' a second time");
  ExpectError("entities:\n  - name: e\n    name: f\n", "entities[0].name is given twice");
}

}  // namespace
}  // namespace plinth::cli

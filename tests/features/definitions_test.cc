#include "features/definitions.h"

#include <gtest/gtest.h>

namespace plinth::features {
namespace {

FeatureView BaseView() {
  FeatureView v;
  v.name = "drivers";
  v.entities = {"driver"};
  v.features = {{"conv", ValueType::kFloat, {}, "", {}}, {"trips", ValueType::kInt, {}, "", {}}};
  v.ttl_seconds = 3600;
  v.join_keys = {{"driver_id", ValueType::kInt}};
  return v;
}

TEST(Definitions, ValidatesNamesTypesAndRules) {
  EXPECT_TRUE(ValidateFeatureView(BaseView()).ok());
  FeatureView v = BaseView();
  v.features.push_back({"conv", ValueType::kFloat, {}, "", {}});
  EXPECT_NE(ValidateFeatureView(v).message().find("appears twice"), std::string::npos);
  v = BaseView();
  v.features[0].name = "event_timestamp";
  EXPECT_FALSE(ValidateFeatureView(v).ok());
  v = BaseView();
  v.name = "bad name";
  EXPECT_EQ(ValidateFeatureView(v).code(), StatusCode::kInvalidArgument);
  v = BaseView();
  v.features.push_back({"tier", ValueType::kString, {}, "", {}});
  v.features.back().rules.min = 1;
  EXPECT_NE(ValidateFeatureView(v).message().find("min and max apply only"), std::string::npos);
  v = BaseView();
  v.features[1].rules.allowed_values = {"1", "two"};
  EXPECT_NE(ValidateFeatureView(v).message().find("'two' is not a int"), std::string::npos);
  v = BaseView();
  v.features[0].rules.min = 5;
  v.features[0].rules.max = 1;
  EXPECT_FALSE(ValidateFeatureView(v).ok());
  v = BaseView();
  v.ttl_seconds = -1;
  EXPECT_FALSE(ValidateFeatureView(v).ok());

  Entity e{"driver", {{"driver_id", ValueType::kInt}}, "", {}, 0, 0, ""};
  EXPECT_TRUE(ValidateEntity(e).ok());
  e.join_keys.push_back({"x", ValueType::kFloat});
  EXPECT_NE(ValidateEntity(e).message().find("type int or string"), std::string::npos);
}

TEST(Definitions, ClassifiesBreakingChanges) {
  FeatureView before = BaseView();
  // Added feature: schema change, not breaking.
  FeatureView after = before;
  after.features.push_back({"rating", ValueType::kFloat, {}, "", {}});
  ViewDiff d = DiffFeatureViews(before, after);
  EXPECT_TRUE(d.schema_changed());
  EXPECT_FALSE(d.breaking());
  // Removed feature: breaking.
  after = before;
  after.features.pop_back();
  EXPECT_TRUE(DiffFeatureViews(before, after).breaking());
  // Type change: breaking.
  after = before;
  after.features[1].type = ValueType::kFloat;
  d = DiffFeatureViews(before, after);
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].field, "features.trips.type");
  EXPECT_TRUE(d.breaking());
  // Join keys: breaking.
  after = before;
  after.join_keys = {{"driver_id", ValueType::kString}};
  EXPECT_TRUE(DiffFeatureViews(before, after).breaking());
  // TTL and rules: a new version, not breaking.
  after = before;
  after.ttl_seconds = 60;
  after.features[0].rules.not_null = true;
  d = DiffFeatureViews(before, after);
  EXPECT_TRUE(d.schema_changed());
  EXPECT_FALSE(d.breaking());
  EXPECT_EQ(d.changes.size(), 2u);
  // Metadata only: no new version.
  after = before;
  after.owner = "team-a";
  after.features[0].description = "conversion rate";
  d = DiffFeatureViews(before, after);
  EXPECT_FALSE(d.schema_changed());
  EXPECT_EQ(d.changes.size(), 2u);
  // Reordering: a new version, not breaking.
  after = before;
  std::swap(after.features[0], after.features[1]);
  d = DiffFeatureViews(before, after);
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].field, "features.order");
  EXPECT_FALSE(d.breaking());
  EXPECT_TRUE(DiffFeatureViews(before, before).empty());
}

TEST(Definitions, JsonRoundTripAndStrictFields) {
  auto v = FeatureViewFromJson(R"({"name": "drivers", "entities": ["driver"], "ttl": "1d",
      "owner": "ml", "tags": {"team": "x", "n": 3},
      "features": [{"name": "conv", "type": "float", "rules": {"min": 0, "max": 1}},
                   {"name": "tier", "type": "string",
                    "rules": {"not_null": true, "allowed_values": ["gold", "silver"]}}]})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->ttl_seconds, 86400);
  EXPECT_EQ(v->tags.at("n"), "3");
  EXPECT_EQ(*v->features[0].rules.max, 1.0);
  auto again = FeatureViewFromJson(FeatureViewToJson(*v));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(DiffFeatureViews(*v, *again).empty());

  auto typo = FeatureViewFromJson(R"({"name": "v", "entities": ["e"], "ttl_second": 5,
      "features": [{"name": "a", "type": "float"}]})");
  EXPECT_NE(typo.status().message().find("unknown field 'ttl_second'"), std::string::npos);
  auto bad_type = FeatureViewFromJson(R"({"name": "v", "entities": ["e"],
      "features": [{"name": "a", "type": "double"}]})");
  EXPECT_NE(bad_type.status().message().find("features[0].type 'double'"), std::string::npos);

  auto e = EntityFromJson(R"({"name": "driver", "join_keys": ["driver_id"]})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->join_keys[0].type, ValueType::kString);
  EXPECT_EQ(*ParseDurationSeconds("12h", "ttl"), 43200);
  EXPECT_FALSE(ParseDurationSeconds("12x", "ttl").ok());
}

TEST(Definitions, ParsesFeatureRefs) {
  auto ref = ParseFeatureRef("drivers:conv");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->view, "drivers");
  EXPECT_EQ(ref->feature, "conv");
  EXPECT_FALSE(ParseFeatureRef("drivers").ok());
  EXPECT_FALSE(ParseFeatureRef("a:b:c").ok());
  EXPECT_FALSE(ParseFeatureRef(":b").ok());
}

}  // namespace
}  // namespace plinth::features

#include "serving/rollout.h"

#include <gtest/gtest.h>

namespace plinth::serving {
namespace {

using nlohmann::json;

EndpointSpec TwoVariants() {
  EndpointSpec spec;
  spec.name = "demand";
  spec.variants = {VariantSpec{"a", ModelRef{"m", 1, std::nullopt}, 3},
                   VariantSpec{"b", ModelRef{"m", 2, std::nullopt}, 1}};
  return spec;
}

TEST(RolloutRequest, DefaultsAndAliases) {
  auto r = RolloutRequestFromJson(json{{"model", "m"}, {"alias", "challenger"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->canary.alias, "challenger");
  EXPECT_EQ(r->steps, (std::vector<double>{5, 25, 50, 100}));
  EXPECT_EQ(r->guards.max_error_rate, 0.01);
  EXPECT_FALSE(r->guards.max_mean_shift.has_value());
  auto off = RolloutRequestFromJson(json{{"model", "m"}, {"version", 2}, {"max_error_rate", nullptr}});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->guards.max_error_rate.has_value());
}

TEST(RolloutRequest, RejectsBadStepsAndNamesTheField) {
  for (json steps : {json::array({5, 5, 100}), json::array({50, 25, 100}), json::array({5, 50}),
                     json::array({0, 100}), json::array(), json("5,100")}) {
    auto r = RolloutRequestFromJson(json{{"model", "m"}, {"version", 1}, {"steps", steps}});
    ASSERT_FALSE(r.ok()) << steps;
    EXPECT_NE(r.status().message().find("steps"), std::string::npos) << r.status().message();
  }
  EXPECT_FALSE(RolloutRequestFromJson(json{{"model", "m"}}).ok());
  EXPECT_FALSE(RolloutRequestFromJson(json{{"model", "m"}, {"version", 1}, {"alias", "x"}}).ok());
  EXPECT_FALSE(
      RolloutRequestFromJson(json{{"model", "m"}, {"version", 1}, {"step_seconds", 0}}).ok());
  EXPECT_FALSE(RolloutRequestFromJson(
                   json{{"model", "m"}, {"version", 1}, {"steps", {100}}, {"max_mean_shift", 1}})
                   .ok());
}

TEST(CanarySpec, OriginalVariantsKeepTheirProportionsOfTheRest) {
  EndpointSpec spec = CanarySpec(TwoVariants(), ModelRef{"m", 3, std::nullopt}, 20);
  ASSERT_EQ(spec.variants.size(), 3u);
  EXPECT_DOUBLE_EQ(spec.variants[0].weight, 60);
  EXPECT_DOUBLE_EQ(spec.variants[1].weight, 20);
  EXPECT_EQ(spec.variants[2].name, kCanaryVariant);
  EXPECT_DOUBLE_EQ(spec.variants[2].weight, 20);
  EXPECT_TRUE(ValidateEndpointSpec(CanarySpec(TwoVariants(), ModelRef{"m", 3, std::nullopt}, 100)).ok());
}

TEST(PromotedSpec, PrimaryVariantAloneOnTheCanary) {
  EndpointSpec base = TwoVariants();
  base.capture_sample_rate = 0.5;
  EndpointSpec spec = PromotedSpec(base, "a", ModelRef{"m", std::nullopt, "challenger"});
  ASSERT_EQ(spec.variants.size(), 1u);
  EXPECT_EQ(spec.variants[0].name, "a");
  EXPECT_EQ(spec.variants[0].ref.alias, "challenger");
  EXPECT_EQ(spec.capture_sample_rate, 0.5);
}

TEST(Rollout, JsonRoundTrip) {
  Rollout r;
  r.id = "abc";
  r.endpoint = "demand";
  r.request = *RolloutRequestFromJson(json{{"model", "m"}, {"version", 3}, {"max_p99_ms", 5}});
  r.primary_variant = "a";
  r.canary_version = 3;
  r.state = RolloutState::kRolledBack;
  r.step_index = 1;
  r.history = {RolloutStep{5, 10, 20, "passed", "ok", {}, {}},
               RolloutStep{25, 20, 30, "failed", "too slow", {}, {}}};
  r.history[1].canary.p99_ms = 7;
  r.reason = RolloutReason{"max_p99_ms", 7.0, 5.0, "too slow"};
  r.original = TwoVariants();
  r.created_ms = 10;
  r.updated_ms = r.finished_ms = 30;
  r.created_by = "ana";
  json j = RolloutToJson(r);
  EXPECT_EQ(j["state"], "rolled_back");
  EXPECT_EQ(j["percent"], 0);
  auto back = RolloutFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(RolloutToJson(*back), j);
}

}  // namespace
}  // namespace plinth::serving

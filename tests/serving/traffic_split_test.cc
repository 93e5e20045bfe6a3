#include "serving/traffic_split.h"

#include <gtest/gtest.h>

#include <string>

#include "serving/endpoint_spec.h"

namespace plinth::serving {
namespace {

TEST(TrafficSplit, SameRoutingKeyAlwaysGetsTheSameVariant) {
  TrafficSplit split({1, 1, 2});
  for (int i = 0; i < 200; ++i) {
    std::string key = "user-" + std::to_string(i);
    size_t first = split.Choose(key);
    for (int j = 0; j < 5; ++j) EXPECT_EQ(split.Choose(key), first);
  }
}

TEST(TrafficSplit, KeysSpreadByWeight) {
  TrafficSplit split({1, 3});
  int counts[2] = {0, 0};
  for (int i = 0; i < 20000; ++i) ++counts[split.Choose("k" + std::to_string(i))];
  EXPECT_NEAR(counts[1] / 20000.0, 0.75, 0.02);
}

TEST(TrafficSplit, ZeroWeightVariantsGetNoTraffic) {
  TrafficSplit split({0, 5, 0});
  for (double u : {0.0, 0.3, 0.999999, 1.0}) EXPECT_EQ(split.ChooseAt(u), 1u) << u;
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(split.Choose(""), 1u);
}

TEST(EndpointSpec, RejectsMalformedSpecs) {
  EndpointSpec ok{"demand", {{"a", {"m", 1, std::nullopt}, 1}}, std::nullopt};
  EXPECT_TRUE(ValidateEndpointSpec(ok).ok());
  EndpointSpec both = ok;
  both.variants[0].ref.alias = "champion";
  EXPECT_FALSE(ValidateEndpointSpec(both).ok());
  EndpointSpec zero = ok;
  zero.variants[0].weight = 0;
  EXPECT_FALSE(ValidateEndpointSpec(zero).ok());
  EndpointSpec dup = ok;
  dup.variants.push_back(dup.variants[0]);
  EXPECT_FALSE(ValidateEndpointSpec(dup).ok());
  EndpointSpec none = ok;
  none.variants.clear();
  EXPECT_FALSE(ValidateEndpointSpec(none).ok());
}

}  // namespace
}  // namespace plinth::serving

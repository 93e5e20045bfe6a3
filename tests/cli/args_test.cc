#include "cli/args.h"

#include <gtest/gtest.h>

#include "cli/errors.h"

namespace plinth::cli {
namespace {

TEST(ParseKeyValue, SplitsAtFirstEquals) {
  auto kv = ParseKeyValue("query=a=b", "--tag");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "query");
  EXPECT_EQ(kv->second, "a=b");
}

TEST(ParseKeyValue, AllowsEmptyValue) {
  auto kv = ParseKeyValue("note=", "--tag");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->second, "");
}

TEST(ParseKeyValue, RejectsMissingEqualsAsUsageError) {
  auto kv = ParseKeyValue("team", "--tag");
  ASSERT_FALSE(kv.ok());
  EXPECT_EQ(kv.status().message(), "bad --tag 'team': expected KEY=VALUE");
  EXPECT_EQ(ExitCodeFor(kv.status()), kExitUsage);
}

TEST(ParseKeyValue, RejectsEmptyKey) { EXPECT_FALSE(ParseKeyValue("=v", "--tag").ok()); }

TEST(ParseKeyValues, CollectsAllAndRejectsRepeatedKey) {
  auto map = ParseKeyValues({"a=1", "b=2"}, "--param");
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->size(), 2u);
  EXPECT_EQ(map->at("b"), "2");
  auto twice = ParseKeyValues({"a=1", "a=2"}, "--param");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("'a' is given twice"), std::string::npos);
}

TEST(ParseNumber, AcceptsDecimalsAndRejectsJunk) {
  EXPECT_DOUBLE_EQ(*ParseNumber("0.25", "VALUE"), 0.25);
  EXPECT_DOUBLE_EQ(*ParseNumber("-3", "VALUE"), -3);
  EXPECT_DOUBLE_EQ(*ParseNumber("1e-3", "VALUE"), 0.001);
  EXPECT_FALSE(ParseNumber("", "VALUE").ok());
  EXPECT_FALSE(ParseNumber("0.5x", "VALUE").ok());
  EXPECT_FALSE(ParseNumber(" 1", "VALUE").ok());
  EXPECT_FALSE(ParseNumber("nan", "VALUE").ok());
  EXPECT_FALSE(ParseNumber("inf", "VALUE").ok());
  EXPECT_EQ(ParseNumber("abc", "VALUE").status().message(), "VALUE must be a number, not 'abc'");
}

TEST(ParseInteger, RejectsFractions) {
  EXPECT_EQ(*ParseInteger("42", "--step"), 42);
  EXPECT_FALSE(ParseInteger("4.2", "--step").ok());
  EXPECT_FALSE(ParseInteger("99999999999999999999", "--step").ok());
}

TEST(ParseNumberMap, KeepsIntegersAsIntegers) {
  auto map = ParseNumberMap({"mape=0.11", "trees=200"}, "--metric");
  ASSERT_TRUE(map.ok());
  EXPECT_TRUE((*map)["trees"].is_number_integer());
  EXPECT_EQ((*map)["trees"], 200);
  EXPECT_DOUBLE_EQ((*map)["mape"].get<double>(), 0.11);
  EXPECT_FALSE(ParseNumberMap({"mape=low"}, "--metric").ok());
}

TEST(ParseSignature, BuildsInputsInOrder) {
  auto sig = ParseSignature("temp:float, hour : int,city:string");
  ASSERT_TRUE(sig.ok()) << sig.status().message();
  nlohmann::json expected = {{"inputs",
                              {{{"name", "temp"}, {"type", "float"}},
                               {{"name", "hour"}, {"type", "int"}},
                               {{"name", "city"}, {"type", "string"}}}}};
  EXPECT_EQ(*sig, expected);
}

TEST(ParseSignature, RejectsUnknownType) {
  auto sig = ParseSignature("temp:float32");
  ASSERT_FALSE(sig.ok());
  EXPECT_NE(sig.status().message().find("'temp' has type 'float32'"), std::string::npos);
  EXPECT_EQ(ExitCodeFor(sig.status()), kExitUsage);
}

TEST(ParseSignature, RejectsMalformedItems) {
  EXPECT_FALSE(ParseSignature("").ok());
  EXPECT_FALSE(ParseSignature("temp").ok());
  EXPECT_FALSE(ParseSignature(":float").ok());
  EXPECT_FALSE(ParseSignature("a:int,").ok());
  EXPECT_FALSE(ParseSignature("a:int,a:float").ok());
}

TEST(ParseModelRef, VersionOrAlias) {
  EXPECT_EQ(*ParseModelRef("demand:3", "CANARY"), (nlohmann::json{{"model", "demand"}, {"version", 3}}));
  EXPECT_EQ(*ParseModelRef("demand@champion", "CANARY"),
            (nlohmann::json{{"model", "demand"}, {"alias", "champion"}}));
  auto bad = ParseModelRef("demand", "CANARY");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("MODEL:VERSION"), std::string::npos);
  EXPECT_FALSE(ParseModelRef("demand:x", "CANARY").ok());
}

TEST(ParseNumberList, CommaSeparatedNumbers) {
  EXPECT_EQ(*ParseNumberList("5,25,50,100", "--steps"), (nlohmann::json{5.0, 25.0, 50.0, 100.0}));
  EXPECT_EQ(*ParseNumberList("0.5", "--steps"), (nlohmann::json{0.5}));
  EXPECT_FALSE(ParseNumberList("5,,100", "--steps").ok());
  EXPECT_FALSE(ParseNumberList("5;100", "--steps").ok());
}

}  // namespace
}  // namespace plinth::cli

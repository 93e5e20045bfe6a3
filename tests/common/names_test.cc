#include "common/names.h"

#include <gtest/gtest.h>

#include <string>

namespace plinth {
namespace {

TEST(ValidateName, AcceptsTheDocumentedAlphabet) {
  EXPECT_TRUE(ValidateName("name", "demand-forecast_v1.2").ok());
  EXPECT_TRUE(ValidateName("name", "7zones").ok());
  EXPECT_TRUE(ValidateName("name", std::string(128, 'a')).ok());
}

TEST(ValidateName, RejectsEmptyLongAndForeignCharacters) {
  EXPECT_EQ(ValidateName("name", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateName("name", std::string(10000, 'a')).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateName("name", "../x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateName("name", "_x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateName("name", "a b").code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ValidateName("model name", "a/b").message().find("model name"), std::string::npos);
}

}  // namespace
}  // namespace plinth

#include "tracking/artifact_path.h"

#include <gtest/gtest.h>

namespace plinth::tracking {
namespace {

TEST(ValidateArtifactPath, AcceptsRelativePaths) {
  EXPECT_TRUE(ValidateArtifactPath("model.json").ok());
  EXPECT_TRUE(ValidateArtifactPath("model/v1/model.ubj").ok());
  EXPECT_TRUE(ValidateArtifactPath("a..b/c").ok());
}

TEST(ValidateArtifactPath, RefusesTraversalAndAbsolutePaths) {
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/",
                          "..", "a\\b"}) {
    EXPECT_EQ(ValidateArtifactPath(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace plinth::tracking

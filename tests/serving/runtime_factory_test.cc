#include "serving/runtime_factory.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "trained_models.h"

namespace plinth::serving {
namespace {

using testing::LoadTrainedModel;
using testing::MatchesXgboost;
using testing::TrainedModel;

TEST(LoadRuntime, PrefersCompiledTreesForSupportedModels) {
  const TrainedModel m = LoadTrainedModel("binary_depth3_nan");
  auto rt = LoadRuntime("xgboost", m.ubjson);
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  EXPECT_EQ((*rt)->runtime_name(), "compiled-trees");
  EXPECT_TRUE((*rt)->fallback_reason().empty());
  std::vector<float> out(m.rows * m.outputs);
  ASSERT_TRUE((*rt)->Predict(m.x.data(), m.rows, m.features, out.data()).ok());
  EXPECT_TRUE(MatchesXgboost(out, m.expected));
}

TEST(LoadRuntime, FallsBackToXgboostForCategoricalModelAndSaysWhy) {
  const TrainedModel m = LoadTrainedModel("categorical");
  auto rt = LoadRuntime("xgboost", m.json);
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  EXPECT_EQ((*rt)->runtime_name(), "xgboost");
  EXPECT_NE((*rt)->fallback_reason().find("categorical"), std::string::npos)
      << (*rt)->fallback_reason();
  std::vector<float> out(m.rows * m.outputs);
  ASSERT_TRUE((*rt)->Predict(m.x.data(), m.rows, m.features, out.data()).ok());
  EXPECT_TRUE(MatchesXgboost(out, m.expected));
}

TEST(LoadRuntime, FallsBackForOtherObjectivesAndBoosters) {
  for (const char* name : {"poisson", "softmax", "dart", "gblinear"}) {
    SCOPED_TRACE(name);
    auto rt = LoadRuntime("xgboost", LoadTrainedModel(name).json);
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    EXPECT_EQ((*rt)->runtime_name(), "xgboost");
    EXPECT_FALSE((*rt)->fallback_reason().empty());
  }
}

TEST(LoadRuntime, HonoursPreference) {
  const TrainedModel reg = LoadTrainedModel("reg_depth2");
  auto only_xgb = LoadRuntime("xgboost", reg.json, RuntimePreference::kXgboostOnly);
  ASSERT_TRUE(only_xgb.ok());
  EXPECT_EQ((*only_xgb)->runtime_name(), "xgboost");
  EXPECT_TRUE((*only_xgb)->fallback_reason().empty());

  auto only_compiled = LoadRuntime("xgboost", LoadTrainedModel("categorical").json,
                                   RuntimePreference::kCompiledOnly);
  ASSERT_FALSE(only_compiled.ok());
  EXPECT_EQ(only_compiled.status().code(), StatusCode::kFailedPrecondition);
}

TEST(LoadRuntime, RejectsUnknownFlavor) {
  auto rt = LoadRuntime("sklearn", LoadTrainedModel("reg_depth2").json);
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(rt.status().message().find("unknown model flavor 'sklearn'"), std::string::npos);
}

TEST(ValidateModelArtifact, AcceptsEveryTrainedModel) {
  for (const char* name :
       {"reg_depth2", "multi3_nan_base", "categorical", "dart", "gblinear", "poisson"}) {
    SCOPED_TRACE(name);
    const TrainedModel m = LoadTrainedModel(name);
    EXPECT_TRUE(ValidateModelArtifact("xgboost", m.json).ok());
    EXPECT_TRUE(ValidateModelArtifact("xgboost", m.ubjson).ok());
  }
}

void ExpectRefused(const std::string& bytes, const std::string& why) {
  Status st = ValidateModelArtifact("xgboost", bytes);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << why << ": " << st.ToString();
  EXPECT_FALSE(st.message().empty()) << why;
}

TEST(ValidateModelArtifact, RefusesCorruptFiles) {
  const TrainedModel m = LoadTrainedModel("reg_depth4_nan");
  ExpectRefused("", "empty");
  ExpectRefused("not a model at all", "text");
  ExpectRefused(std::string("binf\0\0\0\x3f", 8), "legacy binary");
  ExpectRefused("{}", "empty object");
  ExpectRefused(R"({"learner": {}})", "missing fields");
  ExpectRefused(m.json.substr(0, m.json.size() / 2), "truncated JSON");
  ExpectRefused(m.ubjson.substr(0, m.ubjson.size() - 100), "truncated UBJSON");
  ExpectRefused(nlohmann::json::parse(m.json).dump(2), "pretty JSON (XGBoost refuses it)");
  ExpectRefused("{L" + std::string(100000, '['), "deeply nested UBJSON");

  // A structurally broken tree: a child index out of range.
  auto doc = nlohmann::json::parse(m.json);
  doc["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"][0] = 100000;
  ExpectRefused(doc.dump(), "child out of range");
  // A split on a feature the model does not have.
  doc = nlohmann::json::parse(m.json);
  doc["learner"]["gradient_booster"]["model"]["trees"][1]["split_indices"][0] = 42;
  ExpectRefused(doc.dump(), "feature out of range");
  // A cycle.
  doc = nlohmann::json::parse(m.json);
  auto& tree = doc["learner"]["gradient_booster"]["model"]["trees"][2];
  tree["left_children"][1] = 0;
  ExpectRefused(doc.dump(), "cycle");
  // Fewer split conditions than nodes.
  doc = nlohmann::json::parse(m.json);
  doc["learner"]["gradient_booster"]["model"]["trees"][0]["split_conditions"].erase(0);
  ExpectRefused(doc.dump(), "short array");
}

// Random damage to a UBJSON model is either harmless or refused; it never crashes the process.
TEST(ValidateModelArtifact, SurvivesBitFlips) {
  const std::string original = LoadTrainedModel("reg_depth2").ubjson;
  std::mt19937 rng(42);
  int refused = 0;
  for (int i = 0; i < 200; ++i) {
    std::string bytes = original;
    for (int k = 0; k < 3; ++k) {
      bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
    }
    Status st = ValidateModelArtifact("xgboost", bytes);
    if (!st.ok()) {
      ++refused;
      EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
    }
  }
  EXPECT_GT(refused, 0);
}

TEST(ValidateModelArtifact, RefusesUnknownFlavor) {
  Status st = ValidateModelArtifact("onnx", LoadTrainedModel("reg_depth2").json);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("supported: xgboost"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace plinth::serving

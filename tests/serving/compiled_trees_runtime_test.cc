#include "serving/compiled_trees_runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "serving/xgboost_runtime.h"
#include "trained_models.h"

namespace plinth::serving {
namespace {

using testing::LoadTrainedModel;
using testing::MatchesXgboost;
using testing::TrainedModel;

// Models the compiled evaluator must serve: depths 2 to 10 and lossguide, every supported
// objective, multi-class, NaN in training and prediction, explicit base_score, forests.
const std::vector<std::string> kSupported = {
    "reg_depth2",        "reg_depth4_nan",    "reg_depth6",    "reg_depth10_exact",
    "reg_lossguide",     "reg_base_score",    "reg_forest",    "reglogistic_depth4",
    "binary_depth3_nan", "binary_base_score", "binary_approx", "multi5_depth4",
    "multi3_nan_base"};

// Models it must refuse (XGBoost serves them).
const std::vector<std::string> kUnsupported = {"categorical", "poisson", "softmax", "dart",
                                               "gblinear"};

std::string ParamName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

class CompiledTreesMatchesXgboost : public ::testing::TestWithParam<std::string> {};

TEST_P(CompiledTreesMatchesXgboost, FromJsonAndUbjson) {
  const TrainedModel m = LoadTrainedModel(GetParam());
  ASSERT_TRUE(m.compiled);
  for (const std::string* bytes : {&m.json, &m.ubjson}) {
    SCOPED_TRACE(bytes == &m.json ? "json" : "ubjson");
    auto rt = CompiledTreesRuntime::Load(*bytes);
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    EXPECT_EQ((*rt)->runtime_name(), "compiled-trees");
    EXPECT_EQ((*rt)->objective(), m.objective);
    EXPECT_EQ((*rt)->outputs_per_row(), m.outputs);
    EXPECT_EQ((*rt)->input_signature().num_features, m.features);
    EXPECT_EQ((*rt)->input_signature().feature_names, m.feature_names);

    std::vector<float> batch(m.rows * m.outputs);
    ASSERT_TRUE((*rt)->Predict(m.x.data(), m.rows, m.features, batch.data()).ok());
    EXPECT_TRUE(MatchesXgboost(batch, m.expected));

    // Row by row gives the very same floats as the batch.
    std::vector<float> single(m.rows * m.outputs);
    for (size_t r = 0; r < m.rows; ++r) {
      ASSERT_TRUE(
          (*rt)
              ->Predict(m.x.data() + r * m.features, 1, m.features, single.data() + r * m.outputs)
              .ok());
    }
    EXPECT_EQ(single, batch);
  }
}

INSTANTIATE_TEST_SUITE_P(TrainedModels, CompiledTreesMatchesXgboost,
                         ::testing::ValuesIn(kSupported), ParamName);

class CompiledTreesRefuses : public ::testing::TestWithParam<std::string> {};

TEST_P(CompiledTreesRefuses, UnsupportedModelAtLoad) {
  const TrainedModel m = LoadTrainedModel(GetParam());
  ASSERT_FALSE(m.compiled);
  auto rt = CompiledTreesRuntime::Load(m.json);
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.status().code(), StatusCode::kFailedPrecondition) << rt.status().ToString();
  EXPECT_NE(rt.status().message().find("compiled-trees does not support"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(TrainedModels, CompiledTreesRefuses, ::testing::ValuesIn(kUnsupported),
                         ParamName);

TEST(CompiledTreesRuntime, RefusalNamesCategoricalSplits) {
  auto rt = CompiledTreesRuntime::Load(LoadTrainedModel("categorical").ubjson);
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.status().message().find("categorical"), std::string::npos);
}

// Scales every leaf so margins reach hundreds: sigmoid's clamp at 88.7 and softmax's shift by the
// maximum must behave exactly as XGBoost's.
std::string ScaleLeaves(const std::string& model_json, double factor) {
  auto doc = nlohmann::json::parse(model_json);
  for (auto& tree : doc["learner"]["gradient_booster"]["model"]["trees"]) {
    auto& cond = tree["split_conditions"];
    for (size_t i = 0; i < cond.size(); ++i) {
      if (tree["left_children"][i] == -1) cond[i] = cond[i].get<double>() * factor;
    }
  }
  return doc.dump();
}

TEST(CompiledTreesRuntime, ExtremeMarginsMatchXgboostRuntime) {
  for (const char* name : {"binary_depth3_nan", "multi5_depth4", "reglogistic_depth4"}) {
    SCOPED_TRACE(name);
    const TrainedModel m = LoadTrainedModel(name);
    const std::string scaled = ScaleLeaves(m.json, 64.0);
    auto compiled = CompiledTreesRuntime::Load(scaled);
    ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
    auto reference = XgboostRuntime::Load(scaled, XgboostRuntime::Options{});
    ASSERT_TRUE(reference.ok()) << reference.status().ToString();
    std::vector<float> got(m.rows * m.outputs), want(m.rows * m.outputs);
    ASSERT_TRUE((*compiled)->Predict(m.x.data(), m.rows, m.features, got.data()).ok());
    ASSERT_TRUE((*reference)->Predict(m.x.data(), m.rows, m.features, want.data()).ok());
    EXPECT_TRUE(MatchesXgboost(got, want));
  }
}

TEST(CompiledTreesRuntime, RejectsWrongFeatureCount) {
  auto rt = CompiledTreesRuntime::Load(LoadTrainedModel("reg_depth2").json);
  ASSERT_TRUE(rt.ok());
  std::vector<float> row(7, 1.0f);
  float out = 0;
  Status st = (*rt)->Predict(row.data(), 1, row.size(), &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("expects 8 features"), std::string::npos) << st.message();
  EXPECT_TRUE((*rt)->Predict(nullptr, 0, 8, nullptr).ok());  // zero rows: nothing to do
  EXPECT_EQ((*rt)->Predict(nullptr, 1, 8, &out).code(), StatusCode::kInvalidArgument);
}

TEST(CompiledTreesRuntime, FlattensEveryTree) {
  auto rt = CompiledTreesRuntime::Load(LoadTrainedModel("reg_forest").json);
  ASSERT_TRUE(rt.ok());
  EXPECT_EQ((*rt)->num_trees(), 15u);  // 5 rounds x 3 parallel trees
  EXPECT_LE((*rt)->max_depth(), 4u);
  auto deep = CompiledTreesRuntime::Load(LoadTrainedModel("reg_depth10_exact").json);
  ASSERT_TRUE(deep.ok());
  EXPECT_GT((*deep)->max_depth(), 6u);
}

TEST(CompiledTreesRuntime, ConcurrentPredictMatchesSerial) {
  const TrainedModel m = LoadTrainedModel("multi3_nan_base");
  auto rt = CompiledTreesRuntime::Load(m.json);
  ASSERT_TRUE(rt.ok());
  const CompiledTreesRuntime& runtime = **rt;
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> out(m.rows * m.outputs);
      for (int round = 0; round < 20; ++round) {
        const size_t begin = (t * 37 + round * 11) % m.rows;
        const size_t count = std::min<size_t>(1 + (round * 13) % 97, m.rows - begin);
        if (!runtime.Predict(m.x.data() + begin * m.features, count, m.features, out.data()).ok() ||
            !std::equal(out.begin(), out.begin() + count * m.outputs,
                        m.expected.begin() + begin * m.outputs)) {
          ++failures[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

}  // namespace
}  // namespace plinth::serving

#include "serving/xgboost_runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "trained_models.h"

namespace plinth::serving {
namespace {

using testing::LoadTrainedModel;
using testing::MatchesXgboost;
using testing::TrainedModel;

// Every trained model, including those only XGBoost can serve.
const std::vector<std::string> kAllModels = {"reg_depth2",
                                             "reg_depth4_nan",
                                             "reg_depth6",
                                             "reg_depth10_exact",
                                             "reg_lossguide",
                                             "reg_base_score",
                                             "reg_forest",
                                             "reglogistic_depth4",
                                             "binary_depth3_nan",
                                             "binary_base_score",
                                             "binary_approx",
                                             "multi5_depth4",
                                             "multi3_nan_base",
                                             "categorical",
                                             "poisson",
                                             "softmax",
                                             "dart",
                                             "gblinear"};

class XgboostRuntimeMatchesPython : public ::testing::TestWithParam<std::string> {};

TEST_P(XgboostRuntimeMatchesPython, FromJsonAndUbjson) {
  const TrainedModel m = LoadTrainedModel(GetParam());
  for (const std::string* bytes : {&m.json, &m.ubjson}) {
    SCOPED_TRACE(bytes == &m.json ? "json" : "ubjson");
    auto rt = XgboostRuntime::Load(*bytes, XgboostRuntime::Options{});
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    EXPECT_EQ((*rt)->runtime_name(), "xgboost");
    EXPECT_EQ((*rt)->objective(), m.objective);
    EXPECT_EQ((*rt)->outputs_per_row(), m.outputs);
    EXPECT_EQ((*rt)->input_signature().num_features, m.features);
    EXPECT_EQ((*rt)->input_signature().feature_names, m.feature_names);
    std::vector<float> out(m.rows * m.outputs);
    ASSERT_TRUE((*rt)->Predict(m.x.data(), m.rows, m.features, out.data()).ok());
    EXPECT_TRUE(MatchesXgboost(out, m.expected));
  }
}

INSTANTIATE_TEST_SUITE_P(TrainedModels, XgboostRuntimeMatchesPython,
                         ::testing::ValuesIn(kAllModels),
                         [](const auto& info) { return info.param; });

TEST(XgboostRuntime, CategoricalSignatureKeepsFeatureTypes) {
  auto rt = XgboostRuntime::Load(LoadTrainedModel("categorical").json, XgboostRuntime::Options{});
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  const auto& types = (*rt)->input_signature().feature_types;
  ASSERT_EQ(types.size(), 8u);
  EXPECT_EQ(types[5], "c");
  EXPECT_EQ(types[0], "q");
}

TEST(XgboostRuntime, RejectsWrongFeatureCount) {
  auto rt = XgboostRuntime::Load(LoadTrainedModel("reg_depth2").json, XgboostRuntime::Options{});
  ASSERT_TRUE(rt.ok());
  std::vector<float> row(9, 1.0f);
  float out = 0;
  Status st = (*rt)->Predict(row.data(), 1, row.size(), &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE((*rt)->Predict(nullptr, 0, 8, nullptr).ok());
}

// Many threads predict through one booster at once (lock-free for gbtree and dart, serialized
// for gblinear) and each gets exactly what a lone caller gets.
TEST(XgboostRuntime, ConcurrentPredictMatchesSerial) {
  for (const char* name : {"reg_depth6", "multi5_depth4", "dart", "gblinear"}) {
    SCOPED_TRACE(name);
    const TrainedModel m = LoadTrainedModel(name);
    auto rt = XgboostRuntime::Load(m.json, XgboostRuntime::Options{});
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    const XgboostRuntime& runtime = **rt;
    std::vector<float> serial(m.rows * m.outputs);
    ASSERT_TRUE(runtime.Predict(m.x.data(), m.rows, m.features, serial.data()).ok());

    std::vector<int> failures(6, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&, t] {
        std::vector<float> out(m.rows * m.outputs);
        for (int round = 0; round < 15; ++round) {
          const size_t begin = (t * 41 + round * 7) % m.rows;
          const size_t count = std::min<size_t>(1 + (round * 29) % 150, m.rows - begin);
          if (!runtime.Predict(m.x.data() + begin * m.features, count, m.features, out.data())
                   .ok() ||
              !std::equal(out.begin(), out.begin() + count * m.outputs,
                          serial.begin() + begin * m.outputs)) {
            ++failures[t];
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    for (int f : failures) EXPECT_EQ(f, 0);
  }
}

TEST(XgboostRuntime, RefusesCorruptBytesWithoutReachingXgboost) {
  const std::string json = LoadTrainedModel("reg_depth2").json;
  auto rt = XgboostRuntime::Load(json.substr(0, json.size() / 2), XgboostRuntime::Options{});
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace plinth::serving

#include "serving/xgboost_model.h"

#include <gtest/gtest.h>

#include <string>

#include "trained_models.h"

namespace plinth::serving {
namespace {

using testing::LoadTrainedModel;

TEST(XgboostModel, DetectsFormatsByXgboostsRule) {
  EXPECT_EQ(*DetectXgboostModelFormat(R"({"learner":{}})"), XgboostModelFormat::kJson);
  EXPECT_EQ(*DetectXgboostModelFormat("{L\0\0\0\0\0\0\0\x07learner"), XgboostModelFormat::kUbjson);
  EXPECT_FALSE(DetectXgboostModelFormat("{\n  \"learner\": {}}").ok());
  EXPECT_FALSE(DetectXgboostModelFormat("binf").ok());
  EXPECT_FALSE(DetectXgboostModelFormat("").ok());
}

TEST(XgboostModel, ReadsJsonAndUbjsonAlike) {
  const auto m = LoadTrainedModel("multi3_nan_base");
  auto from_json = ReadXgboostModel(m.json);
  auto from_ubjson = ReadXgboostModel(m.ubjson);
  ASSERT_TRUE(from_json.ok()) << from_json.status().ToString();
  ASSERT_TRUE(from_ubjson.ok()) << from_ubjson.status().ToString();
  EXPECT_EQ(from_json->format, XgboostModelFormat::kJson);
  EXPECT_EQ(from_ubjson->format, XgboostModelFormat::kUbjson);
  for (const XgboostModel* model : {&*from_json, &*from_ubjson}) {
    EXPECT_EQ(model->booster, "gbtree");
    EXPECT_EQ(model->objective, "multi:softprob");
    EXPECT_EQ(model->num_class, 3u);
    EXPECT_EQ(model->num_feature, 8u);
    EXPECT_FLOAT_EQ(model->base_score, 0.2f);
    EXPECT_EQ(model->trees.size(), 60u);  // 20 rounds x 3 classes
    EXPECT_EQ(model->feature_names.size(), 8u);
    EXPECT_EQ((model->version), (std::array<int, 3>{1, 7, 4}));
  }
  // Same trees, same float32 thresholds and leaves, bit for bit.
  for (size_t t = 0; t < from_json->trees.size(); ++t) {
    EXPECT_EQ(from_json->trees[t].split_conditions, from_ubjson->trees[t].split_conditions);
    EXPECT_EQ(from_json->trees[t].left_children, from_ubjson->trees[t].left_children);
    EXPECT_EQ(from_json->trees[t].group, from_ubjson->trees[t].group);
  }
}

TEST(XgboostModel, DescribesWhatRuntimesMayRefuse) {
  auto cat = ReadXgboostModel(LoadTrainedModel("categorical").json);
  ASSERT_TRUE(cat.ok());
  EXPECT_TRUE(cat->has_categorical_splits);
  auto dart = ReadXgboostModel(LoadTrainedModel("dart").ubjson);
  ASSERT_TRUE(dart.ok()) << dart.status().ToString();
  EXPECT_EQ(dart->booster, "dart");
  EXPECT_EQ(dart->trees.size(), 10u);
  auto linear = ReadXgboostModel(LoadTrainedModel("gblinear").json);
  ASSERT_TRUE(linear.ok());
  EXPECT_EQ(linear->booster, "gblinear");
  EXPECT_TRUE(linear->trees.empty());
}

TEST(XgboostModel, RefusesDocumentsThatAreNotModels) {
  auto st = ReadXgboostModel(R"({"learner": {"learner_model_param": {}}})").status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("base_score"), std::string::npos) << st.message();
  EXPECT_EQ(ReadXgboostModel(R"({"learner": [)").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace plinth::serving

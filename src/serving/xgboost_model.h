#pragma once
// XgboostModel: what plinth reads out of a saved XGBoost model before any runtime touches it.
//
// XGBoost saves models as JSON (`save_model("m.json")`) or UBJSON (`save_model("m.ubj")`); both
// hold the same document. ReadXgboostModel parses either with nlohmann::json (bounded nesting
// depth, no recursion on attacker-chosen input) and checks the structure the runtimes rely on:
// array lengths agree with the node count, child indices and split features are in range, tree
// groups exist. Every artifact passes this check before it reaches the XGBoost C library, whose
// own parser is not hardened against corrupt files, so a bad file is refused here with a readable
// message instead of crashing the server.
//
// The reader does not judge whether a runtime supports the model: categorical splits, dart,
// gblinear and unusual objectives are described, not refused. Floats are read the way XGBoost
// reads them: JSON numbers are parsed straight to float32 (correctly rounded), UBJSON floats are
// float32 already. Legacy binary models (pre-1.0 `.model`/`.bin`) are refused: save as .json or
// .ubj instead.
//
// Pure functions; thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plinth::serving {

enum class XgboostModelFormat { kJson, kUbjson };

// One regression tree, exactly as saved: node i is a leaf when left_children[i] == -1, and then
// its value is split_conditions[i].
struct XgboostTree {
  std::vector<int32_t> left_children;
  std::vector<int32_t> right_children;
  std::vector<int32_t> split_indices;
  std::vector<float> split_conditions;
  std::vector<uint8_t> default_left;
  std::vector<uint8_t> split_type;  // 0 numerical, 1 categorical; empty for pre-1.6 models
  bool has_categorical_splits = false;
  int32_t group = 0;  // output group (class) from tree_info
};

struct XgboostModel {
  XgboostModelFormat format = XgboostModelFormat::kJson;
  std::array<int, 3> version{};  // XGBoost version that saved the model
  std::string booster;           // "gbtree", "dart" or "gblinear"
  std::string objective;         // e.g. "binary:logistic"
  float base_score = 0.5f;       // as saved: probability scale for logistic objectives
  size_t num_feature = 0;
  size_t num_class = 0;  // 0 unless multi-class
  size_t num_target = 1;
  size_t size_leaf_vector = 0;             // > 0 for multi-target (vector-leaf) trees
  std::vector<std::string> feature_names;  // empty when the model has none
  std::vector<std::string> feature_types;  // empty when the model has none
  std::vector<XgboostTree> trees;  // gbtree and dart (dart's weights are not kept); empty for
                                   // gblinear
  bool has_categorical_splits = false;

  // Output groups: the class count for multi-class models, else 1.
  size_t num_groups() const { return num_class > 1 ? num_class : 1; }
};

// Which encoding `bytes` use, by XGBoost's own rule: '{' then '"' is JSON, '{' then a letter is
// UBJSON. InvalidArgument for anything else (including pretty-printed JSON, which XGBoost 1.7
// refuses to load, and the legacy binary format).
Result<XgboostModelFormat> DetectXgboostModelFormat(std::string_view bytes);

// Parses and checks a saved model. InvalidArgument, with a sentence naming what is wrong, for
// bytes that are not a well-formed XGBoost JSON/UBJSON model.
Result<XgboostModel> ReadXgboostModel(std::string_view bytes);

}  // namespace plinth::serving

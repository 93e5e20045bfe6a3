#pragma once
// CompiledTreesRuntime: plinth's own evaluator for XGBoost tree ensembles.
//
// At load time the model's trees are flattened into one array of 16-byte nodes, each tree laid
// out breadth first so that a node's two children sit side by side (right = left + 1). A leaf
// points back at itself, which lets every tree be walked for a fixed number of steps (its depth)
// with no data-dependent branch, and lets kLanes walks run interleaved so that their dependent
// loads overlap: for a single row, kLanes trees at a time; for a batch, blocks of 64 rows pass
// through one tree at a time (its nodes stay in L1), kLanes rows at a time. No allocation and no
// lock on the predict path.
//
// Ensembles no deeper than kDenseMaxDepth (the common case: depth 6) are also laid out as
// complete trees of the model's depth D: per tree 2^D - 1 eight-byte split nodes in heap order
// (the children of node i are 2i+1 and 2i+2) and 2^D leaf values. A shallower leaf becomes a
// chain of pass-through nodes (threshold NaN, default right: every value goes right) ending at
// its value. Missing values are handled by the input instead of the step: each row is widened to
// 2n values, the first n with NaN replaced by -inf (a row that takes every split's left side),
// the last n with NaN replaced by +inf (the right side); a node whose missing values go left reads
// column f, one whose go right reads column n + f. As no split threshold is infinite (else this
// layout is not used), `value < threshold` then decides missing values exactly as the node's
// default does, and a step is just `i = 2i + 2 - (value < threshold)`: no child index to load, no
// NaN test, half the bytes per node. This layout serves every Predict call for such models.
//
// The evaluator reproduces XGBoost 1.7's arithmetic, so its float32 outputs equal XGBoost's:
//   * a row goes left when `value < split_condition` in float32; NaN takes the node's default
//     direction;
//   * the margin starts at the base margin (base_score for squared error and softprob,
//     -logf(1/base_score - 1) for the logistic objectives) and each tree's leaf is added in
//     float32, in tree order, to its output group;
//   * the link is XGBoost's: sigmoid 1/(1+expf(min(-x, 88.7))) for reg:logistic and
//     binary:logistic, softmax with a float max, double sum and float division for
//     multi:softprob, identity for reg:squarederror.
//
// Supported: gbtree boosters (any depth, num_parallel_tree, multi-class groups), numerical splits,
// the objectives reg:squarederror, reg:logistic, binary:logistic and multi:softprob. Anything else
// (categorical splits, dart, gblinear, multi-target trees, other objectives) is refused at load
// with FailedPrecondition naming the feature, and runtime_factory falls back to XgboostRuntime.
// All trees are evaluated (XGBoost's default iteration range; best_iteration is not applied).
//
// Immutable after load; Predict is thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "serving/model_runtime.h"
#include "serving/xgboost_model.h"

namespace plinth::serving {

class CompiledTreesRuntime final : public ModelRuntime {
 public:
  static constexpr std::string_view kName = "compiled-trees";
  // Tree walks interleaved per core: trees side by side for a single row, rows for a batch.
  static constexpr size_t kLanes = 8;
  // Deepest ensemble laid out as complete trees (2^8 leaves per tree at most).
  static constexpr uint32_t kDenseMaxDepth = 8;

  // Compiles a model read by ReadXgboostModel. FailedPrecondition when the model uses something
  // this evaluator does not implement (the message says what); InvalidArgument for a base_score
  // its objective cannot take.
  static Result<std::unique_ptr<CompiledTreesRuntime>> Compile(const XgboostModel& model);

  // ReadXgboostModel + Compile. InvalidArgument for a bad file.
  static Result<std::unique_ptr<CompiledTreesRuntime>> Load(std::string_view bytes);

  std::string_view runtime_name() const override { return kName; }
  const InputSignature& input_signature() const override { return signature_; }
  const std::string& objective() const override { return objective_; }
  size_t outputs_per_row() const override { return groups_; }
  Status Predict(const float* rows, size_t n_rows, size_t n_features, float* out) const override;

  size_t num_trees() const { return trees_.size(); }
  size_t num_nodes() const { return nodes_.size(); }
  uint32_t max_depth() const { return max_depth_; }

 private:
  enum class Link { kIdentity, kSigmoid, kSoftmax };

  // A split node sends a row to `left` when value < threshold, else to left + 1; NaN goes left
  // when the default-left bit is set, else right. A leaf has threshold NaN, default right and
  // left = own index - 1, so every further step stays on it.
  struct Node {
    float threshold;
    uint32_t feature_and_default;  // bits 0..30: feature index; bit 31: missing goes left
    uint32_t left;
    float leaf_value;  // leaves only
  };
  static_assert(sizeof(Node) == 16);

  struct Tree {
    uint32_t root;
    uint32_t depth;  // steps from the root to the deepest leaf
    uint32_t group;  // output group the leaf is added to
  };

  // A split node of the complete-tree layout: the row goes left when widened[column] <
  // threshold (column f or n + f, see above).
  struct DenseNode {
    float threshold;
    uint32_t column;
  };
  static_assert(sizeof(DenseNode) == 8);

  CompiledTreesRuntime() = default;
  static uint32_t Step(const Node* nodes, uint32_t index, const float* row);
  static uint32_t DenseStep(const DenseNode* nodes, uint32_t index, const float* row);
  void BuildDense(const XgboostModel& model);
  void PredictBlock(const float* rows, size_t n_rows, size_t n_features, float* out) const;
  void PredictDenseBlock(const float* rows, size_t n_rows, size_t n_features, float* out) const;
  void ApplyLink(float* out, size_t n_rows) const;

  InputSignature signature_;
  std::string objective_;
  Link link_ = Link::kIdentity;
  size_t groups_ = 1;
  float base_margin_ = 0;
  uint32_t max_depth_ = 0;
  std::vector<Node> nodes_;
  std::vector<Tree> trees_;
  // Deepest tree of each run of kLanes consecutive trees (walked side by side for one row).
  std::vector<uint32_t> lane_group_depth_;
  // The complete-tree layout, when max_depth_ <= kDenseMaxDepth: tree t's split nodes are
  // dense_nodes_[t * (2^D - 1) ...], its leaves dense_leaves_[t * 2^D ...], D = max_depth_.
  bool dense_ = false;
  std::vector<DenseNode> dense_nodes_;
  std::vector<float> dense_leaves_;
};

}  // namespace plinth::serving
